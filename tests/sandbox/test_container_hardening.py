"""What a node can see and do inside its container, asked from inside: every attack class of the
sandbox brief ends contained, and the container is gone afterwards."""

from __future__ import annotations

import pytest

from qflow.sandbox.container import Limits
from qflow.sandbox.run_node import prepare, run_prepared

pytestmark = pytest.mark.docker


def run(code: str, inputs: dict | None = None, **limits):
    limits = Limits(**{"timeout_seconds": 10, **limits})
    return run_prepared(prepare(code), inputs or {}, limits)


def test_identity_capabilities_and_environment(runner_image, no_leftover_containers):
    r = run('''
import os
def main() -> dict[str, str]:
    status = dict(line.split(":\\t", 1) for line in open("/proc/self/status").read().splitlines() if ":\\t" in line)
    return {"uid": str(os.getuid()), "gid": str(os.getgid()), "caps": status["CapEff"].strip(),
            "nnp": status["NoNewPrivs"].strip(), "env": ",".join(sorted(os.environ))}
''')
    assert r.status == "completed", r.error
    out = r.outputs["result"]
    assert out["uid"] == "65534" and out["gid"] == "65534"
    assert int(out["caps"], 16) == 0
    assert out["nnp"] == "1"
    # Only what the image itself sets: nothing of the host's environment leaks in.
    # (LC_CTYPE is set by Python itself: PEP 538 locale coercion.)
    assert set(out["env"].split(",")) <= {"PATH", "HOSTNAME", "HOME", "PYTHONDONTWRITEBYTECODE",
                                          "PYTHONUNBUFFERED", "PYTHONPATH", "LC_CTYPE"}


def test_no_network_interfaces_but_loopback(runner_image, no_leftover_containers):
    r = run('''
import socket
def main() -> list[str]:
    names = [name for _, name in socket.if_nameindex()]
    try:
        socket.create_connection(("1.1.1.1", 53), timeout=2)
        names.append("CONNECTED")
    except OSError:
        pass
    return names
''')
    assert r.status == "completed", r.error
    assert r.outputs["result"] == ["lo"]


def test_no_docker_socket_and_no_host_files(runner_image, no_leftover_containers):
    r = run('''
import os
def main() -> list[bool]:
    return [os.path.exists("/var/run/docker.sock"), os.path.exists("/run/docker.sock"),
            os.path.exists("/work"), os.path.exists("/root/.pyenv")]
''')
    assert r.status == "completed", r.error
    assert r.outputs["result"] == [False, False, False, False]


def test_root_filesystem_is_read_only_and_tmp_is_capped(runner_image, no_leftover_containers):
    r = run('''
import errno
def main() -> list[str]:
    out = []
    try:
        open("/etc/evil", "w")
        out.append("wrote /etc")
    except OSError as e:
        out.append(errno.errorcode[e.errno])
    try:
        with open("/tmp/fill", "wb") as f:
            for _ in range(64):
                f.write(b"x" * (1024 * 1024))
        out.append("filled")
    except OSError as e:
        out.append(errno.errorcode[e.errno])
    return out
''', tmp_mb=8, memory_mb=256)
    assert r.status == "completed", r.error
    ro, fill = r.outputs["result"]
    assert ro == "EROFS"
    # The tmpfs size or the fsize ulimit stops the write, whichever comes first.
    assert fill in ("ENOSPC", "EFBIG")


def test_fork_bomb_is_contained_by_the_pids_limit(runner_image, no_leftover_containers):
    r = run('''
import os, time
def main() -> str:
    children = 0
    try:
        while True:
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
            children += 1
    except OSError:
        return "stopped after %d" % children
''', pids=32)
    assert r.status == "completed", r.error
    n = int(r.outputs["result"].split()[-1])
    assert n < 32


def test_cpu_time_and_memory_are_measured(runner_image, no_leftover_containers):
    r = run('''
def main() -> int:
    block = bytearray(64 * 1024 * 1024)
    total = 0
    for i in range(3_000_000):
        total += i
    return len(block)
''')
    assert r.status == "completed", r.error
    u = r.resource_usage
    assert u["peak_memory_bytes"] >= 64 * 1024 * 1024
    assert 0 < u["cpu_seconds"] <= u["wall_seconds"] + 0.05


