"""Corrections, retraction, citation and history through the `registry` command.

Exact output and exit status on each engine, with the clock fixed so that the history's
times are known; each refusal leaves the database as it was.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest

from heritage_registry import Registry
from tests.helpers import dump
from tests.test_cli import CITADEL, IANS, NEWARAB, Run, invoker, ok, populate, refused

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
STAMP = "2026-01-02T03:04:05Z"
# The creation entry that heads the citadel event's history, with the empty line after it.
CREATED_CITADEL = (
    f"{STAMP}  create  by editor  (library)\n"
    f"  uid: {CITADEL}\n"
    "  site: palmyra\n"
    "  monument: citadel\n"
    "  cause: occupation\n"
    "  damage_level: unknown\n"
    "  occurred: 2015-05-23/2016-03-25\n"
    "  confidence: single_source\n"
    f"  cited {NEWARAB}: had taken over the citadel on May 23 last year\n"
    "\n"
)


@pytest.fixture
def reg(migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    monkeypatch.setattr("heritage_registry.registry.utcnow", lambda: NOW)
    with Registry.open(migrated_url) as registry:
        populate(registry)
        yield registry


@pytest.fixture
def run(reg: Registry, migrated_url: str) -> Run:
    return invoker(migrated_url)


def test_update_event_then_history(run: Run) -> None:
    ok(
        run("update-event", CITADEL, "--level", "severe", "--reason", "UNOSAT", "--by", "ana"),
        stdout="",
        stderr=f"Updated event {CITADEL}; its confidence is single_source.\n",
    )
    ok(
        run("history", CITADEL),
        stdout=f"{STAMP}  create  by editor  (library)\n"
        f"  uid: {CITADEL}\n"
        "  site: palmyra\n"
        "  monument: citadel\n"
        "  cause: occupation\n"
        "  damage_level: unknown\n"
        "  occurred: 2015-05-23/2016-03-25\n"
        "  confidence: single_source\n"
        f"  cited {NEWARAB}: had taken over the citadel on May 23 last year\n"
        "\n"
        f"{STAMP}  update  by ana  (command)\n"
        "  reason: UNOSAT\n"
        "  damage_level: unknown -> severe\n",
    )


def test_cite_with_by_records_the_citation_in_the_history(run: Run) -> None:
    ok(
        run("cite", CITADEL, "--source", IANS, "--quote", "took the citadel", "--by", "ana"),
        stderr=f"Cited source {IANS} on event {CITADEL}; its confidence is corroborated.\n",
    )
    ok(
        run("history", CITADEL),
        stdout=CREATED_CITADEL + f"{STAMP}  cite  by ana  (command)\n"
        f"  cited {IANS}: took the citadel\n"
        "  citation_count: 1 -> 2\n"
        "  confidence: single_source -> corroborated\n",
    )
    (_, change) = json.loads(run("history", CITADEL, "--format", "json").stdout)
    assert change["how"] == "command"
    assert change["new"]["citation"]["quote"] == "took the citadel"
    assert "citations" not in change["new"]


def test_retract_then_history(run: Run) -> None:
    ok(
        run("retract", CITADEL, "--reason", "duplicate", "--by", "ana"),
        stderr=f"Retracted event {CITADEL}.\n",
    )
    ok(
        run("history", CITADEL),
        stdout=CREATED_CITADEL + f"{STAMP}  retract  by ana  (command)\n"
        "  reason: duplicate\n"
        "  confidence: single_source -> retracted\n"
        f"  retracted_at:  -> {STAMP}\n"
        "  retraction_reason:  -> duplicate\n",
    )


def test_corrections_of_sites_monuments_and_sources(run: Run) -> None:
    ok(
        run("update-site", "palmyra", "--name", "Palmyra (Tadmur)", "--reason", "r", "--by", "a"),
        stderr="Updated site palmyra.\n",
    )
    ok(
        run("update-monument", "palmyra", "citadel", "--built", "1230~", "--reason", "r"),
        stderr="Updated monument citadel of site palmyra.\n",
    )
    ok(
        run("update-source", IANS, "--publisher", "Indo-Asian News Service", "--reason", "r"),
        stderr=f"Updated source {IANS}.\n",
    )
    ok(
        run("history", "--site", "palmyra"),
        stdout=f"{STAMP}  create  by editor  (library)\n"
        "  slug: palmyra\n"
        "  latitude: 34.5514\n"
        "  longitude: 38.2681\n"
        "  name: Palmyra\n"
        "  country: SY\n"
        "  kind: archaeological_site\n"
        "  unesco_whc_id: 23\n"
        "  alt_names: تدمر@ar, Tadmur@en\n"
        "\n"
        f"{STAMP}  update  by a  (command)\n  reason: r\n  name: Palmyra -> Palmyra (Tadmur)\n",
    )
    monument = run("history", "--site", "palmyra", "--monument", "citadel").stdout
    assert "  built: 12XX -> 1230~\n" in monument
    source = run("history", "--source", IANS).stdout
    assert "  publisher: IANS -> Indo-Asian News Service\n" in source


def test_a_record_without_changes_shows_its_creation(run: Run) -> None:
    ok(run("history", CITADEL), stdout=CREATED_CITADEL.removesuffix("\n"))


@pytest.mark.parametrize(
    ("args", "message", "exit_code"),
    [
        (("update-event", CITADEL, "--reason", "r"), "nothing to change: give an option "
         "that sets one of the event's fields", 2),
        (("update-event", CITADEL, "--level", "severe"), "Missing option '--reason'.", 2),
        (("update-event", CITADEL, "--cause", "occupation", "--reason", "r"),
         "no change: event " + CITADEL + " has these values already", 1),
        (("update-event", "nope", "--level", "severe", "--reason", "r"), "no event 'nope'", 1),
        (("update-event", CITADEL, "--level", "severe", "--reason", " "),
         "Invalid value for '--reason': must not be empty; give a value", 2),
        (("cite", CITADEL, "--source", IANS, "--quote", "q", "--by", ""),
         "by: give a name of 1 to 200 characters", 1),
        (("retract", "nope", "--reason", "r"), "no event 'nope'", 1),
        (("history", "--monument", "citadel"), "--monument needs --site", 2),
        (("history", "nope"), "no event 'nope'", 1),
    ],
)  # fmt: skip
def test_a_refused_change_writes_nothing(
    reg: Registry, run: Run, args: tuple[str, ...], message: str, exit_code: int
) -> None:
    before = dump(reg.engine)
    refused(run(*args), message, exit_code)
    assert dump(reg.engine) == before
