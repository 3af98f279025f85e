import json
from typing import Any


def main(value: Any, indent: int = 2, sort_keys: bool = True) -> str:
    """A value written as JSON text.

    Args:
        value: what to write
        indent: spaces per level (0 for one line)
        sort_keys: sort the keys of objects
    """
    return json.dumps(value, indent=indent or None, sort_keys=sort_keys, default=str)
