"""Alembic environment. Each domain has its own branch of revisions (labels = domain name) so
domains can add tables without editing each other's files; `upgrade heads` runs them all."""

from __future__ import annotations

from alembic import context
from sqlalchemy import pool

from qaldyq.core.database import Base, make_engine
from qaldyq.domains import import_all_models

import_all_models()
config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url"), poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
