"""The `registry` command, run in-process with click's CliRunner, on each engine.

Each command is checked for its exact output and exit status; each kind of bad input is
checked to fail with one line on standard error and to leave the database as it was.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from heritage_registry import Registry, cli, db, schema
from heritage_registry.cli import main
from heritage_registry.models import (
    DamageEventPublic,
    MonumentPublic,
    SitePublic,
    SourcePublic,
)
from heritage_registry.vocab import VOCABULARIES
from tests.helpers import dump
from tests.test_cli_docs import command_paths

Run = Callable[..., Result]

POSTGRES_ENV = "REGISTRY_TEST_POSTGRES_URL"

OCCUPATION = "3006cef2-57e9-44a2-a1d2-b4ccda24ae0c"
TEMPLES = "6f1d3c52-3b0a-4a8e-9c55-2f3f8f7f0a01"
CITADEL = "b3daa9cb-bbea-4cfd-913f-be837969148c"
NEWARAB = "newarab-2016-03-27"
IANS = "ians-2016-03-27"
EDITOR = "editor"


def populate(reg: Registry) -> None:
    """Two sites, two monuments, two sources and three events, with fixed uids, by `editor`."""
    reg.add_site(
        by=EDITOR,
        slug="palmyra",
        name="Palmyra",
        country="SY",
        latitude=34.5514,
        longitude=38.2681,
        unesco_whc_id=23,
        alt_names=[{"name": "تدمر", "lang": "ar"}, {"name": "Tadmur", "lang": "en"}],
    )
    reg.add_site(
        by=EDITOR,
        slug="mosul-museum",
        name="Mosul Museum",
        country="IQ",
        kind="museum",
        alt_names=[{"name": "متحف الموصل", "lang": "ar"}],
    )
    reg.add_monument(
        by=EDITOR,
        site="palmyra",
        slug="temple-of-bel",
        name="Temple of Bel",
        kind="temple",
        built="0032",
        alt_names=[{"name": "معبد بل", "lang": "ar"}],
    )
    reg.add_monument(
        by=EDITOR,
        site="palmyra",
        slug="citadel",
        name="Palmyra citadel",
        kind="citadel",
        built="12XX",
    )
    reg.add_source(
        by=EDITOR,
        key=NEWARAB,
        title="Palmyra recaptured in major symbolic victory against IS",
        publisher="The New Arab",
        published="2016-03-27",
        language="en",
    )
    reg.add_source(
        by=EDITOR,
        key=IANS,
        title="[Report on the Syrian army's full recapture of Palmyra]",
        publisher="IANS",
        published="2016-03-27",
        language="en",
    )
    reg.add_event(
        by=EDITOR,
        uid=OCCUPATION,
        site="palmyra",
        cause="occupation",
        damage_level="unknown",
        occurred="2015-05/2016-03-27",
        actor="Islamic State",
        source=NEWARAB,
        quote="since IS seized it in May 2015",
        location="paragraph 8",
    )
    reg.cite(
        OCCUPATION,
        by=EDITOR,
        source=IANS,
        location="paragraph 1",
        quote="The Syrian army fully recaptured the ancient city of Palmyra in central Syria "
        "on Sunday",
    )
    reg.add_event(
        by=EDITOR,
        uid=TEMPLES,
        site="palmyra",
        cause="explosives",
        damage_level="destroyed",
        occurred="../2016-03-27",
        source=NEWARAB,
        quote="The group has since blown up UNESCO-listed temples",
    )
    reg.add_event(
        by=EDITOR,
        uid=CITADEL,
        site="palmyra",
        monument="citadel",
        cause="occupation",
        damage_level="unknown",
        occurred="2015-05-23/2016-03-25",
        source=NEWARAB,
        quote="had taken over the citadel on May 23 last year",
    )


def invoker(url: str) -> Run:
    """`registry --db URL ARGS...`, run in-process."""
    runner = CliRunner()

    def invoke(*args: str, **kwargs: Any) -> Result:
        return runner.invoke(main, ["--db", url, *args], catch_exceptions=False, **kwargs)

    return invoke


@pytest.fixture
def run(migrated_url: str) -> Run:
    """The command on the test's own empty database."""
    return invoker(migrated_url)


@pytest.fixture
def reg(migrated_url: str) -> Iterator[Registry]:
    """The test's own database, populated, through the library."""
    with Registry.open(migrated_url) as registry:
        populate(registry)
        yield registry


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def shared_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """A populated database made once per engine, shared by the tests that leave it as is.

    Those are the tests that only read, and every refusal: a refusal that wrote anyway
    fails its own before-and-after check. Populating once keeps this file fast.
    """
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("shared") / "registry.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
        with Registry.open(url) as registry:
            populate(registry)
        yield url
        return
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    # Not the session's scratch database: the `migrated_url` fixture empties that one.
    admin_url = sa.make_url(db.resolve_url(server))
    name = f"heritage_registry_cli_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            url = admin_url.set(database=name).render_as_string(hide_password=False)
            with Registry.open(url) as registry:
                populate(registry)
            yield url
        finally:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture(scope="module")
def shared_reg(shared_url: str) -> Iterator[Registry]:
    with Registry.open(shared_url) as registry:
        yield registry


@pytest.fixture
def shared(shared_url: str) -> Run:
    """The command on the shared, populated database."""
    return invoker(shared_url)


@pytest.fixture
def shared_engine(shared_reg: Registry) -> sa.Engine:
    return shared_reg.engine


def ok(result: Result, stdout: str = "", stderr: str = "") -> None:
    assert (result.exit_code, result.stdout, result.stderr) == (0, stdout, stderr)


def refused(result: Result, message: str, exit_code: int = 1) -> None:
    """Failed with `Error: message` as the last line of standard error, and no output."""
    assert result.exit_code == exit_code, result.output
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"Error: {message}"
    assert "Traceback" not in result.stderr
    if exit_code == 1:
        assert result.stderr == f"Error: {message}\n"


ALL_COMMANDS = [(), *command_paths()]


# Help -------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ALL_COMMANDS, ids=lambda path: " ".join(path) or "registry")
@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_every_command_has_help_with_a_summary_and_an_example(
    path: tuple[str, ...], flag: str
) -> None:
    result = CliRunner().invoke(main, [*path, flag], prog_name="registry")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith(" ".join(("Usage: registry", *path)))
    # A one-line summary, a sentence that fits an 80-column terminal.
    assert lines[2].endswith("."), lines[2]
    assert lines[3] == ""
    example = result.stdout.split("Example:\n", 1)[1].split("\n\n", 1)[0]
    assert example.startswith("    registry ") or example.startswith("    uid=$(registry ")


