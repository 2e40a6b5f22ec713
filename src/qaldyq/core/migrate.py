"""Alembic from code: `qaldyq db upgrade`, the health endpoint's revision, and the tests."""

from __future__ import annotations

from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "qaldyq:migrations")
    cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(url: str, revision: str = "heads") -> None:
    command.upgrade(alembic_config(url), revision)


def current_revisions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return sorted(MigrationContext.configure(conn).get_current_heads())


@lru_cache(maxsize=4)
def _scripts(url: str) -> ScriptDirectory:
    # Reading the migration scripts costs tens of milliseconds and they do not change under a
    # running process; the health endpoint asks on every call (monitoring polls it).
    return ScriptDirectory.from_config(alembic_config(url))


def head_revisions(url: str) -> list[str]:
    return sorted(_scripts(url).get_heads())


def is_current(engine: Engine, url: str) -> bool:
    """Every head of every domain branch is applied. (The version table lists only the heads that
    no other applied revision depends on, so it is compared through the revision graph.)"""
    script = _scripts(url)
    current = current_revisions(engine)
    if not current:
        return False
    applied = {rev.revision for rev in script.iterate_revisions(current, "base")}
    return set(script.get_heads()) <= applied
