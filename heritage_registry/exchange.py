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

An event merged into another (`merges`) carries `merged_into`, the other's uid, which may
name an event later in the file or already in the registry: the import checks that it
does (at the same site, without a circle of merges) and writes the merged events last,
in the final transaction, once the events they point to are in. The citations given for
an event whose uid leads to another, through merges in the file or in the registry, are
added to the event it leads to, and the report says so.

A line that only adds citations to an event already in the registry (or earlier in the
file) gives the event's whole uid and the citations, and no other field:
`{"type": "event", "uid": "...", "citations": [{"source": KEY, "quote": TEXT}]}` (the
`type` may be left out). Each citation the event lacks is added as `registry cite` adds
one, with an entry in the event's history; one it has already (the same source and
quote) is skipped. A uid that names no event is refused.

The first pass reports every problem of the file, not only the first: each with its line
and the field in the words of the file (`citation 1's quote` in JSON Lines, the column in
CSV), the first `PROBLEMS_SHOWN` of them in the order of the file's lines and how many
more there are (`ImportProblems`). A dry run (`dry_run=True`) makes both passes and rolls
the second back, so that it finds what a real import would, reports what it would add,
and leaves the registry as it was.
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import functools
import gc
import io
import json
import marshal
import operator
import re
import sqlite3
import tempfile
import threading
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import IO, Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import AfterValidator, Field, TypeAdapter, ValidationError, model_validator
from sqlmodel import Session

from heritage_registry import confidence, history, mentions
from heritage_registry.db import WRITE_OPTIONS, bulk_writes, chunked, lookup
from heritage_registry.errors import ImportInterrupted, RegistryError, describe_validation_error
from heritage_registry.locks import exclusive_import
from heritage_registry.models import (
    CHANGE_TABLE,
    CITATION_TABLE,
    EVENT_TABLE,
    MONUMENT_TABLE,
    NAME_MAX,
    NOTE_MAX,
    SITE_TABLE,
    SOURCE_TABLE,
    ChangeBase,
    CitationCreate,
    DamageEventCreate,
    MonumentCreate,
    MonumentPublic,
    SiteCreate,
    SitePublic,
    SourceCreate,
    SourcePublic,
    _Input,
    built_years,
    no_controls,
    occurred_span,
    published_span,
    reported_too_early,
    utcnow,
)
from heritage_registry.registry import RECORD_KINDS, MergeReport, Registry
from heritage_registry.render import plural
from heritage_registry.vocab import ChangeAction, ChangeHow, RecordType

FORMAT = "heritage-registry"
VERSION = 1
BATCH_SIZE = 2_000
TRANSACTION_SIZE = 10_000
MAX_LINE_BYTES = 1_000_000


# Told, after each batch written, how many of the file's records are written and of how many.
Progress = Callable[[int, int], None]


_CONTROL = {code: f"\\x{code:02x}" for code in [*range(0x20), 0x7F]}


# The problems of a file an import reports, at most; the rest are counted.
PROBLEMS_SHOWN = 100


class ImportFailed(RegistryError):
    """A file that cannot be imported; the message names the line and what is wrong.

    `problems` lists each problem found as `(line, problem)`, in the order of the lines,
    and `more` counts those beyond them (`ImportProblems`); here, the one problem.
    """

    def __init__(self, line: int, problem: str) -> None:
        self.line = line
        # The problem may quote the file; its control characters must not reach a
        # terminal as themselves (a forged second line, an escape sequence).
        self.problems = [(line, problem.translate(_CONTROL))]
        self.more = 0
        super().__init__(f"line {line}: {self.problems[0][1]}")

    def listed(self) -> list[str]:
        """Each problem on a line of its own, `line N: ...`, then `and N more problems`."""
        shown = [f"line {line}: {problem}" for line, problem in self.problems]
        if self.more:
            shown.append(f"and {plural(self.more, 'more problem')}")
        return shown


class ImportProblems(ImportFailed):
    """A file with several problems: each of the first `PROBLEMS_SHOWN`, and how many more.

    The message is a header line and then each problem on a line of its own, so that a
    person can fix them all before the next try.
    """

    def __init__(self, problems: Sequence[tuple[int, str]], more: int = 0) -> None:
        self.line = problems[0][0]
        self.problems = list(problems)
        self.more = more
        RegistryError.__init__(self, self.naming("the file"))

    @property
    def count(self) -> int:
        """How many problems the file has, listed or not."""
        return len(self.problems) + self.more

    def naming(self, name: str) -> str:
        """The message with the file's name in its header."""
        name = name.translate(_CONTROL)
        header = f"{plural(self.count, 'problem')} in {name}; nothing was written:"
        return "\n".join([header, *(f"  {line}" for line in self.listed())])


@dataclass(frozen=True)
class BadLine:
    """What a reader gives for a line it cannot make a record of, so that the import goes
    on to report the problems of the lines after it."""

    problem: str


class UnreadableFile(ImportFailed):
    """A file that is not text of the format it is read as: UTF-16, binary, or the other
    format (JSON Lines read as CSV, CSV read as JSON Lines).

    `problem` follows the file's name: `events.jsonl does not look like CSV: ...`; the
    message, for a file without a name, is `line 1: the file does not look like CSV: ...`.
    """

    def __init__(self, line: int, problem: str) -> None:
        self.problem = problem
        super().__init__(line, f"the file {problem}")

    def naming(self, name: str) -> str:
        """The message with the file's name as its subject."""
        return f"{name.translate(_CONTROL)} {self.problem}"


# How much of a file's start tells what it is.
_HEAD_BYTES = 4096
_TEXT_CONTROLS = frozenset(b"\t\n\r\f\v")


