"""Duplicates and merges: `registry duplicates`, `registry merge-events`, and what follows.

Exact output and exit status of the commands on each engine, with the clock fixed; each
refusal leaves the database as it was. Properties: a merge gives the kept event the union
of the two events' citations without repeats, the merged event is counted nowhere, and
its uid leads to the kept one. The import side: `merged_into` in JSON Lines, checked, and
citations given for a merged uid added to the event it leads to.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heritage_registry import InvalidRecord, Registry
from heritage_registry.duplicates import Reason, citation_identity
from heritage_registry.exchange import ImportFailed, export_events_csv, export_jsonl, import_jsonl
from heritage_registry.exchange.geojson import geojson
from heritage_registry.summary import build_summary
from heritage_registry.vocab import Confidence
from tests.helpers import after_creation, dump
from tests.test_cli import CITADEL, IANS, NEWARAB, OCCUPATION, TEMPLES, Run, invoker, ok, populate
from tests.test_cli import refused as _refused

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
STAMP = "2026-01-02T03:04:05Z"
# A second record of the citadel's occupation, in IANS's words for what The New Arab said.
DUP = "5d0c1a2b-7e3f-4a5b-8c6d-9e0f1a2b3c4d"
MOSUL = "7a1b2c3d-4e5f-4a6b-8c7d-8e9f0a1b2c3d"
CITADEL_QUOTE = "had taken over the citadel on May 23 last year"
REASON = "one occupation, two reports"


def add_duplicates(reg: Registry) -> None:
    reg.add_event(
        uid=DUP,
        site="palmyra",
        monument="citadel",
        cause="occupation",
        damage_level="unknown",
        occurred="2015-05",
        source=IANS,
        quote=CITADEL_QUOTE,
    )
    reg.add_event(
        uid=MOSUL,
        site="mosul-museum",
        cause="smashing",
        damage_level="destroyed",
        occurred="2015-02",
        source=NEWARAB,
        quote="smashed statues in the Mosul museum",
    )


@pytest.fixture
def reg(migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    monkeypatch.setattr("heritage_registry.registry.utcnow", lambda: NOW)
    with Registry.open(migrated_url) as registry:
        populate(registry)
        add_duplicates(registry)
        yield registry


@pytest.fixture
def run(reg: Registry, migrated_url: str) -> Run:
    return invoker(migrated_url)


def refused(result: Any, message: str, exit_code: int = 1) -> None:
    _refused(result, message, exit_code)


# registry duplicates --------------------------------------------------------------------

PALMYRA_PAIRS = f"""\
palmyra  score 12: same site, same monument, overlapping dates, same cause, shared quote
  {DUP}  citadel  occupation  unknown  2015-05
  {CITADEL}  citadel  occupation  unknown  2015-05-23/2016-03-25

palmyra  score 7: same site, overlapping dates, same cause, shared source
  {OCCUPATION}  (site)   occupation  unknown  2015-05/2016-03-27
  {CITADEL}  citadel  occupation  unknown  2015-05-23/2016-03-25

palmyra  score 7: same site, overlapping dates, same cause, shared source
  {DUP}  citadel  occupation  unknown  2015-05
  {OCCUPATION}  (site)   occupation  unknown  2015-05/2016-03-27
