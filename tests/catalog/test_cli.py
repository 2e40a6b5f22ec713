"""`qaldyq quote … --json`, `qaldyq catalog export/import`, `qaldyq calendar`: against a real
migrated database (the command commits)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from qaldyq.cli import app
from qaldyq.core.config import get_settings


@pytest.fixture
def fresh_db_url(backend, databases, _engines):
    """Like `fresh_url`, but first closes the pooled connections of earlier tests to the
    template: PostgreSQL refuses CREATE DATABASE … TEMPLATE while anyone is connected to it."""
    if backend in _engines:
        _engines[backend].dispose()
    return databases.fresh(backend)


@pytest.fixture
def cli(fresh_db_url, monkeypatch):
    monkeypatch.setenv("QALDYQ_DATABASE_URL", fresh_db_url)
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_quote_vehicle_json(cli):
    r = cli("quote", "vehicle", "--category", "tractor", "--power-hp", "130", "--date", "2025-04-01", "--json")
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    assert body["amount_kzt"] == "1081300.00"
    assert body["row"]["key"] == {"code": "TR-2"}
    assert body["mrp"]["value_kzt"] == "3932.00"


def test_quote_payout_and_product_json(cli):
    r = cli("quote", "payout", "--category", "eee-screens", "--operation", "single", "--mass-t", "2", "--date", "2024-09-01", "--json", "--lang", "ru")
    body = json.loads(r.stdout)
    assert body["amount_kzt"] == "318914.96"  # 2 × 43.19 × 3,692
    assert body["act"]["issuer"] == "Правительство Республики Казахстан"
    r = cli("quote", "product", "--category", "tyres", "--mass-t", "1.5", "--date", "2024-09-01", "--json")
    assert json.loads(r.stdout)["amount_kzt"] == "78362.70"


def test_quote_error_exits_2_and_names_the_field(cli):
    r = cli("quote", "vehicle", "--category", "M1", "--gross-mass-t", "3", "--date", "2025-04-01")
    assert r.exit_code == 2
    assert "/gross_mass_t" in r.output


def test_export_import_round_trip_and_rejection(cli, tmp_path):
    out = tmp_path / "mrp.csv"
    assert cli("catalog", "export", "mrp", "-o", str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8-sig")
    assert "3932" in text
    r = cli("catalog", "import", "mrp", str(out), "--json")
    assert json.loads(r.stdout)["unchanged"] == 3
    out.write_text(text + "5000,law-2025-239-viii,2026-06-01,,overlaps 2026\n", encoding="utf-8")
    errors = tmp_path / "errors.csv"
    r = cli("catalog", "import", "mrp", str(out), "--errors", str(errors))
    assert r.exit_code == 2
    assert "Row 4 of this file has the same key and an overlapping period." in errors.read_text(encoding="utf-8-sig")
    out.write_text(text + "4600,law-2025-239-viii,2027-01-01,2027-12-31,next year\n", encoding="utf-8")
    r = cli("catalog", "import", "mrp", str(out), "--json")
    assert json.loads(r.stdout) == {"table": "mrp", "rows": 4, "created": 1, "superseded": 0, "closed": 0, "unchanged": 3, "dry_run": False}


def test_calendar_commands(cli):
    r = cli("calendar", "add-working-days", "2025-06-05", "1", "--json")
    assert json.loads(r.stdout) == {"date": "2025-06-09"}
    r = cli("calendar", "year", "2024", "--json", "--lang", "ru")
    days = {d["date"]: d for d in json.loads(r.stdout)}
    assert days["2024-05-04"]["working"] is True
