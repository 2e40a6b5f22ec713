"""Every test that touches the database runs on SQLite and on PostgreSQL.

PostgreSQL is 127.0.0.1:5432 with trust auth (override with QALDYQ_TEST_PG_URL). Each run creates
its own databases and drops them at the end, so runs never collide. Under CI=true a missing
PostgreSQL fails the run; elsewhere those tests skip with the reason.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from qaldyq.core import migrate
from qaldyq.core.audit import SYSTEM, set_actor
from qaldyq.core.config import Settings
from qaldyq.core.database import Database, make_engine

PG_ADMIN_URL = os.environ.get("QALDYQ_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")
_RUN = uuid.uuid4().hex[:8]


def _pg_admin_engine():
    return create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", pool_pre_ping=True)


def _pg_available() -> str | None:
    try:
        eng = _pg_admin_engine()
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


class _Databases:
    """Creates migrated template databases lazily, one per backend, and copies of them."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.templates: dict[str, str] = {}
        self.created_pg: list[str] = []
        self.worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")

    def pg_url(self, name: str) -> str:
        return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name

    def template(self, backend: str) -> str:
        if backend not in self.templates:
            if backend == "sqlite":
                url = f"sqlite:///{self.tmp / 'template.db'}"
            else:
                reason = _pg_available()
                if reason:
                    if os.environ.get("CI") == "true":
                        pytest.fail(reason + " (CI requires PostgreSQL)")
                    pytest.skip(reason)
                name = f"qaldyq_t_{_RUN}_{self.worker}_tpl"
                self._create_pg(name)
                url = self.pg_url(name)
            migrate.upgrade(url)
            self.templates[backend] = url
        return self.templates[backend]

    def _create_pg(self, name: str, template: str | None = None) -> None:
        eng = _pg_admin_engine()
        with eng.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")))
        eng.dispose()
        self.created_pg.append(name)

    def fresh(self, backend: str) -> str:
        """A new database with the migrated schema, for tests that need real commits."""
        tpl = self.template(backend)
        if backend == "sqlite":
            path = self.tmp / f"fresh-{uuid.uuid4().hex[:8]}.db"
            shutil.copy(self.tmp / "template.db", path)
            return f"sqlite:///{path}"
        name = f"qaldyq_t_{_RUN}_{self.worker}_{uuid.uuid4().hex[:6]}"
        self._create_pg(name, template=tpl.rsplit("/", 1)[1])
        return self.pg_url(name)

    def drop_all(self) -> None:
        if not self.created_pg:
            return
        eng = _pg_admin_engine()
        with eng.connect() as c:
            for name in reversed(self.created_pg):
                c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()


@pytest.fixture(scope="session")
def databases(tmp_path_factory):
    dbs = _Databases(tmp_path_factory.mktemp("db"))
    yield dbs
    dbs.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def _engines(databases):
    engines: dict[str, object] = {}
    yield engines
    for eng in engines.values():
        eng.dispose()


class SavepointDatabase(Database):
    """Every session joins one outer transaction that the test rolls back; commits in the code
    under test become savepoint releases."""

    def __init__(self, url: str, engine, connection):
        self.url = url
        self.engine = engine
        self.connection = connection

    def session(self, write: bool = False) -> Session:
        s = Session(bind=self.connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
        set_actor(s, SYSTEM)
        return s

    def dispose(self) -> None:  # the fixture owns the engine
        pass


@pytest.fixture
def database(backend, databases, _engines):
    url = databases.template(backend)
    if backend not in _engines:
        _engines[backend] = make_engine(url)
    engine = _engines[backend]
    conn = engine.connect()
    trans = conn.begin()
    yield SavepointDatabase(url, engine, conn)
    trans.rollback()
    conn.close()


@pytest.fixture
def db(database) -> Session:
    session = database.session()
    yield session
    session.close()


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(database_url="sqlite://", instance_dir=tmp_path / "instance", secret_key="test-secret-not-for-production", default_locale="en", login_rate_per_minute=5)


@pytest.fixture
def app(database, settings):
    from qaldyq.app import create_app

    return create_app(settings, database)


@pytest.fixture
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def fresh_url(backend, databases, _engines) -> str:
    # PostgreSQL copies a template only while nobody is connected to it: close the pooled
    # connections earlier tests of this worker left open.
    if backend in _engines:
        _engines[backend].dispose()
    return databases.fresh(backend)


from tests.factories import *  # noqa: E402,F401,F403  (shared fixtures for all domains)
