"""Where the registry lives and how to connect to it.

SQLite is the embedded default: a file in the user's data directory, so that the
quick start needs no set-up. PostgreSQL works with the same code when a team outgrows
one file. `--db URL` and `REGISTRY_DATABASE_URL` choose another database.
"""

from __future__ import annotations

import difflib
import os
import re
import sqlite3
from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from platformdirs import user_data_path
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.pool import StaticPool

from heritage_registry.errors import DatabaseUnusable, NoRegistry

ENV_VAR = "REGISTRY_DATABASE_URL"
APP_NAME = "heritage-registry"
SQLITE_BUSY_TIMEOUT_MS = 30_000
# The execution option that makes a SQLite transaction take the write lock as it begins.
BEGIN_OPTION = "heritage_registry_begin"
WRITE_OPTIONS = {BEGIN_OPTION: "IMMEDIATE"}
# The engines the registry runs on, by SQLAlchemy's backend name.
SUPPORTED = ("sqlite", "postgresql")
# `name:` followed by something other than `//`: a URL missing its slashes. A
# one-letter scheme is a Windows drive (`C:\\data\\x.db`), which is a path, on Windows.
_HALF_URL = re.compile(
    r"^[A-Za-z][A-Za-z0-9+.-]+:(?!//)" if os.name == "nt" else r"^[A-Za-z][A-Za-z0-9+.-]*:(?!//)"
)
# `user:password@` after a scheme's colon (and slashes), or at the start of a path.
_PASSWORD = re.compile(r"((?:^|:/*)[^:/@\s]*:)[^@/\s]*@")
# What SQLite says of a file it cannot read as a database.
SQLITE_DAMAGED = frozenset(
    {"file is not a database", "database disk image is malformed", "file is encrypted"}
)
# The page cache of a SQLite connection writing many rows, in KiB (SQLite's default: 2 MB):
# BULK_CACHE_BYTES for each record of the registry as it grows (`bulk_cache_kib`), at
# least BULK_CACHE_KIB and at most BULK_CACHE_MAX_KIB.
BULK_CACHE_KIB = 65_536
BULK_CACHE_BYTES = 384
BULK_CACHE_MAX_KIB = 1_048_576


def default_path() -> Path:
    """The SQLite file used when no database is named: `<user data dir>/registry.db`."""
    return user_data_path(APP_NAME, appauthor=False) / "registry.db"


def resolve_url(url: str | None = None) -> str:
    """The database URL to use: the one given, else the environment's, else the default.

    A bare path (`my.db`, `~/data/palmyra.db`) is read as a SQLite file, and a
    `postgresql://` URL without a driver gets psycopg 3, the driver the extra installs.
    Something shaped like a URL without its `//` (`sqlite:/x.db`) is refused rather than
    read as a path, which would make a folder named `sqlite:`.
    """
    chosen = url or os.environ.get(ENV_VAR) or ""
    if not chosen:
        return f"sqlite:///{default_path()}"
    if "://" not in chosen:
        if _HALF_URL.match(chosen):
            scheme = chosen.split(":", 1)[0]
            raise DatabaseUnusable(
                f"cannot use the database URL {mask_url(chosen)}: a URL needs '://' after "
                f"'{scheme}:'; write sqlite:///PATH for a file or "
                "postgresql://USER@HOST/DATABASE for a server"
            )
        return f"sqlite:///{Path(chosen).expanduser()}"
    if chosen.startswith("postgresql://") or chosen.startswith("postgres://"):
        return "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def parse_url(url: str | None = None) -> sa.URL:
    """The URL to use, checked: one of the engines the registry supports, a valid port.

    Every problem is a `DatabaseUnusable` whose message shows the URL with its password
    hidden.
    """
    chosen = resolve_url(url)
    try:
        parsed = sa.make_url(chosen)
        parsed.port  # noqa: B018  # SQLAlchemy parses the port lazily; a bad one raises here.
    except (sa.exc.ArgumentError, ValueError) as exc:
        problem = "its port must be a number" if isinstance(exc, ValueError) else "not a URL"
        raise DatabaseUnusable(
            f"cannot use the database URL {mask_url(chosen)}: {problem}; write sqlite:///PATH "
            "for a file or postgresql://USER@HOST:PORT/DATABASE for a server"
        ) from None
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED:
        close = difflib.get_close_matches(backend, SUPPORTED, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        raise DatabaseUnusable(
            f"cannot use the database {mask_url(chosen)}: heritage-registry supports SQLite "
            f"and PostgreSQL, not {backend!r}; {hint}write sqlite:///PATH or "
            "postgresql://USER@HOST/DATABASE"
        )
    return parsed


def is_sqlite(url: str | sa.URL) -> bool:
    """Whether `url` names a SQLite database."""
    return sa.make_url(url).get_backend_name() == "sqlite"


def _sqlite_file(url: sa.URL) -> Path | None:
    database = url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str | None = None, *, create: bool = True) -> sa.Engine:
    """An engine for the registry, with SQLite set up for safe shared use.

    On SQLite: foreign keys enforced, WAL journal so readers never block the writer,
    a busy timeout so a second writer waits instead of failing at once, and
    transactions that SQLAlchemy begins itself (pysqlite's own implicit transactions
    would otherwise commit DDL and reads outside of them). Without `create`, a SQLite
    file that does not exist is `NoRegistry`: connecting would make an empty one.
    """
    resolved = parse_url(url)
    kwargs: dict[str, Any] = {}
    if resolved.get_backend_name() == "sqlite":
        path = _sqlite_file(resolved)
        if path is None:
            kwargs["poolclass"] = StaticPool
        elif path.is_dir():
            raise DatabaseUnusable(
                f"{shown_path(path)} is a folder, not a registry file; name a file with "
                f"--db, e.g. {shown_path(path / 'registry.db')}"
            )
        elif not create and not path.is_file():
            raise NoRegistry(
                f"no registry at {shown_path(path)}; create one with registry init "
                "(or registry seed)"
            )
        else:
            check_sqlite_file(path)
            if create:
                path.parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        engine = sa.create_engine(resolved, **kwargs)
        _configure_sqlite(engine)
        return engine
    return sa.create_engine(resolved, pool_pre_ping=True)