def _utf16_without_bom(head: bytes) -> bool:
    """Whether `head` reads as ASCII in UTF-16: a NUL byte beside every character."""
    sample = head[: min(len(head), 64) // 2 * 2]
    if len(sample) < 4:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (odd.count(0) == len(odd) and 0 not in even) or (
        even.count(0) == len(even) and 0 not in odd
    )


def unreadable_head(head: bytes, wanted: str) -> str | None:
    """Why a file starting with `head` is no UTF-8 text at all, or None if it may be.

    `wanted` says what to give instead: "a CSV file saved as UTF-8". A file that is
    merely not UTF-8 (Latin-1 text) is left to the reader, which names its line.
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "is UTF-32 text, not UTF-8; save it as UTF-8"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(head):
        return "is UTF-16 text, not UTF-8; save it as UTF-8"
    # Text may hold a stray NUL (a cell to refuse on its line), not a tenth of NULs.
    binary = head.count(0) * 10 > len(head)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        binary = binary or any(byte < 0x20 and byte not in _TEXT_CONTROLS for byte in head)
    return f"is binary, not text; import {wanted}" if binary else None


def peek_head(stream: IO[bytes]) -> tuple[bytes, IO[bytes]]:
    """The first bytes of `stream`, and a stream that still starts with them."""
    peek = getattr(stream, "peek", None)
    if callable(peek):
        head = bytes(peek(_HEAD_BYTES)[:_HEAD_BYTES])
        return head, stream
    head = stream.read(_HEAD_BYTES) or b""
    return head, io.BufferedReader(_Replayed(head, stream))


class _Replayed(io.RawIOBase):
    """`head`, already read from `rest`, and then the rest of it."""

    def __init__(self, head: bytes, rest: IO[bytes]) -> None:
        self.head = memoryview(head)
        self.rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self.head:
            size = min(len(view), len(self.head))
            view[:size] = self.head[:size]
            self.head = self.head[size:]
            return size
        data = self.rest.read(len(view))
        view[: len(data)] = data
        return len(data)


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError("falls outside the years 1 to 9999 in UTC") from None


# Times a record was recorded in its registry, kept across export and import, in UTC.
Stamp = Annotated[dt.datetime | None, AfterValidator(_utc)]


# Text kept as it was written, but refused if it holds a control character, as the
# Create models refuse it in theirs; who made a change is shown on one line.
Text = Annotated[str, AfterValidator(no_controls)]
OneLine = Annotated[str, AfterValidator(functools.partial(no_controls, lines=False))]


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
    # Where the quote is in its source's text (`heritage_registry.texts`); a line gives
    # them only for a quote that was found there.
    text_start: int | None = Field(default=None, ge=0)
    text_end: int | None = Field(default=None, ge=0)


class EventLine(DamageEventCreate):
    type: Literal["event"]
    # Never a fresh random uid, which would duplicate the event on each import: the
    # reader gives an event without one the uid of its facts (`fact_uid`).
    uid: uuid.UUID
    citations: list[CitationLine] = Field(max_length=1000)  # type: ignore[assignment]
    recorded_at: Stamp = None
    updated_at: Stamp = None
    retracted_at: Stamp = None
    retraction_reason: Text | None = Field(default=None, max_length=NOTE_MAX)
    # The uid of the event this one was merged into; its citations are that one's now, so
    # a merged event may come with none.
    merged_into: uuid.UUID | None = None
    merged_at: Stamp = None
    merge_reason: Text | None = Field(default=None, max_length=NOTE_MAX)

    @model_validator(mode="after")
    def _merged_or_cited(self) -> EventLine:
        if self.merged_into is None:
            if self.merged_at is not None or self.merge_reason is not None:
                raise ValueError(
                    "merged_at and merge_reason go with merged_into; give the uid of the "
                    "event it was merged into, or leave them out"
                )
            if not self.citations:
                raise ValueError(
                    "citations: an event needs at least one citation (only a merged event, "
                    "with merged_into, has none)"
                )
        return self


class CiteLine(_Input):
    """Citations for an event already in the registry or earlier in the file, by its uid.

    Read from a line that gives only the uid and the citations: the reader gives it this
    type (`cite_only`), which no file needs to name.
    """

    type: Literal["cite"]
    uid: uuid.UUID
    citations: list[CitationLine] = Field(min_length=1, max_length=1000)


_CITE_KEYS = frozenset({"type", "uid", "citations"})


def cite_only(record: Mapping[str, Any]) -> bool:
    """Whether an event line gives only a uid and citations: citations for that event."""
    return "uid" in record and "citations" in record and record.keys() <= _CITE_KEYS


class ChangeLine(ChangeBase, _Input):
    """One entry of a record's history, carried across export and import unchanged."""

    type: Literal["change"]
    reason: Text | None = Field(default=None, max_length=NOTE_MAX)
    changed_by: OneLine = Field(min_length=1, max_length=NAME_MAX)
    old: dict[str, Any] | None = None
    # A removal's entry has no new state.
    new: dict[str, Any] | None = None
    changed_at: Annotated[dt.datetime, AfterValidator(_utc)]


RecordLine = Annotated[
    SiteLine | MonumentLine | SourceLine | EventLine | CiteLine | ChangeLine,
    Field(discriminator="type"),
]
_BATCH = TypeAdapter(list[RecordLine])


@dataclass
class ImportReport(MergeReport):
    """What an import added and found already present, and how many lines it read.

    `redirected` names each event given whose uid leads, through merges, to another
    event, which received its citations: `{given uid: that event's uid}`. A `dry_run`
    report tells what the import would add: nothing was written.
    """

    lines: int = 0
    redirected: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False

    def describe(self) -> str:
        text = super().describe()
        if self.dry_run:
            text = "would add" + text.removeprefix("added")
        if self.redirected:
            pairs = sorted(self.redirected.items())
            shown = ", ".join(f"{given} -> {event}" for given, event in pairs[:3])
            shown += ", ..." if len(pairs) > 3 else ""
            text += (
                f"; {len(pairs)} event{'s' if len(pairs) > 1 else ''} given had been merged "
                f"into another: {'their' if len(pairs) > 1 else 'its'} citations "
                f"{'would go' if self.dry_run else 'went'} to the "
                f"event {'each' if len(pairs) > 1 else 'it'} leads to ({shown})"
            )
        return text


# Export ---------------------------------------------------------------------------


def _stamp(value: dt.datetime | None) -> str | None:
    if value is not None and value.tzinfo is None:
        # SQLite hands back the UTC time without its zone; writing it as it is spares
        # converting millions of times to UTC.
        return value.isoformat() + "Z"
    value = _utc(value)
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


# One encoder for every line: json.dumps builds a new one on each call given options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(record: Mapping[str, Any]) -> str:
    return _ENCODER.encode(record)


def keyset_pages(
    connection: sa.Connection,
    query: sa.Select[Any],
    keys: Sequence[tuple[sa.ColumnElement[Any], str]],
    *,
    page: int = 1_000,
) -> Iterator[Sequence[sa.Row[Any]]]:
    """The rows of `query` in the order of `keys`, a page at a time, however many there are.

    `keys` are the ordering columns, unique together, each with the name its value has
    in a row; each page starts after the last row of the one before, found by index, so
    that no page costs more than the first and memory holds one page.
    """
    columns = [column for column, _name in keys]
    last: tuple[Any, ...] | None = None
    while True:
        paged = query.order_by(*columns).limit(page)
        if last is not None:
            paged = paged.where(_after(columns, last))
        rows = connection.execute(paged).all()
        if rows:
            yield rows
        if len(rows) < page:
            return
        last = tuple(getattr(rows[-1], name) for _column, name in keys)


def _after(columns: Sequence[sa.ColumnElement[Any]], last: Sequence[Any]) -> sa.ColumnElement[bool]:
    """Rows after `last` in the order of `columns`: `a > x OR (a = x AND b > y) ...`.

    Written as `a >= x AND (a > x OR ...)`, so that the first column bounds an index range
    on every engine.
    """
    first, *rest = columns
    beyond: sa.ColumnElement[bool] = first > last[0]
    if not rest:
        return beyond
    return sa.and_(first >= last[0], sa.or_(beyond, _after(rest, last[1:])))


def _public_fields(model: type[Any], derived: Collection[str] = ()) -> tuple[str, ...]:
    """The fields an exported record carries, in the order of the library's Public model."""
    return tuple(name for name in model.model_fields if name not in derived)


_SITE_FIELDS = _public_fields(SitePublic)
_MONUMENT_FIELDS = _public_fields(MonumentPublic, {"built_from_year", "built_to_year"})
_SOURCE_FIELDS = _public_fields(SourcePublic, {"published_earliest", "published_latest"})


def _exported(kind: str, fields: Sequence[str], row: sa.Row[Any]) -> dict[str, Any]:
    """A record as its Public model's JSON form gives it, from its row."""
    values = row._mapping
    record: dict[str, Any] = {"type": kind}
    for name in fields:
        value = values[name]
        if isinstance(value, Enum):
            value = value.value
        elif isinstance(value, dt.datetime):
            value = _stamp(value)
        elif name == "alt_names":
            value = [{"name": item["name"], "lang": item["lang"]} for item in value]
        record[name] = value
    return record


def iter_site_records(registry: Registry, *, page: int = 1_000) -> Iterator[dict[str, Any]]:
    """Every site as an exchange record, by slug, read a page at a time."""
    sites = SITE_TABLE
    with registry.engine.connect() as connection:
        for rows in keyset_pages(connection, sa.select(sites), [(sites.c.slug, "slug")], page=page):
            for row in rows:
                yield _exported("site", _SITE_FIELDS, row)


def iter_monument_records(registry: Registry, *, page: int = 1_000) -> Iterator[dict[str, Any]]:
    """Every monument as an exchange record, by site and slug, read a page at a time."""
    sites, monuments = SITE_TABLE, MONUMENT_TABLE
    query = sa.select(monuments, sites.c.slug.label("site")).join(
        sites, sites.c.id == monuments.c.site_id
    )
    keys = [(sites.c.slug, "site"), (monuments.c.slug, "slug")]
    with registry.engine.connect() as connection:
        for rows in keyset_pages(connection, query, keys, page=page):
            for row in rows:
                yield _exported("monument", _MONUMENT_FIELDS, row)


def iter_source_records(registry: Registry, *, page: int = 1_000) -> Iterator[dict[str, Any]]:
    """Every source as an exchange record, by key, read a page at a time."""
    sources = SOURCE_TABLE
    with registry.engine.connect() as connection:
        for rows in keyset_pages(
            connection, sa.select(sources), [(sources.c.key, "key")], page=page
        ):
            for row in rows:
                yield _exported("source", _SOURCE_FIELDS, row)


def export_jsonl(
    registry: Registry, out: IO[str], *, page: int = 1_000, progress: Progress | None = None
) -> dict[str, int]:
    """Write the whole registry to `out` as JSON Lines; returns the counts written.

    Every kind of record is read a page at a time, so that memory holds a page of each,
    however large the registry. `progress(done, total)`, if given, is told after each
    page written how many of the records' lines are written (citations ride in their
    events' lines).
    """
    counts = registry.counts()
    total = sum(count for kind, count in counts.items() if kind != "citations")
    done = 0
    header = {
        "format": FORMAT,
        "version": VERSION,
        "schema_revision": registry.schema_revision(),
        "counts": counts,
    }
    out.write(_dumps(header) + "\n")
    # Written a page at a time: a write per line cost more than encoding it.
    lines: list[str] = []
    for records in (
        iter_site_records(registry, page=page),
        iter_monument_records(registry, page=page),
        iter_source_records(registry, page=page),
        iter_event_records(registry, page=page),
        iter_change_records(registry, page=page),
    ):
        for record in records:
            lines.append(_dumps(record))
            if len(lines) >= page:
                out.write("\n".join(lines) + "\n")
                done += len(lines)
                lines = []
                if progress is not None:
                    progress(done, max(total, done))
    if lines:
        out.write("\n".join(lines) + "\n")
        done += len(lines)
    if progress is not None:
        progress(done, max(total, done))
    return counts


def iter_change_records(registry: Registry, *, page: int = 1_000) -> Iterator[dict[str, Any]]:
    """Every history entry as an exchange record, in the order they were made."""
    changes = CHANGE_TABLE
    with registry.engine.connect() as connection:
        for rows in keyset_pages(connection, sa.select(changes), [(changes.c.id, "id")], page=page):
            for row in rows:
                yield {
                    "type": "change",
                    "record_type": row.record_type.value,
                    "record": row.record,
                    "action": row.action.value,
                    "reason": row.reason,
                    "changed_by": row.changed_by,
                    "how": row.how.value,
                    "old": row.old,
                    "new": row.new,
                    "changed_at": _stamp(row.changed_at),
                }


def iter_event_records(
    registry: Registry, *, page: int = 1_000, named: bool = False
) -> Iterator[dict[str, Any]]:
    """Every event as an exchange record, by uid, read a page at a time.

    With `named`, each record also carries its site's `site_name` and `country` and its
    monument's `monument_name`, and each citation its source's `publisher`: what a
    spreadsheet shows beside the slugs, read with the events rather than held for all.
    """
    events, citations, sources = EVENT_TABLE, CITATION_TABLE, SOURCE_TABLE
    sites, monuments = SITE_TABLE, MONUMENT_TABLE
    names = (
        [sites.c.name.label("site_name"), sites.c.country, monuments.c.name.label("m_name")]
        if named
        else []
    )
    merged_into = events.alias("merged_into")
    query = (
        sa.select(
            events,
            sites.c.slug.label("site_slug"),
            monuments.c.slug.label("m_slug"),
            merged_into.c.uid.label("merged_into_uid"),
            *names,
        )
        .join(sites, sites.c.id == events.c.site_id)
        .outerjoin(monuments, monuments.c.id == events.c.monument_id)
        .outerjoin(merged_into, merged_into.c.id == events.c.merged_into_id)
    )
    publisher = [sources.c.publisher] if named else []
    with registry.engine.connect() as connection:
        for rows in keyset_pages(connection, query, [(events.c.uid, "uid")], page=page):
            cited: dict[int, list[dict[str, Any]]] = {}
            for citation in connection.execute(
                sa.select(citations, sources.c.key.label("source_key"), *publisher)
                .join(sources, sources.c.id == citations.c.source_id)
                .where(citations.c.event_id.in_([row.id for row in rows]))
                .order_by(citations.c.id)
            ):
                record = {
                    "source": citation.source_key,
                    "quote": citation.quote,
                    "location": citation.location,
                    "stance": citation.stance.value,
                    "claimed_occurred": citation.claimed_occurred,
                    "claimed_level": citation.claimed_level.value
                    if citation.claimed_level
                    else None,
                    "date_resolution": citation.date_resolution,
                    "via": citation.via,
                    "mentions": list(citation.mentions or []),
                    "recorded_at": _stamp(citation.created_at),
                }
                if citation.text_start is not None:
                    # Only a verified quote's line has them: others' lines stay as they were.
                    record["text_start"] = citation.text_start
                    record["text_end"] = citation.text_end
                if named:
                    record["publisher"] = citation.publisher
                cited.setdefault(citation.event_id, []).append(record)
            for row in rows:
                event = {
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
                    "merged_into": row.merged_into_uid,
                    "merged_at": _stamp(row.merged_at),
                    "merge_reason": row.merge_reason,
                    "recorded_at": _stamp(row.created_at),
                    "updated_at": _stamp(row.updated_at),
                    "citations": cited.get(row.id, []),
                }
                if named:
                    event.update(
                        site_name=row.site_name, country=row.country, monument_name=row.m_name
                    )
                yield event


# Import: reading and validating ----------------------------------------------------


def _numbered_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """The file's lines with their numbers, refusing one longer than MAX_LINE_BYTES.

    The refusal ends the reading: reading on past such a line (a gigabyte, of a file
    that is no export) to check the lines after it would take as long as the file is.
    """
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            raise ImportFailed(number, f"longer than {MAX_LINE_BYTES:,} bytes; split the record")
        yield number, raw


# The facts that name an event given without a uid, and the namespace its uid is made
# in: the same facts always give the same uid, so importing the same file (JSON Lines or
# CSV) twice adds nothing.
FACT_FIELDS = ("site", "monument", "cause", "damage_level", "occurred", "actor", "description")
FACT_UID_NAMESPACE = uuid.UUID("6f1c0a52-8d0e-4f0e-9a57-3c1f1f5a7e21")


def fact_uid(event: Mapping[str, Any]) -> str:
    """The uid of an event given without one, made from its facts (`FACT_FIELDS`)."""
    facts = "\x1f".join(str(event.get(name) or "") for name in FACT_FIELDS)
    return str(uuid.uuid5(FACT_UID_NAMESPACE, facts))


def jsonl_records(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """The records of a JSON Lines file, after its header, with their line numbers.

    A line that is no record (not JSON, not an object) is a `BadLine`, so that the lines
    after it are read and checked too; a file whose header is wrong, or a line too long
    to read, ends the reading (`ImportFailed`).
    """
    head, stream = peek_head(stream)
    problem = unreadable_head(head, "a JSON Lines file from 'registry export'")
    if problem is not None:
        raise UnreadableFile(1, problem)
    seen_header = False
    for number, raw in _numbered_lines(stream):
        # isspace, not strip: a blank line is rare, and strip copies every line to tell.
        if raw.isspace():
            continue
        if not seen_header:
            _check_first_line(number, raw)
            _check_header(number, _decode(number, raw))
            seen_header = True
            continue
        try:
            value = _decode(number, raw)
        except ImportFailed as exc:
            yield number, BadLine(exc.problems[0][1])
            continue
        if not isinstance(value, dict):
            yield number, BadLine("a record must be a JSON object")
            continue
        kind = value.get("type")
        if (kind == "event" or kind is None) and cite_only(value):
            value["type"] = "cite"
        elif kind == "event" and value.get("uid") is None:
            value["uid"] = fact_uid(value)
        yield number, value
    if not seen_header:
        raise ImportFailed(1, "the file is empty; it needs a header line")


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Read last-wins, a key given twice makes the line mean what this parser decides, and
    # another tool may import the other value.
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return record


# One decoder for every line: json.loads builds a new one on each call given a hook.
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)


def _decode(number: int, raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 (byte {exc.start + 1}); save the file as UTF-8"
        raise ImportFailed(number, problem) from None
    if number == 1:
        text = text.removeprefix("\ufeff")
    try:
        if text.startswith("\ufeff"):
            # What json.loads says of it; the decoder alone would call it a stray character.
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _DECODER.decode(text)
    except _DuplicateKey as exc:
        key = repr(exc.key) if len(exc.key) <= 60 else repr(exc.key[:57]) + "..."
        raise ImportFailed(
            number, f"the key {key} is given twice in one object; keep one"
        ) from None
    except RecursionError:
        raise ImportFailed(number, "JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ImportFailed(number, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except ValueError as exc:
        # json.loads refuses integers of more than 4,300 digits this way.
        raise ImportFailed(number, f"not valid JSON ({exc})") from None


def _check_first_line(number: int, raw: bytes) -> None:
    """Refuse a first line that shows the file is CSV, not JSON Lines."""
    text = raw.decode("utf-8", "replace").removeprefix("\ufeff").lstrip()
    if text[:1] not in ("{", "[") and "," in text and not _is_json(text):
        raise UnreadableFile(
            number,
            "does not look like JSON Lines: its first line reads as a row of CSV, not a JSON "
            "object; is it CSV? use --format csv",
        )


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


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


# How a list's items are named in a problem: `citation 1's quote`, `alt name 2's lang`.
_ITEM_NAMES = {"citations": "citation", "alt_names": "alt name", "mentions": "mention"}

# A problem's field, from pydantic's location of it within a record (`("citations", 0,
# "quote")`), as the file's reader names it to its user.
FieldName = Callable[[tuple[int | str, ...]], str]


def readable_field(loc: tuple[int | str, ...]) -> str:
    """A field of a JSON Lines record in words: `citation 1's quote`, not `citations.0.quote`.

    Items of a list are counted from 1, as the CSV export numbers its citation columns.
    """
    parts: list[str] = []
    index = 0
    while index < len(loc):
        item = loc[index]
        following = loc[index + 1] if index + 1 < len(loc) else None
        if isinstance(item, str) and isinstance(following, int):
            parts.append(f"{_ITEM_NAMES.get(item, item)} {following + 1}")
            index += 2
            continue
        parts.append(f"item {item + 1}" if isinstance(item, int) else item)
        index += 1
    return "'s ".join(parts)


_NO_TYPE = 'needs a "type" of site, monument, source or event'


def line_problems(exc: ValidationError, errors: Iterable[Any], field_name: FieldName) -> list[str]:
    """Each validation problem of one line, described from its own fields in the user's
    words: `errors` are pydantic's, located within the record (no list index, no tag)."""
    problems: list[str] = []
    for error in errors:
        if error["type"] in ("union_tag_not_found", "union_tag_invalid"):
            if _NO_TYPE not in problems:
                problems.append(_NO_TYPE)
            continue
        loc = tuple(error["loc"])
        name = field_name(loc)
        least = error.get("ctx", {}).get("min_length")
        if error["type"] in ("string_too_short", "too_short") and name and least is not None:
            # Said in the file's words, not pydantic's ("should have at least 1 item
            # after validation").
            empty = not error.get("input")
            fix = "give a value" if error["type"] == "string_too_short" else f"give {least} or more"
            problems.append(f"{name}: {'empty' if empty else 'too short'}; {fix}")
            continue
        # A vocabulary's message names the value's kind (`unknown stance 'x'`): the field's
        # own name, after the field in the file's words where that is another.
        leaf = str(loc[-1]) if error["type"] == "enum" and loc else name
        located = {**error, "loc": (leaf,) if leaf else ()}
        single = ValidationError.from_exception_data(exc.title, [located])  # type: ignore[list-item]
        problem = describe_validation_error(single)
        problems.append(f"{name}: {problem}" if leaf != name else problem)
    return problems


_EVENT_FACTS = ("site", "monument", "cause", "damage_level", "occurred", "actor", "description")
# The parts of an event that make it the same event (citations may be added to), as a tuple.
_facts = operator.itemgetter(*_EVENT_FACTS)

# A staged record is the JSON form of its line, less the type its chunk of staging names.
_NOT_STAGED = {"__all__": {"type"}}

# Staged records of one kind, in file order, as `(kind, records)`.
Chunk = tuple[str, list[dict[str, Any]]]


class _Staging:
    """A temporary SQLite file holding the validated records between the two passes.

    Records are staged a chunk at a time (one kind, at most a batch): a row per record cost
    more in SQLite calls and `marshal` calls, both ways, than encoding the records did.
    """

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="heritage-registry-import-")
        self.db = sqlite3.connect(Path(self._dir.name) / "staging.db")
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE chunk (n INTEGER PRIMARY KEY, kind TEXT, body BLOB);
            CREATE TABLE uid (
                uid TEXT PRIMARY KEY, line INTEGER, digest INTEGER, site TEXT,
                monument TEXT, occurred TEXT
            ) WITHOUT ROWID;
            CREATE TABLE merge (
                uid TEXT PRIMARY KEY, line INTEGER, target TEXT, site TEXT
            ) WITHOUT ROWID;
            """
        )
        self.total = 0

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    def add(self, chunks: Sequence[Chunk]) -> None:
        # marshal: the staged records are read back by this same process, and it is
        # several times quicker than JSON both ways.
        self.db.executemany(
            "INSERT INTO chunk (kind, body) VALUES (?, ?)",
            [(kind, marshal.dumps(records)) for kind, records in chunks],
        )
        self.total += sum(len(records) for _kind, records in chunks)

    def count(self) -> int:
        return self.total

    def chunks(self) -> Iterator[Chunk]:
        for kind, body in self.db.execute("SELECT kind, body FROM chunk ORDER BY n"):
            yield kind, marshal.loads(body)


class _Validator:
    """The first pass: every line checked, nothing written to the registry.

    A problem is noted with its line (`fail`) and the check goes on, so that one run
    finds them all; once there is one, nothing more is staged, as nothing will be written.
    """

    def __init__(self, connection: sa.Connection, staging: _Staging, field_name: FieldName) -> None:
        self.connection = connection
        self.staging = staging
        self.field_name = field_name
        self.sites = set(connection.scalars(sa.select(SITE_TABLE.c.slug)))
        self.monuments = {
            (site, slug)
            for site, slug in connection.execute(
                sa.select(SITE_TABLE.c.slug, MONUMENT_TABLE.c.slug).join(
                    SITE_TABLE, SITE_TABLE.c.id == MONUMENT_TABLE.c.site_id
                )
            )
        }
        # Each source's publication date, the registry's or else the line's that adds it:
        # an event dated after a source that reports it was published is refused.
        self.published: dict[str, str | None] = {
            key: published
            for key, published in connection.execute(
                sa.select(SOURCE_TABLE.c.key, SOURCE_TABLE.c.published)
            )
        }
        self.sources = set(self.published)
        # The uids of event lines refused whole: what refers to them is not refused again.
        self.refused_uids: set[str] = set()
        # The nearest known name to each unknown one, by kind and name.
        self.nearest: dict[tuple[str, str], str | None] = {}
        self.lines = 0
        self.problems: list[tuple[int, int, str]] = []
        self.more = 0

    # Problems ---------------------------------------------------------------------

    def fail(self, number: int, problem: str) -> None:
        """Note a problem of line `number`; only the first PROBLEMS_SHOWN lines' are kept."""
        # The order in which problems were found, to keep a line's in that order.
        self.problems.append((number, len(self.problems) + self.more, problem.translate(_CONTROL)))
        if len(self.problems) > 10 * PROBLEMS_SHOWN:
            self._keep_first()

    def _keep_first(self) -> None:
        self.problems.sort()
        self.more += len(self.problems[PROBLEMS_SHOWN:])
        del self.problems[PROBLEMS_SHOWN:]

    def check(self) -> None:
        """Raise the problems found, if any: one as `ImportFailed`, several as
        `ImportProblems`, in the order of the file's lines."""
        if not self.problems:
            return
        self._keep_first()
        if len(self.problems) == 1 and not self.more:
            number, _order, problem = self.problems[0]
            raise ImportFailed(number, problem)
        raise ImportProblems(
            [(number, problem) for number, _order, problem in self.problems], self.more
        )

    # Reading ----------------------------------------------------------------------

    def run(self, records: Iterable[tuple[int, dict[str, Any] | BadLine]]) -> None:
        batch: list[tuple[int, Any]] = []
        try:
            for number, value in records:
                self.lines = number
                batch.append((number, value))
                if len(batch) >= BATCH_SIZE:
                    self._batch(batch)
                    batch = []
                    _collect_young()
        except UnreadableFile:
            raise
        except ImportFailed as exc:
            # A file that cannot be read on (cut off in a quoted cell, not UTF-8): its
            # problem ends the list, after those of the lines read before it.
            if batch:
                self._batch(batch)
            for number, problem in exc.problems:
                self.fail(number, problem)
            return
        if batch:
            self._batch(batch)

    def _batch(self, batch: list[tuple[int, Any]]) -> None:
        if any(type(value) is BadLine for _number, value in batch):
            for number, value in batch:
                if type(value) is BadLine:
                    self.fail(number, value.problem)
            batch = [(number, value) for number, value in batch if type(value) is not BadLine]
        numbers = [number for number, _ in batch]
        values = [value for _, value in batch]
        try:
            records = _BATCH.validate_python(values)
        except ValidationError as exc:
            refused = self._refused(numbers, values, exc)
            numbers = [n for i, n in enumerate(numbers) if i not in refused]
            values = [v for i, v in enumerate(values) if i not in refused]
            records = _BATCH.validate_python(values)
        # One call for the batch: a model_dump per record costs a call into pydantic each.
        bodies: list[dict[str, Any]] = _BATCH.dump_python(records, mode="json", exclude=_NOT_STAGED)
        chunks: list[Chunk] = []
        events: list[tuple[int, dict[str, Any]]] = []
        cites: list[tuple[int, CiteLine]] = []
        merged: list[tuple[str, int, str, str]] = []
        for number, record, body in zip(numbers, records, bodies, strict=True):
            if isinstance(record, EventLine):
                self._check_event(number, record)
                events.append((number, body))
                if record.merged_into is not None:
                    merged.append((body["uid"], number, body["merged_into"], record.site))
            elif isinstance(record, CiteLine):
                cites.append((number, record))
            elif isinstance(record, SiteLine):
                self.sites.add(record.slug)
            elif isinstance(record, MonumentLine):
                self._need_site(number, record.site)
                self.monuments.add((record.site, record.slug))
            elif isinstance(record, SourceLine):
                self.sources.add(record.key)
                self.published.setdefault(record.key, record.published)
            if chunks and chunks[-1][0] == record.type:
                chunks[-1][1].append(body)
            else:
                chunks.append((record.type, [body]))
        self._check_uids(events)
        if cites:
            self._check_cites(cites)
        if merged:
            # A uid given twice is one event: its first line's merge is the one kept.
            self.staging.db.executemany(
                "INSERT OR IGNORE INTO merge (uid, line, target, site) VALUES (?, ?, ?, ?)", merged
            )
        if not self.problems:
            # Once a line is refused nothing will be written: staging the rest is waste.
            self.staging.add(chunks)

    def _refused(self, numbers: list[int], values: list[Any], exc: ValidationError) -> set[int]:
        """Note the problems of the lines pydantic refused; returns their indexes.

        What a refused line would have added (its site's slug, its source's key, its
        event's uid) counts as given, so that the lines referring to it are not refused
        for want of it as well: the one problem is its own.
        """
        errors: dict[int, list[Any]] = {}
        for error in exc.errors(include_url=False):
            loc = error["loc"]
            index = loc[0] if loc and isinstance(loc[0], int) else 0
            # Past the list index, pydantic names the union's tag: the record's own fields.
            errors.setdefault(index, []).append({**error, "loc": loc[2:]})
        for index, found in sorted(errors.items()):
            for problem in line_problems(exc, found, self.field_name):
                self.fail(numbers[index], problem)
            self._count_as_given(values[index])
        return set(errors)

    def _count_as_given(self, value: Any) -> None:
        if not isinstance(value, dict):
            return
        kind = value.get("type")
        name = value.get("slug") if kind in ("site", "monument") else value.get("key")
        if kind == "site" and isinstance(name, str):
            self.sites.add(name)
        elif kind == "monument" and isinstance(name, str) and isinstance(value.get("site"), str):
            self.monuments.add((value["site"], name))
        elif kind == "source" and isinstance(name, str):
            self.sources.add(name)
        elif kind in ("event", "cite") and value.get("uid") is not None:
            self.refused_uids.add(str(value["uid"]).lower())

    # Checks -----------------------------------------------------------------------

    def _missing(self, what: str, name: str, known: Callable[[], Collection[str]]) -> str:
        """`no site 'palmira' in the registry or earlier in the file; did you mean
        'palmyra'? else add it first`: the nearest name suggested, as `NotFound` does."""
        key = (what, name)
        if key not in self.nearest:
            close: str | None = None
            if len(self.nearest) < PROBLEMS_SHOWN:
                # Looked for among every slug or key once per name, for the first names only.
                candidates = known()
                completions = [candidate for candidate in candidates if candidate.startswith(name)]
                found = (
                    completions
                    if len(completions) == 1
                    else difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
                )
                close = found[0] if found else None
            self.nearest[key] = close
        close = self.nearest[key]
        hint = f"did you mean {close!r}? else add it first" if close else "add it first"
        return f"no {what} {name!r} in the registry or earlier in the file; {hint}"

    def _need_site(self, number: int, slug: str) -> bool:
        if slug not in self.sites:
            self.fail(number, self._missing("site", slug, lambda: self.sites))
            return False
        return True

    def _check_event(self, number: int, event: EventLine) -> None:
        if not self._need_site(number, event.site):
            return
        if event.monument is not None and (event.site, event.monument) not in self.monuments:
            problem = self._missing(
                "monument",
                event.monument,
                lambda: [slug for site, slug in self.monuments if site == event.site],
            )
            where = f" of site {event.site!r} in the registry"
            self.fail(number, problem.replace(" in the registry", where, 1))
            return
        self._check_citations(number, event.citations, event.site, event.monument, event.occurred)

    def _check_citations(
        self,
        number: int,
        citations: Sequence[CitationCreate],
        site: str,
        monument: str | None,
        occurred: str,
    ) -> None:
        """The citations of an event of `site` (and `monument`) that `occurred` then: their
        sources known and published no earlier, their mentions monuments of the site."""
        for citation in citations:
            if citation.source not in self.sources:
                self.fail(number, self._missing("source", citation.source, lambda: self.sources))
                continue
            too_early = reported_too_early(
                occurred, citation.source, self.published.get(citation.source)
            )
            if too_early is not None:
                self.fail(number, too_early)
            if citation.mentions:
                known = {slug for known_site, slug in self.monuments if known_site == site}
                try:
                    mentions.check(citation.mentions, known, site=site, monument=monument)
                except RegistryError as exc:
                    self.fail(number, str(exc))

    def _check_cites(self, cites: list[tuple[int, CiteLine]]) -> None:
        """Each line of citations names an event of the registry or of an earlier line."""
        uids = list({str(record.uid) for _number, record in cites})
        in_file: dict[str, tuple[int, str, str | None, str]] = {}
        for part in chunked(uids):
            marks = ",".join("?" * len(part))
            for uid, line, site, monument, occurred in self.staging.db.execute(
                f"SELECT uid, line, site, monument, occurred FROM uid WHERE uid IN ({marks})", part
            ):
                in_file[uid] = (line, site, monument, occurred)
        stored = _cited_events(self.connection, [uid for uid in uids if uid not in in_file])
        for number, record in cites:
            uid = str(record.uid)
            given = in_file.get(uid)
            if given is not None and given[0] < number:
                target: tuple[str, str | None, str] | None = given[1:]
            else:
                target = stored.get(uid)
            if target is None:
                if uid not in self.refused_uids:
                    self.fail(
                        number,
                        f"no event {uid} in the registry or earlier in the file to add the "
                        "citations to; check the uid",
                    )
                continue
            self._check_citations(number, record.citations, *target)

    def check_merges(self) -> None:
        """Each `merged_into` names an event of the same site, in the file or the registry,
        and the file's merges form no circle (the registry's cannot)."""
        merges = self.staging.db.execute(
            "SELECT m.uid, m.line, m.target, m.site, u.site FROM merge AS m "
            "LEFT JOIN uid AS u ON u.uid = m.target ORDER BY m.line"
        ).fetchall()
        if not merges:
            return
        outside = [target for _uid, _line, target, _site, in_file in merges if in_file is None]
        stored = _stored_sites(self.connection, outside)
        for uid, line, target, site, in_file in merges:
            if target == uid:
                self.fail(
                    line, f"event {uid} is merged into itself; merged_into names another event"
                )
                continue
            target_site = in_file or stored.get(target)
            if target_site is None:
                if target not in self.refused_uids:
                    self.fail(
                        line,
                        f"merged_into: no event {target} in the registry or the file; give the "
                        "uid of the event it was merged into",
                    )
            elif target_site != site:
                self.fail(
                    line,
                    f"merged_into: event {target} is at site {target_site!r}, not {site!r}; an "
                    "event is merged only into one of its own site",
                )
        # An event in the registry keeps its state, merged or not; the file's other merges
        # must not lead round to where they start.
        held = set(_stored_sites(self.connection, [uid for uid, *_ in merges]))
        edges = {
            uid: target for uid, _line, target, *_ in merges if uid not in held and uid != target
        }
        lines = {uid: line for uid, line, *_ in merges}
        done: set[str] = set()
        for start in edges:
            path: list[str] = []
            on_path: set[str] = set()
            node = start
            while node in edges and node not in done:
                if node in on_path:
                    self.fail(
                        lines[node],
                        f"event {node} is merged into {edges[node]}, which leads back to it; "
                        "merges cannot form a circle: merge them all into one of them",
                    )
                    break
                path.append(node)
                on_path.add(node)
                node = edges[node]
            done.update(path)

    def _check_uids(self, events: list[tuple[int, dict[str, Any]]]) -> None:
        """A uid given twice must describe the same event, in the file and the registry."""
        if not events:
            return
        # Compared only within one import, so Python's own (per-process) hash will do.
        in_batch: dict[str, tuple[int, int, str, str | None, str]] = {}
        for number, body in events:
            uid, digest = body["uid"], hash(_facts(body))
            earlier = in_batch.get(uid)
            if earlier is None:
                in_batch[uid] = (number, digest, body["site"], body["monument"], body["occurred"])
            elif earlier[1] != digest:
                self.fail(
                    number, f"event {uid} was given on line {earlier[0]} with different content"
                )
        uids = list(in_batch)
        marks = ",".join("?" * len(uids))
        for uid, line, digest in self.staging.db.execute(
            f"SELECT uid, line, digest FROM uid WHERE uid IN ({marks})", uids
        ):
            if digest != in_batch[uid][1]:
                self.fail(
                    in_batch[uid][0], f"event {uid} was given on line {line} with different content"
                )
        self.staging.db.executemany(
            "INSERT OR IGNORE INTO uid (uid, line, digest, site, monument, occurred) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(uid, *given) for uid, given in in_batch.items()],
        )
        stored = _stored_events(self.connection, uids)
        if not stored:
            return
        last = {body["uid"]: (number, body) for number, body in events}
        for held in stored:
            number, body = last[held["uid"]]
            wanted = dict(zip(_EVENT_FACTS, _facts(body), strict=True))
            differing = [name for name in _EVENT_FACTS if held[name] != wanted[name]]
            if differing:
                name = differing[0]
                self.fail(
                    number,
                    f"event {held['uid']} is in the registry with a different {name} "
                    f"({held[name]!r}, not {wanted[name]!r}); "
                    "correct the line or give it a new uid",
                )


def _cited_events(
    connection: sa.Connection, uids: Sequence[str]
) -> dict[str, tuple[str, str | None, str]]:
    """The site, monument and date of the events among `uids` the registry holds, by uid:
    of the event a merged one leads to, which its citations go to."""
    events, sites, monuments = EVENT_TABLE, SITE_TABLE, MONUMENT_TABLE
    query = (
        sa.select(
            events.c.id,
            events.c.uid,
            sites.c.slug,
            monuments.c.slug,
            events.c.occurred,
            events.c.merged_into_id,
        )
        .join(sites, sites.c.id == events.c.site_id)
        .outerjoin(monuments, monuments.c.id == events.c.monument_id)
    )
    found: dict[str, tuple[str, str | None, str]] = {}
    ids: dict[str, int] = {}
    merged: dict[str, int] = {}
    for part in chunked(uids):
        for event_id, uid, site, monument, occurred, merged_into in connection.execute(
            query.where(events.c.uid.in_(part))
        ):
            found[uid], ids[uid] = (site, monument, occurred), event_id
            if merged_into is not None:
                merged[uid] = event_id
    if merged:
        live = _live_events(connection, merged.values())
        targets = _cited_events(connection, sorted({uid for _id, uid in live.values()}))
        for uid, event_id in merged.items():
            found[uid] = targets[live[event_id][1]]
    return found


def _stored_sites(connection: sa.Connection, uids: Sequence[str]) -> dict[str, str]:
    """The site slugs of the events among `uids` that the registry holds, by uid."""
    events, sites = EVENT_TABLE, SITE_TABLE
    found: dict[str, str] = {}
    for part in chunked(uids):
        found.update(
            connection.execute(
                sa.select(events.c.uid, sites.c.slug)
                .join(sites, sites.c.id == events.c.site_id)
                .where(events.c.uid.in_(part))
            ).all()
        )
    return found


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


class _Insert:
    """An `INSERT` of many rows, given as tuples in the order of `columns`, by the driver.

    Going through `Connection.execute` costs more per row, in building and processing
    parameters, than SQLite takes to store the row; the statement compiled by Core and
    each column's own bind processor give the same values with a fraction of the work.
    The values of the columns named in `ready` are in the driver's form already. On
    PostgreSQL the rows go by `COPY ... FROM STDIN` on the same connection, in the same
    transaction: one stream instead of a round of the protocol per row, which was most
    of an import's time there.
    """

    def __init__(
        self,
        dialect: sa.Dialect,
        table: sa.Table,
        columns: Sequence[str],
        ready: Collection[str] = (),
    ) -> None:
        compiled = table.insert().inline().compile(dialect=dialect, column_keys=list(columns))
        self.sql = str(compiled)
        self.copy: str | None = None
        if dialect.name == "postgresql":
            quote = dialect.identifier_preparer.quote
            names = ", ".join(quote(name) for name in columns)
            self.copy = f"COPY {quote(table.name)} ({names}) FROM STDIN"
        self.converters: list[tuple[int, Callable[[Any], Any]]] = []
        for index, name in enumerate(columns):
            if name in ready:
                continue
            column_type = table.c[name].type
            process = column_type.dialect_impl(dialect).bind_processor(dialect)
            if process is None:
                continue
            if isinstance(column_type, sa.Enum) and all(
                process(value) == value for value in column_type.enums
            ):
                # A vocabulary's values, already checked by the Create model, pass unchanged.
                continue
            self.converters.append((index, process))
        self.names: list[str] | None = None
        self.order: Callable[[Any], tuple[Any, ...]] | None = None
        if compiled.positional:
            markers = list(compiled.positiontup or [])
        elif dialect.paramstyle == "pyformat":
            # psycopg takes `%s` as well as `%(name)s`: a tuple per row spares building a dict
            # and the driver putting it back in order.
            markers = _PYFORMAT.findall(self.sql)
            self.sql = _PYFORMAT.sub("%s", self.sql)
        else:
            markers = []
            self.names = list(columns)
        # Core writes the columns in the table's order, whatever order they were named in.
        order = [list(columns).index(name) for name in markers]
        if markers and order != list(range(len(columns))):
            self.order = _getter(order)

    def run(self, connection: sa.Connection, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        params: list[Any] = list(rows)
        if self.converters:
            params = [self._convert(row) for row in params]
        if self.copy is not None:
            # psycopg's own connection, in the transaction `connection` began.
            driver: Any = connection.connection.dbapi_connection
            dbapi = connection.dialect.loaded_dbapi
            try:
                with driver.cursor() as cursor, cursor.copy(self.copy) as copy:
                    for row in params:
                        copy.write_row(row)
            except dbapi.Error as exc:
                # As SQLAlchemy would raise it (IntegrityError, OperationalError, ...), for
                # the import's handling of a racing writer and of a full disk.
                raise sa.exc.DBAPIError.instance(
                    self.copy, None, exc, dbapi.Error, dialect=connection.dialect
                ) from exc
            return
        if self.order is not None:
            order = self.order
            params = [order(row) for row in params]
        elif self.names is not None:
            names = self.names
            params = [dict(zip(names, row, strict=True)) for row in params]
        connection.exec_driver_sql(self.sql, params)

    def _convert(self, row: Sequence[Any]) -> tuple[Any, ...]:
        values = list(row)
        for index, process in self.converters:
            values[index] = process(values[index])
        return tuple(values)


# A named parameter of the pyformat style, `%(name)s`, with its name.
_PYFORMAT = re.compile(r"%\((\w+)\)s")


def _getter(keys: Sequence[Any]) -> Callable[[Any], tuple[Any, ...]]:
    """A function taking these items of a sequence or mapping, always as a tuple."""
    if len(keys) == 1:
        only = keys[0]
        return lambda row: (row[only],)
    return operator.itemgetter(*keys)


# Probes of the fast form of a staged time against SQLAlchemy's own processing.
_STAMP_PROBES = ("2015-05-23T07:08:09.123456Z", "0999-12-31T23:59:59.000001Z")


def _stamp_converter(
    dialect: sa.Dialect, column: sa.Column[Any], now: dt.datetime
) -> Callable[[str | None], Any]:
    """From a staged time (its JSON form: ISO 8601 in UTC) to the value the driver takes.

    A time the file did not give is `now`. Where the driver takes text (SQLite), it is cut
    straight from the staged text, once probes show that this is what parsing it and
    SQLAlchemy's formatting give: those cost more, for millions of times, than storing
    the rows did.
    """
    process = column.type.dialect_impl(dialect).bind_processor(dialect)

    def parsed(text: str) -> Any:
        value = dt.datetime.fromisoformat(text)
        return process(value) if process is not None else value

    def cut(text: str) -> str | None:
        if len(text) == 27 and text[19] == "." and text[26] == "Z":
            return text[:10] + " " + text[11:26]
        return None

    default = process(now) if process is not None else now
    if any(cut(probe) != parsed(probe) for probe in _STAMP_PROBES):

        def convert(text: str | None) -> Any:
            return default if text is None else parsed(text)

        return convert

    def convert_cut(text: str | None) -> Any:
        if text is None:
            return default
        return cut(text) or parsed(text)

    return convert_cut


def _when(value: str | None, default: dt.datetime) -> dt.datetime:
    return dt.datetime.fromisoformat(value) if value else default


_EVENT_COLUMNS = (
    "uid",
    "site_id",
    "monument_id",
    "cause",
    "damage_level",
    "occurred",
    "earliest",
    "latest",
    "actor",
    "description",
    "retracted_at",
    "retraction_reason",
    "merged_into_id",
    "merged_at",
    "merge_reason",
    "created_at",
    "updated_at",
)
_CITATION_COLUMNS = (
    "event_id",
    "source_id",
    "quote",
    "location",
    "stance",
    "claimed_occurred",
    "claimed_level",
    "date_resolution",
    "via",
    "mentions",
    "created_at",
    "text_start",
    "text_end",
)
_STAMPS = frozenset({"created_at", "updated_at"})
# Distinct `occurred` values whose bounds are kept, in the driver's form, between batches.
_SPAN_CACHE = 65_536


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
        dialect = engine.dialect
        self.stamp = _stamp_converter(dialect, EVENT_TABLE.c.created_at, self.now)
        self.date = EVENT_TABLE.c.earliest.type.dialect_impl(dialect).bind_processor(dialect)
        self.spans: dict[str, tuple[Any, Any]] = {}
        self.event_insert = _Insert(
            dialect,
            EVENT_TABLE,
            _EVENT_COLUMNS,
            {"earliest", "latest", "retracted_at", "merged_at", *_STAMPS},
        )
        # Merged events, by uid, held back until the events they point to are written.
        self.pending: dict[str, dict[str, Any]] = {}
        self.citation_insert = _Insert(dialect, CITATION_TABLE, _CITATION_COLUMNS, _STAMPS)
        self.inserts: dict[tuple[str, tuple[str, ...], frozenset[str]], _Insert] = {}

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
                self._load_ids(connection)
                progress(0, total)
                # The last chunk is written outside the loop: the final commit follows it,
                # with no commit of its own before.
                waiting: Chunk | None = None
                for chunk in staged:
                    if waiting is not None:
                        done += self._flush(connection, *waiting)
                        in_transaction += len(waiting[1])
                        progress(done, total)
                        if in_transaction >= TRANSACTION_SIZE and not self.dry_run:
                            # Each transaction stores the confidence of the events it
                            # wrote or cited, so that --confidence filters in the database.
                            confidence.refresh(connection)
                            transaction.commit()
                            self.committed = done
                            transaction = connection.begin()
                            in_transaction = 0
                    waiting = chunk
                    _collect_young()
                if waiting is not None:
                    done += self._flush(connection, *waiting)
                self._merged_events(connection)
                if self.cites_held:
                    self._cites(connection, self.cites_held)
                if self.dry_run:
                    transaction.rollback()
                    return
                confidence.refresh(connection)
                transaction.commit()
                self.committed = done
                progress(done, total)
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

    def _flush(self, connection: sa.Connection, kind: str, records: list[dict[str, Any]]) -> int:
        if kind == "event":
            self._events(connection, records)
        elif kind == "site":
            self._sites(connection, records)
        elif kind == "monument":
            self._monuments(connection, records)
        elif kind == "source":
            self._sources(connection, records)
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
        rows = history.creation_rows(
            (
                (kind, name, {k: v for k, v in record.items() if k != "type"})
                for name, record in records
            ),
            by=self.by,
            how=ChangeHow.IMPORT,
            at=self.now,
        )
        self._insert_many(connection, CHANGE_TABLE, rows)

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
        created: dict[str, list[str]] = {}
        for record in fresh:
            if record["action"] == ChangeAction.CREATE.value:
                created.setdefault(record["record_type"], []).append(record["record"])
        for record_type, names in created.items():
            for part in chunked(names):
                connection.execute(
                    changes.delete().where(
                        changes.c.action == ChangeAction.CREATE,
                        changes.c.how == ChangeHow.IMPORT,
                        changes.c.changed_at == self.now,
                        changes.c.changed_by == self.by,
                        changes.c.record_type == record_type,
                        changes.c.record.in_(part),
                    )
                )
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
                _STAMPS,
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
        self._insert_many(connection, MONUMENT_TABLE, rows, _STAMPS)
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
        self._insert_many(connection, SOURCE_TABLE, rows, _STAMPS)
        self._created(connection, RecordType.SOURCE, [(r["key"], r) for r in fresh])
        keys = [record["key"] for record in fresh]
        self.source_ids.update(
            connection.execute(
                sa.select(SOURCE_TABLE.c.key, SOURCE_TABLE.c.id).where(SOURCE_TABLE.c.key.in_(keys))
            ).all()
        )

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

    def _span(self, occurred: str) -> tuple[Any, Any]:
        """An event's `earliest` and `latest` in the driver's form; a registry repeats them."""
        span = self.spans.get(occurred)
        if span is None:
            bounds = occurred_span(occurred)
            earliest, latest = bounds["earliest"], bounds["latest"]
            if self.date is not None:
                earliest, latest = self.date(earliest), self.date(latest)
            if len(self.spans) >= _SPAN_CACHE:
                self.spans.clear()
            span = self.spans[occurred] = (earliest, latest)
        return span

    def _events(self, connection: sa.Connection, records: list[dict[str, Any]]) -> None:
        uids = list({record["uid"]: None for record in records})
        held: dict[str, int] = {}
        merged: dict[str, int] = {}
        for uid, event_id, merged_into_id in connection.execute(
            sa.select(EVENT_TABLE.c.uid, EVENT_TABLE.c.id, EVENT_TABLE.c.merged_into_id).where(
                EVENT_TABLE.c.uid.in_(uids)
            )
        ):
            held[uid] = event_id
            if merged_into_id is not None:
                merged[uid] = event_id
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
        rows = []
        site_ids, monument_ids, stamp, span = (
            self.site_ids,
            self.monument_ids,
            self.stamp,
            self._span,
        )
        for record in fresh.values():
            site_id = site_ids[record["site"]]
            monument = record["monument"]
            retracted = record["retracted_at"]
            rows.append(
                (
                    record["uid"],
                    site_id,
                    monument_ids[(site_id, monument)] if monument else None,
                    record["cause"],
                    record["damage_level"],
                    record["occurred"],
                    *span(record["occurred"]),
                    record["actor"],
                    record["description"],
                    stamp(retracted) if retracted else None,
                    record["retraction_reason"],
                    None,
                    None,
                    None,
                    stamp(record["recorded_at"]),
                    stamp(record["updated_at"]),
                )
            )
        if rows:
            self.event_insert.run(connection, rows)
            self._created(connection, RecordType.EVENT, fresh.items())
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
        self.citation_insert.run(connection, citations)
        if merged:
            # The citations given for a merged event go to the event its uid leads to.
            given = {record["uid"] for record in again if record["citations"]}
            self._redirect(connection, held, {uid: merged[uid] for uid in given & set(merged)})
        # Only now, with the new events' citations stored, can a repeat be told apart.
        missing = self._missing_citations(connection, held, again)
        self.citation_insert.run(connection, missing)
        self.report.added["citations"] += len(citations) + len(missing)

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
        registry, events = self.registry, EVENT_TABLE
        with Session(bind=connection) as session:
            for record in records:
                event_id, event_uid = live[given[record["uid"]]]
                if event_uid != record["uid"]:
                    self.report.redirected[record["uid"]] = event_uid
                before = registry._events_public(session, events.c.id == event_id)[0]
                present = {(citation.source, citation.quote) for citation in before.citations}
                for citation in record["citations"]:
                    if (citation["source"], citation["quote"]) in present:
                        self.report.existing["citations"] += 1
                        continue
                    present.add((citation["source"], citation["quote"]))
                    self.citation_insert.run(connection, [self._citation(event_id, citation)])
                    after = registry._events_public(session, events.c.id == event_id)[0]
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
            self.event_insert.run(connection, [self._merged_row(ids, r) for r in ready])
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

    def _merged_row(self, ids: Mapping[str, int], record: dict[str, Any]) -> tuple[Any, ...]:
        """The row of a merged event, pointing to the event it was merged into."""
        site_id = self.site_ids[record["site"]]
        monument = record["monument"]
        retracted = record["retracted_at"]
        return (
            record["uid"],
            site_id,
            self.monument_ids[(site_id, monument)] if monument else None,
            record["cause"],
            record["damage_level"],
            record["occurred"],
            *self._span(record["occurred"]),
            record["actor"],
            record["description"],
            self.stamp(retracted) if retracted else None,
            record["retraction_reason"],
            ids[record["merged_into"]],
            self.stamp(record["merged_at"]),
            record["merge_reason"],
            self.stamp(record["recorded_at"]),
            self.stamp(record["updated_at"]),
        )

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

    def _citation(self, event_id: int, citation: dict[str, Any]) -> tuple[Any, ...]:
        return (
            event_id,
            self.source_ids[citation["source"]],
            citation["quote"],
            citation["location"],
            citation["stance"],
            citation["claimed_occurred"],
            citation["claimed_level"],
            citation["date_resolution"],
            citation["via"],
            citation["mentions"],
            self.stamp(citation["recorded_at"]),
            citation.get("text_start"),
            citation.get("text_end"),
        )

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
                    missing.append(self._citation(event_id, citation))
        return missing


def _event_ids(connection: sa.Connection, uids: Collection[str]) -> dict[str, int]:
    """The ids of the events among `uids` the registry holds, by uid."""
    return lookup(connection, EVENT_TABLE.c.uid, EVENT_TABLE.c.id, uids)


def _live_events(connection: sa.Connection, ids: Iterable[int]) -> dict[int, tuple[int, str]]:
    """The live event (id, uid) each of these events leads to: itself, or the end of its
    chain of merges."""
    wanted = set(ids)
    into: dict[int, int | None] = {}
    uids: dict[int, str] = {}
    todo = set(wanted)
    while todo:
        batch = sorted(todo)
        todo = set()
        for part in chunked(batch):
            for event_id, uid, target in connection.execute(
                sa.select(EVENT_TABLE.c.id, EVENT_TABLE.c.uid, EVENT_TABLE.c.merged_into_id).where(
                    EVENT_TABLE.c.id.in_(part)
                )
            ):
                into[event_id], uids[event_id] = target, uid
                if target is not None and target not in into:
                    todo.add(target)
    live: dict[int, tuple[int, str]] = {}
    for event_id in wanted:
        end, steps = event_id, 0
        while (target := into[end]) is not None and steps <= len(into):
            end, steps = target, steps + 1
        live[event_id] = (end, uids[end])
    return live


_GC_THRESHOLD = 100_000
_paced = {"imports": 0}
_pacing = threading.Lock()


@contextmanager
def _few_collections() -> Iterator[None]:
    """The cyclic garbage collector run less often while an import runs.

    A batch keeps a few hundred thousand containers (lines, models, records) alive until it
    is staged or written, so at the default threshold of 700 the collector ran some 5,000
    times over an import of 100,000 events, each time walking them, and the full
    collections among them walked every object of the process: 4 of its 20 seconds. The
    import makes next to no cyclic garbage, so collecting this rarely holds no more memory.
    The threshold is the process's: imports running at once set it back when the last ends.
    Each batch ends with `_collect_young`, for the garbage there is.
    """
    with _pacing:
        if _paced["imports"] == 0:
            _paced["threshold"] = gc.get_threshold()[0]
            gc.set_threshold(max(_paced["threshold"], _GC_THRESHOLD), *gc.get_threshold()[1:])
        _paced["imports"] += 1
    try:
        yield
    finally:
        with _pacing:
            _paced["imports"] -= 1
            if _paced["imports"] == 0:
                gc.set_threshold(_paced["threshold"], *gc.get_threshold()[1:])


def _collect_young() -> None:
    """Collect the young generations, once a batch is staged or written and dropped.

    Validating a line may raise and catch exceptions deep inside a parser (the EDTF
    grammar, language tags); the traceback and its frames form a cycle that keeps the
    whole batch (its lines, models and records) alive until the collector finds it, and
    at the import's threshold it would seldom look. With the batch dropped, what is young
    is that garbage and the little the batch added to the import's own state.
    """
    gc.collect(1)


def import_jsonl(
    registry: Registry,
    stream: IO[bytes],
    *,
    progress: Progress | None = None,
    dry_run: bool = False,
    by: str | None = None,
) -> ImportReport:
    """Validate the whole file, then add what the registry lacks in bounded transactions.

    A file with a problem raises `ImportFailed` naming its line, one with several
    `ImportProblems` naming each, and writes nothing. Records already present (by slug,
    key or uid) are kept; an event already present gains the citations it lacks.
    `progress(done, total)` is called after each batch written. With `dry_run`, the
    file is checked and the import made as it would be, then undone: the report tells
    what it would add. `by` names who added the citations given by an event's uid alone,
    in their history entries (else the operating-system user).
    """
    return import_records(
        registry, jsonl_records(stream), progress=progress, dry_run=dry_run, by=by
    )


def import_records(
    registry: Registry,
    records: Iterable[tuple[int, dict[str, Any] | BadLine]],
    *,
    progress: Progress | None = None,
    dry_run: bool = False,
    by: str | None = None,
    field_name: FieldName = readable_field,
) -> ImportReport:
    """Import exchange records given as `(line number, record)`, by the rules above.

    The JSON Lines reader and the CSV reader both end here, so that every format is
    validated and written the same way; `field_name` names a record's field in a
    problem as the reader's user knows it (`readable_field`, or a CSV column).
    """
    report = ImportReport(dry_run=dry_run)
    author = history.who(by)
    with _staging_space():
        staging = _Staging()
    try:
        with _few_collections(), exclusive_import(registry.engine):
            with registry.engine.connect() as connection, _staging_space():
                validator = _Validator(connection, staging, field_name)
                validator.run(records)
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


def import_path(
    registry: Registry,
    path: str | Path,
    *,
    progress: Progress | None = None,
    dry_run: bool = False,
    by: str | None = None,
) -> ImportReport:
    """Import a JSON Lines file by path (`import_jsonl`)."""
    with Path(path).open("rb") as stream:
        return import_jsonl(registry, stream, progress=progress, dry_run=dry_run, by=by)


__all__ = [
    "FORMAT",
    "PROBLEMS_SHOWN",
    "RECORD_KINDS",
    "VERSION",
    "BadLine",
    "CiteLine",
    "EventLine",
    "ImportFailed",
    "ImportProblems",
    "ImportReport",
    "MonumentLine",
    "SiteLine",
    "SourceLine",
    "export_jsonl",
    "import_jsonl",
    "import_path",
    "import_records",
    "iter_change_records",
    "iter_event_records",
    "iter_monument_records",
    "iter_site_records",
    "iter_source_records",
    "jsonl_records",
    "keyset_pages",
    "readable_field",
]
