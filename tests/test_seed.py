"""The shipped seed: faithful to its articles, valid, and idempotent to load."""

from __future__ import annotations

import re
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heritage_registry import Confidence, Registry, claims, confidence, dates
from heritage_registry.models import DamageEventCreate, MonumentCreate
from heritage_registry.resources import seeds_path
from heritage_registry.seed import Seed, load_seed, read_seed
from tests.helpers import dump

SEED = read_seed()

# Words that date an event relative to the article's own date; a quote using one must
# say how it was resolved.
RELATIVE = re.compile(
    r"\b(last|ago|yesterday|today|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
    r"In April|in February|now|still)\b",
    re.IGNORECASE,
)


# Words by which an article says it relays someone; a quote holding one must name the
# origin in `via` (DOMAIN.md, "Origin"), unless listed in RELAYED_BUT_OWN_VOICE.
RELAYING = re.compile(
    r"\b(said|says|saying|stated|told|according to|reported|claimed|announced|confirmed|"
    r"acknowledged)\b",
    re.IGNORECASE,
)

# (event uid, source key, quote) of citations whose quote holds a relaying word and yet is
# the article's own voice, each with the reason. None at present: every such quote in the
# seed relays someone. An entry here must say why, e.g.
#   ("<uid>", "<source>", "<quote>"): "'reported' is the article's own 'it was reported
#   earlier that ...', about its own earlier report",
RELAYED_BUT_OWN_VOICE: dict[tuple[str, str, str], str] = {}

# The origins the seed's citations relay, one spelling each (see the head of events.toml):
# citations with one `via` are one voice whatever their publishers, so an origin spelt two
# ways would count twice.
ORIGINS = {
    "Islamic State",
    "Syrian army",
    "Syrian state television",
    "Syrian Observatory for Human Rights",
    "UNESCO",
    "Homs Media Centre",
    "a local source",
    "a government soldier",
    "Bebars al-Talawy",
    "Xinhua",
    "The New York Times",
}

OCCUPATION_OF_PALMYRA = "3006cef2-57e9-44a2-a1d2-b4ccda24ae0c"
OCCUPATION_OF_THE_CITADEL = "93b66f46-7152-4ee7-a52a-ae762d28f389"
FIGHTING_FOR_THE_CITADEL = "1d369121-cf74-4814-83e2-baf4a2cb85e8"
MINING_OF_PALMYRA = "28e70adf-5ed6-4488-aa4b-3079c01a5079"
PARTIALLY_DESTROYED = "4f174977-b798-4e27-9253-e7805a96c9ea"


def collapse(text: str) -> str:
    return " ".join(text.split())


def folded(text: str) -> str:
    return collapse(text).casefold()


def seed_event(uid: str) -> DamageEventCreate:
    return next(e for e in SEED.events if str(e.uid) == uid)


def paragraphs(articles: Path, source: str) -> list[str]:
    """An article's paragraphs as the seed counts them: its non-empty lines from the top."""
    text = (articles / SEED.articles[source]).read_text("utf-8")
    return [line for line in text.splitlines() if line.strip()]


def site_name(slug: str) -> str:
    return next(site.name for site in SEED.sites if site.slug == slug)


def names_of(monument: MonumentCreate) -> set[str]:
    """The words a quote may name a monument by: its name, its alternative names, its name
    without the site's ("Palmyra citadel": "citadel") and its slug in words."""
    names = {monument.name, *(alt.name for alt in monument.alt_names)}
    prefix = site_name(monument.site) + " "
    if monument.name.startswith(prefix):
        names.add(monument.name[len(prefix) :])
    names.add(monument.slug.replace("-", " "))
    return {folded(name) for name in names}


def names_in(quote: str, monument: MonumentCreate) -> bool:
    text = folded(quote)
    return any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text) for name in names_of(monument))


def test_seed_ships_inside_the_package() -> None:
    assert {p.name for p in seeds_path().glob("*.toml")} >= {
        "sites.toml",
        "sources.toml",
        "events.toml",
    }


