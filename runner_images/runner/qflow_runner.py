"""The in-container runner: standard library only, runs on Python 3.9, 3.11 and 3.13.

It reads one JSON request per line on stdin and answers one JSON line per request on stdout. Three
kinds of process, all uid 65534:

- the supervisor (this script, PID 1 of the container): reads requests, writes answers, enforces each
  node's timeout and output limit, accounts its usage and cleans up after it. As PID 1 no signal sent
  from inside the container reaches it, and it is not dumpable, so a node can neither ptrace it nor
  open its memory or its stdout (/proc/1/mem, /proc/1/fd/1) to forge answers for later nodes;
- the zygote: forked before the first request (re-executed from scratch should it die), it preloads
  common modules while idle and forks one child per request. It never reads a request, so a child
  inherits no earlier node's data — only the preloaded modules (copy-on-write);
- the child: reads its own request from a pipe, runs the node with stdout/stderr on a capped log pipe,
  and writes its result to a result pipe; every process it leaves is killed after the request.

So no interpreter state passes from one node to the next and a warm container answers in a
millisecond or so. The host still treats every answer as data from the sandbox: it validates outputs
itself and never unpickles anything.
"""

import ctypes
import json
import os
import resource
import selectors
import signal
import socket
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import qflow_codec  # noqa: E402  (copied next to this file in the image)

PROTOCOL = 1
LOG_HEAD = 8192
LOG_TAIL = 8192
OOM_FILES = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")
PR_SET_DUMPABLE = 4
ZYGOTE_TIMEOUT = 2.0  # seconds the supervisor waits for the zygote (the host allows 5 s of grace)
REAP_SECONDS = 0.5  # how often PID 1 reaps orphans while a node runs
# Places a node can leave files in, other than its own /tmp/node-<id> (all of /tmp is emptied).
SHARED_DIRS = ("/tmp", "/dev/shm", "/dev/mqueue")
_libc = None


def libc():
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    return _libc


def set_dumpable(flag):
    """Not dumpable: no process of the same uid may ptrace this one or open its /proc/<pid>/mem or
    /proc/<pid>/fd. Inherited across fork, reset by exec."""
    if libc().prctl(PR_SET_DUMPABLE, 1 if flag else 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE)")


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


def call_main(main, inputs):
    """main(**inputs), except that positional-only parameters are passed by position (SPEC §3 lists
    them as inputs like any other), a missing one with a default taking its default."""
    code = getattr(main, "__code__", None)
    if code is not None and not code.co_posonlyargcount and not hasattr(main, "__wrapped__"):
        return main(**inputs)
    import inspect

    args = []
    for p in inspect.signature(main).parameters.values():
        if p.kind is not p.POSITIONAL_ONLY:
            break
        if p.name in inputs:
            args.append(inputs.pop(p.name))
        elif p.default is not p.empty:
            args.append(p.default)
        else:
            break  # missing and required: Python says so
    return main(*args, **inputs)


def run_child(request, result_w):
    me = os.getpid()
    try:
        module = load_module(request["code"])
        main = getattr(module, request.get("main") or "main")
        inputs = qflow_codec.decode(request.get("inputs") or {})
        value = call_main(main, inputs)
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
            data = json.dumps({"ok": True, "outputs": qflow_codec.encode(outputs)}).encode()
        except Exception as e:  # a value the codec (or JSON) cannot carry across the boundary
            raise OutputError("cannot serialise output: %s" % e)
    except OutputError as e:
        data = json.dumps({"ok": False, "error": error("OutputValidationError", str(e))}).encode()
    except BaseException as e:  # noqa: BLE001 — SystemExit and KeyboardInterrupt are the node's too
        if os.getpid() != me:
            os._exit(1)
        tb = user_traceback(e)
        data = json.dumps({"ok": False, "error": error("NodeError", "%s: %s" % (type(e).__name__, e), tb)}).encode()
    view = memoryview(data)
    while view:
        try:
            n = os.write(result_w, view)
        except BrokenPipeError:  # the parent stopped reading: output over the limit
            break
        view = view[n:]


def read_all(fd):
    chunks = []
    while True:
        data = os.read(fd, 1 << 20)
        if not data:
            return b"".join(chunks)
        chunks.append(data)