@pytest.mark.parametrize(
    ("path", "option", "vocabulary"),
    [
        (("add-site",), "--kind", "site_kind"),
        (("add-monument",), "--kind", "monument_kind"),
        (("add-source",), "--type", "source_type"),
        (("add-event",), "--cause", "cause"),
        (("add-event",), "--level", "damage_level"),
        (("add-event",), "--stance", "stance"),
        (("cite",), "--claimed-level", "damage_level"),
        (("list", "sites"), "--kind", "site_kind"),
        (("list", "monuments"), "--kind", "monument_kind"),
        (("list", "events"), "--cause", "cause"),
        (("list", "events"), "--level", "damage_level"),
        (("list", "events"), "--confidence", "confidence"),
    ],
)
def test_vocabulary_options_list_their_values_in_help(
    path: tuple[str, ...], option: str, vocabulary: str
) -> None:
    result = CliRunner().invoke(main, [*path, "--help"])
    text = " ".join(result.stdout.split())
    values = ", ".join(VOCABULARIES[vocabulary].values())
    assert re.search(rf"{option} \w+ .*One of: {re.escape(values)}\.", text)


def test_version() -> None:
    ok(CliRunner().invoke(main, ["--version"]), stdout="registry, version 0.1.0\n")


def test_the_env_var_name_is_the_library_s() -> None:
    assert cli.ENV_VAR == db.ENV_VAR


# add-site ---------------------------------------------------------------------------


def test_add_site(run: Run, migrated_url: str) -> None:
    result = run(
        "add-site", "palmyra", "--name", "Palmyra", "--country", "sy", "--lat", "34.5514",
        "--lon", "38.2681", "--unesco-id", "23", "--wikidata", "Q123", "--kind", "historic_city",
        "--alt-name", "تدمر@ar", "--alt-name", "Tadmur@en", "--description", "An oasis city.",
    )  # fmt: skip
    ok(result, stderr="Added site palmyra.\n")
    with Registry.open(migrated_url) as reg:
        site = reg.get_site("palmyra")
    assert site.model_dump(
        mode="json", exclude={"created_at", "updated_at", "location_precision_m"}
    ) == {
        "slug": "palmyra",
        "name": "Palmyra",
        "country": "SY",
        "kind": "historic_city",
        "latitude": 34.5514,
        "longitude": 38.2681,
        "unesco_whc_id": 23,
        "wikidata_qid": "Q123",
        "description": "An oasis city.",
        "alt_names": [{"name": "تدمر", "lang": "ar"}, {"name": "Tadmur", "lang": "en"}],
    }


def test_add_site_takes_negative_coordinates_and_library_defaults(
    run: Run, migrated_url: str
) -> None:
    ok(
        run("add-site", "x", "--name", "X", "--country", "AR", "--lat", "-34.6", "--lon", "-58.4"),
        stderr="Added site x.\n",
    )
    with Registry.open(migrated_url) as reg:
        site = reg.get_site("x")
    assert (site.latitude, site.longitude, site.kind) == (-34.6, -58.4, "archaeological_site")


BAD_SITES = {
    "duplicate slug": (
        ["palmyra", "--name", "Palmyra", "--country", "SY"],
        "a site with slug 'palmyra' exists already; choose another slug",
        1,
    ),
    "bad slug": (
        ["Palmyra City", "--name", "Palmyra", "--country", "SY"],
        "invalid site: slug: 'Palmyra City' is not valid; use lower-case letters, digits and "
        "single hyphens, e.g. temple-of-bel",
        1,
    ),
    "unknown country": (
        ["x", "--name", "X", "--country", "XX"],
        "invalid site: country: 'XX' is not an ISO 3166-1 alpha-2 country code; write e.g. SY, IQ",
        1,
    ),
    "unknown kind": (
        ["x", "--name", "X", "--country", "SY", "--kind", "town"],
        "invalid site: unknown kind 'town'; choose one of: archaeological_site, historic_city, "
        "museum, religious_site, other",
        1,
    ),
    "latitude out of range": (
        ["x", "--name", "X", "--country", "SY", "--lat", "91", "--lon", "0"],
        "invalid site: latitude: input should be less than or equal to 90 (got 91.0)",
        1,
    ),
    "longitude out of range": (
        ["x", "--name", "X", "--country", "SY", "--lat", "0", "--lon", "-180.5"],
        "invalid site: longitude: input should be greater than or equal to -180 (got -180.5)",
        1,
    ),
    "latitude without longitude": (
        ["x", "--name", "X", "--country", "SY", "--lat", "34.5"],
        "invalid site: give both latitude and longitude, or neither",
        1,
    ),
    "overlong name": (
        ["x", "--name", "x" * 201, "--country", "SY"],
        "invalid site: name: too long; at most 200 characters",
        1,
    ),
    "bad wikidata": (
        ["x", "--name", "X", "--country", "SY", "--wikidata", "5859"],
        "invalid site: wikidata_qid: '5859' is not valid; write a Wikidata item id such as Q5859",
        1,
    ),
    "bad alternative name language": (
        ["x", "--name", "X", "--country", "SY", "--alt-name", "Tadmur@xx-123456789"],
        "invalid alternative name 'Tadmur@xx-123456789': lang: 'xx-123456789' is not a BCP 47 "
        "language tag; write e.g. ar, en, fr",
        1,
    ),
    "alternative name without language": (
        ["x", "--name", "X", "--country", "SY", "--alt-name", "Tadmur"],
        "Invalid value for '--alt-name': alternative name 'Tadmur' needs a language: "
        "write NAME@LANG",
        2,
    ),
    "latitude not a number": (
        ["x", "--name", "X", "--country", "SY", "--lat", "abc", "--lon", "1"],
        "Invalid value for '--lat': 'abc' is not a valid float.",
        2,
    ),
    "unesco id not a number": (
        ["x", "--name", "X", "--country", "SY", "--unesco-id", "twenty-three"],
        "Invalid value for '--unesco-id': 'twenty-three' is not a valid integer.",
        2,
    ),
    "missing name": (["x", "--country", "SY"], "Missing option '--name'.", 2),
}