"""


def test_duplicates_text_lists_pairs_strongest_first(run: Run) -> None:
    ok(run("duplicates"), stdout=PALMYRA_PAIRS)
    ok(run("duplicates", "--site", "palmyra"), stdout=PALMYRA_PAIRS)


def shown(uid: str, monument: str | None, occurred: str) -> dict[str, Any]:
    return {
        "uid": uid,
        "monument": monument,
        "cause": "occupation",
        "damage_level": "unknown",
        "occurred": occurred,
    }


def test_duplicates_json(run: Run) -> None:
    dup = shown(DUP, "citadel", "2015-05")
    citadel = shown(CITADEL, "citadel", "2015-05-23/2016-03-25")
    occupation = shown(OCCUPATION, None, "2015-05/2016-03-27")
    common = ["same_site", "overlapping_dates", "same_cause", "shared_source"]
    expected = [
        {
            "site": "palmyra",
            "score": 12,
            "reasons": [
                "same_site",
                "same_monument",
                "overlapping_dates",
                "same_cause",
                "shared_quote",
            ],
            "events": [dup, citadel],
        },
        {"site": "palmyra", "score": 7, "reasons": common, "events": [occupation, citadel]},
        {"site": "palmyra", "score": 7, "reasons": common, "events": [dup, occupation]},
    ]
    ok(
        run("duplicates", "--format", "json"),
        stdout=json.dumps(expected, ensure_ascii=False, indent=2) + "\n",
    )


def test_no_duplicates(run: Run) -> None:
    ok(run("duplicates", "--site", "mosul-museum"), stdout="No likely duplicates.\n")
    ok(run("duplicates", "--site", "mosul-museum", "--format", "json"), stdout="[]\n")


def test_duplicates_of_an_unknown_site(run: Run) -> None:
    refused(run("duplicates", "--site", "palmira"), "no site 'palmira'; did you mean 'palmyra'?")


def test_duplicates_leave_out_merged_and_retracted_events(run: Run, reg: Registry) -> None:
    reg.retract_event(OCCUPATION, reason="withdrawn")
    reg.merge_events(CITADEL, DUP, reason=REASON)
    ok(run("duplicates"), stdout="No likely duplicates.\n")


def test_duplicates_need_overlapping_dates_and_the_same_monument_or_none(
    reg: Registry,
) -> None:
    reg.add_monument(site="palmyra", slug="theatre", name="Theatre", kind="other")
    # The same cause, but at another monument, or at a time that cannot overlap.
    reg.add_event(
        site="palmyra", monument="theatre", cause="occupation", damage_level="unknown",
        occurred="2015-06", source=IANS, quote="fighters held the theatre",
    )  # fmt: skip
    reg.add_event(
        site="palmyra", cause="occupation", damage_level="unknown", occurred="2014-01",
        source=IANS, quote="held by another group in 2014",
    )  # fmt: skip
    (theatre,) = reg.list_events(site="palmyra", monument="theatre")
    pairs = {(p.events[0].uid, p.events[1].uid) for p in reg.duplicates("palmyra")}
    # The theatre's and the citadel's are two monuments; only the site-wide event may be
    # either. The occupation of 2014 overlaps none.
    assert pairs == {(DUP, CITADEL), (OCCUPATION, CITADEL), (DUP, OCCUPATION)} | {
        (OCCUPATION, theatre.uid)
    }


def test_duplicates_of_different_causes_share_a_quote(reg: Registry) -> None:
    other = reg.add_event(
        site="palmyra", cause="demolition", damage_level="severe", occurred="2015-05-23",
        source=NEWARAB, quote="had taken over  the citadel on May 23 last year",
        location="paragraph 2",
    )  # fmt: skip
    found = {
        tuple(e.uid for e in p.events): p.reasons
        for p in reg.duplicates()
        if other.uid in {e.uid for e in p.events}
    }
    site, dates, source, quote = (
        Reason.SAME_SITE,
        Reason.OVERLAPPING_DATES,
        Reason.SHARED_SOURCE,
        Reason.SHARED_QUOTE,
    )
    # The same words, white space folded, whoever quoted them.
    assert found == {
        (other.uid, CITADEL): (site, dates, source, quote),
        (DUP, other.uid): (site, dates, quote),
    }


# registry merge-events -------------------------------------------------------------------


def test_merge_events(run: Run, reg: Registry) -> None:
    ok(
        run("merge-events", CITADEL, DUP, "--reason", REASON, "--by", "ana"),
        stderr=f"Merged event {DUP} into {CITADEL} (1 citation moved); its confidence is "
        "corroborated.\n",
    )
    kept = reg.get_event(CITADEL)
    assert [(c.source, c.quote) for c in kept.citations] == [
        (NEWARAB, CITADEL_QUOTE),
        (IANS, CITADEL_QUOTE),
    ]
    merged = reg.get_event(DUP)
    assert (merged.merged_into, merged.merged_at, merged.merge_reason) == (CITADEL, NOW, REASON)
    assert (merged.confidence, merged.citations) == (Confidence.MERGED, [])
    assert after_creation(run("history", DUP).stdout) == (
        f"{STAMP}  merge  by ana  (command)\n"
        f"  reason: {REASON}\n"
        "  citation_count: 1 -> 0\n"
        "  confidence: single_source -> merged\n"
        f"  merge_reason:  -> {REASON}\n"
        f"  merged_at:  -> {STAMP}\n"
        f"  merged_into:  -> {CITADEL}\n"
    )
    assert after_creation(run("history", CITADEL).stdout) == (
        f"{STAMP}  merge  by ana  (command)\n"
        f"  reason: {REASON}\n"
        "  citation_count: 1 -> 2\n"
        "  confidence: single_source -> corroborated\n"
        f"  merged_from:  -> {DUP}\n"
    )


def test_a_merge_drops_a_citation_the_kept_event_has(run: Run, reg: Registry) -> None:
    again = reg.add_event(
        site="palmyra", cause="occupation", damage_level="unknown", occurred="2015",
        citations=[
            {"source": NEWARAB, "quote": "had  taken over the citadel on May 23 last year"},
            {"source": NEWARAB, "quote": "the citadel", "mentions": ["citadel"]},
        ],
    )  # fmt: skip
    ok(
        run("merge-events", CITADEL, again.uid, "--reason", REASON, "--by", "ana"),
        stderr=f"Merged event {again.uid} into {CITADEL} (1 citation moved, 1 dropped as a "
        "repeat); its confidence is single_source.\n",
    )
    kept = reg.get_event(CITADEL)
    assert [(c.quote, c.mentions) for c in kept.citations] == [
        (CITADEL_QUOTE, []),
        # Moved to the citadel's own event, the quote no longer merely mentions it.
        ("the citadel", []),
    ]
    history = run("history", again.uid).stdout
    assert f"  dropped as a repeat: {NEWARAB}: had  taken over the citadel" in history
    (_, entry) = reg.history("event", again.uid)
    assert entry.new["dropped_citations"][0]["quote"] == (
        "had  taken over the citadel on May 23 last year"
    )


def test_show_and_cite_of_a_merged_uid_follow_to_the_kept_event(run: Run, reg: Registry) -> None:
    reg.merge_events(CITADEL, DUP, reason=REASON, by="ana")
    note = f"event {DUP} was merged into {CITADEL} on 2026-01-02: {REASON}"
    ok(
        run("show", "event", DUP),
        stdout=run("show", "event", CITADEL).stdout,
        stderr=f"{note}; showing {CITADEL}\n",
    )
    ok(
        run("show", "event", DUP, "--format", "json"),
        stdout=run("show", "event", CITADEL, "--format", "json").stdout,
        stderr=f"{note}; showing {CITADEL}\n",
    )
    ok(
        run("cite", DUP, "--source", NEWARAB, "--quote", "the citadel's garrison"),
        stderr=f"{note}; citing {CITADEL}\n"
        f"Cited source {NEWARAB} on event {CITADEL}; its confidence is corroborated.\n",
    )
    assert reg.get_event(CITADEL).citations[-1].quote == "the citadel's garrison"
    assert reg.get_event(DUP).citations == []
    assert reg.get_event(DUP, follow=True) == reg.get_event(CITADEL)
    assert [change.action for change in reg.history("event", DUP)] == ["create", "merge"]
    assert [change.action for change in reg.history("event", CITADEL)] == [
        "create",
        "merge",
        "cite",
    ]


def test_registry_merge_of_a_merged_uid_cites_the_kept_event_as_cite_does(
    reg: Registry,
) -> None:
    """`Registry.merge` (what seeding uses) of a merged uid with a citation it lacks adds
    it to the event the uid leads to, as `cite` and an import do: on the merged event it
    would be counted nowhere."""
    from heritage_registry.models import DamageEventCreate

    reg.merge_events(CITADEL, DUP, reason=REASON, by="ana")
    dup = reg.get_event(DUP)
    given = DamageEventCreate.model_validate(
        {
            **dup.model_dump(include={"uid", "site", "monument", "cause", "damage_level"}),
            "occurred": dup.occurred,
            "citations": [{"source": NEWARAB, "quote": "the citadel's garrison"}],
        }
    )
    report = reg.merge(events=[given], by="ana")
    assert (report.added["citations"], report.existing["events"]) == (1, 1)
    assert reg.get_event(CITADEL).citations[-1].quote == "the citadel's garrison"
    assert reg.get_event(DUP).citations == []
    assert [change.action for change in reg.history("event", CITADEL)][-1] == "cite"
    # Twice changes nothing.
    before = dump(reg.engine)
    again = reg.merge(events=[given], by="ana")
    assert (again.added["citations"], again.existing["citations"]) == (0, 1)
    assert dump(reg.engine) == before


def test_registry_merge_checks_an_added_citation_as_cite_does(reg: Registry) -> None:
    """A citation `Registry.merge` adds to an event already present is refused where `cite`
    refuses it (here: a source published before the event occurred), and nothing is
    written."""
    from heritage_registry.models import DamageEventCreate

    reg.add_source(key="early", title="An early report", publisher="AFP", published="2014-01")
    citadel = reg.get_event(CITADEL)
    given = DamageEventCreate.model_validate(
        {
            **citadel.model_dump(include={"uid", "site", "monument", "cause", "damage_level"}),
            "occurred": citadel.occurred,
            "citations": [{"source": "early", "quote": "the citadel is occupied"}],
        }
    )
    with pytest.raises(InvalidRecord) as cite_refused:
        reg.cite(CITADEL, source="early", quote="the citadel is occupied")
    before = dump(reg.engine)
    with pytest.raises(InvalidRecord) as merge_refused:
        reg.merge(events=[given], by="ana")
    assert str(merge_refused.value) == str(cite_refused.value)
    assert dump(reg.engine) == before


def test_a_chain_of_merges_is_followed_to_its_end(run: Run, reg: Registry) -> None:
    reg.merge_events(CITADEL, DUP, reason=REASON)
    reg.merge_events(OCCUPATION, CITADEL, reason="the citadel's is the city's")
    assert [e.uid for e in reg.event_trail(DUP)] == [DUP, CITADEL, OCCUPATION]
    result = run("show", "event", DUP)
    assert result.stderr == (
        f"event {DUP} was merged into {CITADEL} on 2026-01-02: {REASON}\n"
        f"event {CITADEL} was merged into {OCCUPATION} on 2026-01-02: the citadel's is the "
        f"city's; showing {OCCUPATION}\n"
    )
    assert result.stdout == run("show", "event", OCCUPATION).stdout


def test_merged_events_are_counted_nowhere(run: Run, reg: Registry) -> None:
    assert (reg.count_events(site="palmyra"), reg.count_events()) == (4, 5)
    before = build_summary(reg, "palmyra")
    reg.merge_events(CITADEL, DUP, reason=REASON)
    assert (reg.count_events(site="palmyra"), reg.count_events()) == (3, 4)
    assert reg.count_events(site="palmyra", monument="citadel") == 1
    assert re.search(r"^events +3$", run("show", "site", "palmyra").stdout, re.MULTILINE)
    after = build_summary(reg, "palmyra")
    assert (before.counts.events, after.counts.events) == (4, 3)
    assert (before.counts.merged, after.counts.merged) == (0, 1)
    # Listed, marked, and counted nowhere.
    (shown,) = [event for event in after.events if event.uid == DUP]
    assert (shown.merged_into, shown.counted) == (CITADEL, False)
    assert "merged" not in after.counts.by_confidence
    located = {
        f["properties"]["slug"]: f["properties"]["event_count"] for f in geojson(reg)["features"]
    }
    assert located["palmyra"] == 3
    # Listed, as a retracted event is, and shown as merged.
    listed = {e.uid: e.confidence for e in reg.list_events(site="palmyra")}
    assert listed[DUP] is Confidence.MERGED


def test_a_merged_event_is_neither_corrected_nor_retracted(run: Run, reg: Registry) -> None:
    reg.merge_events(CITADEL, DUP, reason=REASON)
    before = dump(reg.engine)
    refused(
        run("update-event", DUP, "--level", "severe", "--reason", "x"),
        f"event {DUP} was merged into {CITADEL}; correct {CITADEL} instead",
    )
    refused(
        run("retract", DUP, "--reason", "x"),
        f"event {DUP} was merged into {CITADEL}; retract {CITADEL} instead",
    )
    assert dump(reg.engine) == before


REFUSALS: dict[str, tuple[list[str], str]] = {
    "itself": (
        [CITADEL, CITADEL],
        f"cannot merge event {CITADEL} into itself; name the event to keep, then its duplicate",
    ),
    "itself by the beginning of its uid": (
        [OCCUPATION, OCCUPATION[:8]],
        f"cannot merge event {OCCUPATION} into itself; name the event to keep, then its duplicate",
    ),
    "into a merged event": (
        [DUP, OCCUPATION],
        f"event {DUP} was merged into {CITADEL}; merge {OCCUPATION} into {CITADEL} instead",
    ),
    "into the event it holds": (
        [DUP, CITADEL],
        f"event {DUP} was merged into {CITADEL} already; nothing to do",
    ),
    "an event merged already": (
        [CITADEL, DUP],
        f"event {DUP} was merged into {CITADEL} already; nothing to do",
    ),
    "an event merged elsewhere": (
        [OCCUPATION, DUP],
        f"event {DUP} was merged into {CITADEL} already; to fold them all into one, merge "
        f"{CITADEL} into {OCCUPATION}",
    ),
    "into a retracted event": (
        [TEMPLES, OCCUPATION],
        f"event {TEMPLES} is retracted; merge {OCCUPATION} into an event that is not",
    ),
    "a retracted event": (
        [OCCUPATION, TEMPLES],
        f"event {TEMPLES} is retracted; a retracted event is not merged, its citations stay "
        "with it",
    ),
    "across sites": (
        [OCCUPATION, MOSUL],
        f"event {OCCUPATION} is at site 'palmyra' and event {MOSUL} at site 'mosul-museum'; "
        "merge only events of the same site",
    ),
    "an unknown event": ([OCCUPATION, "nonesuch"], "no event 'nonesuch'"),
}


@pytest.mark.parametrize(("args", "message"), REFUSALS.values(), ids=list(REFUSALS))
def test_merge_refusals_change_nothing(
    run: Run, reg: Registry, args: list[str], message: str
) -> None:
    reg.merge_events(CITADEL, DUP, reason=REASON)
    reg.retract_event(TEMPLES, reason="withdrawn")
    before = dump(reg.engine)
    refused(run("merge-events", *args, "--reason", "one incident"), message)
    assert dump(reg.engine) == before


def test_merge_needs_a_reason(run: Run, reg: Registry) -> None:
    before = dump(reg.engine)
    result = run("merge-events", CITADEL, DUP)
    assert result.exit_code == 2
    assert "Missing option '--reason'" in result.stderr
    blank = run("merge-events", CITADEL, DUP, "--reason", " ")
    assert blank.exit_code == 2
    assert "Invalid value for '--reason'" in blank.stderr
    with pytest.raises(InvalidRecord, match=r"^a merge needs a reason: say why"):
        reg.merge_events(CITADEL, DUP, reason=" ")
    assert dump(reg.engine) == before


def test_a_merge_never_has_a_source_report_what_had_not_happened(run: Run, reg: Registry) -> None:
    reg.add_source(key="later", title="A later report", publisher="AFP", published="2016-06")
    late = reg.add_event(
        site="palmyra", cause="occupation", damage_level="unknown", occurred="2016-05",
        source="later", quote="still held in May",
    )  # fmt: skip
    before = dump(reg.engine)
    refused(
        run("merge-events", late.uid, OCCUPATION, "--reason", REASON),
        f"cannot merge event {OCCUPATION} into {late.uid}: the event's date 2016-05 begins "
        f"after source '{IANS}' was published (2016-03-27): a source cannot report what had "
        f"not yet happened; correct one of the two dates, or merge {late.uid} into {OCCUPATION}",
    )
    assert dump(reg.engine) == before
    ok(
        run("merge-events", OCCUPATION, late.uid, "--reason", REASON),
        stderr=f"Merged event {late.uid} into {OCCUPATION} (1 citation moved); its confidence "
        "is corroborated.\n",
    )


def test_merge_by_the_beginning_of_uids(run: Run, reg: Registry) -> None:
    ok(
        run("merge-events", CITADEL[:8], DUP[:6], "--reason", REASON, "--by", "ana"),
        stderr=f"Merged event {DUP} into {CITADEL} (1 citation moved); its confidence is "
        "corroborated.\n",
    )
    assert [(c.action, c.new.get("merged_from")) for c in reg.history("event", CITADEL)] == [
        ("create", None),
        ("merge", DUP),
    ]
    assert reg.get_event(DUP).merged_into == CITADEL


# Export and import ------------------------------------------------------------------------


def exported(registry: Registry) -> str:
    out = io.StringIO()
    export_jsonl(registry, out)
    return out.getvalue()


def imported(registry: Registry, text: str) -> Any:
    return import_jsonl(registry, io.BytesIO(text.encode()))


def event_lines(text: str) -> dict[str, dict[str, Any]]:
    records = [json.loads(line) for line in text.splitlines()[1:]]
    return {r["uid"]: r for r in records if r["type"] == "event"}


def test_export_carries_the_merge_and_csv_names_it(reg: Registry) -> None:
    reg.merge_events(CITADEL, DUP, reason=REASON)
    events = event_lines(exported(reg))
    assert {k: events[DUP][k] for k in ("merged_into", "merged_at", "merge_reason")} == {
        "merged_into": CITADEL,
        "merged_at": STAMP,
        "merge_reason": REASON,
    }
    assert events[DUP]["citations"] == []
    assert events[CITADEL]["merged_into"] is None
    out = io.StringIO()
    export_events_csv(reg, out)
    rows = {row["uid"]: row for row in csv.DictReader(io.StringIO(out.getvalue()))}
    assert (rows[DUP]["merged_into"], rows[DUP]["confidence"]) == (CITADEL, "merged")
    assert rows[CITADEL]["merged_into"] == ""


def test_citations_given_for_a_merged_uid_go_to_the_kept_event(
    run: Run, reg: Registry, tmp_path: Any
) -> None:
    # A file exported before the merge: DUP with its citation, and one more.
    text = exported(reg)
    record = event_lines(text)[DUP]
    record["citations"].append({"source": NEWARAB, "quote": "the citadel fell in May"})
    path = tmp_path / "older.jsonl"
    path.write_text(text.splitlines()[0] + "\n" + json.dumps(record) + "\n", encoding="utf-8")
    reg.merge_events(CITADEL, DUP, reason=REASON)
    ok(
        run("import", str(path)),
        stderr=f"Imported {path}: added 0 sites, 0 monuments, 0 sources, 0 events, 1 "
        "citation; 2 already present; 1 event given had been merged into another: its "
        f"citations went to the event it leads to ({DUP} -> {CITADEL}).\n",
    )
    assert [c.quote for c in reg.get_event(CITADEL).citations] == [
        CITADEL_QUOTE,
        CITADEL_QUOTE,
        "the citadel fell in May",
    ]
    assert reg.get_event(DUP).citations == []


HEADER = '{"format":"heritage-registry","version":1}\n'
SITE = '{"type":"site","slug":"palmyra","name":"Palmyra","country":"SY"}\n'
NIMRUD = '{"type":"site","slug":"nimrud","name":"Nimrud","country":"IQ"}\n'
SOURCE = '{"type":"source","key":"s1","title":"A report","publisher":"P"}\n'
A = "00000000-0000-4000-8000-00000000000a"
B = "00000000-0000-4000-8000-00000000000b"
C = "00000000-0000-4000-8000-00000000000c"


def line(uid: str, **overrides: Any) -> str:
    record = {
        "type": "event",
        "uid": uid,
        "site": "palmyra",
        "cause": "explosives",
        "damage_level": "destroyed",
        "occurred": "2015-08",
        "citations": [{"source": "s1", "quote": f"blown up ({uid[-1]})"}],
    } | overrides
    return json.dumps(record) + "\n"


def test_a_merge_may_point_to_an_event_later_in_the_file(registry: Registry) -> None:
    text = (
        HEADER + SITE + SOURCE
        + line(A, merged_into=B, merge_reason="the same blast", citations=[])
        + line(B)
        + line(C, merged_into=A, citations=[{"source": "s1", "quote": "razed"}])
    )  # fmt: skip
    report = imported(registry, text)
    assert report.added["events"] == 3
    assert report.redirected == {C: B}
    assert [e.uid for e in registry.event_trail(C)] == [C, A, B]
    assert [c.quote for c in registry.get_event(B).citations] == ["blown up (b)", "razed"]
    assert registry.count_events() == 1
    again = imported(registry, text)
    assert (sum(again.added.values()), again.existing["events"]) == (0, 3)


def test_a_merge_may_point_to_an_event_in_the_registry(registry: Registry) -> None:
    imported(registry, HEADER + SITE + SOURCE + line(B))
    imported(registry, HEADER + line(A, merged_into=B, citations=[]))
    assert registry.get_event(A).merged_into == B
    assert registry.get_event(A).merged_at is not None


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (
            [line(A, merged_into=C, citations=[])],
            f"line 4: merged_into: no event {C} in the registry or the file",
        ),
        ([line(A, merged_into=A, citations=[])], f"line 4: event {A} is merged into itself"),
        (
            [NIMRUD, line(A, merged_into=B, citations=[]), line(B, site="nimrud")],
            f"line 5: merged_into: event {B} is at site 'nimrud', not 'palmyra'",
        ),
        (
            [line(A, merged_into=B, citations=[]), line(B, merged_into=A, citations=[])],
            f"line 4: event {A} is merged into {B}, which leads back to it",
        ),
        ([line(A, citations=[])], "line 4: citations: an event needs at least one citation"),
        ([line(A, merge_reason="x")], "line 4: merged_at and merge_reason go with merged_into"),
    ],
    ids=["unknown", "itself", "another site", "circle", "no citations", "reason alone"],
)
def test_a_bad_merge_in_a_file_names_its_line_and_writes_nothing(
    registry: Registry, lines: list[str], message: str
) -> None:
    before = dump(registry.engine)
    with pytest.raises(ImportFailed, match=message.replace("(", r"\(")):
        imported(registry, HEADER + SITE + SOURCE + "".join(lines))
    assert dump(registry.engine) == before


# Properties ----------------------------------------------------------------------------------

_serial = itertools.count()

# Few values, so that the two events often cite the same thing, or nearly.
citation_choices = st.fixed_dictionaries(
    {
        "source": st.sampled_from(["s1", "s2"]),
        "quote": st.sampled_from(["blown up", "blown  up", "razed", "the temple was razed"]),
        "location": st.sampled_from([None, "p. 1"]),
        "stance": st.sampled_from(["supports", "disputes"]),
    }
)


def event_citations(mentions: bool) -> st.SearchStrategy[list[dict[str, Any]]]:
    """One event's citations: never one statement twice, as the registry refuses it."""
    cited = st.lists(
        citation_choices,
        min_size=1,
        max_size=4,
        unique_by=lambda c: citation_identity(SimpleNamespace(**c)),
    )
    if not mentions:
        return cited
    return cited.map(lambda found: [found[0] | {"mentions": ["temple"]}, *found[1:]])