def test_output_flood_is_capped(runner_image, no_leftover_containers):
    r = run('''
def main() -> str:
    for i in range(200_000):
        print("line", i)
    return "x" * (2 * 1024 * 1024)
''', output_bytes=1024 * 1024)
    assert r.status == "failed"
    assert r.error["type"] == "OutputLimitExceeded"


def test_logs_keep_first_and_last_lines(runner_image, no_leftover_containers):
    r = run('''
def main() -> int:
    for i in range(100_000):
        print("line", i)
    return 1
''')
    assert r.status == "completed"
    assert r.logs.startswith("line 0\n")
    assert r.logs.rstrip().endswith("line 99999")
    assert "bytes omitted" in r.logs and len(r.logs) < 20_000


def test_inputs_are_validated_before_any_container(docker_client):
    before = len(docker_client.containers.list(all=True, ignore_removed=True))
    r = run("def main(x: int) -> int:\n    return x\n", {"x": "not a number"})
    assert r.status == "failed" and r.error["type"] == "InputValidationError"
    assert "x" in r.error["message"]
    assert r.container_id is None
    assert len(docker_client.containers.list(all=True, ignore_removed=True)) == before


def test_convertible_input_is_converted(runner_image, no_leftover_containers):
    r = run("def main(x: int) -> int:\n    return x * 2\n", {"x": "21"})
    assert r.status == "completed", r.error
    assert r.outputs == {"result": 42}


def test_missing_required_input(runner_image):
    r = run("def main(x: int) -> int:\n    return x\n", {})
    assert r.error["type"] == "InputValidationError" and "required" in r.error["message"]


def test_stray_processes_do_not_outlive_the_node(runner_image, no_leftover_containers):
    """A node that leaves a detached process behind: the runner kills it before answering."""
    from qflow.sandbox.container import RunnerContainer
    import docker

    client = docker.from_env()
    box = RunnerContainer(client, runner_image, Limits(timeout_seconds=10), {})
    try:
        box.start()
        code = '''
import os, subprocess
def main() -> int:
    return subprocess.Popen(["sleep", "300"], start_new_session=True).pid
'''
        from qflow.sandbox.run_node import prepare as prep
        node = prep(code)
        first = box.request({"id": "1", "code": code, "main": "main", "inputs": {}, "timeout": 10,
                             "output_names": ["result"]}, 10)
        assert first["status"] == "completed"
        probe = '''
import os
def main() -> list[str]:
    return sorted(open(f"/proc/{p}/comm").read().strip() for p in os.listdir("/proc") if p.isdigit())
'''
        second = box.request({"id": "2", "code": probe, "main": "main", "inputs": {}, "timeout": 10,
                              "output_names": ["result"]}, 10)
        assert second["status"] == "completed"
        assert "sleep" not in second["outputs"]["result"]
        assert node.signature["outputs"][0]["type"] == "int"
    finally:
        box.close()


def test_cpu_quota_holds_several_busy_processes_to_one_cpu(runner_image, no_leftover_containers):
    """Two processes spinning for 1.5 s of wall time get about 1.5 CPU-seconds between them (the
    container's quota is one CPU), not 3."""
    r = run('''
import os, time
def spin(until):
    while time.monotonic() < until:
        pass
def main() -> float:
    until = time.monotonic() + 1.5
    pid = os.fork()
    if pid == 0:
        spin(until)
        os._exit(0)
    spin(until)
    os.waitpid(pid, 0)
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system
''', cpus=1.0)
    assert r.status == "completed", r.error
    used = r.outputs["result"]
    assert 1.0 < used < 2.0, used


def test_privilege_escalation_attempts_fail(runner_image, no_leftover_containers):
    r = run('''
import ctypes, errno, os
def attempt(fn):
    try:
        fn()
        return "allowed"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
def mount():
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.mount(b"none", b"/tmp", b"tmpfs", 0, None) != 0:
        raise OSError(ctypes.get_errno(), "mount")
def main() -> dict[str, str]:
    return {
        "setuid": attempt(lambda: os.setuid(0)),
        "chown": attempt(lambda: os.chown("/tmp", 0, 0)),
        "mount": attempt(mount),
        "sysctl": attempt(lambda: open("/proc/sys/kernel/hostname", "w").write("x")),
        "raw_socket": attempt(lambda: __import__("socket").socket(17, 3)),
    }
''')
    assert r.status == "completed", r.error
    out = r.outputs["result"]
    assert "allowed" not in out.values(), out
    assert out["setuid"] == "EPERM" and out["mount"] == "EPERM"
