"""The registry's reads of events and of a site's summary records.

`Registry.get_event`, `list_events`, `iter_events`, `events_frame`, `citations_frame`,
`count_events` and `site_records` delegate here; the writers read the state of an
event they change, for its history entry, by `events_public`. The reads are plain Core
statements, built once when this module is imported, that select columns rather than
ORM entities and run on a connection: building an entity per row, or a statement and
its cache key per call, cost more than SQLite took to run the query, and a summary
reads every event of a site. A call only binds its parameters. The reads that run most,
`get_event`'s and a summary's (`site_records`), go by `prepared.Prepared`: compiled
once and run on the driver's cursor, they give the rows `Connection.execute` gives
without its cost per statement, which was most of theirs.

A site, monument or event that does not exist is looked up by the registry's lookups
shared with the writers (`Registry._site_row`, `_monument_row`, `_event_row`), which
raise the error naming the nearest ones.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from iso3166 import countries_by_alpha2
from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from heritage_registry import confidence, countries, db, frames, lookups, texts
from heritage_registry.arguments import check_page, date_window, paged, vocabulary_filter
from heritage_registry.errors import InvalidRecord, SiteNotFound
from heritage_registry.models import (
    CITATION_TABLE,
    EVENT_TABLE,
    MONUMENT_TABLE,
    SITE_TABLE,
    SOURCE_TABLE,
    TEXT_TABLE,
    AltName,
    CitationPublic,
    DamageEvent,
    DamageEventPublic,
    Monument,
    MonumentPublic,
    Site,
    SitePublic,
    Source,
    SourcePublic,
    SourceTextPublic,
    aware,
    trusted,
)
from heritage_registry.prepared import Prepared
from heritage_registry.vocab import Cause, Confidence, DamageLevel, MonumentKind, SiteKind

if TYPE_CHECKING:
    from heritage_registry.registry import Registry

PublicT = TypeVar("PublicT", bound=BaseModel)

# A row of an event's or a citation's columns: an `sa.Row`, or a `Prepared` statement's
# named tuple, both read by name and by position.
Row = Any


@dataclass(frozen=True)
class SiteRecords:
    """A site with its monuments, its events (in date order) and the sources they cite."""

    site: SitePublic
    monuments: list[MonumentPublic]
    events: list[DamageEventPublic]
    sources: list[SourcePublic]
    # What those sources keep of their texts, by key (`texts`): only those that keep one.
    texts: dict[str, SourceTextPublic] = field(default_factory=dict)


# Statements -------------------------------------------------------------------------

# The event a merged event was folded into, whose uid is read by its primary key. A
# subquery, not an outer join: PostgreSQL hashed the whole event table for the join, a
# full scan under every filtered list.
_MERGED_INTO = EVENT_TABLE.alias("merged_into")
_MERGED_INTO_UID = (
    sa.select(_MERGED_INTO.c.uid)
    .where(_MERGED_INTO.c.id == EVENT_TABLE.c.merged_into_id)
    .scalar_subquery()
)

# The order of every list of events: open starts first, then `latest`, then uid.
EVENT_ORDER = (
    EVENT_TABLE.c.earliest.asc().nulls_first(),
    EVENT_TABLE.c.latest.asc().nulls_last(),
    EVENT_TABLE.c.uid,
)

# Built once: building a statement and its cache key took longer than SQLite took to
# run it. `_SITE_EVENTS` and `_SITE_CITATIONS` are what every summary reads.
EVENTS: sa.Select[Any] = (
    sa.select(
        EVENT_TABLE.c.id,
        EVENT_TABLE.c.uid,
        EVENT_TABLE.c.cause,
        EVENT_TABLE.c.damage_level,
        EVENT_TABLE.c.occurred,
        EVENT_TABLE.c.actor,
        EVENT_TABLE.c.description,
        EVENT_TABLE.c.earliest,
        EVENT_TABLE.c.latest,
        EVENT_TABLE.c.retracted_at,
        EVENT_TABLE.c.retraction_reason,
        EVENT_TABLE.c.merged_at,
        EVENT_TABLE.c.merge_reason,
        EVENT_TABLE.c.created_at,
        EVENT_TABLE.c.updated_at,
        EVENT_TABLE.c.confidence.label("stored_confidence"),
        SITE_TABLE.c.slug.label("site"),
        MONUMENT_TABLE.c.slug.label("monument"),
        _MERGED_INTO_UID.label("merged_into"),
    )
    .select_from(
        EVENT_TABLE.join(SITE_TABLE, SITE_TABLE.c.id == EVENT_TABLE.c.site_id).outerjoin(
            MONUMENT_TABLE, MONUMENT_TABLE.c.id == EVENT_TABLE.c.monument_id
        )
    )
    .order_by(*EVENT_ORDER)
)
CITATIONS: sa.Select[Any] = (
    sa.select(
        CITATION_TABLE.c.event_id,
        CITATION_TABLE.c.quote,
        CITATION_TABLE.c.location,
        CITATION_TABLE.c.stance,
        CITATION_TABLE.c.claimed_occurred,
        CITATION_TABLE.c.claimed_level,
        CITATION_TABLE.c.date_resolution,
        CITATION_TABLE.c.via,
        CITATION_TABLE.c.mentions,
        # Named apart from the event's own created_at, so that a row can hold both.
        CITATION_TABLE.c.created_at.label("cited_at"),
        SOURCE_TABLE.c.key.label("source"),
        SOURCE_TABLE.c.publisher,
    )
    .join(SOURCE_TABLE, SOURCE_TABLE.c.id == CITATION_TABLE.c.source_id)
    .order_by(CITATION_TABLE.c.id)
)
# One event and its citations, one row per citation (one row with no citation's
# values for an event without any): `EVENTS`' columns then `CITATIONS`', whose
# names differ, so that each row is both an event's row and a citation's.
_EVENT_BY_UID: sa.Select[Any] = (
    EVENTS.add_columns(*CITATIONS.selected_columns)
    .outerjoin(CITATION_TABLE, CITATION_TABLE.c.event_id == EVENT_TABLE.c.id)
    .outerjoin(SOURCE_TABLE, SOURCE_TABLE.c.id == CITATION_TABLE.c.source_id)
    .where(EVENT_TABLE.c.uid == sa.bindparam("uid"))
    .order_by(None)
    .order_by(CITATION_TABLE.c.id)
)
_SITE_EVENTS: sa.Select[Any] = EVENTS.where(EVENT_TABLE.c.site_id == sa.bindparam("site_id"))
_SITE_CITATIONS: sa.Select[Any] = CITATIONS.where(
    CITATION_TABLE.c.event_id.in_(
        sa.select(EVENT_TABLE.c.id).where(EVENT_TABLE.c.site_id == sa.bindparam("site_id"))
    )
)

# EVENT_ORDER as keys a page can start after. NULL is neither before nor after
# anything, so an open `latest` is a flag (open ends last) and a stand-in date; the
# events with no `earliest` (first in the order) are read before the others, whose
# first key is the plain `earliest` column, so that each page begins with a range of
# its index.
_OPEN_LATEST = sa.case((EVENT_TABLE.c.latest.is_(None), 1), else_=0)
_LATEST_KEY = sa.func.coalesce(EVENT_TABLE.c.latest, sa.literal(dt.date.max, sa.Date))

# A summary's reads, as plain columns like `events_public`'s: an ORM entity per row
# costs more than the query. Built once, so that a call only binds the site: building
# a statement and its cache key took longer than SQLite took to run it. Each selects
# its Public model's fields in the model's order, for `_public_of_row`.
_SITE_BY_SLUG = sa.select(
    *[SITE_TABLE.c[name] for name in SitePublic.model_fields], SITE_TABLE.c.id
).where(SITE_TABLE.c.slug == sa.bindparam("slug"))
_SITE_MONUMENTS = (
    sa.select(
        *[
            SITE_TABLE.c.slug.label(name) if name == "site" else MONUMENT_TABLE.c[name]
            for name in MonumentPublic.model_fields
        ]
    )
    .join_from(MONUMENT_TABLE, SITE_TABLE, SITE_TABLE.c.id == MONUMENT_TABLE.c.site_id)
    .where(MONUMENT_TABLE.c.site_id == sa.bindparam("site_id"))
    .order_by(MONUMENT_TABLE.c.slug)
)
_SITE_SOURCES = (
    sa.select(*[SOURCE_TABLE.c[name] for name in SourcePublic.model_fields], *texts.kept_columns())
    .outerjoin(TEXT_TABLE, TEXT_TABLE.c.source_id == SOURCE_TABLE.c.id)
    .where(
        SOURCE_TABLE.c.id.in_(
            sa.select(CITATION_TABLE.c.source_id)
            .join(EVENT_TABLE, EVENT_TABLE.c.id == CITATION_TABLE.c.event_id)
            .where(EVENT_TABLE.c.site_id == sa.bindparam("site_id"))
        )
    )
    .order_by(SOURCE_TABLE.c.key)
)

# The statements above that the reads run most, by the driver (`prepared`).
_EVENT_BY_UID_PREPARED = Prepared(_EVENT_BY_UID, "EventRow")
_SITE_BY_SLUG_PREPARED = Prepared(_SITE_BY_SLUG, "SiteRow")
_SITE_MONUMENTS_PREPARED = Prepared(_SITE_MONUMENTS, "MonumentRow")
_SITE_SOURCES_PREPARED = Prepared(_SITE_SOURCES, "SourceRow")
_SITE_EVENTS_PREPARED = Prepared(_SITE_EVENTS, "EventRow")
_SITE_CITATIONS_PREPARED = Prepared(_SITE_CITATIONS, "CitationRow")


# Reads --------------------------------------------------------------------------------


def get_event(registry: Registry, uid: str, *, follow: bool = False) -> DamageEventPublic:
    """`Registry.get_event`, whose docstring says what it returns."""
    if follow:
        return registry.event_trail(uid)[-1]
    # One Core statement built once, by the driver on a connection without a session,
    # as a summary's reads are: the ORM entity and the statements built per call cost
    # twenty times the query. One SELECT needs no transaction of its own.
    with registry.engine.connect() as connection:
        rows: Sequence[Row] = []
        if db.storable(uid):
            rows = _EVENT_BY_UID_PREPARED.rows(connection, {"uid": uid})
        if not rows:
            # A uid prefix, or an error naming the uids near it.
            with Session(connection) as session:
                found = lookups.event_row(session, uid).uid
            rows = _EVENT_BY_UID_PREPARED.rows(connection, {"uid": found})
        return _event_public(rows[0], [row for row in rows if row.event_id is not None])


def list_events(
    registry: Registry,
    *,
    site: str | None = None,
    monument: str | None = None,
    cause: Cause | str | None = None,
    damage_level: DamageLevel | str | None = None,
    since: str | None = None,
    until: str | None = None,
    confidence: Confidence | str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[DamageEventPublic]:
    """`Registry.list_events`, whose docstring says what it returns."""
    check_page(limit, offset)
    filters = (monument, cause, damage_level, since, until, confidence, limit)
    if site is not None and not offset and all(value is None for value in filters):
        return _whole_site(registry, site)
    with registry.transaction() as session:
        conditions, wanted = _event_conditions(
            registry,
            session,
            site=site,
            monument=monument,
            cause=cause,
            damage_level=damage_level,
            since=since,
            until=until,
            confidence=confidence,
        )
        if wanted is None:
            connection = session.connection()
            query = paged(EVENTS.where(*conditions), limit, offset)
            return _events_of(connection, connection.execute(query).all())
        events = events_public(session, *conditions)
    # A stored confidence may be unknown (NULL): the page is cut after deriving it.
    chosen = [event for event in events if event.confidence is wanted]
    return chosen[offset : None if limit is None else offset + limit]


def iter_events(
    registry: Registry,
    *,
    site: str | None = None,
    monument: str | None = None,
    cause: Cause | str | None = None,
    damage_level: DamageLevel | str | None = None,
    since: str | None = None,
    until: str | None = None,
    confidence: Confidence | str | None = None,
    page: int = 500,
) -> Iterator[DamageEventPublic]:
    """`Registry.iter_events`, whose docstring says what it returns."""
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise InvalidRecord(f"invalid page: {page!r}; give a whole number, 1 or more")
    with registry.transaction() as session:
        conditions, wanted = _event_conditions(
            registry,
            session,
            site=site,
            monument=monument,
            cause=cause,
            damage_level=damage_level,
            since=since,
            until=until,
            confidence=confidence,
        )
    return _event_pages(registry.engine, conditions, wanted, page)


# Rows `streamed` takes from the driver at a time.
_YIELD_PER = 500


def streamed(registry: Registry, query: Any, public: Callable[[Any], PublicT]) -> Iterator[PublicT]:
    """The rows of `query` made Public by `public`, `_YIELD_PER` at a time, in one
    transaction held until the iteration ends (a server-side cursor on PostgreSQL): the
    streams of sites, monuments, sources and history entries."""
    with registry.transaction() as session:
        for row in session.exec(query.execution_options(yield_per=_YIELD_PER)):
            yield public(row)


def iter_sites(
    registry: Registry,
    *,
    country: str | None = None,
    kind: SiteKind | str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Iterator[SitePublic]:
    """`Registry.iter_sites`, whose docstring says what it returns."""
    check_page(limit, offset)
    query = paged(select(Site).order_by(col(Site.slug)), limit, offset)
    if country is not None:
        # A name (`Syria`) would list nothing: refused, with the code it may mean.
        code = country.strip().upper()
        if code not in countries_by_alpha2:
            raise InvalidRecord(f"invalid filter: country: {countries.not_a_code(country)}")
        query = query.where(Site.country == code)
    if kind is not None:
        query = query.where(Site.kind == vocabulary_filter(SiteKind, kind, "kind"))
    return streamed(registry, query, registry._site_public)


def iter_monuments(
    registry: Registry,
    *,
    site: str | None = None,
    kind: MonumentKind | str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> Iterator[MonumentPublic]:
    """`Registry.iter_monuments`, whose docstring says what it returns."""
    check_page(limit, offset)
    query = paged(
        select(Monument, Site.slug)
        .join(Site, col(Site.id) == col(Monument.site_id))
        .order_by(col(Site.slug), col(Monument.slug)),
        limit,
        offset,
    )
    if kind is not None:
        query = query.where(Monument.kind == vocabulary_filter(MonumentKind, kind, "kind"))
    if site is not None:
        with registry.transaction() as session:
            query = query.where(Monument.site_id == lookups.site_row(session, site).id)
    return streamed(registry, query, lambda row: registry._monument_public(*row))


def iter_sources(
    registry: Registry, *, site: str | None = None, limit: int | None = None, offset: int = 0
) -> Iterator[SourcePublic]:
    """`Registry.iter_sources`, whose docstring says what it returns."""
    check_page(limit, offset)
    query = paged(select(Source).order_by(col(Source.key)), limit, offset)
    if site is not None:
        with registry.transaction() as session:
            site_id = lookups.site_row(session, site).id
        cited = (
            sa.select(CITATION_TABLE.c.source_id)
            .join(EVENT_TABLE, EVENT_TABLE.c.id == CITATION_TABLE.c.event_id)
            .where(EVENT_TABLE.c.site_id == site_id)
        )
        query = query.where(col(Source.id).in_(cited))
    return streamed(registry, query, registry._source_public)


def events_frame(registry: Registry, **filters: Any) -> Any:
    """`Registry.events_frame`, whose docstring says what it returns; `filters` are
    `iter_events`'."""
    pandas = frames.require_pandas("events_frame")
    return frames.events_frame(pandas, iter_events(registry, **filters))