@given(data=st.data())
def test_a_merge_keeps_every_statement_once_and_the_merged_uid_leads_to_the_kept(
    registry: Registry, data: st.DataObject
) -> None:
    site = f"site-{next(_serial)}"
    registry.add_site(slug=site, name="A site", country="SY")
    registry.add_monument(site=site, slug="temple", name="Temple", kind="temple")
    for key, publisher in (("s1", "AFP"), ("s2", "SANA")):
        if key not in {s.key for s in registry.list_sources()}:
            registry.add_source(key=key, title=key, publisher=publisher)
    on_temple = data.draw(st.booleans(), label="kept on the temple")
    keep = registry.add_event(
        site=site, monument="temple" if on_temple else None, cause="explosives",
        damage_level="destroyed", occurred="2015-08",
        citations=data.draw(event_citations(False), label="kept"),
    )  # fmt: skip
    other = registry.add_event(
        site=site, cause="explosives", damage_level="destroyed", occurred="2015-08-30",
        citations=data.draw(event_citations(data.draw(st.booleans())), label="other"),
    )  # fmt: skip
    assert [(p.events[0].uid, p.events[1].uid) for p in registry.duplicates(site)] == [
        (keep.uid, other.uid)
    ]

    merged = registry.merge_events(keep.uid, other.uid, reason="one blast", by="ana")

    wanted = list(dict.fromkeys(citation_identity(c) for c in keep.citations + other.citations))
    kept = registry.get_event(keep.uid)
    assert [citation_identity(c) for c in kept.citations] == wanted
    assert merged.moved + merged.dropped == len(other.citations)
    assert merged.moved == len(wanted) - len(keep.citations)
    assert all(kept.monument not in c.mentions for c in kept.citations)
    # Each citation that is not a repeat moved whole, with its stance and its time.
    whole = {(c.source, c.quote, c.location, c.stance, c.recorded_at) for c in kept.citations}
    held = {citation_identity(c) for c in keep.citations}
    assert {
        (c.source, c.quote, c.location, c.stance, c.recorded_at)
        for c in keep.citations + [c for c in other.citations if citation_identity(c) not in held]
    } == whole

    gone = registry.get_event(other.uid)
    assert (gone.merged_into, gone.confidence, gone.citations) == (
        keep.uid,
        Confidence.MERGED,
        [],
    )
    # Counted nowhere.
    assert registry.count_events(site=site) == 1
    summary = build_summary(registry, site)
    assert [event.uid for event in summary.events if event.counted] == [keep.uid]
    assert (summary.counts.events, summary.counts.merged) == (1, 1)
    assert registry.duplicates(site) == []
    # Followed to the kept event.
    assert registry.get_event(other.uid, follow=True) == kept
    assert registry.event_trail(other.uid) == [gone, kept]
    cited = registry.cite(other.uid, source="s1", quote=f"later ({next(_serial)})")
    assert cited.uid == keep.uid
    assert len(cited.citations) == len(wanted) + 1
    assert registry.get_event(other.uid).citations == []


