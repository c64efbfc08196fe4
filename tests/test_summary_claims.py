"""Summaries of claims, mentions, origins and merged events (issue 12), in every format.

One small registry, built here on each engine, holds one of each: a claim that refines an
event's date and one that informs its unknown level (what sources add), claims that
conflict (where sources disagree), a citation that relays someone (`via`) and mentions a
monument, a retracted event dated 2030 and an event merged into another. The clock is
fixed, so the summaries are compared whole, byte for byte.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from heritage_registry import Registry
from heritage_registry.errors import InvalidRecord
from heritage_registry.summary import FORMATS, SiteSummary, build_summary, render, schema_path
from heritage_registry.vocab import DamageLevel
from tests import strategies as s

SCHEMA = json.loads(schema_path().read_text("utf-8"))
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)

GATE_BLOWN_UP = "11111111-1111-4111-8111-111111111111"
HOUSES_LEVELLED = "22222222-2222-4222-8222-222222222222"
FIRE_RETRACTED = "44444444-4444-4444-8444-444444444444"
LOOTING_MERGED = "55555555-5555-4555-8555-555555555555"
CLOCK = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each recorded time a second after the last, from CLOCK: the same bytes every run."""
    ticks = itertools.count()

    def now() -> dt.datetime:
        return CLOCK + dt.timedelta(seconds=next(ticks))

    monkeypatch.setattr("heritage_registry.registry.utcnow", now)


def build_place(registry: Registry) -> Registry:
    registry.add_site(slug="tell-x", name="Tell X", country="IQ", kind="archaeological_site")
    registry.add_monument(site="tell-x", slug="gate", name="North gate", kind="city_wall")
    registry.add_monument(site="tell-x", slug="temple", name="Temple of Nabu", kind="temple")
    registry.add_source(key="src-a", title="Report A", publisher="Agency A", published="2024")
    registry.add_source(key="src-b", title="Report B", publisher="Agency B", published="2024")
    registry.add_source(key="src-c", title="Report C")
    registry.add_event(
        uid=GATE_BLOWN_UP, site="tell-x", monument="gate", cause="explosives",
        damage_level="unknown", occurred="2023",
        citations=[
            {"source": "src-a", "quote": "The gate was blown up in 2023."},
            {
                "source": "src-b", "quote": "On 23 July the gate was destroyed.",
                "claimed_occurred": "2023-07-23", "claimed_level": "destroyed",
            },
            # `unknown` claimed is no information: no claim at all.
            {"source": "src-c", "quote": "Something happened to the gate.",
             "claimed_level": "unknown"},
        ],
    )  # fmt: skip
    registry.add_event(
        uid=HOUSES_LEVELLED, site="tell-x", cause="demolition", damage_level="severe",
        occurred="2023-05",
        citations=[
            {"source": "src-a", "quote": "Houses by the temple were bulldozed in January 2024.",
             "claimed_occurred": "2024-01"},
            {
                "source": "src-b",
                "quote": "The army said the houses near the Temple of Nabu were partly levelled.",
                "claimed_level": "moderate", "via": "Syrian army", "mentions": ["temple"],
            },
        ],
    )  # fmt: skip
    registry.add_event(
        uid=FIRE_RETRACTED, site="tell-x", cause="fire", damage_level="destroyed",
        occurred="2030", source="src-c", quote="A fire in 2030.",
    )  # fmt: skip
    registry.retract_event(FIRE_RETRACTED, reason="misdated video")
    # Its one citation repeats the gate's: dropped by the merge, so it keeps none.
    registry.add_event(
        uid=LOOTING_MERGED, site="tell-x", monument="gate", cause="looting",
        damage_level="destroyed", occurred="1990", source="src-a",
        quote="The gate was blown up in 2023.",
    )  # fmt: skip
    registry.merge_events(GATE_BLOWN_UP, LOOTING_MERGED, reason="the same report")
    return registry


