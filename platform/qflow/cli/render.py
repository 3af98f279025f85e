"""Human-readable output with rich: run results and workflow result tables."""

from __future__ import annotations

import json

from rich.console import Console
from rich.table import Table

console = Console(stderr=False)


def _short(value, width: int = 60) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= width else text[: width - 1] + "…"


def _usage(result: dict) -> tuple[str, str, str]:
    u = result.get("resource_usage") or {}
    return (f"{u.get('cpu_seconds', 0):.3f}", f"{(u.get('peak_memory_bytes') or 0) / 2**20:.1f}",
            f"{u.get('wall_seconds', 0):.3f}")


def print_run_result(result: dict) -> None:
    cpu, mem, wall = _usage(result)
    console.print(f"[bold]{result['status']}[/bold]  cpu {cpu}s  peak {mem} MiB  wall {wall}s")
    if result.get("error"):
        console.print(f"[red]{result['error']['type']}[/red]: {result['error']['message']}")
    for name, value in (result.get("outputs") or {}).items():
        console.print(f"  {name} = {_short(value, 200)}")


def print_execution(result: dict) -> None:
    table = Table(title=f"execution {result['execution_id']}: {result['status']}")
    for col in ("node", "status", "outputs"):
        table.add_column(col)
    for col in ("cpu s", "peak MiB", "wall s"):
        table.add_column(col, justify="right")
    for node_id, r in result["nodes"].items():
        shown = _short(r.get("outputs")) if r.get("outputs") is not None else (
            f"{r['error']['type']}: {r['error']['message']}" if r.get("error") else "")
        table.add_row(node_id, r["status"], shown, *_usage(r))
    console.print(table)
