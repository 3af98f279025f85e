"""Typed views of a node signature (the SPEC §3 JSON) for checking values on the host."""

from __future__ import annotations

from type_system import Type, parse_type
from type_system.custom import CustomRegistry


def custom_registry(signature: dict) -> CustomRegistry:
    return CustomRegistry.from_json(signature.get("custom_types") or {})


def _names(signature: dict) -> frozenset[str]:
    return frozenset((signature.get("custom_types") or {}).keys())


def input_types(signature: dict) -> dict[str, Type]:
    names = _names(signature)
    return {i["name"]: parse_type(i["type"], names) for i in signature["inputs"]}


def output_types(signature: dict) -> dict[str, Type]:
    names = _names(signature)
    return {o["name"]: parse_type(o["type"], names) for o in signature["outputs"]}