def citations_frame(registry: Registry, **filters: Any) -> Any:
    """`Registry.citations_frame`, whose docstring says what it returns; `filters` are
    `iter_events`'."""
    pandas = frames.require_pandas("citations_frame")
    return frames.citations_frame(pandas, iter_events(registry, **filters))


def count_events(
    registry: Registry, *, site: str | None = None, monument: str | None = None
) -> int:
    """`Registry.count_events`, whose docstring says what it returns."""
    query = (
        select(func.count())
        .select_from(DamageEvent)
        .where(col(DamageEvent.merged_into_id).is_(None))
    )
    with registry.transaction() as session:
        if site is not None:
            site_row = lookups.site_row(session, site)
            query = query.where(DamageEvent.site_id == site_row.id)
            if monument is not None:
                monument_row = lookups.monument_row(session, site_row, monument)
                query = query.where(DamageEvent.monument_id == monument_row.id)
        elif monument is not None:
            raise InvalidRecord("a monument filter needs its site: give site= as well")
        return session.exec(query).one()


def site_records(engine: sa.Engine, slug: str) -> SiteRecords:
    """`Registry.site_records`, whose docstring says what it returns."""
    # Core statements on a connection, without a session: the ORM's layer adds
    # nothing to a plain-column read, and setting it up cost a fifth of a summary. By
    # the driver (`Prepared`), in the one transaction begun here.
    with engine.begin() as connection:
        site = _site_by_slug(connection, slug)
        monuments = _SITE_MONUMENTS_PREPARED.rows(connection, {"site_id": site.id})
        sources = _SITE_SOURCES_PREPARED.rows(connection, {"site_id": site.id})
        return SiteRecords(
            site=_public_of_row(
                SitePublic,
                site,
                alt_names=alt_names(site.alt_names),
                created_at=aware(site.created_at),
                updated_at=aware(site.updated_at),
            ),
            monuments=[
                _public_of_row(
                    MonumentPublic,
                    row,
                    alt_names=alt_names(row.alt_names),
                    created_at=aware(row.created_at),
                    updated_at=aware(row.updated_at),
                )
                for row in monuments
            ],
            events=_site_events_public(connection, site.id),
            sources=[
                _public_of_row(
                    SourcePublic,
                    row,
                    created_at=aware(row.created_at),
                    updated_at=aware(row.updated_at),
                )
                for row in sources
            ],
            texts={
                row.key: kept for row in sources if (kept := texts.kept_of_row(row)) is not None
            },
        )


