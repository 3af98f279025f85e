import json
from typing import Any


def main(text: str) -> Any:
    """The value a JSON text holds.

    Args:
        text: a JSON document
    """
    return json.loads(text)
