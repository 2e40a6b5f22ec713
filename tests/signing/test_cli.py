"""`qaldyq pki trust add|list|remove` and `qaldyq pki check-signatures` against a real database."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from qaldyq.cli import app
from qaldyq.core.config import get_settings
from tests.signing.pki import make_ca, pem


@pytest.fixture
def cli(fresh_url, monkeypatch, tmp_path):
    monkeypatch.setenv("QALDYQ_DATABASE_URL", fresh_url)
    monkeypatch.setenv("QALDYQ_SECRET_KEY", "cli-test-secret")
    get_settings.cache_clear()
    runner = CliRunner()
    yield lambda *args: runner.invoke(app, list(args))
    get_settings.cache_clear()


def test_trust_add_list_remove(cli, tmp_path):
    root = make_ca("CLI Root CA")
    inter = root.intermediate("CLI Intermediate CA")
    path = tmp_path / "nca.pem"
    path.write_text(pem(root.cert, inter.cert))
    r = cli("pki", "trust", "add", str(path), "--label", "NCA RK (test)", "--json")
    assert r.exit_code == 0, r.output
    added = json.loads(r.output)
    assert [a["subject"] for a in added] == ["CN=CLI Root CA,C=KZ", "CN=CLI Intermediate CA,C=KZ"]
    listed = json.loads(cli("pki", "trust", "list", "--json").output)
    assert [(c["subject"], c["self_signed"]) for c in listed] == [("CN=CLI Root CA,C=KZ", True), ("CN=CLI Intermediate CA,C=KZ", False)]
    r = cli("pki", "trust", "remove", added[1]["fingerprint"])
    assert r.exit_code == 0 and "no longer trusted" in r.output
    assert len(json.loads(cli("pki", "trust", "list", "--json").output)) == 1
    assert len(json.loads(cli("pki", "trust", "list", "--all", "--json").output)) == 2
    leaf, _ = root.issue()
    (tmp_path / "leaf.pem").write_text(pem(leaf))
    r = cli("pki", "trust", "add", str(tmp_path / "leaf.pem"))
    assert r.exit_code == 2 and "not a certification authority" in r.output
    r = cli("pki", "trust", "remove", "00" * 32)
    assert r.exit_code == 2


def test_issuing_ca_and_check_signatures(cli):
    r = cli("pki", "issuing-ca", "--name", "Instance CA", "--organization", "Test")
    assert r.exit_code == 0 and "issuing CA created" in r.output
    listed = json.loads(cli("pki", "trust", "list", "--json").output)
    assert listed[0]["issues_held_keys"] is True
    r = cli("pki", "check-signatures", "--json")
    assert r.exit_code == 0 and json.loads(r.output) == {"checked": 0, "altered": []}
