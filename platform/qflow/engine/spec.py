"""The workflow document (SPEC §6): the same shape from a YAML file or the API's JSON payload."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

if TYPE_CHECKING:
    from qflow.sandbox.container import Limits

NODE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class LimitOverrides(BaseModel):
    """Sandbox limits a workflow (for all its nodes) or one node may set; unset ones fall back to the
    next level: node → workflow → the platform's defaults."""

    model_config = ConfigDict(extra="forbid")

    timeout_seconds: float | None = Field(default=None, gt=0, le=24 * 3600)
    memory_mb: int | None = Field(default=None, ge=16, le=64 * 1024)
    pids: int | None = Field(default=None, ge=8, le=4096)
    output_mb: float | None = Field(default=None, gt=0, le=1024)
    tmp_mb: int | None = Field(default=None, ge=1, le=16 * 1024)


class WorkflowSettings(LimitOverrides):
    max_retries: int = Field(default=0, ge=0, le=20)
    # "execution": one warm container per execution, a fresh process per node (the default);
    # "node": a fresh container per node.
    isolation: str = Field(default="execution", pattern="^(node|execution)$")


class NodeSpec(LimitOverrides):
    id: str = Field(max_length=255)  # stored as workflow_version_nodes.node_key, a String(255)
    node: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    main: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not NODE_ID.match(v):
            raise ValueError("a node id starts with a letter or _ and holds letters, digits, _ and -")
        return v


def effective_limits(spec: "WorkflowSpec", node_id: str, settings) -> "Limits":
    """The limits one node runs under: its own overrides, else the workflow's, else the defaults."""
    from qflow.sandbox.container import Limits

    node = next(n for n in spec.nodes if n.id == node_id)

    def pick(name: str, default):
        for level in (node, spec.settings):
            value = getattr(level, name)
            if value is not None:
                return value
        return default

    output_mb = pick("output_mb", None)
    return Limits(
        timeout_seconds=pick("timeout_seconds", settings.default_timeout_seconds),
        memory_mb=pick("memory_mb", settings.default_memory_mb),
        pids=pick("pids", settings.default_pids_limit),
        output_bytes=int(output_mb * 2**20) if output_mb is not None else settings.default_output_limit_bytes,
        tmp_mb=pick("tmp_mb", settings.default_tmp_size_mb),
    )


class ConnectionSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")

    @field_validator("source", "target")
    @classmethod
    def _endpoint(cls, v: str) -> str:
        node, dot, port = v.partition(".")
        if not dot or not node or not port:
            raise ValueError(f"{v!r} is not of the form node_id.port")
        return v

    @property
    def label(self) -> str:
        return f"{self.source} -> {self.target}"

    def ends(self) -> tuple[str, str, str, str]:
        sn, _, so = self.source.partition(".")
        tn, _, ti = self.target.partition(".")
        return sn, so, tn, ti


class WorkflowSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str | None = None
    python_version: str = "3.11"
    params: dict[str, Any] = Field(default_factory=dict)
    settings: WorkflowSettings = Field(default_factory=WorkflowSettings)
    nodes: list[NodeSpec] = Field(min_length=1)
    connections: list[ConnectionSpec] = Field(default_factory=list)

    @field_validator("python_version")
    @classmethod
    def _python_version(cls, v: str) -> str:
        # Refused here, for the file and the API alike, with one message naming the field (not one
        # problem per node; a stored node version, which keeps its own version, would not notice).
        from qflow.authoring.pyversions import SUPPORTED_PYTHON_VERSIONS

        if v not in SUPPORTED_PYTHON_VERSIONS:
            raise ValueError(f"unsupported Python version {v!r} (supported: {', '.join(SUPPORTED_PYTHON_VERSIONS)})")
        return v

    def to_json(self) -> dict:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class WorkflowFileError(ValueError):
    """The document itself is malformed (before any node is looked at)."""


def parse_workflow(data: Any) -> WorkflowSpec:
    if not isinstance(data, dict):
        raise WorkflowFileError("a workflow is a mapping with name, nodes and connections")
    try:
        return WorkflowSpec.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            where = ".".join(str(p) for p in err["loc"])
            problems.append(f"{where}: {err['msg']}")
        raise WorkflowFileError("invalid workflow: " + "; ".join(problems)) from None
