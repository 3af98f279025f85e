"""A warm execution container runs many nodes, one after another, and must be a boundary between them:
a node can neither take over the runner (ptrace, /proc/<pid>/mem, its stdout) nor the zygote the
next node is forked from, nor find an earlier node's data in memory or in shared places, nor stop
the container from serving the next node. Each attack runs, then an honest node runs in the same
container and must get its own, correct answer."""

from __future__ import annotations

import secrets

import docker
import pytest

from qflow.sandbox.container import Limits
from qflow.sandbox.run_node import prepare, run_prepared
from qflow.sandbox.sandboxes import ExecutionContainers

pytestmark = pytest.mark.docker

HONEST = "def main(x: int) -> int:\n    return x * 2\n"


@pytest.fixture
def warm(docker_client, runner_image, no_leftover_containers):
    sandbox = ExecutionContainers(docker_client, f"warm-boundary-{secrets.token_hex(4)}")

    def run(code: str, inputs: dict | None = None, python: str = "3.11", timeout: float = 20):
        return run_prepared(prepare(code, python_version=python), inputs or {}, Limits(timeout_seconds=timeout),
                            sandbox=sandbox)

    run.sandbox = sandbox
    try:
        yield run
    finally:
        sandbox.close()


def one_container(*results) -> None:
    assert len({r.container_id for r in results}) == 1, "the nodes should share one warm container"


def honest_node_unharmed(warm, attack, x: int, **kw) -> None:
    """After `attack` (which completed), an honest node in the same warm container gets its answer."""
    assert attack.status == "completed", attack.error
    after = warm(HONEST, {"x": x}, **kw)
    assert after.status == "completed" and after.outputs == {"result": 2 * x}
    one_container(attack, after)


def test_a_node_cannot_reach_the_runner_or_the_zygote(warm):
    probe = warm('''
import ctypes, os
def main() -> dict:
    libc = ctypes.CDLL(None, use_errno=True)
    out = {}
    for name, pid in (("runner", 1), ("zygote", os.getppid())):
        attached = libc.ptrace(16, pid, None, None) == 0  # PTRACE_ATTACH
        seen = []
        for path, mode in (("/proc/%d/mem" % pid, "r+b"), ("/proc/%d/fd/1" % pid, "wb"),
                           ("/proc/%d/fd/0" % pid, "rb")):
            try:
                open(path, mode).close()
                seen.append(path)
            except OSError:
                pass
        out[name] = {"ptrace": attached, "opened": seen}
    return out
''')
    assert probe.status == "completed", probe.error
    assert probe.outputs["result"] == {"runner": {"ptrace": False, "opened": []},
                                       "zygote": {"ptrace": False, "opened": []}}
    after = warm(HONEST, {"x": 21})
    assert after.status == "completed" and after.outputs == {"result": 42}
    one_container(probe, after)


def test_killing_the_runner_or_the_zygote_does_not_stop_the_next_node(warm):
    attack = warm('''
import os, signal
def main() -> str:
    os.kill(1, signal.SIGKILL)           # PID 1: ignored from inside the container
    os.kill(os.getppid(), signal.SIGKILL)  # the zygote: the runner starts a fresh one
    return "done"
''')
    honest_node_unharmed(warm, attack, 5)


def test_a_later_node_finds_nothing_of_an_earlier_node_in_memory(warm):
    secret = secrets.token_hex(16)
    first = warm('def main(s: str) -> str:\n    return "QFLOWLEAK:" + s\n', {"s": secret})
    assert first.status == "completed" and first.outputs == {"result": "QFLOWLEAK:" + secret}
    scan = warm('''
import re
def main() -> list[str]:
    found = set()
    with open("/proc/self/maps") as maps, open("/proc/self/mem", "rb", buffering=0) as mem:
        for line in maps:
            parts = line.split()
            if "r" not in parts[1]:
                continue
            start, end = (int(x, 16) for x in parts[0].split("-"))
            try:
                mem.seek(start)
                data = mem.read(end - start)
            except (OSError, OverflowError, ValueError):
                continue
            found.update(m.decode() for m in re.findall(rb"QFLOWLEAK:([0-9a-f]{32})", data))
    return sorted(found)
''')
    assert scan.status == "completed", scan.error
    assert secret not in scan.outputs["result"]
    one_container(first, scan)


def test_files_and_ipc_a_node_leaves_are_gone_for_the_next(warm):
    leave = warm('''
import ctypes, os
def main() -> int:
    open("/dev/shm/secret", "w").write("left by A")
    os.makedirs("/tmp/locked/inner")
    open("/tmp/locked/inner/f", "w").write("left by A")
    os.chmod("/tmp/locked", 0)  # a directory its owner cannot list: still removed
    libc = ctypes.CDLL(None, use_errno=True)
    return libc.shmget(4242, 4096, 0o1600)  # IPC_CREAT | 0600: a System V segment
''')
    assert leave.status == "completed" and leave.outputs["result"] >= 0, leave.error
    look = warm('''
import os
def main() -> dict:
    with open("/proc/sysvipc/shm") as f:
        segments = len(f.read().splitlines()) - 1
    return {"tmp": [e for e in os.listdir("/tmp") if not e.startswith("node-")],
            "shm": os.listdir("/dev/shm"), "segments": segments}
''')
    assert look.status == "completed", look.error
    assert look.outputs["result"] == {"tmp": [], "shm": [], "segments": 0}
    one_container(leave, look)


