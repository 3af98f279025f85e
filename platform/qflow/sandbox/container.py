"""One hardened runner container, spoken to over Docker's attach socket.

The container runs `qflow_runner.py`, which answers one JSON line per request. Without a TTY the attach
stream is multiplexed: every chunk carries Docker's 8-byte header (stream id, 3 zero bytes, big-endian
length), so this module demultiplexes it and keeps only stdout for the protocol.

The platform enforces every limit itself: the runner kills a node at its timeout, and if the runner
does not answer by then plus a grace period the container is killed from here — docker-py's
`wait(timeout=)` is only an HTTP timeout and would leave it running (docker-py #1966).
"""

from __future__ import annotations

import json
import socket
import struct
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone

import docker
import docker.errors
from docker.types import Ulimit

OWNER_LABEL = "org.qflow.owner"
EXECUTION_LABEL = "org.qflow.execution"
WORKER_LABEL = "org.qflow.worker"
# Set on containers of a process that renews a liveness lease in Redis (a queue worker), so a reaper on
# another host — workers in containers sharing one engine — can tell that their owner is gone.
LEASE_LABEL = "org.qflow.lease"
# -I -S: no PYTHONPATH, user site or site module for the runner itself — a dependency layer's packages
# are on PYTHONPATH, and a sitecustomize among them would otherwise run in PID 1 before the runner.
RUNNER_COMMAND = ["python3", "-I", "-S", "-B", "/opt/qflow/qflow_runner.py"]
GRACE_SECONDS = 5.0
READY_BYTES = 4096
ANSWER_SLACK_BYTES = 1 << 20
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class Limits:
    timeout_seconds: float = 60.0
    memory_mb: int = 256
    pids: int = 64
    output_bytes: int = 16 * 1024 * 1024
    tmp_mb: int = 64
    cpus: float = 1.0
    nofile: int = 256

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 1024 * 1024


@dataclass
class ContainerRecord:
    """What the database keeps of a container's life."""

    docker_id: str
    image: str
    limits: Limits
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    exit_code: int | None = None
    oom_killed: bool = False
    status: str = "created"
    isolation: str = "node"
    cpu_seconds: float | None = None
    peak_memory_bytes: int | None = None
    labels: dict[str, str] = field(default_factory=dict)

    def add_usage(self, usage: dict) -> None:
        """A warm container runs many nodes: CPU adds up, peak memory is the highest seen."""
        if usage.get("cpu_seconds") is not None:
            self.cpu_seconds = (self.cpu_seconds or 0.0) + usage["cpu_seconds"]
        if usage.get("peak_memory_bytes") is not None:
            self.peak_memory_bytes = max(self.peak_memory_bytes or 0, usage["peak_memory_bytes"])


class SandboxFailure(RuntimeError):
    """The platform's own failure around a container (reported as `SandboxError`)."""