@pytest.fixture
def place(registry: Registry, fixed_clock: None) -> SiteSummary:
    return build_summary(build_place(registry), "tell-x")


EXPECTED_TEXT = """\
Tell X: damage summary
======================

Site               Tell X (tell-x)
Country            IQ, Iraq
Kind               archaeological site
Identifiers        none recorded
As of              2024-05-01 12:00:22 UTC (latest recorded change)

Overview
--------
Worst known level  severe; a cited source says destroyed (event [2], source src-b)
Period             January 2023 - December 2023
Events             2: 1 on monuments, 1 on the site or parts it does not name; 5 citations of 3
                   sources; 1 retracted, 1 merged (listed, not counted)
By cause           explosives 1, demolition 1
By level           severe 1, unknown 1
By confidence      corroborated 1, contested 1

Monuments
---------

North gate (gate)
  city wall; worst known level: unknown; a cited source says destroyed (event [2], source \
src-b); 1
    event
  [1] 1990: looting, level destroyed, merged into [2]
  [2] 2023: explosives, level unknown, corroborated

Temple of Nabu (temple)
  temple; worst known level: unknown; 0 events
  Mentioned in (not its own events):
  [3] May 2023: demolition, level severe, contested; Tell X (site or parts it does not name)

On the site or parts it does not name
-------------------------------------
  [3] May 2023: demolition, level severe, contested
  [4] 2030: fire, level destroyed, retracted

Timeline
--------

[1] 1990 | looting | level destroyed | North gate
    Occurred (EDTF): 1990 · Confidence: merged
    Event: 55555555-5555-4555-8555-555555555555
    MERGED into [2] 11111111-1111-4111-8111-111111111111 on 2024-05-01: the same report
    No citations: they moved to the event it was merged into.

[2] 2023 | explosives | level unknown | North gate
    Occurred (EDTF): 2023 · Confidence: corroborated
    Event: 11111111-1111-4111-8111-111111111111
    3 citations:
    - src-a (supports)
      "The gate was blown up in 2023."
    - src-b (supports)
      "On 23 July the gate was destroyed."
      Dates it 23 July 2023 [EDTF 2023-07-23] (within the event's 2023)
      Says destroyed (the event's level is unknown)
    - src-c (supports)
      "Something happened to the gate."

[3] May 2023 | demolition | level severe | Tell X (site or parts it does not name)
    Occurred (EDTF): 2023-05 · Confidence: contested
    Event: 22222222-2222-4222-8222-222222222222
    2 citations:
    - src-a (supports)
      "Houses by the temple were bulldozed in January 2024."
      Claims another date: January 2024 [EDTF 2024-01]
    - src-b (supports) · Agency B, relaying Syrian army
      "The army said the houses near the Temple of Nabu were partly levelled."
      Claims another level: moderate
      Mentions: Temple of Nabu

[4] 2030 | fire | level destroyed | Tell X (site or parts it does not name)
    Occurred (EDTF): 2030 · Confidence: retracted
    Event: 44444444-4444-4444-8444-444444444444
    RETRACTED on 2024-05-01: misdated video
    1 citation:
    - src-c (supports)
      "A fire in 2030."

Where sources disagree
----------------------

[3] demolition, Tell X (site or parts it does not name), May 2023: sources disagree on when it
    happened
    * May 2023 [EDTF 2023-05; recorded]: src-b
    * January 2024 [EDTF 2024-01]: src-a

[3] demolition, Tell X (site or parts it does not name), May 2023: sources disagree on the \
damage
    level
    * severe [recorded]: src-a
    * moderate: src-b

What sources add
----------------

[2] explosives, North gate, 2023:
    * source src-b dates it 23 July 2023 [EDTF 2023-07-23] (within the event's 2023)
    * source src-b says destroyed (the event's level is unknown)

Sources
-------

src-a
    Report A. Agency A. Published 2024 [EDTF 2024]. News report.

src-b
    Report B. Agency B. Relays: Syrian army. Published 2024 [EDTF 2024]. News report.

src-c
    Report C. Publication date not recorded. News report.
"""

