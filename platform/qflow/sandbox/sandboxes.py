"""Where a node's request goes: a fresh container per node, or a warm container per execution.

Both hand out started `RunnerContainer`s and take them back. Every node still runs in a fresh process
forked from the runner, so no interpreter state passes from one node to the next; what the warm path
saves is the container's creation and start, and the interpreter's start-up.

- `FreshContainers`: one container per node, killed and removed after it (`isolation: node`). A
  `PrestartPool` may hand it containers that were started in the background, so the node does not
  wait for `docker create` + `start` + the runner's start-up.
- `ExecutionContainers`: one container per (image, container-level limits) for the whole execution
  (`isolation: execution`, the default); per-node timeout and output limit travel with each request.
  A container that stops answering is closed and replaced.
"""

from __future__ import annotations

import os
import queue
import socket
import threading
from dataclasses import dataclass, field

from concurrent.futures import Future, ThreadPoolExecutor

import docker

from qflow.sandbox.container import (
    EXECUTION_LABEL,
    LEASE_LABEL,
    WORKER_LABEL,
    ContainerRecord,
    Limits,
    RunnerContainer,
)


def host_part() -> str:
    """This process's host as identities name it: the hostname and the pid namespace (containers with
    host networking share the hostname, not the pids)."""
    try:
        ns = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        ns = 0
    return f"{socket.gethostname()}/{ns}"


def worker_identity() -> str:
    """host/pidns:pid:start-time — the reaper tells a dead owner from a reused pid by the start time."""
    try:
        with open(f"/proc/{os.getpid()}/stat") as f:
            start = f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        start = "0"
    return f"{host_part()}:{os.getpid()}:{start}"


_LEASE: dict[str, str] = {}


def hold_lease(deployment: str) -> None:
    """Declare that this process renews a liveness lease (`qflow.engine.queue.leases`) in the Redis of
    `deployment`: containers it makes from now on say so, and a reaper of the same deployment on
    another host may remove them once the lease is gone."""
    _LEASE[LEASE_LABEL] = deployment


def owner_labels() -> dict[str, str]:
    """The labels that name a container's owner for the reaper."""
    return {WORKER_LABEL: worker_identity(), **_LEASE}


def _container_key(image: str, limits: Limits) -> tuple:
    # What a container fixes at creation; timeout and output limit go with each request.
    return (image, limits.memory_mb, limits.pids, limits.cpus, limits.tmp_mb, limits.nofile)


@dataclass
class SandboxBase:
    client: docker.DockerClient
    labels: dict[str, str] = field(default_factory=dict)
    isolation: str = "node"

    def _labels(self) -> dict[str, str]:
        return {**owner_labels(), **self.labels}

    def _new(self, image: str, limits: Limits) -> RunnerContainer:
        box = RunnerContainer(self.client, image, limits, self._labels())
        box.record.isolation = self.isolation
        try:
            box.start()
        except BaseException:
            box.close()
            raise
        return box


class FreshContainers(SandboxBase):
    """After a clean answer the container's removal (~40 ms here) runs in the background, off the
    node's critical path; `close()` waits for every removal and returns the final records."""

    def __init__(self, client: docker.DockerClient, labels: dict[str, str] | None = None,
                 pool: "PrestartPool | None" = None):
        super().__init__(client, dict(labels or {}), "node")
        self.pool = pool
        self._closer: ThreadPoolExecutor | None = None
        self._pending: list[Future] = []

    def acquire(self, image: str, limits: Limits) -> RunnerContainer:
        if self.pool is not None:
            box = self.pool.take(image, limits)
            if box is not None:
                return box
        return self._new(image, limits)

    def release(self, box: RunnerContainer, healthy: bool) -> ContainerRecord:
        if not healthy:
            return box.close()
        if self._closer is None:
            self._closer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="qflow-remove")
        self._pending.append(self._closer.submit(box.close, False))
        return box.record

    def close(self) -> list[ContainerRecord]:
        pending, self._pending = self._pending, []
        records = [f.result() for f in pending]
        if self._closer is not None:
            self._closer.shutdown(wait=True)
            self._closer = None
        return records


class ExecutionContainers(SandboxBase):
    def __init__(self, client: docker.DockerClient, execution_id: str, labels: dict[str, str] | None = None):
        super().__init__(client, {EXECUTION_LABEL: execution_id, **(labels or {})}, "execution")
        self._idle: dict[tuple, list[RunnerContainer]] = {}
        self._all: list[RunnerContainer] = []
        self._lock = threading.Lock()

    def acquire(self, image: str, limits: Limits) -> RunnerContainer:
        key = _container_key(image, limits)
        with self._lock:
            idle = self._idle.get(key)
            if idle:
                return idle.pop()
        box = self._new(image, limits)
        with self._lock:
            self._all.append(box)
        return box

    def release(self, box: RunnerContainer, healthy: bool) -> ContainerRecord:
        if healthy:
            with self._lock:
                self._idle.setdefault(_container_key(box.record.image, box.limits), []).append(box)
            return box.record
        with self._lock:
            self._all.remove(box)
            for boxes in self._idle.values():
                if box in boxes:
                    boxes.remove(box)
        return box.close()

    def close(self) -> list[ContainerRecord]:
        """Kill and remove every container of the execution; their final records."""
        with self._lock:
            boxes, self._all, self._idle = self._all, [], {}
        return [b.close() for b in boxes]


class PrestartPool:
    """Keeps `size` started containers ready per (image, limits) that were asked for before, refilled
    by a background thread. Pooled containers carry the worker label (the reaper removes them if
    this process dies) and are used once."""

    def __init__(self, size: int = 2, labels: dict[str, str] | None = None):
        self.size = size
        self.labels = {**owner_labels(), EXECUTION_LABEL: "pool", **(labels or {})}
        self._ready: dict[tuple, queue.SimpleQueue] = {}
        self._wanted: "queue.SimpleQueue[tuple[str, Limits] | None]" = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._thread = threading.Thread(target=self._fill, name="qflow-prestart", daemon=True)
        self._thread.start()

    def warm(self, image: str, limits: Limits) -> None:
        """Start filling the pool for this (image, limits) without waiting."""
        key = _container_key(image, limits)
        with self._lock:
            if key in self._ready:
                return
            self._ready[key] = queue.SimpleQueue()
        for _ in range(self.size):
            self._wanted.put((image, limits))

    def take(self, image: str, limits: Limits) -> RunnerContainer | None:
        key = _container_key(image, limits)
        self.warm(image, limits)
        try:
            box = self._ready[key].get_nowait()
        except queue.Empty:
            return None
        self._wanted.put((image, limits))  # replace what was taken
        return box

    def _fill(self) -> None:
        client = docker.from_env()
        while True:
            item = self._wanted.get()
            if item is None or self._closed:
                return
            image, limits = item
            try:
                box = RunnerContainer(client, image, limits, dict(self.labels))
                box.start()
            except Exception:  # noqa: BLE001 — the taker starts its own container instead
                continue
            if self._closed:
                box.close()
                return
            self._ready[_container_key(image, limits)].put(box)

    def close(self) -> None:
        self._closed = True
        self._wanted.put(None)
        self._thread.join(timeout=30)
        for q in self._ready.values():
            while True:
                try:
                    q.get_nowait().close()
                except queue.Empty:
                    break
