"""In-process executions whose process died: a server takes over those users submitted (exactly one
server, by a compare-and-set), and `qflow run` fails only its own kind (no owner)."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest
from sqlalchemy import select

from qflow.sandbox.sandboxes import worker_identity


def dead_identity() -> str:
    code = "from qflow.sandbox.sandboxes import worker_identity; print(worker_identity())"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(params=["postgres", "sqlite"])
def sessions(request, tmp_path):
    from qflow.db.migrate import ensure_migrated
    from qflow.db.session import dispose_engine, get_engine, session_factory

    url = request.getfixturevalue("make_pg_database")() if request.param == "postgres" \
        else f"sqlite:///{tmp_path / 'orphans.db'}"
    ensure_migrated(url)
    get_engine(url)
    yield session_factory(url)
    dispose_engine(url)


def make(sessions, runner: str, owned: bool):
    from qflow.db.models import User
    from qflow.engine.queue import state

    owner = None
    if owned:
        with sessions.begin() as s:
            user = User(email=f"{runner.replace(':', '-')}-{len(runner)}@example.com", password_hash="x")
            s.add(user)
        owner = user.id
    eid = state.create_execution(sessions, definition={}, params={}, node_keys=["n"], node_version_ids={},
                                 queue="inprocess", owner_id=owner, runner_id=runner)
    with sessions.begin() as s:
        s.execute(state.EX.update().where(state.EX.c.id == eid).values(status="running"))
    return eid


def statuses(sessions) -> dict:
    from qflow.engine.queue import state

    with sessions() as s:
        return {r.id: (r.status, r.runner_id) for r in s.execute(select(state.EX.c.id, state.EX.c.status,
                                                                           state.EX.c.runner_id))}


def test_the_cli_fails_only_unowned_orphans_and_a_server_takes_over_the_rest(sessions):
    from qflow.engine.queue.orphans import abort_orphaned_inprocess, adopt_orphaned_inprocess, orphaned_inprocess

    dead = dead_identity()
    cli_run, api_run, alive = make(sessions, dead, owned=False), make(sessions, dead, owned=True), \
        make(sessions, worker_identity(), owned=True)
    assert {o.execution_id for o in orphaned_inprocess(sessions)} == {cli_run, api_run}
    assert abort_orphaned_inprocess(sessions, only_unowned=True) == [cli_run]
    me = worker_identity()
    assert adopt_orphaned_inprocess(sessions, me) == [api_run]
    got = statuses(sessions)
    assert got[cli_run][0] == "failed" and got[api_run] == ("running", me) and got[alive] == ("running", me)
    assert adopt_orphaned_inprocess(sessions, me) == []  # its runner (this process) is alive now
    from qflow.engine.queue import state

    with sessions() as s:
        ev = s.execute(select(state.EV.c.event_type, state.EV.c.payload)
                       .where(state.EV.c.execution_id == api_run)).all()
    assert [(e.event_type, e.payload) for e in ev] == [
        ("resumed", {"reason": "runner_lost", "previous_runner": dead, "runner": me})]


def test_of_two_servers_taking_over_at_once_exactly_one_wins(sessions):
    from qflow.engine.queue import state

    dead = dead_identity()
    eid = make(sessions, dead, owned=True)
    barrier, wins = threading.Barrier(8), []

    def take(n: int) -> None:
        barrier.wait()
        if state.take_runner(sessions, eid, f"server-{n}:1:1", dead):
            wins.append(n)

    threads = [threading.Thread(target=take, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    assert statuses(sessions)[eid] == ("running", f"server-{wins[0]}:1:1")
