"""Imports a person can fix in one pass: `--dry-run`, every problem at once in the file's
words, the CSV export read back unchanged, and citations added by an event's uid alone.

Each runs on both engines where a database is involved, through `registry` in-process
with exact output, or through the library.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heritage_registry import Registry
from heritage_registry.exchange import (
    ImportFailed,
    ImportProblems,
    export_events_csv,
    export_jsonl,
    export_sources_csv,
    import_csv,
    import_jsonl,
    readable_field,
)
from heritage_registry.seed import load_seed
from tests import strategies as s
from tests.helpers import dump
from tests.test_cli import IANS, NEWARAB, OCCUPATION, Run, invoker
from tests.test_exchange import fill, merge_some

HEADER = '{"format":"heritage-registry","version":1}\n'
NEW_UID = "0b7e4c1a-5d2f-4e3a-9c8b-7a6f5e4d3c2b"
OTHER_UID = "0b7e4c1a-5d2f-4e3a-9c8b-7a6f5e4d3c2c"
NOWHERE = "00000000-0000-4000-8000-000000000000"
PALMIRA = (
    "no site 'palmira' in the registry or earlier in the file; did you mean 'palmyra'? else "
    "add it first"
)
CAUSES = (
    "explosives, demolition, smashing, looting, fire, shelling, gunfire, combat, occupation, "
    "mining, other, unknown"
)


def lines(*records: dict[str, Any]) -> str:
    return HEADER + "".join(json.dumps(record) + "\n" for record in records)


def event(**overrides: Any) -> dict[str, Any]:
    return {
        "type": "event", "uid": NEW_UID, "site": "palmyra", "cause": "fire",
        "damage_level": "minor", "occurred": "2015-06",
        "citations": [{"source": IANS, "quote": "set alight"}],
    } | overrides  # fmt: skip


@pytest.fixture
def seeded_url(migrated_url: str) -> str:
    with Registry.open(migrated_url) as registry:
        load_seed(registry)
    return migrated_url


@pytest.fixture
def seeded(seeded_url: str) -> Iterator[Registry]:
    with Registry.open(seeded_url) as registry:
        yield registry


@pytest.fixture
def run(seeded_url: str) -> Run:
    return invoker(seeded_url)


def written(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def sqlite_file(registry: Registry) -> bytes | None:
    """The SQLite file's bytes (None on PostgreSQL), to show that not a byte changed."""
    if registry.engine.dialect.name != "sqlite":
        return None
    registry.engine.dispose()
    return Path(registry.engine.url.database or "").read_bytes()


# --dry-run -----------------------------------------------------------------------------


def test_a_dry_run_says_what_it_would_add_and_writes_nothing(
    run: Run, seeded: Registry, tmp_path: Path
) -> None:
    path = written(
        tmp_path / "more.jsonl",
        lines(
            {"type": "site", "slug": "hatra", "name": "Hatra", "country": "IQ"},
            {"type": "source", "key": "new-source", "title": "A report", "publisher": "P"},
            event(site="hatra", citations=[{"source": "new-source", "quote": "burnt"}]),
            {"uid": OCCUPATION, "citations": [{"source": IANS, "quote": "a new quote"}]},
        ),
    )
    before, file_before = dump(seeded.engine), sqlite_file(seeded)
    checked = run("import", "--dry-run", str(path))
    assert (checked.exit_code, checked.stdout, checked.stderr) == (
        0,
        "",
        f"Checked {path}: would add 1 site, 0 monuments, 1 source, 1 event, 2 citations; "
        "0 already present; nothing was written (--dry-run).\n",
    )
    assert dump(seeded.engine) == before
    assert sqlite_file(seeded) == file_before
    imported = run("import", str(path))
    assert (imported.exit_code, imported.stderr) == (
        0,
        f"Imported {path}: added 1 site, 0 monuments, 1 source, 1 event, 2 citations; "
        "0 already present.\n",
    )
    again = run("import", "--dry-run", str(path))
    assert again.stderr == (
        f"Checked {path}: would add 0 sites, 0 monuments, 0 sources, 0 events, 0 citations; "
        "5 already present; nothing was written (--dry-run).\n"
    )


