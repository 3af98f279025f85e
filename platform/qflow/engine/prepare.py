"""Load, resolve and validate a workflow: everything before an execution starts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from qflow.engine.resolve import ResolvedNode, ResolveError, resolve_node
from qflow.engine.spec import WorkflowFileError, WorkflowSpec, parse_workflow
from qflow.engine.validate import Plan, Problem, validate


class WorkflowInvalid(Exception):
    def __init__(self, message: str, problems: list[Problem]):
        super().__init__(message)
        self.message = message
        self.problems = problems

    def to_json(self) -> dict:
        return {"error": {"message": self.message, "problems": [p.to_json() for p in self.problems]}}


def load_spec(path: Path) -> WorkflowSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise WorkflowInvalid(f"{path}: no such file", []) from None
    except (OSError, UnicodeDecodeError) as e:
        raise WorkflowInvalid(f"{path}: cannot read it ({e})", []) from None
    except yaml.YAMLError as e:
        raise WorkflowInvalid(f"{path}: not valid YAML ({e})", []) from None
    try:
        return parse_workflow(data)
    except WorkflowFileError as e:
        raise WorkflowInvalid(f"{path}: {e}", []) from None


def prepare_workflow(spec: WorkflowSpec, params: dict[str, Any], base_dir: Path | None,
                     session=None, viewer_id=None, matrix=None) -> tuple[dict[str, ResolvedNode], Plan]:
    """Resolve every node and validate the whole workflow; raises WorkflowInvalid listing every problem.
    `matrix` replaces the base compatibility matrix (see `validate`)."""
    from qflow.authoring import NodeParseError

    problems: list[Problem] = []
    resolved: dict[str, ResolvedNode] = {}
    for n in spec.nodes:
        try:
            resolved[n.id] = resolve_node(n.id, n.node, n.main, spec.python_version, base_dir, session,
                                        viewer_id)
        except ResolveError as e:
            problems.append(Problem(n.id, str(e)))
        except NodeParseError as e:
            problems.append(Problem(n.id, f"{n.node}: {e.message} (line {e.line}, column {e.column})"))
    plan, more = validate(spec, {k: r.signature for k, r in resolved.items()}, params, matrix=matrix)
    problems += more
    if problems:
        raise WorkflowInvalid(f"workflow {spec.name!r} is invalid ({len(problems)} problem"
                              f"{'s' if len(problems) != 1 else ''})", problems)
    return resolved, plan
