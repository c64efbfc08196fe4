"""The database schema's life: its alembic revision, upgrades, downgrades and history.

Application code never calls `create_all`: every schema, new or old, is reached by
running the alembic migrations shipped with the package.

Every command checks the schema's revision before it touches data, so that check is
cheap: the revision is one query of `alembic_version` and the shipped revisions are read
from the migration files' `revision` lines. Alembic (with mako and its DDL modules, a
tenth of a second) is imported only to migrate or to describe the migrations.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from heritage_registry import db
from heritage_registry.errors import NoRegistry, SchemaError
from heritage_registry.resources import migrations_path

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

# Alembic's table of the revision a database is at (env.py keeps alembic's default).
VERSION_TABLE = "alembic_version"
# A migration file's `revision = "0004"` or `down_revision: str | None = None` line.
_REVISION_LINE = re.compile(
    r"^(?P<name>revision|down_revision)\s*(?::[^=\n]*)?=\s*(?:None|[\"'](?P<value>[^\"']+)[\"'])\s*$",
    re.MULTILINE,
)


@dataclass(frozen=True)
class Revision:
    revision: str
    down_revision: str | None
    doc: str
    is_head: bool


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """An alembic configuration pointing at the shipped migrations.

    Given a connection, the migrations run on it (and in its transaction); env.py
    otherwise opens its own from `-x db=URL` or `REGISTRY_DATABASE_URL`.
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def script_directory() -> ScriptDirectory:
    """The shipped migrations; read once, as they cannot change under a running program."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config())


@functools.cache
def shipped_revisions() -> dict[str, str | None]:
    """Each shipped revision and the one it revises, read from the migration files' text.

    What `script_directory()` finds, without importing alembic and every migration
    (tests/test_migrations.py holds the two equal).
    """
    revisions: dict[str, str | None] = {}
    for path in sorted((migrations_path() / "versions").glob("*.py")):
        found = {
            match["name"]: match["value"]
            for match in _REVISION_LINE.finditer(path.read_text(encoding="utf-8"))
        }
        if found.get("revision"):
            revisions[found["revision"]] = found.get("down_revision")
    return revisions


def head_revision() -> str:
    """The newest schema revision this version of the package ships."""
    revisions = shipped_revisions()
    heads = set(revisions) - set(revisions.values())
    # Anything but one head (a branch, a file in another form) is alembic's to judge.
    head = next(iter(heads)) if len(heads) == 1 else script_directory().get_current_head()
    if head is None:
        raise SchemaError("the package ships no migrations; reinstall it")
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at; `None` for a database never migrated."""
    with engine.connect() as connection:
        return _revision_of(connection)


# The key of the PostgreSQL advisory lock that migrations hold; any 64-bit number that
# no other application on the same server uses for its own locks ("hreg" "mig").
MIGRATION_LOCK = 0x68726567_6D6967


@contextmanager
def _migrating(engine: sa.Engine) -> Iterator[Config]:
    """One migration transaction, which holds the database against other migrators.

    Several commands may find a new or older database at the same moment. On PostgreSQL
    a transaction-scoped advisory lock makes the others wait; on SQLite the transaction
    begins with `BEGIN IMMEDIATE`, which takes the write lock (waiting on the busy
    timeout) before anything is read. Whoever waited then finds the schema migrated.

    On SQLite, foreign keys are off while the migration runs: altering a table there
    means copying it to a new one and dropping the old, which the rows referring to it
    would otherwise forbid. `PRAGMA foreign_key_check` then proves, before the commit,
    that every reference still holds (alembic's documented recipe for batch mode).
    """
    sqlite = db.is_sqlite(engine.url)
    bind = engine.execution_options(**db.WRITE_OPTIONS) if sqlite else engine
    with bind.connect() as connection:
        # On the driver's connection, outside any transaction: inside one the pragma is
        # silently ignored.
        driver = connection.connection.driver_connection if sqlite else None
        if driver is not None:
            driver.execute("PRAGMA foreign_keys = OFF")
        try:
            with connection.begin():
                if connection.dialect.name == "postgresql":
                    connection.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
                yield alembic_config(connection)
                if driver is not None:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise SchemaError(
                            f"the migration would leave {len(broken)} broken references "
                            f"(first: {tuple(broken[0])}); nothing was changed"
                        )
        finally:
            if driver is not None:
                driver.execute("PRAGMA foreign_keys = ON")


