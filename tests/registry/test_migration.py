"""The registry's migration fills the search keys of rows that existed before it, and goes down
and up again with data in place, on both databases."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text

from qaldyq.core import migrate
from qaldyq.core.database import make_engine


def test_search_keys_backfilled_and_round_trip(fresh_url):
    command.downgrade(migrate.alembic_config(fresh_url), "0001_foundation")
    engine = make_engine(fresh_url)
    with engine.begin() as c:
        c.execute(text("insert into organizations (bin, name_kk, name_ru, legal_form, region_kato, status, created_at) "
                       "values ('240140000011', 'ӘДІЛЕТ ЖШС', 'ТОО «Ёлка»', 'llp', '710000000', 'active', CURRENT_TIMESTAMP)"))
        org_id = c.execute(text("select id from organizations")).scalar_one()  # sequences are not rolled back with tests
        c.execute(text("insert into sites (organization_id, name, site_type, region_kato, settlement, lat, lon, geofence_radius_m, permitted_operations, "
                       "permitted_waste_codes, loss_tolerance_pct, status, created_at) values (:org, 'Полигон ТБО', 'landfill', '710000000', 'Астана', "
                       "51.1, 71.4, 150, '[]', '[]', 5, 'active', CURRENT_TIMESTAMP)"), {"org": org_id})
    migrate.upgrade(fresh_url)
    with engine.connect() as c:
        assert c.execute(text("select search_key from organizations")).scalar() == "240140000011 әділет жшс тоо елка"
        assert c.execute(text("select search_key from sites")).scalar() == "полигон тбо астана"
    command.downgrade(migrate.alembic_config(fresh_url), "0001_foundation")
    migrate.upgrade(fresh_url)
    with engine.connect() as c:
        assert c.execute(text("select count(*) from organizations")).scalar() == 1
    assert migrate.is_current(engine, fresh_url)
    engine.dispose()
