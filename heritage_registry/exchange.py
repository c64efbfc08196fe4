"""Exchange: the JSON Lines format, and the fast validated bulk import behind it.

The format (version 1) is one JSON object per line. The first line is a header,
`{"format": "heritage-registry", "version": 1, "schema_revision": ..., "counts": {...}}`;
every other line is a record with a `type` of `site`, `monument`, `source` or `event`,
naming the records it refers to by site slug, monument slug and source key. An event
line carries its citations. Values derived by the registry (EDTF bounds, confidence) are
not written: they are derived again on import. Export orders records by slug, key and
uid, so that the same records give the same file whichever database holds them.

Import runs in two passes so that a bad file writes nothing and a large one does not
pay the ORM's per-row cost. The first pass streams the file, validates each batch of
lines with the same Create models as the CLI (one `TypeAdapter` call per batch), checks
every reference and uid, and stages the normalised records in a temporary SQLite file;
the second writes the staged records with SQLAlchemy Core `executemany`, in transactions
of bounded size. Memory stays bounded by the batch size and by the number of sites,
monuments and sources, however many events the file holds.
"""

from __future__ import annotations

import datetime as dt
import json
import marshal
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import AfterValidator, Field, TypeAdapter, ValidationError

from heritage_registry.errors import RegistryError, describe_validation_error
from heritage_registry.models import (
    CHANGE_TABLE,
    CITATION_TABLE,
    EVENT_TABLE,
    MONUMENT_TABLE,
    NOTE_MAX,
    SITE_TABLE,
    SOURCE_TABLE,
    ChangeBase,
    CitationCreate,
    DamageEventCreate,
    MonumentCreate,
    SiteCreate,
    SourceCreate,
    _Input,
    built_years,
    occurred_span,
    published_span,
    utcnow,
)
from heritage_registry.registry import RECORD_KINDS, MergeReport, Registry

FORMAT = "heritage-registry"
VERSION = 1
BATCH_SIZE = 2_000
TRANSACTION_SIZE = 10_000
MAX_LINE_BYTES = 1_000_000


# Told, after each batch written, how many of the file's records are written and of how many.
Progress = Callable[[int, int], None]


_CONTROL = {code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F]}


class ImportFailed(RegistryError):
    """A file that cannot be imported; the message names the line and what is wrong."""

    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        # The problem may quote the file; its control characters must not reach a
        # terminal as themselves (a forged second line, an escape sequence).
        super().__init__(f"line {line}: {problem.translate(_CONTROL)}")


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("falls outside the years 1 to 9999 in UTC") from None


# Times a record was recorded in its registry, kept across export and import, in UTC.
Stamp = Annotated[dt.datetime | None, AfterValidator(_utc)]


class SiteLine(SiteCreate):
    type: Literal["site"]
    created_at: Stamp = None
    updated_at: Stamp = None


class MonumentLine(MonumentCreate):
    type: Literal["monument"]
    created_at: Stamp = None
    updated_at: Stamp = None


class SourceLine(SourceCreate):
    type: Literal["source"]
    created_at: Stamp = None
    updated_at: Stamp = None


class CitationLine(CitationCreate):
    recorded_at: Stamp = None


class EventLine(DamageEventCreate):
    type: Literal["event"]
    # An exchanged event must name its uid: a fresh one on each import would duplicate it.
    uid: uuid.UUID
    citations: list[CitationLine] = Field(min_length=1, max_length=1000)  # type: ignore[assignment]
    recorded_at: Stamp = None
    updated_at: Stamp = None
    retracted_at: Stamp = None
    retraction_reason: str | None = Field(default=None, max_length=NOTE_MAX)


class ChangeLine(ChangeBase, _Input):
    """One entry of a record's history, carried across export and import unchanged."""

    type: Literal["change"]
    old: dict[str, Any] | None = None
    new: dict[str, Any]
    changed_at: Annotated[dt.datetime, AfterValidator(_utc)]


RecordLine = Annotated[
    SiteLine | MonumentLine | SourceLine | EventLine | ChangeLine, Field(discriminator="type")
]
_BATCH = TypeAdapter(list[RecordLine])


