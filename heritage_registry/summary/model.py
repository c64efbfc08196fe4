"""The typed per-site damage summary, and how it is built from the library's records.

`build_summary(registry, slug)` reads the site's records in one transaction
(`Registry.site_records`: the site, its monuments, its events with their citations, the
sources cited) and hands them to `summarize`, which is pure: everything else (worst
levels, counts, period, conflicts) is derived in one pass over the events, so a summary
costs the same handful of queries for ten events or ten thousand.

Definitions the renderers and the JSON schema rely on:

- **worst level**: the worst known `damage_level` among events that are not retracted
  (`none` is known); `unknown` only when no such event has a known level. For a
  monument, over its own events; for the site, over all of them.
- **period**: the earliest known `earliest` and the latest known `latest` of the events
  that are not retracted; `open_start` / `open_end` say that at least one of them has no
  bound on that side (`../2015-04`), so the period may reach further.
- **counts**: the events that are not retracted, so that each of `by_cause`, `by_level`
  and `by_confidence` sums to `events`; `retracted` counts the withdrawn ones, which the
  timeline still lists. Every vocabulary value is present, in vocabulary order, zeros
  included (`by_confidence` has no `retracted`: that is `retracted`).
- **conflicts**, per event and field:
  - `occurred` / `damage_level`: when a citation claims a value (`claimed_occurred`,
    `claimed_level`) different from the event's. The claims are the event's own value
    (`recorded: true`), claimed by the supporting citations that claim nothing different
    on that field, then each other value with the citations that claim it, in citation
    order. A disputing citation that claims a value is counted under that value.
  - `event`: when a citation `disputes` the event without claiming another date or level
    (it denies that the event happened as recorded). The claims are `supports` (every
    supporting citation) and `disputes` (the disputing ones).
  Sources are named by key, each once per claim. A source may stand under two values
  when two of its citations say different things: that is what the source says.
- **as_of**: the registry's latest recorded change to anything in the summary: the
  latest of the created, updated and recorded times of the site, its monuments, its
  events, their citations and the sources cited. It is never the wall clock, so the
  same database always gives the same summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from iso3166 import countries_by_alpha2
from pydantic import BaseModel, ConfigDict

from heritage_registry.models import (
    AltName,
    CitationPublic,
    DamageEventPublic,
    MonumentPublic,
    SitePublic,
    SourcePublic,
    trusted,
)
from heritage_registry.registry import Registry
from heritage_registry.summary.humandate import describe, span_words
from heritage_registry.vocab import (
    Cause,
    Confidence,
    DamageLevel,
    MonumentKind,
    SiteKind,
    SourceType,
    Stance,
    worst_level,
)

ConflictField = Literal["occurred", "damage_level", "event"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SiteInfo(_Model):
    """The site as the summary's header shows it."""

    slug: str
    name: str
    alt_names: list[AltName]
    country: str
    country_name: str | None
    kind: SiteKind
    latitude: float | None
    longitude: float | None
    location_precision_m: float | None
    unesco_whc_id: int | None
    wikidata_qid: str | None
    description: str | None


class Period(_Model):
    """The span of the events that are not retracted (see the module's definitions)."""

    earliest: dt.date | None
    latest: dt.date | None
    open_start: bool
    open_end: bool


class Counts(_Model):
    events: int
    on_monuments: int
    site_wide: int
    citations: int
    by_cause: dict[str, int]
    by_level: dict[str, int]
    by_confidence: dict[str, int]
    retracted: int


class MonumentSummary(_Model):
    slug: str
    name: str
    alt_names: list[AltName]
    kind: MonumentKind
    built: str | None
    built_label: str | None
    worst_level: DamageLevel
    event_count: int
    events: list[str]


class CitationSummary(_Model):
    source: str
    quote: str
    location: str | None
    stance: Stance
    claimed_occurred: str | None
    claimed_occurred_label: str | None
    claimed_level: DamageLevel | None
    date_resolution: str | None


class EventSummary(_Model):
    uid: str
    monument: str | None
    monument_name: str | None
    cause: Cause
    damage_level: DamageLevel
    occurred: str
    occurred_label: str
    earliest: dt.date | None
    latest: dt.date | None
    actor: str | None
    description: str | None
    confidence: Confidence
    retracted_at: dt.datetime | None
    retraction_reason: str | None
    citations: list[CitationSummary]


class SourceSummary(_Model):
    key: str
    title: str
    publisher: str | None
    author: str | None
    published: str | None
    published_label: str | None
    url: str | None
    source_type: SourceType
    language: str | None


class Claim(_Model):
    """One competing value of a field, and the sources that claim it."""

    value: str
    label: str
    recorded: bool
    sources: list[str]


class Conflict(_Model):
    event: str
    field: ConflictField
    claims: list[Claim]