def test_every_quote_is_a_verbatim_excerpt_of_its_article(articles: Path) -> None:
    assert set(SEED.articles) == {source.key for source in SEED.sources}
    texts = {
        key: collapse((articles / name).read_text("utf-8")) for key, name in SEED.articles.items()
    }
    missing = [
        (str(event.uid), citation.source, citation.quote)
        for event in SEED.events
        for citation in event.citations
        if collapse(citation.quote) not in texts[citation.source]
    ]
    assert missing == []


def test_every_location_is_the_paragraph_that_holds_the_quote(articles: Path) -> None:
    wrong = []
    for event in SEED.events:
        for citation in event.citations:
            found = re.fullmatch(r"paragraph (\d+)", citation.location or "")
            lines = paragraphs(articles, citation.source)
            number = int(found[1]) if found else 0
            held = 1 <= number <= len(lines) and collapse(citation.quote) in collapse(
                lines[number - 1]
            )
            if not held:
                wrong.append((str(event.uid), citation.source, citation.location))
    assert wrong == []


def test_every_mention_is_another_monument_of_the_site_named_in_the_quote() -> None:
    monuments = {(m.site, m.slug): m for m in SEED.monuments}
    wrong = []
    for event in SEED.events:
        for citation in event.citations:
            for slug in citation.mentions:
                monument = monuments.get((event.site, slug))
                if monument is None or slug == event.monument:
                    wrong.append((str(event.uid), slug, "not another monument of the site"))
                elif not names_in(citation.quote, monument):
                    wrong.append((str(event.uid), slug, "not named in the quote"))
    assert wrong == []


def test_every_monument_a_quote_names_is_the_event_s_or_mentioned() -> None:
    # A quote naming a monument whose event it is not must say so, so that the monument's
    # summary points to it.
    missing = []
    for event in SEED.events:
        for citation in event.citations:
            for monument in SEED.monuments:
                if monument.site != event.site or monument.slug == event.monument:
                    continue
                if names_in(citation.quote, monument) and monument.slug not in citation.mentions:
                    missing.append((str(event.uid), citation.source, monument.slug))
    assert missing == []


def test_the_temple_of_bel_is_mentioned_by_the_mines_slowing_the_advance() -> None:
    mining = seed_event(MINING_OF_PALMYRA)
    assert mining.monument is None
    (advance,) = [c for c in mining.citations if "Temple of Bel" in c.quote]
    assert advance.source == "army-takes-palmyra-citadel-2016-03"
    assert "temple-of-bel" in advance.mentions
    assert [e for e in SEED.events if e.monument == "temple-of-bel"] == []


def test_every_relayed_statement_names_its_origin() -> None:
    unnamed = [
        (str(event.uid), citation.source, citation.quote)
        for event in SEED.events
        for citation in event.citations
        if RELAYING.search(citation.quote) and not citation.via
    ]
    assert [key for key in unnamed if key not in RELAYED_BUT_OWN_VOICE] == []
    # An exception that no longer applies is removed, not kept as a loophole.
    assert set(RELAYED_BUT_OWN_VOICE) <= set(unnamed)


def test_each_origin_is_spelt_one_way() -> None:
    used = {c.via for e in SEED.events for c in e.citations if c.via is not None}
    assert used <= ORIGINS, "a new origin or a new spelling: add it to ORIGINS and the seed's head"
    assert len({folded(via) for via in ORIGINS}) == len(ORIGINS)


