"""Engine, sessions and the declarative base.

Services take a Session and never commit; the edge (API handler, CLI command) commits, so one
command is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    # Tables are audited row by row unless a model says otherwise (high-volume append-only
    # tables such as ledger entries and GPS points are audited at the business action instead).
    __audit__ = True


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


def chunks(values, size: int = 1000) -> Iterator[list]:
    """`values` in lists of at most `size`: the parameters of one `IN (...)` query each (drivers
    and databases limit how many a statement may carry)."""
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _cache_long_statements() -> None:
    """psycopg converts a statement's placeholders in Python and caches the result only for
    statements under 4 KB and 50 parameters. Batched writes (SQLAlchemy's insertmanyvalues: one
    INSERT with a page of rows) repeat the same long text page after page, and converting it
    again each time halved their speed (bench/transfers.py). psycopg keeps 128 such conversions."""
    import psycopg._queries as queries

    queries.MAX_CACHED_STATEMENT_LENGTH = max(queries.MAX_CACHED_STATEMENT_LENGTH, 1 << 20)
    queries.MAX_CACHED_STATEMENT_PARAMS = max(queries.MAX_CACHED_STATEMENT_PARAMS, 1 << 16)


def make_engine(url: str, **kwargs) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    _cache_long_statements()
    # No server-side prepared statements: a generic plan made while a table was small (a
    # seq scan) stays in use as the table grows, until the next ANALYZE; planned each time,
    # look-ups by key keep their index (bench/transfers.py: 55 ms against 3 ms per batch query).
    kwargs.setdefault("connect_args", {}).setdefault("prepare_threshold", None)
    if "poolclass" not in kwargs:
        kwargs.setdefault("pool_size", 10)
        kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(url, **kwargs)
    # Inserts that need no key back (ids given from the sequences, see transfers/batch.py; audit
    # records) go as multi-row INSERTs, as those that need RETURNING do, not one statement per
    # row: about a fifth less time in the inserts of a bulk batch (bench/transfers.py).
    engine.dialect.use_insertmanyvalues_wo_returning = True
    return engine


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and defers BEGIN; take control of it
    # (the recipe from SQLAlchemy's SQLite dialect documentation) and enable WAL and foreign keys.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    # A writing session (Database.session(write=True)) takes the write lock when it starts, so
    # two writers queue on the busy timeout instead of failing with "database is locked" when a
    # reader upgrades to a writer; readers stay lock-free under WAL. PostgreSQL is the database
    # for concurrent production load.
    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")


WRITE_OPTION = "qaldyq_write"


def db_kind(engine: Engine) -> str:
    return engine.dialect.name


class Database:
    """One engine and its session factory; the app and the CLI each hold one."""

    def __init__(self, url: str, **engine_kwargs):
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self.write_sessionmaker = sessionmaker(self.engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)

    @property
    def kind(self) -> str:
        return db_kind(self.engine)

    def session(self, write: bool = False) -> Session:
        """`write=True` for a command that will change data (see _configure_sqlite)."""
        return (self.write_sessionmaker if write else self.sessionmaker)()

    def session_scope(self) -> Iterator[Session]:
        session = self.sessionmaker()
        try:
            yield session
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()
