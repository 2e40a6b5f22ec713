"""`qaldyq ownsystem …`: the automatic outcomes of lapsed terms (run daily from cron) and the
deadlines of a half-year."""

from __future__ import annotations

import typer

from qaldyq.core.commands import cli_session, emit

app = typer.Typer(help="EPR through an own system (Order 690).", no_args_is_help=True)


@app.command("tick")
def tick(as_json: bool = typer.Option(False, "--json")):
    """Stop reviews whose D6 lapsed and take import masses from the reference book after D9."""
    from qaldyq.ownsystem import service

    with cli_session("ownsystem tick") as db:
        n = service.run_all_automatic(db)
    emit({"fired": n}, as_json, f"{n} automatic outcomes recorded")


@app.command("deadlines")
def deadlines(year: int, half: int, as_json: bool = typer.Option(False, "--json")):
    """D1 and D2 of a reporting half-year on the working-day calendar."""
    from qaldyq.ownsystem import deadlines as dl

    with cli_session("ownsystem deadlines") as db:
        d = {k: v.isoformat() for k, v in dl.period_deadlines(db, year, half).items()}
    emit(d, as_json, f"application due {d['application_due']}; authority request and forwarding due {d['authority_request_due']}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="ownsystem")