def test_a_dry_run_finds_what_the_registry_refuses_as_an_import_does(
    run: Run, seeded: Registry, tmp_path: Path
) -> None:
    path = written(
        tmp_path / "bad.jsonl",
        lines(
            event(site="palmira"),
            event(uid=OCCUPATION, cause="fire"),
            event(uid=OTHER_UID, occurred="2016-04", citations=[{"source": NEWARAB, "quote": "q"}]),
            {"uid": NOWHERE, "citations": [{"source": IANS, "quote": "q"}]},
            event(uid=OTHER_UID.replace("c2c", "c2d"), citations=[{"source": IANS, "quote": ""}]),
        ),
    )
    expected = (
        f"Error: 5 problems in {path}; nothing was written:\n"
        "  line 2: no site 'palmira' in the registry or earlier in the file; did you mean "
        "'palmyra'? else add it first\n"
        f"  line 3: event {OCCUPATION} is in the registry with a different cause "
        "('occupation', not 'fire'); correct the line or give it a new uid\n"
        "  line 4: the event's date 2016-04 begins after source 'newarab-2016-03-27' was "
        "published (2016-03-27): a source cannot report what had not yet happened; correct "
        "one of the two dates\n"
        f"  line 5: no event {NOWHERE} in the registry or earlier in the file to add the "
        "citations to; check the uid\n"
        "  line 6: citation 1's quote: empty; give a value\n"
    )
    before, file_before = dump(seeded.engine), sqlite_file(seeded)
    for args in (["--dry-run"], []):
        result = run("import", *args, str(path))
        assert (result.exit_code, result.stdout, result.stderr) == (1, "", expected)
        assert dump(seeded.engine) == before
        assert sqlite_file(seeded) == file_before


def test_a_dry_run_needs_a_registry_and_creates_none(tmp_path: Path) -> None:
    target = tmp_path / "none.db"
    path = written(tmp_path / "more.jsonl", lines(event()))
    result = invoker(f"sqlite:///{target}")("import", "--dry-run", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: no registry at {target}")
    assert not target.exists()


def test_the_library_dry_run_reports_what_the_import_adds(seeded: Registry) -> None:
    text = lines(event(), {"uid": OCCUPATION, "citations": [{"source": IANS, "quote": "new"}]})
    before = dump(seeded.engine)
    dry = import_jsonl(seeded, io.BytesIO(text.encode()), dry_run=True)
    assert dump(seeded.engine) == before
    real = import_jsonl(seeded, io.BytesIO(text.encode()))
    assert (dry.dry_run, real.dry_run) == (True, False)
    assert (dry.added, dry.existing) == (real.added, real.existing)
    assert dry.added["events"] == 1
    assert dry.added["citations"] == 2


# Every problem in one run ----------------------------------------------------------------


def test_three_bad_rows_are_each_reported_on_a_line_of_their_own(
    run: Run, seeded: Registry, tmp_path: Path
) -> None:
    path = written(
        tmp_path / "three.csv",
        "site,cause,damage_level,occurred,source,quote\n"
        f"palmyra,fire,minor,2015-06,{IANS},fine\n"
        f"palmira,fire,minor,2015-06,{IANS},bad site\n"
        f"palmyra,fyre,minor,2015-06,{IANS},bad cause\n"
        "palmyra,fire,minor,2015-06,nope,bad source\n",
    )
    before = dump(seeded.engine)
    result = run("import", str(path))
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        "",
        f"Error: 3 problems in {path}; nothing was written:\n"
        "  line 3: no site 'palmira' in the registry or earlier in the file; did you mean "
        "'palmyra'? else add it first\n"
        f"  line 4: unknown cause 'fyre'; choose one of: {CAUSES}\n"
        "  line 5: no source 'nope' in the registry or earlier in the file; add it first\n",
    )
    assert dump(seeded.engine) == before


