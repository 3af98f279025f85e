"""The one error a node file can raise while being inspected (SPEC §3 "Errors")."""

from __future__ import annotations


class NodeParseError(Exception):
    """A node file that cannot be turned into a signature.

    `line` and `column` are 1-based positions of the offending code, as SPEC §3 prints them.
    """

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = max(1, int(line or 1))
        self.column = max(1, int(column or 1))

    def to_dict(self) -> dict:
        """The CLI/API error payload: `{"error": {"message": ..., "line": ..., "column": ...}}`."""
        return {"error": {"message": self.message, "line": self.line, "column": self.column}}

    def __repr__(self) -> str:
        return f"NodeParseError({self.message!r}, line={self.line}, column={self.column})"
