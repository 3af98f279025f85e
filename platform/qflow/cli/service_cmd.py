"""`qflow server`: the HTTP API under uvicorn, reading the same settings as every command."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("server")(server)


def server(
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to bind")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs)."""
    import uvicorn

    uvicorn.run("qflow.api.app:create_app", factory=True, host=host, port=port)
