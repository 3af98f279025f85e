from typing import Any

import yaml


def main(text: str) -> dict[str, Any]:
    """A YAML mapping read safely (no arbitrary objects).

    Args:
        text: a YAML document whose top level is a mapping
    """
    value = yaml.safe_load(text)
    if not isinstance(value, dict):
        raise ValueError(f"expected a mapping at the top level, got {type(value).__name__}")
    return value
