"""Parameter descriptions from a Google-style docstring's `Args:` section."""

from __future__ import annotations

import re

_HEADER = re.compile(r"^(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Other Parameters)\s*:\s*$")
_OTHER_SECTION = re.compile(
    r"^(Returns?|Yields?|Raises|Examples?|Notes?|Warnings?|Warns|See Also|References|Todo|Attributes|Methods)\s*:\s*$")
_ENTRY = re.compile(r"^\*{0,2}(?P<name>[A-Za-z_]\w*)\s*(\([^)]*\))?\s*:(?P<desc>.*)$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def google_arg_descriptions(docstring: str | None) -> dict[str, str]:
    """`{"name": "who to greet"}` from

        Args:
            name: who to greet
            times (int): how many times,
                continued on the next line
    """
    if not docstring:
        return {}
    lines = docstring.expandtabs().splitlines()
    out: dict[str, str] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if not _HEADER.match(line.strip()):
            i += 1
            continue
        # A cleaned docstring loses the first line's indentation: "Args:" there opens at any indent.
        header_indent = _indent(line) if i > 0 else -1
        i += 1
        entry_indent: int | None = None
        current: str | None = None
        parts: list[str] = []

        def flush() -> None:
            if current is not None:
                text = " ".join(p for p in parts if p).strip()
                if text and current not in out:
                    out[current] = text

        while i < len(lines):
            ln = lines[i]
            if not ln.strip():
                i += 1
                continue
            ind = _indent(ln)
            if ind <= header_indent or _HEADER.match(ln.strip()) or _OTHER_SECTION.match(ln.strip()):
                break  # the section ends (next section or text)
            if entry_indent is None:
                entry_indent = ind
            if ind <= entry_indent:
                m = _ENTRY.match(ln.strip())
                flush()
                if m:
                    current, parts = m.group("name"), [m.group("desc").strip()]
                else:
                    current, parts = None, []
            elif current is not None:
                parts.append(ln.strip())
            i += 1
        flush()
    return out