def test_two_relays_of_the_army_s_statement_are_one_voice() -> None:
    # 001's "A military source stated ... inflicted heavy losses" and 002's "Our armed
    # forces ... inflicting many losses, the report said" are one army statement.
    publishers = {source.key: source.publisher for source in SEED.sources}
    fighting = seed_event(FIGHTING_FOR_THE_CITADEL)
    relays = [
        c
        for c in fighting.citations
        if c.source in ("army-takes-palmyra-citadel-2016-03", "newarab-2016-03-27")
    ]
    assert {c.source for c in relays} == {
        "army-takes-palmyra-citadel-2016-03",
        "newarab-2016-03-27",
    }
    assert len({folded(c.via or "") for c in relays}) == 1
    assert relays[0].via
    attestations = [
        confidence.attestation(
            stance=c.stance,
            publisher=publishers[c.source],
            source=c.source,
            via=c.via,
            claimed_occurred=c.claimed_occurred,
            claimed_level=c.claimed_level,
        )
        for c in relays
    ]
    assert len({a.origin for a in attestations}) == 1
    alone = confidence.derive(
        occurred=fighting.occurred,
        damage_level=fighting.damage_level,
        retracted=False,
        attestations=attestations,
    )
    assert alone is Confidence.SINGLE_SOURCE


def test_the_mining_starts_with_the_occupation() -> None:
    # Every article that names who laid the mines names IS, which held Palmyra from May
    # 2015: the mining has a start, and it is the occupation's (not before IS held the
    # city, and no later than the month it took it, since no article dates the laying).
    mining = dates.bounds(seed_event(MINING_OF_PALMYRA).occurred)
    occupation = seed_event(OCCUPATION_OF_PALMYRA).occurred
    held = dates.bounds(occupation)
    taken = dates.bounds(occupation.split("/")[0])
    assert mining.earliest is not None
    assert held.earliest is not None
    assert taken.latest is not None
    assert held.earliest <= mining.earliest <= taken.latest
    assert mining.latest is not None
    assert held.latest is not None
    assert mining.latest <= held.latest


def test_every_palmyra_event_has_a_start() -> None:
    # Everything the articles report at Palmyra happened under IS's occupation or in the
    # offensive that ended it, so the site's period has a start (no "possibly earlier").
    open_start = [
        str(e.uid)
        for e in SEED.events
        if e.site == "palmyra" and dates.bounds(e.occurred).earliest is None
    ]
    assert open_start == []


def test_a_site_wide_level_grades_the_parts_the_source_speaks_of() -> None:
    # DOMAIN.md, "Level of a site-wide event": "partially destroyed" is a part destroyed,
    # graded as such, not a whole site graded by how much of it is gone.
    assert seed_event(PARTIALLY_DESTROYED).damage_level == "destroyed"
    for each in SEED.events:
        if each.monument is None and each.damage_level != "unknown":
            assert "not the whole" in (each.description or ""), each.uid


def test_no_claim_repeats_the_event_s_value() -> None:
    empty = [
        (str(e.uid), c.source, c.claimed_occurred, c.claimed_level)
        for e in SEED.events
        for c in e.citations
        if (c.claimed_occurred or c.claimed_level)
        and not claims.claims(e.occurred, e.damage_level, c.claimed_occurred, c.claimed_level)
    ]
    assert empty == []


# The seed's disagreements (see the head of events.toml): all three are on when a recapture
# happened, and each should make its event contested.
DISPUTED_ON_A_POINT = {FIGHTING_FOR_THE_CITADEL}
DISPUTED_ON_AN_END = {OCCUPATION_OF_PALMYRA, OCCUPATION_OF_THE_CITADEL}


def test_every_claim_in_the_seed_is_one_of_its_disagreements() -> None:
    claiming = {
        str(e.uid)
        for e in SEED.events
        if any(c.claimed_occurred or c.claimed_level for c in e.citations)
    }
    assert claiming == DISPUTED_ON_A_POINT | DISPUTED_ON_AN_END


def test_the_seeded_registry_contests_what_the_articles_dispute(registry: Registry) -> None:
    load_seed(registry)
    contested = {str(e.uid) for e in registry.list_events(confidence="contested")}
    assert contested - DISPUTED_ON_AN_END == DISPUTED_ON_A_POINT


