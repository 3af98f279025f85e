"""The workflow document (SPEC §6): the same shape from a YAML file or the API's JSON payload."""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

NODE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


class WorkflowSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    timeout_seconds: float | None = Field(default=None, gt=0, le=24 * 3600)
    memory_mb: int | None = Field(default=None, ge=16, le=64 * 1024)
    max_retries: int = Field(default=0, ge=0, le=20)
    # "execution": one warm container per execution, a fresh process per node (the default);
    # "node": a fresh container per node.
    isolation: str = Field(default="execution", pattern="^(node|execution)$")


class NodeSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    node: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    main: str | None = None
    timeout_seconds: float | None = Field(default=None, gt=0, le=24 * 3600)
    memory_mb: int | None = Field(default=None, ge=16, le=64 * 1024)

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not NODE_ID.match(v):
            raise ValueError("a node id starts with a letter or _ and holds letters, digits, _ and -")
        return v


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
