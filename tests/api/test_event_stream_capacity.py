"""Open event streams must not hold the server's worker threads: a sync stream that sleeps between
polls keeps one of the threadpool's 40 threads for as long as it is open, and the 41st client — and
every plain request after it — would wait. Tried against a real `qflow server` with more streams open
than there are threads."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from tests.api.server import Server, login

pytestmark = pytest.mark.docker

SLOW = "import time\n\ndef main() -> int:\n    time.sleep(60)\n    return 1\n"
STREAMS = 60  # anyio's default threadpool has 40 threads


def test_many_open_event_streams_leave_the_api_answering(tmp_path, runner_image, no_leftover_containers):
    server = Server(f"sqlite:///{tmp_path / 'qflow.db'}", tmp_path / "server.log")
    try:
        h = server.http
        login(h)
        node = h.post("/nodes", json={"name": "slow", "code": SLOW}).json()["id"]
        wf = h.post("/workflows", json={"name": "long", "nodes": [{"id": "s", "node": f"{node}@1"}]}).json()
        eid = h.post(f"/workflows/{wf['id']}/executions", json={}).json()["execution_id"]
        deadline = time.monotonic() + 60
        while h.get(f"/executions/{eid}").json()["nodes"]["s"]["status"] != "running":
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.1)

        first_event = threading.Semaphore(0)
        streams: list[list[str]] = []

        def follow() -> None:
            with httpx.Client(base_url=str(h.base_url), headers=h.headers, timeout=120) as c:
                with c.stream("GET", f"/executions/{eid}/events") as r:
                    seen: list[str] = []
                    for line in r.iter_lines():
                        if line.startswith("event: "):
                            if not seen:
                                first_event.release()
                            seen.append(line[len("event: "):])
                    streams.append(seen)

        threads = [threading.Thread(target=follow, daemon=True) for _ in range(STREAMS)]
        for t in threads:
            t.start()
        for _ in range(STREAMS):
            assert first_event.acquire(timeout=60), "a stream never got its first event\n" + server.log()
        # Every stream is open and waiting for the next event; plain requests still answer.
        assert h.get("/health", timeout=15).status_code == 200
        assert h.get(f"/executions/{eid}", timeout=15).json()["status"] == "running"
        assert h.post(f"/executions/{eid}/cancel", timeout=15).status_code == 200
        for t in threads:
            t.join(timeout=60)
        # Every stream ended, each with every event: the cancel, then the killed node's record.
        assert len(streams) == STREAMS and all(s == streams[0] for s in streams)
        assert streams[0][0] == "started" and "cancelled" in streams[0]
        assert streams[0].index("cancelled") < len(streams[0]) - 1, streams[0]  # the node's end came after
    finally:
        server.stop()
