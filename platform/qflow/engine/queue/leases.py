"""Liveness of queue workers as other hosts see it: a key in Redis that each worker renews.

The reaper knows a dead owner on its own host by its pid. A worker on another host — in practice a
worker in a container that shares the host's Docker engine (docker-compose) — has a pid it cannot
see; without this, a crashed worker's pre-started and execution containers would run forever.

A lease missing once proves little (Redis may have restarted without it, and its owner renews it a
second later); an owner counts as gone when its lease was missing at two checks at least `ttl`
seconds apart, while a live owner renews it every few seconds.
"""

from __future__ import annotations

import logging
import threading
import time

log = logging.getLogger("qflow.engine")
PREFIX = "qflow:lease:"
DEPLOYMENT_KEY = "qflow:deployment"


def deployment_id(connection) -> str:
    """The id of the deployment this Redis serves, made by the first worker that asks: containers are
    labelled with it, so that a reaper judges by lease only the containers whose leases it can see."""
    import uuid

    connection.set(DEPLOYMENT_KEY, uuid.uuid4().hex, nx=True)
    value = connection.get(DEPLOYMENT_KEY)
    return value.decode() if isinstance(value, bytes) else str(value)


def lease_key(identity: str) -> str:
    return PREFIX + identity


class WorkerLeases:
    def __init__(self, connection, identity: str, ttl: float):
        self.connection = connection
        self.identity = identity
        self.ttl = ttl
        self._missing_since: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def renew(self) -> None:
        self.connection.set(lease_key(self.identity), "1", px=int(self.ttl * 1000))

    def hold(self) -> None:
        """Renew the lease now, then every ttl/4 from a thread of its own: a slow reconcile or Docker
        call elsewhere in the worker must not let it lapse."""
        self._thread = threading.Thread(target=self._renew_loop, name="qflow-lease", daemon=True)
        self._thread.start()
        self.renew()

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.ttl / 4):
            try:
                self.renew()
            except Exception as e:  # noqa: BLE001 — Redis away: try again; the lease lapses only after ttl
                log.warning("renewing the worker lease failed: %s", e)

    def release(self) -> None:
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join(timeout=5)
        self._thread = None
        self.connection.delete(lease_key(self.identity))

    def gone(self, identities: set[str], now: float | None = None) -> set[str]:
        """Those of `identities` whose lease has been missing for at least `ttl` seconds of checks."""
        now = time.monotonic() if now is None else now
        wanted = sorted(identities - {self.identity})
        present = self.connection.mget([lease_key(i) for i in wanted]) if wanted else []
        missing = {i for i, v in zip(wanted, present) if v is None}
        self._missing_since = {i: self._missing_since.get(i, now) for i in missing}
        return {i for i, since in self._missing_since.items() if now - since >= self.ttl}