@pytest.mark.parametrize(("args", "message", "exit_code"), BAD_SITES.values(), ids=BAD_SITES)
def test_add_site_refuses_bad_input_and_writes_nothing(
    shared: Run, shared_engine: sa.Engine, args: list[str], message: str, exit_code: int
) -> None:
    before = dump(shared_engine)
    refused(shared("add-site", *args), message, exit_code)
    assert dump(shared_engine) == before


# add-monument -----------------------------------------------------------------------


def test_add_monument(run: Run, reg: Registry) -> None:
    result = run(
        "add-monument", "palmyra", "valley-of-the-tombs", "--name", "Valley of the Tombs",
        "--kind", "necropolis", "--built", "00XX", "--lat", "34.546", "--lon", "38.253",
        "--alt-name", "وادي القبور@ar", "--description", "Funerary towers west of the city.",
    )  # fmt: skip
    ok(result, stderr="Added monument valley-of-the-tombs to site palmyra.\n")
    monument = reg.get_monument("palmyra", "valley-of-the-tombs")
    assert monument.model_dump(mode="json", exclude={"created_at", "updated_at"}) == {
        "site": "palmyra",
        "slug": "valley-of-the-tombs",
        "name": "Valley of the Tombs",
        "kind": "necropolis",
        "built": "00XX",
        "built_from_year": 0,
        "built_to_year": 99,
        "latitude": 34.546,
        "longitude": 38.253,
        "alt_names": [{"name": "وادي القبور", "lang": "ar"}],
        "description": "Funerary towers west of the city.",
    }


BAD_MONUMENTS = {
    "bad EDTF": (
        ["palmyra", "x", "--name", "X", "--kind", "temple", "--built", "2015-13"],
        "invalid monument: built: '2015-13' is not an EDTF date; write e.g. 2015-05-23, 2015-02, "
        "2015-04~, 2015-05-23/2016-03-25, ../2015-04 or 12XX",
        1,
    ),
    "unknown kind": (
        ["palmyra", "x", "--name", "X", "--kind", "tower"],
        "invalid monument: unknown kind 'tower'; choose one of: temple, tomb, necropolis, "
        "citadel, mosque, shrine, church, museum_collection, statue, palace, city_wall, prison, "
        "other",
        1,
    ),
    "unknown site": (
        ["palmira", "x", "--name", "X", "--kind", "temple"],
        "no site 'palmira'; did you mean 'palmyra'?",
        1,
    ),
    "duplicate slug": (
        ["palmyra", "citadel", "--name", "X", "--kind", "citadel"],
        "site 'palmyra' has a monument with slug 'citadel' already; choose another slug",
        1,
    ),
    "overlong description": (
        ["palmyra", "x", "--name", "X", "--kind", "temple", "--description", "x" * 5001],
        "invalid monument: description: too long; at most 5000 characters",
        1,
    ),
    "missing kind": (["palmyra", "x", "--name", "X"], "Missing option '--kind'.", 2),
}


@pytest.mark.parametrize(
    ("args", "message", "exit_code"), BAD_MONUMENTS.values(), ids=BAD_MONUMENTS
)
def test_add_monument_refuses_bad_input_and_writes_nothing(
    shared: Run, shared_engine: sa.Engine, args: list[str], message: str, exit_code: int
) -> None:
    before = dump(shared_engine)
    refused(shared("add-monument", *args), message, exit_code)
    assert dump(shared_engine) == before


# add-source -------------------------------------------------------------------------


def test_add_source(run: Run, migrated_url: str) -> None:
    result = run(
        "add-source", "rudaw-2015-03", "--title", "داعش يدمر آثار نمرود", "--publisher", "Rudaw",
        "--url", "https://www.rudaw.net/arabic", "--published", "2015-03~", "--type", "news_report",
        "--language", "ar", "--author", "Rudaw staff",
    )  # fmt: skip
    ok(result, stderr="Added source rudaw-2015-03.\n")
    with Registry.open(migrated_url) as reg:
        source = reg.get_source("rudaw-2015-03")
    assert source.model_dump(mode="json", exclude={"created_at", "updated_at"}) == {
        "key": "rudaw-2015-03",
        "title": "داعش يدمر آثار نمرود",
        "publisher": "Rudaw",
        "author": "Rudaw staff",
        "url": "https://www.rudaw.net/arabic",
        "language": "ar",
        "published": "2015-03~",
        "published_earliest": "2015-03-01",
        "published_latest": "2015-03-31",
        "source_type": "news_report",
        "note": None,
    }


BAD_SOURCES = {
    "bad EDTF": (
        ["x", "--title", "T", "--publisher", "P", "--published", "last May"],
        "invalid source: published: 'last May' is not an EDTF date; write e.g. 2015-05-23, "
        "2015-02, 2015-04~, 2015-05-23/2016-03-25, ../2015-04 or 12XX",
        1,
    ),
    "unknown type": (
        ["x", "--title", "T", "--publisher", "P", "--type", "blog"],
        "invalid source: unknown source type 'blog'; choose one of: news_report, "
        "official_statement, perpetrator_claim, ngo_report, satellite_assessment, social_media, "
        "other",
        1,
    ),
    "duplicate key": (
        [NEWARAB, "--title", "T", "--publisher", "P"],
        f"a source with key {NEWARAB!r} exists already; choose another key",
        1,
    ),
    "bad url": (
        ["x", "--title", "T", "--publisher", "P", "--url", "ftp://example.org"],
        "invalid source: url: 'ftp://example.org' is not a web address; write it as https://...",
        1,
    ),
    "bad language": (
        ["x", "--title", "T", "--publisher", "P", "--language", "english"],
        "invalid source: language: 'english' is not a BCP 47 language tag; write e.g. ar, en, fr",
        1,
    ),
    "overlong title": (
        ["x", "--title", "t" * 501, "--publisher", "P"],
        "invalid source: title: too long; at most 500 characters",
        1,
    ),
    "missing publisher": (["x", "--title", "T"], "Missing option '--publisher'.", 2),
}


@pytest.mark.parametrize(("args", "message", "exit_code"), BAD_SOURCES.values(), ids=BAD_SOURCES)
def test_add_source_refuses_bad_input_and_writes_nothing(
    shared: Run, shared_engine: sa.Engine, args: list[str], message: str, exit_code: int
) -> None:
    before = dump(shared_engine)
    refused(shared("add-source", *args), message, exit_code)
    assert dump(shared_engine) == before