def _revision_of(connection: sa.Connection) -> str | None:
    """The revision `alembic_version` holds, as alembic's `get_current_revision` reads it."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    held = connection.execute(sa.text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars()
    versions = list(held)
    if len(versions) <= 1:
        return versions[0] if versions else None
    # Several heads: alembic refuses them, in its words.
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Migrate the database up to `revision`, in one transaction where the engine allows."""
    from alembic import command

    _check_known(revision)
    with _migrating(engine) as config:
        command.upgrade(config, revision)


@dataclass(frozen=True)
class Held:
    """Where a revision keeps what users enter: a table's rows, or those of its rows
    whose columns the revision added hold a value (`where`, an SQL condition)."""

    table: str
    where: str | None = None
    what: str = "rows"

    def count(self, connection: sa.Connection) -> int:
        query = sa.select(sa.func.count()).select_from(sa.table(self.table))
        if self.where is not None:
            query = query.where(sa.text(self.where))
        return int(connection.execute(query).scalar_one())

    def describe(self, count: int) -> str:
        noun = self.what if count != 1 else self.what.replace("rows", "row", 1)
        return f"{count} {self.table} {noun}"


# What each revision adds that a downgrade past it would drop. A test
# (tests/test_team_safety.py) holds the tables equal to what the migrations create, and
# the migrations' downgrades refuse by the same list.
DATA_ADDED: dict[str, tuple[Held, ...]] = {
    "0001": tuple(
        Held(table) for table in ("site", "monument", "source", "damage_event", "source_citation")
    ),
    "0002": (Held("change"),),
    "0003": (
        Held(
            "source_citation",
            "via IS NOT NULL OR CAST(mentions AS TEXT) <> '[]'",
            "rows with a via or mentions",
        ),
        Held("damage_event", "merged_into_id IS NOT NULL", "rows merged into another"),
        Held("change", "action = 'merge'", "rows recording a merge"),
    ),
    "0004": (
        Held("change", "action IN ('create', 'remove')", "rows recording a creation or removal"),
    ),
    # Indexes, and a confidence derived again from what the registry holds: nothing lost.
    "0005": (),
    # The quotes' offsets go with the texts they point into.
    "0006": (Held("source_text"),),
    # A trigger function that the import's statements may pass by: no table or column.
    "0007": (),
    # An index of the merged events: nothing a user entered.
    "0008": (),
}


@dataclass(frozen=True)
class DowngradePlan:
    """What a downgrade from `current` to `target` would remove."""

    current: str | None
    target: str | None
    held: tuple[tuple[Held, int], ...]

    @property
    def loses_data(self) -> bool:
        return any(count for _, count in self.held)

    def describe(self) -> str:
        return ", ".join(held.describe(count) for held, count in self.held if count) or "nothing"


def plan_downgrade(engine: sa.Engine, revision: str) -> DowngradePlan:
    """The rows a downgrade to `revision` would drop with the tables it removes."""
    _check_known(revision)
    scripts = script_directory()
    with engine.connect() as connection:
        current = _revision_of(connection)
        if current is None:
            return DowngradePlan(None, None, ())
        # The revisions from the current one down to base, newest first.
        chain = [script.revision for script in scripts.iterate_revisions(current, "base")]
        target: str | None
        if revision == "base":
            target = None
        elif revision.startswith("-") and revision[1:].isdigit():
            steps = int(revision[1:])
            target = chain[steps] if steps < len(chain) else None
        else:
            found = scripts.get_revision(revision)
            target = found.revision if found is not None else None
        # A target that is no ancestor of the current revision is alembic's to refuse.
        leaving = (
            chain if target is None else chain[: chain.index(target)] if target in chain else []
        )
        present = set(sa.inspect(connection).get_table_names())
        items = [item for rev in sorted(leaving) for item in DATA_ADDED.get(rev, ())]
        # Where the whole table goes, its rows are counted once, not again in parts.
        whole = {item.table for item in items if item.where is None}
        held = tuple(
            (item, item.count(connection))
            for item in items
            if item.table in present and (item.where is None or item.table not in whole)
        )
    return DowngradePlan(current, target, held)


def downgrade(engine: sa.Engine, revision: str, *, drop_data: bool = False) -> None:
    """Migrate the database down to `revision`.

    A downgrade that would drop rows (the records of a table an undone revision added)
    is refused with `SchemaError` unless `drop_data` is set: the migrations themselves
    refuse to drop a user's records otherwise.
    """
    plan = plan_downgrade(engine, revision)
    if plan.loses_data and not drop_data:
        raise SchemaError(
            f"downgrading to {revision} would delete {plan.describe()}; export the "
            "registry first (registry export -o FILE), then confirm with --yes"
        )
    from alembic import command

    with _migrating(engine) as config:
        config.attributes[DROP_DATA] = drop_data
        command.downgrade(config, revision)


