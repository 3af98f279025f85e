"""Median time to inspect a generated 1,000-line node (target: well under 100 ms).

    .venv/bin/python bench/parse_node.py [--lines N] [--repeat R]

Prints JSON: {"lines": ..., "repeat": ..., "median_ms": ..., "min_ms": ..., "max_ms": ..., "first_ms": ...}.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time


def generate(n_lines: int = 1000) -> str:
    """A realistic node: imports, a TypedDict, a dataclass, many helpers, a main with a docstring."""
    head = [
        "# /// script",
        "# requires-python = '>=3.9'",
        "# ///",
        "import json, os, re",
        "import typing as t",
        "from typing import Annotated, Optional, TypedDict",
        "from dataclasses import dataclass, field",
        "from datetime import date, timedelta",
        "import pandas as pd",
        "import yaml",
        "",
        "",
        "class Row(TypedDict, total=False):",
        "    name: str",
        "    score: Optional[float]",
        "    tags: 'list[str]'",
        "",
        "",
        "@dataclass",
        "class Report:",
        "    rows: list[Row]",
        "    total: float = 0.0",
        "    notes: dict[str, t.Any] = field(default_factory=dict)",
        "",
        "",
    ]
    tail = [
        "def main(rows: t.List[Row], limit: int = 10, *, tag: Annotated[str, 'a tag'] = 'x',",
        "         when: Optional[date] = None, window: timedelta | None = None,",
        "         frame: 'pd.DataFrame | None' = None, weights: tuple = (1, -2.5)) -> Report:",
        '    """Summarise rows.',
        "",
        "    Args:",
        "        rows: the rows",
        "        limit: at most this many",
        '    """',
        "    import numpy as np",
        "    return Report(rows=rows[:limit])",
    ]
    body: list[str] = []
    i = 0
    while len(head) + len(body) + len(tail) + 12 <= n_lines:
        body += [
            f"def helper_{i}(x: int, y: str = 'a') -> dict[str, int]:",
            f'    """Helper {i}."""',
            "    total = 0",
            "    for k in range(x):",
            "        if k % 3 == 0:",
            f"            total += k * {i}",
            "        else:",
            "            total -= len(y) + k",
            "    data = {'a': total, 'b': [1, 2, 3], 'c': (x, y)}",
            "    return {str(k): v for k, v in enumerate(data)}",
            "",
            "",
        ]
        i += 1
    lines = head + body
    lines += [""] * max(0, n_lines - len(lines) - len(tail))
    return "\n".join(lines + tail) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=30)
    args = ap.parse_args()

    from qflow.authoring import inspect_node

    source = generate(args.lines)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        sig = inspect_node(source)
        times.append((time.perf_counter() - t0) * 1000)
    assert sig["outputs"][0]["name"] == "rows" and sig["dependencies"] == ["numpy", "pandas", "PyYAML"], sig
    print(json.dumps({
        "lines": len(source.splitlines()),
        "repeat": args.repeat,
        "median_ms": round(statistics.median(times), 2),
        "min_ms": round(min(times), 2),
        "max_ms": round(max(times), 2),
        "first_ms": round(times[0], 2),
    }))


if __name__ == "__main__":
    main()
