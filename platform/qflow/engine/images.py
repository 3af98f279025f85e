"""Every image an execution needs, built before its first node starts, with each dependency layer's
packages recorded in `container_dependencies`. A layer that cannot be built does not stop the others:
its nodes fail with the error naming the package when they run."""

from __future__ import annotations

from qflow.engine.resolve import ResolvedNode


def ensure_images(resolved: dict[str, ResolvedNode], sessions, log=print) -> None:
    """Raises ImageBuildError when a runner image itself cannot be built (the platform's failure)."""
    from qflow.sandbox.dependencies import DependencyError, record_dependencies
    from qflow.sandbox.images import ensure_runner_image
    from qflow.sandbox.run_node import PreparedNode, image_for

    for version in sorted({r.python_version for r in resolved.values()}):
        ensure_runner_image(version, log=log)
    seen: set[tuple] = set()
    for r in resolved.values():
        key = (r.python_version, tuple(r.signature.get("dependencies") or ()))
        if not key[1] or key in seen:
            continue
        seen.add(key)
        node = PreparedNode(code=r.code, signature=r.signature, python_version=r.python_version)
        try:
            image_for(node, record=lambda rows: record_dependencies(sessions, rows))
        except DependencyError as e:
            log(f"dependencies of {r.key}: {e}")
