"""`qaldyq ledger verify` and `qaldyq ledger balances`."""

from __future__ import annotations

import json
from datetime import date

import typer
from rich.progress import Progress
from rich.table import Table

from qaldyq.core.commands import console, database, err

ledger_app = typer.Typer(help="The waste ledger.", no_args_is_help=True)


@ledger_app.command("verify")
def verify(as_json: bool = typer.Option(False, "--json")):
    """Check every transaction sums to zero, balances equal their entries, reversals mirror what
    they reverse and entries match their audit records; exit 1 on any problem."""
    from qaldyq.ledger.integrity import verify_ledger

    db = database()
    with db.session() as session, Progress(console=err, transient=True) as progress:
        task = progress.add_task("verifying the ledger", total=None)
        result = verify_ledger(session, progress=lambda done, total: progress.update(task, completed=done, total=total))
    db.dispose()
    if as_json:
        print(json.dumps({"ok": result.ok, "transactions": result.transactions, "entries": result.entries, "accounts": result.accounts, "problems": result.problems}))
    elif result.ok:
        console.print(f"[green]ledger consistent[/green]: {result.transactions} transactions, {result.entries} entries, {result.accounts} accounts")
    else:
        console.print(f"[red]ledger inconsistent[/red] ({len(result.problems)} problems shown):")
        for p in result.problems:
            console.print(f"  {p}")
    raise typer.Exit(0 if result.ok else 1)


@ledger_app.command("balances")
def balances(site_id: int = typer.Argument(..., min=1), at: str | None = typer.Option(None, help="YYYY-MM-DD (end of day, Asia/Almaty); default now"),
             as_json: bool = typer.Option(False, "--json")):
    """What a site holds per waste code."""
    from qaldyq.ledger import reports

    db = database()
    with db.session() as session:
        rows = reports.balances(session, site_id, date.fromisoformat(at) if at else None)
    db.dispose()
    if as_json:
        print(json.dumps([{"waste_code": r.waste_code, "balance_kg": r.balance_kg} for r in rows], ensure_ascii=False))
        return
    table = Table(title=f"Site {site_id}" + (f" at {at}" if at else ""))
    table.add_column("waste code")
    table.add_column("kg", justify="right")
    table.add_column("t", justify="right")
    for r in rows:
        table.add_row(r.waste_code, str(r.balance_kg), reports.kg_to_t(r.balance_kg))
    console.print(table)


def register(root: typer.Typer) -> None:
    root.add_typer(ledger_app, name="ledger")