def test_merges_survive_export_and_import_into_sqlite(
    fresh_registry: Callable[[str], Registry], reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg.merge_events(CITADEL, DUP, reason=REASON, by="ana")
    # An import tells history entries apart by record, action and time: the clock moves.
    later = NOW + dt.timedelta(seconds=1)
    monkeypatch.setattr("heritage_registry.registry.utcnow", lambda: later)
    reg.merge_events(OCCUPATION, CITADEL, reason="one occupation")
    text = exported(reg)
    copy = fresh_registry("sqlite")
    report = imported(copy, text)
    assert report.added == json.loads(text.splitlines()[0])["counts"]
    assert report.redirected == {}
    assert exported(copy) == text
    assert [e.uid for e in copy.event_trail(DUP)] == [DUP, CITADEL, OCCUPATION]


def test_two_merges_of_one_pair_at_once_fold_it_once(reg: Registry) -> None:
    """Each way round at the same moment, ten times: one merge wins, the other finds the
    pair merged already, and neither waits on the other for ever (rows locked in uid
    order) nor merges a merged event (rows read again once locked)."""
    for round_ in range(10):
        pair = [
            reg.add_event(
                site="palmyra", cause="fire", damage_level="minor", occurred="2015-09",
                source=IANS, quote=f"a fire, round {round_}, report {n}",
            ).uid
            for n in range(2)
        ]  # fmt: skip
        barrier = threading.Barrier(2)

        def merge(keep: str, other: str, barrier: threading.Barrier = barrier) -> str:
            barrier.wait()
            try:
                reg.merge_events(keep, other, reason="one fire")
            except InvalidRecord as exc:
                return str(exc)
            return "merged"

        with ThreadPoolExecutor(2) as pool:
            first = pool.submit(merge, pair[0], pair[1])
            second = pool.submit(merge, pair[1], pair[0])
            outcomes = sorted([first.result(timeout=60), second.result(timeout=60)])
        assert outcomes[1] == "merged", outcomes
        assert outcomes[0].endswith("already; nothing to do"), outcomes
        merged = [uid for uid in pair if reg.get_event(uid).merged_into is not None]
        assert len(merged) == 1
        assert len(reg.get_event(merged[0], follow=True).citations) == 2
