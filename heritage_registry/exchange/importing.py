"""Import: the records of any format validated, then written, or nothing written.

Every reader ends in `import_records` (`jsonl.import_jsonl`, `csv.import_csv`), so that
every format is validated and written the same way, in two passes, so that a bad file
writes nothing and a large one does not pay the ORM's per-row cost: the first
(`exchange.validate`) checks every record and stages the valid ones in a temporary
SQLite file; the second (`exchange.writer`) writes them in bounded transactions. A
problem is reported with its line (`exchange.problems`); a write stopped part way (a
full disk, another writer) says what is in and how to finish (`ImportInterrupted`).

An event merged into another (`merges`) carries `merged_into`, the other's uid, which may
name an event later in the file or already in the registry: the import checks that it
does (at the same site, without a circle of merges) and writes the merged events last,
in the final transaction, once the events they point to are in. The citations given for
an event whose uid leads to another, through merges in the file or in the registry, are
added to the event it leads to, and the report says so. A line of citations for an event
by its uid (`records.CiteLine`) adds each citation the event lacks as `registry cite`
adds one, with an entry in the event's history; one it has already (the same source and
quote) is skipped. A uid that names no event is refused.

A dry run (`dry_run=True`) makes both passes and rolls the second back, so that it finds
what a real import would, reports what it would add, and leaves the registry as it was.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from heritage_registry import history
from heritage_registry.errors import ImportInterrupted
from heritage_registry.exchange.pacing import _few_collections
from heritage_registry.exchange.problems import FieldName, readable_field
from heritage_registry.exchange.records import ImportReport, Progress
from heritage_registry.exchange.validate import Decode, _Staging, _Validator
from heritage_registry.exchange.writer import _Writer
from heritage_registry.locks import exclusive_import
from heritage_registry.registry import Registry


def import_records(
    registry: Registry,
    records: Iterable[tuple[int, Any]],
    *,
    decode: Decode | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
    by: str | None = None,
    field_name: FieldName = readable_field,
) -> ImportReport:
    """Import exchange records given as `(line number, record)`, by the rules above.

    The JSON Lines reader and the CSV reader both end here, so that every format is
    validated and written the same way; `field_name` names a record's field in a
    problem as the reader's user knows it (`readable_field`, or a CSV column). Each
    record is a dict or a `BadLine`, or, with `decode` (a function of a module), what
    `decode(number, item)` makes of the item given, in the import's worker processes.
    """
    report = ImportReport(dry_run=dry_run)
    author = history.who(by)
    with _staging_space():
        staging = _Staging()
    try:
        with _few_collections(), exclusive_import(registry.engine):
            with registry.engine.connect() as connection, _staging_space():
                validator = _Validator(connection, staging, field_name)
                validator.run(records, decode)
                validator.check_merges()
                validator.check()
                staging.db.commit()
            report.lines = validator.lines
            writer = _Writer(registry, report, by=author, dry_run=dry_run)
            try:
                writer.run(
                    staging.chunks(), staging.count(), progress or (lambda _done, _total: None)
                )
            except sa.exc.OperationalError as exc:
                if not _disk_full(exc):
                    raise
                raise _interrupted(
                    "the database's disk is full", "free some space and ",
                    writer.committed, staging.count(),
                ) from None  # fmt: skip
            except sa.exc.IntegrityError:
                # Imports wait for each other (`exclusive_import`), but a single
                # `add-site` or `add-event` may add one of the file's records between
                # the check and the write.
                raise _interrupted(
                    "another writer added one of the file's records (the same slug, key or "
                    "uid) while it was being imported", "",
                    writer.committed, staging.count(),
                ) from None  # fmt: skip
    finally:
        staging.close()
    return report


def _disk_full(exc: sa.exc.DBAPIError) -> bool:
    """Whether the database refused a write for want of disk space."""
    driver_error = exc.orig
    if getattr(driver_error, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return True
    # PostgreSQL's disk_full (53100), through psycopg 3 (sqlstate) or psycopg2 (pgcode).
    codes = {getattr(driver_error, "sqlstate", None), getattr(driver_error, "pgcode", None)}
    return "53100" in codes or "database or disk is full" in str(driver_error)


def _interrupted(cause: str, fix: str, written: int, total: int) -> ImportInterrupted:
    """What an import stopped part way says: why, what is in, and how to finish it."""
    if written == 0:
        return ImportInterrupted(
            f"{cause}: nothing was imported; {fix}run the import again",
            written=0,
            total=total,
        )
    return ImportInterrupted(
        f"{cause}: the import stopped after writing {written:,} of the file's {total:,} "
        "records, in whole batches (each record complete, in the file's order); "
        f"{fix}run the same import again to add the other {total - written:,} (the records "
        "already present are skipped)",
        written=written,
        total=total,
    )


@contextmanager
def _staging_space() -> Iterator[None]:
    """Say so when the temporary folder the records are staged in fills up."""
    try:
        yield
    except sqlite3.OperationalError as exc:
        if getattr(exc, "sqlite_errorcode", None) != sqlite3.SQLITE_FULL:
            raise
        raise ImportInterrupted(
            f"the temporary folder {tempfile.gettempdir()} is full: nothing was imported; "
            "free some space there, or set TMPDIR to a folder with room, and run the import "
            "again",
            written=0,
            total=0,
        ) from None
