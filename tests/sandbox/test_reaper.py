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
    assert owner_alive("some-other-host/1:1:1") is None
    host, pid, start = worker_identity().rsplit(":", 2)
    hostname = host.split("/")[0]
    # Same hostname, another pid namespace (a container with host networking): not judged by pid.
    assert owner_alive(f"{hostname}/1:{pid}:{start}") is None


def test_a_zombie_owner_is_dead():
    import os
    import time

    pid = os.fork()
    if pid == 0:
        os._exit(0)
    try:
        time.sleep(0.2)  # exited, not yet waited for: a zombie
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        assert fields[0] == "Z"
        host = worker_identity().rsplit(":", 2)[0]
        assert owner_alive(f"{host}:{pid}:{fields[19]}") is False
    finally:
        os.waitpid(pid, 0)


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
    dead, alive, unleased, other = (f"host-{name}-{tag}/1:1:1" for name in ("dead", "alive", "unleased", "other"))
    conn.set(lease_key(alive), "1", ex=60)
    leases = WorkerLeases(conn, worker_identity(), ttl=10)
    clock = [1000.0]
    ours = f"deployment-{tag}"

    def gone(owners):
        return leases.gone(owners, now=clock[0])  # a clock the test moves

    def reap_here(**kw):
        return set(reap(docker_client, leases_gone=gone, deployment=ours, **kw))

    boxes = {dead: make(docker_client, runner_image, **{WORKER_LABEL: dead, LEASE_LABEL: ours}),
             alive: make(docker_client, runner_image, **{WORKER_LABEL: alive, LEASE_LABEL: ours}),
             unleased: make(docker_client, runner_image, **{WORKER_LABEL: unleased}),
             # Another deployment on the same engine: its lease is in a Redis this reaper does not read.
             other: make(docker_client, runner_image, **{WORKER_LABEL: other, LEASE_LABEL: "another-deployment"})}
    try:
        for box in boxes.values():
            box.start()
        assert not reap_here() & {b.id for b in boxes.values()}  # missing once
        clock[0] += 5
        assert not reap_here() & {b.id for b in boxes.values()}  # not for a ttl
        conn.delete(lease_key(alive))
        clock[0] += 5
        # The dead owner's lease has been missing for a ttl; the other's lease lapsed only now.
        assert reap_here() & {b.id for b in boxes.values()} == {boxes[dead].id}
        conn.set(lease_key(alive), "1", ex=60)  # renewed in time: its missing spell is forgotten
        clock[0] += 20
        assert not reap_here() & {boxes[alive].id, boxes[unleased].id, boxes[other].id}
        assert not set(reap(docker_client)) & {boxes[alive].id, boxes[unleased].id, boxes[other].id}
    finally:
        conn.delete(lease_key(alive))
        for box in boxes.values():
            try:
                box.remove(force=True)
            except Exception:  # noqa: BLE001 — already reaped
                pass
