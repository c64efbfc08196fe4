"""Additions: new records, each with the `create` entry of its history, and new citations.

`insert_site`, `insert_monument`, `insert_source` and `insert_event` add one validated
record in a transaction they are given, refusing a slug, key or uid taken already (also
when another writer takes it first: `_flush`); an event comes with its citations, each
checked against its source (the source's date, its text, the monuments it mentions).
`cite` adds another source's statement to an event, with a `cite` entry in its history.

`merge(registry, ...)` adds in one transaction the records a registry lacks and keeps
those it has, matched by site slug, monument slug within its site, source key and event
uid; an event it has gains the citations it lacks. Loading the seed twice (`seed`)
changes nothing the second time. `MergeReport` counts what it added and what was there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, col, select

from heritage_registry import duplicates, history, lookups, mentions, merges, reads, texts
from heritage_registry.arguments import refuse_too_early, validate
from heritage_registry.errors import DuplicateKey, DuplicateSlug, DuplicateUid, InvalidRecord
from heritage_registry.models import (
    EVENT_TABLE,
    CitationCreate,
    DamageEvent,
    DamageEventCreate,
    DamageEventPublic,
    Monument,
    MonumentCreate,
    Site,
    SiteCreate,
    Source,
    SourceCitation,
    SourceCreate,
    built_years,
    occurred_span,
    published_span,
)
from heritage_registry.render import plural
from heritage_registry.vocab import ChangeAction, RecordType

if TYPE_CHECKING:
    from heritage_registry.registry import Registry

RECORD_KINDS = ("sites", "monuments", "sources", "events", "citations", "changes")

# The fields of one citation, accepted directly by `add_event` for the common case of
# an event reported by one source.
_CITATION_FIELDS = frozenset(CitationCreate.model_fields)


def _zero_counts() -> dict[str, int]:
    return dict.fromkeys(RECORD_KINDS, 0)


@dataclass
class MergeReport:
    """What a merge added, and how many of the records given were there already."""

    added: dict[str, int] = field(default_factory=_zero_counts)
    existing: dict[str, int] = field(default_factory=_zero_counts)

    def describe(self) -> str:
        """`added 3 sites, 5 monuments, ...; 0 already present`, for people."""
        # History entries come only from imports of registries that have some.
        kinds = [kind for kind in RECORD_KINDS if kind != "changes" or self.added[kind]]
        added = ", ".join(plural(self.added[kind], kind.removesuffix("s")) for kind in kinds)
        return f"added {added}; {sum(self.existing.values())} already present"


def event_input(
    event: DamageEventCreate | Mapping[str, Any] | None, fields: Mapping[str, Any]
) -> DamageEventCreate:
    """`add_event`'s arguments validated: an event with `citations=[...]`, or with one
    citation's fields given among its own."""
    given = dict(event) if isinstance(event, Mapping) else event
    if isinstance(given, dict) or given is None:
        merged = dict(given or {}) | dict(fields)
        single = {name: merged.pop(name) for name in list(merged) if name in _CITATION_FIELDS}
        if single:
            if "citations" in merged:
                raise InvalidRecord(
                    "invalid event: give citations=[...] or one citation's fields, not both"
                )
            merged["citations"] = [single]
        return validate(DamageEventCreate, merged, {}, "event")
    return validate(DamageEventCreate, given, fields, "event")