# Their parts ------------------------------------------------------------------------


def _event_conditions(
    registry: Registry,
    session: Session,
    *,
    site: str | None = None,
    monument: str | None = None,
    cause: Cause | str | None = None,
    damage_level: DamageLevel | str | None = None,
    since: str | None = None,
    until: str | None = None,
    confidence: Confidence | str | None = None,
) -> tuple[list[sa.ColumnElement[bool]], Confidence | None]:
    """The SQL conditions of `list_events`' filters, and the confidence wanted.

    Each event keeps its confidence as derived, or NULL where it is not known
    (`heritage_registry.confidence`). Where every event the other filters keep has
    one, the stored confidence is a condition, served by its index in the list's
    order; where some have none (an import that left it to be derived), the events
    are read without it, as before it was stored. Either way the wanted confidence
    is returned, to be checked on each event read.
    """
    cause_value = vocabulary_filter(Cause, cause, "cause")
    level_value = vocabulary_filter(DamageLevel, damage_level, "damage level")
    confidence_value = vocabulary_filter(Confidence, confidence, "confidence")
    start, end = date_window(since, until)
    conditions: list[sa.ColumnElement[bool]] = []
    if cause_value is not None:
        conditions.append(EVENT_TABLE.c.cause == cause_value)
    if level_value is not None:
        conditions.append(EVENT_TABLE.c.damage_level == level_value)
    # `db.unlikely`: without it SQLite scans the whole table for any date window.
    if start is not None:
        latest = EVENT_TABLE.c.latest
        conditions.append(sa.or_(latest.is_(None), db.unlikely(latest >= start)))
    if end is not None:
        earliest = EVENT_TABLE.c.earliest
        conditions.append(sa.or_(earliest.is_(None), db.unlikely(earliest <= end)))
    if site is not None:
        site_row = lookups.site_row(session, site)
        conditions.append(EVENT_TABLE.c.site_id == site_row.id)
        if monument is not None:
            monument_row = lookups.monument_row(session, site_row, monument)
            conditions.append(EVENT_TABLE.c.monument_id == monument_row.id)
    elif monument is not None:
        raise InvalidRecord("a monument filter needs its site: give site= as well")
    if confidence_value is not None:
        # `stored = ? OR stored IS NULL` made each page of `iter_events` read every
        # match again (no index gives that in the list's order): one is enough.
        stored = EVENT_TABLE.c.confidence
        unknown = sa.select(EVENT_TABLE.c.id).where(*conditions, stored.is_(None)).limit(1)
        if session.connection().execute(unknown).first() is None:
            conditions.append(stored == confidence_value)
    return conditions, confidence_value


