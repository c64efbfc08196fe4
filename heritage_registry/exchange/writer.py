"""The import's second pass: the staged records written into the registry in bulk.

The records staged by the first pass (`exchange.validate`) are written with SQLAlchemy
Core (`exchange.inserts`), in transactions of `TRANSACTION_SIZE` records or, on SQLite,
of a quarter of the registry (`transaction_full`), what the registry holds already (by
slug, key or uid) skipped and an event already present given the citations it lacks. A
source's text is kept where the source has none (the first pass refused one that differs
from the registry's), with a `text attached` entry in the source's history, as
`Registry.attach_text` writes. Merged events are written last, in the final transaction,
once the events they point to are in; the citations given for an event whose uid leads to
another, through merges, go to the event it leads to. A dry run writes in one transaction
and rolls it back.

Each transaction ends by storing the confidence of the events whose citations it
changed (`confidence.refresh`). A new event is written with the confidence derived from
the citations it brings, and those citations so that the triggers leave it be (inside
`confidence.derived_citations` on PostgreSQL; before their events, with foreign keys
deferred to the commit, on SQLite), so that only events cited again (later in the file,
or already in the registry) are derived and updated after: updating every new event
again was a quarter of an import's time on PostgreSQL, a sixth on SQLite.

On PostgreSQL a batch of new events is written in the background (`exchange.overlap`)
while the next batch's rows (`exchange.rows`) are built: their ids are taken ahead from
the sequence, and the next batch's uids are looked up before this batch is written, so
that the connection is free for the look-up; the new events of this batch count as held
for it. Anything else that uses the connection waits for the writes first (`_idle`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from heritage_registry import confidence, history, reads, texts
from heritage_registry.db import (
    WRITE_OPTIONS,
    among,
    bulk_writes,
    chunked,
    lookup,
    size_bulk_cache,
)
from heritage_registry.exchange.inserts import _getter, _Insert
from heritage_registry.exchange.overlap import Background, EventIds
from heritage_registry.exchange.pacing import _collect_young
from heritage_registry.exchange.records import ImportReport, Progress, _live_events, _utc
from heritage_registry.exchange.rows import (
    CITATION_COLUMNS,
    EVENT_COLUMNS,
    EVENT_READY,
    STAMPS,
    Rows,
)
from heritage_registry.exchange.validate import Chunk
from heritage_registry.models import (
    CHANGE_TABLE,
    CITATION_TABLE,
    EVENT_TABLE,
    MONUMENT_TABLE,
    SITE_TABLE,
    SOURCE_TABLE,
    TEXT_TABLE,
    Source,
    SourceWithText,
    built_years,
    published_span,
    utcnow,
)
from heritage_registry.registry import Registry
from heritage_registry.vocab import ChangeAction, ChangeHow, RecordType

# Records a transaction holds before it commits (whole chunks: it may hold a few more); what
# is committed stays if a later transaction fails. On SQLite a transaction grows with the
# registry (`transaction_full`): at least 1/TRANSACTION_SHARE of the records it holds,
# for at most TRANSACTION_SECONDS.
TRANSACTION_SIZE = 10_000
TRANSACTION_SHARE = 4
TRANSACTION_SECONDS = 10.0


def transaction_full(engine: str, records: int, registry_records: int, seconds: float) -> bool:
    """Whether a bulk writer's transaction of `records`, begun `seconds` ago in a registry
    of `registry_records` (sites, monuments, sources and events), should commit now.

    On SQLite each commit writes every page the transaction changed, and the pages a
    transaction of random keys (uids, dates, sources) changes in each index grow with the
    index until every one of its pages is changed: transactions of a fixed size wrote
    more per event the larger the registry (an import of a million events cost 1.4x per
    event what one of 100,000 did). Holding a quarter of the registry keeps what each
    event costs the same at any size. The write lock is held as long, and other writers
    wait for it (for `db.SQLITE_BUSY_TIMEOUT_MS` at most, 30 s): never longer than
    TRANSACTION_SECONDS. PostgreSQL writes pages out by its own checkpoints, not at
    commit: there TRANSACTION_SIZE holds.
    """
    if records < TRANSACTION_SIZE:
        return False
    if engine != "sqlite" or seconds >= TRANSACTION_SECONDS:
        return True
    return records * TRANSACTION_SHARE >= registry_records


def _next_ids(connection: sa.Connection, count: int) -> range:
    """The ids SQLite would give the next `count` events: one past the largest, on.

    The import's transaction holds SQLite's write lock (`WRITE_OPTIONS`), so no other
    writer can take them before its rows are in.
    """
    if not count:
        return range(0)
    largest = connection.execute(sa.select(sa.func.max(EVENT_TABLE.c.id))).scalar() or 0
    return range(largest + 1, largest + 1 + count)


def _records(connection: sa.Connection) -> int:
    """About how many sites, monuments, sources and events the registry holds: the largest
    row ids, read from the end of each table's primary key without counting."""
    tables = (SITE_TABLE, MONUMENT_TABLE, SOURCE_TABLE, EVENT_TABLE)
    largest = sa.select(*(sa.select(sa.func.max(t.c.id)).scalar_subquery() for t in tables))
    return sum(value or 0 for value in connection.execute(largest).one())


