"""Every model, imported so `Base.metadata` knows the whole schema (Alembic's env.py imports this)."""

from qflow.db.base import Base
from qflow.db.models.executions import (
    DataTransport,
    EventType,
    ExecutionQueue,
    ExecutionStatus,
    NodeDataFlow,
    NodeExecution,
    NodeExecutionStatus,
    WorkflowCheckpoint,
    WorkflowExecution,
    WorkflowExecutionEvent,
)
from qflow.db.models.files import File, FileAccessLog, FileContent
from qflow.db.models.nodes import NodeTag, PythonNode, PythonNodeVersion, python_node_tag_links
from qflow.db.models.observability import ErrorLog, PerformanceMetric, SystemHealth
from qflow.db.models.sandbox import (
    Container,
    ContainerDependency,
    ContainerIsolation,
    ContainerStatus,
    DependencyStatus,
)
from qflow.db.models.types import CompatibilityVerdict, CustomType, TypeCompatibility, TypeDefinition, TypeKind
from qflow.db.models.users import User, UserSession
from qflow.db.models.workflows import (
    Workflow,
    WorkflowTag,
    WorkflowVersion,
    WorkflowVersionNode,
    workflow_tag_links,
)

metadata = Base.metadata

__all__ = [
    "Base",
    "CompatibilityVerdict",
    "Container",
    "ContainerDependency",
    "ContainerIsolation",
    "ContainerStatus",
    "CustomType",
    "DataTransport",
    "DependencyStatus",
    "ErrorLog",
    "EventType",
    "ExecutionQueue",
    "ExecutionStatus",
    "File",
    "FileAccessLog",
    "FileContent",
    "NodeDataFlow",
    "NodeExecution",
    "NodeExecutionStatus",
    "NodeTag",
    "PerformanceMetric",
    "PythonNode",
    "PythonNodeVersion",
    "SystemHealth",
    "TypeCompatibility",
    "TypeDefinition",
    "TypeKind",
    "User",
    "UserSession",
    "Workflow",
    "WorkflowCheckpoint",
    "WorkflowExecution",
    "WorkflowExecutionEvent",
    "WorkflowTag",
    "WorkflowVersion",
    "WorkflowVersionNode",
    "metadata",
    "python_node_tag_links",
    "workflow_tag_links",
]
