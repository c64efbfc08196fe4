"""Provenance: who made each record and how, the registry-wide feed, and removals.

Every add command and library write takes `--by`/`by=`; history records each record's
creation with who, when and how (command, library, import, seed); `registry history`
with no record is the registry's feed, newest first; `registry remove` takes away a
record entered by mistake while nothing refers to it, and keeps its history. Exact
output on each engine, with a clock each test sets.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from heritage_registry import Registry
from heritage_registry.errors import InvalidRecord, Referenced, SourceNotFound
from heritage_registry.seed import load_seed
from tests.helpers import dump
from tests.test_cli import (
    CITADEL,
    EDITOR,
    IANS,
    NEWARAB,
    OCCUPATION,
    TEMPLES,
    Run,
    invoker,
    ok,
    populate,
    refused,
)

START = dt.datetime(2026, 1, 2, 3, 0, tzinfo=dt.UTC)


def stamp(minute: int) -> str:
    return f"2026-01-02T03:{minute:02d}:00Z"


class Clock:
    """The registry's clock, at 03:00 until a test moves it (`clock.minute = 10`)."""

    def __init__(self) -> None:
        self.minute = 0

    def __call__(self) -> dt.datetime:
        return START + dt.timedelta(minutes=self.minute)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr("heritage_registry.registry.utcnow", clock)
    return clock


@pytest.fixture
def reg(migrated_url: str, clock: Clock) -> Iterator[Registry]:
    """test_cli's records (nine creations and a citation at 03:00, by `editor`); the clock
    then moves to 03:10."""
    with Registry.open(migrated_url) as registry:
        populate(registry)
        clock.minute = 10
        yield registry


@pytest.fixture
def run(reg: Registry, migrated_url: str) -> Run:
    return invoker(migrated_url)


# Creations -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "record", "shown"),
    [
        (
            [
                "add-site",
                "nimrud",
                "--name",
                "Nimrud",
                "--country",
                "IQ",
                "--kind",
                "historic-city",
            ],
            ["--site", "nimrud"],
            "  slug: nimrud\n  name: Nimrud\n  country: IQ\n  kind: historic_city\n",
        ),
        (
            ["add-monument", "palmyra", "arch", "--name", "Arch", "--kind", "other"],
            ["--site", "palmyra", "--monument", "arch"],
            "  site: palmyra\n  slug: arch\n  name: Arch\n  kind: other\n",
        ),
        (
            ["add-source", "unesco-1", "--title", "Report", "--publisher", "UNESCO"],
            ["--source", "unesco-1"],
            "  key: unesco-1\n  title: Report\n  publisher: UNESCO\n  source_type: news_report\n",
        ),
    ],
)
def test_every_add_command_records_who_created_the_record(
    run: Run, args: list[str], record: list[str], shown: str
) -> None:
    assert run(*args, "--by", "Ana Ruiz").exit_code == 0
    ok(run("history", *record), stdout=f"{stamp(10)}  create  by Ana Ruiz  (command)\n{shown}")