@pytest.mark.parametrize("python", ["3.9", "3.11"])
def test_an_integer_the_host_cannot_read_is_an_output_error(warm, python):
    r = warm("def main() -> int:\n    return 10 ** 5000\n", python=python)
    assert r.status == "failed" and r.error["type"] == "OutputValidationError", r.error
    assert "4300 digits" in r.error["message"]
    after = warm(HONEST, {"x": 1}, python=python)
    assert after.status == "completed" and after.outputs == {"result": 2}


def test_the_runner_as_init_reaps_orphans_while_a_node_runs(warm):
    r = warm('''
import os, time
def main() -> dict:
    for _ in range(10):  # each grandchild is orphaned, exits, and is handed to PID 1
        if os.fork() == 0:
            if os.fork() == 0:
                os._exit(0)
            os._exit(0)
        os.wait()
    time.sleep(2)
    zombies = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[0] == "Z":
                    zombies += 1
            except OSError:
                pass
    return {"zombies": zombies}
''')
    assert r.status == "completed", r.error
    assert r.outputs["result"] == {"zombies": 0}


MEMORY_AND_CPU = '''
import os, time
def main() -> dict:
    block = bytearray(80 << 20)  # under the 256 MiB container, over a 60 MiB address-space limit
    end = time.process_time() + 1.5
    while time.process_time() < end:  # over a 1 s CPU limit
        pass
    return {"nice": os.getpriority(os.PRIO_PROCESS, 0), "allocated": len(block) >> 20}
'''


def test_limits_a_node_sets_on_the_zygote_or_the_runner_do_not_reach_the_next_node(warm):
    """Same uid: a node may lower the soft limits and priority of the runner and the zygote. The runner
    puts its own back and replaces a zygote that is not as it started."""
    attack = warm('''
import os, resource
def main() -> str:
    zygote = os.getppid()
    resource.prlimit(zygote, resource.RLIMIT_AS, (60 << 20, 60 << 20))
    resource.prlimit(zygote, resource.RLIMIT_CPU, (1, 1))
    os.setpriority(os.PRIO_PROCESS, zygote, 19)
    soft, hard = resource.prlimit(1, resource.RLIMIT_NOFILE)
    resource.prlimit(1, resource.RLIMIT_NOFILE, (3, hard))  # the runner could not list /proc
    return "done"
''')
    assert attack.status == "completed", attack.error
    after = warm(MEMORY_AND_CPU, timeout=30)
    assert after.status == "completed", after.error
    assert after.outputs == {"result": {"nice": 0, "allocated": 80}}
    one_container(attack, after)


def test_a_node_that_lowers_a_hard_limit_of_the_runner_loses_its_container_not_the_next_node(warm):
    attack = warm('''
import resource
def main() -> str:
    soft, hard = resource.prlimit(1, resource.RLIMIT_NOFILE)
    resource.prlimit(1, resource.RLIMIT_NOFILE, (8, 8))  # a hard limit cannot be raised again
    return "done"
''')
    # The runner cannot vouch for the container any more: it ends it, during this node's request.
    assert attack.status == "failed" and attack.error["type"] == "SandboxError", attack.error
    assert "container stopped" in attack.error["message"]
    after = warm(HONEST, {"x": 4})
    assert after.status == "completed" and after.outputs == {"result": 8}
    assert after.container_id != attack.container_id


def test_filling_the_pids_limit_and_killing_the_zygote_does_not_break_the_next_node(warm):
    attack = warm('''
import os, threading, time
def main() -> str:
    for _ in range(4):
        if os.fork() == 0:
            os.setsid()
            end = time.time() + 20
            while time.time() < end:
                try:
                    threading.Thread(target=time.sleep, args=(30,), daemon=True).start()
                except RuntimeError:
                    pass
            os._exit(0)
    time.sleep(0.5)
    os.kill(os.getppid(), 9)
    return "done"
''')
    honest_node_unharmed(warm, attack, 3)


def test_a_stopped_zygote_is_replaced(warm):
    attack = warm('''
import os, signal
def main() -> str:
    os.kill(os.getppid(), signal.SIGSTOP)
    return "done"
''')
    honest_node_unharmed(warm, attack, 2, timeout=3)


def test_an_output_with_half_a_surrogate_pair_is_an_output_error(warm):
    """Such text can be neither stored (PostgreSQL refuses it) nor printed as UTF-8."""
    r = warm("def main() -> str:\n    return 'ok' + chr(0xD800)\n")
    assert r.status == "failed" and r.error["type"] == "OutputValidationError", r.error
    assert "lone surrogate" in r.error["message"]