def test_an_occupation_s_end_claimed_inside_its_range_adds_detail_without_contesting(
    registry: Registry,
) -> None:
    # DOMAIN.md: a claimed date conflicts only when its range cannot overlap the event's.
    # An end a day or two earlier lies inside the occupation's range: the sources add
    # detail (shown apart from disagreements), and the occupation is not contested by it.
    load_seed(registry)
    for uid in DISPUTED_ON_AN_END:
        event = registry.get_event(uid)
        kinds = {
            claims.date_claim(event.occurred, citation.claimed_occurred)
            for citation in event.citations
            if citation.claimed_occurred
        }
        assert kinds, uid
        assert claims.ClaimKind.CONFLICTS not in kinds, uid


def test_a_source_reporting_the_recapture_is_not_dated_before_it() -> None:
    # Article 003 reports the liberation of the site as done, so it cannot be dated to the
    # Friday the citadel fell; only a citation claiming an earlier end may be earlier.
    occupation = seed_event(OCCUPATION_OF_PALMYRA)
    recaptured = dates.bounds(occupation.occurred).latest
    published = {source.key: source.published for source in SEED.sources}
    early = []
    for citation in occupation.citations:
        if citation.claimed_occurred or not re.search(
            r"recapture|liberation|full control|retreated|withdrew", citation.quote
        ):
            continue
        bound = dates.bounds(published[citation.source] or "..").earliest
        if bound is None or recaptured is None or bound < recaptured:
            early.append((citation.source, published[citation.source]))
    assert early == []


def test_every_article_is_cited() -> None:
    cited = {citation.source for event in SEED.events for citation in event.citations}
    assert cited == set(SEED.articles)


def test_every_event_has_a_citation_and_every_relative_date_is_resolved() -> None:
    unresolved = []
    for event in SEED.events:
        assert event.citations, f"event {event.uid} has no citation"
        for citation in event.citations:
            if RELATIVE.search(citation.quote) and not citation.date_resolution:
                unresolved.append((str(event.uid), citation.quote))
    assert unresolved == []


def test_the_seed_holds_the_sites_and_monuments_the_articles_name() -> None:
    assert {site.slug for site in SEED.sites} == {"palmyra", "nimrud", "mosul-museum"}
    palmyra = next(site for site in SEED.sites if site.slug == "palmyra")
    assert (palmyra.country, palmyra.unesco_whc_id) == ("SY", 23)
    assert {"ar"} <= {name.lang for name in palmyra.alt_names}
    monuments = {(m.site, m.slug) for m in SEED.monuments}
    assert {
        ("palmyra", "temple-of-bel"),
        ("palmyra", "citadel"),
        ("palmyra", "valley-of-the-tombs"),
    } <= monuments
    citadel = next(m for m in SEED.monuments if m.slug == "citadel")
    assert citadel.built == "12XX"


def test_vague_reports_stay_on_the_site() -> None:
    # "temples were blown up" names no temple: such events must not sit on a monument.
    for event in SEED.events:
        quotes = " ".join(citation.quote for citation in event.citations)
        if re.search(r"\btemples\b", quotes) and event.cause == "explosives":
            assert event.monument is None, event.uid
    assert not [e for e in SEED.events if e.monument == "temple-of-bel"]


def test_loading_twice_changes_nothing(registry: Registry) -> None:
    first = load_seed(registry)
    assert first.added == {
        "sites": 3,
        "monuments": 5,
        "sources": 5,
        "events": len(SEED.events),
        "citations": sum(len(e.citations) for e in SEED.events),
        "changes": 0,
    }
    before = dump(registry.engine)
    second = load_seed(registry)
    assert sum(second.added.values()) == 0
    assert dump(registry.engine) == before


def test_the_seeded_registry_tells_the_citadel_story(registry: Registry) -> None:
    load_seed(registry)
    citadel = registry.list_events(site="palmyra", monument="citadel", cause="occupation")
    assert len(citadel) == 1
    occupation = citadel[0]
    assert occupation.occurred == "2015-05-23/2016-03-25"
    assert {c.source for c in occupation.citations} >= {
        "newarab-2016-03-27",
        "citadel-recaptured-nyt-relay-2016-03",
    }
    assert any(c.claimed_occurred for c in occupation.citations)
    # The soldier's date for the taking of the citadel, two days before the army's.
    (fighting,) = registry.list_events(site="palmyra", monument="citadel", cause="combat")
    assert fighting.confidence is Confidence.CONTESTED
    assert {c.claimed_occurred for c in fighting.citations} >= {"2016-03-23~"}
    assert registry.list_events(site="mosul-museum")[0].cause == "smashing"
    assert {e.cause for e in registry.list_events(site="nimrud")} >= {"explosives"}


