"""The reaper removes containers whose owner process died or whose execution ended, and nothing else."""

from __future__ import annotations

import subprocess
import sys

import pytest

from qflow.sandbox.container import EXECUTION_LABEL, OWNER_LABEL, WORKER_LABEL
from qflow.sandbox.reaper import owner_alive, reap
from qflow.sandbox.sandboxes import worker_identity

pytestmark = pytest.mark.docker


def dead_identity() -> str:
    code = "from qflow.sandbox.sandboxes import worker_identity; print(worker_identity())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def make(client, image, **labels):
    return client.containers.create(image, command=["sleep", "60"], labels={OWNER_LABEL: "qflow", **labels},
                                    network_mode="none")


def test_owner_alive():
    assert owner_alive(worker_identity()) is True
    assert owner_alive(dead_identity()) is False
    assert owner_alive("some-other-host:1:1") is None


def test_reaps_dead_owners_and_ended_executions_only(docker_client, runner_image, sqlite_url):
    from qflow.db.migrate import upgrade
    from qflow.db.models import WorkflowExecution
    from qflow.db.session import session_factory

    upgrade(sqlite_url)
    sessions = session_factory(sqlite_url)
    with sessions.begin() as s:
        done = WorkflowExecution(definition={}, params={}, status="completed")
        running = WorkflowExecution(definition={}, params={}, status="running")
        s.add_all([done, running])
    orphan = make(docker_client, runner_image, **{WORKER_LABEL: dead_identity()})
    mine = make(docker_client, runner_image, **{WORKER_LABEL: worker_identity()})
    finished = make(docker_client, runner_image, **{EXECUTION_LABEL: str(done.id)})
    live = make(docker_client, runner_image, **{EXECUTION_LABEL: str(running.id)})
    try:
        removed = set(reap(docker_client, sessions))
        assert orphan.id in removed and finished.id in removed
        assert mine.id not in removed and live.id not in removed
        left = {c.id for c in docker_client.containers.list(all=True, ignore_removed=True)}
        assert orphan.id not in left and finished.id not in left and mine.id in left and live.id in left
    finally:
        for c in (orphan, mine, finished, live):
            try:
                c.remove(force=True)
            except Exception:  # noqa: BLE001 — already reaped
                pass


def test_reaps_containers_that_exited_long_ago(docker_client, runner_image):
    """An exited container whose owner is alive (or on another host) is removed once past the grace."""
    c = docker_client.containers.create(runner_image, command=["true"], network_mode="none",
                                        labels={OWNER_LABEL: "qflow", WORKER_LABEL: "another-host:1:1"})
    try:
        c.start()
        c.wait(timeout=30)
        assert c.id not in reap(docker_client, exited_grace_seconds=3600)
        assert c.id in reap(docker_client, exited_grace_seconds=0)
    finally:
        try:
            c.remove(force=True)
        except Exception:  # noqa: BLE001 — already reaped
            pass


def test_an_owner_on_another_host_is_gone_when_its_lease_stays_missing(docker_client, runner_image, redis_url):
    """Workers on other hosts (containers sharing one engine) are judged by their lease in Redis: gone
    only when it was missing at two reaps a ttl apart; an owner with no lease is never judged so."""
    import uuid

    import redis

    from qflow.engine.queue.leases import WorkerLeases, lease_key
    from qflow.sandbox.container import LEASE_LABEL

    conn = redis.Redis.from_url(redis_url)
    tag = uuid.uuid4().hex[:8]
    dead, alive, unleased = (f"host-{name}-{tag}:1:1" for name in ("dead", "alive", "unleased"))
    conn.set(lease_key(alive), "1", ex=60)
    leases = WorkerLeases(conn, worker_identity(), ttl=10)
    clock = [1000.0]
    gone = lambda owners: leases.gone(owners, now=clock[0])  # noqa: E731 — a clock the test moves
    boxes = {dead: make(docker_client, runner_image, **{WORKER_LABEL: dead, LEASE_LABEL: "redis"}),
             alive: make(docker_client, runner_image, **{WORKER_LABEL: alive, LEASE_LABEL: "redis"}),
             unleased: make(docker_client, runner_image, **{WORKER_LABEL: unleased})}
    try:
        for box in boxes.values():
            box.start()
        assert not set(reap(docker_client, leases_gone=gone)) & {b.id for b in boxes.values()}  # missing once
        clock[0] += 5
        assert not set(reap(docker_client, leases_gone=gone)) & {b.id for b in boxes.values()}  # not for a ttl
        conn.delete(lease_key(alive))
        clock[0] += 5
        # The dead owner's lease has been missing for a ttl; the other's lease lapsed only now.
        assert set(reap(docker_client, leases_gone=gone)) & {b.id for b in boxes.values()} == {boxes[dead].id}
        conn.set(lease_key(alive), "1", ex=60)  # renewed in time: its missing spell is forgotten
        clock[0] += 20
        assert not set(reap(docker_client, leases_gone=gone)) & {boxes[alive].id, boxes[unleased].id}
        assert not set(reap(docker_client)) & {boxes[alive].id, boxes[unleased].id}
    finally:
        conn.delete(lease_key(alive))
        for box in boxes.values():
            try:
                box.remove(force=True)
            except Exception:  # noqa: BLE001 — already reaped
                pass
