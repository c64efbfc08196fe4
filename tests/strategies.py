"""Hypothesis strategies for valid registry input, and for values the registry must refuse."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

from hypothesis import strategies as st

from heritage_registry.vocab import Cause, DamageLevel, MonumentKind, SiteKind, SourceType, Stance

slugs = st.from_regex(r"\A[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,3}\Z")

# Text as analysts paste it: any script, but no surrogates or control characters, and
# not only white space (the registry strips surrounding white space).
_text_alphabet = st.characters(blacklist_categories=("Cs", "Cc"))


def text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(_text_alphabet, min_size=1, max_size=max_size).map(str.strip).filter(bool)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


country_codes = st.sampled_from(["SY", "IQ", "YE", "LY", "AF", "ML", "UA", "FR"])
languages = st.sampled_from(["ar", "en", "fr", "ku", "syc", "tr", "en-GB", "ar-SY"])


@st.composite
def edtf_dates(draw: st.DrawFn) -> str:
    """EDTF values of the forms reports give: day, month, year, approximate, intervals."""
    day = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)))
    form = draw(st.sampled_from(["day", "month", "year", "approx", "interval", "open", "before"]))
    if form == "day":
        return day.isoformat()
    if form == "month":
        return day.strftime("%Y-%m")
    if form == "year":
        return day.strftime("%Y")
    if form == "approx":
        return day.strftime("%Y-%m") + draw(st.sampled_from(["~", "?", "%"]))
    later = draw(st.dates(min_value=day, max_value=dt.date(2031, 12, 31)))
    if form == "interval":
        return f"{day.isoformat()}/{later.isoformat()}"
    if form == "open":
        return f"{day.isoformat()}/.."
    return f"../{later.strftime('%Y-%m')}"


coordinates = st.one_of(
    st.just({}),
    st.fixed_dictionaries(
        {
            "latitude": st.floats(-90, 90, allow_nan=False),
            "longitude": st.floats(-180, 180, allow_nan=False),
        }
    ),
)

alt_names = st.lists(st.fixed_dictionaries({"name": text(40), "lang": languages}), max_size=3)


@st.composite
def sites(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "slug": draw(slugs),
        "name": draw(text(200)),
        "country": draw(country_codes),
        "kind": draw(st.sampled_from(SiteKind.values())),
        "location_precision_m": draw(optional(st.floats(0, 100_000, allow_nan=False))),
        "unesco_whc_id": draw(optional(st.integers(1, 1_000_000))),
        "wikidata_qid": draw(optional(st.integers(1, 10**9).map(lambda n: f"Q{n}"))),
        "description": draw(optional(text(500))),
        "alt_names": draw(alt_names),
        **draw(coordinates),
    }


@st.composite
def monuments(draw: st.DrawFn, site: str) -> dict[str, Any]:
    return {
        "site": site,
        "slug": draw(slugs),
        "name": draw(text(200)),
        "kind": draw(st.sampled_from(MonumentKind.values())),
        "built": draw(optional(st.sampled_from(["12XX", "-0878", "0032", "1XXX", "1184/1250"]))),
        "description": draw(optional(text(200))),
        "alt_names": draw(alt_names),
        **draw(coordinates),
    }


@st.composite
def sources(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "key": draw(slugs),
        "title": draw(text(300)),
        "publisher": draw(optional(text(100))),
        "author": draw(optional(text(100))),
        "url": draw(optional(slugs.map(lambda s: f"https://example.org/{s}"))),
        "language": draw(optional(languages)),
        "published": draw(optional(edtf_dates())),
        "source_type": draw(st.sampled_from(SourceType.values())),
        "note": draw(optional(text(200))),
    }


@st.composite
def citations(draw: st.DrawFn, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "quote": draw(text(1000)),
        "location": draw(optional(text(50))),
        "stance": draw(st.sampled_from(Stance.values())),
        "claimed_occurred": draw(optional(edtf_dates())),
        "claimed_level": draw(optional(st.sampled_from(DamageLevel.values()))),
        "date_resolution": draw(optional(text(200))),
    }


@st.composite
def events(draw: st.DrawFn, site: str, monument: str | None, source: str) -> dict[str, Any]:
    return {
        "uid": str(draw(st.uuids(version=4))),
        "site": site,
        "monument": monument,
        "cause": draw(st.sampled_from(Cause.values())),
        "damage_level": draw(st.sampled_from(DamageLevel.values())),
        "occurred": draw(edtf_dates()),
        "actor": draw(optional(text(100))),
        "description": draw(optional(text(500))),
        "citations": draw(st.lists(citations(source), min_size=1, max_size=3)),
    }


# Values each field must refuse, with the words the error names.
invalid_site_fields = st.sampled_from(
    [
        ({"latitude": 91.0, "longitude": 0.0}, "latitude"),
        ({"latitude": 0.0, "longitude": -180.5}, "longitude"),
        ({"latitude": 10.0}, "both latitude and longitude"),
        ({"country": "XX"}, "ISO 3166-1"),
        ({"country": "Syria"}, "ISO 3166-1"),
        ({"kind": "castle"}, "unknown kind"),
        ({"slug": "Palmyra"}, "slug"),
        ({"slug": "-x"}, "slug"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "at most 200"),
        ({"wikidata_qid": "5859"}, "Wikidata"),
        ({"unesco_whc_id": 0}, "unesco_whc_id"),
        ({"alt_names": [{"name": "Tadmur", "lang": "!!"}]}, "BCP 47"),
    ]
)

invalid_event_fields = st.sampled_from(
    [
        ({"occurred": "2015-13"}, "not an EDTF date"),
        ({"occurred": "May 2015"}, "not an EDTF date"),
        ({"occurred": "2016/2015"}, "ends before it starts"),
        ({"cause": "bombing"}, "unknown cause"),
        ({"damage_level": "total"}, "unknown damage level"),
        ({"citations": []}, "citations"),
        ({"citations": [{"source": "s", "quote": ""}]}, "quote"),
        ({"citations": [{"source": "s", "quote": " \n\t "}]}, "quote: must not be empty"),
        ({"citations": [{"source": "s", "quote": "q", "stance": "maybe"}]}, "unknown stance"),
        ({"uid": "not-a-uuid"}, "uid"),
        ({"description": "d" * 5001}, "at most 5000"),
    ]
)

ascii_noise = st.text(string.printable, max_size=30)


@st.composite
def registry_contents(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    """A small registry: sites, their monuments, sources, and events citing them."""
    site_list = draw(st.lists(sites(), min_size=1, max_size=3, unique_by=lambda s: s["slug"]))
    slugs = [site["slug"] for site in site_list]
    monument_list = []
    for site in slugs:
        found = draw(st.lists(monuments(site), max_size=2, unique_by=lambda m: m["slug"]))
        monument_list.extend(found)
    source_list = draw(st.lists(sources(), min_size=1, max_size=3, unique_by=lambda s: s["key"]))
    keys = [source["key"] for source in source_list]
    event_list = []
    for _ in range(draw(st.integers(0, 4))):
        site = draw(st.sampled_from(slugs))
        own = [m["slug"] for m in monument_list if m["site"] == site]
        monument = draw(st.sampled_from([None, *own]))
        event = draw(events(site, monument, keys[0]))
        event["citations"] = [
            draw(citations(draw(st.sampled_from(keys)))) for _ in event["citations"]
        ]
        event_list.append(event)
    return {
        "sites": site_list,
        "monuments": monument_list,
        "sources": source_list,
        "events": event_list,
    }