def test_250_bad_rows_show_the_first_100_and_count_the_rest(
    run: Run, seeded: Registry, tmp_path: Path
) -> None:
    rows = [f"palmyra,fyre,minor,2015-06,{IANS},q{n}\n" for n in range(250)]
    path = written(
        tmp_path / "many.csv", "site,cause,damage_level,occurred,source,quote\n" + "".join(rows)
    )
    before = dump(seeded.engine)
    result = run("import", str(path))
    assert result.exit_code == 1
    shown = result.stderr.splitlines()
    assert shown[0] == f"Error: 250 problems in {path}; nothing was written:"
    assert shown[1:-1] == [
        f"  line {n}: unknown cause 'fyre'; choose one of: {CAUSES}" for n in range(2, 102)
    ]
    assert shown[-1] == "  and 150 more problems"
    assert dump(seeded.engine) == before


def test_the_problems_come_in_the_order_of_the_lines_whatever_found_them(
    seeded: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lines refused by pydantic, by the registry and by the merges' check, across
    batches, listed by line; of more than `PROBLEMS_SHOWN`, the first lines' are kept."""
    from heritage_registry.exchange import validate

    monkeypatch.setattr(validate, "BATCH_SIZE", 3)
    monkeypatch.setattr(validate, "PROBLEMS_SHOWN", 4)
    records = [
        event(uid=f"0b7e4c1a-5d2f-4e3a-9c8b-{n:012d}", merged_into=NOWHERE) for n in range(3)
    ]
    records += [event(site="palmira", uid=OTHER_UID), {"type": "sight"}, event(cause="fyre")]
    with pytest.raises(ImportProblems) as failed:
        import_jsonl(seeded, io.BytesIO(lines(*records).encode()))
    merged_into = (
        f"merged_into: no event {NOWHERE} in the registry or the file; give the uid of the "
        "event it was merged into"
    )
    assert failed.value.problems == [
        (2, merged_into),
        (3, merged_into),
        (4, merged_into),
        (5, PALMIRA),
    ]
    assert failed.value.more == 2
    assert failed.value.count == 6


def test_a_line_that_is_no_record_does_not_stop_the_check(seeded: Registry) -> None:
    text = (
        HEADER + "not json\n" + "[1]\n" + json.dumps(event(cause="fyre")) + "\n"
        '{"type": "site", "slug": "x", "slug": "y"}\n'
    )
    before = dump(seeded.engine)
    with pytest.raises(ImportProblems) as failed:
        import_jsonl(seeded, io.BytesIO(text.encode()))
    assert str(failed.value) == (
        "4 problems in the file; nothing was written:\n"
        "  line 2: not valid JSON (Expecting value at column 1)\n"
        "  line 3: a record must be a JSON object\n"
        f"  line 4: unknown cause 'fyre'; choose one of: {CAUSES}\n"
        "  line 5: the key 'slug' is given twice in one object; keep one"
    )
    assert dump(seeded.engine) == before


def test_a_line_too_long_to_read_ends_the_list_after_the_problems_before_it(
    seeded: Registry,
) -> None:
    from heritage_registry.exchange import MAX_LINE_BYTES

    text = HEADER + "[1]\n" + '{"type":"site","name":"' + "x" * MAX_LINE_BYTES + '"}\n[2]\n'
    with pytest.raises(ImportProblems) as failed:
        import_jsonl(seeded, io.BytesIO(text.encode()))
    assert failed.value.problems == [
        (2, "a record must be a JSON object"),
        (3, "longer than 1,000,000 bytes; split the record"),
    ]


def test_one_problem_is_one_line_as_before(seeded: Registry) -> None:
    with pytest.raises(ImportFailed) as failed:
        import_jsonl(seeded, io.BytesIO(lines(event(site="palmira")).encode()))
    assert not isinstance(failed.value, ImportProblems)
    assert str(failed.value) == "line 2: " + PALMIRA
    assert failed.value.problems == [(2, str(failed.value).removeprefix("line 2: "))]


@pytest.mark.parametrize(
    ("loc", "words"),
    [
        (("citations", 0, "quote"), "citation 1's quote"),
        (("citations", 1, "mentions", 2), "citation 2's mention 3"),
        (("alt_names", 1, "lang"), "alt name 2's lang"),
        (("cause",), "cause"),
        ((), ""),
    ],
)
def test_a_json_lines_field_is_named_in_words(loc: tuple[Any, ...], words: str) -> None:
    assert readable_field(loc) == words


def test_problems_name_fields_in_the_files_words_never_pydantics(seeded: Registry) -> None:
    bad = {"source": IANS, "quote": "q", "stance": "support", "claimed_occurred": "soon"}
    text = lines(
        event(citations=[{"source": IANS, "quote": "fine"}, bad]),
        {"type": "site", "slug": "hatra", "name": "Hatra", "country": "IQ",
         "alt_names": [{"name": "Al-Hadr", "lang": "ar"}, {"name": "Hatra", "lang": ""}]},
    )  # fmt: skip
    with pytest.raises(ImportProblems) as failed:
        import_jsonl(seeded, io.BytesIO(text.encode()))
    message = str(failed.value)
    assert "line 2: citation 2's stance: unknown stance 'support'; did you mean" in message
    assert "line 2: citation 2's claimed_occurred: " in message
    assert "line 3: alt name 2's lang: " in message
    for internal in ("citations.1", "citations[1]", "alt_names", "Value error", "(and "):
        assert internal not in message
    sheet = (
        "uid,site,cause,damage_level,occurred,citation_1_source,citation_1_quote,"
        "citation_2_source,citation_2_quote,citation_2_stance\n"
        f"{NEW_UID},palmyra,fire,minor,2015,{IANS},one,{IANS},two,support\n"
        f"{OTHER_UID},palmyra,fire,minor,2015,{IANS},,,,\n"
    )
    with pytest.raises(ImportProblems) as failed:
        import_csv(seeded, io.BytesIO(sheet.encode()))
    assert failed.value.problems == [
        (2, "citation_2_stance: unknown stance 'support'; did you mean 'supports'? choose one "
            "of: supports, disputes"),
        (3, "citation_1_quote: required; give a value"),
    ]  # fmt: skip


# The CSV export read back unchanged ------------------------------------------------------


def csv_files(registry: Registry) -> tuple[str, str]:
    events, sources = io.StringIO(), io.StringIO()
    export_events_csv(registry, events)
    export_sources_csv(registry, sources)
    return events.getvalue(), sources.getvalue()


def places_of(registry: Registry) -> bytes:
    """The registry's sites and monuments as JSON Lines: what the CSV export lacks."""
    out = io.StringIO()
    export_jsonl(registry, out)
    kept = [
        line
        for line in out.getvalue().splitlines(keepends=True)[1:]
        if json.loads(line)["type"] in ("site", "monument")
    ]
    return (HEADER + "".join(kept)).encode()


def test_the_csv_export_imports_back_unchanged(
    seeded: Registry, fresh_registry: Callable[[str], Registry], tmp_path: Path
) -> None:
    events_path, sources_path = tmp_path / "events.csv", tmp_path / "events.sources.csv"
    exported = invoker(seeded.engine.url.render_as_string(hide_password=False))(
        "export", "--format", "csv", "-o", str(events_path)
    )
    assert exported.exit_code == 0, exported.stderr
    places = places_of(seeded)
    seeded.close()
    # On PostgreSQL the same scratch database, emptied.
    copy = fresh_registry(seeded.engine.dialect.name)
    import_jsonl(copy, io.BytesIO(places))
    run = invoker(copy.engine.url.render_as_string(hide_password=False))
    for path, added in (
        (sources_path, "0 sites, 0 monuments, 5 sources, 0 events, 0 citations"),
        (events_path, "0 sites, 0 monuments, 0 sources, 19 events, 59 citations"),
    ):
        result = run("import", str(path))
        assert (result.exit_code, result.stderr) == (
            0,
            f"Imported {path}: added {added}; 0 already present.\n",
        )
    assert csv_files(copy) == (
        events_path.read_text("utf-8"),
        sources_path.read_text("utf-8"),
    )
    again = run("import", str(events_path))
    assert again.stderr == (
        f"Imported {events_path}: added 0 sites, 0 monuments, 0 sources, 0 events, "
        "0 citations; 78 already present.\n"
    )


@given(contents=s.registry_contents(), data=st.data())
def test_any_registry_round_trips_through_its_csv_export(
    fresh_registry: Callable[[str], Registry],
    contents: dict[str, list[dict[str, Any]]],
    data: st.DataObject,
) -> None:
    original = fresh_registry("sqlite")
    fill(original, contents)
    merge_some(original, data)
    events, sources = csv_files(original)
    copy = fresh_registry("sqlite")
    import_jsonl(copy, io.BytesIO(places_of(original)))
    import_csv(copy, io.BytesIO(sources.encode()))
    import_csv(copy, io.BytesIO(events.encode()))
    assert csv_files(copy) == (events, sources)


@pytest.mark.parametrize("value", ["=1+1", "'=1+1", "''-x", "-5", "'quoted'", "@home", "-"])
def test_a_cell_comes_back_as_it_was_whatever_apostrophes_it_carries(
    seeded: Registry, value: str
) -> None:
    from heritage_registry.exchange import CsvRecords

    uid = seeded.add_event(
        site="palmyra", cause="fire", damage_level="minor", occurred="2015",
        description=value, source=IANS, quote=f"{value} said",
    ).uid  # fmt: skip
    events, _sources = csv_files(seeded)
    row = next(row for row in csv.DictReader(io.StringIO(events)) if row["uid"] == uid)
    # No spreadsheet runs it: a formula is text behind an apostrophe.
    assert not row["description"].startswith(("=", "+", "@")) or row["description"] == value
    read = [record for _line, record in CsvRecords(io.BytesIO(events.encode()))]
    back = next(record for record in read if isinstance(record, dict) and record["uid"] == uid)
    assert back["description"] == value


# Citations by the event's uid alone -------------------------------------------------------


def test_a_citation_is_added_by_the_events_uid_alone(
    run: Run, seeded: Registry, tmp_path: Path
) -> None:
    quote = {"source": IANS, "quote": "the militants held the town", "location": "para. 3"}
    path = written(tmp_path / "cite.jsonl", lines({"uid": OCCUPATION, "citations": [quote]}))
    result = run("import", "--by", "Ana Ruiz", str(path))
    assert (result.exit_code, result.stderr) == (
        0,
        f"Imported {path}: added 0 sites, 0 monuments, 0 sources, 0 events, 1 citation; "
        "0 already present.\n",
    )
    cited = seeded.get_event(OCCUPATION).citations[-1]
    assert (cited.source, cited.quote, cited.location) == (IANS, quote["quote"], "para. 3")
    entry = seeded.history("event", OCCUPATION)[-1]
    assert (entry.action, entry.changed_by, entry.how) == ("cite", "Ana Ruiz", "import")
    assert entry.new is not None
    assert entry.new["citation"]["quote"] == quote["quote"]
    assert entry.old is not None
    assert entry.new["citation_count"] == entry.old["citation_count"] + 1
    # Given again, with `type` and another citation: the one there is skipped.
    again = {"type": "event", "uid": OCCUPATION, "citations": [quote, {**quote, "quote": "q2"}]}
    path.write_text(lines(again), encoding="utf-8")
    result = run("import", str(path))
    assert result.stderr == (
        f"Imported {path}: added 0 sites, 0 monuments, 0 sources, 0 events, 1 citation; "
        "1 already present.\n"
    )


def test_a_csv_row_of_a_uid_and_a_citation_adds_it(
    run: Run, seeded: Registry, tmp_path: Path
) -> None:
    before = len(seeded.get_event(OCCUPATION).citations)
    path = written(
        tmp_path / "cite.csv",
        f"uid,source,quote,stance\n{OCCUPATION},{IANS},from a sheet,disputes\n",
    )
    result = run("import", str(path))
    assert (result.exit_code, result.stderr) == (
        0,
        f"Imported {path}: added 0 sites, 0 monuments, 0 sources, 0 events, 1 citation; "
        "0 already present.\n",
    )
    # In the export's layout, the event's columns left empty.
    exported = written(
        tmp_path / "export-cite.csv",
        "uid,site,cause,damage_level,occurred,citation_1_source,citation_1_quote\n"
        f"{OCCUPATION},,,,,{IANS},from the export's layout\n",
    )
    assert run("import", str(exported)).exit_code == 0
    citations = seeded.get_event(OCCUPATION).citations
    assert len(citations) == before + 2
    assert [(c.quote, c.stance) for c in citations[-2:]] == [
        ("from a sheet", "disputes"),
        ("from the export's layout", "supports"),
    ]
    assert [entry.action for entry in seeded.history("event", OCCUPATION)[-2:]] == [
        "cite",
        "cite",
    ]


def test_a_citation_for_an_unknown_uid_is_refused(
    run: Run, seeded: Registry, tmp_path: Path
) -> None:
    path = written(tmp_path / "cite.csv", f"uid,source,quote\n{NOWHERE},{IANS},q\n")
    before = dump(seeded.engine)
    result = run("import", str(path))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: line 2: no event {NOWHERE} in the registry or earlier in the file to add the "
        "citations to; check the uid\n",
    )
    assert dump(seeded.engine) == before


