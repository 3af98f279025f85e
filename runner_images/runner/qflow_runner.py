"""The in-container runner: standard library only, runs on Python 3.9, 3.11 and 3.13.

It reads one JSON request per line on stdin and answers one JSON line per request on stdout. Each
request runs in a child forked from this pre-loaded process, so no interpreter state passes from one
node to the next and a warm container answers in milliseconds. The child's stdout and stderr go to a
pipe the runner caps, so nothing a node prints can forge a response line.

The runner is untrusted territory: the host treats every response as data from the sandbox, validates
outputs itself, and never unpickles anything.
"""

import json
import os
import resource
import selectors
import signal
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qflow_codec  # noqa: E402  (copied next to this file in the image)

PROTOCOL = 1
LOG_HEAD = 8192
LOG_TAIL = 8192
OOM_FILES = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")


def oom_kills():
    """The container cgroup's OOM-kill counter (v1 or v2): a rise across one child means the kernel
    killed something for memory, which `OOMKilled` alone misses when only a child dies."""
    for path in OOM_FILES:
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except OSError:
            continue
    return 0


class CappedLog:
    """Keeps the first and last bytes of a stream, counting what it drops in between."""

    def __init__(self):
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0

    def feed(self, data):
        room = LOG_HEAD - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > LOG_TAIL:
                cut = len(self.tail) - LOG_TAIL
                self.dropped += cut
                del self.tail[:cut]

    def text(self):
        out = self.head.decode("utf-8", "replace")
        if self.dropped:
            out += "\n… [%d bytes omitted] …\n" % self.dropped
        return out + self.tail.decode("utf-8", "replace")


def error(kind, message, tb=None):
    return {"type": kind, "message": message, "traceback": tb}


# ---------------------------------------------------------------- the child: runs one node


def load_module(code):
    import types

    module = types.ModuleType("node")
    module.__file__ = "node.py"
    # dataclasses and typing look the module up by name while the class body runs.
    sys.modules["node"] = module
    exec(compile(code, "node.py", "exec"), module.__dict__)
    return module


def fields_of(value, names):
    if isinstance(value, dict):
        missing = [n for n in names if n not in value]
        if missing:
            raise OutputError("returned dict lacks field(s) %s" % ", ".join(missing))
        return {n: value[n] for n in names}
    if hasattr(value, "_asdict"):
        return dict(value._asdict())
    if hasattr(value, "__dataclass_fields__"):
        return {n: getattr(value, n) for n in names}
    raise OutputError("expected an object with fields %s, got %s" % (", ".join(names), type(value).__name__))


class OutputError(Exception):
    pass


def user_traceback(e):
    """The traceback from the node's own frames on: the runner's frames tell the user nothing."""
    tb = e.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(e), e, tb))


def run_child(request, result_w):
    me = os.getpid()
    try:
        module = load_module(request["code"])
        main = getattr(module, request.get("main") or "main")
        inputs = qflow_codec.decode(request.get("inputs") or {})
        value = main(**inputs)
        if os.getpid() != me:  # a process the node forked returned from main: only the node answers
            os._exit(0)
        if hasattr(value, "__await__"):
            import asyncio

            async def wait(v):
                return await v

            value = asyncio.run(wait(value))
        if request.get("returns_fields"):
            outputs = fields_of(value, request.get("output_names") or [])
        elif request.get("output_names") == []:
            outputs = {}
        else:
            outputs = {"result": value}
        try:
            payload = {"ok": True, "outputs": qflow_codec.encode(outputs)}
        except Exception as e:  # a value the codec cannot carry across the boundary
            raise OutputError("cannot serialise output: %s" % e)
    except OutputError as e:
        payload = {"ok": False, "error": error("OutputValidationError", str(e))}
    except BaseException as e:  # noqa: BLE001 — SystemExit and KeyboardInterrupt are the node's too
        if os.getpid() != me:
            os._exit(1)
        tb = user_traceback(e)
        payload = {"ok": False, "error": error("NodeError", "%s: %s" % (type(e).__name__, e), tb)}
    data = json.dumps(payload).encode()
    view = memoryview(data)
    while view:
        try:
            n = os.write(result_w, view)
        except BrokenPipeError:  # the parent stopped reading: output over the limit
            break
        view = view[n:]


