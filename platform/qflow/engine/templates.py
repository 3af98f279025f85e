"""`{{ params.x }}` templates in constant inputs (SPEC §6)."""

from __future__ import annotations

import re
from typing import Any

TEMPLATE = re.compile(r"\{\{\s*params\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


class TemplateError(ValueError):
    pass


def resolve(value: Any, params: dict[str, Any]) -> Any:
    """A string that is exactly one template takes the parameter's value (and type); a template inside a
    longer string is interpolated as text; lists and dicts are resolved element by element."""
    if isinstance(value, str):
        whole = TEMPLATE.fullmatch(value.strip())
        if whole:
            return _param(whole.group(1), params)
        return TEMPLATE.sub(lambda m: _text(_param(m.group(1), params)), value)
    if isinstance(value, list):
        return [resolve(v, params) for v in value]
    if isinstance(value, dict):
        return {k: resolve(v, params) for k, v in value.items()}
    return value


def _param(name: str, params: dict[str, Any]) -> Any:
    if name not in params:
        known = ", ".join(sorted(params)) or "none"
        raise TemplateError(f"unknown parameter {name!r} (known: {known})")
    return params[name]


def _text(value: Any) -> str:
    import json

    return value if isinstance(value, str) else json.dumps(value)


def parse_param_overrides(pairs: list[str]) -> dict[str, Any]:
    """`--param K=V`: V read as JSON when it parses, else as a string."""
    import json

    out: dict[str, Any] = {}
    for pair in pairs:
        key, eq, raw = pair.partition("=")
        if not eq or not key:
            raise TemplateError(f"--param expects K=V, got {pair!r}")
        try:
            out[key] = json.loads(raw)
        except ValueError:
            out[key] = raw
    return out