def test_a_registry_holding_some_records_is_merged_without_duplicates(registry: Registry) -> None:
    registry.add_site(slug="palmyra", name="Palmyra (our own entry)", country="SY")
    registry.add_source(key="newarab-2016-03-27", title="Our copy", publisher="The New Arab")
    citadel_event = next(
        e for e in SEED.events if e.monument == "citadel" and e.cause == "occupation"
    )
    report = load_seed(registry)
    assert report.existing["sites"] == 1
    assert report.existing["sources"] == 1
    assert report.added["sites"] == 2
    assert registry.get_site("palmyra").name == "Palmyra (our own entry)"
    assert registry.counts()["sites"] == 3
    assert len(registry.get_event(str(citadel_event.uid)).citations) == len(citadel_event.citations)


def _content(registry: Registry) -> Any:
    """The registry's records without the times they were recorded."""
    drop = {"created_at", "updated_at", "recorded_at"}
    events = [
        e.model_dump(mode="json", exclude=drop | {"citations"})
        | {"citations": sorted((c.source, c.quote) for c in e.citations)}
        for e in registry.list_events()
    ]
    return (
        [s.model_dump(mode="json", exclude=drop) for s in registry.list_sites()],
        [m.model_dump(mode="json", exclude=drop) for m in registry.list_monuments()],
        [s.model_dump(mode="json", exclude=drop) for s in registry.list_sources()],
        sorted(events, key=lambda e: e["uid"]),
    )


@st.composite
def seed_parts(draw: st.DrawFn) -> Seed:
    """Any part of the seed that a registry could hold: events with their sources, sites."""
    events = draw(st.lists(st.sampled_from(SEED.events), unique_by=lambda e: e.uid, max_size=6))
    trimmed = [
        e.model_copy(update={"citations": e.citations[: draw(st.integers(1, len(e.citations)))]})
        for e in events
    ]
    keys = {c.source for e in trimmed for c in e.citations}
    slugs = {e.site for e in trimmed} | set(
        draw(st.lists(st.sampled_from([s.slug for s in SEED.sites])))
    )
    # A registry holding an event holds its monument and the monuments its citations mention.
    needed = {(e.site, e.monument) for e in trimmed} | {
        (e.site, slug) for e in trimmed for c in e.citations for slug in c.mentions
    }
    monuments = [
        m
        for m in SEED.monuments
        if m.site in slugs and (draw(st.booleans()) or (m.site, m.slug) in needed)
    ]
    return Seed(
        sites=[s for s in SEED.sites if s.slug in slugs],
        monuments=monuments,
        sources=[s for s in SEED.sources if s.key in keys or draw(st.booleans())],
        events=trimmed,
        articles={},
    )


@pytest.fixture(scope="module")
def fully_seeded(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    target = tmp_path_factory.mktemp("full") / "registry.db"
    shutil.copyfile(sqlite_template, target)
    with Registry.open(f"sqlite:///{target}") as reg:
        load_seed(reg)
        return _content(reg)


@given(part=seed_parts())
def test_seeding_a_registry_that_holds_any_part_of_the_seed_gives_the_seed(
    sqlite_template: Path, tmp_path: Path, part: Seed, fully_seeded: Any
) -> None:
    target = tmp_path / f"{uuid.uuid4().hex}.db"
    shutil.copyfile(sqlite_template, target)
    with Registry.open(f"sqlite:///{target}") as registry:
        registry.merge(
            sites=part.sites, monuments=part.monuments, sources=part.sources, events=part.events
        )
        load_seed(registry)
        assert _content(registry) == fully_seeded
        assert sum(load_seed(registry).added.values()) == 0