def check_sqlite_file(path: Path) -> None:
    """Refuse a SQLite file that is not a registry, reading it without writing a byte.

    Opened read-only and apart from the registry's engine, whose connections set the
    journal mode: a file that turns out to be someone else's database must be left
    exactly as it was. A file SQLite cannot read is refused with what to do about it.
    """
    if not path.is_file() or path.stat().st_size == 0:
        return
    try:
        probe = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = probe.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        finally:
            probe.close()
    except sqlite3.DatabaseError as exc:
        raise DatabaseUnusable(damaged_message(path, exc)) from None
    tables = sorted(name for (name,) in rows)
    if tables and "alembic_version" not in tables:
        shown = ", ".join(tables[:5]) + (", ..." if len(tables) > 5 else "")
        raise DatabaseUnusable(
            f"{shown_path(path)} is a SQLite database of something else (tables: {shown}), not a "
            "registry; name another file with --db"
        )


def damaged_message(path: str | Path, exc: str | BaseException) -> str:
    """What to say of a SQLite file that SQLite cannot read."""
    text = str(exc).strip()
    reason = text.splitlines()[0] if text else type(exc).__name__
    return (
        f"cannot read the database file {shown_path(path)}: {reason}; it is damaged or not a "
        "registry: check --db, or restore the file from a backup (or a registry export)"
    )


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
        if mode:
            # Through SQLAlchemy, so that a busy database is its OperationalError.
            connection.exec_driver_sql(f"BEGIN {mode}")
            return
        # A deferred BEGIN takes no lock and cannot fail busy: on the driver's connection,
        # it costs a tenth of a statement through SQLAlchemy, and every read begins so.
        driver = connection.connection.driver_connection
        assert driver is not None
        driver.execute("BEGIN")


@contextmanager
def bulk_writes(connection: sa.Connection) -> Iterator[None]:
    """A connection set up to write many rows, and set back afterwards.

    On SQLite, a page cache of BULK_CACHE_KIB, which the writer sizes to the registry
    (`size_bulk_cache`) as it grows: with the default 2 MB, the indexes of a registry of
    millions of events no longer fit, and an import writes their pages out and reads them
    back again for every batch. The cache is this process's memory, taken as pages are
    read and given back when the import ends.
    """
    if connection.dialect.name != "sqlite":
        yield
        return
    # On the driver's connection: through SQLAlchemy the pragma would begin a transaction.
    driver = connection.connection.driver_connection
    assert driver is not None
    (before,) = driver.execute("PRAGMA cache_size").fetchone()
    size_bulk_cache(connection, 0)
    try:
        yield
    finally:
        # A connection broken by the failure that ended the import is discarded anyway.
        with suppress(sqlite3.Error):
            driver.execute(f"PRAGMA cache_size = {int(before)}")