def _when(value: str | None, default: dt.datetime) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if value else default


# The tables an import fills whose statistics its own statements need, which
# `_Writer._analyse` has PostgreSQL analyse. Not `change`: the largest (each record's
# creation, whole), a third of the time ANALYZE took, and read by the import only through
# its indexes, which PostgreSQL chooses without statistics for the few rows asked.
_ANALYSED = ("site", "monument", "source", "damage_event", "source_citation")


class _Writer:
    """The second pass: staged records into the registry, batch by batch."""

    def __init__(
        self, registry: Registry, report: ImportReport, *, by: str, dry_run: bool = False
    ) -> None:
        self.registry = registry
        engine = self.engine = registry.engine
        self.report = report
        # Who the history entries of the citations added by uid name.
        self.by = by
        # A dry run writes in one transaction, rolled back at the end.
        self.dry_run = dry_run
        # Citations for merged events of the file, added once those are written.
        self.cites_held: list[dict[str, Any]] = []
        # Records in the transactions committed so far: whole chunks, kept if a later fails.
        self.committed = 0
        self.now = utcnow()
        self.site_ids: dict[str, int] = {}
        self.monument_ids: dict[tuple[int, str], int] = {}
        self.source_ids: dict[str, int] = {}
        # Each source's publisher, by key: what a new event's confidence is derived from.
        self.publishers: dict[str, str | None] = {}
        # The sources this import added: a text attached to one keeps its line's times.
        self.new_sources: set[str] = set()
        dialect = engine.dialect
        self.rows = Rows(
            dialect,
            self.now,
            site_ids=self.site_ids,
            monument_ids=self.monument_ids,
            source_ids=self.source_ids,
            publishers=self.publishers,
        )
        self.stamp = self.rows.stamp
        # Events in the tables when they were last analysed (`_analyse`), from PostgreSQL's
        # own estimate at the start: a large registry is analysed already, and an import
        # of a few records into it needs no more.
        self.analysed = self.events_before = self.events_written = 0
        # Records in a SQLite registry when the import began (`_records`), for the size
        # of its transactions (`transaction_full`).
        self.records_before = 0
        self.event_insert = _Insert(
            dialect,
            EVENT_TABLE,
            EVENT_COLUMNS,
            EVENT_READY,
        )
        # Merged events, by uid, held back until the events they point to are written.
        self.pending: dict[str, dict[str, Any]] = {}
        self.citation_insert = _Insert(dialect, CITATION_TABLE, CITATION_COLUMNS, STAMPS)
        self.inserts: dict[tuple[str, tuple[str, ...], frozenset[str]], _Insert] = {}
        # On PostgreSQL a batch of new events is written by `overlap.Background` while the
        # next batch's rows are built, with ids taken ahead (`overlap.EventIds`), and the
        # next batch's uids looked up before this one is written (`lookahead`): those of
        # this batch's new events (`just_written`) are then known to be held already.
        self.background: Background | None = None
        self.ids: EventIds | None = None
        self.lookahead: tuple[list[dict[str, Any]], dict[str, int], dict[str, int]] | None = None
        self.just_written: dict[str, int] = {}
        self.event_insert_with_ids = _Insert(
            dialect,
            EVENT_TABLE,
            ("id", *EVENT_COLUMNS),
            {"id", *EVENT_READY},
        )

    def run(self, staged: Iterable[Chunk], total: int, progress: Progress) -> None:
        done = 0
        in_transaction = 0
        # On SQLite each transaction takes the write lock as it begins, as every writer
        # of the registry does, so that another writer in between makes it wait rather
        # than fail with `database is locked` when it turns from reading to writing.
        connection = self.engine.execution_options(**WRITE_OPTIONS).connect()
        try:
            with bulk_writes(connection):
                transaction = connection.begin()
                began = time.monotonic()
                sqlite = connection.dialect.name == "sqlite"
                self._load_ids(connection)
                if sqlite:
                    self.records_before = _records(connection)
                    size_bulk_cache(connection, self.records_before)
                if connection.dialect.name == "postgresql":
                    estimate = connection.exec_driver_sql(
                        "SELECT reltuples FROM pg_class WHERE oid = 'damage_event'::regclass"
                    ).scalar()
                    self.events_before = self.analysed = max(0, int(estimate or 0))
                    self.ids = EventIds(connection)
                    self.background = Background()
                progress(0, total)
                # The last chunk is written outside the loop: the final commit follows it,
                # with no commit of its own before.
                waiting: Chunk | None = None
                for chunk in staged:
                    if waiting is not None:
                        done += self._flush(connection, *waiting, following=chunk)
                        in_transaction += len(waiting[1])
                        progress(done, total)
                        if not self.dry_run and transaction_full(
                            connection.dialect.name,
                            in_transaction,
                            self.records_before + done,
                            time.monotonic() - began,
                        ):
                            self._idle()
                            # Each transaction stores the confidence of the events it
                            # wrote or cited, so that --confidence filters in the database.
                            self._analyse(connection)
                            confidence.refresh(connection)
                            transaction.commit()
                            self.committed = done
                            transaction = connection.begin()
                            if sqlite:
                                size_bulk_cache(connection, self.records_before + done)
                            began = time.monotonic()
                            in_transaction = 0
                    waiting = chunk
                    _collect_young()
                if waiting is not None:
                    done += self._flush(connection, *waiting)
                self._idle()
                self._merged_events(connection)
                if self.cites_held:
                    self._cites(connection, self.cites_held)
                if self.dry_run:
                    transaction.rollback()
                    return
                self._analyse(connection)
                confidence.refresh(connection)
                transaction.commit()
                self.committed = done
                progress(done, total)
        finally:
            if self.background is not None:
                self.background.close()
            connection.close()

    def _idle(self) -> None:
        """Wait for the writes running in the background (raising what failed), before
        the connection is used for anything else."""
        if self.background is not None:
            self.background.idle()

    def _analyse(self, connection: sa.Connection) -> None:
        """On PostgreSQL, ANALYZE the tables the import fills each time it has doubled the
        events.

        PostgreSQL's planner knows a table by its last ANALYZE: for tables an import has
        just filled it knew none, and read every citation for each chunk of events whose
        confidence it derived (an import of 100,000 events spent most of its time there).
        Autovacuum would analyse them only after a commit, and when it chose. Doubling
        keeps the statistics within a factor of two of the truth at a logarithmic cost
        (ANALYZE samples a fixed number of rows, about 0.2 s at 30,000 events). It takes
        only a lock that other writers and readers do not wait for.
        """
        # Counted in events, not records: the sites and monuments come first in a file,
        # and tables analysed before its events would tell the planner they have none.
        events = self.events_before + self.events_written
        if connection.dialect.name != "postgresql" or not self.events_written:
            return
        if events < 2 * self.analysed:
            return
        connection.exec_driver_sql(f"ANALYZE {', '.join(_ANALYSED)}")
        self.analysed = events

    def _load_ids(self, connection: sa.Connection) -> None:
        # In place: `self.rows` reads the same dicts.
        for known in (self.site_ids, self.monument_ids, self.source_ids, self.publishers):
            known.clear()
        self.site_ids.update(
            connection.execute(sa.select(SITE_TABLE.c.slug, SITE_TABLE.c.id)).all()
        )
        self.monument_ids.update(
            ((site_id, slug), monument_id)
            for site_id, slug, monument_id in connection.execute(
                sa.select(MONUMENT_TABLE.c.site_id, MONUMENT_TABLE.c.slug, MONUMENT_TABLE.c.id)
            )
        )
        for key, source_id, publisher in connection.execute(
            sa.select(SOURCE_TABLE.c.key, SOURCE_TABLE.c.id, SOURCE_TABLE.c.publisher)
        ):
            self.source_ids[key] = source_id
            self.publishers[key] = publisher

    def _flush(
        self,
        connection: sa.Connection,
        kind: str,
        records: list[dict[str, Any]],
        following: Chunk | None = None,
    ) -> int:
        if kind == "event":
            self._events(connection, records, following)
            self.events_written += len(records)
            return len(records)
        self._idle()
        if kind == "site":
            self._sites(connection, records)
        elif kind == "monument":
            self._monuments(connection, records)
        elif kind == "source":
            self._sources(connection, records)
        elif kind == "text":
            self._texts(connection, records)
        elif kind == "cite":
            self._cites(connection, records)
        else:
            self._changes(connection, records)
        return len(records)

    def _insert_many(
        self,
        connection: sa.Connection,
        table: sa.Table,
        rows: Sequence[Mapping[str, Any]],
        ready: Collection[str] = (),
    ) -> None:
        """`INSERT` rows given as mappings, all with the same keys."""
        if not rows:
            return
        columns = tuple(rows[0])
        key = (table.name, columns, frozenset(ready))
        insert = self.inserts.get(key)
        if insert is None:
            insert = self.inserts[key] = _Insert(connection.dialect, table, columns, ready)
        values = _getter(columns)
        insert.run(connection, [values(row) for row in rows])

    def _created(
        self,
        connection: sa.Connection,
        kind: RecordType,
        records: Iterable[tuple[str, dict[str, Any]]],
    ) -> None:
        """The `create` entries of records just written: imported, when and by whom.

        Each holds the record as the file gave it (an event with its citations). A file
        that carries the record's own history (an export) brings its `create` entry,
        which takes this one's place (`_changes`), so that an export imported elsewhere
        exports the same again.
        """
        self._insert_many(connection, CHANGE_TABLE, self._creation_rows(kind, records))

    def _creation_rows(
        self, kind: RecordType, records: Iterable[tuple[str, dict[str, Any]]]
    ) -> list[dict[str, Any]]:
        return history.creation_rows(
            (
                (kind, name, {k: v for k, v in record.items() if k != "type"})
                for name, record in records
            ),
            by=self.by,
            how=ChangeHow.IMPORT,
            at=self.now,
        )

    def _changes(self, connection: sa.Connection, records: list[dict[str, Any]]) -> None:
        """History entries the registry lacks, matched by record, action and time.

        A record's own `create` entry replaces the one this import wrote for it.
        """
        changes = CHANGE_TABLE
        times = {_when(record["changed_at"], self.now) for record in records}
        held = {
            (row.record_type.value, row.record, row.action.value, _utc(row.changed_at))
            for row in connection.execute(
                sa.select(
                    changes.c.record_type, changes.c.record, changes.c.action, changes.c.changed_at
                ).where(changes.c.changed_at.in_(times))
            )
        }
        fresh = []
        for record in records:
            at = _when(record["changed_at"], self.now)
            key = (record["record_type"], record["record"], record["action"], at)
            if key in held:
                self.report.existing["changes"] += 1
                continue
            held.add(key)
            fresh.append({**record, "changed_at": at})
        # A record's own entry, brought by the file, takes the place of the one this import
        # wrote for it: its `create` entry, or the entry that attached a source's text.
        replaced: dict[tuple[str, str, str | None], list[str]] = {}
        kind: tuple[str, str, str | None]
        for record in fresh:
            if record["action"] == ChangeAction.CREATE.value:
                kind = (ChangeAction.CREATE.value, record["record_type"], None)
            elif _attaches_text(record):
                kind = (ChangeAction.UPDATE.value, RecordType.SOURCE.value, _ATTACHED)
            else:
                continue
            replaced.setdefault(kind, []).append(record["record"])
        for (action, record_type, reason), names in replaced.items():
            written = [
                changes.c.action == action,
                changes.c.how == ChangeHow.IMPORT,
                changes.c.changed_at == self.now,
                changes.c.changed_by == self.by,
                changes.c.record_type == record_type,
            ]
            if reason is not None:
                written.append(changes.c.reason == reason)
            for part in chunked(names):
                connection.execute(changes.delete().where(*written, changes.c.record.in_(part)))
        self._insert_many(connection, changes, fresh)
        self.report.added["changes"] += len(fresh)

    def _sites(self, connection: sa.Connection, records: list[dict[str, Any]]) -> None:
        fresh = self._fresh(
            "sites", records, lambda r: r["slug"] in self.site_ids, lambda r: r["slug"]
        )
        if fresh:
            stamp = self.stamp
            self._insert_many(
                connection,
                SITE_TABLE,
                [
                    {
                        **record,
                        "created_at": stamp(record["created_at"]),
                        "updated_at": stamp(record["updated_at"]),
                    }
                    for record in fresh
                ],
                STAMPS,
            )
            self._created(connection, RecordType.SITE, [(r["slug"], r) for r in fresh])
            slugs = [record["slug"] for record in fresh]
            self.site_ids.update(
                connection.execute(
                    sa.select(SITE_TABLE.c.slug, SITE_TABLE.c.id).where(
                        SITE_TABLE.c.slug.in_(slugs)
                    )
                ).all()
            )

    def _monuments(self, connection: sa.Connection, records: list[dict[str, Any]]) -> None:
        def held(record: dict[str, Any]) -> bool:
            return (self.site_ids[record["site"]], record["slug"]) in self.monument_ids

        fresh = self._fresh("monuments", records, held, lambda r: (r["site"], r["slug"]))
        if not fresh:
            return
        stamp = self.stamp
        rows = []
        for record in fresh:
            rows.append(
                {
                    **{key: value for key, value in record.items() if key != "site"},
                    **built_years(record["built"]),
                    "site_id": self.site_ids[record["site"]],
                    "created_at": stamp(record["created_at"]),
                    "updated_at": stamp(record["updated_at"]),
                }
            )
        self._insert_many(connection, MONUMENT_TABLE, rows, STAMPS)
        self._created(
            connection, RecordType.MONUMENT, [(f"{r['site']}/{r['slug']}", r) for r in fresh]
        )
        site_ids = {row["site_id"] for row in rows}
        for site_id, slug, monument_id in connection.execute(
            sa.select(MONUMENT_TABLE.c.site_id, MONUMENT_TABLE.c.slug, MONUMENT_TABLE.c.id).where(
                MONUMENT_TABLE.c.site_id.in_(site_ids)
            )
        ):
            self.monument_ids[(site_id, slug)] = monument_id

    def _sources(self, connection: sa.Connection, records: list[dict[str, Any]]) -> None:
        fresh = self._fresh(
            "sources", records, lambda r: r["key"] in self.source_ids, lambda r: r["key"]
        )
        if not fresh:
            return
        stamp = self.stamp
        rows = []
        for record in fresh:
            rows.append(
                {
                    **record,
                    **published_span(record["published"]),
                    "created_at": stamp(record["created_at"]),
                    "updated_at": stamp(record["updated_at"]),
                }
            )
        self._insert_many(connection, SOURCE_TABLE, rows, STAMPS)
        self._created(connection, RecordType.SOURCE, [(r["key"], r) for r in fresh])
        keys = [record["key"] for record in fresh]
        self.new_sources.update(keys)
        self.publishers.update((record["key"], record["publisher"]) for record in fresh)
        self.source_ids.update(
            connection.execute(
                sa.select(SOURCE_TABLE.c.key, SOURCE_TABLE.c.id).where(SOURCE_TABLE.c.key.in_(keys))
            ).all()
        )

    def _texts(self, connection: sa.Connection, records: list[dict[str, Any]]) -> None:
        """Sources' texts, each where its source has none, with its history entry.

        The first pass refused a text other than the one the source keeps: one found here
        is the same, already present. A source that was in the registry before this
        import is changed as of now, as `Registry.attach_text` changes it, and its
        citations are located in the text; one that the file adds keeps its line's times.
        """
        ids = [self.source_ids[record["source"]] for record in records]
        held = set(
            connection.execute(
                sa.select(TEXT_TABLE.c.source_id).where(TEXT_TABLE.c.source_id.in_(ids))
            ).scalars()
        )
        with Session(bind=connection) as session:
            for record, source_id in zip(records, ids, strict=True):
                if source_id in held:
                    self.report.existing["texts"] += 1
                    continue
                held.add(source_id)
                connection.execute(
                    TEXT_TABLE.insert().values(
                        source_id=source_id,
                        sha256=record["sha256"],
                        text=record["text"],
                        retrieved=dt.date.fromisoformat(record["retrieved"]),
                        url=record["url"],
                        archived_url=record["archived_url"],
                        attached_at=_when(record["attached_at"], self.now),
                    )
                )
                source = session.get(Source, source_id)
                assert source is not None
                if record["source"] not in self.new_sources:
                    source.updated_at = self.now
                    session.add(source)
                    texts._relocate(session, source, record["text"])
                session.flush()
                state = self.registry._source_public(source)
                kept = texts.kept(session, source)
                history.log(
                    session, RecordType.SOURCE, record["source"], ChangeAction.UPDATE,
                    SourceWithText(**dict(state), text=None),
                    SourceWithText(**dict(state), text=kept),
                    reason=_ATTACHED, by=self.by, how=ChangeHow.IMPORT, at=self.now,
                )  # fmt: skip
                self.report.added["texts"] += 1

    def _fresh(
        self,
        kind: str,
        records: list[dict[str, Any]],
        held: Callable[[dict[str, Any]], bool],
        identity: Callable[[dict[str, Any]], Any],
    ) -> list[dict[str, Any]]:
        """The records the registry lacks, a record given twice whole only once.

        Only records of the same identity (slug, key) are compared whole: encoding each
        record to compare them all took longer than inserting them.
        """
        fresh: list[dict[str, Any]] = []
        given: dict[Any, list[dict[str, Any]]] = {}
        for record in records:
            if held(record):
                self.report.existing[kind] += 1
                continue
            same = given.setdefault(identity(record), [])
            if record not in same:
                same.append(record)
                fresh.append(record)
        self.report.added[kind] += len(fresh)
        return fresh

    def _held_events(
        self, connection: sa.Connection, records: list[dict[str, Any]]
    ) -> tuple[dict[str, int], dict[str, int]]:
        """The events among `records` the registry holds ({uid: id}), and those of them
        merged into another; on PostgreSQL, with ids ready for the rest."""
        uids = list({record["uid"]: None for record in records})
        held: dict[str, int] = {}
        merged: dict[str, int] = {}
        for uid, event_id, merged_into_id in connection.execute(
            sa.select(EVENT_TABLE.c.uid, EVENT_TABLE.c.id, EVENT_TABLE.c.merged_into_id).where(
                among(connection.dialect, EVENT_TABLE.c.uid, uids)
            )
        ):
            held[uid] = event_id
            if merged_into_id is not None:
                merged[uid] = event_id
        if self.ids is not None:
            self.ids.reserve(connection, len(records))
        return held, merged

    def _events(
        self,
        connection: sa.Connection,
        records: list[dict[str, Any]],
        following: Chunk | None = None,
    ) -> None:
        if self.lookahead is not None and self.lookahead[0] is records:
            _records, held, merged = self.lookahead
        else:
            self._idle()
            held, merged = self._held_events(connection, records)
        self.lookahead = None
        # The last batch's new events, written after this batch was looked up.
        just_written, self.just_written = self.just_written, {}
        for record in records:
            if record["uid"] in just_written:
                held[record["uid"]] = just_written[record["uid"]]
        fresh: dict[str, dict[str, Any]] = {}
        again: list[dict[str, Any]] = []
        pending = self.pending
        for record in records:
            if record["uid"] in held:
                self.report.existing["events"] += 1
                again.append(record)
            elif record["uid"] in fresh:
                again.append(record)
            elif record["uid"] in pending:
                pending[record["uid"]]["citations"] += record["citations"]
            elif record["merged_into"] is not None:
                pending[record["uid"]] = record
            else:
                fresh[record["uid"]] = record
        rows = [self.rows.event(record) for record in fresh.values()]
        self.report.added["events"] += len(fresh)
        created = self._creation_rows(RecordType.EVENT, fresh.items()) if rows else []
        if self.ids is None:
            ids = dict(zip(fresh, _next_ids(connection, len(fresh)), strict=True))
        else:
            ids = {uid: self.ids.take() for uid in fresh}
        citations = [
            self.rows.citation(ids[record["uid"]], citation)
            for record in fresh.values()
            for citation in record["citations"]
        ]
        self.report.added["citations"] += len(citations)
        rows_with_ids = [(ids[row[0]], *row) for row in rows]
        self._idle()
        if not again and self.background is not None:
            # Only new events: written in the background while the next batch's rows
            # are built, once its uids are looked up (before these are written, so
            # that these count as held for it: `just_written`).
            if following is not None and following[0] == "event":
                self.lookahead = (following[1], *self._held_events(connection, following[1]))
            self.just_written = ids
            self.background.submit(
                lambda: self._write_new(connection, rows_with_ids, created, citations)
            )
            return
        self._write_new(connection, rows_with_ids, created, citations)
        held.update(ids)
        if merged:
            # The citations given for a merged event go to the event its uid leads to.
            given = {record["uid"] for record in again if record["citations"]}
            self._redirect(connection, held, {uid: merged[uid] for uid in given & set(merged)})
        # Only now, with the new events' citations stored, can a repeat be told apart.
        missing = self._missing_citations(connection, held, again)
        self.citation_insert.run(connection, missing)
        self.report.added["citations"] += len(missing)

    def _write_new(
        self,
        connection: sa.Connection,
        rows: list[tuple[Any, ...]],
        created: list[dict[str, Any]],
        citations: list[tuple[Any, ...]],
    ) -> None:
        """Write new events (rows with their ids, each with the confidence derived from
        the citations it brings), their `create` entries and those citations, leaving
        the events' confidence as written."""
        if connection.dialect.name == "sqlite":
            # SQLite's triggers cannot read `derived_citations`' setting: written after
            # their events, each citation would set its event's confidence NULL, and
            # every new event be derived and updated again (a sixth of an import). Written
            # first, under foreign keys deferred to the commit (SQLite turns the pragma
            # off again there), they find no event to unset.
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
            self.citation_insert.run(connection, citations)
            self.event_insert_with_ids.run(connection, rows)
            self._insert_many(connection, CHANGE_TABLE, created)
            return
        self.event_insert_with_ids.run(connection, rows)
        self._insert_many(connection, CHANGE_TABLE, created)
        with confidence.derived_citations(connection):
            self.citation_insert.run(connection, citations)

    def _cites(self, connection: sa.Connection, records: list[dict[str, Any]]) -> None:
        """Add citations to events by uid, each with its `cite` entry in the event's history.

        As `Registry.cite` does: the event a merged one leads to is cited, and the entry
        holds the citation and the event's state before and after it. A citation the
        event has already (the same source and quote) is skipped, as the import skips one
        given again with its event. Each citation added costs its event's state read
        twice, which lines of whole events, written in bulk, do not.
        """
        if self.pending:
            # Merged events of the file are written last; so are the citations for them.
            held = [record for record in records if record["uid"] in self.pending]
            if held:
                self.cites_held += held
                records = [record for record in records if record["uid"] not in self.pending]
        given = _event_ids(connection, {record["uid"] for record in records})
        live = _live_events(connection, given.values())
        events = EVENT_TABLE
        with Session(bind=connection) as session:
            for record in records:
                event_id, event_uid = live[given[record["uid"]]]
                if event_uid != record["uid"]:
                    self.report.redirected[record["uid"]] = event_uid
                before = reads.events_public(session, events.c.id == event_id)[0]
                present = {(citation.source, citation.quote) for citation in before.citations}
                for citation in record["citations"]:
                    if (citation["source"], citation["quote"]) in present:
                        self.report.existing["citations"] += 1
                        continue
                    present.add((citation["source"], citation["quote"]))
                    self.citation_insert.run(connection, [self.rows.citation(event_id, citation)])
                    after = reads.events_public(session, events.c.id == event_id)[0]
                    history.log(
                        session, RecordType.EVENT, event_uid, ChangeAction.CITE, before, after,
                        reason=None, by=self.by, how=ChangeHow.IMPORT, at=self.now,
                        added={"citation": after.citations[-1].model_dump(mode="json")},
                    )  # fmt: skip
                    self.report.added["citations"] += 1
                    before = after

    def _merged_events(self, connection: sa.Connection) -> None:
        """Write the merged events held back, each once the event it points to is in, and
        add their citations to the events they lead to."""
        pending, written = self.pending, []
        while pending:
            targets = {record["merged_into"] for record in pending.values()}
            ids = _event_ids(connection, targets)
            ready = [record for record in pending.values() if record["merged_into"] in ids]
            # The first pass checked that every target is in the file or the registry,
            # and that the merges form no circle.
            assert ready, "merged events point to events that are not written"
            self.event_insert.run(
                connection, [self.rows.event(r, ids[r["merged_into"]]) for r in ready]
            )
            # Written after the file's history, which may hold their creation already.
            recorded = set(
                lookup(
                    connection,
                    CHANGE_TABLE.c.record,
                    CHANGE_TABLE.c.action,
                    [record["uid"] for record in ready],
                    where=(CHANGE_TABLE.c.record_type == RecordType.EVENT)
                    & (CHANGE_TABLE.c.action == ChangeAction.CREATE),
                )
            )
            self._created(
                connection,
                RecordType.EVENT,
                [(r["uid"], r) for r in ready if r["uid"] not in recorded],
            )
            for record in ready:
                del pending[record["uid"]]
            written += ready
        self.report.added["events"] += len(written)
        cited = [record for record in written if record["citations"]]
        if not cited:
            return
        held = _event_ids(connection, {record["uid"] for record in cited})
        self._redirect(connection, held, dict(held))
        missing = self._missing_citations(connection, held, cited)
        self.citation_insert.run(connection, missing)
        self.report.added["citations"] += len(missing)

    def _redirect(
        self, connection: sa.Connection, held: dict[str, int], merged: Mapping[str, int]
    ) -> None:
        """Point `held` at the live event each of the `merged` events ({uid: id}) leads to,
        and report it."""
        live = _live_events(connection, merged.values())
        for uid, event_id in merged.items():
            live_id, live_uid = live[event_id]
            if live_id != event_id:
                held[uid] = live_id
                self.report.redirected[uid] = live_uid

    def _missing_citations(
        self, connection: sa.Connection, held: dict[str, int], records: list[dict[str, Any]]
    ) -> list[tuple[Any, ...]]:
        """Citations of events already present that they lack, matched by source and quote."""
        if not records:
            return []
        ids = {held[record["uid"]] for record in records}
        present = {
            (event_id, source_id, quote)
            for event_id, source_id, quote in connection.execute(
                sa.select(
                    CITATION_TABLE.c.event_id, CITATION_TABLE.c.source_id, CITATION_TABLE.c.quote
                ).where(CITATION_TABLE.c.event_id.in_(ids))
            )
        }
        missing = []
        for record in records:
            event_id = held[record["uid"]]
            for citation in record["citations"]:
                key = (event_id, self.source_ids[citation["source"]], citation["quote"])
                if key in present:
                    self.report.existing["citations"] += 1
                else:
                    present.add(key)
                    missing.append(self.rows.citation(event_id, citation))
        return missing


# The reason of the entry that records a text attached to a source (`Registry.attach_text`).
_ATTACHED = "text attached"


def _attaches_text(record: Mapping[str, Any]) -> bool:
    """Whether a history entry of the file attached a text to a source: an update whose
    new state holds the text a source had none of before."""
    old, new = record.get("old"), record.get("new")
    return (
        record["record_type"] == RecordType.SOURCE.value
        and record["action"] == ChangeAction.UPDATE.value
        and isinstance(new, dict)
        and new.get("text") is not None
        and isinstance(old, dict)
        and old.get("text") is None
    )


def _event_ids(connection: sa.Connection, uids: Collection[str]) -> dict[str, int]:
    """The ids of the events among `uids` the registry holds, by uid."""
    return lookup(connection, EVENT_TABLE.c.uid, EVENT_TABLE.c.id, uids)
