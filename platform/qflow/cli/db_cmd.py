"""`qflow db ...`: database migrations. The database is QFLOW_DATABASE_URL (default: the embedded SQLite file)."""

from __future__ import annotations

from typing import NoReturn

import typer

app = typer.Typer(no_args_is_help=True)

EXIT_DB_ERROR = 2


def _one_line(exc: BaseException) -> str:
    """A single line saying what went wrong: the deepest database/driver error when there is one."""
    inner: BaseException = exc
    while inner.__cause__ is not None:
        inner = inner.__cause__
    orig = getattr(inner, "orig", None)  # sqlalchemy.exc.DBAPIError wraps the driver's exception
    if isinstance(orig, BaseException):
        inner = orig
    text = " ".join(part.strip() for part in str(inner).splitlines() if part.strip()) or repr(inner)
    return f"{type(inner).__name__}: {text}"


def _fail(action: str, url: object, exc: BaseException) -> NoReturn:
    typer.echo(f"qflow db {action}: {url}: {_one_line(exc)}", err=True)
    raise typer.Exit(EXIT_DB_ERROR)


def _target(url: str | None) -> tuple[object, str]:
    from qflow.db.session import resolve_url

    resolved = resolve_url(url)
    return resolved, resolved.render_as_string(hide_password=True)


@app.command()
def upgrade(
    revision: str = typer.Argument("head", help="Target revision."),
    url: str | None = typer.Option(None, "--url", help="Database URL (default: QFLOW_DATABASE_URL)."),
) -> None:
    """Apply migrations up to REVISION (default: head) and print the revision the database is at."""
    shown = url or "?"
    try:
        resolved, shown = _target(url)
        from qflow.db.migrate import upgrade as do_upgrade

        at = do_upgrade(resolved, revision)
        if revision == "head":
            from qflow.db.session import session_factory
            from qflow.services.library import seed_library

            seeded = seed_library(session_factory(resolved))
    except Exception as exc:  # noqa: BLE001 - one clear line, never a traceback
        _fail("upgrade", shown, exc)
    typer.echo(at or "base")
    if revision == "head" and (seeded.created or seeded.updated):
        typer.echo(f"node library: {len(seeded.created)} added, {len(seeded.updated)} updated", err=True)


@app.command()
def current(
    url: str | None = typer.Option(None, "--url", help="Database URL (default: QFLOW_DATABASE_URL)."),
) -> None:
    """Print the database's revision ("base" when never migrated) and the code's head."""
    shown = url or "?"
    try:
        resolved, shown = _target(url)
        from qflow.db.migrate import current as db_current, head

        at, code_head = db_current(resolved), head()
    except Exception as exc:  # noqa: BLE001
        _fail("current", shown, exc)
    suffix = "" if at == code_head else f" (head is {code_head})"
    typer.echo(f"{at or 'base'}{suffix}")
