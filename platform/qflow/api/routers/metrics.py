"""`GET /metrics`: Prometheus text, read from the database at scrape time (the database is the truth
of every execution, whichever process or host ran it). prometheus-client renders the format."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from sqlalchemy import func, select

from qflow.api.deps import SessionsDep
from qflow.db.models import Container, NodeExecution, WorkflowExecution

router = APIRouter(tags=["metrics"])


class DatabaseCollector:
    def __init__(self, sessions):
        self.sessions = sessions

    def collect(self):
        with self.sessions() as s:
            executions = s.execute(select(WorkflowExecution.status, func.count())
                                   .group_by(WorkflowExecution.status)).all()
            nodes = s.execute(select(NodeExecution.status, func.count(), func.sum(NodeExecution.cpu_seconds),
                                     func.sum(NodeExecution.wall_seconds), func.max(NodeExecution.peak_memory_bytes))
                              .group_by(NodeExecution.status)).all()
            containers = s.execute(select(Container.status, Container.isolation, func.count())
                                   .group_by(Container.status, Container.isolation)).all()
        ex = GaugeMetricFamily("qflow_executions", "Workflow executions by status", labels=["status"])
        for status, n in executions:
            ex.add_metric([status], n)
        yield ex
        count = GaugeMetricFamily("qflow_node_executions", "Node executions by status", labels=["status"])
        cpu = CounterMetricFamily("qflow_node_cpu_seconds", "CPU seconds used by nodes", labels=["status"])
        wall = CounterMetricFamily("qflow_node_wall_seconds", "Wall seconds of nodes", labels=["status"])
        peak = GaugeMetricFamily("qflow_node_peak_memory_bytes_max", "Highest peak memory of a node",
                                 labels=["status"])
        for status, n, cpu_s, wall_s, peak_b in nodes:
            count.add_metric([status], n)
            cpu.add_metric([status], float(cpu_s or 0))
            wall.add_metric([status], float(wall_s or 0))
            peak.add_metric([status], float(peak_b or 0))
        yield from (count, cpu, wall, peak)
        boxes = GaugeMetricFamily("qflow_containers", "Sandbox containers by status and isolation",
                                  labels=["status", "isolation"])
        for status, isolation, n in containers:
            boxes.add_metric([status, isolation], n)
        yield boxes


@router.get("/metrics")
def metrics(sessions: SessionsDep) -> Response:
    registry = CollectorRegistry()
    registry.register(DatabaseCollector(sessions))
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
