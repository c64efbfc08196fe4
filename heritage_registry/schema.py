"""The database schema's life: its alembic revision, upgrades, downgrades and history.

Application code never calls `create_all`: every schema, new or old, is reached by
running the alembic migrations shipped with the package.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from heritage_registry.errors import SchemaError
from heritage_registry.resources import migrations_path


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
    config = Config()
    config.set_main_option("script_location", str(migrations_path()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def script_directory() -> ScriptDirectory:
    """The shipped migrations; read once, as they cannot change under a running program."""
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    if head is None:
        raise SchemaError("the package ships no migrations; reinstall it")
    return head


def current_revision(engine: sa.Engine) -> str | None:
    """The revision the database is at; `None` for a database never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _migrating(engine: sa.Engine) -> Iterator[Config]:
    with engine.begin() as connection:
        yield alembic_config(connection)


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Migrate the database up to `revision`, in one transaction where the engine allows."""
    _check_known(revision)
    with _migrating(engine) as config:
        command.upgrade(config, revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    _check_known(revision)
    with _migrating(engine) as config:
        command.downgrade(config, revision)


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
    a newer heritage-registry, and is left alone.
    """
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return False
    if current is not None and current not in {rev.revision for rev in history()}:
        raise SchemaError(
            f"the database is at schema revision {current}, which this version of "
            "heritage-registry does not know; upgrade the package"
        )
    upgrade(engine, "head")
    return True