# add-event --------------------------------------------------------------------------


def test_add_event_prints_only_the_uid_on_standard_output(run: Run, reg: Registry) -> None:
    result = run(
        "add-event", "palmyra", "--monument", "temple-of-bel", "--cause", "explosives",
        "--level", "destroyed", "--occurred", "2015-08-30", "--actor", "Islamic State",
        "--description", "Blown up.", "--source", NEWARAB, "--quote", "blew up the temple",
        "--location", "paragraph 3", "--date-resolution", "as dated in the article",
    )  # fmt: skip
    assert result.exit_code == 0
    uid = result.stdout.strip()
    assert result.stdout == f"{uid}\n"
    assert result.stderr == f"Added event {uid} to monument temple-of-bel of site palmyra.\n"
    event = reg.get_event(uid)
    assert event.model_dump(
        mode="json", include={"site", "monument", "cause", "damage_level", "occurred", "actor"}
    ) == {
        "site": "palmyra",
        "monument": "temple-of-bel",
        "cause": "explosives",
        "damage_level": "destroyed",
        "occurred": "2015-08-30",
        "actor": "Islamic State",
    }
    assert [c.model_dump(mode="json", exclude={"recorded_at"}) for c in event.citations] == [
        {
            "source": NEWARAB,
            "quote": "blew up the temple",
            "location": "paragraph 3",
            "stance": "supports",
            "claimed_occurred": None,
            "claimed_level": None,
            "date_resolution": "as dated in the article",
            "via": None,
            "mentions": [],
        }
    ]


def test_add_event_on_a_site(run: Run, reg: Registry) -> None:
    result = run(
        "add-event", "mosul-museum", "--cause", "smashing", "--level", "destroyed",
        "--occurred", "2015-02", "--source", IANS, "--quote", "smashed", "--stance", "disputes",
    )  # fmt: skip
    uid = result.stdout.strip()
    ok(result, stdout=f"{uid}\n", stderr=f"Added event {uid} to site mosul-museum.\n")
    assert reg.get_event(uid).confidence == "contested"


EVENT = ["--cause", "fire", "--level", "minor", "--occurred", "2015", "--source", IANS]
BAD_EVENTS = {
    "bad EDTF": (
        ["palmyra", *EVENT[:4], "--occurred", "last May", *EVENT[6:], "--quote", "q"],
        "invalid event: occurred: 'last May' is not an EDTF date; write e.g. 2015-05-23, "
        "2015-02, 2015-04~, 2015-05-23/2016-03-25, ../2015-04 or 12XX",
        1,
    ),
    "unknown cause": (
        ["palmyra", "--cause", "bombing", *EVENT[2:], "--quote", "q"],
        "invalid event: unknown cause 'bombing'; choose one of: explosives, demolition, "
        "smashing, looting, fire, shelling, gunfire, combat, occupation, mining, other, unknown",
        1,
    ),
    "unknown level": (
        ["palmyra", *EVENT[:2], "--level", "total", *EVENT[4:], "--quote", "q"],
        "invalid event: unknown damage level 'total'; choose one of: destroyed, severe, "
        "moderate, minor, none, unknown",
        1,
    ),
    "unknown stance": (
        ["palmyra", *EVENT, "--quote", "q", "--stance", "maybe"],
        "invalid event: unknown stance 'maybe'; choose one of: supports, disputes",
        1,
    ),
    "unknown site": (
        ["palmira", *EVENT, "--quote", "q"],
        "no site 'palmira'; did you mean 'palmyra'?",
        1,
    ),
    "unknown monument": (
        ["palmyra", "--monument", "citadl", *EVENT, "--quote", "q"],
        "no monument 'citadl' in site 'palmyra'; did you mean 'citadel'?",
        1,
    ),
    "unknown source": (
        ["palmyra", *EVENT[:-1], "newarab-2016-03-72", "--quote", "q"],
        "no source 'newarab-2016-03-72'; did you mean 'newarab-2016-03-27'?",
        1,
    ),
    "empty quote": (
        ["palmyra", *EVENT, "--quote", ""],
        "Invalid value for '--quote': the quote must not be empty; give the source's words",
        2,
    ),
    "blank quote": (
        ["palmyra", *EVENT, "--quote", "   "],
        "Invalid value for '--quote': the quote must not be empty; give the source's words",
        2,
    ),
    "overlong quote": (
        ["palmyra", *EVENT, "--quote", "q" * 5001],
        "invalid event: citations[0].quote: too long; at most 5000 characters",
        1,
    ),
    "overlong actor": (
        ["palmyra", *EVENT, "--quote", "q", "--actor", "a" * 201],
        "invalid event: actor: too long; at most 200 characters",
        1,
    ),
    "missing quote": (
        ["palmyra", *EVENT],
        "give the quote: --quote TEXT (- reads standard input) or --quote-file FILE",
        2,
    ),
    "missing occurred": (
        ["palmyra", *EVENT[:4], *EVENT[6:], "--quote", "q"],
        "Missing option '--occurred'.",
        2,
    ),
}


@pytest.mark.parametrize(("args", "message", "exit_code"), BAD_EVENTS.values(), ids=BAD_EVENTS)
def test_add_event_refuses_bad_input_and_writes_nothing(
    shared: Run, shared_engine: sa.Engine, args: list[str], message: str, exit_code: int
) -> None:
    before = dump(shared_engine)
    refused(shared("add-event", *args), message, exit_code)
    assert dump(shared_engine) == before


# cite -------------------------------------------------------------------------------


def test_cite_corroborates(run: Run, reg: Registry) -> None:
    result = run(
        "cite", CITADEL, "--source", IANS, "--quote", "took control of the ancient citadel",
        "--location", "paragraph 2", "--date-resolution", "undated",
    )  # fmt: skip
    ok(result, stderr=f"Cited source {IANS} on event {CITADEL}; its confidence is corroborated.\n")
    event = reg.get_event(CITADEL)
    assert [(c.source, c.quote, c.location) for c in event.citations] == [
        (NEWARAB, "had taken over the citadel on May 23 last year", None),
        (IANS, "took control of the ancient citadel", "paragraph 2"),
    ]