def child_main(request_r, result_w, log_w):
    os.setsid()
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    # Dumpable again, so that the node may read its own /proc/self files (fd, mem, environ are the
    # owner's only). Only its own descendants share its uid now: no process of an earlier node is
    # left (`kill_strays` makes sure, or the container ends), and the runner is not dumpable.
    set_dumpable(True)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.dup2(log_w, 1)
    os.dup2(log_w, 2)
    sys.stdout = os.fdopen(1, "w", buffering=1)
    sys.stderr = os.fdopen(2, "w", buffering=1)
    # The runner started with -I -S; the node imports its requirements from the dependency layer.
    sys.path[:0] = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    code = 0
    try:
        request = json.loads(read_all(request_r).decode("utf-8", "replace"))
        os.close(request_r)
        workdir = "/tmp/node-%s" % (request.get("id") or os.getpid())
        os.makedirs(workdir, exist_ok=True)
        os.chdir(workdir)
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


# ---------------------------------------------------------------- the zygote: forks the children


# Imported once in the zygote, so each forked child starts with them loaded (copy-on-write): what makes
# a warm container's node start in about a millisecond. A child's changes to them die with the child.
PRELOAD = ("typing", "dataclasses", "datetime", "decimal", "collections", "re", "math", "statistics",
           "json", "csv", "io", "uuid", "functools", "itertools", "enum", "types", "asyncio")


def preload():
    import importlib

    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError:
            pass


def zygote_main(sock):
    """Per b"S" on `sock`: three pipes and a child; the supervisor gets the child's pid and the pipes'
    other ends, then the child's exit status and usage. After its first child, the first time no
    command is waiting, the zygote preloads: a one-off container runs its only node without paying
    for imports it will not use (nor waits for them); a warm one preloads while it idles."""
    import select

    try:  # the OOM killer's first choice, passed on to every child: the node dies, not the runner
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass
    set_dumpable(False)  # only now: a process that is not dumpable cannot write its own oom_score_adj
    # The runner starts with -S (no site module, so no package's start-up hook runs in it): give the
    # nodes the builtins `site` would have added — exit(), quit(), help() — and nothing else.
    import site

    site.setquit()
    site.setcopyright()
    site.sethelper()
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):  # nothing forked from here may hold the container's stdin/stdout
        os.dup2(devnull, fd)
    preloaded = served = False
    while True:
        if served and not preloaded and not select.select([sock], [], [], 0)[0]:
            preload()
            preloaded = True
        try:
            command = sock.recv(16)
        except OSError:
            command = b""
        if command != b"S":
            os._exit(0)  # the supervisor is gone or confused: it starts another zygote
        request_r, request_w = os.pipe()
        result_r, result_w = os.pipe()
        log_r, log_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            sock.close()
            for fd in (request_w, result_r, log_r):
                os.close(fd)
            child_main(request_r, result_w, log_w)
        for fd in (request_r, result_w, log_w):
            os.close(fd)
        try:
            socket.send_fds(sock, [b"%d" % pid], [request_w, result_r, log_r])
        finally:
            for fd in (request_w, result_r, log_r):
                os.close(fd)
        _, status, usage = os.wait4(pid, 0)
        served = True
        sock.send(json.dumps({"status": status, "cpu": usage.ru_utime + usage.ru_stime,
                              "maxrss": usage.ru_maxrss}).encode())


class ZygoteBroken(Exception):
    pass


class Zygote:
    """The supervisor's handle on its zygote. The first is forked (nothing has been read yet); a
    replacement is a fresh interpreter, because by then this process has held requests."""

    def __init__(self):
        self.pid = None
        self.sock = None

    def start(self, fresh):
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pid = os.fork()
        if pid == 0:
            mine.close()
            if fresh:
                theirs.set_inheritable(True)
                os.execv(sys.executable, [sys.executable, "-I", "-S", "-B", os.path.abspath(__file__),
                                          "--zygote", str(theirs.fileno())])
            zygote_main(theirs)
        theirs.close()
        self.pid, self.sock = pid, mine
        mine.settimeout(ZYGOTE_TIMEOUT)

    def restart(self):
        self.stop()
        self.start(fresh=True)

    def stop(self):
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.waitpid(self.pid, 0)
            except ChildProcessError:
                pass
        if self.sock is not None:
            self.sock.close()
        self.pid = self.sock = None

    def spawn(self):
        """A new child: (pid, request_w, result_r, log_r)."""
        try:
            self.sock.send(b"S")
            msg, fds, _, _ = socket.recv_fds(self.sock, 64, 3)
            pid = int(msg)
        except (OSError, ValueError) as e:
            raise ZygoteBroken("the zygote did not answer: %s" % e)
        if len(fds) != 3:
            raise ZygoteBroken("the zygote sent %d descriptors" % len(fds))
        return (pid,) + tuple(fds)

    def report(self):
        """The child's wait4 status and usage, once it has exited."""
        try:
            return json.loads(self.sock.recv(4096))
        except (OSError, ValueError) as e:
            raise ZygoteBroken("the zygote did not report: %s" % e)