def _event_pages(
    engine: sa.Engine,
    conditions: Sequence[sa.ColumnElement[bool]],
    wanted: Confidence | None,
    page: int,
) -> Iterator[DamageEventPublic]:
    """`iter_events`' generator: the events matching `conditions`, a page at a time."""
    # Imported here: exchange builds on this module.
    from heritage_registry.exchange import keyset_pages

    keyed = EVENTS.order_by(None).add_columns(
        _OPEN_LATEST.label("open_latest"), _LATEST_KEY.label("latest_key")
    )
    tail = [
        (_OPEN_LATEST, "open_latest"),
        (_LATEST_KEY, "latest_key"),
        (EVENT_TABLE.c.uid, "uid"),
    ]
    earliest = EVENT_TABLE.c.earliest
    parts = [
        (keyed.where(*conditions, earliest.is_(None)), tail),
        (keyed.where(*conditions, earliest.is_not(None)), [(earliest, "earliest"), *tail]),
    ]
    with engine.connect() as connection:
        for query, keys in parts:
            for rows in keyset_pages(connection, query, keys, page=page):
                for event in _events_of(connection, rows):
                    if wanted is None or event.confidence is wanted:
                        yield event


def events_public(session: Session, *conditions: sa.ColumnElement[bool]) -> list[DamageEventPublic]:
    """The events matching `conditions`, in EVENT_ORDER, with citations and confidence.

    Read as plain columns, not ORM entities: building an entity per row costs more
    than the query, and a summary reads every event of a site.
    """
    connection = session.connection()
    rows = connection.execute(EVENTS.where(*conditions)).all()
    return _events_of(connection, rows)