EXPECTED_MARKDOWN = """\
# Tell X: damage summary

| | |
| --- | --- |
| Site | Tell X (`tell-x`) |
| Country | IQ, Iraq |
| Kind | archaeological site |
| As of | 2024-05-01 12:00:22 UTC (the registry's latest recorded change) |

## Overview

- **Worst known level:** severe; a cited source says destroyed (event \\[2\\], source src-b)
- **Period:** January 2023 - December 2023
- **Events:** 2: 1 on monuments, 1 on the site or parts it does not name; 5 citations of 3 \
sources; 1 retracted, 1 merged (listed, not counted)
- **By cause:** explosives 1, demolition 1
- **By level:** severe 1, unknown 1
- **By confidence:** corroborated 1, contested 1

## Monuments

| Monument | Kind | Built | Worst known level | Events |
| --- | --- | --- | --- | ---: |
| North gate (`gate`) | city wall |  | unknown; a cited source says destroyed (event \\[2\\], \
source src-b) | 1 |
| Temple of Nabu (`temple`) | temple |  | unknown | 0 |

### North gate

- [1] 1990: looting, level destroyed, merged into \\[2\\]
- [2] 2023: explosives, level unknown, corroborated

### Temple of Nabu

Mentioned in (not its own events):

- [3] May 2023: demolition, level severe, contested; Tell X (site or parts it does not name)

## On the site or parts it does not name

- [3] May 2023: demolition, level severe, contested
- [4] 2030: fire, level destroyed, retracted

## Timeline

### 1. 1990: looting, North gate

- **Level:** destroyed · **Confidence:** merged into \\[2\\] · **Occurred (EDTF):** `1990`
- **Event:** `55555555-5555-4555-8555-555555555555`
- **Merged** into [2] `11111111-1111-4111-8111-111111111111` on 2024-05-01: the same report

No citations: they moved to the event it was merged into.

### 2. 2023: explosives, North gate

- **Level:** unknown · **Confidence:** corroborated · **Occurred (EDTF):** `2023`
- **Event:** `11111111-1111-4111-8111-111111111111`

> The gate was blown up in 2023.
>
> — **src-a** (supports)

> On 23 July the gate was destroyed.
>
> — **src-b** (supports)

Dates it 23 July 2023 \\[EDTF 2023-07-23\\] (within the event's 2023)

Says destroyed (the event's level is unknown)

> Something happened to the gate.
>
> — **src-c** (supports)

### 3. May 2023: demolition, Tell X (site or parts it does not name)

- **Level:** severe · **Confidence:** contested · **Occurred (EDTF):** `2023-05`
- **Event:** `22222222-2222-4222-8222-222222222222`

> Houses by the temple were bulldozed in January 2024.
>
> — **src-a** (supports)

Claims another date: January 2024 \\[EDTF 2024-01\\]

> The army said the houses near the Temple of Nabu were partly levelled.
>
> — **src-b** (supports) · Agency B, relaying Syrian army

Claims another level: moderate

*Mentions:* Temple of Nabu

### 4. 2030: fire, Tell X (site or parts it does not name)

- **Level:** destroyed · **Confidence:** retracted · **Occurred (EDTF):** `2030`
- **Event:** `44444444-4444-4444-8444-444444444444`
- **Retracted** on 2024-05-01: misdated video

> A fire in 2030.
>
> — **src-c** (supports)

## Where sources disagree

### [3] demolition, Tell X (site or parts it does not name): when it happened

| Claim | Sources |
| --- | --- |
| May 2023 (EDTF `2023-05`) **(recorded)** | src-b |
| January 2024 (EDTF `2024-01`) | src-a |

### [3] demolition, Tell X (site or parts it does not name): the damage level

| Claim | Sources |
| --- | --- |
| severe **(recorded)** | src-a |
| moderate | src-b |

## What sources add

### [2] explosives, North gate, 2023

- source src-b dates it 23 July 2023 \\[EDTF 2023-07-23\\] (within the event's 2023)
- source src-b says destroyed (the event's level is unknown)

## Sources

- **src-a**: Report A. Agency A. Published 2024 (EDTF `2024`). News report.
- **src-b**: Report B. Agency B. Relays: Syrian army. Published 2024 (EDTF `2024`). News report.
- **src-c**: Report C. Publication date not recorded. News report.
"""