# ---------------------------------------------------------------- the supervisor


def kill_strays(keep):
    """After each request, kill every process but this one and the zygote: a node that double-forked
    or called setsid must not outlive its request, even in a warm container. Then reap them: as PID
    1, the supervisor inherits every orphan."""
    keep = set(keep) | {os.getpid()}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) not in keep:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass
    for _ in range(5):  # a killed process's own children are handed to us a moment later
        orphans = [pid for pid in children() if pid not in keep]  # the zygote's end is noticed elsewhere
        if not orphans:
            break
        for pid in orphans:
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ChildProcessError, OSError):
                pass
    left = [e for e in os.listdir("/proc") if e.isdigit() and int(e) not in keep]
    if left:  # the next node must not meet a process of this one: the caller fails closed
        raise RuntimeError("processes of the node survived: %s" % ", ".join(left))


def reap_orphans(keep):
    """Reap exited orphans (handed to PID 1 when their parent died) without waiting: zombies would
    count against the pids limit of the node that is still running."""
    for pid in children():
        if pid not in keep:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def children():
    """This process's children, zombies included (from /proc: their parent pid)."""
    me = str(os.getpid())
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry) as f:
                    if f.read().rsplit(")", 1)[1].split()[1] == me:
                        out.append(int(entry))
            except (OSError, IndexError):
                pass
    return out


def _remove(path):
    import shutil
    import stat

    def unlock(func, p, _exc):
        # A directory a node made unreadable (mode 000): we own it, so give ourselves access again.
        try:
            os.chmod(os.path.dirname(p), stat.S_IRWXU)
            if os.path.isdir(p) and not os.path.islink(p):
                os.chmod(p, stat.S_IRWXU)
            func(p)
        except OSError:
            pass

    try:
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, stat.S_IRWXU)
            shutil.rmtree(path, onerror=unlock)
        else:
            os.unlink(path)
    except OSError:
        pass


def clean_shared_state():
    """What a node left where the next node of a warm container could see it: files in /tmp,
    /dev/shm and /dev/mqueue, and System V shared memory, semaphores and message queues (the
    container's IPC namespace is its own, but it outlives each node)."""
    for folder in SHARED_DIRS:
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for entry in entries:
            _remove(os.path.join(folder, entry))
    for kind, remove in (("shm", lambda i: libc().shmctl(i, 0, None)),
                         ("sem", lambda i: libc().semctl(i, 0, 0)),
                         ("msg", lambda i: libc().msgctl(i, 0, None))):  # 0 = IPC_RMID
        try:
            with open("/proc/sysvipc/" + kind) as f:
                ids = [int(line.split()[1]) for line in f.readlines()[1:] if line.strip()]
        except (OSError, ValueError, IndexError):
            continue
        for ipc_id in ids:
            remove(ipc_id)


class Baseline:
    """What the supervisor and the zygote were at start, as far as a process of the same uid can
    change it: resource limits, priority, scheduling policy and CPU affinity."""

    LIMITS = [getattr(resource, n) for n in dir(resource) if n.startswith("RLIMIT_")]

    def __init__(self):
        self.limits = {r: resource.getrlimit(r) for r in self.LIMITS}
        self.nice = os.getpriority(os.PRIO_PROCESS, 0)
        self.policy = os.sched_getscheduler(0)
        self.affinity = os.sched_getaffinity(0)

    def restore_self(self):
        """Soft limits go back up (hard ones can only have been lowered: then fail closed)."""
        for r, want in self.limits.items():
            if resource.getrlimit(r) != want:
                resource.setrlimit(r, want)  # raises when the hard limit was lowered
        if (os.getpriority(os.PRIO_PROCESS, 0), os.sched_getscheduler(0)) != (self.nice, self.policy):
            raise RuntimeError("a node changed the supervisor's priority or scheduling")
        if os.sched_getaffinity(0) != self.affinity:
            os.sched_setaffinity(0, self.affinity)

    def same(self, pid):
        """Is the process running (not stopped) with this baseline?"""
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] not in ("S", "R", "D"):
                    return False
            return (all(resource.prlimit(pid, r) == want for r, want in self.limits.items())
                    and os.getpriority(os.PRIO_PROCESS, pid) == self.nice
                    and os.sched_getscheduler(pid) == self.policy
                    and os.sched_getaffinity(pid) == self.affinity)
        except (OSError, IndexError):
            return False


def read_some(fd):
    """Bytes, b"" at EOF, or None when nothing is there right now."""
    try:
        return os.read(fd, 65536)
    except BlockingIOError:
        return None


