"""`qaldyq ledger verify` and `qaldyq ledger balances` against a real database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from qaldyq.cli import app
from qaldyq.core.config import get_settings
from qaldyq.core.database import Database
from qaldyq.ledger import service as L
from tests.factories import make_org, make_site


@pytest.fixture
def cli(fresh_url, monkeypatch):
    monkeypatch.setenv("QALDYQ_DATABASE_URL", fresh_url)
    get_settings.cache_clear()
    runner = CliRunner()
    database = Database(fresh_url)
    with database.session() as s:
        site = make_site(s, make_org(s))
        L.record_generation(s, key="g", site_id=site.id, waste_code="20 03 01", mass_kg=1_234)
        L.record_disposal(s, key="d", site_id=site.id, waste_code="20 03 01", mass_kg=234, operation="D1")
        s.commit()
        site_id = site.id
    yield (lambda *args: runner.invoke(app, list(args))), database, site_id
    database.dispose()
    get_settings.cache_clear()


def test_verify_and_balances(cli):
    run, database, site_id = cli
    r = run("ledger", "verify")
    assert r.exit_code == 0 and "ledger consistent" in r.output and "2 transactions" in r.output
    r = run("ledger", "balances", str(site_id), "--json")
    assert json.loads(r.output) == [{"waste_code": "20 03 01", "balance_kg": 1_000}]


def test_verify_reports_tampering(cli):
    run, database, _ = cli
    with database.session() as s:
        if database.kind == "postgresql":
            s.execute(text("drop trigger ledger_entries_immutable on ledger_entries"))
        else:
            s.execute(text("drop trigger ledger_entries_no_update"))
        s.execute(text("update ledger_entries set amount_kg = -200 where line = 'disposed' and amount_kg = -234"))
        s.commit()
    r = run("ledger", "verify", "--json")
    assert r.exit_code == 1
    body = json.loads(r.output)
    assert body["ok"] is False and any("summing to 34 kg" in p for p in body["problems"])