def test_the_text_summary_shows_claims_mentions_origins_and_merges(place: SiteSummary) -> None:
    assert render(place, "text") == EXPECTED_TEXT


def test_the_markdown_summary_shows_claims_mentions_origins_and_merges(
    place: SiteSummary,
) -> None:
    assert render(place, "markdown") == EXPECTED_MARKDOWN


def test_the_json_summary_gives_claims_with_kinds_mentions_origins_and_merges(
    place: SiteSummary,
) -> None:
    data = json.loads(render(place, "json"))
    VALIDATOR.validate(data)  # a merged event with no citations left is valid
    assert data["worst_level"] == "severe"
    claimed_by_b = {
        "level": "destroyed",
        "claimed_by": [{"event": GATE_BLOWN_UP, "sources": ["src-b"]}],
    }
    assert data["worst_claimed_level"] == claimed_by_b
    gate, temple = data["monuments"]
    assert (gate["worst_level"], gate["worst_claimed_level"]) == ("unknown", claimed_by_b)
    assert (gate["event_count"], gate["events"]) == (1, [LOOTING_MERGED, GATE_BLOWN_UP])
    assert gate["mentioned_in"] == []
    assert (temple["worst_level"], temple["worst_claimed_level"]) == ("unknown", None)
    assert (temple["event_count"], temple["mentioned_in"]) == (0, [HOUSES_LEVELLED])
    assert {k: data["counts"][k] for k in ("events", "citations", "sources")} == {
        "events": 2, "citations": 5, "sources": 3,
    }  # fmt: skip
    assert (data["counts"]["retracted"], data["counts"]["merged"]) == (1, 1)
    assert data["period"] == {
        "earliest": "2023-01-01", "latest": "2023-12-31", "open_start": False, "open_end": False,
    }  # fmt: skip
    events = {event["uid"]: event for event in data["events"]}
    gate_b = events[GATE_BLOWN_UP]["citations"][1]
    assert gate_b["claims"] == [
        {"field": "occurred", "value": "2023-07-23", "label": "23 July 2023", "kind": "refines"},
        {"field": "damage_level", "value": "destroyed", "label": "destroyed", "kind": "informs"},
    ]
    gate_c = events[GATE_BLOWN_UP]["citations"][2]
    assert (gate_c["claimed_level"], gate_c["claims"]) == (None, [])
    houses_b = events[HOUSES_LEVELLED]["citations"][1]
    assert (houses_b["via"], houses_b["mentions"]) == ("Syrian army", ["temple"])
    assert [c["kind"] for c in houses_b["claims"]] == ["conflicts"]
    merged = events[LOOTING_MERGED]
    assert (merged["confidence"], merged["merged_into"]) == ("merged", GATE_BLOWN_UP)
    assert (merged["merge_reason"], merged["citations"]) == ("the same report", [])
    assert merged["merged_at"].startswith("2024-05-01T12:00:")
    assert [(c["event"], c["field"]) for c in data["conflicts"]] == [
        (HOUSES_LEVELLED, "occurred"), (HOUSES_LEVELLED, "damage_level"),
    ]  # fmt: skip
    assert data["additions"] == [
        {
            "event": GATE_BLOWN_UP, "field": "occurred", "kind": "refines",
            "value": "2023-07-23", "label": "23 July 2023", "event_value": "2023",
            "event_label": "2023", "sources": ["src-b"],
        },
        {
            "event": GATE_BLOWN_UP, "field": "damage_level", "kind": "informs",
            "value": "destroyed", "label": "destroyed", "event_value": "unknown",
            "event_label": "unknown", "sources": ["src-b"],
        },
    ]  # fmt: skip
    assert [source["relays"] for source in data["sources"]] == [[], ["Syrian army"], []]
    # The merged event (1990) and the retracted one (2030) are outside the period.