def test_cite_with_a_different_claim_contests(run: Run, reg: Registry) -> None:
    result = run(
        "cite", CITADEL, "--source", IANS, "--quote", "q", "--claimed-occurred", "2015-05-20",
        "--claimed-level", "severe",
    )  # fmt: skip
    ok(result, stderr=f"Cited source {IANS} on event {CITADEL}; its confidence is contested.\n")
    citation = reg.get_event(CITADEL).citations[-1]
    assert (citation.claimed_occurred, citation.claimed_level) == ("2015-05-20", "severe")


BAD_CITATIONS = {
    "unknown uid": (
        [CITADEL.replace("b3", "b4", 1), "--source", IANS, "--quote", "q"],
        f"no event {CITADEL.replace('b3', 'b4', 1)!r}; did you mean {CITADEL!r}?",
        1,
    ),
    "unknown source": (
        [CITADEL, "--source", "ians", "--quote", "q"],
        "no source 'ians'; did you mean 'ians-2016-03-27'?",
        1,
    ),
    "bad EDTF": (
        [CITADEL, "--source", IANS, "--quote", "q", "--claimed-occurred", "2015-99"],
        "invalid citation: claimed_occurred: '2015-99' is not an EDTF date; write e.g. "
        "2015-05-23, 2015-02, 2015-04~, 2015-05-23/2016-03-25, ../2015-04 or 12XX",
        1,
    ),
    "unknown level": (
        [CITADEL, "--source", IANS, "--quote", "q", "--claimed-level", "worse"],
        "invalid citation: unknown claimed level 'worse'; choose one of: destroyed, severe, "
        "moderate, minor, none, unknown",
        1,
    ),
    "empty quote": (
        [CITADEL, "--source", IANS, "--quote", ""],
        "Invalid value for '--quote': the quote must not be empty; give the source's words",
        2,
    ),
    "overlong location": (
        [CITADEL, "--source", IANS, "--quote", "q", "--location", "p" * 201],
        "invalid citation: location: too long; at most 200 characters",
        1,
    ),
    "missing source": ([CITADEL, "--quote", "q"], "Missing option '--source'.", 2),
}


@pytest.mark.parametrize(
    ("args", "message", "exit_code"), BAD_CITATIONS.values(), ids=BAD_CITATIONS
)
def test_cite_refuses_bad_input_and_writes_nothing(
    shared: Run, shared_engine: sa.Engine, args: list[str], message: str, exit_code: int
) -> None:
    before = dump(shared_engine)
    refused(shared("cite", *args), message, exit_code)
    assert dump(shared_engine) == before


# list -------------------------------------------------------------------------------


def test_list_sites_table(shared: Run, shared_reg: Registry) -> None:
    ok(
        shared("list", "sites"),
        stdout="""\
slug          name          country  kind                 unesco_whc_id  wikidata_qid  alt_names
mosul-museum  Mosul Museum  IQ       museum                                            متحف الموصل@ar
palmyra       Palmyra       SY       archaeological_site  23                           تدمر@ar, Tadmur@en
""",  # noqa: E501
    )


def test_list_monuments_table(shared: Run, shared_reg: Registry) -> None:
    ok(
        shared("list", "monuments"),
        stdout="""\
site     slug           name             kind     built  alt_names
palmyra  citadel        Palmyra citadel  citadel  12XX
palmyra  temple-of-bel  Temple of Bel    temple   0032   معبد بل@ar
""",
    )


def test_list_sources_table_cuts_long_cells(shared: Run, shared_reg: Registry) -> None:
    ok(
        shared("list", "sources"),
        stdout="""\
key                 publisher     published   source_type  language  title
ians-2016-03-27     IANS          2016-03-27  news_report  en        [Report on the Syrian army's full recap…
newarab-2016-03-27  The New Arab  2016-03-27  news_report  en        Palmyra recaptured in major symbolic vi…
""",  # noqa: E501
    )


def test_list_events_table_in_date_order(shared: Run, shared_reg: Registry) -> None:
    ok(
        shared("list", "events"),
        stdout=f"""\
uid                                   site     monument  occurred               cause       damage_level  confidence     citations
{TEMPLES}  palmyra            ../2016-03-27          explosives  destroyed     single_source  1
{OCCUPATION}  palmyra            2015-05/2016-03-27     occupation  unknown       corroborated   2
{CITADEL}  palmyra  citadel   2015-05-23/2016-03-25  occupation  unknown       single_source  1
""",  # noqa: E501
    )


def test_list_tables_align_by_display_width(run: Run, migrated_url: str) -> None:
    with Registry.open(migrated_url) as reg:
        # Vowel marks take no column; CJK characters take two.
        reg.add_site(slug="a-tadmur", name="تَدْمُر", country="SY")
        reg.add_site(slug="b-palmyra", name="巴尔米拉", country="SY")
        reg.add_site(slug="c-palmyra", name="Palmyra", country="SY")
    stdout = run("list", "sites", "--format", "table").stdout
    assert stdout.splitlines() == [
        "slug       name      country  kind                 unesco_whc_id  wikidata_qid  alt_names",
        "a-tadmur   تَدْمُر      SY       archaeological_site",
        "b-palmyra  巴尔米拉  SY       archaeological_site",
        "c-palmyra  Palmyra   SY       archaeological_site",
    ]


@pytest.mark.parametrize(
    ("kind", "model", "lister"),
    [
        ("sites", SitePublic, "list_sites"),
        ("monuments", MonumentPublic, "list_monuments"),
        ("sources", SourcePublic, "list_sources"),
        ("events", DamageEventPublic, "list_events"),
    ],
)
def test_list_json_and_csv_carry_every_field(
    shared: Run, shared_reg: Registry, kind: str, model: type[Any], lister: str
) -> None:
    expected = [record.model_dump(mode="json") for record in getattr(shared_reg, lister)()]
    result = shared("list", kind, "--format", "json")
    ok(result, stdout=json.dumps(expected, ensure_ascii=False, indent=2) + "\n")
    assert json.loads(result.stdout) == expected

    rows = list(csv.reader(io.StringIO(shared("list", kind, "--format", "csv").stdout)))
    assert rows[0] == list(model.model_fields)
    assert len(rows) == len(expected) + 1
    for row, record in zip(rows[1:], expected, strict=True):
        for name, cell in zip(rows[0], row, strict=True):
            value = record[name]
            if isinstance(value, (list, dict)):
                assert json.loads(cell) == value
            elif value is None:
                assert cell == ""
            else:
                assert cell == (value if isinstance(value, str) else json.dumps(value))


