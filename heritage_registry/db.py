"""Where the registry lives and how to connect to it.

SQLite is the embedded default: a file in the user's data directory, so that the
quick start needs no set-up. PostgreSQL works with the same code when a team outgrows
one file. `--db URL` and `REGISTRY_DATABASE_URL` choose another database.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from platformdirs import user_data_path
from sqlalchemy.pool import StaticPool

ENV_VAR = "REGISTRY_DATABASE_URL"
APP_NAME = "heritage-registry"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# The execution option that makes a SQLite transaction take the write lock as it begins.
BEGIN_OPTION = "heritage_registry_begin"
WRITE_OPTIONS = {BEGIN_OPTION: "IMMEDIATE"}
# The page cache of a SQLite connection writing many rows, in KiB (SQLite's default: 2 MB).
BULK_CACHE_KIB = 65_536


def default_path() -> Path:
    """The SQLite file used when no database is named: `<user data dir>/registry.db`."""
    return user_data_path(APP_NAME, appauthor=False) / "registry.db"


def resolve_url(url: str | None = None) -> str:
    """The database URL to use: the one given, else the environment's, else the default.

    A bare path (`my.db`, `~/data/palmyra.db`) is read as a SQLite file, and a
    `postgresql://` URL without a driver gets psycopg 3, the driver the extra installs.
    """
    chosen = url or os.environ.get(ENV_VAR) or ""
    if not chosen:
        return f"sqlite:///{default_path()}"
    if "://" not in chosen:
        return f"sqlite:///{Path(chosen).expanduser()}"
    if chosen.startswith("postgresql://") or chosen.startswith("postgres://"):
        return "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def is_sqlite(url: str | sa.URL) -> bool:
    return sa.make_url(url).get_backend_name() == "sqlite"


def _sqlite_file(url: sa.URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str | None = None) -> sa.Engine:
    """An engine for the registry, with SQLite set up for safe shared use.

    On SQLite: foreign keys enforced, WAL journal so readers never block the writer,
    a busy timeout so a second writer waits instead of failing at once, and
    transactions that SQLAlchemy begins itself (pysqlite's own implicit transactions
    would otherwise commit DDL and reads outside of them).
    """
    resolved = sa.make_url(resolve_url(url))
    kwargs: dict[str, Any] = {}
    if resolved.get_backend_name() == "sqlite":
        path = _sqlite_file(resolved)
        if path is None:
            kwargs["poolclass"] = StaticPool
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = sa.create_engine(resolved, **kwargs)
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(resolved, pool_pre_ping=True)


def _configure_sqlite(engine: sa.Engine) -> None:
    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(connection: sa.Connection) -> None:
        mode = connection.get_execution_options().get(BEGIN_OPTION, "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


@contextmanager
def bulk_writes(connection: sa.Connection) -> Iterator[None]:
    """A connection set up to write many rows, and set back afterwards.

    On SQLite, a page cache of BULK_CACHE_KIB: with the default 2 MB, the indexes of a
    registry of millions of events no longer fit, and an import writes their pages out
    and reads them back again for every batch. The cache is this process's memory, given
    back when the import ends.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    # On the driver's connection: through SQLAlchemy the pragma would begin a transaction.
    driver = connection.connection.driver_connection
    assert driver is not None
    (before,) = driver.execute("PRAGMA cache_size").fetchone()
    driver.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        # A connection broken by the failure that ended the import is discarded anyway.
        with suppress(sqlite3.Error):
            driver.execute(f"PRAGMA cache_size = {int(before)}")


def is_busy(exc: sa.exc.OperationalError) -> bool:
    """Whether a write failed only because another writer held the database."""
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


def display_url(url: str | sa.URL) -> str:
    """The URL with any password hidden, for messages and `registry info`."""
    return sa.make_url(url).render_as_string(hide_password=True)
