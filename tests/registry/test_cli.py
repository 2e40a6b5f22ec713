"""`qaldyq org create` and `qaldyq org list` against a real database."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from qaldyq.cli import app
from qaldyq.core.config import get_settings
from qaldyq.core.database import Database
from qaldyq.registry.bin import complete_bin


@pytest.fixture
def fresh(backend, databases, _engines) -> str:
    """Like `fresh_url`, after closing the pooled connections that earlier tests left open on the
    template database (PostgreSQL copies a template only when nobody is connected to it)."""
    if backend in _engines:
        _engines[backend].dispose()
    return databases.fresh(backend)


@pytest.fixture
def cli(fresh, monkeypatch):
    monkeypatch.setenv("QALDYQ_DATABASE_URL", fresh)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def _count(url: str, table: str) -> int:
    db = Database(url)
    with db.session() as s:
        n = s.execute(text(f"select count(*) from {table}")).scalar_one()
    db.dispose()
    return n


def test_org_create_and_list(cli, fresh):
    bin_ = complete_bin("24014000020")
    args = ["org", "create", "--bin", bin_, "--name-kk", "«Таза Жер» ЖШС", "--name-ru", "ТОО «Таза Жер»", "--legal-form", "llp",
            "--region", "550000000", "--role", "collector", "--role", "carrier", "--phone", "8 7182 00 00 00", "--json"]
    r = cli.invoke(app, args)
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["bin"] == "240140000203" and out["roles"] == ["carrier", "collector"] and out["region_kato"] == "550000000"
    assert out["phone"] == "+77182000000"

    r = cli.invoke(app, args)  # the same BIN again
    assert r.exit_code == 2 and "already registered" in r.output
    r = cli.invoke(app, ["org", "create", "--bin", "240140000012", "--name-kk", "x", "--name-ru", "y", "--legal-form", "llp", "--region", "550000000",
                         "--role", "collector"])
    assert r.exit_code == 2 and "/bin: The BIN 240140000012 is not valid" in r.output
    r = cli.invoke(app, ["org", "create", "--bin", complete_bin("24014000003"), "--name-kk", "x", "--name-ru", "y", "--legal-form", "llp",
                         "--region", "990000000", "--role", "collector"])
    assert r.exit_code == 2 and "/region_kato: Unknown region code 990000000." in r.output
    assert _count(fresh, "organizations") == 1
    assert _count(fresh, "audit_log") == 3  # the organization and its two roles, nothing from the refused commands

    r = cli.invoke(app, ["org", "list", "--json"])
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert [o["bin"] for o in rows] == ["240140000203"]
    r = cli.invoke(app, ["org", "list", "--role", "recycler", "--json"])
    assert json.loads(r.stdout) == []
    r = cli.invoke(app, ["org", "list", "-q", "таза"])
    assert r.exit_code == 0 and "ТОО «Таза Жер»" in r.stdout