def test_the_html_summary_shows_claims_mentions_origins_and_merges(place: SiteSummary) -> None:
    html = render(place, "html")
    assert (
        '<div class="note claimed">A cited source says <span class="badge" style="background:'
        '#67000d;color:#ffffff" title="no longer retains its integrity">destroyed</span> '
        '(<a href="#event-2">event 2</a>, source <a href="#source-src-b">src-b</a>)</div>'
    ) in html
    assert (
        '<div class="note">1 on monuments, 1 on the site or parts it does not name; '
        "1 retracted, 1 merged (listed, not counted)</div>"
    ) in html
    assert (
        '<div class="value">5 citations</div><div class="note">from 3 sources; '
        "2 disagreements; 2 details added</div>"
    ) in html
    assert "<h3>On the site or parts it does not name</h3>" in html
    assert '<td data-label="Mentioned in"><span><a href="#event-3">3</a></span></td>' in html
    assert (
        '<li class="refines">source src-b dates it 23 July 2023 [EDTF 2023-07-23] (within the '
        "event&#39;s 2023)</li>\n"
        '<li class="informs">source src-b says destroyed (the event&#39;s level is unknown)</li>'
    ) in html
    assert (
        '<span class="claim refines">Dates it 23 July 2023 [EDTF 2023-07-23] (within the '
        "event&#39;s 2023)</span>"
    ) in html
    assert (
        '· supports · <span class="via">relaying Syrian army</span><br>'
        '<span class="claim conflicts">Claims another level: moderate</span><br>'
        'Mentions: <a href="#monument-temple">Temple of Nabu</a>'
    ) in html
    assert (
        '<p><strong>Merged</strong> into <a href="#event-2">2.</a> <span class="edtf">'
        f"{GATE_BLOWN_UP}</span> on 2024-05-01: the same report</p>"
    ) in html
    assert '<article class="event retracted" id="event-1">' in html
    assert '<article class="event retracted" id="event-4">' in html
    assert "Report B</cite>. Agency B. Relays: Syrian army." in html


def test_retracted_and_merged_events_stay_off_the_timeline_axis(place: SiteSummary) -> None:
    html = render(place, "html")
    # Only the two counted events have a row; 1990 and 2030 are no year on either axis.
    chart = html[html.index('<div class="tl">') :]
    chart = chart[: chart.index("</ol>")]
    assert 'aria-label="The 2 events at Tell X in date order"' in chart
    assert re.findall(r'<a class="tl-what" href="#event-(\d+)">', chart) == ["2", "3"]
    for layout in ("wide", "narrow"):
        axis = chart[chart.index(f'<div class="tl-labels tl-{layout}">') :]
        years = re.findall(r'<span class="tl-year"[^>]*>(\d+)</span>', axis[: axis.index("</div>")])
        assert years
        assert set(years) <= {"2023", "2024"}
    assert "Retracted and merged events are listed below, not placed on the axis." in html