class RunnerGone(SandboxFailure):
    """The runner's stream ended: the container stopped (killed for memory, or crashed)."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def hardened_options(limits: Limits) -> dict:
    """The create() options every runner container gets; see docs/ARCHITECTURE.md (sandbox)."""
    return dict(
        command=RUNNER_COMMAND,
        stdin_open=True,
        tty=False,
        network_mode="none",
        user="65534:65534",
        read_only=True,
        tmpfs={"/tmp": f"rw,nosuid,nodev,size={limits.tmp_mb}m,mode=1777"},
        cap_drop=["ALL"],
        security_opt=["no-new-privileges"],
        pids_limit=limits.pids,
        mem_limit=limits.memory_bytes,
        memswap_limit=limits.memory_bytes,  # equal: no swap to hide in
        nano_cpus=int(limits.cpus * 1e9),
        ulimits=[Ulimit(name="nofile", soft=limits.nofile, hard=limits.nofile),
                 Ulimit(name="fsize", soft=limits.tmp_mb * 1024 * 1024, hard=limits.tmp_mb * 1024 * 1024),
                 Ulimit(name="core", soft=0, hard=0)],
        # No docker-init: the runner is PID 1 and reaps what it inherits. PID 1 gets no signal sent
        # from inside the container, and an init of the node's uid would be dumpable: a node could
        # write to its stdout (the attach stream) through /proc/1/fd/1.
        init=False,
        environment={},  # the image's own ENV only; nothing of the host's
        working_dir="/tmp",
        hostname="sandbox",
        ipc_mode="private",
        detach=True,
    )


class RunnerContainer:
    def __init__(self, client: docker.DockerClient, image: str, limits: Limits, labels: dict[str, str]):
        self.client = client
        self.limits = limits
        labels = {OWNER_LABEL: "qflow", **labels}
        try:
            self.container = client.containers.create(image, labels=labels, **hardened_options(limits))
        except docker.errors.ImageNotFound as e:
            raise SandboxFailure(f"runner image {image} is missing: run `make demo` or "
                                 f"`python -m qflow.sandbox.images` to build it") from e
        except docker.errors.APIError as e:
            raise SandboxFailure(f"could not create a container from {image}: {e.explanation or e}") from e
        self.record = ContainerRecord(docker_id=self.container.id, image=image, limits=limits,
                                      created_at=_now(), labels=labels)
        self._sock: socket.socket | None = None
        self._raw = bytearray()  # undemultiplexed bytes
        self._stdout = bytearray()  # demultiplexed stdout, not yet split into lines
        self.stderr = bytearray()
        self.ready: dict | None = None
        self._cap = READY_BYTES  # bytes of stdout allowed before the line that ends the answer

    # -- life cycle

    def start(self) -> dict:
        attached = self.container.attach_socket(params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
        self._sock = attached._sock
        self._keep = attached  # keep the HTTP response alive for the socket's lifetime
        self.container.start()
        self.record.started_at = _now()
        self.record.status = "running"
        self._cap = READY_BYTES
        try:
            line = self._read_line(time.monotonic() + START_TIMEOUT)
            self.ready = json.loads(line) if line is not None else None
        except (RunnerGone, ValueError):
            self.ready = None
        if not isinstance(self.ready, dict) or not self.ready.get("ready"):
            raise SandboxFailure(f"the runner did not start: {self.stderr.decode(errors='replace')[-500:]}")
        return self.ready

    def request(self, payload: dict, timeout: float) -> dict | None:
        """Send one request; the runner's answer, or None when it did not answer in time. Raises
        RunnerGone when the container stopped, SandboxFailure for an answer that is not this request's
        (too big, not JSON, another id: the container must not be used again)."""
        assert self._sock is not None
        # A runner answers with the outputs (JSON-escaped: up to 3x), logs and a little more.
        self._cap = 3 * int(payload.get("output_limit") or self.limits.output_bytes) + ANSWER_SLACK_BYTES
        self._sock.sendall(json.dumps(payload).encode() + b"\n")
        line = self._read_line(time.monotonic() + timeout + GRACE_SECONDS)
        if line is None:
            return None
        try:
            answer = json.loads(line)
        except (ValueError, RecursionError) as e:
            raise SandboxFailure(f"the runner's answer is not readable JSON: {str(e)[:200]}") from None
        if not isinstance(answer, dict) or answer.get("id") != payload.get("id"):
            raise SandboxFailure("the runner answered something other than this request")
        return answer

    def close(self, inspect: bool = True) -> ContainerRecord:
        """Kill and remove the container. With `inspect`, read its exit state (OOMKilled, exit code)
        first — needed when it stopped answering, skipped after a clean answer to save a round trip.
        Idempotent."""
        if self.record.status in ("removed", "failed"):
            return self.record
        try:
            if self._sock is not None:
                self._sock.close()
            if inspect:
                try:
                    self.container.kill()
                except docker.errors.APIError:
                    pass  # already exited
                state = self.client.api.inspect_container(self.container.id)["State"]
                self.record.exit_code = state.get("ExitCode")
                self.record.oom_killed = bool(state.get("OOMKilled"))
        finally:
            try:
                self.container.remove(force=True)
                self.record.status = "removed"
            except docker.errors.NotFound:
                self.record.status = "removed"
            except docker.errors.APIError:
                self.record.status = "failed"
            self.record.finished_at = _now()
        return self.record

    def died_of_oom(self) -> bool:
        try:
            state = self.client.api.inspect_container(self.container.id)["State"]
        except docker.errors.APIError:
            return False
        return bool(state.get("OOMKilled")) or (not state.get("Running") and state.get("ExitCode") == 137)

    # -- the multiplexed stream

    def _read_line(self, deadline: float) -> bytes | None:
        while True:
            nl = self._stdout.find(b"\n")
            if nl >= 0:
                line = bytes(self._stdout[:nl])
                del self._stdout[: nl + 1]
                return line
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self._sock.settimeout(left)
            try:
                chunk = self._sock.recv(65536)
            except (socket.timeout, TimeoutError):
                return None
            if not chunk:
                raise RunnerGone("the runner's container stopped")
            self._raw += chunk
            self._demux()
            if len(self._stdout) > self._cap:
                raise SandboxFailure(f"the runner sent more than {self._cap} bytes without ending its answer")

    def _demux(self) -> None:
        while len(self._raw) >= 8:
            stream, size = self._raw[0], struct.unpack(">I", self._raw[4:8])[0]
            if len(self._raw) < 8 + size:
                return
            data = bytes(self._raw[8: 8 + size])
            del self._raw[: 8 + size]
            if stream == 1:
                self._stdout += data
            elif len(self.stderr) < 65536:
                self.stderr += data
