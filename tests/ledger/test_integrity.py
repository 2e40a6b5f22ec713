"""Entries are immutable in the database; verify_ledger finds any alteration made behind its back."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from qaldyq.ledger import service as L
from qaldyq.ledger.integrity import verify_ledger

MSW = "20 03 01"


@pytest.fixture
def posted(db, world):
    L.record_generation(db, key="g", site_id=world.gen_site.id, waste_code=MSW, mass_kg=1_000)
    p = L.pend_transfer(db, key="p", consignor_site_id=world.gen_site.id, receiver_site_id=world.rec_site.id, waste_code=MSW, mass_kg=600)
    L.post_transfer(db, key="s", pending_id=p.transaction_id, accepted_kg=590)
    g2 = L.record_generation(db, key="g2", site_id=world.gen_site.id, waste_code=MSW, mass_kg=50)
    L.reverse(db, key="r", transaction_id=g2.transaction_id, reason="test")
    return p


def test_a_consistent_ledger_verifies(db, posted):
    r = verify_ledger(db)
    assert r.ok, r.problems
    assert (r.transactions, r.entries) == (5, 11)


@pytest.mark.parametrize("sql", [
    "update ledger_entries set amount_kg = amount_kg + 1",
    "delete from ledger_entries",
    "update ledger_transactions set mass_kg = 1",
    "delete from ledger_transactions where kind = 'reversal'",
    "update ledger_accounts set site_id = null",
    "delete from ledger_accounts",
])
def test_the_database_refuses_to_change_entries_transactions_and_accounts(db, posted, sql):
    with pytest.raises(Exception, match="immutable"):
        with db.begin_nested():
            db.execute(text(sql))


def test_balances_cannot_go_negative_even_by_hand(db, posted):
    with pytest.raises(Exception, match="balance_nonnegative"):
        with db.begin_nested():
            db.execute(text("update ledger_accounts set balance_kg = -1 where kind = 'site'"))


def _drop_guards(db):
    if db.get_bind().dialect.name == "postgresql":
        for table in ("ledger_entries", "ledger_transactions"):
            db.execute(text(f"drop trigger {table}_immutable on {table}"))
    else:
        for table in ("ledger_entries", "ledger_transactions"):
            db.execute(text(f"drop trigger {table}_no_update"))
            db.execute(text(f"drop trigger {table}_no_delete"))


def test_altered_entry_is_found(db, posted):
    _drop_guards(db)
    db.execute(text("update ledger_entries set amount_kg = 580 where line = 'accepted'"))
    r = verify_ledger(db)
    assert not r.ok
    joined = " | ".join(r.problems)
    assert "summing to -10 kg" in joined and "stored balance 590 kg, entries sum to 580 kg" in joined and "differ from the audited posting" in joined


def test_balanced_swap_is_found_by_the_audit_comparison(db, posted):
    """Moving 100 kg between two entries of one transaction keeps it balanced and, with the
    balances edited too, consistent; the audited posting still tells."""
    _drop_guards(db)
    db.execute(text("update ledger_entries set amount_kg = amount_kg - 100 where line = 'settled'"))
    db.execute(text("update ledger_entries set amount_kg = amount_kg + 100 where line = 'accepted'"))
    db.execute(text("update ledger_accounts set balance_kg = balance_kg + 100 where kind = 'site' and key like :k"), {"k": f"site:%:{MSW}"})
    r = verify_ledger(db)
    assert not r.ok and any("differ from the audited posting" in p for p in r.problems)


def test_removed_transaction_is_found(db, posted):
    _drop_guards(db)
    db.execute(text("delete from ledger_entries where transaction_id = (select id from ledger_transactions where kind = 'reversal')"))
    db.execute(text("delete from ledger_transactions where kind = 'reversal'"))
    r = verify_ledger(db)
    assert not r.ok and any("stored balance" in p for p in r.problems)


def test_edited_balance_is_found(db, posted):
    db.execute(text("update ledger_accounts set balance_kg = balance_kg + 5 where kind = 'site'"))
    r = verify_ledger(db)
    assert not r.ok and sum("stored balance" in p for p in r.problems) >= 1
