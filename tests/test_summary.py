"""Per-site damage summaries: content, JSON schema, escaping, determinism, edge cases."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa

from heritage_registry import Registry
from heritage_registry.claims import ClaimKind, claims
from heritage_registry.seed import load_seed, read_seed
from heritage_registry.summary import (
    EXTENSIONS,
    FORMATS,
    SiteSummary,
    build_summary,
    describe,
    render,
    schema_path,
    site_filename,
    summarize,
    write_all,
)
from heritage_registry.summary.render import md_escape
from heritage_registry.vocab import (
    Cause,
    Confidence,
    DamageLevel,
    MonumentKind,
    SiteKind,
    SourceType,
    Stance,
)

SEED = read_seed()
SEEDED_SITES = ("palmyra", "nimrud", "mosul-museum")
SCHEMA = json.loads(schema_path().read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
CITADEL_OCCUPATION = "93b66f46-7152-4ee7-a52a-ae762d28f389"
CITADEL_COMBAT = "1d369121-cf74-4814-83e2-baf4a2cb85e8"
PALMYRA_OCCUPATION = "3006cef2-57e9-44a2-a1d2-b4ccda24ae0c"
PALMYRA_MINES = "28e70adf-5ed6-4488-aa4b-3079c01a5079"
XSS = "<script>alert(1)</script>"


def collapse(text: str) -> str:
    return " ".join(text.split())


def valid(summary: SiteSummary) -> dict[str, Any]:
    """The summary's JSON, parsed, after checking it against the shipped schema."""
    data: dict[str, Any] = json.loads(render(summary, "json"))
    VALIDATOR.validate(data)
    return data


