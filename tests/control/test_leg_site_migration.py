"""The migration that gives transfer legs the site of their take-over (read by the impossible-travel
check) fills it for the legs already taken over: the consignor's site for a first leg, the
receiver's for a later one; a leg not yet taken over stays without."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import command

from qaldyq.core import migrate
from qaldyq.core.audit import SYSTEM, set_actor
from qaldyq.core.database import Database, UTCDateTime
from qaldyq.transfers.models import TransferDocument
from tests.factories import make_org, make_site, make_user

BEFORE = "0003_transfers_bulk"
# transfer_legs as it was before the migration (no site_id)
OLD_LEGS = sa.table("transfer_legs", sa.column("document_id"), sa.column("seq"), sa.column("carrier_org_id"),
                    sa.column("taken_over_at", UTCDateTime()))


def test_legs_taken_over_before_the_migration_get_their_site(fresh_url):
    database = Database(fresh_url)
    try:
        with database.session() as db:
            set_actor(db, SYSTEM)
            org, carrier = make_org(db), make_org(db, roles=("waste_carrier",))
            consignor, receiver = make_site(db, org), make_site(db, org, site_type="recycler")
            doc = TransferDocument(number="TD-2026-000001", state="in_transit", created_by_user_id=make_user(db, org).id,
                                   consignor_org_id=org.id, consignor_site_id=consignor.id, receiver_org_id=org.id, receiver_site_id=receiver.id,
                                   waste_code="15 01 02", description="ПЭТ", physical_form="solid", declared_mass_kg=1_000,
                                   mass_basis="weighed", planned_operation="R3")
            db.add(doc)
            db.commit()
            ids = (doc.id, carrier.id, consignor.id, receiver.id)
        database.dispose()
        command.downgrade(migrate.alembic_config(fresh_url), BEFORE)
        doc_id, carrier_id, consignor_id, receiver_id = ids
        at = datetime(2026, 10, 5, 8, tzinfo=timezone.utc)
        with database.engine.begin() as c:
            c.execute(sa.insert(OLD_LEGS), [dict(document_id=doc_id, seq=1, carrier_org_id=carrier_id, taken_over_at=at),
                                            dict(document_id=doc_id, seq=2, carrier_org_id=carrier_id, taken_over_at=at),
                                            dict(document_id=doc_id, seq=3, carrier_org_id=carrier_id, taken_over_at=None)])
        database.dispose()
        migrate.upgrade(fresh_url)
        with database.engine.connect() as c:
            rows = c.execute(sa.text("SELECT seq, site_id FROM transfer_legs ORDER BY seq")).all()
        assert [tuple(r) for r in rows] == [(1, consignor_id), (2, receiver_id), (3, None)]
    finally:
        database.dispose()
