"""The server's in-process executions (the embedded default, when no Redis is configured): each runs
in a thread of its own — not in Starlette's BackgroundTasks, whose threadpool (40 threads) serves
every request and would be held for as long as each execution runs — and a watcher takes over those
of a server process that died, whenever it finds them, not only at start."""

from __future__ import annotations

import logging
import threading
import uuid

log = logging.getLogger("qflow.api")

# The first look waits until the server is likely listening: a server that fails to bind its port
# exits before then, and must not have taken over anything.
FIRST_LOOK_SECONDS = 3.0
LOOK_EVERY_SECONDS = 10.0


def run_in_background(sessions, execution_id: uuid.UUID, settings) -> None:
    from qflow.engine.inprocess import run_execution

    def run() -> None:
        try:
            run_execution(sessions, execution_id, app_settings=settings)
        except Exception:  # noqa: BLE001 — the watcher takes the execution over once this process ends
            log.exception("running execution %s", execution_id)

    threading.Thread(target=run, name=f"qflow-run-{execution_id}", daemon=True).start()


def look_for_orphans(sessions, settings, reap_anyway: bool = False) -> list[uuid.UUID]:
    """Fail `qflow run`'s orphaned executions (nobody waits for them), take over and resume the ones
    users submitted, settle the lost nodes of ended ones, and remove the dead processes' containers
    (when one of those was found, or `reap_anyway`: a dead server may have left pre-started ones)."""
    from qflow.engine.queue.orphans import (
        abort_orphaned_inprocess,
        adopt_orphaned_inprocess,
        cancel_lost_nodes_of_ended,
    )
    from qflow.sandbox.sandboxes import worker_identity

    aborted = abort_orphaned_inprocess(sessions, only_unowned=True)
    adopted = adopt_orphaned_inprocess(sessions, worker_identity())
    settled = cancel_lost_nodes_of_ended(sessions, settings)
    if aborted or adopted or settled or reap_anyway:
        try:  # the dead process's containers: a resumed execution starts its own
            import docker

            from qflow.sandbox.reaper import reap

            reap(docker.from_env(), sessions)
        except Exception as e:  # noqa: BLE001 — no Docker now is every node's error later, not the server's
            log.warning("removing abandoned containers failed: %s", e)
    for execution_id in adopted:
        log.warning("resuming execution %s: the process that ran it ended", execution_id)
        run_in_background(sessions, execution_id, settings)
    return adopted


class OrphanWatch:
    def __init__(self, sessions, settings):
        self.sessions, self.settings = sessions, settings
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="qflow-orphans", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        wait, first = FIRST_LOOK_SECONDS, True
        while not self._stop.wait(wait):
            try:
                look_for_orphans(self.sessions, self.settings, reap_anyway=first)
                wait, first = LOOK_EVERY_SECONDS, False
            except Exception as e:  # noqa: BLE001 — the database blinked: look again later
                log.warning("looking for orphaned executions failed: %s", e)