def insert_site(registry: Registry, session: Session, data: SiteCreate, *, by: str | None) -> Site:
    """Add the site `data`, refused if its slug is taken, and record its creation."""
    message = f"a site with slug {data.slug!r} exists already; choose another slug"
    if session.exec(select(Site.id).where(Site.slug == data.slug)).first() is not None:
        raise DuplicateSlug(message)
    now = registry._now()
    row = Site(
        **data.model_dump(exclude={"alt_names"}),
        alt_names=[name.model_dump() for name in data.alt_names],
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    _flush(session, DuplicateSlug(message))
    _log_creation(registry, session, RecordType.SITE, row.slug, registry._site_public(row), by)
    return row


def insert_monument(
    registry: Registry, session: Session, data: MonumentCreate, *, by: str | None
) -> Monument:
    """Add the monument `data` to its site, refused if the site has its slug already."""
    site = lookups.site_row(session, data.site)
    assert site.id is not None
    message = (
        f"site {site.slug!r} has a monument with slug {data.slug!r} already; choose another slug"
    )
    taken = session.exec(
        select(Monument.id).where(Monument.site_id == site.id, Monument.slug == data.slug)
    ).first()
    if taken is not None:
        raise DuplicateSlug(message)
    now = registry._now()
    row = Monument(
        **data.model_dump(exclude={"site", "alt_names"}),
        **built_years(data.built),
        site_id=site.id,
        alt_names=[name.model_dump() for name in data.alt_names],
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    _flush(session, DuplicateSlug(message))
    public = registry._monument_public(row, site.slug)
    _log_creation(registry, session, RecordType.MONUMENT, f"{site.slug}/{row.slug}", public, by)
    return row


def insert_source(
    registry: Registry, session: Session, data: SourceCreate, *, by: str | None
) -> Source:
    """Add the source `data`, refused if its key is taken, and record its creation."""
    message = f"a source with key {data.key!r} exists already; choose another key"
    if session.exec(select(Source.id).where(Source.key == data.key)).first() is not None:
        raise DuplicateKey(message)
    now = registry._now()
    row = Source(
        **data.model_dump(),
        **published_span(data.published),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    _flush(session, DuplicateKey(message))
    _log_creation(registry, session, RecordType.SOURCE, row.key, registry._source_public(row), by)
    return row


def insert_event(
    registry: Registry, session: Session, data: DamageEventCreate, *, by: str | None
) -> tuple[DamageEvent, DamageEventPublic]:
    """Insert the event and its citations, and record its creation."""
    uid = str(data.uid)
    if session.exec(select(DamageEvent.id).where(DamageEvent.uid == uid)).first() is not None:
        raise DuplicateUid(f"an event with uid {uid} exists already; omit uid to get a new one")
    site = lookups.site_row(session, data.site)
    monument = lookups.monument_row(session, site, data.monument) if data.monument else None
    sources = {
        key: lookups.source_row(session, key)
        for key in dict.fromkeys(c.source for c in data.citations)
    }
    duplicates.refuse_repeated_citations(data.citations)
    _check_mentions(session, site, data.monument, data.citations)
    for key, source in sources.items():
        refuse_too_early("event", data.occurred, key, source.published)
    now = registry._now()
    assert site.id is not None
    row = DamageEvent(
        **data.model_dump(exclude={"uid", "site", "monument", "citations"}),
        **occurred_span(data.occurred),
        uid=uid,
        site_id=site.id,
        monument_id=monument.id if monument else None,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    _flush(session, DuplicateUid(f"an event with uid {uid} exists already"))
    assert row.id is not None
    found = texts.spans(session, [(c.quote, sources[c.source]) for c in data.citations])
    for citation, span in zip(data.citations, found, strict=True):
        session.add(_citation_row(citation, row.id, sources[citation.source], now, span))
    session.flush()
    public = reads.events_public(session, EVENT_TABLE.c.id == row.id)[0]
    _log_creation(registry, session, RecordType.EVENT, uid, public, by)
    return row, public


def cite(
    registry: Registry, uid: str, data: CitationCreate, *, by: str | None
) -> DamageEventPublic:
    """Add the citation `data` to the event `uid`, or to the live event it leads to
    (`Registry.cite`)."""

    def work(session: Session) -> DamageEventPublic:
        event = merges.live_row(session, lookups.event_row(session, uid, lock=True), lock=True)
        return _add_citation(registry, session, event, data, by=by)

    return registry._write(work)


def _add_citation(
    registry: Registry,
    session: Session,
    event: DamageEvent,
    data: CitationCreate,
    *,
    by: str | None,
) -> DamageEventPublic:
    """Add `data` to the live `event`, checked as every citation added to an event is, with
    its `cite` history entry; the event as it is then."""
    source = lookups.source_row(session, data.source)
    refuse_too_early("citation", event.occurred, source.key, source.published)
    assert event.id is not None
    before = reads.events_public(session, EVENT_TABLE.c.id == event.id)[0]
    duplicates.refuse_repeated_citations([*before.citations, data])
    site = session.get(Site, event.site_id)
    assert site is not None
    _check_mentions(session, site, before.monument, [data])
    [span] = texts.spans(session, [(data.quote, source)])
    session.add(_citation_row(data, event.id, source, registry._now(), span))
    session.flush()
    after = reads.events_public(session, EVENT_TABLE.c.id == event.id)[0]
    registry._log(
        session, RecordType.EVENT, event.uid, ChangeAction.CITE, before, after, None, by,
        added={"citation": after.citations[-1].model_dump(mode="json")},
    )  # fmt: skip
    return after


def merge(
    registry: Registry,
    *,
    sites: Iterable[SiteCreate],
    monuments: Iterable[MonumentCreate],
    sources: Iterable[SourceCreate],
    events: Iterable[DamageEventCreate],
    by: str | None,
) -> MergeReport:
    """Add the records `registry` lacks and keep those it has (`Registry.merge`)."""
    # Read once: a retried transaction must see the same records again.
    sites, monuments = list(sites), list(monuments)
    sources, events = list(sources), list(events)

    def work(session: Session) -> MergeReport:
        report = MergeReport()
        for site in sites:
            if session.exec(select(Site.id).where(Site.slug == site.slug)).first():
                report.existing["sites"] += 1
            else:
                insert_site(registry, session, site, by=by)
                report.added["sites"] += 1
        for monument in monuments:
            site_row = lookups.site_row(session, monument.site)
            found = session.exec(
                select(Monument.id).where(
                    Monument.site_id == site_row.id, Monument.slug == monument.slug
                )
            ).first()
            if found:
                report.existing["monuments"] += 1
            else:
                insert_monument(registry, session, monument, by=by)
                report.added["monuments"] += 1
        for source in sources:
            if session.exec(select(Source.id).where(Source.key == source.key)).first():
                report.existing["sources"] += 1
            else:
                insert_source(registry, session, source, by=by)
                report.added["sources"] += 1
        for event in events:
            row = session.exec(select(DamageEvent).where(DamageEvent.uid == str(event.uid))).first()
            if row is None:
                insert_event(registry, session, event, by=by)
                report.added["events"] += 1
                report.added["citations"] += len(event.citations)
                continue
            report.existing["events"] += 1
            # A merged uid's citations go to the event it leads to, as `cite` adds them,
            # and are checked as `cite` checks them: a citation on the merged event would
            # be counted nowhere.
            live = merges.live_row(session, row, lock=True)
            held = {
                (source_key, quote)
                for source_key, quote in session.exec(
                    select(Source.key, SourceCitation.quote)
                    .join(Source, col(Source.id) == col(SourceCitation.source_id))
                    .where(SourceCitation.event_id == live.id)
                )
            }
            for citation in event.citations:
                if (citation.source, citation.quote) in held:
                    report.existing["citations"] += 1
                    continue
                _add_citation(registry, session, live, citation, by=by)
                held.add((citation.source, citation.quote))
                report.added["citations"] += 1
        session.flush()
        return report

    return registry._write(work)


def _check_mentions(
    session: Session, site: Site, monument: str | None, citations: Sequence[CitationCreate]
) -> None:
    """Every mention names another monument of the event's site."""
    if not any(citation.mentions for citation in citations):
        return
    known = session.exec(select(Monument.slug).where(Monument.site_id == site.id)).all()
    for citation in citations:
        mentions.check(citation.mentions, known, site=site.slug, monument=monument)


def _citation_row(
    citation: CitationCreate,
    event_id: int,
    source: Source,
    now: dt.datetime,
    span: tuple[int, int] | None = None,
) -> SourceCitation:
    assert source.id is not None
    return SourceCitation(
        **citation.model_dump(exclude={"source"}),
        event_id=event_id,
        source_id=source.id,
        created_at=now,
        text_start=span[0] if span else None,
        text_end=span[1] if span else None,
    )


def _log_creation(
    registry: Registry,
    session: Session,
    kind: RecordType,
    record: str,
    public: BaseModel,
    by: str | None,
) -> None:
    """The `create` entry of a record just inserted (an event's with its citations)."""
    registry._log(
        session, kind, record, ChangeAction.CREATE, None, public, None, by,
        added=history.created(public),
    )  # fmt: skip


def _flush(session: Session, duplicate: Exception) -> None:
    """Flush, turning a unique-constraint race with another writer into `duplicate`."""
    try:
        session.flush()
    except sa.exc.IntegrityError as exc:
        if "unique" in str(exc.orig).lower() or "duplicate" in str(exc.orig).lower():
            raise duplicate from None
        raise
