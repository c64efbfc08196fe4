"""The typed per-site damage summary, and how it is built from the library's records.

`build_summary(registry, slug)` reads the site's records in one transaction
(`Registry.site_records`: the site, its monuments, its events with their citations, the
sources cited) and hands them to `summarize`, which is pure: everything else (worst
levels, counts, period, conflicts) is derived in one pass over the events, so a summary
costs the same handful of queries for ten events or ten thousand.

Definitions the renderers and the JSON schema rely on:

- **counted**: an event that is neither retracted nor merged into another. Retracted and
  merged events are listed (the timeline, their monument) and marked, and counted
  nowhere: not in the counts, the citation totals, a worst level, the period, the
  disagreements, what sources add, or the HTML timeline's axis.
- **worst level**: the worst known `damage_level` among counted events (`none` is
  known); `unknown` only when no such event has a known level. For a monument, over its
  own events; for the site, over all of them. A monument's mentions never touch it.
- **worst claimed level**: the worst level a cited source claims for a counted event
  (a citation's level claim, `heritage_registry.claims`), given only where it is worse
  than the recorded worst level, with the events and sources that claim it; else null.
- **period**: the earliest known `earliest` and the latest known `latest` of the counted
  events; `open_start` / `open_end` say that at least one of them has no bound on that
  side (`../2015-04`), so the period may reach further.
- **counts**: the counted events, so that each of `by_cause`, `by_level` and
  `by_confidence` sums to `events`; `citations` are the counted events' citations and
  `sources` the sources those cite; `retracted` and `merged` count the events left out,
  which the timeline still lists. Every vocabulary value is present, in vocabulary
  order, zeros included (`by_confidence` has neither `retracted` nor `merged`).
- **claims**, per citation: what it claims against the event's current date or level,
  each with its kind (`heritage_registry.claims`: `conflicts`, `refines`, `informs`). A
  claim equal to the event's value is no claim, and `claimed_occurred` /
  `claimed_level` are null for it, so a correction that adopts a claim leaves nothing.
- **conflicts** (where sources disagree), per counted event and field; only
  conflicting claims make one:
  - `occurred` / `damage_level`: when a citation's claim on the field conflicts with
    the event's value. The claims are the event's own value (`recorded: true`), with
    the supporting citations that make no conflicting claim on the field, then each
    conflicting value with the citations that claim it, in citation order.
  - `event`: when a citation `disputes` the event without a conflicting claim (it
    denies that the event happened as recorded). The claims are `supports` (every
    supporting citation) and `disputes` (those disputing ones).
  Sources are named by key, each once per claim. A source may stand under two values
  when two of its citations say different things: that is what the source says.
- **additions** (what sources add), per counted event, field and value: the refining
  and informing claims, with the event's value they refine or inform.
- **mentions**: a monument's `mentioned_in` lists the events, not its own, with a
  citation that mentions it, in timeline order (retracted and merged ones included).
- **as_of**: the registry's latest recorded change to anything in the summary: the
  latest of the created, updated and recorded times of the site, its monuments, its
  events, their citations and the sources cited. It is never the wall clock, so the
  same database always gives the same summary.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from iso3166 import countries_by_alpha2
from pydantic import BaseModel, ConfigDict, Field

from heritage_registry import claims as claim_kinds
from heritage_registry.claims import ClaimKind
from heritage_registry.models import (
    AltName,
    CitationPublic,
    DamageEventPublic,
    MonumentPublic,
    SitePublic,
    SourcePublic,
    SourceTextPublic,
    trusted,
)
from heritage_registry.origins import origin
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
ClaimField = Literal["occurred", "damage_level"]


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
    """The span of the counted events (see the module's definitions)."""

    earliest: dt.date | None
    latest: dt.date | None
    open_start: bool
    open_end: bool


class Counts(_Model):
    events: int
    on_monuments: int
    site_wide: int
    citations: int
    sources: int
    by_cause: dict[str, int]
    by_level: dict[str, int]
    by_confidence: dict[str, int]
    retracted: int
    merged: int


class ClaimedBy(_Model):
    """One event for which sources claim a level, and those sources."""

    event: str
    sources: list[str]


class WorstClaimed(_Model):
    """The worst level a cited source claims, where it is worse than the recorded worst."""

    level: DamageLevel
    claimed_by: list[ClaimedBy]


class MonumentSummary(_Model):
    slug: str
    name: str
    alt_names: list[AltName]
    kind: MonumentKind
    built: str | None
    built_label: str | None
    worst_level: DamageLevel
    worst_claimed_level: WorstClaimed | None
    event_count: int
    events: list[str]
    mentioned_in: list[str]


class CitationClaim(_Model):
    """A value a citation claims against the event's, and how it stands to it."""

    field: ClaimField
    value: str
    label: str
    kind: ClaimKind


class CitationSummary(_Model):
    source: str
    quote: str
    location: str | None
    stance: Stance
    via: str | None
    mentions: list[str]
    claimed_occurred: str | None
    claimed_occurred_label: str | None
    claimed_level: DamageLevel | None
    claims: list[CitationClaim]
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
    merged_into: str | None
    merged_at: dt.datetime | None
    merge_reason: str | None
    citations: list[CitationSummary]

    @property
    def counted(self) -> bool:
        """Neither retracted nor merged: counted in the summary (see the definitions)."""
        return self.retracted_at is None and self.merged_into is None


class SourceTextSummary(_Model):
    """What a source keeps of the text it was read from (`registry attach-text`)."""

    sha256: str
    characters: int | None
    retrieved: dt.date
    retrieved_label: str
    url: str | None
    archived_url: str | None


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
    relays: list[str]
    # Only a source that keeps a text has it: the others' summaries are as they were.
    text: SourceTextSummary | None = Field(default=None, exclude_if=lambda value: value is None)


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


class Addition(_Model):
    """A refining or informing claim: detail a source adds to an event, not a disagreement."""

    event: str
    field: ClaimField
    kind: ClaimKind
    value: str
    label: str
    event_value: str
    event_label: str
    sources: list[str]


class SiteSummary(_Model):
    """Everything a per-site damage summary shows, in the order the renderers show it."""

    site: SiteInfo
    as_of: dt.datetime
    worst_level: DamageLevel
    worst_claimed_level: WorstClaimed | None
    period: Period
    counts: Counts
    monuments: list[MonumentSummary]
    site_wide_events: list[str]
    events: list[EventSummary]
    conflicts: list[Conflict]
    additions: list[Addition]
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
    return summarize(
        records.site, records.monuments, records.events, records.sources, records.texts
    )


def _text_summary(kept: SourceTextPublic | None) -> SourceTextSummary | None:
    if kept is None:
        return None
    return trusted(
        SourceTextSummary,
        sha256=kept.sha256,
        characters=kept.characters,
        retrieved=kept.retrieved,
        retrieved_label=describe(kept.retrieved.isoformat()),
        url=kept.url,
        archived_url=kept.archived_url,
    )


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


_NO_CLAIMS: list[claim_kinds.Claim] = []


def _citation_claims(event: DamageEventPublic) -> list[list[claim_kinds.Claim]]:
    """Each citation's claims against the event's current values (`claims.claims`).

    Most citations claim nothing: they share one empty list, never to be changed.
    """
    return [
        _NO_CLAIMS
        if citation.claimed_occurred is None and citation.claimed_level is None
        else claim_kinds.claims(
            event.occurred, event.damage_level, citation.claimed_occurred, citation.claimed_level
        )
        for citation in event.citations
    ]


def _label(field: str, value: str) -> str:
    return describe(value) if field == "occurred" else value


def _conflicts(
    event: DamageEventPublic, made: Sequence[Sequence[claim_kinds.Claim]]
) -> list[Conflict]:
    """Where the event's citations disagree with it: conflicting claims and disputes."""
    found: list[Conflict] = []
    recorded_values: dict[ClaimField, str] = {
        "occurred": event.occurred,
        "damage_level": event.damage_level.value,
    }
    conflicting = [
        {claim.field: claim.value for claim in claims if claim.kind is ClaimKind.CONFLICTS}
        for claims in made
    ]
    for field, recorded in recorded_values.items():
        if not any(field in values for values in conflicting):
            continue
        by_value: dict[str, list[str]] = {recorded: []}
        for citation, values in zip(event.citations, conflicting, strict=True):
            value = values.get(field)
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
                        label=_label(field, value),
                        recorded=value == recorded,
                        sources=keys,
                    )
                    for value, keys in by_value.items()
                ],
            )
        )
    disputing = [
        citation.source
        for citation, values in zip(event.citations, conflicting, strict=True)
        if citation.stance is Stance.DISPUTES and not values
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


def _additions(
    event: DamageEventPublic, made: Sequence[Sequence[claim_kinds.Claim]]
) -> list[Addition]:
    """The refining and informing claims on the event, one per field and value."""
    grouped: dict[tuple[str, str], tuple[claim_kinds.Claim, list[str]]] = {}
    for citation, claims in zip(event.citations, made, strict=True):
        for claim in claims:
            if claim.kind is ClaimKind.CONFLICTS:
                continue
            _, keys = grouped.setdefault((claim.field, claim.value), (claim, []))
            if citation.source not in keys:
                keys.append(citation.source)
    found = []
    for claim, keys in grouped.values():
        event_value = event.occurred if claim.field == "occurred" else event.damage_level.value
        found.append(
            trusted(
                Addition,
                event=event.uid,
                field=claim.field,
                kind=claim.kind,
                value=claim.value,
                label=_label(claim.field, claim.value),
                event_value=event_value,
                event_label=_label(claim.field, event_value),
                sources=keys,
            )
        )
    # Dates first, then levels, as the renderers list them; each in citation order.
    found.sort(key=lambda addition: addition.field != "occurred")
    return found


def _level_claims(
    event: DamageEventPublic, made: Sequence[Sequence[claim_kinds.Claim]]
) -> dict[DamageLevel, list[str]]:
    """The levels the event's citations claim against its own, with their sources."""
    found: dict[DamageLevel, list[str]] = {}
    for citation, claims in zip(event.citations, made, strict=True):
        for claim in claims:
            if claim.field == "damage_level":
                keys = found.setdefault(DamageLevel(claim.value), [])
                if citation.source not in keys:
                    keys.append(citation.source)
    return found


def _worst_claimed(
    recorded: DamageLevel, claimed: Sequence[tuple[str, dict[DamageLevel, list[str]]]]
) -> WorstClaimed | None:
    """The worst level claimed in `claimed` (event uid, its level claims), if worse than
    `recorded`, with every event and its sources that claim it; else None."""
    worst = worst_level(level for _, levels in claimed for level in levels)
    if worst is DamageLevel.UNKNOWN or worst.rank >= recorded.rank:
        return None
    return trusted(
        WorstClaimed,
        level=worst,
        claimed_by=[
            trusted(ClaimedBy, event=uid, sources=levels[worst])
            for uid, levels in claimed
            if worst in levels
        ],
    )


def _citation_summary(
    citation: CitationPublic, claims: Sequence[claim_kinds.Claim]
) -> CitationSummary:
    """A citation with the claims it makes (none, for most)."""
    date = next((claim for claim in claims if claim.field == "occurred"), None)
    level = next((claim for claim in claims if claim.field == "damage_level"), None)
    return trusted(
        CitationSummary,
        source=citation.source,
        quote=citation.quote,
        location=citation.location,
        stance=citation.stance,
        via=citation.via,
        mentions=citation.mentions,
        claimed_occurred=date.value if date else None,
        claimed_occurred_label=describe(date.value) if date else None,
        claimed_level=DamageLevel(level.value) if level else None,
        claims=[
            trusted(
                CitationClaim,
                field=claim.field,
                value=claim.value,
                label=_label(claim.field, claim.value),
                kind=claim.kind,
            )
            for claim in claims
        ],
        date_resolution=citation.date_resolution,
    )


def summarize(
    site: SitePublic,
    monuments: Sequence[MonumentPublic],
    events: Sequence[DamageEventPublic],
    sources: Sequence[SourcePublic],
    texts: Mapping[str, SourceTextPublic] | None = None,
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
    left_out = {Confidence.RETRACTED.value, Confidence.MERGED.value}
    by_confidence = {value: 0 for value in Confidence.values() if value not in left_out}
    retracted = merged = 0
    counted = counted_site_wide = 0
    monument_events: dict[str, list[DamageEventPublic]] = {m.slug: [] for m in monuments}
    monument_names = {m.slug: m.name for m in monuments}
    mentioned_in: dict[str, list[str]] = {m.slug: [] for m in monuments}
    # Per counted event with level claims: (uid, {level: sources}), site-wide and per monument.
    level_claims: list[tuple[str, dict[DamageLevel, list[str]]]] = []
    monument_level_claims: dict[str, list[tuple[str, dict[DamageLevel, list[str]]]]] = {}
    site_wide: list[str] = []
    earliest: dt.date | None = None
    latest: dt.date | None = None
    open_start = open_end = False
    citation_count = 0
    counted_sources: set[str] = set()
    # The voices each source relays: the first spelling of each (`origins.origin`).
    relays: dict[str, dict[str, str]] = {}
    summaries: list[EventSummary] = []
    conflicts: list[Conflict] = []
    additions: list[Addition] = []
    live_levels: list[DamageLevel] = []

    for event in events:
        stamps += (event.recorded_at, event.updated_at)
        if event.monument is None:
            site_wide.append(event.uid)
        else:
            monument_events.setdefault(event.monument, []).append(event)
        made = _citation_claims(event)
        is_counted = event.retracted_at is None and event.merged_into is None
        if event.merged_into is not None:
            merged += 1
        elif event.retracted_at is not None:
            retracted += 1
        if is_counted:
            counted += 1
            counted_site_wide += event.monument is None
            by_cause[event.cause.value] += 1
            by_level[event.damage_level.value] += 1
            by_confidence[event.confidence.value] += 1
            live_levels.append(event.damage_level)
            if event.earliest is None:
                open_start = True
            elif earliest is None or event.earliest < earliest:
                earliest = event.earliest
            if event.latest is None:
                open_end = True
            elif latest is None or event.latest > latest:
                latest = event.latest
            citation_count += len(event.citations)
            counted_sources.update(citation.source for citation in event.citations)
            # A citation that disputes or claims something: only then is there a look to
            # take (a dispute makes a counted event contested, `confidence.derive`).
            if event.confidence is Confidence.CONTESTED or any(made):
                conflicts += _conflicts(event, made)
                additions += _additions(event, made)
                claimed = _level_claims(event, made)
                if claimed:
                    level_claims.append((event.uid, claimed))
                    if event.monument is not None:
                        monument_level_claims.setdefault(event.monument, []).append(
                            (event.uid, claimed)
                        )
        citations = []
        for citation, claims in zip(event.citations, made, strict=True):
            stamps.append(citation.recorded_at)
            citations.append(_citation_summary(citation, claims))
            if citation.via:
                voices = relays.setdefault(citation.source, {})
                if citation.via not in voices.values():
                    voices.setdefault(origin(None, citation.source, citation.via), citation.via)
            for slug in citation.mentions:
                uids = mentioned_in.get(slug)
                if uids is None or slug == event.monument:
                    continue
                # Once per event: its uid is the last one if another citation named it.
                if not uids or uids[-1] != event.uid:
                    uids.append(event.uid)
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
                merged_into=event.merged_into,
                merged_at=_utc(event.merged_at) if event.merged_at else None,
                merge_reason=event.merge_reason,
                citations=citations,
            )
        )

    monument_summaries = []
    for monument in monuments:
        stamps += (monument.created_at, monument.updated_at)
        own = monument_events[monument.slug]
        live = [e for e in own if e.retracted_at is None and e.merged_into is None]
        worst = worst_level(e.damage_level for e in live)
        monument_summaries.append(
            trusted(
                MonumentSummary,
                slug=monument.slug,
                name=monument.name,
                alt_names=list(monument.alt_names),
                kind=monument.kind,
                built=monument.built,
                built_label=describe(monument.built) if monument.built else None,
                worst_level=worst,
                worst_claimed_level=_worst_claimed(
                    worst, monument_level_claims.get(monument.slug, [])
                ),
                event_count=len(live),
                events=[e.uid for e in own],
                mentioned_in=mentioned_in[monument.slug],
            )
        )
    for source in sources:
        stamps += (source.created_at, source.updated_at)

    site_worst = worst_level(live_levels)
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
        worst_level=site_worst,
        worst_claimed_level=_worst_claimed(site_worst, level_claims),
        period=trusted(
            Period, earliest=earliest, latest=latest, open_start=open_start, open_end=open_end
        ),
        counts=trusted(
            Counts,
            events=counted,
            on_monuments=counted - counted_site_wide,
            site_wide=counted_site_wide,
            citations=citation_count,
            sources=len(counted_sources),
            by_cause=by_cause,
            by_level=by_level,
            by_confidence=by_confidence,
            retracted=retracted,
            merged=merged,
        ),
        monuments=monument_summaries,
        site_wide_events=site_wide,
        events=summaries,
        conflicts=conflicts,
        additions=additions,
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
                relays=sorted(relays.get(source.key, {}).values(), key=str.casefold),
                text=_text_summary((texts or {}).get(source.key)),
            )
            for source in sources
        ],
    )