def test_list_csv_keeps_unicode_and_long_text(shared: Run, shared_reg: Registry) -> None:
    rows = list(csv.DictReader(io.StringIO(shared("list", "sources", "--format", "csv").stdout)))
    assert rows[0]["title"] == "[Report on the Syrian army's full recapture of Palmyra]"
    sites = list(csv.DictReader(io.StringIO(shared("list", "sites", "--format", "csv").stdout)))
    assert json.loads(sites[0]["alt_names"]) == [{"name": "متحف الموصل", "lang": "ar"}]


@pytest.mark.parametrize("kind", ["sites", "monuments", "sources", "events"])
def test_list_of_nothing(run: Run, kind: str) -> None:
    table = run("list", kind)
    assert table.exit_code == 0
    assert table.stdout.count("\n") == 1
    ok(run("list", kind, "--format", "json"), stdout="[]\n")
    assert run("list", kind, "--format", "csv").stdout.count("\n") == 1


FILTERS = {
    "events at a site": (["events", "--site", "mosul-museum"], []),
    "events of a monument": (["events", "--site", "palmyra", "--monument", "citadel"], [CITADEL]),
    "events by cause": (["events", "--cause", "occupation"], [OCCUPATION, CITADEL]),
    "events by level": (["events", "--level", "destroyed"], [TEMPLES]),
    "events by confidence": (["events", "--confidence", "corroborated"], [OCCUPATION]),
    "events since": (["events", "--since", "2016-03-26"], [TEMPLES, OCCUPATION]),
    "events until": (["events", "--until", "2015-05-22"], [TEMPLES, OCCUPATION]),
    "sites by country": (["sites", "--country", "iq"], ["mosul-museum"]),
    "sites by kind": (["sites", "--kind", "archaeological_site"], ["palmyra"]),
    "monuments by kind": (["monuments", "--kind", "temple"], ["temple-of-bel"]),
    "monuments of a site": (["monuments", "--site", "mosul-museum"], []),
    "sources of a site": (["sources", "--site", "palmyra"], [IANS, NEWARAB]),
    "sources of another site": (["sources", "--site", "mosul-museum"], []),
}


@pytest.mark.parametrize(("args", "expected"), FILTERS.values(), ids=FILTERS)
def test_list_filters(
    shared: Run, shared_reg: Registry, args: list[str], expected: list[str]
) -> None:
    result = shared("list", *args, "--format", "json")
    assert result.exit_code == 0
    key = {"events": "uid", "sources": "key"}.get(args[0], "slug")
    assert [record[key] for record in json.loads(result.stdout)] == expected


BAD_LISTS = {
    "option of another kind": (
        ["sites", "--cause", "fire"],
        "--cause does not apply to list sites; use it with list events",
        2,
    ),
    "option of other kinds": (
        ["sites", "--site", "palmyra"],
        "--site does not apply to list sites; use it with list monuments, list sources, "
        "list events",
        2,
    ),
    "no such option": (["sources", "--colour", "red"], "No such option '--colour'.", 2),
    "monument without site": (
        ["events", "--monument", "citadel"],
        "--monument needs --site: a monument's slug is unique only in its site.",
        2,
    ),
    "unknown format": (
        ["events", "--format", "xml"],
        "Invalid value for '--format': 'xml' is not one of 'table', 'json', 'jsonl', 'csv'.",
        2,
    ),
    "unknown cause": (
        ["events", "--cause", "bombing"],
        "invalid filter: unknown cause 'bombing'; choose one of: explosives, demolition, "
        "smashing, looting, fire, shelling, gunfire, combat, occupation, mining, other, unknown",
        1,
    ),
    "unknown level": (
        ["events", "--level", "total"],
        "invalid filter: unknown damage level 'total'; choose one of: destroyed, severe, "
        "moderate, minor, none, unknown",
        1,
    ),
    "unknown confidence": (
        ["events", "--confidence", "sure"],
        "invalid filter: unknown confidence 'sure'; choose one of: corroborated, single_source, "
        "contested, retracted, merged",
        1,
    ),
    "unknown site kind": (
        ["sites", "--kind", "town"],
        "invalid filter: unknown kind 'town'; choose one of: archaeological_site, "
        "historic_city, museum, religious_site, other",
        1,
    ),
    "unknown monument kind": (
        ["monuments", "--kind", "tower"],
        "invalid filter: unknown kind 'tower'; choose one of: temple, tomb, necropolis, "
        "citadel, mosque, shrine, church, museum_collection, statue, palace, city_wall, prison, "
        "other",
        1,
    ),
    "bad EDTF": (
        ["events", "--since", "last year"],
        "invalid date filter: 'last year' is not an EDTF date; write e.g. 2015-05-23, 2015-02, "
        "2015-04~, 2015-05-23/2016-03-25, ../2015-04 or 12XX",
        1,
    ),
    "unknown site": (
        ["events", "--site", "palmira"],
        "no site 'palmira'; did you mean 'palmyra'?",
        1,
    ),
    "unknown monument": (
        ["events", "--site", "palmyra", "--monument", "citdel"],
        "no monument 'citdel' in site 'palmyra'; did you mean 'citadel'?",
        1,
    ),
    "unknown site of sources": (
        ["sources", "--site", "nimrud"],
        "no site 'nimrud'",
        1,
    ),
}


@pytest.mark.parametrize(("args", "message", "exit_code"), BAD_LISTS.values(), ids=BAD_LISTS)
def test_list_refuses_bad_filters(
    shared: Run, shared_reg: Registry, args: list[str], message: str, exit_code: int
) -> None:
    refused(shared("list", *args), message, exit_code)


# show -------------------------------------------------------------------------------


def test_show_site_text(shared: Run, shared_reg: Registry) -> None:
    site = shared_reg.get_site("palmyra").model_dump(mode="json")
    ok(
        shared("show", "site", "palmyra"),
        stdout=f"""\
slug           palmyra
name           Palmyra
alt_names      تدمر@ar, Tadmur@en
country        SY
kind           archaeological_site
latitude       34.5514
longitude      38.2681
unesco_whc_id  23
created_at     {site["created_at"]}
updated_at     {site["updated_at"]}
events         3

monuments (2)
slug           name             kind     built  alt_names
citadel        Palmyra citadel  citadel  12XX
temple-of-bel  Temple of Bel    temple   0032   معبد بل@ar
""",
    )