def _events_of(connection: sa.Connection, rows: Sequence[sa.Row[Any]]) -> list[DamageEventPublic]:
    """The events of `rows` (read by `EVENTS`), each with its citations read by id."""
    ids = [row.id for row in rows]
    citations = (
        citation
        for part in db.chunked(ids)
        for citation in connection.execute(CITATIONS.where(CITATION_TABLE.c.event_id.in_(part)))
    )
    return _with_citations(rows, citations)


def _whole_site(registry: Registry, slug: str) -> list[DamageEventPublic]:
    """Every event of one site (`list_events(site=...)`, the list's commonest call), by the
    statements a summary reads them with."""
    with registry.engine.begin() as connection:
        return _site_events_public(connection, _site_by_slug(connection, slug).id)


def _site_by_slug(connection: sa.Connection, slug: str) -> Row:
    """The site's row (`_SITE_BY_SLUG`), or `SiteNotFound` naming the nearest slugs."""
    found = _SITE_BY_SLUG_PREPARED.rows(connection, {"slug": slug}) if db.storable(slug) else []
    if not found:
        slugs = connection.execute(sa.select(SITE_TABLE.c.slug)).scalars().all()
        raise SiteNotFound(slug, slugs)
    return found[0]


def _site_events_public(connection: sa.Connection, site_id: int) -> list[DamageEventPublic]:
    """`events_public` of one site, by the statements built for it."""
    params = {"site_id": site_id}
    rows = _SITE_EVENTS_PREPARED.rows(connection, params)
    return _with_citations(rows, _SITE_CITATIONS_PREPARED.rows(connection, params))


