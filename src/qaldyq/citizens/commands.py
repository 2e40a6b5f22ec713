"""`qaldyq citizens …`: retention of personal data and the workflow diagram."""

from __future__ import annotations

import typer

from qaldyq.core.commands import cli_session, console, emit

app = typer.Typer(help="Citizen reports.", no_args_is_help=True)


@app.command("purge-contacts")
def purge_contacts(days: int = typer.Option(365, help="erase contacts of reports closed more than this many days ago"),
                   as_json: bool = typer.Option(False, "--json")):
    """Erase reporters' contacts from long-closed reports (run it from cron)."""
    from qaldyq.citizens import service

    with cli_session("citizens purge-contacts") as db:
        n = service.purge_contacts(db, days)
    emit({"erased": n}, as_json, f"contacts erased from {n} closed reports")


@app.command("workflow")
def workflow():
    """Print the status workflow as a Mermaid diagram (for docs/citizens.md)."""
    from qaldyq.citizens.workflow import mermaid

    console.print(mermaid(), markup=False)


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="citizens")