@pytest.fixture(scope="module")
def seeded(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """One seeded SQLite registry shared by the read-only tests of this module."""
    path = tmp_path_factory.mktemp("seeded") / "registry.db"
    shutil.copyfile(sqlite_template, path)
    registry = Registry.open(f"sqlite:///{path}")
    load_seed(registry)
    try:
        yield registry
    finally:
        registry.close()


@pytest.fixture(scope="module")
def texts(seeded: Registry) -> dict[str, str]:
    return {slug: render(build_summary(seeded, slug), "text") for slug in SEEDED_SITES}


def add_place(
    registry: Registry, slug: str = "tell-x", *, sources: bool = True, **site: Any
) -> Registry:
    """A small site with one monument, and two sources of different publishers."""
    registry.add_site(
        {"slug": slug, "name": "Tell X", "country": "IQ", "kind": "archaeological_site"} | site
    )
    registry.add_monument(site=slug, slug="gate", name="North gate", kind="city_wall")
    for key, publisher in (("src-a", "Agency A"), ("src-b", "Agency B")) if sources else ():
        registry.add_source(key=key, title=f"Report {key}", publisher=publisher, published="2016")
    return registry


# The seeded sites ------------------------------------------------------------------


def test_palmyra_text_shows_its_monuments_the_citadel_dispute_and_every_citation(
    texts: dict[str, str],
) -> None:
    text = texts["palmyra"]
    for name in ("Temple of Bel", "Palmyra citadel", "Valley of the Tombs"):
        assert name in text
    assert "valley-of-the-tombs" in text
    # The fighting for the citadel, and the soldier's account whose date conflicts with it.
    flat = collapse(text)
    assert "[10] 23 May 2015 - 25 March 2016 | occupation | level unknown | Palmyra citadel" in flat
    disagreement = flat[flat.index("Where sources disagree") : flat.index("What sources add")]
    assert (
        "[16] combat, Palmyra citadel, about 25 March 2016: sources disagree on when it happened"
        in disagreement
    )
    assert (
        "about 23 March 2016 [EDTF 2016-03-23~]: citadel-recaptured-nyt-relay-2016-03"
        in disagreement
    )
    assert "[EDTF 2016-03-25~; recorded]: army-takes-palmyra-citadel-2016-03" in disagreement
    # The soldier's end of the occupation overlaps the event's range: detail, not dispute.
    assert "occupation" not in disagreement
    added = flat[flat.index("What sources add") : flat.index("Sources ------")]
    assert (
        "[10] occupation, Palmyra citadel, 23 May 2015 - 25 March 2016: * source "
        "citadel-recaptured-nyt-relay-2016-03 dates it until about 23 March 2016 (start unknown) "
        "[EDTF /2016-03-23~] (overlapping the event's 23 May 2015 - 25 March 2016)" in added
    )
    assert_every_citation_shown("palmyra", text)


@pytest.mark.parametrize(
    ("slug", "expected"),
    [
        ("nimrud", ["Nimrud", "before April 2015", "explosives", "cause unknown", "destroyed"]),
        (
            "mosul-museum",
            ["Mosul Museum", "Statue collection", "February 2015", "smashing", "destroyed"],
        ),
    ],
)
def test_nimrud_and_the_mosul_museum_show_their_events_and_citations(
    texts: dict[str, str], slug: str, expected: list[str]
) -> None:
    for words in expected:
        assert words in texts[slug]
    assert_every_citation_shown(slug, texts[slug])


def assert_every_citation_shown(slug: str, text: str) -> None:
    flat = collapse(text)
    events = [event for event in SEED.events if event.site == slug]
    assert events
    for event in events:
        assert str(event.uid) in flat
        for citation in event.citations:
            assert collapse(f'"{citation.quote}"') in flat
            assert citation.source in flat


@pytest.mark.parametrize("slug", SEEDED_SITES)
def test_text_fits_100_columns_and_has_no_colour(texts: dict[str, str], slug: str) -> None:
    long = [line for line in texts[slug].splitlines() if len(line) > 100]
    assert long == []
    assert "\x1b" not in texts[slug]


def test_worst_levels_of_the_seeded_sites_and_monuments(seeded: Registry) -> None:
    palmyra = build_summary(seeded, "palmyra")
    assert palmyra.worst_level is DamageLevel.DESTROYED
    levels = {m.slug: (m.worst_level.value, m.event_count) for m in palmyra.monuments}
    assert levels == {
        "citadel": ("unknown", 2),
        "military-prison": ("destroyed", 2),
        "temple-of-bel": ("unknown", 0),
        "valley-of-the-tombs": ("unknown", 1),
    }
    # The seed claims no level: no source says worse than what is recorded.
    assert palmyra.worst_claimed_level is None
    assert all(m.worst_claimed_level is None for m in palmyra.monuments)
    assert build_summary(seeded, "mosul-museum").worst_level is DamageLevel.DESTROYED
    period = build_summary(seeded, "nimrud").period
    assert (period.earliest, period.latest, period.open_start) == (None, dt.date(2015, 4, 30), True)


def test_the_temple_of_bel_points_at_the_mines_that_mention_it(seeded: Registry) -> None:
    summary = build_summary(seeded, "palmyra")
    temple = next(m for m in summary.monuments if m.slug == "temple-of-bel")
    assert temple.mentioned_in == [PALMYRA_MINES]
    assert (temple.events, temple.event_count) == ([], 0)
    assert temple.worst_level is DamageLevel.UNKNOWN  # the mines are not the temple's
    number = summary.event_numbers()[PALMYRA_MINES]
    mines = "May 2015 - 27 March 2016: mining, level unknown, corroborated"
    text = render(summary, "text")
    own = text[text.index("Temple of Bel (temple-of-bel)") :]
    own = own[: own.index("\n\n")]
    assert f"Mentioned in (not its own events):\n  [{number:>2}] {mines}; Palmyra" in own
    markdown = render(summary, "markdown")
    own = markdown[markdown.index("### Temple of Bel") :]
    assert own.startswith(
        f"### Temple of Bel\n\nMentioned in (not its own events):\n\n- [{number}] {mines}; "
    )
    html = render(summary, "html")
    row = html[html.index('<tr id="monument-temple-of-bel">') :]
    row = row[: row.index("</tr>")]
    assert (
        f'<td data-label="Mentioned in"><span><a href="#event-{number}">{number}</a></span></td>'
        in row
    )
    data = valid(summary)
    temple_json = next(m for m in data["monuments"] if m["slug"] == "temple-of-bel")
    assert temple_json["mentioned_in"] == [PALMYRA_MINES]


def test_the_citadel_conflict_names_each_value_with_its_sources(seeded: Registry) -> None:
    summary = build_summary(seeded, "palmyra")
    conflicts = {(c.event, c.field): c for c in summary.conflicts}
    citadel = conflicts[(CITADEL_COMBAT, "occurred")]
    assert [(c.value, c.recorded, c.sources) for c in citadel.claims] == [
        (
            "2016-03-25~",
            True,
            [
                "army-takes-palmyra-citadel-2016-03",
                "newarab-2016-03-27",
                "citadel-recaptured-nyt-relay-2016-03",
            ],
        ),
        ("2016-03-23~", False, ["citadel-recaptured-nyt-relay-2016-03"]),
    ]
    # Only claims that conflict by meaning (heritage_registry.claims) are disagreements.
    made = {
        str(e.uid): [
            claim.kind
            for c in e.citations
            for claim in claims(e.occurred, e.damage_level, c.claimed_occurred, c.claimed_level)
        ]
        for e in SEED.events
        if e.site == "palmyra"
    }
    assert {event for event, _ in conflicts} == {
        uid for uid, kinds in made.items() if ClaimKind.CONFLICTS in kinds
    }
    assert {a.event for a in summary.additions} == {
        uid for uid, kinds in made.items() if {ClaimKind.REFINES, ClaimKind.INFORMS} & set(kinds)
    }
    assert [(a.event, a.field, a.kind.value, a.value, a.sources) for a in summary.additions] == [
        (
            PALMYRA_OCCUPATION,
            "occurred",
            "refines",
            "2015-05/2016-03-26~",
            ["army-takes-palmyra-citadel-2016-03"],
        ),
        (
            CITADEL_OCCUPATION,
            "occurred",
            "informs",
            "/2016-03-23~",
            ["citadel-recaptured-nyt-relay-2016-03"],
        ),
    ]


def test_events_follow_the_library_order_and_monuments_list_their_own(seeded: Registry) -> None:
    summary = build_summary(seeded, "palmyra")
    assert [e.uid for e in summary.events] == [e.uid for e in seeded.list_events(site="palmyra")]
    on_monuments = {uid for m in summary.monuments for uid in m.events}
    assert on_monuments.isdisjoint(summary.site_wide_events)
    assert len(on_monuments) + len(summary.site_wide_events) == summary.counts.events
    assert {s.key for s in summary.sources} == {
        c.source for e in summary.events for c in e.citations
    }


def test_build_summary_of_an_unknown_site_says_which_exist(seeded: Registry) -> None:
    from heritage_registry import SiteNotFound

    with pytest.raises(SiteNotFound, match="palmyra"):
        build_summary(seeded, "palmira")


# JSON and its schema, on each engine -------------------------------------------------


def test_every_seeded_summary_validates_and_its_counts_add_up(registry: Registry) -> None:
    load_seed(registry)
    for slug in SEEDED_SITES:
        data = valid(build_summary(registry, slug))
        counts = data["counts"]
        assert counts["events"] == len(data["events"]) == len(registry.list_events(site=slug))
        for breakdown in ("by_cause", "by_level", "by_confidence"):
            assert sum(counts[breakdown].values()) == counts["events"]
        assert counts["on_monuments"] + counts["site_wide"] == counts["events"]
        assert counts["citations"] == sum(len(e["citations"]) for e in data["events"])
        assert counts["sources"] == len(data["sources"])
        assert (counts["retracted"], counts["merged"]) == (0, 0)
        assert data["site"]["slug"] == slug


def test_the_json_keeps_the_contract_field_names(seeded: Registry) -> None:
    data = valid(build_summary(seeded, "palmyra"))
    assert set(data) >= {
        "site", "worst_level", "period", "counts", "monuments", "events", "sources", "conflicts"
    }  # fmt: skip
    assert set(data["site"]) >= {
        "slug", "name", "country", "kind", "latitude", "longitude", "unesco_whc_id",
        "wikidata_qid", "alt_names",
    }  # fmt: skip
    assert set(data["period"]) >= {"earliest", "latest"}
    assert set(data["counts"]) >= {"events", "by_cause", "by_level", "by_confidence"}
    assert set(data["monuments"][0]) >= {"slug", "name", "kind", "worst_level", "event_count"}
    event = data["events"][0]
    assert set(event) >= {
        "uid", "monument", "cause", "damage_level", "occurred", "earliest", "latest", "actor",
        "description", "confidence", "citations",
    }  # fmt: skip
    assert set(event["citations"][0]) >= {
        "source", "quote", "stance", "claimed_occurred", "claimed_level"
    }  # fmt: skip
    assert set(data["sources"][0]) >= {"key", "title", "publisher", "published", "url"}
    assert set(data["conflicts"][0]) >= {"event", "field", "claims"}
    assert set(data["conflicts"][0]["claims"][0]) >= {"value", "sources"}
    assert set(data["additions"][0]) >= {"event", "field", "kind", "value", "sources"}
    assert set(event["citations"][0]) >= {"via", "mentions", "claims"}
    assert set(event) >= {"merged_into", "merged_at", "merge_reason"}
    assert {"worst_claimed_level", "mentioned_in"} <= set(data["monuments"][0])
    assert "worst_claimed_level" in data
    assert set(data["counts"]) >= {"sources", "retracted", "merged"}
    assert "relays" in data["sources"][0]
    assert data["site"]["unesco_whc_id"] == 23


def _enums(schema: dict[str, Any], definition: str, *path: str) -> list[str]:
    node = schema["$defs"][definition]
    for key in path:
        node = node[key]
    return [value for value in node["enum"] if value is not None]


def test_the_schema_enums_are_the_vocabularies() -> None:
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert _enums(SCHEMA, "damage_level") == DamageLevel.values()
    assert _enums(SCHEMA, "event", "properties", "cause") == Cause.values()
    assert _enums(SCHEMA, "event", "properties", "confidence") == Confidence.values()
    assert _enums(SCHEMA, "site", "properties", "kind") == SiteKind.values()
    assert _enums(SCHEMA, "monument", "properties", "kind") == MonumentKind.values()
    assert _enums(SCHEMA, "citation", "properties", "stance") == Stance.values()
    assert _enums(SCHEMA, "citation", "properties", "claimed_level") == DamageLevel.values()
    assert _enums(SCHEMA, "claim_kind") == ClaimKind.values()
    assert _enums(SCHEMA, "citation_claim", "properties", "field") == ["occurred", "damage_level"]
    assert _enums(SCHEMA, "addition", "properties", "kind") == ["refines", "informs"]
    assert "merged" in _enums(SCHEMA, "event", "properties", "confidence")
    assert _enums(SCHEMA, "source", "properties", "source_type") == SourceType.values()
    for name in ("by_cause", "by_level", "by_confidence"):
        assert SCHEMA["$defs"]["counts"]["properties"][name]["additionalProperties"] is False


def test_the_schema_rejects_what_the_contract_forbids(seeded: Registry) -> None:
    data = valid(build_summary(seeded, "palmyra"))
    broken = json.loads(json.dumps(data))
    broken["events"][0]["damage_level"] = "obliterated"
    assert not VALIDATOR.is_valid(broken)
    extra = json.loads(json.dumps(data))
    extra["site"]["surprise"] = 1
    assert not VALIDATOR.is_valid(extra)


# Edge cases, every format -------------------------------------------------------------


def _no_events(registry: Registry) -> str:
    add_place(registry)
    return "tell-x"


def _site_wide_only(registry: Registry) -> str:
    add_place(registry)
    registry.add_event(
        site="tell-x", cause="looting", damage_level="moderate", occurred="2016-05",
        source="src-a", quote="Looters dug pits across the mound.",
    )  # fmt: skip
    return "tell-x"


def _open_ended(registry: Registry) -> str:
    add_place(registry)
    registry.add_event(
        site="tell-x", monument="gate", cause="explosives", damage_level="destroyed",
        occurred="../2015-04", source="src-a", quote="The gate was blown up before April.",
    )  # fmt: skip
    registry.add_event(
        site="tell-x", cause="occupation", damage_level="unknown", occurred="2015-05-23/..",
        source="src-b", quote="Fighters have held the site since 23 May 2015.",
    )  # fmt: skip
    return "tell-x"


def _contested(registry: Registry) -> str:
    add_place(registry)
    registry.add_event(
        site="tell-x", monument="gate", cause="demolition", damage_level="severe",
        occurred="2015-04~",
        citations=[
            {"source": "src-a", "quote": "The gate was bulldozed in April."},
            {"source": "src-b", "quote": "Only part of the gate fell.", "claimed_level": "minor"},
        ],
    )  # fmt: skip
    registry.add_event(
        site="tell-x", cause="fire", damage_level="minor", occurred="2015-06-01",
        citations=[
            {"source": "src-a", "quote": "A fire burned the storerooms."},
            {"source": "src-b", "quote": "No fire reached the site.", "stance": "disputes"},
        ],
    )  # fmt: skip
    return "tell-x"


CASES: dict[str, Callable[[Registry], str]] = {
    "no-events": _no_events,
    "site-wide-only": _site_wide_only,
    "open-ended": _open_ended,
    "contested": _contested,
}


@pytest.fixture(scope="module", params=list(CASES))
def case(
    request: pytest.FixtureRequest,
    sqlite_template: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[str, SiteSummary]:
    """Each edge case's summary, built once for all the formats."""
    path = tmp_path_factory.mktemp(request.param) / "registry.db"
    shutil.copyfile(sqlite_template, path)
    with Registry.open(f"sqlite:///{path}") as registry:
        return request.param, build_summary(registry, CASES[request.param](registry))


@pytest.fixture
def sqlite_url_migrated(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "registry.db"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.mark.parametrize("output_format", FORMATS)
def test_each_format_renders_each_edge_case(
    case: tuple[str, SiteSummary], output_format: str
) -> None:
    name, summary = case
    output = render(summary, output_format)
    assert output.endswith("\n")
    assert "Tell X" in output
    if output_format == "json":
        valid(summary)
    if output_format == "text":
        assert max(len(line) for line in output.splitlines()) <= 100
    if output_format == "html":
        assert output.startswith("<!DOCTYPE html>")
        assert ('<ol class="tl-rows"' in output) == (name != "no-events")
    if name == "no-events" and output_format != "json":
        assert "No events recorded" in output
    if name == "open-ended" and output_format != "json":
        assert "before April 2015" in output
        assert "after 23 May 2015" in output


def test_the_edge_cases_summarise_as_defined(sqlite_url_migrated: str) -> None:
    with Registry.open(sqlite_url_migrated) as registry:
        slug = _no_events(registry)
        empty = build_summary(registry, slug)
    assert empty.worst_level is DamageLevel.UNKNOWN
    assert (empty.period.earliest, empty.period.latest) == (None, None)
    assert empty.counts.events == 0
    assert empty.sources == []
    assert empty.conflicts == []
    assert [m.event_count for m in empty.monuments] == [0]


def test_site_wide_events_are_kept_apart(sqlite_url_migrated: str) -> None:
    with Registry.open(sqlite_url_migrated) as registry:
        summary = build_summary(registry, _site_wide_only(registry))
    assert summary.monuments[0].event_count == 0
    assert summary.monuments[0].worst_level is DamageLevel.UNKNOWN
    assert len(summary.site_wide_events) == 1
    assert summary.worst_level is DamageLevel.MODERATE
    assert summary.period.earliest == dt.date(2016, 5, 1)


def test_open_ended_dates_leave_the_period_open(sqlite_url_migrated: str) -> None:
    with Registry.open(sqlite_url_migrated) as registry:
        summary = build_summary(registry, _open_ended(registry))
    period = summary.period
    assert (period.earliest, period.latest) == (dt.date(2015, 5, 23), dt.date(2015, 4, 30))
    assert period.open_start
    assert period.open_end
    assert [e.occurred_label for e in summary.events] == ["before April 2015", "after 23 May 2015"]
    html = render(summary, "html")
    # Both open ends fade out: a gradient from transparent on either side.
    assert "linear-gradient(to right, rgba(103,0,13,0) 0%, rgba(103,0,13,1) 45%, " in html
    assert re.search(r"rgba\(150,150,150,1\) [0-9.]+%, rgba\(150,150,150,0\) 100%\)", html)


def test_disputes_and_claimed_levels_are_conflicts(sqlite_url_migrated: str) -> None:
    with Registry.open(sqlite_url_migrated) as registry:
        summary = build_summary(registry, _contested(registry))
    found = {
        (c.field, tuple((cl.value, tuple(cl.sources)) for cl in c.claims))
        for c in summary.conflicts
    }
    assert found == {
        ("damage_level", (("severe", ("src-a",)), ("minor", ("src-b",)))),
        ("event", (("supports", ("src-a",)), ("disputes", ("src-b",)))),
    }
    assert summary.counts.by_confidence["contested"] == 2
    text = collapse(render(summary, "text"))
    assert "sources disagree on the damage level" in text
    assert "sources disagree on whether it happened" in text


def test_retracted_events_are_listed_but_not_counted_nor_worst(seeded: Registry) -> None:
    site = seeded.get_site("mosul-museum")
    events = seeded.list_events(site="mosul-museum")
    retracted = events[0].model_copy(
        update={
            "retracted_at": dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
            "retraction_reason": "misattributed video",
            "confidence": Confidence.RETRACTED,
        }
    )
    summary = summarize(
        site, seeded.list_monuments(site="mosul-museum"), [retracted],
        seeded.list_sources(site="mosul-museum"),
    )  # fmt: skip
    assert summary.worst_level is DamageLevel.UNKNOWN
    assert (summary.counts.events, summary.counts.retracted) == (0, 1)
    assert (summary.counts.citations, summary.counts.sources) == (0, 0)
    assert "retracted" not in summary.counts.by_confidence
    assert "merged" not in summary.counts.by_confidence
    assert summary.monuments[0].event_count == 0
    assert [event.uid for event in summary.events] == [retracted.uid]
    assert summary.monuments[0].worst_level is DamageLevel.UNKNOWN
    assert (summary.period.earliest, summary.period.latest) == (None, None)
    valid(summary)
    for output_format in ("text", "markdown", "html"):
        assert "misattributed video" in render(summary, output_format)


# Escaping ------------------------------------------------------------------------------


@pytest.fixture
def hostile(sqlite_url_migrated: str) -> SiteSummary:
    with Registry.open(sqlite_url_migrated) as registry:
        add_place(registry, name=XSS, description=f"About {XSS} & friends")
        registry.add_monument(site="tell-x", slug="xss", name=XSS, kind="temple")
        registry.add_monument(site="tell-x", slug="pipes", name="Gate | Tower\nWest", kind="other")
        registry.add_event(
            site="tell-x", monument="xss", cause="fire", damage_level="minor", occurred="2015",
            actor=XSS, source="src-a", quote=XSS, location="| col |",
        )  # fmt: skip
        registry.add_event(
            site="tell-x", monument="pipes", cause="fire", damage_level="minor", occurred="2016",
            source="src-b", quote="a | b\n> not a quote\n# not a heading",
        )  # fmt: skip
        return build_summary(registry, "tell-x")


def test_html_escapes_everything_from_the_database(hostile: SiteSummary) -> None:
    html = render(hostile, "html")
    assert XSS not in html
    assert "<script" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<title>&lt;script&gt;alert(1)&lt;/script&gt;: damage summary</title>" in html
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
    assert '<blockquote class="supports" cite="#source-src-a">&lt;script&gt;' in html
    assert "About &lt;script&gt;alert(1)&lt;/script&gt; &amp; friends" in html


def test_html_is_self_contained(seeded: Registry) -> None:
    html = render(build_summary(seeded, "palmyra"), "html")
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "@media print" in html
    assert "@media (max-width" in html
    for external in ("<script", "<link", "@import", "src=", "url(http", "@font-face"):
        assert external not in html
    # Every http(s) address is a source's, as a link, never something the page loads.
    urls = set(re.findall(r"https?://[^\s\"<>]+", html))
    assert urls <= {s.url for s in SEED.sources if s.url}
    assert html.count("<blockquote") == sum(
        len(e.citations) for e in SEED.events if e.site == "palmyra"
    )
    assert html.count('<li class="tl-row">') == 16
    for level in DamageLevel.values():
        assert f"</svg>{level}</li>" in html  # the legend


def test_markdown_escapes_tables_and_block_markup(hostile: SiteSummary) -> None:
    markdown = render(hostile, "markdown")
    unescaped_pipe = re.compile(r"(?<!\\)\|")
    row = next(line for line in markdown.splitlines() if "Gate" in line and "other" in line)
    assert len(unescaped_pipe.findall(row)) == 6  # five cells
    assert "Gate \\| Tower West" in row
    header = next(line for line in markdown.splitlines() if line.startswith("| Site |"))
    assert len(unescaped_pipe.findall(header)) == 3
    assert XSS not in markdown
    assert "\\<script>alert(1)\\</script>" in markdown
    quote = next(line for line in markdown.splitlines() if "not a quote" in line)
    assert quote == "> a \\| b > not a quote # not a heading"


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("plain words", "plain words"),
        ("a|b", "a\\|b"),
        ("*bold* _it_ `code`", "\\*bold\\* \\_it\\_ \\`code\\`"),
        ("[link](x) ~strike~", "\\[link\\](x) \\~strike\\~"),
        ("# heading", "\\# heading"),
        ("- item", "\\- item"),
        ("12. item", "12\\. item"),
        ("34.5514", "34.5514"),
        ("a\nb\r\nc", "a b c"),
        ("&amp; stays", "&amp;amp; stays"),
        ("AT&T", "AT&T"),
    ],
)  # fmt: skip
def test_md_escape(text: str, escaped: str) -> None:
    assert md_escape(text) == escaped


# Determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize("output_format", FORMATS)
def test_rendering_twice_gives_the_same_bytes(seeded: Registry, output_format: str) -> None:
    first = render(build_summary(seeded, "palmyra"), output_format)
    assert render(build_summary(seeded, "palmyra"), output_format) == first


def test_two_registries_with_the_same_records_give_the_same_bytes(
    sqlite_template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs = []
    for name in ("one", "two"):
        ticks = itertools.count()
        base = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
        monkeypatch.setattr(
            "heritage_registry.registry.utcnow",
            lambda ticks=ticks, base=base: base + dt.timedelta(milliseconds=next(ticks)),
        )
        path = tmp_path / f"{name}.db"
        shutil.copyfile(sqlite_template, path)
        with Registry.open(f"sqlite:///{path}") as registry:
            load_seed(registry)
            outputs.append(
                [render(build_summary(registry, slug), f) for slug in SEEDED_SITES for f in FORMATS]
            )
    assert outputs[0] == outputs[1]
    assert '"as_of": "2024-05-01T12:00:00' in outputs[0][2]


def test_as_of_is_the_latest_recorded_change(seeded: Registry) -> None:
    summary = build_summary(seeded, "palmyra")
    stamps = [seeded.get_site("palmyra").updated_at]
    stamps += [e.updated_at for e in seeded.list_events(site="palmyra")]
    stamps += [s.updated_at for s in seeded.list_sources(site="palmyra")]
    assert summary.as_of >= max(stamps)
    assert summary.as_of.tzinfo is not None
    assert summary.as_of.utcoffset() == dt.timedelta(0)


# Efficiency ----------------------------------------------------------------------------


def test_a_summary_costs_the_same_queries_for_few_events_or_many(sqlite_url_migrated: str) -> None:
    with Registry.open(sqlite_url_migrated) as registry:
        add_place(registry)
        add_place(registry, slug="tell-y", sources=False)

        def queries(slug: str) -> int:
            statements: list[str] = []

            def count(*args: Any) -> None:
                statements.append(args[2])

            sa.event.listen(registry.engine, "before_cursor_execute", count)
            try:
                build_summary(registry, slug)
            finally:
                sa.event.remove(registry.engine, "before_cursor_execute", count)
            return len(statements)

        registry.add_event(
            site="tell-x", monument="gate", cause="fire", damage_level="minor", occurred="2015",
            source="src-a", quote="One fire.",
        )  # fmt: skip
        for year in range(2000, 2012):
            registry.add_event(
                site="tell-y", monument="gate", cause="fire", damage_level="minor",
                occurred=str(year),
                citations=[
                    {"source": "src-a", "quote": f"Fire in {year}."},
                    {"source": "src-b", "quote": f"A fire in {year}."},
                ],
            )  # fmt: skip
        assert queries("tell-x") == queries("tell-y")


# Dates in words ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("edtf", "words"),
    [
        ("2015-02", "February 2015"),
        ("2015-05-23", "23 May 2015"),
        ("2015", "2015"),
        ("2015-04~", "about April 2015"),
        ("2015-04?", "possibly April 2015"),
        ("2015-04%", "possibly about April 2015"),
        ("2015-05-23/2016-03-25", "23 May 2015 - 25 March 2016"),
        ("../2015-04", "before April 2015"),
        ("2015-05-23/..", "after 23 May 2015"),
        ("/2016-03-23~", "until about 23 March 2016 (start unknown)"),
        ("2016-03-24~/2016-03-27", "about 24 March 2016 - 27 March 2016"),
        ("12XX", "13th century"),
        ("201X", "2010s"),
        ("-08XX", "9th century BCE"),
        ("0032", "AD 32"),
        ("2015-21", "spring 2015"),
        ("2015-XX", "some month of 2015"),
        ("[2015, 2016]", "one of 2015 or 2016"),
        ("2004-06~-11", "11 June 2004 (year and month approximate)"),
        ("not a date", "not a date"),  # what no field accepts: the text itself
    ],
)
def test_describe_dates_in_words(edtf: str, words: str) -> None:
    assert describe(edtf) == words


@pytest.mark.parametrize(
    ("earliest", "latest", "open_start", "open_end", "words"),
    [
        (None, None, False, False, "no events"),
        (None, None, True, False, "no event has a known date"),
        ("2015-05-01", "2016-03-31", False, False, "May 2015 - March 2016"),
        ("2015-05-23", "2016-03-25", False, False, "23 May 2015 - 25 March 2016"),
        ("2015-02-01", "2015-02-28", False, False, "February 2015"),
        (
            "2015-05-01", "2016-03-31", True, False,
            "May 2015 - March 2016 (possibly earlier: an event has no known start)",
        ),
        (None, "2015-04-30", True, False, "until April 2015 (no event has a known start)"),
        ("2015-05-23", None, False, True, "from 23 May 2015 (no event has a known end)"),
    ],
)  # fmt: skip
def test_the_period_in_words(
    earliest: str | None, latest: str | None, open_start: bool, open_end: bool, words: str
) -> None:
    from heritage_registry.summary.humandate import span_words

    def day(text: str | None) -> dt.date | None:
        return dt.date.fromisoformat(text) if text else None

    assert span_words(day(earliest), day(latest), open_start=open_start, open_end=open_end) == words


# Writing a directory -----------------------------------------------------------------------


@pytest.mark.parametrize("output_format", FORMATS)
def test_write_all_writes_one_file_per_site_and_an_index(
    seeded: Registry, tmp_path: Path, output_format: str
) -> None:
    target = tmp_path / "out" / "summaries"
    paths = write_all(seeded, target, output_format)
    extension = EXTENSIONS[output_format]
    assert [p.name for p in paths] == [
        f"{slug}{extension}" for slug in ("mosul-museum", "nimrud", "palmyra")
    ] + [f"index{extension}"]
    assert all(p.parent == target and p.stat().st_size > 0 for p in paths)
    assert paths[2].read_text("utf-8") == render(build_summary(seeded, "palmyra"), output_format)
    index = paths[-1].read_text("utf-8")
    for slug in SEEDED_SITES:
        assert f"{slug}{extension}" in index
    if output_format == "json":
        assert [s["slug"] for s in json.loads(index)["sites"]] == sorted(SEEDED_SITES)


@pytest.mark.parametrize("output_format", FORMATS)
def test_write_all_on_an_empty_registry_writes_an_empty_index(
    sqlite_url_migrated: str, tmp_path: Path, output_format: str
) -> None:
    with Registry.open(sqlite_url_migrated) as registry:
        [index] = write_all(registry, tmp_path, output_format)
    text = index.read_text("utf-8")
    if output_format == "json":
        assert json.loads(text) == {"as_of": None, "sites": []}
    else:
        assert "No sites recorded." in text


def test_a_site_called_index_does_not_overwrite_the_index() -> None:
    assert site_filename("index", "html") == "index.site.html"
    assert site_filename("palmyra", "markdown") == "palmyra.md"


def test_an_unknown_format_is_refused(seeded: Registry) -> None:
    with pytest.raises(ValueError, match="choose one of text, markdown, json, html"):
        render(build_summary(seeded, "nimrud"), "pdf")


def test_each_timeline_row_says_what_where_how_bad_and_when(seeded: Registry) -> None:
    html = render(build_summary(seeded, "palmyra"), "html")
    # Three rows share place, cause, level and dates: their descriptions tell them apart.
    assert (
        '<li class="tl-row">\n<div class="tl-text">\n'
        '<a class="tl-what" href="#event-6"><span class="tl-num">6.</span> '
        "Site or unnamed parts · cause unknown</a>\n"
        '<div class="tl-when"><span class="badge" style="background:#67000d;color:#ffffff">'
        'level destroyed</span> <span class="tl-date">May 2015 - 27 March 2016</span></div>\n'
        '<div class="tl-excerpt">Part of the World Heritage site of Palmyra, not named, was '
        "destroyed…</div>\n</div>\n"
        '<div class="tl-track" aria-hidden="true">\n'
        '<span class="tl-bar" style="left:6.23%;width:86.23%;background:#67000d"></span>\n'
        "</div>\n</li>"
    ) in html
    excerpts = re.findall(r'<div class="tl-excerpt">([^<]*)</div>', html)
    assert len(excerpts) == len(set(excerpts)) == 16
    assert len(re.findall(r'<span class="tl-date">[^<]+</span>', html)) == 16
    # No link sits inside an image: the bars are decoration, the words are the content.
    assert 'role="img"' not in html
    assert "hover or focus a row for its dates" not in html
