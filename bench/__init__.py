"""Benchmarks (`make bench`). Shared here: scratch PostgreSQL databases that a run creates and
drops, so benchmarks never touch a real database."""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text

PG_ADMIN = os.environ.get("QALDYQ_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _admin(sql: str) -> None:
    eng = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with eng.connect() as c:
        c.execute(text(sql))
    eng.dispose()


def scratch_pg(prefix: str) -> tuple[str, str]:
    """(URL, name) of a new empty PostgreSQL database."""
    name = f"qaldyq_bench_{prefix}_{uuid.uuid4().hex[:6]}"
    _admin(f'CREATE DATABASE "{name}"')
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name, name


def drop_pg(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
