"""The exchange record, the unit of every format: what a line may hold, and how the
registry's rows are read out as records.

A record has a `type` of `site`, `monument`, `source`, `text`, `event` or `change`, and
names the records it refers to by site slug, monument slug and source key; an event carries
its citations, and a `text` is what a source keeps of the text it was read from
(`heritage_registry.texts`): the text itself, or only the hash of an original that is not
text, with when and where it was retrieved. On the way in, each type is checked by its
`*Line` model (the Create model of the library, with the times it was recorded:
`RecordLine`). On the way out, `iter_*_records` read the registry a page at a time
(`keyset_pages`), ordered by slug, key and uid, so that the same records give the same
file whichever database holds them. Values derived by the registry (EDTF bounds,
confidence) are not carried: they are derived again on import.

A line that only adds citations to an event already in the registry (or earlier in the
file) gives the event's whole uid and the citations, and no other field:
`{"type": "event", "uid": "...", "citations": [{"source": KEY, "quote": TEXT}]}` (the
`type` may be left out); the reader gives it the type `cite` (`cite_only`, `CiteLine`).
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from pydantic import AfterValidator, Field, model_validator

from heritage_registry import texts
from heritage_registry.db import chunked
from heritage_registry.models import (
    CHANGE_TABLE,
    CITATION_TABLE,
    EVENT_TABLE,
    MONUMENT_TABLE,
    NAME_MAX,
    NOTE_MAX,
    SITE_TABLE,
    SOURCE_TABLE,
    TEXT_TABLE,
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
    no_controls,
)
from heritage_registry.registry import RECORD_KINDS, MergeReport, Registry
from heritage_registry.render import plural

# Told, after each batch written, how many of the file's records are written and of how many.
Progress = Callable[[int, int], None]


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


class TextLine(_Input):
    """What source `source` keeps of its text: the `text` itself with its `sha256`, or only
    the `sha256` of an original that is not text (`text` null), as `Registry.attach_text`
    keeps it. Given both, the hash must be the text's."""

    type: Literal["text"]
    source: str = Field(min_length=1)
    sha256: str | None = None
    text: str | None = None
    retrieved: dt.date
    url: str | None = None
    archived_url: str | None = None
    attached_at: Stamp = None

    @model_validator(mode="after")
    def _checked(self) -> TextLine:
        # The library's own checks (`texts`): they raise InvalidRecord, a ValueError,
        # which pydantic reports as this line's problem.
        if self.text is None and self.sha256 is None:
            raise ValueError(
                "text: give the source's text, or the sha256 of its original with text null"
            )
        hashed = texts._hash(self.sha256) if self.sha256 is not None else None
        if self.text is not None:
            self.text = texts._text(self.text)
            found = texts.digest(self.text)
            if hashed is not None and hashed != found:
                raise ValueError(
                    f"sha256: {hashed} is not the SHA-256 of the text given ({found}); "
                    "give the text's, or leave sha256 out"
                )
            hashed = found
        self.sha256 = hashed
        self.url = texts._address("url", self.url)
        self.archived_url = texts._address("archived url", self.archived_url)
        return self


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
    SiteLine | MonumentLine | SourceLine | TextLine | EventLine | CiteLine | ChangeLine,
    Field(discriminator="type"),
]


# The kinds an import counts: a merge's, and sources' texts, which only files carry.
REPORT_KINDS = (*RECORD_KINDS[:3], "texts", *RECORD_KINDS[3:])
# Kinds named in a report only where there are some, so that a file without them is
# described as before.
_NAMED_IF_ANY = frozenset({"texts", "changes"})


def _report_counts() -> dict[str, int]:
    return dict.fromkeys(REPORT_KINDS, 0)


def describe_counts(counts: Mapping[str, int]) -> str:
    """`3 sites, 5 monuments, ...`: texts and history entries only where there are some."""
    return ", ".join(
        plural(count, kind.removesuffix("s"))
        for kind, count in counts.items()
        if kind not in _NAMED_IF_ANY or count
    )


@dataclass
class ImportReport(MergeReport):
    """What an import added and found already present, and how many lines it read.

    `redirected` names each event given whose uid leads, through merges, to another
    event, which received its citations: `{given uid: that event's uid}`. A `dry_run`
    report tells what the import would add: nothing was written.
    """

    added: dict[str, int] = field(default_factory=_report_counts)
    existing: dict[str, int] = field(default_factory=_report_counts)
    lines: int = 0
    redirected: dict[str, str] = field(default_factory=dict)
    dry_run: bool = False

    def describe(self) -> str:
        text = f"added {describe_counts(self.added)}; {sum(self.existing.values())} already present"
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


# The facts that name an event given without a uid, and the namespace its uid is made
# in: the same facts always give the same uid, so importing the same file (JSON Lines or
# CSV) twice adds nothing.
FACT_FIELDS = ("site", "monument", "cause", "damage_level", "occurred", "actor", "description")
FACT_UID_NAMESPACE = uuid.UUID("6f1c0a52-8d0e-4f0e-9a57-3c1f1f5a7e21")


def fact_uid(event: Mapping[str, Any]) -> str:
    """The uid of an event given without one, made from its facts (`FACT_FIELDS`)."""
    facts = "\x1f".join(str(event.get(name) or "") for name in FACT_FIELDS)
    return str(uuid.uuid5(FACT_UID_NAMESPACE, facts))


# Reading the registry's records ---------------------------------------------------


def _stamp(value: dt.datetime | None) -> str | None:
    if value is not None and value.tzinfo is None:
        # SQLite hands back the UTC time without its zone; writing it as it is spares
        # converting millions of times to UTC.
        return value.isoformat() + "Z"
    value = _utc(value)
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


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


def iter_text_records(registry: Registry, *, page: int = 1_000) -> Iterator[dict[str, Any]]:
    """What each source keeps of its text, as an exchange record, by source key."""
    sources, kept = SOURCE_TABLE, TEXT_TABLE
    query = sa.select(kept, sources.c.key).join(sources, sources.c.id == kept.c.source_id)
    with registry.engine.connect() as connection:
        for rows in keyset_pages(connection, query, [(sources.c.key, "key")], page=page):
            for row in rows:
                yield {
                    "type": "text",
                    "source": row.key,
                    "sha256": row.sha256,
                    "text": row.text,
                    "retrieved": row.retrieved.isoformat(),
                    "url": row.url,
                    "archived_url": row.archived_url,
                    "attached_at": _stamp(row.attached_at),
                }


def count_texts(registry: Registry) -> int:
    """How many sources keep a text or an original's hash."""
    with registry.engine.connect() as connection:
        return int(
            connection.execute(sa.select(sa.func.count()).select_from(TEXT_TABLE)).scalar_one()
        )


def export_counts(registry: Registry) -> dict[str, int]:
    """The registry's counts, with its sources' texts (`REPORT_KINDS`), as an export's
    header gives them and an import of it reports them added."""
    counts = registry.counts()
    counts["texts"] = count_texts(registry)
    return {kind: counts[kind] for kind in REPORT_KINDS}


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