def test_citations_by_uid_for_an_event_earlier_in_the_file(seeded: Registry) -> None:
    text = lines(event(), {"uid": NEW_UID, "citations": [{"source": NEWARAB, "quote": "again"}]})
    report = import_jsonl(seeded, io.BytesIO(text.encode()))
    assert (report.added["events"], report.added["citations"]) == (1, 2)
    assert [c.quote for c in seeded.get_event(NEW_UID).citations] == ["set alight", "again"]
    assert [entry.action for entry in seeded.history("event", NEW_UID)][-1] == "cite"
    # Before the event is given, its uid names nothing yet.
    later = lines({"uid": OTHER_UID, "citations": [{"source": IANS, "quote": "q"}]}, event(
        uid=OTHER_UID))  # fmt: skip
    with pytest.raises(ImportFailed, match=f"line 2: no event {OTHER_UID}"):
        import_jsonl(seeded, io.BytesIO(later.encode()))


def test_citations_by_uid_are_checked_against_the_event(seeded: Registry) -> None:
    """The event's date against the source's publication, and its site's monuments."""
    text = lines(
        {"uid": OCCUPATION, "citations": [
            {"source": "nope", "quote": "q"},
            {"source": IANS, "quote": "q", "mentions": ["no-such-monument"]},
        ]},
    )  # fmt: skip
    with pytest.raises(ImportProblems) as failed:
        import_jsonl(seeded, io.BytesIO(text.encode()))
    assert [line for line, _problem in failed.value.problems] == [2, 2]
    assert failed.value.problems[0][1].startswith("no source 'nope'")
    assert "no-such-monument" in failed.value.problems[1][1]


