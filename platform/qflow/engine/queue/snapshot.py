"""What a worker needs to run any node of an execution, frozen when the execution is created.

The snapshot lives in `workflow_executions.definition` next to the workflow document, under the key
`$engine` (no workflow document has that key): the resolved code, signature and Python version of every
node, its limits, its constant inputs (tagged codec) and the connections with their verdicts. A worker
on another host needs nothing else — no workflow file, no node library, no re-validation — and what
runs is exactly what was validated, even if a node file changes afterwards.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from qflow.sandbox.container import Limits
from qflow.sandbox.run_node import PreparedNode
from type_system import codec

KEY = "$engine"
FORMAT = 1


@dataclass(frozen=True)
class Edge:
    source: str
    output: str
    target: str
    input: str
    verdict: str  # "compatible" | "convertible"

    @property
    def label(self) -> str:
        return f"{self.source}.{self.output} -> {self.target}.{self.input}"


class Snapshot:
    def __init__(self, data: dict):
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown execution snapshot format {data.get('format')!r}")
        self.data = data
        self.name: str = data["name"]
        self.order: list[str] = data["order"]
        self.max_retries: int = data["max_retries"]
        self.isolation: str = data["isolation"]
        self._nodes: dict[str, dict] = data["nodes"]
        self._codes: dict[str, str] = data["codes"]

    @cached_property
    def matrix(self):
        from type_system.matrix import matrix_from_rows

        rows = self.data.get("matrix")
        return None if rows is None else matrix_from_rows(rows)

    # -- structure

    @cached_property
    def edges_into(self) -> dict[str, list[Edge]]:
        out: dict[str, list[Edge]] = {k: [] for k in self.order}
        for key, n in self._nodes.items():
            for sn, so, ti, verdict in n["upstream"]:
                out[key].append(Edge(sn, so, key, ti, verdict))
        return out

    @cached_property
    def parents(self) -> dict[str, list[str]]:
        return {k: sorted({e.source for e in es}, key=self.order.index) for k, es in self.edges_into.items()}

    @cached_property
    def children(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {k: [] for k in self.order}
        for k, ps in self.parents.items():
            for p in ps:
                out[p].append(k)
        return out

    @cached_property
    def ancestors(self) -> dict[str, frozenset[str]]:
        out: dict[str, frozenset[str]] = {}
        for k in self.order:  # topological: parents come first
            out[k] = frozenset().union(*(out[p] | {p} for p in self.parents[k])) if self.parents[k] else frozenset()
        return out

    def descendants(self, key: str) -> list[str]:
        seen: set[str] = set()
        stack = list(self.children[key])
        while stack:
            k = stack.pop()
            if k not in seen:
                seen.add(k)
                stack.extend(self.children[k])
        return [k for k in self.order if k in seen]

    @property
    def roots(self) -> list[str]:
        return [k for k in self.order if not self.parents[k]]

    # -- per node

    def prepared(self, key: str) -> PreparedNode:
        n = self._nodes[key]
        return PreparedNode(code=self._codes[n["code"]], signature=n["signature"], python_version=n["python_version"])

    def signature(self, key: str) -> dict:
        return self._nodes[key]["signature"]

    def python_version(self, key: str) -> str:
        return self._nodes[key]["python_version"]

    def limits(self, key: str) -> Limits:
        return Limits(**self._nodes[key]["limits"])

    def constants(self, key: str) -> dict[str, Any]:
        return codec.decode(self._nodes[key]["constants"])


def build(spec, resolved: dict, plan, settings) -> dict:
    """The snapshot of a validated workflow (`spec`, `resolve`d nodes and `validate`'s plan) as JSON;
    `settings` (qflow.config.Settings) gives the default limits."""
    from qflow.engine.spec import effective_limits

    codes: dict[str, str] = {}
    nodes: dict[str, dict] = {}
    for key in plan.order:
        r = resolved[key]
        digest = hashlib.sha256(r.code.encode()).hexdigest()[:16]
        codes[digest] = r.code
        lim = effective_limits(spec, key, settings)
        upstream = []
        for c in plan.upstream.get(key, []):
            sn, so, _, ti = c.ends()
            upstream.append([sn, so, ti, plan.verdicts[c.label]["verdict"]])
        nodes[key] = {
            "ref": r.ref, "code": digest, "signature": r.signature, "python_version": r.python_version,
            "node_version_id": str(r.node_version_id) if r.node_version_id else None,
            "limits": {f: getattr(lim, f) for f in Limits.__dataclass_fields__},
            "constants": codec.encode(plan.constants.get(key, {})),
            "upstream": upstream,
        }
    from type_system.matrix import BASE_MATRIX, matrix_rows

    # The matrix the verdicts came from, when an operator changed it: conversions along the edges at run
    # time must use the same rows (None: the base matrix).
    matrix = None if plan.matrix is None or plan.matrix == BASE_MATRIX else matrix_rows(plan.matrix)
    return {"format": FORMAT, "name": spec.name, "order": list(plan.order),
            "max_retries": spec.settings.max_retries, "isolation": spec.settings.isolation,
            "codes": codes, "nodes": nodes, "matrix": matrix}


def definition_with(spec, snapshot: dict) -> dict:
    return {**spec.to_json(), KEY: snapshot}


def workflow_document(definition: dict) -> dict:
    """The workflow document of an execution's definition, without the engine's snapshot."""
    return {k: v for k, v in definition.items() if k != KEY}


class SnapshotCache:
    """Snapshots by execution id: immutable once written, so a worker loads each one once."""

    def __init__(self, size: int = 64):
        self.size = size
        self._items: OrderedDict[uuid.UUID, Snapshot] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, sessions, execution_id: uuid.UUID) -> Snapshot:
        with self._lock:
            snap = self._items.get(execution_id)
            if snap is not None:
                self._items.move_to_end(execution_id)
                return snap
        from sqlalchemy import select

        from qflow.db.models import WorkflowExecution

        with sessions() as s:
            definition = s.scalar(select(WorkflowExecution.definition).where(WorkflowExecution.id == execution_id))
        if definition is None or KEY not in definition:
            raise LookupError(f"execution {execution_id} has no engine snapshot")
        snap = Snapshot(definition[KEY])
        with self._lock:
            self._items[execution_id] = snap
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return snap