def test_a_claim_adopted_by_a_correction_is_shown_nowhere(
    registry: Registry, fixed_clock: None
) -> None:
    build_place(registry)
    registry.update_event(GATE_BLOWN_UP, damage_level="destroyed", reason="as src-b says")
    registry.update_event(HOUSES_LEVELLED, damage_level="moderate", reason="the army's word")
    summary = build_summary(registry, "tell-x")
    assert summary.worst_claimed_level is None
    assert summary.monuments[0].worst_claimed_level is None
    assert summary.worst_level is DamageLevel.DESTROYED
    for output in (render(summary, f) for f in ("text", "markdown", "html")):
        flat = " ".join(output.split())
        assert "Says destroyed" not in flat
        assert "says destroyed" not in flat
        assert "Claims another level" not in flat
        assert "sources disagree on the damage level" not in flat
        assert "a cited source says" not in flat.lower()
        # The date claims stand: they differ from the event's date.
        assert "Claims another date: January 2024" in flat
        assert "Dates it 23 July 2023" in flat
    data = json.loads(render(summary, "json"))
    citations = [c for e in data["events"] for c in e["citations"]]
    assert not [c for c in citations if c["claimed_level"] is not None]
    assert [c["field"] for c in data["conflicts"]] == ["occurred"]
    assert [(a["field"], a["kind"]) for a in data["additions"]] == [("occurred", "refines")]


# Every format keeps its word -----------------------------------------------------------


def test_counts_agree_with_their_nouns_in_every_format(registry: Registry) -> None:
    registry.add_site(slug="tell-y", name="Tell Y", country="SY")
    registry.add_monument(site="tell-y", slug="gate", name="Gate", kind="city_wall")
    registry.add_source(key="src-a", title="Report A", publisher="Agency A")
    registry.add_event(
        site="tell-y", monument="gate", cause="fire", damage_level="minor", occurred="2015",
        source="src-a", quote="The gate burned.",
    )  # fmt: skip
    summary = build_summary(registry, "tell-y")
    wrong = re.compile(
        r"\b1 (sources|events|citations|disagreements)\b|\b(0|[2-9]) (source|event|citation)\b"
    )
    for output_format in FORMATS:
        output = " ".join(render(summary, output_format).split())
        assert not wrong.search(output), output_format
    text = " ".join(render(summary, "text").split())
    assert "1 citation of 1 source" in text
    assert "worst known level: minor; 1 event" in text
    markdown = render(summary, "markdown")
    assert "- **Events:** 1: 1 on monuments, 0 on the site or parts it does not name; " in markdown
    assert "1 citation of 1 source\n" in markdown
    html = render(summary, "html")
    assert '<div class="value">1 citation</div><div class="note">from 1 source</div>' in html
    assert 'aria-label="The 1 event at Tell Y in date order"' in html


