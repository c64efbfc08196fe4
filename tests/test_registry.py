"""The library API on each engine: add, get and list, the errors, and atomic writes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from heritage_registry import (
    Confidence,
    DuplicateKey,
    DuplicateSlug,
    DuplicateUid,
    EventNotFound,
    InvalidRecord,
    MonumentNotFound,
    Registry,
    SiteCreate,
    SiteNotFound,
    SourceNotFound,
)
from tests.helpers import dump

QUOTE = "had taken over the citadel on May 23 last year"


@pytest.fixture
def palmyra(registry: Registry) -> Registry:
    registry.add_site(
        slug="palmyra",
        name="Palmyra",
        country="SY",
        latitude=34.55,
        longitude=38.27,
        unesco_whc_id=23,
        alt_names=[{"name": "تدمر", "lang": "ar"}, {"name": "Tadmur", "lang": "en"}],
    )
    registry.add_monument(
        site="palmyra", slug="citadel", name="Citadel", kind="citadel", built="12XX"
    )
    registry.add_source(
        key="newarab", title="Palmyra recaptured", publisher="The New Arab", published="2016-03-27"
    )
    registry.add_source(
        key="ians", title="Syrian army retakes Palmyra", publisher="IANS", published="2016-03-27"
    )
    registry.add_source(key="ians-2", title="Another IANS wire", publisher="ians ")
    return registry


def occupation(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "site": "palmyra",
        "monument": "citadel",
        "cause": "occupation",
        "damage_level": "unknown",
        "occurred": "2015-05-23/2016-03-25",
        "actor": "Islamic State",
        "source": "newarab",
        "quote": QUOTE,
    }
    return fields | overrides


def test_the_notebook_example_is_this_short(sqlite_url: str) -> None:
    reg = Registry.open(sqlite_url)
    site = reg.add_site(slug="palmyra", name="Palmyra", country="SY")
    assert site.slug == "palmyra"
    assert reg.get_site("palmyra") == site
    reg.close()


def test_site_round_trip_keeps_every_field(palmyra: Registry) -> None:
    site = palmyra.get_site("palmyra")
    assert site.model_dump(exclude={"created_at", "updated_at"}) == {
        "slug": "palmyra",
        "name": "Palmyra",
        "country": "SY",
        "kind": "archaeological_site",
        "latitude": 34.55,
        "longitude": 38.27,
        "location_precision_m": None,
        "unesco_whc_id": 23,
        "wikidata_qid": None,
        "description": None,
        "alt_names": [{"name": "تدمر", "lang": "ar"}, {"name": "Tadmur", "lang": "en"}],
    }
    assert site.created_at.tzinfo is not None


def test_a_create_model_is_accepted_as_well_as_fields(registry: Registry) -> None:
    created = registry.add_site(SiteCreate(slug="nimrud", name="Nimrud", country="iq"))
    assert created.country == "IQ"
    with pytest.raises(InvalidRecord, match="not both"):
        registry.add_site(SiteCreate(slug="x", name="X", country="IQ"), name="Y")


def test_monument_keeps_its_construction_years(palmyra: Registry) -> None:
    monument = palmyra.get_monument("palmyra", "citadel")
    assert (monument.site, monument.built, monument.built_from_year, monument.built_to_year) == (
        "palmyra",
        "12XX",
        1200,
        1299,
    )


def test_source_derives_its_publication_bounds(palmyra: Registry) -> None:
    source = palmyra.get_source("newarab")
    assert source.published_earliest == source.published_latest == dt.date(2016, 3, 27)


def test_event_is_stored_with_its_citation_and_bounds(palmyra: Registry) -> None:
    event = palmyra.add_event(**occupation())
    assert event.earliest == dt.date(2015, 5, 23)
    assert event.latest == dt.date(2016, 3, 25)
    assert event.monument == "citadel"
    assert [(c.source, c.quote, c.stance) for c in event.citations] == [
        ("newarab", QUOTE, "supports")
    ]
    assert event.confidence is Confidence.SINGLE_SOURCE
    assert palmyra.get_event(event.uid) == event


def test_confidence_is_derived_from_citations(palmyra: Registry) -> None:
    event = palmyra.add_event(**occupation())
    # Another source of the same publisher (case and spacing aside) is not independent.
    assert palmyra.cite(event.uid, source="newarab", quote="again").confidence == "single_source"
    assert palmyra.cite(event.uid, source="ians", quote="fell").confidence == "corroborated"
    # A known level claimed for an event at `unknown` informs it; it does not contest it.
    assert (
        palmyra.cite(event.uid, source="ians-2", quote="x", claimed_level="destroyed").confidence
        == "corroborated"
    )
    # A date whose range cannot overlap the event's conflicts with it.
    assert (
        palmyra.cite(event.uid, source="ians-2", quote="y", claimed_occurred="2014").confidence
        == "contested"
    )


def test_a_disputing_citation_contests_the_event(palmyra: Registry) -> None:
    event = palmyra.add_event(**occupation())
    disputed = palmyra.cite(event.uid, source="ians", quote="no such thing", stance="disputes")
    assert disputed.confidence is Confidence.CONTESTED


def test_a_different_claimed_date_contests_the_event(palmyra: Registry) -> None:
    event = palmyra.add_event(**occupation())
    same = palmyra.cite(
        event.uid, source="ians", quote="q", claimed_occurred="2015-05-23/2016-03-25"
    )
    assert same.confidence is Confidence.CORROBORATED
    # A claim whose range lies inside the event's refines it and does not contest it.
    inside = palmyra.cite(event.uid, source="ians", quote="r", claimed_occurred="2015-06")
    assert inside.confidence is Confidence.CORROBORATED
    # One that cannot overlap it conflicts.
    other = palmyra.cite(event.uid, source="ians", quote="s", claimed_occurred="2015-04")
    assert other.confidence is Confidence.CONTESTED


def test_events_list_in_date_order_with_filters(palmyra: Registry) -> None:
    late = palmyra.add_event(
        **occupation(
            monument=None, cause="explosives", damage_level="destroyed", occurred="2015-08~"
        )
    )
    open_start = palmyra.add_event(
        **occupation(monument=None, cause="looting", occurred="../2016-03")
    )
    early = palmyra.add_event(**occupation())
    assert [e.uid for e in palmyra.list_events()] == [open_start.uid, early.uid, late.uid]
    assert [e.uid for e in palmyra.list_events(cause="explosives")] == [late.uid]
    assert [e.uid for e in palmyra.list_events(site="palmyra", monument="citadel")] == [early.uid]
    assert [e.uid for e in palmyra.list_events(since="2015-09")] == [open_start.uid, early.uid]
    assert [e.uid for e in palmyra.list_events(until="2015-04")] == [open_start.uid]
    assert [e.uid for e in palmyra.list_events(damage_level="destroyed")] == [late.uid]
    assert palmyra.list_events(confidence="corroborated") == []


def test_lists_are_ordered_by_slug(palmyra: Registry) -> None:
    palmyra.add_site(slug="mosul-museum", name="Mosul Museum", country="IQ", kind="museum")
    palmyra.add_site(slug="nimrud", name="Nimrud", country="IQ")
    assert [s.slug for s in palmyra.list_sites()] == ["mosul-museum", "nimrud", "palmyra"]
    assert [s.slug for s in palmyra.list_sites(country="iq")] == ["mosul-museum", "nimrud"]
    assert [s.slug for s in palmyra.list_sites(kind="museum")] == ["mosul-museum"]
    assert [m.slug for m in palmyra.list_monuments(site="palmyra")] == ["citadel"]
    assert [s.key for s in palmyra.list_sources()] == ["ians", "ians-2", "newarab"]


def test_list_sources_of_a_site_are_those_cited_on_it(palmyra: Registry) -> None:
    palmyra.add_event(**occupation())
    assert [s.key for s in palmyra.list_sources(site="palmyra")] == ["newarab"]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda r: r.add_site(slug="palmyra", name="P", country="SY"),
            DuplicateSlug,
            "site with slug 'palmyra' exists already",
        ),
        (
            lambda r: r.add_site(slug="x", name="X", country="ZZ"),
            InvalidRecord,
            "'ZZ' is not an ISO 3166-1 alpha-2",
        ),
        (
            lambda r: r.add_site(slug="x", name="X", country="SY", latitude=91, longitude=0),
            InvalidRecord,
            "latitude",
        ),
        (
            lambda r: r.add_site(slug="Not A Slug", name="X", country="SY"),
            InvalidRecord,
            "lower-case letters",
        ),
        (
            lambda r: r.add_site(slug="x", name="X" * 201, country="SY"),
            InvalidRecord,
            "at most 200 characters",
        ),
        (
            lambda r: r.add_site(slug="x", name="X", country="SY", alt_names=["Tadmur"]),
            InvalidRecord,
            "alt_names",
        ),
        (
            lambda r: r.add_monument(site="palmira", slug="x", name="X", kind="temple"),
            SiteNotFound,
            "did you mean 'palmyra'",
        ),
        (
            lambda r: r.add_monument(site="palmyra", slug="citadel", name="X", kind="citadel"),
            DuplicateSlug,
            "has a monument with slug 'citadel'",
        ),
        (
            lambda r: r.add_monument(site="palmyra", slug="x", name="X", kind="castle"),
            InvalidRecord,
            "unknown kind 'castle'; choose one of: temple",
        ),
        (
            lambda r: r.add_monument(
                site="palmyra", slug="x", name="X", kind="temple", built="soon"
            ),
            InvalidRecord,
            "not an EDTF date",
        ),
        (
            lambda r: r.add_source(key="newarab", title="T"),
            DuplicateKey,
            "source with key 'newarab'",
        ),
        (
            lambda r: r.add_source(key="k", title="T", url="ftp://x"),
            InvalidRecord,
            "not a web address",
        ),
        (
            lambda r: r.add_source(key="k", title="T", language="not a language"),
            InvalidRecord,
            "BCP 47",
        ),
        (
            lambda r: r.add_event(**occupation(cause="bombing")),
            InvalidRecord,
            "unknown cause 'bombing'; choose one of: explosives, demolition",
        ),
        (
            lambda r: r.add_event(**occupation(damage_level="total")),
            InvalidRecord,
            "unknown damage level 'total'",
        ),
        (
            lambda r: r.add_event(**occupation(occurred="2015-13")),
            InvalidRecord,
            "'2015-13' is not an EDTF date",
        ),
        (
            lambda r: r.add_event(**occupation(quote="   ")),
            InvalidRecord,
            "quote: must not be empty",
        ),
        (
            lambda r: r.add_event(**occupation(source="newarb")),
            SourceNotFound,
            "no source 'newarb'; did you mean 'newarab'",
        ),
        (
            lambda r: r.add_event(**occupation(monument="citadell")),
            MonumentNotFound,
            "in site 'palmyra'; did you mean 'citadel'",
        ),
        (lambda r: r.add_event(**occupation(site="nowhere")), SiteNotFound, "no site 'nowhere'"),
        (
            lambda r: r.add_event(**occupation(source=None, quote=None) | {"citations": []}),
            InvalidRecord,
            "citations",
        ),
        (
            lambda r: r.add_event(**occupation(stance="denies")),
            InvalidRecord,
            "unknown stance 'denies'",
        ),
        (lambda r: r.add_event(**occupation(colour="red")), InvalidRecord, "colour: unknown field"),
        (lambda r: r.cite("0000", source="newarab", quote="q"), EventNotFound, "no event '0000'"),
        (lambda r: r.list_events(since="last year"), InvalidRecord, "invalid date filter"),
        (lambda r: r.list_events(cause="bombing"), InvalidRecord, "invalid filter"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    palmyra: Registry, call: Any, error: type[Exception], message: str
) -> None:
    before = dump(palmyra.engine)
    with pytest.raises(error, match=message.replace("(", r"\(").replace("[", r"\[")):
        call(palmyra)
    assert dump(palmyra.engine) == before


def test_an_event_with_a_bad_second_citation_writes_nothing(palmyra: Registry) -> None:
    before = dump(palmyra.engine)
    with pytest.raises(SourceNotFound):
        palmyra.add_event(
            site="palmyra",
            cause="looting",
            damage_level="unknown",
            occurred="2015",
            citations=[
                {"source": "newarab", "quote": "looted relics"},
                {"source": "missing", "quote": "q"},
            ],
        )
    assert dump(palmyra.engine) == before


def test_a_given_uid_is_kept_and_cannot_be_reused(palmyra: Registry) -> None:
    uid = "3f1d7c1e-2f0a-4d5e-9d1c-8a6b5e4f3a21"
    assert palmyra.add_event(**occupation(uid=uid)).uid == uid
    with pytest.raises(DuplicateUid, match=uid):
        palmyra.add_event(**occupation(uid=uid))


def test_counts(palmyra: Registry) -> None:
    palmyra.add_event(**occupation())
    assert palmyra.counts() == {
        "sites": 1,
        "monuments": 1,
        "sources": 3,
        "events": 1,
        "citations": 1,
        # The creation of each record.
        "changes": 6,
    }
