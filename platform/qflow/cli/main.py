"""The `qflow` console script (SPEC §1). Each command group lives in its own module; heavy imports
(Docker, SQLAlchemy, libcst) happen inside the commands so `qflow --help` stays fast."""

import typer

from qflow.cli import db_cmd, node_cmd, run_cmd, service_cmd, types_cmd

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
app.add_typer(node_cmd.app, name="node", help="Inspect node files.")
app.add_typer(types_cmd.app, name="types", help="Check type compatibility.")
app.add_typer(db_cmd.app, name="db", help="Database migrations.")
run_cmd.register(app)
service_cmd.register(app)

if __name__ == "__main__":
    app()