def handle(request, line, zygote, baseline):
    timeout = float(request.get("timeout") or 60)
    output_limit = int(request.get("output_limit") or 16 * 1024 * 1024)
    oom_before = oom_kills()
    try:
        pid, request_w, result_r, log_r = zygote.spawn()
    except ZygoteBroken:  # checked after the last request, so no node did this: the OOM killer, say
        zygote.restart()
        pid, request_w, result_r, log_r = zygote.spawn()
    started = time.monotonic()

    log = CappedLog()
    result = bytearray()
    outcome = None
    pending = memoryview(line)
    # The child's exit, not the pipes' EOF, ends the request: a process the node left behind may hold
    # the pipes open forever. A pidfd turns "the child exited" into a selectable event.
    sel = selectors.DefaultSelector()
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:  # it has exited (and been reaped by the zygote) already
        pidfd = None
    exited = pidfd is None
    for fd in (request_w, result_r, log_r):
        os.set_blocking(fd, False)
    sel.register(request_w, selectors.EVENT_WRITE, "request")
    sel.register(result_r, selectors.EVENT_READ, "result")
    sel.register(log_r, selectors.EVENT_READ, "log")
    if pidfd is not None:
        sel.register(pidfd, selectors.EVENT_READ, "exit")
    deadline = started + timeout
    reaped_at = started
    while not exited and not outcome:
        now = time.monotonic()
        left = deadline - now
        if left <= 0:
            outcome = "timeout"
            break
        if now - reaped_at >= REAP_SECONDS:
            reap_orphans(keep=[zygote.pid])
            reaped_at = now
        for key, _ in sel.select(min(left, REAP_SECONDS)):
            if key.data == "exit":
                exited = True
            elif key.data == "request":
                try:
                    n = os.write(request_w, pending)
                except BlockingIOError:
                    continue
                except BrokenPipeError:  # the child is gone before reading it all
                    n = len(pending)
                pending = pending[n:]
                if not pending:
                    sel.unregister(request_w)
                    os.close(request_w)
                    request_w = None
            else:
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
        for kill in (os.killpg, os.kill):  # killpg misses a child killed before its setsid
            try:
                kill(pid, signal.SIGKILL)
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
    for fd in (request_w, result_r, log_r, pidfd):
        if fd is not None:
            os.close(fd)
    try:
        report = zygote.report()
    except ZygoteBroken:
        report = {"status": 9, "cpu": 0.0, "maxrss": 0}
        zygote.stop()
    status = report["status"]
    wall = time.monotonic() - started
    # Before the next request: this process's own limits as they were (a node may lower a same-uid
    # process's soft limits), no process of the node left, then a zygote that is as it was started
    # (not stopped, same limits, priority, scheduling) — or a fresh one — and no files left.
    baseline.restore_self()
    kill_strays(keep=[zygote.pid] if zygote.pid else [])
    if zygote.pid is None or not baseline.same(zygote.pid):
        zygote.restart()
    clean_shared_state()

    response = {
        "id": request.get("id"),
        "outputs": None,
        "error": None,
        "logs": log.text(),
        "resource_usage": {
            "cpu_seconds": round(report["cpu"], 6),
            "peak_memory_bytes": report["maxrss"] * 1024,
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


def request_lines():
    """Raw request lines from stdin (fd 0)."""
    buf = b""
    while True:
        nl = buf.find(b"\n")
        if nl >= 0:
            line, buf = buf[:nl], buf[nl + 1:]
            yield line
            continue
        data = os.read(0, 1 << 20)
        if not data:
            return
        buf += data


def main():
    # A child that wrote to a pipe nobody reads raises; the supervisor must never die of SIGPIPE.
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    zygote = Zygote()
    zygote.start(fresh=False)  # before the next line: the zygote sets its oom_score_adj while it can
    set_dumpable(False)
    baseline = Baseline()
    reply({"ready": True, "protocol": PROTOCOL, "python": "%d.%d" % sys.version_info[:2]})
    for line in request_lines():
        if not line.strip():
            continue
        try:
            request = json.loads(line.decode("utf-8", "replace"))
        except ValueError as e:
            reply({"status": "failed", "error": error("SandboxError", "bad request: %s" % e)})
            continue
        try:
            reply(handle(request, line, zygote, baseline))
        except BaseException:  # noqa: BLE001
            # Fail closed: the supervisor cannot vouch for this container any more (a node may have
            # lowered its limits so that cleaning up failed, and a process it left may be alive).
            # PID 1's exit makes the kernel kill everything in the container; the host sees the
            # stream end and retires it.
            sys.stderr.write("runner failure:\n" + traceback.format_exc())
            sys.stderr.flush()
            os._exit(70)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--zygote":
        zygote_main(socket.socket(fileno=int(sys.argv[2])))
    else:
        main()