def test_show_site_without_monuments(shared: Run, shared_reg: Registry) -> None:
    stdout = shared("show", "site", "mosul-museum").stdout
    assert stdout.endswith("events      0\n\nmonuments (0)\n")


def test_show_monument_text(shared: Run, shared_reg: Registry) -> None:
    monument = shared_reg.get_monument("palmyra", "citadel").model_dump(mode="json")
    ok(
        shared("show", "monument", "palmyra", "citadel"),
        stdout=f"""\
site             palmyra
slug             citadel
name             Palmyra citadel
kind             citadel
built            12XX
built_from_year  1200
built_to_year    1299
created_at       {monument["created_at"]}
updated_at       {monument["updated_at"]}
events           1
""",
    )


def test_show_source_text(shared: Run, shared_reg: Registry) -> None:
    source = shared_reg.get_source(IANS).model_dump(mode="json")
    ok(
        shared("show", "source", IANS),
        stdout=f"""\
key                 {IANS}
title               [Report on the Syrian army's full recapture of Palmyra]
publisher           IANS
language            en
published           2016-03-27
published_earliest  2016-03-27
published_latest    2016-03-27
source_type         news_report
created_at          {source["created_at"]}
updated_at          {source["updated_at"]}
""",
    )


def test_show_event_text(shared: Run, shared_reg: Registry) -> None:
    event = shared_reg.get_event(OCCUPATION).model_dump(mode="json")
    first, second = event["citations"]
    ok(
        shared("show", "event", OCCUPATION),
        stdout=f"""\
uid           {OCCUPATION}
site          palmyra
cause         occupation
damage_level  unknown
occurred      2015-05/2016-03-27
earliest      2015-05-01
latest        2016-03-27
actor         Islamic State
confidence    corroborated
recorded_at   {event["recorded_at"]}
updated_at    {event["updated_at"]}
citations     2

citation 1
  source       {NEWARAB}
  stance       supports
  quote        since IS seized it in May 2015
  location     paragraph 8
  recorded_at  {first["recorded_at"]}

citation 2
  source       {IANS}
  stance       supports
  quote        The Syrian army fully recaptured the ancient city of Palmyra in central Syria on Sunday
  location     paragraph 1
  recorded_at  {second["recorded_at"]}
""",  # noqa: E501
    )


@pytest.mark.parametrize(
    ("args", "getter"),
    [
        (["site", "palmyra"], lambda reg: reg.get_site("palmyra")),
        (["monument", "palmyra", "citadel"], lambda reg: reg.get_monument("palmyra", "citadel")),
        (["source", NEWARAB], lambda reg: reg.get_source(NEWARAB)),
        (["event", OCCUPATION], lambda reg: reg.get_event(OCCUPATION)),
    ],
    ids=["site", "monument", "source", "event"],
)  # fmt: skip
def test_show_json_is_the_public_model(
    shared: Run, shared_reg: Registry, args: list[str], getter: Callable[[Registry], Any]
) -> None:
    expected = getter(shared_reg).model_dump(mode="json")
    ok(
        shared("show", *args, "--format", "json"),
        stdout=json.dumps(expected, ensure_ascii=False, indent=2) + "\n",
    )


BAD_SHOWS = {
    "site": (["site", "palmira"], "no site 'palmira'; did you mean 'palmyra'?"),
    "monument": (
        ["monument", "palmyra", "temple-of-baal"],
        "no monument 'temple-of-baal' in site 'palmyra'; did you mean 'temple-of-bel'?",
    ),
    "monument's site": (["monument", "nimrud", "palace"], "no site 'nimrud'"),
    "source": (["source", "newarab"], "no source 'newarab'; did you mean 'newarab-2016-03-27'?"),
    "event": (
        ["event", OCCUPATION[:-1] + "d"],
        f"no event {OCCUPATION[:-1] + 'd'!r}; did you mean {OCCUPATION!r}?",
    ),
}


@pytest.mark.parametrize(("args", "message"), BAD_SHOWS.values(), ids=BAD_SHOWS)
def test_show_names_what_is_not_found(
    shared: Run, shared_reg: Registry, args: list[str], message: str
) -> None:
    refused(shared("show", *args), message)


# info, init, db -----------------------------------------------------------------------


def test_info(shared: Run, shared_reg: Registry) -> None:
    url = db.display_url(db.resolve_url(shared_reg.url))
    ok(
        shared("info"),
        stdout=f"""\
database         {url}
schema_revision  {schema.head_revision()}
sites            2
monuments        2
sources          2
events           3
citations        4
changes          10
""",
    )
    assert json.loads(shared("info", "--format", "json").stdout) == {
        "database": url,
        "schema_revision": schema.head_revision(),
        "counts": {
            "sites": 2,
            "monuments": 2,
            "sources": 2,
            "events": 3,
            "citations": 4,
            # Each record's creation, and the citation added to the occupation.
            "changes": 10,
        },
    }


@pytest.mark.postgres
def test_info_hides_the_password(postgres_scratch_url: str) -> None:
    # The test server trusts local connections, so any password connects.
    url = sa.make_url(postgres_scratch_url).set(password="s3cret")
    result = CliRunner().invoke(main, ["--db", url.render_as_string(hide_password=False), "info"])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    shown = url.set(drivername="postgresql+psycopg").render_as_string(hide_password=True)
    assert result.stdout.splitlines()[0] == f"database         {shown}"
    assert ":***@" in shown


def test_the_environment_names_the_database(tmp_path: Path) -> None:
    path = tmp_path / "from-env.db"
    runner = CliRunner()
    env = {cli.ENV_VAR: str(path)}
    ok(
        runner.invoke(main, ["add-site", "nimrud", "--name", "Nimrud", "--country", "IQ"], env=env),
        stderr="Added site nimrud.\n",
    )
    with Registry.open(f"sqlite:///{path}") as reg:
        assert [site.slug for site in reg.list_sites()] == ["nimrud"]
    # --db wins over the environment: a reading command there finds no registry.
    other = tmp_path / "other.db"
    result = runner.invoke(main, ["--db", str(other), "list", "sites", "--format", "json"], env=env)
    refused(result, f"no registry at {other}; create one with registry init (or registry seed)")
    assert not other.exists()


