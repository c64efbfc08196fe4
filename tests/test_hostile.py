"""Hostile input to the `registry` command: no traceback, no stray write, text kept literally.

Property tests (hypothesis, on SQLite, with the suite's profile) hand every add-* command,
cite, the list filters, show and summary generated arguments: random text, control
characters and escape sequences, right-to-left text and bidi controls, combining marks,
emoji, strings at, just over and far beyond each limit (up to a megabyte), SQL fragments,
path-like and format strings, numbers at the edges of their ranges and past them, and
empty strings. Every run must end with exit status 0, 1 or 2 and no traceback; a refusal
(exit 1) is one `Error: ...` line with no raw control characters in it; a command that
fails, or only reads, leaves every table as it was; and what an add accepts is stored and
shown (`show ... --format json`) exactly as given, less surrounding white space.

Targeted parametrized cases run the same checks on PostgreSQL, which cannot store NUL in
text, and one test per documented limit checks its exact message. The xfail tests mark
bugs found here; each names the fix it waits for.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from hypothesis import currently_in_test_context, event, given
from hypothesis import strategies as st

from heritage_registry import db
from heritage_registry.cli import main
from heritage_registry.registry import Registry
from heritage_registry.vocab import (
    Cause,
    Confidence,
    DamageLevel,
    MonumentKind,
    SiteKind,
    SourceType,
    Stance,
)
from tests import strategies as hs
from tests.helpers import dump

POSTGRES_ENV = "REGISTRY_TEST_POSTGRES_URL"

SITE = "palmyra"
MONUMENT = "citadel"
SOURCE = "src-a"
OTHER_SOURCE = "src-b"
EVENT = "3006cef2-57e9-44a2-a1d2-b4ccda24ae0c"
SLUG = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")
# C0 controls but the line feed, DEL and C1: none may reach a terminal in an error message.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")

# How many generated or listed inputs the commands of this module were given.
TRIED = [0]


@dataclass(frozen=True)
class Target:
    """A populated database: its URL for the command, and an engine to dump it."""

    url: str
    engine: sa.Engine


def populate(reg: Registry) -> None:
    """One site with a monument, two sources and one event, with a fixed uid."""
    reg.add_site(slug=SITE, name="Palmyra", country="SY", latitude=34.55, longitude=38.27)
    reg.add_monument(site=SITE, slug=MONUMENT, name="Palmyra citadel", kind="citadel")
    reg.add_source(key=SOURCE, title="A report", publisher="The New Arab")
    reg.add_source(key=OTHER_SOURCE, title="Another report", publisher="IANS")
    reg.add_event(
        uid=EVENT,
        site=SITE,
        cause="occupation",
        damage_level="unknown",
        occurred="2015-05/2016-03-27",
        source=SOURCE,
        quote="since IS seized it in May 2015",
    )


def make_sqlite_target(template: Path, folder: Path) -> Iterator[Target]:
    """A populated copy of the migrated SQLite template in `folder`, for a module fixture."""
    path = folder / "registry.db"
    shutil.copyfile(template, path)
    url = f"sqlite:///{path}"
    with Registry.open(url) as reg:
        populate(reg)
    engine = db.make_engine(url)
    try:
        yield Target(url, engine)
    finally:
        engine.dispose()


def make_postgres_target() -> Iterator[Target]:
    """A populated PostgreSQL database of its own, dropped afterwards, for a module fixture."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    # A database of its own: the suite's scratch database is emptied by other fixtures.
    admin_url = sa.make_url(db.resolve_url(server))
    name = f"heritage_registry_hostile_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = admin_url.set(database=name).render_as_string(hide_password=False)
        engine = db.make_engine(url)
        try:
            with Registry.open(url) as reg:
                populate(reg)
            yield Target(url, engine)
        finally:
            engine.dispose()
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(scope="module")
def sqlite_target(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """The database the property tests share: each example checks its own before and after."""
    yield from make_sqlite_target(sqlite_template, tmp_path_factory.mktemp("hostile"))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """A populated database on each engine, for the targeted cases."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        yield from make_sqlite_target(template, tmp_path_factory.mktemp("hostile-each"))
    else:
        yield from make_postgres_target()


@pytest.fixture(scope="module", autouse=True)
def _report_inputs_tried(request: pytest.FixtureRequest) -> Iterator[None]:
    """Say, when the module is done, how many inputs its commands were given."""
    start = TRIED[0]
    yield
    say_past_capture(request, f"tests/test_hostile.py: {TRIED[0] - start} hostile inputs tried")


def say_past_capture(request: pytest.FixtureRequest, line: str) -> None:
    """A line on the terminal, past pytest's output capture (as `capsys.disabled()`)."""
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        reporter.write_line(line)


def _describe(result: Result) -> str:
    if result.exc_info is not None and not isinstance(result.exception, SystemExit):
        return "".join(traceback.format_exception(*result.exc_info))
    return result.output[-2000:]


def attempt(target: Target, *args: str, writes: bool = True) -> Result:
    """Run `registry --db URL ARGS...` and check what every run must hold.

    No exception but SystemExit escapes, the exit status is 0, 1 or 2, nothing looks
    like a traceback, a failure prints nothing on standard output, a refusal is one
    `Error: ...` line without raw control characters, and a command that fails (or
    that only reads) leaves every table as it was.
    """
    TRIED[0] += 1
    before = dump(target.engine)
    result = CliRunner().invoke(main, ["--db", target.url, *args])
    if currently_in_test_context():
        event(f"exit status {result.exit_code}")
    assert result.exception is None or isinstance(result.exception, SystemExit), _describe(result)
    assert result.exit_code in (0, 1, 2), _describe(result)
    assert "Traceback" not in result.output
    if result.exit_code != 0 or not writes or helped(result):
        assert dump(target.engine) == before, f"{args[:2]} wrote: {_describe(result)}"
    if result.exit_code != 0:
        assert result.stdout == ""
    if result.exit_code == 1:
        assert result.stderr.startswith("Error: "), result.stderr[:500]
        assert result.stderr.count("\n") == 1
        assert result.stderr.endswith("\n")
        assert not RAW_CONTROL.search(result.stderr.removesuffix("\n")), repr(result.stderr[:500])
    return result


def helped(result: Result) -> bool:
    """Whether the run showed help (a hostile argument of --help or -h) and did nothing else."""
    return result.exit_code == 0 and result.stdout.startswith("Usage: ")


def succeeded(result: Result) -> bool:
    """Whether the run did its work (not only showed help), so that its output can be read."""
    return result.exit_code == 0 and not helped(result)


def options(**given: hs.Argument) -> list[str]:
    """`--name value` for each option given (a sequence repeats it), in keyword order."""
    args: list[str] = []
    for name, value in given.items():
        flag = "--" + name.replace("_", "-")
        if value is None:
            continue
        for one in [value] if isinstance(value, str) else value:
            args += [flag, one]
    return args


def shown(target: Target, *what: str) -> dict[str, Any]:
    """`show WHAT --format json`, which must succeed; no text in it holds a control character.

    Hostile text is in the strategies' samples, so a record that an add accepted is also
    a check that it refused every control character (but tab and line feed) given.
    """
    result = CliRunner().invoke(main, ["--db", target.url, "show", *what, "--format", "json"])
    assert result.exit_code == 0, _describe(result)
    record: dict[str, Any] = json.loads(result.stdout)
    assert not any(hs.has_control(text) for text in texts(record)), record
    return record


def texts(value: Any) -> Iterator[str]:
    """Every string in a JSON value, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from texts(item)


def stored(value: str | None) -> str | None:
    """What an optional text field keeps: the text less surrounding white space, or nothing."""
    return (value.strip() or None) if value is not None else None


_fresh = itertools.count()


def fresh_slug(prefix: str) -> str:
    """A slug no other example has used, so that an add can succeed."""
    return f"{prefix}-{next(_fresh)}-{uuid.uuid4().hex[:6]}"


FORMATS_SHOW = ("text", "json")
FORMATS_LIST = ("table", "json", "csv")
FORMATS_SUMMARY = ("text", "markdown", "json", "html")


# Property tests: every command, generated arguments ------------------------------------


def maybe(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    """A value, or the option left out."""
    return st.none() | strategy


def pop_text(values: dict[str, hs.Argument], name: str) -> str:
    value = values.pop(name)
    assert isinstance(value, str)
    return value


def text_of(values: dict[str, hs.Argument], name: str) -> str:
    value = values[name]
    assert isinstance(value, str)
    return value


def optional_text(values: dict[str, hs.Argument], name: str) -> str | None:
    value = values[name]
    assert value is None or isinstance(value, str)
    return value


HOSTILE_OR_MISSING = st.none() | hs.hostile_text
LATITUDE = (st.floats(-90, 90).map(repr), st.none() | hs.hostile_numbers)
LONGITUDE = (st.floats(-180, 180).map(repr), st.none() | hs.hostile_numbers)
ALT_NAMES = (
    st.lists(st.tuples(hs.literal_text(200), hs.languages).map("@".join), max_size=2),
    st.lists(hs.hostile_text, min_size=1, max_size=3),
)

SITE_FIELDS: dict[str, hs.ArgumentStrategies] = {
    "slug": (hs.slugs, hs.hostile_slugs),
    "name": (hs.literal_text(200), HOSTILE_OR_MISSING),
    "country": (st.sampled_from(["SY", "iq", " ua "]), HOSTILE_OR_MISSING),
    "kind": (maybe(st.sampled_from(SiteKind.values())), hs.hostile_text),
    "lat": LATITUDE,
    "lon": LONGITUDE,
    "unesco_id": (maybe(st.integers(1, 1_000_000).map(str)), hs.hostile_integers),
    "wikidata": (maybe(st.integers(1, 10**9).map(lambda n: f"Q{n}")), hs.hostile_text),
    "alt_name": ALT_NAMES,
    "description": (maybe(hs.literal_text(5000)), hs.hostile_text),
}


@given(values=hs.hostile_arguments(SITE_FIELDS))
def test_add_site(sqlite_target: Target, values: dict[str, hs.Argument]) -> None:
    slug = pop_text(values, "slug")
    result = attempt(sqlite_target, "add-site", slug, *options(**values))
    if not succeeded(result):
        return
    assert SLUG.match(slug), f"accepted the slug {slug!r}"
    site = shown(sqlite_target, "site", slug)
    assert site["name"] == text_of(values, "name").strip()
    assert site["country"] == text_of(values, "country").strip().upper()
    assert site["description"] == stored(optional_text(values, "description"))
    lat, lon = optional_text(values, "lat"), optional_text(values, "lon")
    if lat is not None and lon is not None:
        assert (site["latitude"], site["longitude"]) == (float(lat), float(lon))
    unesco_id = optional_text(values, "unesco_id")
    assert site["unesco_whc_id"] == (int(unesco_id) if unesco_id is not None else None)
    alt_names = values["alt_name"]
    assert isinstance(alt_names, list)
    assert site["alt_names"] == [
        {"name": text.rpartition("@")[0].strip(), "lang": text.rpartition("@")[2]}
        for text in alt_names
    ]


MONUMENT_FIELDS: dict[str, hs.ArgumentStrategies] = {
    "site": (st.just(SITE), hs.hostile_text),
    "slug": (hs.slugs, hs.hostile_slugs),
    "name": (hs.literal_text(200), HOSTILE_OR_MISSING),
    "kind": (st.sampled_from(MonumentKind.values()), HOSTILE_OR_MISSING),
    "built": (maybe(st.sampled_from(["12XX", "0032", "-0878", "1184/1250"])), hs.hostile_text),
    "lat": LATITUDE,
    "lon": LONGITUDE,
    "alt_name": ALT_NAMES,
    "description": (maybe(hs.literal_text(5000)), hs.hostile_text),
}


@given(values=hs.hostile_arguments(MONUMENT_FIELDS))
def test_add_monument(sqlite_target: Target, values: dict[str, hs.Argument]) -> None:
    site, slug = pop_text(values, "site"), pop_text(values, "slug")
    result = attempt(sqlite_target, "add-monument", site, slug, *options(**values))
    if not succeeded(result):
        return
    assert SLUG.match(slug), f"accepted the slug {slug!r}"
    monument = shown(sqlite_target, "monument", site, slug)
    assert monument["name"] == text_of(values, "name").strip()
    assert monument["description"] == stored(optional_text(values, "description"))
    assert monument["built"] == stored(optional_text(values, "built"))


SOURCE_FIELDS: dict[str, hs.ArgumentStrategies] = {
    "key": (hs.slugs, hs.hostile_slugs),
    "title": (hs.literal_text(500), HOSTILE_OR_MISSING),
    "publisher": (hs.literal_text(200), HOSTILE_OR_MISSING),
    "url": (maybe(hs.slugs.map(lambda s: f"https://example.org/{s}?q='1'")), hs.hostile_text),
    "published": (maybe(hs.edtf_dates()), hs.hostile_text),
    "type": (maybe(st.sampled_from(SourceType.values())), hs.hostile_text),
    "language": (maybe(hs.languages), hs.hostile_text),
    "author": (maybe(hs.literal_text(200)), hs.hostile_text),
}


@given(values=hs.hostile_arguments(SOURCE_FIELDS))
def test_add_source(sqlite_target: Target, values: dict[str, hs.Argument]) -> None:
    key = pop_text(values, "key")
    result = attempt(sqlite_target, "add-source", key, *options(**values))
    if not succeeded(result):
        return
    assert SLUG.match(key), f"accepted the key {key!r}"
    source = shown(sqlite_target, "source", key)
    assert (source["title"], source["publisher"], source["author"], source["url"]) == (
        text_of(values, "title").strip(),
        stored(text_of(values, "publisher")),
        stored(optional_text(values, "author")),
        stored(optional_text(values, "url")),
    )


EVENT_FIELDS: dict[str, hs.ArgumentStrategies] = {
    "site": (st.just(SITE), hs.hostile_text),
    "monument": (maybe(st.just(MONUMENT)), hs.hostile_text),
    "cause": (st.sampled_from(Cause.values()), HOSTILE_OR_MISSING),
    "level": (st.sampled_from(DamageLevel.values()), HOSTILE_OR_MISSING),
    "occurred": (hs.edtf_dates(), HOSTILE_OR_MISSING),
    "actor": (maybe(hs.literal_text(200)), hs.hostile_text),
    "description": (maybe(hs.literal_text(5000)), hs.hostile_text),
    "source": (st.sampled_from([SOURCE, OTHER_SOURCE]), HOSTILE_OR_MISSING),
    "quote": (hs.literal_text(5000), HOSTILE_OR_MISSING),
    "stance": (maybe(st.sampled_from(Stance.values())), hs.hostile_text),
    "location": (maybe(hs.literal_text(200)), hs.hostile_text),
    "date_resolution": (maybe(hs.literal_text(1000)), hs.hostile_text),
}


@given(values=hs.hostile_arguments(EVENT_FIELDS))
def test_add_event(sqlite_target: Target, values: dict[str, hs.Argument]) -> None:
    site = pop_text(values, "site")
    result = attempt(sqlite_target, "add-event", site, *options(**values))
    if not succeeded(result):
        return
    uid = result.stdout.strip()
    assert result.stdout == f"{uuid.UUID(uid)}\n"
    event = shown(sqlite_target, "event", uid)
    assert (event["site"], event["monument"], event["occurred"]) == (
        site,
        optional_text(values, "monument") or None,
        text_of(values, "occurred").strip(),
    )
    assert (event["actor"], event["description"]) == (
        stored(optional_text(values, "actor")),
        stored(optional_text(values, "description")),
    )
    [citation] = event["citations"]
    assert (citation["quote"], citation["location"], citation["date_resolution"]) == (
        text_of(values, "quote").strip(),
        stored(optional_text(values, "location")),
        stored(optional_text(values, "date_resolution")),
    )


def event_of_its_own(target: Target) -> str:
    """A new event at the site, through the library; its uid."""
    with Registry.open(target.url) as reg:
        return reg.add_event(
            site=SITE,
            cause="fire",
            damage_level="minor",
            occurred="2015-08",
            source=SOURCE,
            quote="burnt",
        ).uid


CITE_FIELDS: dict[str, hs.ArgumentStrategies] = {
    "uid": (st.just(EVENT), hs.hostile_or(EVENT.upper(), EVENT[:8], f" {EVENT} ")),
    "source": (st.sampled_from([SOURCE, OTHER_SOURCE]), HOSTILE_OR_MISSING),
    "quote": (hs.literal_text(5000), HOSTILE_OR_MISSING),
    "stance": (maybe(st.sampled_from(Stance.values())), hs.hostile_text),
    "location": (maybe(hs.literal_text(200)), hs.hostile_text),
    "date_resolution": (maybe(hs.literal_text(1000)), hs.hostile_text),
    "claimed_occurred": (maybe(hs.edtf_dates()), hs.hostile_text),
    "claimed_level": (maybe(st.sampled_from(DamageLevel.values())), hs.hostile_text),
}


@given(values=hs.hostile_arguments(CITE_FIELDS))
def test_cite(sqlite_target: Target, values: dict[str, hs.Argument]) -> None:
    uid = pop_text(values, "uid")
    if uid == EVENT:
        # An event of its own: each citation of an event stores the whole event in its
        # history, so citing one event in every example would grow quadratically.
        uid = event_of_its_own(sqlite_target)
    result = attempt(sqlite_target, "cite", uid, *options(**values))
    if not succeeded(result):
        return
    citations = shown(sqlite_target, "event", uid)["citations"]
    wanted = {
        "source": text_of(values, "source"),
        "quote": text_of(values, "quote").strip(),
        "location": stored(optional_text(values, "location")),
        "date_resolution": stored(optional_text(values, "date_resolution")),
    }
    assert wanted in [{name: citation[name] for name in wanted} for citation in citations]


LIST_FILTERS: dict[str, dict[str, hs.ArgumentStrategies]] = {
    "sites": {
        "country": (maybe(st.sampled_from(["SY", "iq"])), hs.hostile_text),
        "kind": (maybe(st.sampled_from(SiteKind.values())), hs.hostile_text),
        "format": (maybe(st.sampled_from(FORMATS_LIST)), hs.hostile_text),
    },
    "monuments": {
        "site": (maybe(st.just(SITE)), hs.hostile_text),
        "kind": (maybe(st.sampled_from(MonumentKind.values())), hs.hostile_text),
        "format": (maybe(st.sampled_from(FORMATS_LIST)), hs.hostile_text),
    },
    "sources": {
        "site": (maybe(st.just(SITE)), hs.hostile_text),
        "format": (maybe(st.sampled_from(FORMATS_LIST)), hs.hostile_text),
    },
    "events": {
        "site": (maybe(st.just(SITE)), hs.hostile_text),
        "monument": (maybe(st.just(MONUMENT)), hs.hostile_text),
        "cause": (maybe(st.sampled_from(Cause.values())), hs.hostile_text),
        "level": (maybe(st.sampled_from(DamageLevel.values())), hs.hostile_text),
        "confidence": (maybe(st.sampled_from(Confidence.values())), hs.hostile_text),
        "since": (maybe(hs.edtf_dates()), hs.hostile_text),
        "until": (maybe(hs.edtf_dates()), hs.hostile_text),
        "format": (maybe(st.sampled_from(FORMATS_LIST)), hs.hostile_text),
    },
}


@given(
    kind_and_filters=st.sampled_from(sorted(LIST_FILTERS)).flatmap(
        lambda kind: st.tuples(st.just(kind), hs.hostile_arguments(LIST_FILTERS[kind]))
    )
)
def test_list(sqlite_target: Target, kind_and_filters: tuple[str, dict[str, hs.Argument]]) -> None:
    kind, filters = kind_and_filters
    result = attempt(sqlite_target, "list", kind, *options(**filters), writes=False)
    if succeeded(result) and filters["format"] == "json":
        assert isinstance(json.loads(result.stdout), list)


SHOW_ARGUMENTS: dict[str, dict[str, hs.ArgumentStrategies]] = {
    "site": {"slug": (st.just(SITE), hs.hostile_text)},
    "monument": {
        "site": (st.just(SITE), hs.hostile_text),
        "slug": (st.just(MONUMENT), hs.hostile_text),
    },
    "source": {"key": (st.sampled_from([SOURCE, OTHER_SOURCE]), hs.hostile_text)},
    "event": {"uid": (st.just(EVENT), hs.hostile_or(EVENT[:8], EVENT.upper()))},
}
SHOW_FORMAT: hs.ArgumentStrategies = (maybe(st.sampled_from(FORMATS_SHOW)), hs.hostile_text)


@given(
    kind_and_arguments=st.sampled_from(sorted(SHOW_ARGUMENTS)).flatmap(
        lambda kind: st.tuples(
            st.just(kind),
            hs.hostile_arguments({**SHOW_ARGUMENTS[kind], "format": SHOW_FORMAT}),
        )
    )
)
def test_show(
    sqlite_target: Target, kind_and_arguments: tuple[str, dict[str, hs.Argument]]
) -> None:
    kind, arguments = kind_and_arguments
    output = arguments.pop("format")
    names = [pop_text(arguments, name) for name in list(arguments)]
    result = attempt(sqlite_target, "show", kind, *names, *options(format=output), writes=False)
    if succeeded(result) and output == "json":
        assert isinstance(json.loads(result.stdout), dict)


SUMMARY_ARGUMENTS: dict[str, hs.ArgumentStrategies] = {
    "site": (st.just(SITE), hs.hostile_text),
    "format": (maybe(st.sampled_from(FORMATS_SUMMARY)), hs.hostile_text),
}


@given(arguments=hs.hostile_arguments(SUMMARY_ARGUMENTS))
def test_summary(sqlite_target: Target, arguments: dict[str, hs.Argument]) -> None:
    site = pop_text(arguments, "site")
    result = attempt(sqlite_target, "summary", site, *options(**arguments), writes=False)
    if succeeded(result) and arguments["format"] == "json":
        assert json.loads(result.stdout)["site"]["slug"] == SITE


CORRECTION_FIELDS: dict[str, hs.ArgumentStrategies] = {
    "name": (hs.literal_text(200), HOSTILE_OR_MISSING),
    "description": (maybe(hs.literal_text(5000)), hs.hostile_text),
    "reason": (hs.literal_text(1000), HOSTILE_OR_MISSING),
    "by": (maybe(hs.text(200)), hs.hostile_text),
}


@given(values=hs.hostile_arguments(CORRECTION_FIELDS))
def test_a_correction_s_hostile_reason_cannot_forge_history(
    sqlite_target: Target, values: dict[str, hs.Argument]
) -> None:
    """Control characters in a reason or `--by` are refused; a reason's later lines (an
    entry's head, copied) are shown indented, so that the history has one head per entry."""
    slug = fresh_slug("fix")
    with Registry.open(sqlite_target.url) as reg:
        reg.add_site(slug=slug, name="Before", country="SY")
    result = attempt(sqlite_target, "update-site", slug, *options(**values))
    reason, by = optional_text(values, "reason"), optional_text(values, "by")
    if any(text is not None and hs.has_control(text) for text in (reason, by)):
        assert result.exit_code != 0
    # color=True: output as a terminal gets it, escape sequences not stripped by click.
    history = CliRunner().invoke(
        main, ["--db", sqlite_target.url, "history", "--site", slug], color=True
    )
    assert history.exit_code == 0, _describe(history)
    assert not hs.REFUSED_CONTROL.search(history.stdout), repr(history.stdout)
    created, *changes = shown_history(sqlite_target, slug)
    assert created["action"] == "create"
    assert len(changes) == (1 if succeeded(result) else 0)
    heads = [line for line in history.stdout.splitlines() if line and line[0] != " "]
    assert heads == [
        f"{entry['changed_at']}  {entry['action']}  by {entry['changed_by']}  ({entry['how']})"
        for entry in [created, *changes]
    ]


def shown_history(target: Target, slug: str) -> list[dict[str, Any]]:
    result = CliRunner().invoke(
        main, ["--db", target.url, "history", "--site", slug, "--format", "json"]
    )
    assert result.exit_code == 0, _describe(result)
    changes: list[dict[str, Any]] = json.loads(result.stdout)
    return changes


# What an add accepts is kept literally -------------------------------------------------


@given(
    name=hs.literal_text(200),
    alt_name=hs.literal_text(200),
    description=hs.literal_text(5000),
    title=hs.literal_text(500),
    publisher=hs.literal_text(200),
    author=hs.literal_text(200),
    quote=hs.literal_text(5000),
    actor=hs.literal_text(200),
    location=hs.literal_text(200),
    date_resolution=hs.literal_text(1000),
    second_quote=hs.literal_text(5000),
)
def test_hostile_text_is_stored_and_shown_literally(
    sqlite_target: Target,
    name: str,
    alt_name: str,
    description: str,
    title: str,
    publisher: str,
    author: str,
    quote: str,
    actor: str,
    location: str,
    date_resolution: str,
    second_quote: str,
) -> None:
    site, key = fresh_slug("site"), fresh_slug("source")
    added = attempt(
        sqlite_target,
        "add-site",
        site,
        *options(name=name, country="SY", alt_name=f"{alt_name}@ar", description=description),
    )
    assert added.exit_code == 0, added.stderr
    record = shown(sqlite_target, "site", site)
    assert (record["name"], record["description"], record["alt_names"]) == (
        name.strip(),
        description.strip(),
        [{"name": alt_name.strip(), "lang": "ar"}],
    )
    added = attempt(
        sqlite_target,
        "add-source",
        key,
        *options(title=title, publisher=publisher, author=author),
    )
    assert added.exit_code == 0, added.stderr
    record = shown(sqlite_target, "source", key)
    assert (record["title"], record["publisher"], record["author"]) == (
        title.strip(),
        publisher.strip(),
        author.strip(),
    )
    added = attempt(
        sqlite_target,
        "add-event",
        site,
        *options(
            cause="explosives",
            level="destroyed",
            occurred="2015-08",
            actor=actor,
            description=description,
            source=key,
            quote=quote,
            location=location,
            date_resolution=date_resolution,
        ),
    )
    assert added.exit_code == 0, added.stderr
    uid = added.stdout.strip()
    cited = attempt(sqlite_target, "cite", uid, *options(source=SOURCE, quote=second_quote))
    assert cited.exit_code == 0, cited.stderr
    record = shown(sqlite_target, "event", uid)
    assert (record["actor"], record["description"]) == (actor.strip(), description.strip())
    assert [
        (c["source"], c["quote"], c["location"], c["date_resolution"]) for c in record["citations"]
    ] == [
        (key, quote.strip(), location.strip(), date_resolution.strip()),
        (SOURCE, second_quote.strip(), None, None),
    ]


# Targeted cases on each engine ----------------------------------------------------------


def short_id(text: str) -> str:
    return ascii(text)[:40]


LITERAL_SAMPLES = [
    text
    for text in [
        *hs.SQL_FRAGMENTS,
        *hs.BIDI_TEXT,
        *hs.COMBINING_AND_EMOJI,
        *hs.FORMAT_STRINGS,
        *hs.PATH_LIKE,
        *hs.FORGED_HISTORY,
        "line\nfeed",
        " \r\ntab\there\r\n",
        "  '; DROP TABLE site; --\n",
        "é" * 198,
        "\U0001f600" * 198,
    ]
    if text.strip()
]


@pytest.mark.parametrize("text", LITERAL_SAMPLES, ids=short_id)
def test_hostile_text_is_kept_literally_on_each_engine(target: Target, text: str) -> None:
    key = fresh_slug("literal")
    added = attempt(target, "add-source", key, "--title", text, "--publisher", f" {text}\n")
    assert (added.exit_code, added.stderr) == (0, f"Added source {key}.\n")
    record = shown(target, "source", key)
    assert (record["title"], record["publisher"]) == (text.strip(), text.strip())


def test_a_hostile_quote_is_kept_literally_on_each_engine(target: Target) -> None:
    quotes = [*hs.SQL_FRAGMENTS, *hs.BIDI_TEXT, "x" * 5000]
    for quote in quotes:
        assert (
            attempt(target, "cite", EVENT, "--source", OTHER_SOURCE, "--quote", quote).exit_code
            == 0
        )
    citations = shown(target, "event", EVENT)["citations"]
    assert [c["quote"] for c in citations][-len(quotes) :] == quotes


NUL = "a\x00b"
EVENT_ARGS = ["add-event", SITE, "--cause", "explosives", "--level", "destroyed"]
EVENT_CITED = [*EVENT_ARGS, "--occurred", "2015", "--source", SOURCE]
NOT_EDTF = (
    "'a\\x00b' is not an EDTF date; write e.g. 2015-05-23, 2015-02, 2015-04~, "
    "2015-05-23/2016-03-25, ../2015-04 or 12XX"
)
REMOVE_NUL = "contains a NUL character (U+0000); remove it"
NUL_CASES: dict[str, tuple[list[str], str]] = {
    "site name": (
        ["add-site", "x", "--name", NUL, "--country", "SY"],
        f"invalid site: name: {REMOVE_NUL}",
    ),
    "site description": (
        ["add-site", "x", "--name", "X", "--country", "SY", "--description", NUL],
        f"invalid site: description: {REMOVE_NUL}",
    ),
    "site alternative name": (
        ["add-site", "x", "--name", "X", "--country", "SY", "--alt-name", f"{NUL}@ar"],
        f"invalid alternative name 'a\\x00b@ar': name: {REMOVE_NUL}",
    ),
    "site slug": (
        ["add-site", NUL, "--name", "X", "--country", "SY"],
        "invalid site: slug: 'a\\x00b' is not valid; use lower-case letters, digits and single "
        "hyphens, e.g. temple-of-bel",
    ),
    "site country": (
        ["add-site", "x", "--name", "X", "--country", NUL],
        "invalid site: country: 'a\\x00b' is not an ISO 3166-1 alpha-2 country code; "
        "write e.g. SY, IQ",
    ),
    "site wikidata": (
        ["add-site", "x", "--name", "X", "--country", "SY", "--wikidata", NUL],
        "invalid site: wikidata_qid: 'a\\x00b' is not valid; "
        "write a Wikidata item id such as Q5859",
    ),
    "monument name": (
        ["add-monument", SITE, "x", "--name", NUL, "--kind", "temple"],
        f"invalid monument: name: {REMOVE_NUL}",
    ),
    "monument description": (
        ["add-monument", SITE, "x", "--name", "X", "--kind", "temple", "--description", NUL],
        f"invalid monument: description: {REMOVE_NUL}",
    ),
    "monument built": (
        ["add-monument", SITE, "x", "--name", "X", "--kind", "temple", "--built", NUL],
        f"invalid monument: built: {NOT_EDTF}",
    ),
    "source title": (
        ["add-source", "x", "--title", NUL, "--publisher", "P"],
        f"invalid source: title: {REMOVE_NUL}",
    ),
    "source publisher": (
        ["add-source", "x", "--title", "T", "--publisher", NUL],
        f"invalid source: publisher: {REMOVE_NUL}",
    ),
    "source author": (
        ["add-source", "x", "--title", "T", "--publisher", "P", "--author", NUL],
        f"invalid source: author: {REMOVE_NUL}",
    ),
    "source url": (
        ["add-source", "x", "--title", "T", "--publisher", "P", "--url", f"https://x.org/{NUL}"],
        f"invalid source: url: {REMOVE_NUL}",
    ),
    "source published": (
        ["add-source", "x", "--title", "T", "--publisher", "P", "--published", NUL],
        f"invalid source: published: {NOT_EDTF}",
    ),
    "source language": (
        ["add-source", "x", "--title", "T", "--publisher", "P", "--language", NUL],
        "invalid source: language: 'a\\x00b' is not a BCP 47 language tag; write e.g. ar, en, fr",
    ),
    "event occurred": (
        [*EVENT_ARGS, "--occurred", NUL, "--source", SOURCE, "--quote", "q"],
        f"invalid event: occurred: {NOT_EDTF}",
    ),
    "event quote": (
        [*EVENT_CITED, "--quote", NUL],
        f"invalid event: citations[0].quote: {REMOVE_NUL}",
    ),
    "event actor": (
        [*EVENT_CITED, "--quote", "q", "--actor", NUL],
        f"invalid event: actor: {REMOVE_NUL}",
    ),
    "event description": (
        [*EVENT_CITED, "--quote", "q", "--description", NUL],
        f"invalid event: description: {REMOVE_NUL}",
    ),
    "event location": (
        [*EVENT_CITED, "--quote", "q", "--location", NUL],
        f"invalid event: citations[0].location: {REMOVE_NUL}",
    ),
    "event date resolution": (
        [*EVENT_CITED, "--quote", "q", "--date-resolution", NUL],
        f"invalid event: citations[0].date_resolution: {REMOVE_NUL}",
    ),
    "citation quote": (
        ["cite", EVENT, "--source", SOURCE, "--quote", NUL],
        f"invalid citation: quote: {REMOVE_NUL}",
    ),
    "citation location": (
        ["cite", EVENT, "--source", SOURCE, "--quote", "q", "--location", NUL],
        f"invalid citation: location: {REMOVE_NUL}",
    ),
    "citation date resolution": (
        ["cite", EVENT, "--source", SOURCE, "--quote", "q", "--date-resolution", NUL],
        f"invalid citation: date_resolution: {REMOVE_NUL}",
    ),
    "citation claimed date": (
        ["cite", EVENT, "--source", SOURCE, "--quote", "q", "--claimed-occurred", NUL],
        f"invalid citation: claimed_occurred: {NOT_EDTF}",
    ),
}


@pytest.mark.parametrize(("args", "message"), NUL_CASES.values(), ids=NUL_CASES)
def test_a_nul_in_any_text_is_refused(target: Target, args: list[str], message: str) -> None:
    """PostgreSQL cannot store U+0000: the models refuse it first, with the same message."""
    result = attempt(target, *args)
    assert (result.exit_code, result.stderr) == (1, f"Error: {message}\n")


def refused_site(field: str, bound: str, got: str) -> str:
    return f"invalid site: {field}: input should be {bound} (got {got})"


LE_90, GE_M90 = "less than or equal to 90", "greater than or equal to -90"
LE_180, GE_M180 = "less than or equal to 180", "greater than or equal to -180"
COORDINATES_REFUSED: dict[str, tuple[str, str, str]] = {
    "just north of 90": ("90.0000001", "0", refused_site("latitude", LE_90, "90.0000001")),
    "just south of -90": ("-90.0000001", "0", refused_site("latitude", GE_M90, "-90.0000001")),
    "just east of 180": ("0", "180.0000001", refused_site("longitude", LE_180, "180.0000001")),
    "just west of -180": ("0", "-180.0000001", refused_site("longitude", GE_M180, "-180.0000001")),
    "1e308": ("1e308", "0", refused_site("latitude", LE_90, "1e+308")),
    "1e309 overflows": ("0", "-1e309", refused_site("longitude", GE_M180, "-inf")),
    "nan latitude": ("nan", "0", refused_site("latitude", LE_90, "nan")),
    "nan longitude": ("0", "-nan", refused_site("longitude", LE_180, "nan")),
    "inf": ("inf", "0", refused_site("latitude", LE_90, "inf")),
    "-Infinity": ("0", "-Infinity", refused_site("longitude", GE_M180, "-inf")),
}


@pytest.mark.parametrize(
    ("lat", "lon", "message"), COORDINATES_REFUSED.values(), ids=COORDINATES_REFUSED
)
def test_coordinates_past_the_edges_are_refused(
    target: Target, lat: str, lon: str, message: str
) -> None:
    result = attempt(
        target, "add-site", "x", "--name", "X", "--country", "SY", "--lat", lat, "--lon", lon
    )
    assert (result.exit_code, result.stderr) == (1, f"Error: {message}\n")


@pytest.mark.parametrize(
    ("lat", "lon"),
    [("90", "180"), ("-90", "-180"), ("-0.0", "-0.0"), ("4.9e-324", "-1e-300"), ("1e-400", "0")],
)
def test_coordinates_at_the_edges_are_kept(target: Target, lat: str, lon: str) -> None:
    slug = fresh_slug("edge")
    result = attempt(
        target, "add-site", slug, "--name", "X", "--country", "SY", "--lat", lat, "--lon", lon
    )
    assert result.exit_code == 0, result.stderr
    site = shown(target, "site", slug)
    assert (site["latitude"], site["longitude"]) == (float(lat), float(lon))


UNESCO_REFUSED: dict[str, tuple[str, str, int]] = {
    "zero": ("0", refused_site("unesco_whc_id", "greater than or equal to 1", "0"), 1),
    "minus zero": ("-0", refused_site("unesco_whc_id", "greater than or equal to 1", "0"), 1),
    "negative": ("-1", refused_site("unesco_whc_id", "greater than or equal to 1", "-1"), 1),
    "one past the top": (
        "1000001",
        refused_site("unesco_whc_id", "less than or equal to 1000000", "1000001"),
        1,
    ),
    "64 bits": (
        str(2**63),
        refused_site("unesco_whc_id", "less than or equal to 1000000", str(2**63)),
        1,
    ),
    "4300 digits": (
        "9" * 4300,
        refused_site("unesco_whc_id", "less than or equal to 1000000", "9" * 57 + "..."),
        1,
    ),
    "4301 digits": (
        "9" * 4301,
        f"Invalid value for '--unesco-id': {'9' * 4301!r} is not a valid integer.",
        2,
    ),
    "a float": ("23.0", "Invalid value for '--unesco-id': '23.0' is not a valid integer.", 2),
}


@pytest.mark.parametrize(
    ("value", "message", "status"), UNESCO_REFUSED.values(), ids=UNESCO_REFUSED
)
def test_unesco_ids_past_the_edges_are_refused(
    target: Target, value: str, message: str, status: int
) -> None:
    result = attempt(
        target, "add-site", "x", "--name", "X", "--country", "SY", "--unesco-id", value
    )
    assert result.exit_code == status
    assert result.stderr.splitlines()[-1] == f"Error: {message}"


# One test per documented limit ----------------------------------------------------------


def text_of_length(size: int) -> str:
    """Text of `size` characters of one, two, three and four bytes in UTF-8."""
    unit = "aé\u0628\U0001f600"
    return (unit * (size // len(unit) + 1))[:size]


def slug_of_length(size: int) -> str:
    """A slug no other test uses, of `size` characters."""
    start = f"s{uuid.uuid4().hex}"
    return (start + "a" * size)[:size]


def language_of_length(size: int) -> str:
    """A valid BCP 47 tag (private-use subtags) of `size` characters."""
    return ("en-x-" + "-".join(["abcdefgh"] * (size // 9 + 1)))[:size]


@dataclass(frozen=True)
class Limit:
    """A documented limit: the command with a value of n characters, and its message."""

    name: str
    limit: int
    args: Callable[[int], list[str]]
    message: Callable[[int], str]
    accepted_at_limit: bool = True


def too_long(what: str, field: str, limit: int, unit: str = "characters") -> Callable[[int], str]:
    return lambda _size: f"invalid {what}: {field}: too long; at most {limit} {unit}"


def new_site(*args: str) -> list[str]:
    return ["add-site", slug_of_length(20), "--name", "X", "--country", "SY", *args]


def new_monument(*args: str) -> list[str]:
    return ["add-monument", SITE, slug_of_length(20), "--name", "X", "--kind", "temple", *args]


def new_source(*args: str) -> list[str]:
    return ["add-source", slug_of_length(20), "--title", "T", "--publisher", "P", *args]


def new_event(*args: str, occurred: str = "2015-08", quote: str = "q") -> list[str]:
    return [*EVENT_ARGS, "--occurred", occurred, "--source", SOURCE, "--quote", quote, *args]


def new_citation(*args: str, quote: str = "q") -> list[str]:
    return ["cite", EVENT, "--source", OTHER_SOURCE, "--quote", quote, *args]


def alt_name(size: int) -> str:
    return f"{text_of_length(size)}@ar"


def alt_name_language(size: int) -> str:
    return f"Tadmur@{language_of_length(size)}"


LIMITS = [
    Limit(
        "site slug",
        64,
        lambda n: ["add-site", slug_of_length(n), "--name", "X", "--country", "SY"],
        too_long("site", "slug", 64),
    ),
    Limit(
        "site name",
        200,
        lambda n: ["add-site", slug_of_length(20), "--name", text_of_length(n), "--country", "SY"],
        too_long("site", "name", 200),
    ),
    Limit(
        "site description",
        5000,
        lambda n: new_site("--description", text_of_length(n)),
        too_long("site", "description", 5000),
    ),
    Limit(
        "site alternative name",
        200,
        lambda n: new_site("--alt-name", alt_name(n)),
        lambda n: (
            f"invalid alternative name {alt_name(n)!r}: name: too long; at most 200 characters"
        ),
    ),
    Limit(
        "site alternative name's language",
        35,
        lambda n: new_site("--alt-name", alt_name_language(n)),
        lambda n: (
            f"invalid alternative name {alt_name_language(n)!r}: lang: too long; "
            "at most 35 characters"
        ),
    ),
    Limit(
        "site alternative names",
        50,
        lambda n: new_site(*itertools.chain(*(("--alt-name", f"n{i}@en") for i in range(n)))),
        too_long("site", "alt_names", 50, "items"),
    ),
    Limit(
        "site wikidata id",
        20,
        lambda n: new_site("--wikidata", "Q" + "1" * (n - 1)),
        too_long("site", "wikidata_qid", 20),
    ),
    Limit(
        "monument slug",
        64,
        lambda n: ["add-monument", SITE, slug_of_length(n), "--name", "X", "--kind", "temple"],
        too_long("monument", "slug", 64),
    ),
    Limit(
        "monument name",
        200,
        lambda n: [
            "add-monument",
            SITE,
            slug_of_length(20),
            "--name",
            text_of_length(n),
            "--kind",
            "temple",
        ],
        too_long("monument", "name", 200),
    ),
    Limit(
        "monument description",
        5000,
        lambda n: new_monument("--description", text_of_length(n)),
        too_long("monument", "description", 5000),
    ),
    Limit(
        "monument built",
        100,
        lambda n: new_monument("--built", "0032".ljust(n)),
        too_long("monument", "built", 100),
    ),
    Limit(
        "monument's site",
        64,
        lambda n: ["add-monument", "s" * n, "x", "--name", "X", "--kind", "temple"],
        too_long("monument", "site", 64),
        accepted_at_limit=False,
    ),
    Limit(
        "source key",
        64,
        lambda n: ["add-source", slug_of_length(n), "--title", "T", "--publisher", "P"],
        too_long("source", "key", 64),
    ),
    Limit(
        "source title",
        500,
        lambda n: [
            "add-source",
            slug_of_length(20),
            "--title",
            text_of_length(n),
            "--publisher",
            "P",
        ],
        too_long("source", "title", 500),
    ),
    Limit(
        "source publisher",
        200,
        lambda n: [
            "add-source",
            slug_of_length(20),
            "--title",
            "T",
            "--publisher",
            text_of_length(n),
        ],
        too_long("source", "publisher", 200),
    ),
    Limit(
        "source author",
        200,
        lambda n: new_source("--author", text_of_length(n)),
        too_long("source", "author", 200),
    ),
    Limit(
        "source url",
        2000,
        lambda n: new_source("--url", ("https://example.org/" + "a" * n)[:n]),
        too_long("source", "url", 2000),
    ),
    Limit(
        "source language",
        35,
        lambda n: new_source("--language", language_of_length(n)),
        too_long("source", "language", 35),
    ),
    Limit(
        "source published",
        100,
        lambda n: new_source("--published", "2016-03-27".ljust(n)),
        too_long("source", "published", 100),
    ),
    Limit(
        "event occurred",
        100,
        lambda n: new_event(occurred="2015-08".rjust(n)),
        too_long("event", "occurred", 100),
    ),
    Limit(
        "event actor",
        200,
        lambda n: new_event("--actor", text_of_length(n)),
        too_long("event", "actor", 200),
    ),
    Limit(
        "event description",
        5000,
        lambda n: new_event("--description", text_of_length(n)),
        too_long("event", "description", 5000),
    ),
    Limit(
        "event quote",
        5000,
        lambda n: new_event(quote=text_of_length(n)),
        too_long("event", "citations[0].quote", 5000),
    ),
    Limit(
        "event location",
        200,
        lambda n: new_event("--location", text_of_length(n)),
        too_long("event", "citations[0].location", 200),
    ),
    Limit(
        "event date resolution",
        1000,
        lambda n: new_event("--date-resolution", text_of_length(n)),
        too_long("event", "citations[0].date_resolution", 1000),
    ),
    Limit(
        "event's site",
        64,
        lambda n: ["add-event", "s" * n, *new_event()[2:]],
        too_long("event", "site", 64),
        accepted_at_limit=False,
    ),
    Limit(
        "event's monument",
        64,
        lambda n: new_event("--monument", "m" * n),
        too_long("event", "monument", 64),
        accepted_at_limit=False,
    ),
    Limit(
        "event's source",
        64,
        lambda n: [*EVENT_ARGS, "--occurred", "2015", "--source", "s" * n, "--quote", "q"],
        too_long("event", "citations[0].source", 64),
        accepted_at_limit=False,
    ),
    Limit(
        "citation quote",
        5000,
        lambda n: new_citation(quote=text_of_length(n)),
        too_long("citation", "quote", 5000),
    ),
    Limit(
        "citation location",
        200,
        lambda n: new_citation("--location", text_of_length(n)),
        too_long("citation", "location", 200),
    ),
    Limit(
        "citation date resolution",
        1000,
        lambda n: new_citation("--date-resolution", text_of_length(n)),
        too_long("citation", "date_resolution", 1000),
    ),
    Limit(
        "citation claimed date",
        100,
        # A quote of its own: the fixture's event cites OTHER_SOURCE's "q" already.
        lambda n: new_citation("--claimed-occurred", "2015-06".ljust(n), quote="a later date"),
        too_long("citation", "claimed_occurred", 100),
    ),
    Limit(
        "citation's source",
        64,
        lambda n: ["cite", EVENT, "--source", "s" * n, "--quote", "q"],
        too_long("citation", "source", 64),
        accepted_at_limit=False,
    ),
    Limit(
        "list since",
        100,
        lambda n: ["list", "events", "--since", "2015".ljust(n)],
        lambda _n: "invalid date filter: is longer than 100 characters",
        accepted_at_limit=False,
    ),
    Limit(
        "list until",
        100,
        lambda n: ["list", "events", "--until", "2015".ljust(n)],
        lambda _n: "invalid date filter: is longer than 100 characters",
        accepted_at_limit=False,
    ),
]
LIMIT_IDS = [limit.name for limit in LIMITS]


@pytest.mark.parametrize("limit", LIMITS, ids=LIMIT_IDS)
def test_one_past_a_limit_is_refused_with_its_message(target: Target, limit: Limit) -> None:
    size = limit.limit + 1
    result = attempt(target, *limit.args(size))
    assert (result.exit_code, result.stderr) == (1, f"Error: {limit.message(size)}\n")


@pytest.mark.parametrize("limit", LIMITS, ids=LIMIT_IDS)
def test_a_megabyte_is_refused_with_the_limit_s_message(
    sqlite_target: Target, limit: Limit
) -> None:
    size = hs.FAR_BEYOND if limit.name != "site alternative names" else 10_000
    result = attempt(sqlite_target, *limit.args(size))
    assert (result.exit_code, result.stderr) == (1, f"Error: {limit.message(size)}\n")


@pytest.mark.parametrize(
    "limit", [limit for limit in LIMITS if limit.accepted_at_limit], ids=lambda limit: limit.name
)
def test_a_value_at_its_limit_is_accepted(target: Target, limit: Limit) -> None:
    """The limit is the model's and the database's alike: PostgreSQL's columns hold it."""
    result = attempt(target, *limit.args(limit.limit))
    assert result.exit_code == 0, result.stderr


# Bugs: names looked up that no database can hold ----------------------------------------

LOOKUPS: dict[str, Callable[[str], list[str]]] = {
    "show site": lambda name: ["show", "site", name],
    "show monument, its site": lambda name: ["show", "monument", name, MONUMENT],
    "show monument": lambda name: ["show", "monument", SITE, name],
    "show source": lambda name: ["show", "source", name],
    "show event": lambda name: ["show", "event", name],
    "summary": lambda name: ["summary", name],
    "list monuments --site": lambda name: ["list", "monuments", "--site", name],
    "list sources --site": lambda name: ["list", "sources", "--site", name],
    "list events --site": lambda name: ["list", "events", "--site", name],
    "list events --monument": lambda name: ["list", "events", "--site", SITE, "--monument", name],
    "list sites --country": lambda name: ["list", "sites", "--country", name],
    "cite, its event": lambda name: ["cite", name, "--source", SOURCE, "--quote", "q"],
}
# These arguments go through a Create model first, which refuses a lone surrogate.
VALIDATED_LOOKUPS: dict[str, Callable[[str], list[str]]] = {
    "add-monument, its site": lambda name: [
        "add-monument",
        name,
        "x",
        "--name",
        "X",
        "--kind",
        "temple",
    ],
    "add-event, its site": lambda name: ["add-event", name, *new_event()[2:]],
    "add-event, its monument": lambda name: new_event("--monument", name),
    "add-event, its source": lambda name: [
        *EVENT_ARGS,
        "--occurred",
        "2015",
        "--source",
        name,
        "--quote",
        "q",
    ],
    "cite, its source": lambda name: ["cite", EVENT, "--source", name, "--quote", "q"],
}


def not_found(target: Target, args: list[str]) -> None:
    """A name no record can have is not found: `Error: no ...`, exit 1, nothing written."""
    result = attempt(target, *args)
    if args[:3] == ["list", "sites", "--country"]:
        # A filter that matches nothing may list nothing, or say why.
        assert result.exit_code in (0, 1), result.output
    else:
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("Error: no "), result.stderr


@pytest.mark.parametrize(
    "args", [*LOOKUPS.values(), *VALIDATED_LOOKUPS.values()], ids=[*LOOKUPS, *VALIDATED_LOOKUPS]
)
def test_a_nul_in_a_name_looked_up_is_not_found(
    target: Target, args: Callable[[str], list[str]]
) -> None:
    not_found(target, args("pal\x00myra"))


@pytest.mark.parametrize("args", LOOKUPS.values(), ids=LOOKUPS)
def test_a_lone_surrogate_in_a_name_looked_up_is_not_found(
    target: Target, args: Callable[[str], list[str]]
) -> None:
    not_found(target, args("pal\udcffmyra"))


@pytest.mark.parametrize("args", VALIDATED_LOOKUPS.values(), ids=VALIDATED_LOOKUPS)
def test_a_lone_surrogate_in_a_validated_name_is_refused(
    target: Target, args: Callable[[str], list[str]]
) -> None:
    result = attempt(target, *args("pal\udcffmyra"))
    assert result.exit_code == 1
    assert "unable to parse raw data as a unicode string (got 'pal\\udcffmyra')" in result.stderr


# A citation's history entry does not grow with the event's citations -------------------


def test_the_history_of_a_citation_does_not_grow_with_the_event_s_citations(
    fresh_registry: Callable[[str], Registry],
) -> None:
    reg = fresh_registry("sqlite")
    populate(reg)
    citations = 40
    for n in range(citations):
        reg.cite(EVENT, source=OTHER_SOURCE, quote=f"{n} " + "x" * 4990)
    with reg.engine.connect() as connection:
        last = connection.exec_driver_sql(
            "SELECT LENGTH(COALESCE(old, '')) + LENGTH(new) FROM change ORDER BY id DESC LIMIT 1"
        ).scalar_one()
    # A few quotes' worth, not the event's forty.
    assert last < 4 * 5000, f"the {citations}th citation wrote {last:,} characters of history"
