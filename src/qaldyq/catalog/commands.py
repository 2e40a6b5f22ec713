"""`qaldyq quote …` (fees and payouts with explanations), `qaldyq catalog …` (reference tables:
list, export, import) and `qaldyq calendar …` (working days)."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import typer
from rich.table import Table

from qaldyq.core.commands import cli_session as core_session
from qaldyq.core.commands import console, emit, err
from qaldyq.domains import import_all_models

quote_app = typer.Typer(help="Quote a utilization payment or a payout, with the act, the row, the MRP and the arithmetic.", no_args_is_help=True)
catalog_app = typer.Typer(help="Reference tables: list, export, import (new versions only).", no_args_is_help=True)
calendar_app = typer.Typer(help="Working days of Kazakhstan.", no_args_is_help=True)

DATE = typer.Option(None, "--date", help="YYYY-MM-DD (default: today in Almaty)")
LANG = typer.Option("en", "--lang", help="kk, ru or en")


def cli_session(label: str = "cli"):
    import_all_models()  # every mapper, so that relationships between domains resolve
    return core_session(label)


def _date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        err.print(f"[red]error:[/red] --date must be YYYY-MM-DD, not {value!r}")
        raise typer.Exit(2) from None


def _show(quote, as_json: bool, lang: str) -> None:
    data = quote.to_dict(lang)
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    for line in data["explanation"]:
        console.print(f"  {line}")
    console.print(f"[bold]{data['amount_kzt']} KZT[/bold]  ({data['arithmetic']})")


@quote_app.command("vehicle")
def quote_vehicle(
    category: str = typer.Option(..., help="M1, N1, N2, N3, truck_tractor, M2, M3, tractor or combine"),
    engine_cc: int | None = typer.Option(None, "--engine-cc", help="engine volume, cm³ (M1, M2, M3)"),
    gross_mass_t: str | None = typer.Option(None, "--gross-mass-t", help="gross mass, t (N1–N3, truck_tractor)"),
    power_hp: str | None = typer.Option(None, "--power-hp", help="rated power, hp (tractor, combine)"),
    electric: bool = typer.Option(False, "--electric", help="electric motor only (a hybrid is not electric)"),
    on: str | None = DATE, as_json: bool = typer.Option(False, "--json"), lang: str = LANG,
):
    """The utilization payment for one vehicle or agricultural machine (Table 12)."""
    from qaldyq.catalog import service

    with cli_session("cli quote") as db:
        q = service.quote_vehicle(db, category=category, on_date=_date(on), engine_cc=engine_cc, gross_mass_t=gross_mass_t, power_hp=power_hp, electric=electric)
        _show(q, as_json, lang)


@quote_app.command("product")
def quote_product(
    category: str = typer.Option(..., help="waste category, e.g. packaging-glass"), mass_t: str = typer.Option(..., "--mass-t", help="tonnes"),
    on: str | None = DATE, as_json: bool = typer.Option(False, "--json"), lang: str = LANG,
):
    """The utilization payment for a tonnage of products or packaging."""
    from qaldyq.catalog import service

    with cli_session("cli quote") as db:
        _show(service.quote_product(db, category=category, mass_t=mass_t, on_date=_date(on)), as_json, lang)


@quote_app.command("payout")
def quote_payout(
    category: str = typer.Option(..., help="waste category, e.g. packaging-polymer"),
    operation: str = typer.Option(..., help="collection, transportation, processing (packaging) or single"),
    mass_t: str = typer.Option(..., "--mass-t", help="tonnes"),
    on: str | None = DATE, as_json: bool = typer.Option(False, "--json"), lang: str = LANG,
):
    """The operator's payout for a tonnage of waste (Resolution No. 1250)."""
    from qaldyq.catalog import service

    with cli_session("cli quote") as db:
        _show(service.quote_payout(db, category=category, operation=operation, mass_t=mass_t, on_date=_date(on)), as_json, lang)


@catalog_app.command("tables")
def tables(as_json: bool = typer.Option(False, "--json")):
    """The reference tables and how many rows (all versions) each holds."""
    from qaldyq.catalog import service
    from qaldyq.catalog.tables import TABLES

    with cli_session() as db:
        counts = service.table_counts(db)
    if as_json:
        print(json.dumps(counts))
        return
    t = Table("table", "rows", "key")
    for slug, s in TABLES.items():
        t.add_row(slug, str(counts[slug]), ", ".join(s.key) or "—")
    console.print(t)


@catalog_app.command("export")
def export(table: str, output: Path = typer.Option(..., "--output", "-o"), fmt: str = typer.Option(None, "--format", help="xlsx or csv (default: from the file name)"),
           lang: str = LANG):
    """Write a whole table (every version) in the import format."""
    from qaldyq.catalog import service

    fmt = fmt or ("csv" if output.suffix.lower() == ".csv" else "xlsx")
    with cli_session() as db:
        content, _, _ = service.export_table(db, table, fmt, lang)
    output.write_bytes(content)
    console.print(f"{table}: written to {output}")


@catalog_app.command("import")
def import_(table: str, path: Path, dry_run: bool = typer.Option(False, "--dry-run", help="validate only"),
            errors: Path | None = typer.Option(None, "--errors", help="where to write the file with an error column if it is refused"),
            as_json: bool = typer.Option(False, "--json"), lang: str = LANG):
    """Validate a whole XLSX/CSV file, then add its rows as new versions (nothing on any error)."""
    from qaldyq.catalog import service

    content = path.read_bytes()
    rejected = None
    try:
        with cli_session("cli import") as db:
            try:
                outcome = service.import_table(db, table, content, path.name, dry_run=dry_run)
            except service.ImportRejected as exc:
                rejected = exc
                raise
    except typer.Exit:
        if rejected is not None and errors is not None:
            made = service.error_file(rejected, lang)
            if made:
                errors.write_bytes(made[0])
                err.print(f"the rows with their errors are in {errors}")
        raise
    emit(outcome.as_dict(), as_json, f"{table}: {outcome.created} new, {outcome.superseded} superseded, {outcome.closed} closed, {outcome.unchanged} unchanged"
         + (" (dry run: nothing written)" if dry_run else ""))


@calendar_app.command("add-working-days")
def add_working_days(start: str, days: int, as_json: bool = typer.Option(False, "--json")):
    """The DAYS-th working day after START."""
    from qaldyq.catalog import service

    with cli_session() as db:
        result = service.add_working_days(db, _date(start), days)
    emit({"date": result.isoformat()}, as_json, result.isoformat())


@calendar_app.command("year")
def year(year: int, lang: str = LANG, as_json: bool = typer.Option(False, "--json")):
    """Holidays, days off moved by decree and worked weekend days of a year."""
    from qaldyq.catalog import service

    with cli_session() as db:
        days = service.year_exceptions(db, year)
    data = [{"date": d.day.isoformat(), "working": d.working, "reason": d.reason, "name": d.label(lang)} for d in days]
    if as_json:
        print(json.dumps(data, ensure_ascii=False))
        return
    t = Table("date", "day", "working", "why")
    for d in days:
        t.add_row(d.day.isoformat(), d.day.strftime("%a"), "yes" if d.working else "no", d.label(lang))
    console.print(t)


def register(root: typer.Typer) -> None:
    root.add_typer(quote_app, name="quote")
    root.add_typer(catalog_app, name="catalog")
    root.add_typer(calendar_app, name="calendar")


