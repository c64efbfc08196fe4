"""Locks that hold a whole operation against the same operation in other processes.

A write transaction serialises one change. An import is more than one transaction: it
validates the whole file against the registry, then writes it in bounded transactions,
and two imports sharing records must not interleave, or each validates against a
registry the other is changing. PostgreSQL gives a session-scoped advisory lock; a
SQLite file gets an operating-system lock on a file beside it (`filelock`, which does
this on every platform). Other writers are not held: their one-transaction writes
already wait for each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from filelock import FileLock

# PostgreSQL advisory lock keys: any 64-bit numbers no other application on the server
# uses ("hreg" "imp"). The migrations' key is `schema.MIGRATION_LOCK`.
IMPORT_LOCK = 0x68726567_696D70


@contextmanager
def exclusive_import(engine: sa.Engine) -> Iterator[None]:
    """Hold the registry's import lock while the block runs; wait for it if held."""
    if engine.dialect.name == "postgresql":
        # A driver connection of its own, so that the lock outlives the import's
        # transactions, and no transaction of the registry's connections is seen to
        # begin or end for it; closing it (even by a killed process) releases the lock.
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT pg_advisory_lock(%s)", (IMPORT_LOCK,))
            raw.commit()
            try:
                yield
            finally:
                cursor.execute("SELECT pg_advisory_unlock(%s)", (IMPORT_LOCK,))
                raw.commit()
        finally:
            raw.close()
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        # One process's own memory: the registry's connection is already its only writer.
        yield
        return
    path = Path(database)
    with FileLock(path.with_name(f"{path.name}.import-lock")):
        yield