class SiteSummary(_Model):
    """Everything a per-site damage summary shows, in the order the renderers show it."""

    site: SiteInfo
    as_of: dt.datetime
    worst_level: DamageLevel
    period: Period
    counts: Counts
    monuments: list[MonumentSummary]
    site_wide_events: list[str]
    events: list[EventSummary]
    conflicts: list[Conflict]
    sources: list[SourceSummary]

    def event_numbers(self) -> dict[str, int]:
        """Each event's position on the timeline, from 1: the renderers' cross-references."""
        return {event.uid: number for number, event in enumerate(self.events, start=1)}


@dataclass(frozen=True, slots=True)
class IndexSite:
    slug: str
    name: str
    country: str
    country_name: str | None
    kind: SiteKind


@dataclass(frozen=True, slots=True)
class IndexCounts:
    events: int


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """What a directory's index shows of one site's summary, in the summary's own shape.

    `write_all` keeps one per site, a few hundred bytes, and drops each summary once it
    is written: a site with thousands of events has a summary of megabytes. The shape is
    the summary's (`entry.site.name`, `entry.counts.events`), so the index renders either.
    """

    site: IndexSite
    as_of: dt.datetime
    worst_level: DamageLevel
    counts: IndexCounts
    # The period's values, not its model: a model and its field set took most of an entry.
    earliest: dt.date | None
    latest: dt.date | None
    open_start: bool
    open_end: bool

    @property
    def period(self) -> Period:
        return trusted(
            Period,
            earliest=self.earliest,
            latest=self.latest,
            open_start=self.open_start,
            open_end=self.open_end,
        )

    @classmethod
    def of(cls, summary: SiteSummary) -> IndexEntry:
        site, period = summary.site, summary.period
        return cls(
            site=IndexSite(site.slug, site.name, site.country, site.country_name, site.kind),
            as_of=summary.as_of,
            worst_level=summary.worst_level,
            counts=IndexCounts(summary.counts.events),
            earliest=period.earliest,
            latest=period.latest,
            open_start=period.open_start,
            open_end=period.open_end,
        )


def period_words(period: Period) -> str:
    """The period in words, with its open ends said out loud."""
    return span_words(
        period.earliest, period.latest, open_start=period.open_start, open_end=period.open_end
    )


# Building -------------------------------------------------------------------------


def build_summary(registry: Registry, slug: str) -> SiteSummary:
    """The summary of one site; raises `SiteNotFound` (with suggestions) for a wrong slug."""
    records = registry.site_records(slug)
    return summarize(records.site, records.monuments, records.events, records.sources)


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def _claimed(citation: CitationPublic, field: ConflictField) -> str | None:
    if field == "occurred":
        return citation.claimed_occurred
    return citation.claimed_level.value if citation.claimed_level is not None else None


def _conflicts(event: DamageEventPublic) -> list[Conflict]:
    found: list[Conflict] = []
    recorded_values: dict[ConflictField, str] = {
        "occurred": event.occurred,
        "damage_level": event.damage_level.value,
    }
    for field, recorded in recorded_values.items():
        values = [_claimed(citation, field) for citation in event.citations]
        if all(value is None or value == recorded for value in values):
            continue
        by_value: dict[str, list[str]] = {recorded: []}
        for citation, value in zip(event.citations, values, strict=True):
            if value is None:
                if citation.stance is not Stance.SUPPORTS:
                    continue
                value = recorded
            keys = by_value.setdefault(value, [])
            if citation.source not in keys:
                keys.append(citation.source)
        found.append(
            trusted(
                Conflict,
                event=event.uid,
                field=field,
                claims=[
                    trusted(
                        Claim,
                        value=value,
                        label=describe(value) if field == "occurred" else value,
                        recorded=value == recorded,
                        sources=keys,
                    )
                    for value, keys in by_value.items()
                ],
            )
        )
    disputing = [
        c.source
        for c in event.citations
        if c.stance is Stance.DISPUTES and c.claimed_occurred is None and c.claimed_level is None
    ]
    if disputing:
        supporting = [c.source for c in event.citations if c.stance is Stance.SUPPORTS]
        found.append(
            trusted(
                Conflict,
                event=event.uid,
                field="event",
                claims=[
                    trusted(
                        Claim,
                        value=Stance.SUPPORTS.value,
                        label="it happened as recorded",
                        recorded=True,
                        sources=list(dict.fromkeys(supporting)),
                    ),
                    trusted(
                        Claim,
                        value=Stance.DISPUTES.value,
                        label="disputed",
                        recorded=False,
                        sources=list(dict.fromkeys(disputing)),
                    ),
                ],
            )
        )
    return found