@dataclass
class ImportReport(MergeReport):
    """What an import added and found already present, and how many lines it read."""

    lines: int = 0


# Export ---------------------------------------------------------------------------


def _stamp(value: dt.datetime | None) -> str | None:
    value = _utc(value)
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def _dumps(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def export_jsonl(registry: Registry, out: IO[str], *, page: int = 1_000) -> dict[str, int]:
    """Write the whole registry to `out` as JSON Lines; returns the counts written."""
    counts = registry.counts()
    header = {
        "format": FORMAT,
        "version": VERSION,
        "schema_revision": registry.schema_revision(),
        "counts": counts,
    }
    out.write(_dumps(header) + "\n")
    for site in registry.list_sites():
        out.write(_dumps({"type": "site", **site.model_dump(mode="json")}) + "\n")
    for monument in registry.list_monuments():
        derived = {"built_from_year", "built_to_year"}
        record = monument.model_dump(mode="json", exclude=derived)
        out.write(_dumps({"type": "monument", **record}) + "\n")
    for source in registry.list_sources():
        record = source.model_dump(mode="json", exclude={"published_earliest", "published_latest"})
        out.write(_dumps({"type": "source", **record}) + "\n")
    for event in iter_event_records(registry, page=page):
        out.write(_dumps(event) + "\n")
    for change in iter_change_records(registry, page=page):
        out.write(_dumps(change) + "\n")
    return counts


def iter_change_records(registry: Registry, *, page: int = 1_000) -> Iterator[dict[str, Any]]:
    """Every history entry as an exchange record, in the order they were made."""
    changes = CHANGE_TABLE
    last = 0
    with registry.engine.connect() as connection:
        while True:
            rows = connection.execute(
                sa.select(changes).where(changes.c.id > last).order_by(changes.c.id).limit(page)
            ).all()
            if not rows:
                return
            for row in rows:
                yield {
                    "type": "change",
                    "record_type": row.record_type.value,
                    "record": row.record,
                    "action": row.action.value,
                    "reason": row.reason,
                    "changed_by": row.changed_by,
                    "old": row.old,
                    "new": row.new,
                    "changed_at": _stamp(row.changed_at),
                }
            last = rows[-1].id


def iter_event_records(registry: Registry, *, page: int = 1_000) -> Iterator[dict[str, Any]]:
    """Every event as an exchange record, by uid, read a page at a time."""
    events, citations, sources = EVENT_TABLE, CITATION_TABLE, SOURCE_TABLE
    sites, monuments = SITE_TABLE, MONUMENT_TABLE
    last = ""
    with registry.engine.connect() as connection:
        while True:
            rows = connection.execute(
                sa.select(events, sites.c.slug.label("site_slug"), monuments.c.slug.label("m_slug"))
                .join(sites, sites.c.id == events.c.site_id)
                .outerjoin(monuments, monuments.c.id == events.c.monument_id)
                .where(events.c.uid > last)
                .order_by(events.c.uid)
                .limit(page)
            ).all()
            if not rows:
                return
            cited: dict[int, list[dict[str, Any]]] = {}
            for citation in connection.execute(
                sa.select(citations, sources.c.key.label("source_key"))
                .join(sources, sources.c.id == citations.c.source_id)
                .where(citations.c.event_id.in_([row.id for row in rows]))
                .order_by(citations.c.id)
            ):
                cited.setdefault(citation.event_id, []).append(
                    {
                        "source": citation.source_key,
                        "quote": citation.quote,
                        "location": citation.location,
                        "stance": citation.stance.value,
                        "claimed_occurred": citation.claimed_occurred,
                        "claimed_level": citation.claimed_level.value
                        if citation.claimed_level
                        else None,
                        "date_resolution": citation.date_resolution,
                        "recorded_at": _stamp(citation.created_at),
                    }
                )
            for row in rows:
                yield {
                    "type": "event",
                    "uid": row.uid,
                    "site": row.site_slug,
                    "monument": row.m_slug,
                    "cause": row.cause.value,
                    "damage_level": row.damage_level.value,
                    "occurred": row.occurred,
                    "actor": row.actor,
                    "description": row.description,
                    "retracted_at": _stamp(row.retracted_at),
                    "retraction_reason": row.retraction_reason,
                    "recorded_at": _stamp(row.created_at),
                    "updated_at": _stamp(row.updated_at),
                    "citations": cited.get(row.id, []),
                }
            last = rows[-1].uid


# Import: reading and validating ----------------------------------------------------


def _numbered_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """The file's lines with their numbers, refusing one longer than MAX_LINE_BYTES."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise ImportFailed(number, f"longer than {MAX_LINE_BYTES:,} bytes; split the record")
        yield number, raw


def jsonl_records(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The records of a JSON Lines file, after its header, with their line numbers."""
    seen_header = False
    for number, raw in _numbered_lines(stream):
        if not raw.strip():
            continue
        value = _decode(number, raw)
        if not seen_header:
            _check_header(number, value)
            seen_header = True
            continue
        if not isinstance(value, dict):
            raise ImportFailed(number, "a record must be a JSON object")
        yield number, value
    if not seen_header:
        raise ImportFailed(1, "the file is empty; it needs a header line")


def _decode(number: int, raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 (byte {exc.start + 1}); save the file as UTF-8"
        raise ImportFailed(number, problem) from None
    if number == 1:
        text = text.removeprefix("\ufeff")
    try:
        return json.loads(text)
    except RecursionError:
        raise ImportFailed(number, "JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ImportFailed(number, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except ValueError as exc:
        # json.loads refuses integers of more than 4,300 digits this way.
        raise ImportFailed(number, f"not valid JSON ({exc})") from None


def _check_header(number: int, header: Any) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ImportFailed(
            number,
            f'not a heritage-registry file: the first line must be {{"format": "{FORMAT}", '
            f'"version": {VERSION}, ...}}',
        )
    if header.get("version") != VERSION:
        raise ImportFailed(
            number,
            f"format version {header.get('version')!r} is not one this version reads "
            f"({VERSION}); upgrade heritage-registry",
        )


def _problem(exc: ValidationError, index: int) -> str:
    """The validation problems of one line of a batch, described from its own fields."""
    mine = []
    for error in exc.errors(include_url=False):
        if error["type"] in ("union_tag_not_found", "union_tag_invalid"):
            return 'needs a "type" of site, monument, source or event'
        if error["loc"] and error["loc"][0] == index:
            # Drop the list index and the union's tag from the path.
            mine.append({**error, "loc": error["loc"][2:]})
    if not mine:
        return describe_validation_error(exc)
    single = ValidationError.from_exception_data(exc.title, mine)  # type: ignore[arg-type]
    return describe_validation_error(single)


def _digest(record: Mapping[str, Any]) -> int:
    # Compared only within one import, so Python's own (per-process) hash will do.
    return hash(tuple(record.values()))


_EVENT_FACTS = ("site", "monument", "cause", "damage_level", "occurred", "actor", "description")


def _facts(record: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of an event that make it the same event; citations may be added to."""
    return {name: record.get(name) for name in _EVENT_FACTS}


class _Staging:
    """A temporary SQLite file holding the validated records between the two passes."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="heritage-registry-import-")
        self.db = sqlite3.connect(Path(self._dir.name) / "staging.db")
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE record (n INTEGER PRIMARY KEY, line INTEGER, kind TEXT, body BLOB);
            CREATE TABLE uid (uid TEXT PRIMARY KEY, line INTEGER, digest INTEGER) WITHOUT ROWID;
            """
        )

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    def count(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM record").fetchone()[0])

    def records(self) -> Iterator[tuple[int, str, Any]]:
        cursor = self.db.execute("SELECT line, kind, body FROM record ORDER BY n")
        while chunk := cursor.fetchmany(BATCH_SIZE):
            for line, kind, body in chunk:
                yield line, kind, marshal.loads(body)


class _Validator:
    """The first pass: every line checked, nothing written to the registry."""

    def __init__(self, connection: sa.Connection, staging: _Staging) -> None:
        self.connection = connection
        self.staging = staging
        self.sites = set(connection.scalars(sa.select(SITE_TABLE.c.slug)))
        self.monuments = {
            (site, slug)
            for site, slug in connection.execute(
                sa.select(SITE_TABLE.c.slug, MONUMENT_TABLE.c.slug).join(
                    SITE_TABLE, SITE_TABLE.c.id == MONUMENT_TABLE.c.site_id
                )
            )
        }
        self.sources = set(connection.scalars(sa.select(SOURCE_TABLE.c.key)))
        self.lines = 0

    def run(self, records: Iterable[tuple[int, dict[str, Any]]]) -> None:
        batch: list[tuple[int, Any]] = []
        for number, value in records:
            self.lines = number
            batch.append((number, value))
            if len(batch) >= BATCH_SIZE:
                self._batch(batch)
                batch = []
        if batch:
            self._batch(batch)

    def _batch(self, batch: list[tuple[int, Any]]) -> None:
        numbers = [number for number, _ in batch]
        try:
            records = _BATCH.validate_python([value for _, value in batch])
        except ValidationError as exc:
            index = next(
                (e["loc"][0] for e in exc.errors() if e["loc"] and isinstance(e["loc"][0], int)),
                0,
            )
            assert isinstance(index, int)
            raise ImportFailed(numbers[index], _problem(exc, index)) from None
        staged: list[tuple[int, str, bytes]] = []
        events: list[tuple[int, EventLine, dict[str, Any]]] = []
        for number, record in zip(numbers, records, strict=True):
            body = record.model_dump(mode="json", exclude={"type"})
            if isinstance(record, SiteLine):
                self.sites.add(record.slug)
            elif isinstance(record, MonumentLine):
                self._need_site(number, record.site)
                self.monuments.add((record.site, record.slug))
            elif isinstance(record, SourceLine):
                self.sources.add(record.key)
            elif isinstance(record, ChangeLine):
                pass
            else:
                self._check_event(number, record)
                events.append((number, record, body))
            # marshal: the staged records are read back by this same process, and it is
            # several times quicker than JSON both ways.
            staged.append((number, record.type, marshal.dumps(body)))
        self._check_uids(events)
        self.staging.db.executemany(
            "INSERT INTO record (line, kind, body) VALUES (?, ?, ?)", staged
        )

    def _need_site(self, number: int, slug: str) -> None:
        if slug not in self.sites:
            raise ImportFailed(
                number, f"no site {slug!r} in the registry or earlier in the file; add it first"
            )

    def _check_event(self, number: int, event: EventLine) -> None:
        self._need_site(number, event.site)
        if event.monument is not None and (event.site, event.monument) not in self.monuments:
            raise ImportFailed(
                number,
                f"no monument {event.monument!r} of site {event.site!r} in the registry or "
                "earlier in the file; add it first",
            )
        for citation in event.citations:
            if citation.source not in self.sources:
                raise ImportFailed(
                    number,
                    f"no source {citation.source!r} in the registry or earlier in the file; "
                    "add it first",
                )

    def _check_uids(self, events: list[tuple[int, EventLine, dict[str, Any]]]) -> None:
        """A uid given twice must describe the same event, in the file and the registry."""
        if not events:
            return
        facts = {str(event.uid): (number, _facts(body)) for number, event, body in events}
        in_batch: dict[str, tuple[int, int]] = {}
        for number, event, body in events:
            uid, digest = str(event.uid), _digest(_facts(body))
            earlier = in_batch.get(uid)
            if earlier is not None and earlier[1] != digest:
                raise ImportFailed(
                    number, f"event {uid} was given on line {earlier[0]} with different content"
                )
            in_batch.setdefault(uid, (number, digest))
        uids = list(in_batch)
        marks = ",".join("?" * len(uids))
        for uid, line, digest in self.staging.db.execute(
            f"SELECT uid, line, digest FROM uid WHERE uid IN ({marks})", uids
        ):
            if digest != in_batch[uid][1]:
                raise ImportFailed(
                    in_batch[uid][0], f"event {uid} was given on line {line} with different content"
                )
        self.staging.db.executemany(
            "INSERT OR IGNORE INTO uid (uid, line, digest) VALUES (?, ?, ?)",
            [(uid, number, digest) for uid, (number, digest) in in_batch.items()],
        )
        for held in _stored_events(self.connection, uids):
            number, wanted = facts[held["uid"]]
            differing = [name for name in _EVENT_FACTS if held[name] != wanted[name]]
            if differing:
                name = differing[0]
                raise ImportFailed(
                    number,
                    f"event {held['uid']} is in the registry with a different {name} "
                    f"({held[name]!r}, not {wanted[name]!r}); "
                    "correct the line or give it a new uid",
                )


def _stored_events(connection: sa.Connection, uids: Sequence[str]) -> list[dict[str, Any]]:
    events, sites, monuments = EVENT_TABLE, SITE_TABLE, MONUMENT_TABLE
    rows = connection.execute(
        sa.select(
            events.c.uid,
            sites.c.slug.label("site"),
            monuments.c.slug.label("monument"),
            events.c.cause,
            events.c.damage_level,
            events.c.occurred,
            events.c.actor,
            events.c.description,
        )
        .join(sites, sites.c.id == events.c.site_id)
        .outerjoin(monuments, monuments.c.id == events.c.monument_id)
        .where(events.c.uid.in_(uids))
    )
    return [
        {
            **row._asdict(),
            "cause": row.cause.value,
            "damage_level": row.damage_level.value,
        }
        for row in rows
    ]


# Import: writing -------------------------------------------------------------------


def _insert_many(
    connection: sa.Connection, table: sa.Table, rows: Sequence[Mapping[str, Any]]
) -> None:
    """`INSERT` many rows: Core's statement and type conversions, the driver's executemany.

    Going through `Connection.execute` costs more per row, in building and processing
    parameters, than SQLite takes to store the row; the statement compiled by Core and
    each column's own bind processor give the same values with a fraction of the work.
    """
    if not rows:
        return
    columns = list(rows[0])
    dialect = connection.dialect
    compiled = table.insert().inline().compile(dialect=dialect, column_keys=columns)
    names = list(compiled.positiontup or []) if compiled.positional else list(compiled.params)
    processors = [
        table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    ]
    converters = [(name, process) for name, process in zip(names, processors, strict=True)]
    params: list[Any]
    if compiled.positional:
        params = [
            tuple(process(row[name]) if process else row[name] for name, process in converters)
            for row in rows
        ]
    else:
        params = [
            {name: process(row[name]) if process else row[name] for name, process in converters}
            for row in rows
        ]
    connection.exec_driver_sql(str(compiled), params)


def _when(value: str | None, default: dt.datetime) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if value else default


class _Writer:
    """The second pass: staged records into the registry, batch by batch."""

    def __init__(self, engine: sa.Engine, report: ImportReport) -> None:
        self.engine = engine
        self.report = report
        self.now = utcnow()
        self.site_ids: dict[str, int] = {}
        self.monument_ids: dict[tuple[int, str], int] = {}
        self.source_ids: dict[str, int] = {}

    def run(self, staged: Iterator[tuple[int, str, Any]], total: int, progress: Progress) -> None:
        pending: list[dict[str, Any]] = []
        done = 0
        kind = ""
        in_transaction = 0
        connection = self.engine.connect()
        try:
            transaction = connection.begin()
            self._load_ids(connection)
            for _line, record_kind, body in staged:
                if record_kind != kind or len(pending) >= BATCH_SIZE:
                    self._flush(connection, kind, pending)
                    in_transaction += len(pending)
                    done += len(pending)
                    progress(done, total)
                    pending = []
                    kind = record_kind
                    if in_transaction >= TRANSACTION_SIZE:
                        transaction.commit()
                        transaction = connection.begin()
                        in_transaction = 0
                pending.append(body)
            self._flush(connection, kind, pending)
            transaction.commit()
            progress(done + len(pending), total)
        finally:
            connection.close()

    def _load_ids(self, connection: sa.Connection) -> None:
        self.site_ids = dict(
            connection.execute(sa.select(SITE_TABLE.c.slug, SITE_TABLE.c.id)).all()
        )
        self.monument_ids = {
            (site_id, slug): monument_id
            for site_id, slug, monument_id in connection.execute(
                sa.select(MONUMENT_TABLE.c.site_id, MONUMENT_TABLE.c.slug, MONUMENT_TABLE.c.id)
            )
        }
        self.source_ids = dict(
            connection.execute(sa.select(SOURCE_TABLE.c.key, SOURCE_TABLE.c.id)).all()
        )

    def _flush(self, connection: sa.Connection, kind: str, records: list[dict[str, Any]]) -> None:
        if not records:
            return
        if kind == "site":
            self._sites(connection, records)
        elif kind == "monument":
            self._monuments(connection, records)
        elif kind == "source":
            self._sources(connection, records)
        elif kind == "change":
            self._changes(connection, records)
        else:
            self._events(connection, records)

    def _changes(self, connection: sa.Connection, records: list[dict[str, Any]]) -> None:
        """History entries the registry lacks, matched by record, action and time."""
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
        _insert_many(connection, changes, fresh)
        self.report.added["changes"] += len(fresh)

    def _sites(self, connection: sa.Connection, records: list[dict[str, Any]]) -> None:
        fresh = self._fresh("sites", records, lambda r: r["slug"] in self.site_ids)
        if fresh:
            _insert_many(
                connection,
                SITE_TABLE,
                [
                    {
                        **record,
                        "created_at": _when(record["created_at"], self.now),
                        "updated_at": _when(record["updated_at"], self.now),
                    }
                    for record in fresh
                ],
            )
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

        fresh = self._fresh("monuments", records, held)
        if not fresh:
            return
        rows = []
        for record in fresh:
            rows.append(
                {
                    **{key: value for key, value in record.items() if key != "site"},
                    **built_years(record["built"]),
                    "site_id": self.site_ids[record["site"]],
                    "created_at": _when(record["created_at"], self.now),
                    "updated_at": _when(record["updated_at"], self.now),
                }
            )
        _insert_many(connection, MONUMENT_TABLE, rows)
        site_ids = {row["site_id"] for row in rows}
        for site_id, slug, monument_id in connection.execute(
            sa.select(MONUMENT_TABLE.c.site_id, MONUMENT_TABLE.c.slug, MONUMENT_TABLE.c.id).where(
                MONUMENT_TABLE.c.site_id.in_(site_ids)
            )
        ):
            self.monument_ids[(site_id, slug)] = monument_id

    def _sources(self, connection: sa.Connection, records: list[dict[str, Any]]) -> None:
        fresh = self._fresh("sources", records, lambda r: r["key"] in self.source_ids)
        if not fresh:
            return
        rows = []
        for record in fresh:
            rows.append(
                {
                    **record,
                    **published_span(record["published"]),
                    "created_at": _when(record["created_at"], self.now),
                    "updated_at": _when(record["updated_at"], self.now),
                }
            )
        _insert_many(connection, SOURCE_TABLE, rows)
        keys = [record["key"] for record in fresh]
        self.source_ids.update(
            connection.execute(
                sa.select(SOURCE_TABLE.c.key, SOURCE_TABLE.c.id).where(SOURCE_TABLE.c.key.in_(keys))
            ).all()
        )

    def _fresh(
        self, kind: str, records: list[dict[str, Any]], held: Callable[[dict[str, Any]], bool]
    ) -> list[dict[str, Any]]:
        fresh: dict[Any, dict[str, Any]] = {}
        for record in records:
            if held(record):
                self.report.existing[kind] += 1
            else:
                fresh[_dumps(record)] = record
        self.report.added[kind] += len(fresh)
        return list(fresh.values())

    def _events(self, connection: sa.Connection, records: list[dict[str, Any]]) -> None:
        uids = list({record["uid"]: None for record in records})
        held = dict(
            connection.execute(
                sa.select(EVENT_TABLE.c.uid, EVENT_TABLE.c.id).where(EVENT_TABLE.c.uid.in_(uids))
            ).all()
        )
        fresh: dict[str, dict[str, Any]] = {}
        again: list[dict[str, Any]] = []
        for record in records:
            if record["uid"] in held:
                self.report.existing["events"] += 1
                again.append(record)
            elif record["uid"] in fresh:
                again.append(record)
            else:
                fresh[record["uid"]] = record
        rows = []
        for record in fresh.values():
            site_id = self.site_ids[record["site"]]
            monument = record["monument"]
            rows.append(
                {
                    "uid": record["uid"],
                    "site_id": site_id,
                    "monument_id": self.monument_ids[(site_id, monument)] if monument else None,
                    "cause": record["cause"],
                    "damage_level": record["damage_level"],
                    "occurred": record["occurred"],
                    **occurred_span(record["occurred"]),
                    "actor": record["actor"],
                    "description": record["description"],
                    "retracted_at": _when(record["retracted_at"], self.now)
                    if record["retracted_at"]
                    else None,
                    "retraction_reason": record["retraction_reason"],
                    "created_at": _when(record["recorded_at"], self.now),
                    "updated_at": _when(record["updated_at"], self.now),
                }
            )
        if rows:
            _insert_many(connection, EVENT_TABLE, rows)
            held.update(
                connection.execute(
                    sa.select(EVENT_TABLE.c.uid, EVENT_TABLE.c.id).where(
                        EVENT_TABLE.c.uid.in_(list(fresh))
                    )
                ).all()
            )
        self.report.added["events"] += len(fresh)
        citations = [
            self._citation(held[record["uid"]], citation)
            for record in fresh.values()
            for citation in record["citations"]
        ]
        _insert_many(connection, CITATION_TABLE, citations)
        # Only now, with the new events' citations stored, can a repeat be told apart.
        missing = self._missing_citations(connection, held, again)
        _insert_many(connection, CITATION_TABLE, missing)
        self.report.added["citations"] += len(citations) + len(missing)

    def _citation(self, event_id: int, citation: dict[str, Any]) -> dict[str, Any]:
        return {
            "event_id": event_id,
            "source_id": self.source_ids[citation["source"]],
            "quote": citation["quote"],
            "location": citation["location"],
            "stance": citation["stance"],
            "claimed_occurred": citation["claimed_occurred"],
            "claimed_level": citation["claimed_level"],
            "date_resolution": citation["date_resolution"],
            "created_at": _when(citation["recorded_at"], self.now),
        }

    def _missing_citations(
        self, connection: sa.Connection, held: dict[str, int], records: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
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
                    missing.append(self._citation(event_id, citation))
        return missing


def import_jsonl(
    registry: Registry,
    stream: IO[bytes],
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Validate the whole file, then add what the registry lacks in bounded transactions.

    A file with any problem raises `ImportFailed` naming its line, and writes nothing.
    Records already present (by slug, key or uid) are kept; an event already present
    gains the citations it lacks. `progress(done, total)` is called after each batch
    written.
    """
    return import_records(registry, jsonl_records(stream), progress=progress)


def import_records(
    registry: Registry,
    records: Iterable[tuple[int, dict[str, Any]]],
    *,
    progress: Progress | None = None,
) -> ImportReport:
    """Import exchange records given as `(line number, record)`, by the rules above.

    The JSON Lines reader and the CSV reader both end here, so that every format is
    validated and written the same way.
    """
    report = ImportReport()
    staging = _Staging()
    try:
        with registry.engine.connect() as connection:
            validator = _Validator(connection, staging)
            validator.run(records)
        staging.db.commit()
        report.lines = validator.lines
        _Writer(registry.engine, report).run(
            staging.records(), staging.count(), progress or (lambda _done, _total: None)
        )
    finally:
        staging.close()
    return report


def import_path(
    registry: Registry, path: str | Path, *, progress: Progress | None = None
) -> ImportReport:
    """Import a JSON Lines file by path."""
    with Path(path).open("rb") as stream:
        return import_jsonl(registry, stream, progress=progress)


__all__ = [
    "FORMAT",
    "RECORD_KINDS",
    "VERSION",
    "EventLine",
    "ImportFailed",
    "ImportReport",
    "MonumentLine",
    "SiteLine",
    "SourceLine",
    "export_jsonl",
    "import_jsonl",
    "import_path",
    "import_records",
    "iter_event_records",
    "jsonl_records",
]