def test_citations_by_the_uid_of_a_merged_event_go_to_the_event_it_leads_to(
    seeded: Registry,
) -> None:
    """As `registry cite` does: the event a merged one was folded into is cited."""
    keep, other = (
        seeded.add_event(
            site="palmyra", cause="fire", damage_level="minor", occurred="2015-06",
            source=IANS, quote=quote,
        ).uid
        for quote in ("the fire", "a fire")
    )  # fmt: skip
    seeded.merge_events(keep, other, reason="one fire")
    text = lines({"uid": other, "citations": [{"source": NEWARAB, "quote": "burning"}]})
    report = import_jsonl(seeded, io.BytesIO(text.encode()))
    assert report.redirected == {other: keep}
    assert report.describe().endswith(
        f"; 1 event given had been merged into another: its citations went to the event it "
        f"leads to ({other} -> {keep})"
    )
    assert [c.quote for c in seeded.get_event(keep).citations][-1] == "burning"
    assert seeded.history("event", keep)[-1].action == "cite"


def test_who_adds_citations_by_uid_is_checked_before_anything(
    run: Run, seeded: Registry, tmp_path: Path
) -> None:
    path = written(tmp_path / "cite.jsonl", lines({"uid": OCCUPATION, "citations": []}))
    result = run("import", "--by", " ", str(path))
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: by: give a name of 1 to 200 characters\n",
    )
    result = run("import", str(path))
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: line 2: citations: empty; give 1 or more\n",
    )
