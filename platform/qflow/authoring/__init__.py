"""Authoring: reading user nodes (plain Python files with a main function) into signatures (SPEC §2, §3).

Pure functions over plain data; no I/O except, for Python versions other than the running one, a
`pythonX.Y` subprocess that checks syntax.
"""

from qflow.authoring.errors import NodeParseError
from qflow.authoring.pyversions import DEFAULT_PYTHON_VERSION, SUPPORTED_PYTHON_VERSIONS
from qflow.authoring.signature import decode_source, inspect_node

__all__ = [
    "DEFAULT_PYTHON_VERSION",
    "NodeParseError",
    "SUPPORTED_PYTHON_VERSIONS",
    "decode_source",
    "inspect_node",
]