def bulk_cache_kib(records: int) -> int:
    """The page cache, in KiB, of a bulk writer into a SQLite registry of `records` sites,
    monuments, sources and events.

    What the pages of the indexes that random keys land on (uids, dates, sources: about
    300 bytes a record) need, so that a transaction finds the pages it changes in memory
    and writes each once when it commits. With a fixed 64 MB, an import of a million
    events read and wrote them over and over, and the sqlite3 baseline's cost per event
    grew 1.6x from 100,000 events; with this, 1.3x (the deeper B-trees). Not the file's
    size: most of that is history, written in order, which needs no cache.
    """
    return max(BULK_CACHE_KIB, min(BULK_CACHE_MAX_KIB, records * BULK_CACHE_BYTES // 1024))


def size_bulk_cache(connection: sa.Connection, records: int) -> None:
    """Set a SQLite bulk writer's page cache to `bulk_cache_kib(records)`."""
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA cache_size = -{bulk_cache_kib(records)}")


T = TypeVar("T")

# How many values one `IN (...)` names: a driver or server limits a statement's parameters.
LOOKUP_CHUNK = 500


def chunked(values: Sequence[T], size: int = LOOKUP_CHUNK) -> Iterator[Sequence[T]]:
    """`values` in parts of at most `size`, each few enough for one `IN (...)`."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def among(
    dialect: sa.Dialect, column: sa.ColumnElement[Any], values: Collection[Any]
) -> sa.ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(values)`, the values one array.

    Core renders an `IN` of many values as a parameter each, with its cast, on every
    execution, and psycopg converts the long statement again: for the import's look-ups
    of 2,000 uids a batch that was a third of its first pass's own work. The array is
    one parameter, and PostgreSQL searches the column's index for each of its values as
    it does for an `IN`.
    """
    if dialect.name != "postgresql":
        return column.in_(values)
    from sqlalchemy.dialects.postgresql import ARRAY

    return column == sa.any_(sa.bindparam(None, list(values), type_=ARRAY(column.type)))


def lookup(
    connection: sa.Connection,
    key: sa.ColumnElement[Any],
    value: sa.ColumnElement[Any],
    keys: Collection[Any],
    *,
    chunk: int = LOOKUP_CHUNK,
    where: sa.ColumnElement[bool] | None = None,
) -> dict[Any, Any]:
    """`value` by `key` for the rows whose key is among `keys` (and that meet `where`),
    asked a chunk at a time (a driver or server limits the parameters of one statement)."""
    found: dict[Any, Any] = {}
    for part in chunked(sorted(keys), chunk):
        query = sa.select(key, value).where(among(connection.dialect, key, part))
        if where is not None:
            query = query.where(where)
        found.update(connection.execute(query).all())
    return found


def is_busy(exc: sa.exc.OperationalError) -> bool:
    """Whether a write failed only because another writer held the database."""
    text = str(exc.orig).lower()
    return "database is locked" in text or "database is busy" in text


def display_url(url: str | sa.URL) -> str:
    """The URL with any password hidden, for messages and `registry info`."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError):
        return mask_url(str(url))


def shown_path(path: str | Path) -> str:
    """A SQLite file's path for a message: a path may be a URL typed without its scheme."""
    return mask_url(str(path))


def mask_url(text: str) -> str:
    """`text` with the password of anything shaped like `scheme://user:password@` hidden
    (or `scheme:/user:password@`, a URL missing a slash).

    For strings SQLAlchemy cannot parse (a misspelt scheme, a bad port), which must not
    show their password in an error message either.
    """
    return _PASSWORD.sub(r"\1***@", text)


def storable(text: str) -> bool:
    """Whether a database can hold `text`, so that a record could be named by it.

    PostgreSQL refuses NUL, and no driver can encode a lone surrogate (what Python makes
    of an undecodable byte in a command-line argument). No record has such a name, so a
    lookup of one finds nothing without sending it to the database.
    """
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class unlikely(sa.sql.functions.FunctionElement[bool]):  # noqa: N801 - an SQL function's name
    """A condition the planner should take to hold for few rows: SQLite's `unlikely(X)`.

    SQLite keeps no histogram, so it takes any range (`latest >= ?`) to match a quarter
    of a table, and read a date-filtered list by scanning the whole table in order rather
    than the range of an index. The hint makes it search the index (its cost is one sort
    where a window is wide). Other engines estimate from statistics: there it is the
    condition unchanged.
    """

    type = sa.Boolean()
    name = "unlikely"
    inherit_cache = True
    # A condition already: not to be compared with 1 where booleans are integers.
    _is_implicitly_boolean = True


@compiles(unlikely)
def _unlikely(element: unlikely, compiler: sa.sql.compiler.SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


@compiles(unlikely, "sqlite")
def _unlikely_sqlite(element: unlikely, compiler: sa.sql.compiler.SQLCompiler, **kw: Any) -> str:
    return f"unlikely({compiler.process(element.clauses, **kw)})"


def driver_error(
    connection: sa.Connection,
    cursor: Any,
    sql: str,
    values: Any,
    exc: Any,
) -> sa.exc.StatementError:
    """The driver's error `exc` as SQLAlchemy raises it (`IntegrityError`,
    `OperationalError`, ...), the connection invalidated as SQLAlchemy would where the
    error says that the connection is lost: for statements run on the driver's own
    cursor (`prepared.Prepared`, the import's `COPY`), so that callers handle one kind of
    error whatever ran the statement."""
    dialect = connection.dialect
    lost = dialect.is_disconnect(exc, connection.connection.dbapi_connection, cursor)
    if lost:
        connection.invalidate(exc)
    elif cursor is not None:
        cursor.close()
    error: sa.exc.StatementError = sa.exc.DBAPIError.instance(
        sql,
        values,
        exc,
        dialect.loaded_dbapi.Error,
        hide_parameters=connection.engine.hide_parameters,
        connection_invalidated=lost,
        dialect=dialect,
    )
    return error