def child_main(request, result_w, log_w):
    os.setsid()
    try:  # under memory pressure the kernel must pick the node, not the runner
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log_w, 1)
    os.dup2(log_w, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    workdir = "/tmp/node-%s" % (request.get("id") or os.getpid())
    os.makedirs(workdir, exist_ok=True)
    os.chdir(workdir)
    code = 0
    try:
        run_child(request, result_w)
    except BaseException:  # noqa: BLE001
        code = 70
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        os._exit(code)


# ---------------------------------------------------------------- the parent: supervises children


def kill_strays():
    """After each request, kill every process but init and this runner: a node that double-forked
    or called setsid must not outlive its request, even in a warm container."""
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            pid = int(entry)
            if pid not in (1, me):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break


def clean_tmp():
    """Files a node left in /tmp must not reach the next node of a warm container."""
    import shutil

    for entry in os.listdir("/tmp"):
        path = os.path.join("/tmp", entry)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass


def read_some(fd):
    """Bytes, b"" at EOF, or None when nothing is there right now."""
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None


def handle(request):
    timeout = float(request.get("timeout") or 60)
    output_limit = int(request.get("output_limit") or 16 * 1024 * 1024)
    result_r, result_w = os.pipe()
    log_r, log_w = os.pipe()
    oom_before = oom_kills()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(result_r)
        os.close(log_r)
        child_main(request, result_w, log_w)
    os.close(result_w)
    os.close(log_w)

    log = CappedLog()
    result = bytearray()
    outcome = None
    # The child's exit, not the pipes' EOF, ends the request: a process the node left behind may hold
    # the pipes open forever. A pidfd turns "the child exited" into a selectable event.
    pidfd = os.pidfd_open(pid)
    sel = selectors.DefaultSelector()
    sel.register(result_r, selectors.EVENT_READ, "result")
    sel.register(log_r, selectors.EVENT_READ, "log")
    sel.register(pidfd, selectors.EVENT_READ, "exit")
    for fd in (result_r, log_r):
        os.set_blocking(fd, False)
    deadline = started + timeout
    exited = False
    while not exited and not outcome:
        left = deadline - time.monotonic()
        if left <= 0:
            outcome = "timeout"
            break
        for key, _ in sel.select(left):
            if key.data == "exit":
                exited = True
                continue
            data = read_some(key.fd)
            if data is None:
                continue
            if not data:
                sel.unregister(key.fd)
            elif key.data == "log":
                log.feed(data)
            else:
                result += data
                if len(result) > output_limit:
                    outcome = "output"
    if outcome:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    else:  # the child is gone: take what it left in the pipes
        for fd, sink in ((result_r, result.extend), (log_r, log.feed)):
            while True:
                data = read_some(fd)
                if not data:
                    break
                sink(data)
                if len(result) > output_limit:
                    outcome = "output"
                    break
    sel.close()
    for fd in (result_r, log_r, pidfd):
        os.close(fd)
    _, status, usage = os.wait4(pid, 0)
    wall = time.monotonic() - started
    kill_strays()
    clean_tmp()

    response = {
        "id": request.get("id"),
        "outputs": None,
        "error": None,
        "logs": log.text(),
        "resource_usage": {
            "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 6),
            "peak_memory_bytes": usage.ru_maxrss * 1024,
            "wall_seconds": round(wall, 6),
        },
    }
    oom = oom_kills() > oom_before
    if outcome == "timeout":
        response["status"] = "timed_out"
        response["error"] = error("TimeLimitExceeded", "the node ran longer than %g s" % timeout)
    elif outcome == "output":
        response["status"] = "failed"
        response["error"] = error("OutputLimitExceeded", "the node's output exceeded %d bytes" % output_limit)
    elif oom:
        response["status"] = "failed"
        response["error"] = error("MemoryLimitExceeded", "the node was killed for exceeding its memory limit")
    elif not result:
        how = "signal %d" % os.WTERMSIG(status) if os.WIFSIGNALED(status) else "code %d" % os.WEXITSTATUS(status)
        response["status"] = "failed"
        response["error"] = error("NodeError", "the node's process ended with %s before returning" % how)
    else:
        try:
            payload = json.loads(result.decode())
        except ValueError as e:
            payload = {"ok": False, "error": error("SandboxError", "unreadable child result: %s" % e)}
        if payload.get("ok"):
            response["status"] = "completed"
            response["outputs"] = payload["outputs"]
        else:
            response["status"] = "failed"
            response["error"] = payload["error"]
    return response


def reply(obj):
    sys.__stdout__.write(json.dumps(obj) + "\n")
    sys.__stdout__.flush()


# Imported once here, so each forked child starts with them loaded (copy-on-write): what makes a
# warm container's node start in about a millisecond. A child's changes to them die with the child.
PRELOAD = ("typing", "dataclasses", "datetime", "decimal", "collections", "re", "math", "statistics",
           "json", "csv", "io", "uuid", "functools", "itertools", "enum", "types", "asyncio")


def preload():
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def request_lines():
    """Lines from stdin, read straight from fd 0 so `select` sees what is pending. The first time no
    request is waiting, the runner preloads: a one-off container answers its only request without
    paying for imports it will not use; a warm one preloads while it idles."""
    import select

    buf = b""
    preloaded = False
    while True:
        nl = buf.find(b"\n")
        if nl >= 0:
            line, buf = buf[:nl], buf[nl + 1:]
            yield line.decode("utf-8", "replace")
            continue
        if not preloaded and not select.select([0], [], [], 0)[0]:
            preload()
            preloaded = True
        data = os.read(0, 1 << 20)
        if not data:
            return
        buf += data


def main():
    # Children inherit nothing they could use to reach the runner's own stdin/stdout.
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    reply({"ready": True, "protocol": PROTOCOL, "python": "%d.%d" % sys.version_info[:2]})
    for line in request_lines():
        line = line.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
        except ValueError as e:
            reply({"status": "failed", "error": error("SandboxError", "bad request: %s" % e)})
            continue
        try:
            reply(handle(request))
        except Exception:  # the runner's own failure, reported rather than hidden
            reply({"id": request.get("id"), "status": "failed",
                   "error": error("SandboxError", "runner failure", traceback.format_exc())})


if __name__ == "__main__":
    main()
