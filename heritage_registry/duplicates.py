"""Duplicates: the same statement cited twice, and the same incident recorded twice.

A citation is identified by its source, its quote (white space folded) and where in the
source it stands: citing that again on one event would count one statement twice.

Two events may record one incident (two analysts, two reports of one demolition).
`find_duplicates` lists the pairs that may, with the reasons they match, for people to
judge and merge (`merges`). A pair is a candidate when both events are live (neither
retracted nor merged), they are at one site, their date ranges (`earliest` to `latest`;
an open end reaches any date) overlap, they do not name two different monuments, and
they name the same known cause or cite the same quote. `unknown` matches nothing, as it
conflicts with nothing. Each pair is scored by the weights of its reasons (`WEIGHTS`):
the same words quoted weigh most.

It stays fast on a large registry: events are compared only within a site (blocking),
and within a site and cause only those whose ranges overlap, found by sorting them by
`earliest` and sweeping; pairs that differ in cause are found through the quotes they
share. Events and citations are read as plain columns, a few thousand sites at a time.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import sqlalchemy as sa

from heritage_registry import db, lookups
from heritage_registry.errors import InvalidRecord
from heritage_registry.models import (
    CITATION_TABLE,
    EVENT_TABLE,
    MONUMENT_TABLE,
    SITE_TABLE,
)
from heritage_registry.vocab import Cause, DamageLevel

if TYPE_CHECKING:
    from heritage_registry.registry import Registry


class _Cited(Protocol):
    @property
    def source(self) -> str: ...
    @property
    def quote(self) -> str: ...
    @property
    def location(self) -> str | None: ...


def citation_identity(citation: _Cited) -> tuple[str, str, str]:
    """What makes two citations one: source, quote with white space folded, location."""
    return (
        citation.source,
        " ".join(citation.quote.split()),
        " ".join((citation.location or "").split()),
    )


def refuse_repeated_citations(citations: Sequence[_Cited]) -> None:
    """Refuse a citation that repeats an earlier one of the same event, naming that one
    (by its place among the event's citations, stored ones first)."""
    seen: dict[tuple[str, str, str], int] = {}
    for number, citation in enumerate(citations, start=1):
        identity = citation_identity(citation)
        earlier = seen.get(identity)
        if earlier is not None:
            where = f" at {citation.location}" if citation.location else ""
            raise InvalidRecord(
                f"the event cites source {citation.source!r}{where} with this quote already "
                f"(citation {earlier}); cite another passage, or leave it out"
            )
        seen[identity] = number


# Events and incidents ----------------------------------------------------------------


class Reason(StrEnum):
    """Why two events may record one incident."""

    SAME_SITE = "same_site"
    SAME_MONUMENT = "same_monument"
    OVERLAPPING_DATES = "overlapping_dates"
    SAME_CAUSE = "same_cause"
    SAME_LEVEL = "same_level"
    SHARED_SOURCE = "shared_source"
    SHARED_QUOTE = "shared_quote"


# How strongly each reason says "one incident"; a pair's score is the sum of its own.
WEIGHTS: dict[Reason, int] = {
    Reason.SAME_SITE: 1,
    Reason.SAME_MONUMENT: 3,
    Reason.OVERLAPPING_DATES: 1,
    Reason.SAME_CAUSE: 3,
    Reason.SAME_LEVEL: 1,
    Reason.SHARED_SOURCE: 2,
    Reason.SHARED_QUOTE: 4,
}


@dataclass(frozen=True, slots=True)
class DuplicateEvent:
    """One event of a candidate pair, as much of it as tells the two apart."""

    uid: str
    monument: str | None
    cause: Cause
    damage_level: DamageLevel
    occurred: str

    def as_json(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "monument": self.monument,
            "cause": self.cause.value,
            "damage_level": self.damage_level.value,
            "occurred": self.occurred,
        }


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """Two live events of one site that may record one incident.

    `events` are the two in the registry's date order, `reasons` in `Reason` order, and
    `score` the sum of their `WEIGHTS`. (Plain dataclasses, not Public models: a large
    registry has tens of thousands of pairs, and a model each held three times the
    memory.)
    """

    site: str
    score: int
    reasons: tuple[Reason, ...]
    events: tuple[DuplicateEvent, DuplicateEvent]

    def as_json(self) -> dict[str, Any]:
        """The pair as JSON values: what `registry duplicates --format json` prints."""
        return {
            "site": self.site,
            "score": self.score,
            "reasons": [reason.value for reason in self.reasons],
            "events": [event.as_json() for event in self.events],
        }


class _Event(NamedTuple):
    """An event as the sweep needs it; `sources` and `quotes` are of its citations."""

    id: int
    uid: str
    monument_id: int | None
    cause: str
    damage_level: str
    occurred: str
    # Dates as the driver gives them (SQLite: ISO text; PostgreSQL: dates): only compared.
    earliest: Any
    latest: Any
    sources: tuple[int, ...]
    quotes: tuple[int, ...]


# Built without `_Event.__new__`'s Python-level call: one per event of the registry.
_new_event = functools.partial(tuple.__new__, _Event)

_LIVE = sa.and_(EVENT_TABLE.c.retracted_at.is_(None), EVENT_TABLE.c.merged_into_id.is_(None))
# Events per site, to read a few thousand at a time: all of them, which the index counts
# alone, as the live ones would take reading every row.
_EVENTS_BY_SITE = (
    sa.select(EVENT_TABLE.c.site_id, sa.func.count())
    .group_by(EVENT_TABLE.c.site_id)
    .order_by(EVENT_TABLE.c.site_id)
)
# Every column is an id or text as stored (vocabulary values and dates too), so that the
# driver's rows need no conversion (`_rows`).
_EVENT_COLUMNS = sa.select(
    EVENT_TABLE.c.id,
    EVENT_TABLE.c.uid,
    EVENT_TABLE.c.site_id,
    EVENT_TABLE.c.monument_id,
    sa.type_coerce(EVENT_TABLE.c.cause, sa.String),
    sa.type_coerce(EVENT_TABLE.c.damage_level, sa.String),
    EVENT_TABLE.c.occurred,
    sa.type_coerce(EVENT_TABLE.c.earliest, sa.String),
    sa.type_coerce(EVENT_TABLE.c.latest, sa.String),
).where(_LIVE)
_CITED_COLUMNS = (
    sa.select(CITATION_TABLE.c.event_id, CITATION_TABLE.c.source_id, CITATION_TABLE.c.quote)
    .join(EVENT_TABLE, EVENT_TABLE.c.id == CITATION_TABLE.c.event_id)
    .where(_LIVE)
)
# Sites read together, up to about this many events (one larger site is read alone).
_CHUNK_EVENTS = 20_000
_UNKNOWN_CAUSE = Cause.UNKNOWN.value
_UNKNOWN_LEVEL = DamageLevel.UNKNOWN.value


def find_duplicates(registry: Registry, *, site: str | None = None) -> list[DuplicatePair]:
    """Candidate pairs of events that may record one incident, strongest first.

    Ordered by score, then by the number of reasons, both highest first, then by site
    slug and the two uids: the same records always give the same list.
    """
    pairs: list[DuplicatePair] = []
    with registry.transaction() as session:
        connection = session.connection()
        if site is None:
            counts = [(row[0], row[1]) for row in connection.execute(_EVENTS_BY_SITE)]
        else:
            site_id = lookups.site_row(session, site).id
            assert site_id is not None
            counts = [(site_id, 1)]
        # Each chunk's pairs made whole before the next is read, so that only the pairs
        # are held, not every event of the registry that is in one.
        for first, last in _chunks(counts):
            pairs += _pairs(connection, _chunk_pairs(connection, first, last))
    pairs.sort(key=lambda p: (-p.score, -len(p.reasons), p.site, p.events[0].uid, p.events[1].uid))
    return pairs


def _pairs(
    connection: sa.Connection, found: Sequence[tuple[int, _Event, _Event]]
) -> list[DuplicatePair]:
    """`DuplicatePair`s of one chunk's candidates, with their sites' and monuments' names."""
    site_ids = {site_id for site_id, _a, _b in found}
    monument_ids = {e.monument_id for _s, a, b in found for e in (a, b) if e.monument_id}
    sites = _names(connection, SITE_TABLE, site_ids)
    monuments = _names(connection, MONUMENT_TABLE, monument_ids)
    shown: dict[int, DuplicateEvent] = {}
    pairs = []
    for site_id, a, b in found:
        reasons = _reasons(a, b)
        for event in (a, b):
            if event.id not in shown:
                shown[event.id] = DuplicateEvent(
                    uid=event.uid,
                    monument=monuments[event.monument_id] if event.monument_id else None,
                    cause=Cause(event.cause),
                    damage_level=DamageLevel(event.damage_level),
                    occurred=event.occurred,
                )
        pairs.append(
            DuplicatePair(
                site=sites[site_id],
                score=sum(WEIGHTS[reason] for reason in reasons),
                reasons=reasons,
                events=(shown[a.id], shown[b.id]),
            )
        )
    return pairs


def _chunks(counts: Sequence[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Ranges of site ids holding about `_CHUNK_EVENTS` events each."""
    start: int | None = None
    held = 0
    for site_id, events in counts:
        if start is None:
            start = site_id
        held += events
        if held >= _CHUNK_EVENTS:
            yield start, site_id
            start, held = None, 0
    if start is not None:
        yield start, counts[-1][0]


def _rows(connection: sa.Connection, statement: sa.Select[Any]) -> list[Any]:
    """The rows of `statement` as the driver gives them: no `Row` built per row, which
    cost more than the query (every column is an id or text, needing no conversion)."""
    result = connection.execute(statement)
    try:
        return list(result.cursor.fetchall())
    finally:
        result.close()


def _chunk_pairs(
    connection: sa.Connection, first: int, last: int
) -> list[tuple[int, _Event, _Event]]:
    """The candidate pairs of the sites with ids from `first` to `last`, by site."""
    in_range = EVENT_TABLE.c.site_id.between(first, last)
    sources: dict[int, list[int]] = {}
    quotes: dict[int, list[int]] = {}
    for event_id, source_id, quote in _rows(connection, _CITED_COLUMNS.where(in_range)):
        sources.setdefault(event_id, []).append(source_id)
        # Folded as `citation_identity` folds it; a quote whose only white space is single
        # ASCII spaces (printable, with no two together) is folded already. Compared
        # within one call, so Python's own (per-process) hash will do.
        if not quote.isprintable() or "  " in quote:
            quote = " ".join(quote.split())
        quotes.setdefault(event_id, []).append(hash(quote))
    by_site: dict[int, list[_Event]] = {}
    none: tuple[int, ...] = ()
    for event_id, uid, site_id, monument_id, cause, level, occurred, earliest, latest in _rows(
        connection, _EVENT_COLUMNS.where(in_range)
    ):
        by_site.setdefault(site_id, []).append(
            _new_event(
                (
                    event_id,
                    uid,
                    monument_id,
                    cause,
                    level,
                    occurred,
                    earliest,
                    latest,
                    tuple(sources.get(event_id, none)),
                    tuple(quotes.get(event_id, none)),
                )
            )
        )
    found = []
    for site_id, events in by_site.items():
        events.sort(key=_order)
        found += [(site_id, a, b) for a, b in _site_pairs(events)]
    return found


def _order(event: _Event) -> tuple[Any, ...]:
    """The registry's event order: by `earliest` (open first), `latest` (open last), uid.

    An open end's place holds "", never compared with a date: the flag before it differs.
    """
    return (
        event.earliest is not None,
        event.earliest or "",
        event.latest is None,
        event.latest or "",
        event.uid,
    )


def _site_pairs(events: Sequence[_Event]) -> list[tuple[_Event, _Event]]:
    """The candidate pairs among one site's events, given in `_order`, each in that order."""
    position = {event.id: index for index, event in enumerate(events)}
    seen: set[tuple[int, int]] = set()
    by_cause: dict[str, list[_Event]] = {}
    by_quote: dict[int, list[_Event]] = {}
    for event in events:
        if event.cause != _UNKNOWN_CAUSE:
            by_cause.setdefault(event.cause, []).append(event)
        # Two of its citations may quote the same words: the event is listed once.
        for quote in event.quotes if len(event.quotes) < 2 else set(event.quotes):
            by_quote.setdefault(quote, []).append(event)
    # The same cause: sweep each cause's events in order of `earliest`, keeping those
    # whose ranges may still reach the next one's start.
    for group in by_cause.values():
        active: list[_Event] = []
        for event in group:
            start = event.earliest
            if start is not None:
                active = [a for a in active if a.latest is None or a.latest >= start]
            for earlier in active:
                if _compatible_monuments(earlier, event):
                    seen.add((position[earlier.id], position[event.id]))
            active.append(event)
    # The same quote, whatever the causes.
    for group in by_quote.values():
        for index, earlier in enumerate(group):
            for event in group[index + 1 :]:
                if _compatible_monuments(earlier, event) and _overlap(earlier, event):
                    seen.add((position[earlier.id], position[event.id]))
    return [(events[a], events[b]) for a, b in sorted(seen)]


def _compatible_monuments(a: _Event, b: _Event) -> bool:
    """Not two different monuments: the same one, or one or both on the site."""
    return a.monument_id is None or b.monument_id is None or a.monument_id == b.monument_id


def _overlap(a: _Event, b: _Event) -> bool:
    """Whether two date ranges may overlap; an open end reaches any date."""
    return (a.earliest is None or b.latest is None or a.earliest <= b.latest) and (
        b.earliest is None or a.latest is None or b.earliest <= a.latest
    )


def _reasons(a: _Event, b: _Event) -> tuple[Reason, ...]:
    reasons = [Reason.SAME_SITE]
    if a.monument_id is not None and a.monument_id == b.monument_id:
        reasons.append(Reason.SAME_MONUMENT)
    reasons.append(Reason.OVERLAPPING_DATES)
    if a.cause == b.cause and a.cause != _UNKNOWN_CAUSE:
        reasons.append(Reason.SAME_CAUSE)
    if a.damage_level == b.damage_level and a.damage_level != _UNKNOWN_LEVEL:
        reasons.append(Reason.SAME_LEVEL)
    if not set(a.sources).isdisjoint(b.sources):
        reasons.append(Reason.SHARED_SOURCE)
    if not set(a.quotes).isdisjoint(b.quotes):
        reasons.append(Reason.SHARED_QUOTE)
    return tuple(reasons)


def _names(connection: sa.Connection, table: sa.Table, ids: set[int]) -> dict[int, str]:
    """The slugs of these sites or monuments, by id."""
    return db.lookup(connection, table.c.id, table.c.slug, ids)