def test_init_creates_then_does_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'new.db'}"
    runner = CliRunner()
    head = schema.head_revision()
    ok(
        runner.invoke(main, ["--db", url, "init"]),
        stderr=f"Created the registry at {url} (schema revision {head}).\n",
    )
    engine = db.make_engine(url)
    try:
        before = dump(engine)
        ok(
            runner.invoke(main, ["--db", url, "init"]),
            stderr=f"{url} is up to date (schema revision {head}).\n",
        )
        assert dump(engine) == before
    finally:
        engine.dispose()


def test_a_writing_command_creates_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "folder" / "registry.db"
    ok(
        CliRunner().invoke(
            main, ["--db", str(path), "add-site", "x", "--name", "X", "--country", "SY"]
        ),
        stderr="Added site x.\n",
    )
    engine = db.make_engine(str(path))
    try:
        assert schema.current_revision(engine) == schema.head_revision()
    finally:
        engine.dispose()


def test_db_commands(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'schema.db'}"
    head = schema.head_revision()

    def registry(*args: str) -> Result:
        return CliRunner().invoke(main, ["--db", url, "db", *args], catch_exceptions=False)

    refused(
        registry("current"),
        f"no registry at {tmp_path / 'schema.db'}; create one with registry init "
        "(or registry seed)",
    )
    ok(registry("upgrade"), stderr=f"Migrated {url} from schema revision base to {head}.\n")
    ok(registry("current"), stdout=f"{head}\n")
    ok(
        registry("upgrade", "head"),
        stderr=f"{url} is at schema revision {head} already; nothing to do.\n",
    )
    ok(
        registry("downgrade", "base"),
        stderr=f"Migrated {url} from schema revision {head} to base.\n",
    )
    ok(registry("current"), stderr=f"{url} has no schema yet; 'registry init' creates it.\n")
    refused(
        registry("downgrade", "9999"),
        "unknown schema revision '9999'; choose one of: "
        + ", ".join(rev.revision for rev in schema.history())
        + ", head, base",
    )
    refused(registry("downgrade"), "Missing argument 'REVISION'.", exit_code=2)


def test_a_database_from_a_newer_version_is_left_alone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'newer.db'}"
    engine = db.make_engine(url)
    try:
        schema.upgrade(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE alembic_version SET version_num = 'ffff'")
        before = dump(engine)
        runner = CliRunner()
        refused(
            runner.invoke(main, ["--db", url, "info"]),
            "the database is at schema revision ffff, which this version of heritage-registry "
            "does not know; upgrade the package",
        )
        refused(
            runner.invoke(main, ["--db", url, "db", "upgrade"]),
            f"cannot migrate {url}: Can't locate revision identified by 'ffff'",
        )
        ok(runner.invoke(main, ["--db", url, "db", "current"]), stdout="ffff\n")
        assert dump(engine) == before
    finally:
        engine.dispose()


def test_db_history() -> None:
    result = CliRunner().invoke(main, ["db", "history"])
    lines = result.stdout.splitlines()
    assert result.exit_code == 0
    assert lines[0].split() == ["revision", "down_revision", "is_head", "doc"]
    assert [line.split()[0] for line in lines[1:]] == [rev.revision for rev in schema.history()]


# seed -------------------------------------------------------------------------------


def test_seed_loads_once(tmp_path: Path) -> None:
    pytest.importorskip("heritage_registry.seed")
    url = f"sqlite:///{tmp_path / 'seeded.db'}"
    runner = CliRunner()
    first = runner.invoke(main, ["--db", url, "seed"], catch_exceptions=False)
    assert (first.exit_code, first.stdout) == (0, "")
    with Registry.open(url) as reg:
        counts = reg.counts()
    kinds = ("sites", "monuments", "sources", "events", "citations")
    added = ", ".join(f"{counts[kind]} {kind}" for kind in kinds)
    assert first.stderr == f"Seeded {url}: added {added}; 0 already present.\n"
    assert counts["events"] > 0

    engine = db.make_engine(url)
    try:
        before = dump(engine)
        again = runner.invoke(main, ["--db", url, "seed"], catch_exceptions=False)
        present = counts["sites"] + counts["monuments"] + counts["sources"] + counts["events"]
        ok(
            again,
            stderr=f"Seeded {url}: added 0 sites, 0 monuments, 0 sources, 0 events, "
            f"0 citations; {present + counts['citations']} already present.\n",
        )
        assert dump(engine) == before
    finally:
        engine.dispose()


# Databases that cannot be used --------------------------------------------------------


def test_an_unreachable_server_is_one_line() -> None:
    result = CliRunner().invoke(main, ["--db", "postgresql://postgres@127.0.0.1:1/none", "info"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(
        "Error: cannot use the database postgresql+psycopg://postgres@127.0.0.1:1/none: "
    )
    assert result.stderr.count("\n") == 1


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    for command in (["info"], ["init"]):
        refused(
            CliRunner().invoke(main, ["--db", str(tmp_path), *command]),
            f"{tmp_path} is a folder, not a registry file; name a file with --db, "
            f"e.g. {tmp_path / 'registry.db'}",
        )


def test_a_file_in_the_folder_s_place(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a folder")
    refused(
        CliRunner().invoke(main, ["--db", str(tmp_path / "file" / "registry.db"), "init"]),
        f"cannot open the database sqlite:///{tmp_path}/file/registry.db: "
        f"{tmp_path}/file is a file, not a folder",
    )


def test_an_unknown_kind_of_database() -> None:
    refused(
        CliRunner().invoke(main, ["--db", "couchdb://db.example.org/heritage", "info"]),
        "cannot use the database couchdb://db.example.org/heritage: heritage-registry supports "
        "SQLite and PostgreSQL, not 'couchdb'; write sqlite:///PATH or "
        "postgresql://USER@HOST/DATABASE",
    )


def test_an_unsupported_engine_is_named_as_such() -> None:
    refused(
        CliRunner().invoke(main, ["--db", "mysql+mysqldb://scott@db.example.org/heritage", "info"]),
        "cannot use the database mysql+mysqldb://scott@db.example.org/heritage: "
        "heritage-registry supports SQLite and PostgreSQL, not 'mysql'; write sqlite:///PATH "
        "or postgresql://USER@HOST/DATABASE",
    )
