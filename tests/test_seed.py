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

from heritage_registry import Confidence, Registry
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


def collapse(text: str) -> str:
    return " ".join(text.split())


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
    assert occupation.confidence is Confidence.CONTESTED
    assert occupation.occurred == "2015-05-23/2016-03-25"
    assert {c.source for c in occupation.citations} >= {
        "newarab-2016-03-27",
        "citadel-recaptured-nyt-relay-2016-03",
    }
    assert any(c.claimed_occurred for c in occupation.citations)
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
    monuments = [
        m
        for m in SEED.monuments
        if m.site in slugs and (draw(st.booleans()) or any(e.monument == m.slug for e in trimmed))
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