def overview_items(markdown: str) -> list[str]:
    """The text of each item of the Markdown overview's list, as a renderer reads it."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    start = next(i for i, t in enumerate(tokens) if t.type == "inline" and t.content == "Overview")
    end = next(i for i in range(start, len(tokens)) if tokens[i].type == "bullet_list_close")
    return [t.content for t in tokens[start + 1 : end] if t.type == "inline"]


def test_each_markdown_overview_item_is_its_own_list_item(place: SiteSummary) -> None:
    items = overview_items(render(place, "markdown"))
    assert [item.split(":**")[0] for item in items] == [
        "**Worst known level", "**Period", "**Events", "**By cause", "**By level",
        "**By confidence",
    ]  # fmt: skip
    assert all(item.count("**") == 2 for item in items)


def test_no_format_calls_a_site_wide_event_the_site_as_a_whole(place: SiteSummary) -> None:
    for output_format in FORMATS:
        output = render(place, output_format)
        assert "as a whole" not in output
        assert "Site-wide" not in output
        if output_format != "json":
            assert "On the site or parts it does not name" in output


# Counted nowhere: a property ---------------------------------------------------------------


@st.composite
def contents_with_withdrawals(draw: st.DrawFn) -> tuple[dict[str, Any], list[tuple[str, int, int]]]:
    """A registry's contents, and what to do to its events afterwards: retract one
    (`("retract", i, 0)`) or merge one into another (`("merge", keep, other)`)."""
    contents = draw(s.registry_contents())
    count = len(contents["events"])
    if count == 0:
        return contents, []
    index = st.integers(0, count - 1)
    actions = draw(
        st.lists(st.tuples(st.sampled_from(["retract", "merge"]), index, index), max_size=count)
    )
    return contents, actions


def withdraw(
    registry: Registry, events: list[dict[str, Any]], actions: list[tuple[str, int, int]]
) -> set[str]:
    """Do `actions` where the registry allows them; the uids withdrawn."""
    withdrawn: set[str] = set()
    for action, first, second in actions:
        if max(first, second) >= len(events):
            continue
        keep, other = events[first], events[second]
        if action == "retract" and keep["uid"] not in withdrawn:
            registry.retract_event(keep["uid"], reason="withdrawn")
            withdrawn.add(keep["uid"])
        elif (
            action == "merge"
            and first != second
            and keep["site"] == other["site"]
            and not {keep["uid"], other["uid"]} & withdrawn
        ):
            try:
                registry.merge_events(keep["uid"], other["uid"], reason="one incident")
            except InvalidRecord:
                continue  # a source of OTHER's was published before KEEP's date begins
            withdrawn.add(other["uid"])
    return withdrawn


@given(plan=contents_with_withdrawals())
def test_summary_counts_exclude_retracted_and_merged_events(
    fresh_registry: Callable[[str], Registry],
    plan: tuple[dict[str, Any], list[tuple[str, int, int]]],
) -> None:
    contents, actions = plan
    registry = fresh_registry("sqlite")
    for site in contents["sites"]:
        registry.add_site(**site)
    for monument in contents["monuments"]:
        registry.add_monument(**monument)
    for source in contents["sources"]:
        registry.add_source(**source)
    added = []
    for event in contents["events"]:
        try:
            registry.add_event(**event)
        except InvalidRecord:
            continue  # e.g. dated after its source's publication: not this test's subject
        added.append(event)
    withdrawn = withdraw(registry, added, actions)
    for site in contents["sites"]:
        summary = build_summary(registry, site["slug"])
        VALIDATOR.validate(json.loads(render(summary, "json")))
        live = [e for e in summary.events if e.uid not in withdrawn]
        assert all(e.counted for e in live)
        assert not any(e.counted for e in summary.events if e.uid in withdrawn)
        counts = summary.counts
        assert counts.events == len(live)
        assert counts.retracted + counts.merged == len(summary.events) - len(live)
        for breakdown in (counts.by_cause, counts.by_level, counts.by_confidence):
            assert sum(breakdown.values()) == counts.events
        assert counts.citations == sum(len(e.citations) for e in live)
        assert counts.sources == len({c.source for e in live for c in e.citations})
        assert summary.worst_level is min(
            (e.damage_level for e in live), key=lambda level: level.rank,
            default=DamageLevel.UNKNOWN,
        )  # fmt: skip
        starts = [e.earliest for e in live if e.earliest is not None]
        ends = [e.latest for e in live if e.latest is not None]
        assert summary.period.earliest == min(starts, default=None)
        assert summary.period.latest == max(ends, default=None)
        for monument in summary.monuments:
            assert monument.event_count == sum(1 for e in live if e.monument == monument.slug)
        counted = {e.uid for e in live}
        assert {c.event for c in summary.conflicts} <= counted
        assert {a.event for a in summary.additions} <= counted
        rows = [n for t in render_timelines(summary) for n in t]
        numbers = summary.event_numbers()
        assert set(rows) <= {numbers[uid] for uid in counted}


def render_timelines(summary: SiteSummary) -> Iterator[list[int]]:
    """The event numbers the HTML timeline draws a row for."""
    from heritage_registry.summary.timeline import build_timeline

    timeline = build_timeline(summary.events)
    if timeline is not None:
        yield [row.number for row in timeline.rows]