# The alembic config attribute by which a confirmed downgrade tells a migration that
# dropping the records it holds is intended.
DROP_DATA = "heritage_registry_drop_data"


def backup_sqlite(engine: sa.Engine) -> Path | None:
    """Copy a SQLite registry beside itself (`NAME.backup-<UTC time>`); None on PostgreSQL.

    Made with SQLite's online backup, which copies a consistent state even while other
    connections write (a file copy could catch a transaction half-written to the WAL).
    """
    database = engine.url.database
    if not db.is_sqlite(engine.url) or not database or database == ":memory:":
        return None
    source = Path(database)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = source.with_name(f"{source.name}.backup-{stamp}")
    with sqlite3.connect(source) as original, sqlite3.connect(target) as copy:
        original.backup(copy)
    original.close()
    copy.close()
    return target


def refuse_to_drop_data(connection: sa.Connection, config: Config | None, revision: str) -> None:
    """For a migration's downgrade: refuse while what `revision` added holds data.

    Only a downgrade confirmed through `downgrade(..., drop_data=True)` (the command's
    `--yes`) passes; alembic's own command line never does.
    """
    if config is not None and config.attributes.get(DROP_DATA):
        return
    counted = [(item, item.count(connection)) for item in DATA_ADDED[revision]]
    if any(count for _, count in counted):
        described = ", ".join(item.describe(count) for item, count in counted if count)
        raise SchemaError(
            f"this downgrade would delete {described}; export the registry first "
            "(registry export -o FILE), then confirm with registry db downgrade --yes"
        )


def history() -> list[Revision]:
    """Every revision, newest first."""
    scripts = script_directory()
    heads = set(scripts.get_heads())
    result: list[Revision] = []
    for script in scripts.walk_revisions():
        down = script.down_revision
        result.append(
            Revision(
                revision=script.revision,
                down_revision=down if isinstance(down, str) or down is None else ",".join(down),
                doc=script.doc or "",
                is_head=script.revision in heads,
            )
        )
    return result


def _check_known(revision: str) -> None:
    if revision in ("head", "base") or revision.startswith(("+", "-")):
        return
    known = [rev.revision for rev in history()]
    if not any(rev.startswith(revision) for rev in known):
        raise SchemaError(
            f"unknown schema revision {revision!r}; choose one of: {', '.join(known)}, head, base"
        )


def ensure_current(engine: sa.Engine) -> bool:
    """Bring the database to the schema this version expects; True when it migrated.

    A new database is created; an older one is upgraded (migrations never drop what a
    user entered). A database at a revision this version does not know was written by
    a newer heritage-registry, and is left alone; so is a SQLite file that holds tables
    of something else. Concurrent callers wait for each other (`_migrating`), and the
    revision is read again under the lock, so only the first one migrates.
    """
    head = head_revision()
    if current_revision(engine) == head:
        return False
    with _migrating(engine) as config:
        connection = config.attributes["connection"]
        current = _revision_of(connection)
        if current == head:
            return False
        _check_usable(current)
        from alembic import command

        command.upgrade(config, "head")
    return True


def require_current(engine: sa.Engine) -> None:
    """Refuse, with what to do, a database a reading command cannot use as it is.

    Reading commands never create or migrate: a database with no registry is
    `NoRegistry`, an older one asks for `registry db upgrade`.
    """
    with engine.connect() as connection:
        current = _revision_of(connection)
        if current is None:
            raise NoRegistry(
                f"no registry at {_place(engine)}; create one with registry init (or registry seed)"
            )
        _check_usable(current)
    head = head_revision()
    if current != head:
        raise SchemaError(
            f"the registry at {_place(engine)} is at schema revision {current}, older than "
            f"this version's {head}; upgrade it with registry db upgrade"
        )


def _place(engine: sa.Engine) -> str:
    database = engine.url.database
    if db.is_sqlite(engine.url) and database and database != ":memory:":
        return db.shown_path(database)
    return db.display_url(engine.url)


def _check_usable(current: str | None) -> None:
    if current is not None and current not in shipped_revisions():
        raise SchemaError(
            f"the database is at schema revision {current}, which this version of "
            "heritage-registry does not know; upgrade the package"
        )