def test_add_event_records_its_creation_with_its_citation(run: Run) -> None:
    added = run(
        "add-event", "palmyra", "--monument", "temple-of-bel", "--cause", "explosives",
        "--level", "destroyed", "--occurred", "2015-08-30", "--source", NEWARAB,
        "--quote", "blew up the Temple of Bel", "--by", "Ana Ruiz",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    uid = added.stdout.strip()
    ok(
        run("history", uid),
        stdout=f"{stamp(10)}  create  by Ana Ruiz  (command)\n"
        f"  uid: {uid}\n"
        "  site: palmyra\n"
        "  monument: temple-of-bel\n"
        "  cause: explosives\n"
        "  damage_level: destroyed\n"
        "  occurred: 2015-08-30\n"
        "  confidence: single_source\n"
        f"  cited {NEWARAB}: blew up the Temple of Bel\n",
    )
    (created,) = json.loads(run("history", uid, "--format", "json").stdout)
    assert (created["action"], created["how"], created["old"]) == ("create", "command", None)
    assert [c["quote"] for c in created["new"]["citations"]] == ["blew up the Temple of Bel"]


def test_library_writes_say_they_came_from_the_library(reg: Registry) -> None:
    reg.add_site(slug="nimrud", name="Nimrud", country="IQ", by="script")
    (created,) = reg.history("site", "nimrud")
    assert (created.action, created.changed_by, created.how) == ("create", "script", "library")
    assert created.changed_at == START + dt.timedelta(minutes=10)
    assert created.new is not None
    assert created.new["created_at"] == stamp(10)


def test_without_by_the_creator_is_the_operating_system_user(
    reg: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "field-team")
    reg.add_source(key="unesco-1", title="Report", publisher="UNESCO")
    assert reg.history("source", "unesco-1")[0].changed_by == "field-team"


def test_a_refused_by_writes_nothing(reg: Registry, run: Run) -> None:
    before = dump(reg.engine)
    refused(
        run("add-site", "nimrud", "--name", "Nimrud", "--country", "IQ", "--by", "a\x1b[2Jb"),
        "by: contains a control character (U+001B); remove it",
    )
    assert dump(reg.engine) == before


def test_the_seed_records_its_records_as_come_from_the_seed(migrated_url: str) -> None:
    with Registry.open(migrated_url) as registry:
        load_seed(registry, by="loader")
        entries = registry.changes()
        assert len(entries) == 3 + 5 + 5 + 19
        assert {(e.action, e.changed_by, e.how) for e in entries} == {("create", "loader", "seed")}
        # A second load adds nothing, so it records nothing.
        load_seed(registry, by="loader")
        assert len(registry.changes()) == len(entries)


def test_seed_by_on_the_command_line(migrated_url: str) -> None:
    run = invoker(migrated_url)
    assert run("seed", "--by", "Ana Ruiz").exit_code == 0
    feed = json.loads(run("history", "--limit", "0", "--format", "json").stdout)
    assert {(e["changed_by"], e["how"]) for e in feed} == {("Ana Ruiz", "seed")}


# The registry-wide feed ----------------------------------------------------------------


def test_history_without_a_record_is_the_feed_newest_first(
    reg: Registry, run: Run, clock: Clock
) -> None:
    reg.update_event(CITADEL, damage_level="severe", reason="imagery", by="ana")
    clock.minute = 11
    reg.retract_event(OCCUPATION, reason="a duplicate", by="bo")
    ok(
        run("history", "--limit", "3"),
        stdout=f"{stamp(11)}  retract  event {OCCUPATION}  by bo  (library)\n"
        "  reason: a duplicate\n"
        "  confidence: corroborated -> retracted\n"
        f"  retracted_at:  -> {stamp(11)}\n"
        "  retraction_reason:  -> a duplicate\n"
        "\n"
        f"{stamp(10)}  update  event {CITADEL}  by ana  (library)\n"
        "  reason: imagery\n"
        "  damage_level: unknown -> severe\n"
        "\n"
        f"{stamp(0)}  create  event {CITADEL}  by editor  (library)\n"
        f"  uid: {CITADEL}\n"
        "  site: palmyra\n"
        "  monument: citadel\n"
        "  cause: occupation\n"
        "  damage_level: unknown\n"
        "  occurred: 2015-05-23/2016-03-25\n"
        "  confidence: single_source\n"
        f"  cited {NEWARAB}: had taken over the citadel on May 23 last year\n",
        stderr="Showing the newest 3 changes; there are more: --limit 0 shows all, "
        "--since narrows.\n",
    )


def test_the_feed_as_json_lines_since_a_time_by_a_person(
    reg: Registry, run: Run, clock: Clock
) -> None:
    reg.update_event(CITADEL, damage_level="severe", reason="imagery", by="ana")
    clock.minute = 11
    reg.update_site("palmyra", name="Palmyra (Tadmur)", reason="fuller", by="bo")
    clock.minute = 12
    reg.update_source(IANS, publisher="Indo-Asian News Service", reason="name", by="ana")
    result = run("history", "--since", "2026-01-02T03:10", "--by", "ana", "--format", "jsonl")
    assert (result.exit_code, result.stderr) == (0, "")
    lines = result.stdout.splitlines()
    entries = [json.loads(line) for line in lines]
    assert [(e["changed_at"], e["record_type"], e["record"], e["action"]) for e in entries] == [
        (stamp(12), "source", IANS, "update"),
        (stamp(10), "event", CITADEL, "update"),
    ]
    # One compact object a line, the whole state after the change in each.
    assert all(": " not in line.split('"new"')[0] for line in lines)
    assert entries[0]["new"]["publisher"] == "Indo-Asian News Service"
    # A day means from its first moment; the defaults show every entry of it.
    whole_day = json.loads(run("history", "--since", "2026-01-02", "--format", "json").stdout)
    assert len(whole_day) == 13
    assert [e["changed_at"] for e in whole_day] == sorted(
        (e["changed_at"] for e in whole_day), reverse=True
    )
    assert run("history", "--since", "2026-01-03").stdout == "No changes recorded.\n"


def test_the_library_feed(reg: Registry) -> None:
    assert len(reg.changes()) == 10
    # Entries of one moment come newest first too, in the order they were written.
    newest = reg.changes(limit=2)
    assert [(c.action, c.record) for c in newest] == [("create", CITADEL), ("create", TEMPLES)]
    reg.update_site("palmyra", name="Palmyra (Tadmur)", reason="fuller", by="bo")
    since = reg.changes(since=START + dt.timedelta(minutes=5))
    assert [(c.record, c.action, c.changed_at.minute) for c in since] == [("palmyra", "update", 10)]
    assert reg.changes(by="nobody") == []
    assert [c.record for c in reg.changes(record_type="source")] == [IANS, NEWARAB]


def test_the_feed_is_streamed(reg: Registry, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole feed of a large registry is more than memory holds (100,000 events:
    1.5 GB as JSON Lines): the command reads it through iter_changes, a few hundred
    entries at a time, and says there are more once it has shown what it shows."""
    assert list(reg.iter_changes()) == reg.changes()
    assert list(reg.iter_changes(limit=2, record_type="event")) == reg.changes(
        limit=2, record_type="event"
    )
    with pytest.raises(InvalidRecord):
        reg.iter_changes(limit=0)
    with pytest.raises(InvalidRecord):
        reg.iter_changes(since="last week")
    everything = {fmt: run("history", "--limit", "0", "--format", fmt).stdout for fmt in FORMATS}

    def whole(*_args: object, **_kwargs: object) -> object:
        raise AssertionError("the feed was read whole")

    monkeypatch.setattr(Registry, "changes", whole)
    for fmt in FORMATS:
        ok(run("history", "--limit", "0", "--format", fmt), stdout=everything[fmt])
    entries = json.loads(everything["json"])
    assert len(entries) == 10
    assert [json.loads(line) for line in everything["jsonl"].splitlines()] == entries
    ok(
        run("history", "--limit", "9", "--format", "jsonl"),
        stdout="".join(line + "\n" for line in everything["jsonl"].splitlines()[:9]),
        stderr="Showing the newest 9 changes; there are more: --limit 0 shows all, "
        "--since narrows.\n",
    )
    ok(run("history", "--limit", "10", "--format", "jsonl"), stdout=everything["jsonl"])


FORMATS = ("text", "json", "jsonl")


@pytest.mark.parametrize(
    ("args", "message", "exit_code"),
    [
        (["history", "--since", "last week"],
         "since: 'last week' is not a date or time; give one such as 2026-12-01 or "
         "2026-12-01T09:30:00Z", 1),
        (["history", CITADEL, "--since", "2026-01-01"],
         "--since, --by and --limit select from the registry-wide history; name no record", 2),
        (["history", "--limit", "-1"],
         "Invalid value for '--limit': -1 is not in the range x>=0.", 2),
        (["history", "--format", "xml"],
         "Invalid value for '--format': 'xml' is not one of 'text', 'json', 'jsonl'.", 2),
    ],
)  # fmt: skip
def test_a_bad_feed_request_is_one_line(
    run: Run, args: list[str], message: str, exit_code: int
) -> None:
    refused(run(*args), message, exit_code)


# Removals ----------------------------------------------------------------------------


def test_remove_an_unreferenced_source_keeps_its_history(
    reg: Registry, run: Run, clock: Clock
) -> None:
    added = run(
        "add-source", "newarab-2016-03-72", "--title", "T", "--publisher", "P", "--by", "bo"
    )
    assert added.exit_code == 0
    clock.minute = 11
    ok(
        run("remove", "source", "newarab-2016-03-72", "--reason", "typo", "--by", "ana"),
        stderr="Removed source newarab-2016-03-72; its history is kept.\n",
    )
    assert "newarab-2016-03-72" not in {s.key for s in reg.list_sources()}
    refused(
        run("show", "source", "newarab-2016-03-72"),
        f"no source 'newarab-2016-03-72'; did you mean '{NEWARAB}'?",
    )
    ok(
        run("history", "--source", "newarab-2016-03-72"),
        stdout=f"{stamp(10)}  create  by bo  (command)\n"
        "  key: newarab-2016-03-72\n"
        "  title: T\n"
        "  publisher: P\n"
        "  source_type: news_report\n"
        "\n"
        f"{stamp(11)}  remove  by ana  (command)\n"
        "  reason: typo\n",
    )
    removal = reg.history("source", "newarab-2016-03-72")[-1]
    assert (removal.action, removal.reason, removal.new) == ("remove", "typo", None)
    assert removal.old is not None
    assert removal.old["title"] == "T"
    # The key is free again, and its history holds both lives.
    reg.add_source(key="newarab-2016-03-72", title="T2", publisher="P", by="bo")
    assert [c.action for c in reg.history("source", "newarab-2016-03-72")] == [
        "create",
        "remove",
        "create",
    ]


def test_remove_an_unreferenced_monument_and_site(reg: Registry, run: Run) -> None:
    ok(
        run("remove", "monument", "palmyra", "temple-of-bel", "--reason", "no event names it"),
        stderr="Removed monument temple-of-bel of site palmyra; its history is kept.\n",
    )
    ok(
        run("remove", "site", "mosul-museum", "--reason", "entered too early"),
        stderr="Removed site mosul-museum; its history is kept.\n",
    )
    assert [s.slug for s in reg.list_sites()] == ["palmyra"]
    assert [c.action for c in reg.history("monument", "palmyra/temple-of-bel")] == [
        "create",
        "remove",
    ]
    feed = reg.changes(limit=2)
    assert [(c.record_type, c.record, c.action, c.how) for c in feed] == [
        ("site", "mosul-museum", "remove", "command"),
        ("monument", "palmyra/temple-of-bel", "remove", "command"),
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["remove", "source", NEWARAB, "--reason", "r"],
         f"source '{NEWARAB}' cannot be removed: it is cited by 3 events (3006cef2, 6f1d3c52, "
         "b3daa9cb), and a citation is never removed"),
        (["remove", "monument", "palmyra", "citadel", "--reason", "r"],
         "monument 'palmyra/citadel' cannot be removed: there are 1 event (b3daa9cb) "
         "recording damage to it; correct those events first (registry update-event)"),
        (["remove", "site", "palmyra", "--reason", "r"],
         "site 'palmyra' cannot be removed: it has 2 monuments (citadel, temple-of-bel) and "
         "3 events (3006cef2, 6f1d3c52, b3daa9cb); a site is removed only when nothing is "
         "recorded on it"),
        (["remove", "source", "nope", "--reason", "r"], "no source 'nope'"),
        (["remove", "site", "palmira", "--reason", "r"],
         "no site 'palmira'; did you mean 'palmyra'?"),
    ],
)  # fmt: skip
def test_removing_what_is_referenced_is_refused_and_writes_nothing(
    reg: Registry, run: Run, args: list[str], message: str
) -> None:
    before = dump(reg.engine)
    refused(run(*args), message)
    assert dump(reg.engine) == before


def test_a_monument_a_citation_mentions_is_kept(reg: Registry) -> None:
    reg.cite(OCCUPATION, source=IANS, quote="the temple too", mentions=["temple-of-bel"])
    with pytest.raises(Referenced, match=r"citations of 1 event \(3006cef2\) mentioning it"):
        reg.remove_monument("palmyra", "temple-of-bel", reason="r")


def test_the_library_removal_returns_the_last_state(reg: Registry) -> None:
    reg.add_source(key="dup", title="Twice", publisher="P", by=EDITOR)
    removed = reg.remove_source("dup", reason="entered twice", by="ana")
    assert (removed.key, removed.title) == ("dup", "Twice")
    with pytest.raises(SourceNotFound):
        reg.get_source("dup")
    with pytest.raises(SourceNotFound, match="no source 'never'"):
        reg.history("source", "never")
    with pytest.raises(InvalidRecord, match=r"^a removal needs a reason: say why"):
        reg.remove_source(IANS, reason=" ")


# Imports ------------------------------------------------------------------------------

HANDWRITTEN = (
    '{"format":"heritage-registry","version":1}\n'
    '{"type":"site","slug":"nimrud","name":"Nimrud","country":"IQ"}\n'
    '{"type":"source","key":"ap-2015-04","title":"Nimrud","publisher":"AP",'
    '"published":"2015-04-12"}\n'
    '{"type":"event","uid":"11111111-2222-4333-8444-555555555555","site":"nimrud",'
    '"cause":"explosives","damage_level":"destroyed","occurred":"2015-04",'
    '"citations":[{"source":"ap-2015-04","quote":"blew up the site"}]}\n'
)


def test_an_import_records_the_creation_of_what_it_adds(
    reg: Registry, run: Run, tmp_path: Path
) -> None:
    path = tmp_path / "nimrud.jsonl"
    path.write_text(HANDWRITTEN, "utf-8")
    result = run("import", str(path), "--by", "Ana Ruiz")
    assert result.exit_code == 0, result.output
    feed = reg.changes(limit=3)
    assert [(c.record_type, c.record, c.action, c.changed_by, c.how) for c in feed] == [
        ("event", "11111111-2222-4333-8444-555555555555", "create", "Ana Ruiz", "import"),
        ("source", "ap-2015-04", "create", "Ana Ruiz", "import"),
        ("site", "nimrud", "create", "Ana Ruiz", "import"),
    ]
    event = feed[0].new
    assert event is not None
    assert [c["quote"] for c in event["citations"]] == ["blew up the site"]
    assert event["occurred"] == "2015-04"
    # What was there already gets no entry: a second import adds nothing, records nothing.
    assert run("import", str(path)).exit_code == 0
    assert len(reg.changes()) == 10 + 3


def test_an_imported_export_keeps_each_record_s_own_creation(
    reg: Registry, fresh_registry: Callable[[str], Registry], tmp_path: Path
) -> None:
    reg.retract_event(OCCUPATION, reason="a duplicate", by="bo")
    path = tmp_path / "registry.jsonl"
    assert invoker(reg.url)("export", "-o", str(path)).exit_code == 0
    copy = fresh_registry("sqlite")
    result = invoker(copy.url)("import", str(path), "--by", "Ana Ruiz")
    assert result.exit_code == 0, result.output
    assert [(c.record, c.action, c.changed_by, c.how) for c in copy.changes(limit=2)] == [
        (OCCUPATION, "retract", "bo", "library"),
        (CITADEL, "create", EDITOR, "library"),
    ]
    assert not copy.changes(by="Ana Ruiz")


def test_one_entry_shown_of_many_is_said_in_the_singular(run: Run) -> None:
    result = run("history", "--limit", "1", "--format", "jsonl")
    assert result.stderr == (
        "Showing the newest 1 change; there are more: --limit 0 shows all, --since narrows.\n"
    )
    assert len(result.stdout.splitlines()) == 1