def _with_citations(rows: Sequence[Row], citations: Iterable[Row]) -> list[DamageEventPublic]:
    """The events of `rows`, each with its rows among `citations` (in citation order)."""
    cited: dict[int, list[Row]] = {}
    for citation in citations:
        cited.setdefault(citation.event_id, []).append(citation)
    return [_event_public(row, cited.get(row.id, [])) for row in rows]


def _event_public(row: Row, cited: Sequence[Row]) -> DamageEventPublic:
    citations = [
        trusted(
            CitationPublic,
            quote=citation.quote,
            location=citation.location,
            stance=citation.stance,
            claimed_occurred=citation.claimed_occurred,
            claimed_level=citation.claimed_level,
            date_resolution=citation.date_resolution,
            via=citation.via,
            mentions=citation.mentions,
            source=citation.source,
            recorded_at=aware(citation.cited_at),
        )
        for citation in cited
    ]
    # Stored by every write (`confidence.refresh`) and set NULL by the database on
    # any change it derives from: derived here only where a change left it NULL.
    derived = row.stored_confidence or confidence.derive(
        occurred=row.occurred,
        damage_level=row.damage_level,
        retracted=row.retracted_at is not None,
        merged=row.merged_into is not None,
        attestations=[
            confidence.attestation(
                stance=citation.stance,
                publisher=citation.publisher,
                source=citation.source,
                via=citation.via,
                claimed_occurred=citation.claimed_occurred,
                claimed_level=citation.claimed_level,
            )
            for citation in cited
        ],
    )
    return trusted(
        DamageEventPublic,
        cause=row.cause,
        damage_level=row.damage_level,
        occurred=row.occurred,
        actor=row.actor,
        description=row.description,
        uid=row.uid,
        site=row.site,
        monument=row.monument,
        earliest=row.earliest,
        latest=row.latest,
        confidence=derived,
        retracted_at=aware(row.retracted_at) if row.retracted_at else None,
        retraction_reason=row.retraction_reason,
        merged_into=row.merged_into,
        merged_at=aware(row.merged_at) if row.merged_at else None,
        merge_reason=row.merge_reason,
        recorded_at=aware(row.created_at),
        updated_at=aware(row.updated_at),
        citations=citations,
    )


@functools.cache
def _field_names(model: type[BaseModel]) -> tuple[str, ...]:
    """A model's field names, in order: `model_fields` is a property that costs a call."""
    return tuple(model.model_fields)


def _public_of_row(model: type[PublicT], row: Sequence[Any], **derived: Any) -> PublicT:
    """A Public model from a row that starts with its fields in order; `derived` replace.

    Values in the model's field order, as `model_construct` gives them: dumps follow
    it. Columns after the fields (the site's id) are not the model's.
    """
    values = dict(zip(_field_names(model), row, strict=False))
    values.update(derived)
    return trusted(model, **values)


def alt_names(stored: Sequence[Mapping[str, str]]) -> list[AltName]:
    """A record's alternative names as stored (a JSON list), as `AltName`s."""
    return [AltName.model_construct(name=item["name"], lang=item["lang"]) for item in stored]
