"""The RQ job functions. Their arguments are plain JSON (execution id, node key, attempt): a job carries
no code, no values and nothing pickled; the worker reads the rest from the database."""

from __future__ import annotations

import uuid

from qflow.engine.queue.state import Job


def run_node(execution_id: str, node_key: str, attempt: int) -> None:
    """Run one attempt of one node (claimed only if it is still that attempt's turn)."""
    from qflow.engine.queue.worker import runtime

    runtime().runner.run(Job(uuid.UUID(execution_id), node_key, int(attempt)))
