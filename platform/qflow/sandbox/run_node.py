"""Run one node in a sandbox: the trusted side of the boundary.

    signature (parsed on the host) → inputs validated/converted → runner container → outputs validated

Nothing produced inside the container is trusted: its answer is JSON, decoded with the tagged codec,
and every output is checked against the declared type here, after the node returned (SPEC §5).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

import docker

from qflow.sandbox.container import Limits, RunnerGone, SandboxFailure
from qflow.sandbox.dependencies import DependencyError
from qflow.sandbox.images import runner_image
from qflow.sandbox.outcome import RunResult, failure
from type_system import codec
from type_system.values import ValueValidationError


@dataclass
class PreparedNode:
    """A node ready to run: its code and what the host learned from its signature."""

    code: str
    signature: dict
    python_version: str = "3.11"

    @property
    def main(self) -> str:
        return self.signature["main_function"]


@dataclass
class RunContext:
    """Where a run belongs, for labels and records."""

    execution_id: str | None = None
    node_key: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


def prepare(code: str, main: str = "main", python_version: str = "3.11") -> PreparedNode:
    """Parse the node's signature (raises `NodeParseError` with line and column)."""
    from qflow.authoring import inspect_node

    return PreparedNode(code=code, signature=inspect_node(code, main=main, python_version=python_version),
                        python_version=python_version)


def check_inputs(node: PreparedNode, given: dict[str, Any]) -> dict[str, Any]:
    """Accept each input as it is where compatible, convert it where convertible, else refuse
    (raises ValueValidationError naming the input)."""
    from qflow.sandbox.signature_types import custom_registry, input_types
    from type_system.values import coerce

    types = input_types(node.signature)
    registry = custom_registry(node.signature)
    unknown = sorted(set(given) - set(types))
    if unknown:
        raise ValueValidationError(unknown[0], f"no such input (the node takes: {', '.join(types) or 'nothing'})")
    out: dict[str, Any] = {}
    for spec in node.signature["inputs"]:
        name = spec["name"]
        if name in given:
            out[name] = coerce(given[name], types[name], registry, path=name)
        elif spec["required"]:
            raise ValueValidationError(name, "required input is missing")
    return out


def check_outputs(node: PreparedNode, outputs: dict[str, Any]) -> dict[str, Any]:
    """Outputs must already be of their declared types: no conversion (SPEC §5)."""
    from qflow.sandbox.signature_types import custom_registry, output_types
    from type_system.values import validate

    types = output_types(node.signature)
    registry = custom_registry(node.signature)
    if set(outputs) != set(types):
        raise ValueValidationError("outputs", f"expected {sorted(types)}, got {sorted(outputs)}")
    return {name: validate(outputs[name], t, registry, path=name) for name, t in types.items()}


def image_for(node: PreparedNode, record=None) -> str:
    """The runner image, or the dependency layer holding the node's requirements (built on first use
    from wheels downloaded on the host; later calls in this process cost a dictionary lookup)."""
    requirements = tuple(node.signature.get("dependencies") or ())
    if not requirements:
        return runner_image(node.python_version)
    key = (node.python_version, requirements)
    if key not in _IMAGES or record is not None:
        from qflow.sandbox.dependencies import ensure_dependency_image

        _IMAGES[key] = ensure_dependency_image(node.python_version, list(requirements), record=record,
                                               log=lambda m: None)
    return _IMAGES[key]


_IMAGES: dict[tuple[str, tuple[str, ...]], str] = {}


def build_request(node: PreparedNode, values: dict[str, Any], limits: Limits) -> dict:
    return {
        "id": uuid.uuid4().hex,
        "code": node.code,
        "main": node.main,
        "inputs": codec.encode(values),
        "returns_fields": bool(node.signature.get("returns_fields")),
        "output_names": [o["name"] for o in node.signature["outputs"]],
        "timeout": limits.timeout_seconds,
        "output_limit": limits.output_bytes,
    }


def run_prepared(node: PreparedNode, inputs: dict[str, Any], limits: Limits, ctx: RunContext | None = None,
                 client: docker.DockerClient | None = None, sandbox=None, image: str | None = None) -> RunResult:
    """Check the inputs, run the node in a container from `sandbox` (a fresh one by default), check the
    outputs. Never raises for anything the node does: every outcome is a RunResult."""
    from qflow.sandbox.sandboxes import FreshContainers

    ctx = ctx or RunContext()
    try:
        values = check_inputs(node, inputs)
    except ValueValidationError as e:
        return failure("InputValidationError", str(e), node.python_version)
    request = build_request(node, values, limits)
    own = sandbox is None
    try:
        if own:
            labels = dict(ctx.labels)
            if ctx.execution_id:
                labels["org.qflow.execution"] = ctx.execution_id
            sandbox = FreshContainers(client or docker.from_env(), labels)
        box = sandbox.acquire(image or image_for(node), limits)
    except DependencyError as e:
        # The node's declared requirements cannot be installed: its own definition fails, by name.
        return failure("NodeError", f"DependencyError: {e}", node.python_version)
    except (SandboxFailure, docker.errors.DockerException, OSError) as e:
        return failure("SandboxError", str(e), node.python_version)
    answer, gone, broken, died_of_oom = None, False, None, False
    try:
        answer = box.request(request, limits.timeout_seconds)
    except RunnerGone:
        gone = True
    except (SandboxFailure, docker.errors.DockerException, OSError) as e:
        broken = str(e)
    except Exception as e:  # noqa: BLE001 — whatever it was, the container is released and the run reported
        broken = f"{type(e).__name__}: {e}"
    try:
        died_of_oom = answer is None and broken is None and box.died_of_oom()
    finally:
        record = sandbox.release(box, healthy=answer is not None)
        if own:
            sandbox.close()  # nothing outlives a one-off run
    if broken:
        result = failure("SandboxError", broken, node.python_version)
    elif answer is None and (died_of_oom or record.oom_killed):
        result = failure("MemoryLimitExceeded", "the container was killed for exceeding its memory limit",
                         node.python_version)
    elif gone:
        result = failure("SandboxError", f"the runner's container stopped (exit code {record.exit_code})",
                         node.python_version)
    elif answer is None:
        result = failure("TimeLimitExceeded", f"no answer within {limits.timeout_seconds:g} s; container killed",
                         node.python_version, status="timed_out")
    else:
        result = _from_answer(node, answer)
    record.add_usage(result.resource_usage or {})
    result.container_id = record.docker_id
    result.container = record
    return result


def _from_answer(node: PreparedNode, answer: dict) -> RunResult:
    result = RunResult(
        status=answer.get("status", "failed"),
        outputs=None,
        error=answer.get("error"),
        resource_usage=answer.get("resource_usage") or {},
        logs=answer.get("logs") or "",
        python_version=node.python_version,
    )
    if result.status != "completed":
        return result
    try:
        raw = codec.decode(answer.get("outputs") or {})
        if not isinstance(raw, dict):
            raise ValueValidationError("outputs", "the runner did not return a mapping of outputs")
        result.outputs = check_outputs(node, raw)
    except (ValueValidationError, codec.CodecError) as e:
        result.status = "failed"
        result.error = {"type": "OutputValidationError", "message": str(e), "traceback": None}
    return result
