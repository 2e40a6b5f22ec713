"""`qaldyq telemetry analyze|prune|partitions|scan`."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from qaldyq.telemetry.config import get_telemetry_settings

app = typer.Typer(help="Vehicle telemetry: offline analysis, retention, partitions.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


@app.command("analyze")
def analyze_cmd(
    points: Path = typer.Argument(..., help="POINTS.csv: vehicle,time,lat,lon (ISO 8601 times with a UTC offset)"),
    sites: Path | None = typer.Option(None, "--sites", help="SITES.csv: site_id,lat,lon,radius_m"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
    min_minutes: float | None = typer.Option(None, help="minimum dwell of a stop (default 5)"),
    max_diameter_m: float | None = typer.Option(None, help="the stop fits within this many metres (default 50)"),
    margin_m: float | None = typer.Option(None, help="GPS margin outside a geofence (default 25)"),
):
    """Find the stops in a tracker export and classify them against the sites' geofences (the
    same code as the server). Exit status 2 on a malformed file."""
    from qaldyq.telemetry.analysis import analyze
    from qaldyq.telemetry.csvio import CsvError, read_points, read_sites
    from qaldyq.telemetry.geofence import SiteIndex
    from qaldyq.telemetry.stops import StopParams

    s = get_telemetry_settings()
    params = StopParams((min_minutes if min_minutes is not None else s.stop_min_minutes) * 60,
                        max_diameter_m if max_diameter_m is not None else s.stop_max_diameter_m, s.gap_minutes * 60)
    if params.min_duration_s <= 0 or params.max_diameter_m <= 0:
        err.print("[red]error:[/red] --min-minutes and --max-diameter-m must be positive")
        raise typer.Exit(2)
    for path in (points, sites):
        if path is not None and not path.is_file():
            err.print(f"[red]error:[/red] {path}: no such file")
            raise typer.Exit(2)
    try:
        index = read_sites(sites, margin_m if margin_m is not None else s.geofence_margin_m) if sites else SiteIndex.empty()
        size = points.stat().st_size
        with Progress(TextColumn("reading {task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                      console=err, transient=True, disable=size < 5_000_000) as progress:
            task = progress.add_task(points.name, total=size)
            track = read_points(points, lambda done: progress.update(task, completed=done))
    except CsvError as exc:
        err.print(f"[red]error:[/red] {exc.path}: line {exc.line}: {exc.message}")
        raise typer.Exit(2) from None
    an = analyze(track, index, params)
    records = an.stop_records()
    if as_json:
        out = {"points": len(track), "vehicles": int(track.labels.size), "sites": len(index),
               "parameters": {"min_minutes": params.min_duration_s / 60, "max_diameter_m": params.max_diameter_m},
               "stops": records}
        print(json.dumps(out, ensure_ascii=False))
        return
    table = Table(title=f"{len(records)} stops in {len(track)} points of {track.labels.size} vehicles")
    for col in ("vehicle", "start", "end", "minutes", "lat", "lon", "classification"):
        table.add_column(col)
    for r in records:
        cls = r["classification"]
        table.add_row(str(r["vehicle"]), r["start"], r["end"], f"{r['duration_s'] / 60:.1f}", f"{r['lat']:.6f}", f"{r['lon']:.6f}",
                      f"[red]{cls}[/red]" if cls == "unauthorized" else str(cls))
    console.print(table)


@app.command("prune")
def prune_cmd(older_than_days: int = typer.Option(None, "--older-than-days", help="default: QALDYQ_TELEMETRY_RETENTION_DAYS (400)"),
              as_json: bool = typer.Option(False, "--json")):
    """Delete points older than N days (PostgreSQL: drop whole daily partitions)."""
    from qaldyq.core.commands import cli_session
    from qaldyq.telemetry import service

    days = older_than_days if older_than_days is not None else get_telemetry_settings().retention_days
    with cli_session("telemetry prune") as db:
        result = service.prune(db, days)
    if as_json:
        print(json.dumps(result))
    else:
        console.print(f"cut-off {result['cutoff']}: {len(result['partitions_dropped'])} partitions dropped, {result['rows_deleted']} rows deleted")


@app.command("partitions")
def partitions_cmd(days_ahead: int = typer.Option(3, "--days-ahead", min=0, max=60)):
    """Create the daily partitions from today to N days ahead (PostgreSQL; run it from cron so
    that the ingest never has to)."""
    from qaldyq.core.commands import cli_session
    from qaldyq.telemetry import service

    today = datetime.now(timezone.utc).date()
    with cli_session("telemetry partitions") as db:
        created = service.ensure_partitions(db, [today + timedelta(days=k) for k in range(days_ahead + 1)])
    console.print(f"{len(created)} partitions created" + (f": {', '.join(created)}" if created else ""))


@app.command("scan")
def scan_cmd(day: str = typer.Option(None, help="local date YYYY-MM-DD (default: today)")):
    """Re-run the suspected-dumping detection for every vehicle that reported on a day."""
    from sqlalchemy import select

    from qaldyq.core.commands import cli_session
    from qaldyq.telemetry import service
    from qaldyq.telemetry.models import TelemetryPoint

    try:
        d = date.fromisoformat(day) if day else datetime.now(service.LOCAL_TZ).date()
    except ValueError:
        err.print(f"[red]error:[/red] --day {day!r} is not a date (YYYY-MM-DD)")
        raise typer.Exit(2) from None
    start, end = service.local_day_bounds(d)
    with cli_session("telemetry scan") as db:
        ids = db.scalars(select(TelemetryPoint.vehicle_id).where(TelemetryPoint.time >= start, TelemetryPoint.time < end).distinct()).all()
        alerts = service.scan_alerts(db, list(ids), int(start.timestamp()), int(end.timestamp())) if ids else []
    console.print(f"{len(ids)} vehicles scanned, {len(alerts)} alerts raised or updated")



def register(root: typer.Typer) -> None:
    root.add_typer(app, name="telemetry")