def summarize(
    site: SitePublic,
    monuments: Sequence[MonumentPublic],
    events: Sequence[DamageEventPublic],
    sources: Sequence[SourcePublic],
) -> SiteSummary:
    """Derive a summary from the library's records (events in the library's date order).

    The parts are built with `trusted`, without validation: every value is a validated
    record's or derived here with the field's type, and validating them again took about
    half of this function's time. `trusted` keeps the keywords' order, which is the
    JSON's: each call names the fields in the model's order.
    """
    stamps = [site.created_at, site.updated_at]
    by_cause = dict.fromkeys(Cause.values(), 0)
    by_level = dict.fromkeys(DamageLevel.values(), 0)
    by_confidence = {value: 0 for value in Confidence.values() if value != Confidence.RETRACTED}
    retracted = 0
    live_site_wide = 0
    monument_events: dict[str, list[DamageEventPublic]] = {m.slug: [] for m in monuments}
    monument_names = {m.slug: m.name for m in monuments}
    site_wide: list[str] = []
    earliest: dt.date | None = None
    latest: dt.date | None = None
    open_start = open_end = False
    citation_count = 0
    summaries: list[EventSummary] = []
    conflicts: list[Conflict] = []

    for event in events:
        stamps += (event.recorded_at, event.updated_at)
        if event.monument is None:
            site_wide.append(event.uid)
        else:
            monument_events.setdefault(event.monument, []).append(event)
        if event.retracted_at is not None:
            retracted += 1
        else:
            live_site_wide += event.monument is None
            by_cause[event.cause.value] += 1
            by_level[event.damage_level.value] += 1
            by_confidence[event.confidence.value] += 1
            if event.earliest is None:
                open_start = True
            elif earliest is None or event.earliest < earliest:
                earliest = event.earliest
            if event.latest is None:
                open_end = True
            elif latest is None or event.latest > latest:
                latest = event.latest
        citations = []
        for citation in event.citations:
            stamps.append(citation.recorded_at)
            citations.append(
                trusted(
                    CitationSummary,
                    source=citation.source,
                    quote=citation.quote,
                    location=citation.location,
                    stance=citation.stance,
                    claimed_occurred=citation.claimed_occurred,
                    claimed_occurred_label=(
                        describe(citation.claimed_occurred) if citation.claimed_occurred else None
                    ),
                    claimed_level=citation.claimed_level,
                    date_resolution=citation.date_resolution,
                )
            )
        citation_count += len(citations)
        summaries.append(
            trusted(
                EventSummary,
                uid=event.uid,
                monument=event.monument,
                monument_name=(
                    monument_names.get(event.monument, event.monument) if event.monument else None
                ),
                cause=event.cause,
                damage_level=event.damage_level,
                occurred=event.occurred,
                occurred_label=describe(event.occurred),
                earliest=event.earliest,
                latest=event.latest,
                actor=event.actor,
                description=event.description,
                confidence=event.confidence,
                retracted_at=_utc(event.retracted_at) if event.retracted_at else None,
                retraction_reason=event.retraction_reason,
                citations=citations,
            )
        )
        # Confidence is `contested` exactly when a citation disputes or claims another
        # value, so other events need no look; a retracted one may hide a conflict.
        if event.confidence is Confidence.CONTESTED or event.retracted_at is not None:
            conflicts += _conflicts(event)

    monument_summaries = []
    for monument in monuments:
        stamps += (monument.created_at, monument.updated_at)
        own = monument_events[monument.slug]
        monument_summaries.append(
            trusted(
                MonumentSummary,
                slug=monument.slug,
                name=monument.name,
                alt_names=list(monument.alt_names),
                kind=monument.kind,
                built=monument.built,
                built_label=describe(monument.built) if monument.built else None,
                worst_level=worst_level(e.damage_level for e in own if e.retracted_at is None),
                event_count=len(own),
                events=[e.uid for e in own],
            )
        )
    for source in sources:
        stamps += (source.created_at, source.updated_at)

    country = countries_by_alpha2.get(site.country)
    return trusted(
        SiteSummary,
        site=trusted(
            SiteInfo,
            slug=site.slug,
            name=site.name,
            alt_names=list(site.alt_names),
            country=site.country,
            country_name=country.apolitical_name if country else None,
            kind=site.kind,
            latitude=site.latitude,
            longitude=site.longitude,
            location_precision_m=site.location_precision_m,
            unesco_whc_id=site.unesco_whc_id,
            wikidata_qid=site.wikidata_qid,
            description=site.description,
        ),
        as_of=_utc(max(stamps)),
        worst_level=worst_level(e.damage_level for e in events if e.retracted_at is None),
        period=trusted(
            Period, earliest=earliest, latest=latest, open_start=open_start, open_end=open_end
        ),
        counts=trusted(
            Counts,
            events=len(events) - retracted,
            on_monuments=len(events) - retracted - live_site_wide,
            site_wide=live_site_wide,
            citations=citation_count,
            by_cause=by_cause,
            by_level=by_level,
            by_confidence=by_confidence,
            retracted=retracted,
        ),
        monuments=monument_summaries,
        site_wide_events=site_wide,
        events=summaries,
        conflicts=conflicts,
        sources=[
            trusted(
                SourceSummary,
                key=source.key,
                title=source.title,
                publisher=source.publisher,
                author=source.author,
                published=source.published,
                published_label=describe(source.published) if source.published else None,
                url=source.url,
                source_type=source.source_type,
                language=source.language,
            )
            for source in sources
        ],
    )
