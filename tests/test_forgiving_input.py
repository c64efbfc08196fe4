"""Input that forgives, and never guesses silently (issue 13).

What a careful analyst types by habit is taken as meant (`Temple`, `city-wall`), what is
almost right gets the one suggestion that fixes it ("did you mean 2015-08?"), and nothing
is converted behind their back: a country name, a date written for people and a uid's
first characters shared by two events are refused with what they may mean. Each on both
engines where a database is involved.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from heritage_registry import Registry, dates
from heritage_registry.errors import AmbiguousUid, EventNotFound, InvalidRecord
from heritage_registry.exchange import ImportFailed, import_csv, import_jsonl
from heritage_registry.models import MonumentCreate, SiteCreate
from tests.helpers import dump
from tests.test_cli import (
    CITADEL,
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

# Events whose uids begin alike, for prefixes: 3006 begins OCCUPATION's uid too.
TWIN_A = "3006cef9-0000-4000-8000-000000000001"
TWIN_B = "3006cefa-0000-4000-8000-000000000002"


@pytest.fixture
def reg(migrated_url: str) -> Iterator[Registry]:
    with Registry.open(migrated_url) as registry:
        populate(registry)
        yield registry


@pytest.fixture
def run(migrated_url: str) -> Run:
    return invoker(migrated_url)


def add_twins(reg: Registry) -> None:
    for uid in (TWIN_A, TWIN_B):
        reg.add_event(
            uid=uid, site="palmyra", cause="fire", damage_level="minor", occurred="2015",
            source=IANS, quote=f"a fire ({uid[:8]})",
        )  # fmt: skip


# Vocabularies: any case, hyphens for underscores -------------------------------------


def test_the_create_models_take_any_case_and_hyphens() -> None:
    site = SiteCreate(slug="x", name="X", country="sy", kind="Archaeological-Site")
    assert site.kind == "archaeological_site"
    assert site.country == "SY"
    for typed, stored in [
        ("Temple", "temple"),
        ("city-wall", "city_wall"),
        ("CITY_WALL", "city_wall"),
    ]:
        assert MonumentCreate(site="x", slug="m", name="M", kind=typed).kind == stored


def test_the_command_stores_the_canonical_values(run: Run, reg: Registry) -> None:
    ok(
        run("add-site", "hatra", "--name", "Hatra", "--country", "IQ", "--kind",
            "archaeological-site"),
        stderr="Added site hatra.\n",
    )  # fmt: skip
    ok(
        run("add-monument", "palmyra", "wall", "--name", "Wall", "--kind", "City-Wall"),
        stderr="Added monument wall to site palmyra.\n",
    )
    ok(
        run("add-monument", "palmyra", "baalshamin", "--name", "Baalshamin", "--kind", "Temple"),
        stderr="Added monument baalshamin to site palmyra.\n",
    )
    result = run(
        "add-event", "palmyra", "--cause", "Explosives", "--level", "DESTROYED", "--occurred",
        "2015-08", "--source", NEWARAB, "--quote", "blown up", "--stance", "Supports",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    event = reg.get_event(result.stdout.strip())
    assert (event.cause, event.damage_level, event.citations[0].stance) == (
        "explosives", "destroyed", "supports",
    )  # fmt: skip
    assert reg.get_site("hatra").kind == "archaeological_site"
    assert reg.get_monument("palmyra", "wall").kind == "city_wall"
    assert reg.get_monument("palmyra", "baalshamin").kind == "temple"
    with reg.engine.connect() as connection:
        stored = set(connection.exec_driver_sql("SELECT kind FROM monument").scalars())
    assert stored == {"temple", "citadel", "city_wall"}


def test_list_filters_take_any_case(reg: Registry) -> None:
    explosives = reg.list_events(cause="Explosives")
    assert [event.uid for event in explosives] == [TEMPLES]
    assert [site.slug for site in reg.list_sites(kind="Museum")] == ["mosul-museum"]
    assert [m.slug for m in reg.list_monuments(kind="TEMPLE")] == ["temple-of-bel"]


def test_imports_store_the_canonical_values(reg: Registry) -> None:
    lines = [
        {"format": "heritage-registry", "version": 1},
        {"type": "site", "slug": "hatra", "name": "Hatra", "country": "iq",
         "kind": "Archaeological-Site"},
        {"type": "monument", "site": "hatra", "slug": "wall", "name": "Wall", "kind": "City-Wall"},
        {"type": "event", "uid": "9f0b2a1c-0000-4000-8000-000000000003", "site": "hatra",
         "cause": "Demolition", "damage_level": "Severe", "occurred": "2015-03",
         "citations": [{"source": IANS, "quote": "bulldozed", "stance": "Disputes"}]},
    ]  # fmt: skip
    text = "".join(json.dumps(line) + "\n" for line in lines)
    import_jsonl(reg, io.BytesIO(text.encode()))
    assert reg.get_site("hatra").kind == "archaeological_site"
    assert reg.get_monument("hatra", "wall").kind == "city_wall"
    event = reg.get_event("9f0b2a1c-0000-4000-8000-000000000003")
    assert (event.cause, event.damage_level, event.citations[0].stance) == (
        "demolition", "severe", "disputes",
    )  # fmt: skip
    csv_text = (
        "site,cause,damage_level,occurred,source,quote\n"
        f"palmyra,Looting,Minor,2015-06,{IANS},looted\n"
    )
    import_csv(reg, io.BytesIO(csv_text.encode()))
    looted = reg.list_events(cause="looting")
    assert [(event.cause, event.damage_level) for event in looted] == [("looting", "minor")]


KINDS = (
    "temple, tomb, necropolis, citadel, mosque, shrine, church, museum_collection, statue, "
    "palace, city_wall, prison, other"
)
CAUSES = (
    "explosives, demolition, smashing, looting, fire, shelling, gunfire, combat, occupation, "
    "mining, other, unknown"
)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["add-monument", "palmyra", "m", "--name", "M", "--kind", "templ"],
            "invalid monument: unknown kind 'templ'; did you mean 'temple'? choose one of: "
            + KINDS,
        ),
        (
            ["add-monument", "palmyra", "m", "--name", "M", "--kind", "city-walls"],
            "invalid monument: unknown kind 'city-walls'; did you mean 'city_wall'? choose one "
            f"of: {KINDS}",
        ),
        (
            ["add-site", "x", "--name", "X", "--country", "SY", "--kind", "archaeologcal-site"],
            "invalid site: unknown kind 'archaeologcal-site'; did you mean 'archaeological_site'? "
            "choose one of: archaeological_site, historic_city, museum, religious_site, other",
        ),
        (
            ["list", "events", "--cause", "explosive"],
            f"invalid filter: unknown cause 'explosive'; did you mean 'explosives'? choose one "
            f"of: {CAUSES}",
        ),
        (
            ["list", "events", "--cause", "shell"],
            f"invalid filter: unknown cause 'shell'; did you mean 'shelling'? choose one of: "
            f"{CAUSES}",
        ),
        # Another word is not a misspelling: no suggestion.
        (
            ["add-monument", "palmyra", "m", "--name", "M", "--kind", "tower"],
            f"invalid monument: unknown kind 'tower'; choose one of: {KINDS}",
        ),
    ],
)
def test_a_near_miss_gets_did_you_mean(
    run: Run, reg: Registry, args: list[str], message: str
) -> None:
    before = dump(reg.engine)
    refused(run(*args), message)
    assert dump(reg.engine) == before


def test_an_import_line_with_a_near_miss_says_which(reg: Registry) -> None:
    line = {
        "type": "event", "uid": "9f0b2a1c-0000-4000-8000-000000000004", "site": "palmyra",
        "cause": "lootin", "damage_level": "minor", "occurred": "2015",
        "citations": [{"source": IANS, "quote": "q"}],
    }  # fmt: skip
    text = '{"format": "heritage-registry", "version": 1}\n' + json.dumps(line) + "\n"
    with pytest.raises(ImportFailed) as failed:
        import_jsonl(reg, io.BytesIO(text.encode()))
    assert str(failed.value) == (
        f"line 2: unknown cause 'lootin'; did you mean 'looting'? choose one of: {CAUSES}"
    )


# Options: the nearest real one ----------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "option", "meant"),
    [
        (["add-event", "palmyra", "--date", "2015"], "--date", "--occurred"),
        (["add-event", "palmyra", "--when", "2015"], "--when", "--occurred"),
        (["add-event", "palmyra", "--severity", "severe"], "--severity", "--level"),
        (["add-event", "palmyra", "--damage=severe"], "--damage", "--level"),
        (["add-site", "x", "--type", "museum"], "--type", "--kind"),
        (["add-monument", "palmyra", "m", "--type", "temple"], "--type", "--kind"),
        (["add-source", "k", "--kind", "ngo_report"], "--kind", "--type"),
        (["add-source", "k", "--date", "2016"], "--date", "--published"),
        (["cite", OCCUPATION, "--date", "2016"], "--date", "--claimed-occurred"),
        (["cite", OCCUPATION, "--severity", "minor"], "--severity", "--claimed-level"),
        (["update-event", OCCUPATION, "--damage", "minor"], "--damage", "--level"),
        (["list", "events", "--from", "2015"], "--from", "--since"),
        (["list", "events", "--date", "2015"], "--date", "--since"),
        (["list", "events", "--severity", "minor"], "--severity", "--level"),
        (["list", "sites", "--type", "museum"], "--type", "--kind"),
        (["add-site", "x", "--latitude", "1"], "--latitude", "--lat"),
    ],
)
def test_an_unknown_option_names_the_one_meant(
    tmp_path: Path, args: list[str], option: str, meant: str
) -> None:
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    result = invoker(url)(*args)
    refused(result, f"No such option {option!r}. Did you mean {meant!r}?", 2)
    # Refused while parsing: no database was made.
    assert not (tmp_path / "registry.db").exists()


def test_click_still_suggests_close_spellings(tmp_path: Path) -> None:
    result = invoker(f"sqlite:///{tmp_path / 'r.db'}")("add-event", "palmyra", "--ocurred", "x")
    refused(result, "No such option '--ocurred'. Did you mean '--occurred'?", 2)


def test_an_option_of_another_list_still_says_where_it_applies(tmp_path: Path) -> None:
    result = invoker(f"sqlite:///{tmp_path / 'r.db'}")("list", "sites", "--site", "x")
    refused(
        result,
        "--site does not apply to list sites; use it with list monuments, list sources, "
        "list events",
        2,
    )


# Countries: a name gets its code suggested, never converted -----------------------------


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("Iraq", "IQ (Iraq)"),
        ("syria", "SY (Syrian Arab Republic)"),
        ("Syrian Arab Republic", "SY (Syrian Arab Republic)"),
        ("SYR", "SY (Syrian Arab Republic)"),
        ("Irak", "IQ (Iraq)"),
        ("Yemen", "YE (Yemen)"),
    ],
)
def test_a_country_name_gets_its_code_suggested(
    run: Run, reg: Registry, typed: str, meant: str
) -> None:
    before = dump(reg.engine)
    refused(
        run("add-site", "hatra", "--name", "Hatra", "--country", typed),
        f"invalid site: country: {typed!r} is not an ISO 3166-1 alpha-2 country code; "
        f"did you mean {meant}?",
    )
    refused(
        run("list", "sites", "--country", typed),
        f"invalid filter: country: {typed!r} is not an ISO 3166-1 alpha-2 country code; "
        f"did you mean {meant}?",
    )
    assert dump(reg.engine) == before


def test_a_country_with_no_likely_code_says_how_to_write_one(run: Run, reg: Registry) -> None:
    refused(
        run("list", "sites", "--country", "Atlantis"),
        "invalid filter: country: 'Atlantis' is not an ISO 3166-1 alpha-2 country code; "
        "write e.g. SY, IQ",
    )
    with pytest.raises(InvalidRecord, match="'XX' is not an ISO 3166-1"):
        reg.list_sites(country="XX")


def test_a_listed_country_code_is_taken_in_any_case(reg: Registry) -> None:
    assert [site.slug for site in reg.list_sites(country="sy")] == ["palmyra"]
    assert reg.list_sites(country="YE") == []


# Date windows ----------------------------------------------------------------------------


def test_a_reversed_window_is_an_error_not_an_empty_list(run: Run, reg: Registry) -> None:
    message = (
        "invalid date filter: since '2016' starts after until '2015-06' ends; give the "
        "earlier date as since"
    )
    refused(run("list", "events", "--since", "2016", "--until", "2015-06"), message)
    with pytest.raises(InvalidRecord) as error:
        reg.list_events(since="2016", until="2015-06")
    assert str(error.value) == message
    # A window of one month is not reversed.
    assert len(reg.list_events(since="2015-05", until="2015-05")) == 3


# Dates written for people: a suggestion, never a conversion ----------------------------


@pytest.mark.parametrize(
    ("typed", "readings"),
    [
        ("Aug 2015", ["2015-08"]),
        ("August 2015", ["2015-08"]),
        ("23/08/2015", ["2015-08-23"]),
        ("08/23/2015", ["2015-08-23"]),
        ("23.08.2015", ["2015-08-23"]),
        ("August 23, 2015", ["2015-08-23"]),
        ("23rd August 2015", ["2015-08-23"]),
        ("2015/08/23", ["2015-08-23"]),
        ("2015-8-3", ["2015-08-03"]),
        ("8/2015", ["2015-08"]),
        ("2015-08-23 to 2015-08-30", ["2015-08-23/2015-08-30"]),
        ("between May 2015 and March 2016", ["2015-05/2016-03"]),
        ("Aug 2015 \u2013 Sep 2015", ["2015-08/2015-09"]),
        ("about Aug 2015", ["2015-08~"]),
        ("circa 2015", ["2015~"]),
        ("before May 2015", ["../2015-05"]),
        ("after 23 May 2015", ["2015-05-23/.."]),
        ("spring 2015", ["2015-21"]),
        ("the 1990s", ["199X"]),
        ("13th century", ["12XX"]),
        # Day and month either way round: both readings, day first.
        ("03/04/2015", ["2015-04-03", "2015-03-04"]),
        ("03/04/2015 - 05/04/2015", ["2015-04-03/2015-04-05", "2015-03-04/2015-05-04"]),
        ("03/03/2015", ["2015-03-03"]),
        # Nothing the calendar holds, or nothing certain enough: no suggestion.
        ("31/02/2015", []),
        ("23/08/15", []),
        ("last May", []),
        ("on Friday", []),
        ("May", []),
        ("2015-13", []),
        ("2016-03-27 to 2015-08-30", []),
    ],
)
def test_dates_written_for_people_are_read_as_a_suggestion(typed: str, readings: list[str]) -> None:
    assert dates.suggest(typed) == readings
    for reading in readings:
        dates.bounds(reading)  # every suggestion is a date the registry takes


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Aug 2015", "'Aug 2015' is not an EDTF date; did you mean 2015-08?"),
        ("23/08/2015", "'23/08/2015' is not an EDTF date; did you mean 2015-08-23?"),
        ("August 23, 2015", "'August 23, 2015' is not an EDTF date; did you mean 2015-08-23?"),
        (
            "2015-08-23 to 2015-08-30",
            "'2015-08-23 to 2015-08-30' is not an EDTF date; did you mean 2015-08-23/2015-08-30?",
        ),
        (
            "03/04/2015",
            "'03/04/2015' is not an EDTF date, and its day and month could be either way "
            "round: did you mean 2015-04-03 (3 April 2015) or 2015-03-04 (4 March 2015)?",
        ),
    ],
)
def test_every_date_field_suggests_and_stores_nothing(
    run: Run, reg: Registry, typed: str, message: str
) -> None:
    before = dump(reg.engine)
    fields = [
        (["add-event", "palmyra", "--cause", "fire", "--level", "minor", "--occurred", typed,
          "--source", IANS, "--quote", "q"], "invalid event: occurred: "),
        (["add-source", "k", "--title", "T", "--publisher", "P", "--published", typed],
         "invalid source: published: "),
        (["add-monument", "palmyra", "m", "--name", "M", "--kind", "temple", "--built", typed],
         "invalid monument: built: "),
        (["cite", CITADEL, "--source", IANS, "--quote", "q", "--claimed-occurred", typed],
         "invalid citation: claimed_occurred: "),
        (["update-event", CITADEL, "--occurred", typed, "--reason", "r"],
         "invalid event: occurred: "),
        (["list", "events", "--since", typed], "invalid date filter: "),
    ]  # fmt: skip
    for args, prefix in fields:
        refused(run(*args), prefix + message)
    assert dump(reg.engine) == before


# A source reporting the future ------------------------------------------------------------

TOO_EARLY = (
    "the event's date {occurred} begins after source {source!r} was published ({published}): "
    "a source cannot report what had not yet happened; correct one of the two dates"
)


def test_an_event_after_its_source_is_refused_by_the_library(reg: Registry) -> None:
    before = dump(reg.engine)
    with pytest.raises(InvalidRecord) as error:
        reg.add_event(
            site="palmyra", cause="explosives", damage_level="destroyed", occurred="2016-04",
            source=NEWARAB, quote="q",
        )  # fmt: skip
    assert str(error.value) == "invalid event: " + TOO_EARLY.format(
        occurred="2016-04", source=NEWARAB, published="2016-03-27"
    )
    reg.add_source(key="later", title="A later report", published="2017")
    uid = reg.add_event(
        site="palmyra", cause="explosives", damage_level="destroyed", occurred="2016-04",
        source="later", quote="q",
    ).uid  # fmt: skip
    with pytest.raises(InvalidRecord) as error:
        reg.cite(uid, source=IANS, quote="q")
    assert str(error.value) == "invalid citation: " + TOO_EARLY.format(
        occurred="2016-04", source=IANS, published="2016-03-27"
    )
    # Corrections keep to it too: a later date, or an earlier publication.
    with pytest.raises(InvalidRecord, match=r"^invalid event: the event's date 2016-04-02"):
        reg.update_event(CITADEL, occurred="2016-04-02", reason="r")
    with pytest.raises(InvalidRecord) as error:
        reg.update_source(IANS, published="2015-04", reason="r")
    assert str(error.value) == f"invalid source (it reports event {OCCUPATION}): " + (
        TOO_EARLY.format(occurred="2015-05/2016-03-27", source=IANS, published="2015-04")
    )
    # An open start, or a source without a date, reports anything.
    reg.add_event(
        site="palmyra", cause="fire", damage_level="minor", occurred="../2016-04",
        source=NEWARAB, quote="q2",
    )  # fmt: skip
    assert dump(reg.engine) != before


def test_an_event_after_its_source_is_refused_by_the_command(run: Run, reg: Registry) -> None:
    before = dump(reg.engine)
    refused(
        run("add-event", "palmyra", "--cause", "fire", "--level", "minor", "--occurred",
            "2016-03-28", "--source", IANS, "--quote", "q"),
        "invalid event: " + TOO_EARLY.format(
            occurred="2016-03-28", source=IANS, published="2016-03-27"
        ),
    )  # fmt: skip
    assert dump(reg.engine) == before
    reg.add_source(key="later", title="Later", published="2016-06")
    uid = reg.add_event(
        site="palmyra", cause="fire", damage_level="minor", occurred="2016-05",
        source="later", quote="q",
    ).uid  # fmt: skip
    before = dump(reg.engine)
    refused(
        run("cite", uid, "--source", NEWARAB, "--quote", "q"),
        "invalid citation: "
        + TOO_EARLY.format(occurred="2016-05", source=NEWARAB, published="2016-03-27"),
    )
    assert dump(reg.engine) == before


def test_an_import_of_an_event_after_its_source_is_refused(reg: Registry) -> None:
    before = dump(reg.engine)
    lines = [
        {"format": "heritage-registry", "version": 1},
        {"type": "source", "key": "early", "title": "Early", "published": "2015-01"},
        {"type": "event", "uid": "9f0b2a1c-0000-4000-8000-000000000005", "site": "palmyra",
         "cause": "fire", "damage_level": "minor", "occurred": "2015-01",
         "citations": [{"source": "early", "quote": "q"}]},
        {"type": "event", "uid": "9f0b2a1c-0000-4000-8000-000000000006", "site": "palmyra",
         "cause": "fire", "damage_level": "minor", "occurred": "2015-02",
         "citations": [{"source": "early", "quote": "q"}]},
    ]  # fmt: skip
    text = "".join(json.dumps(line) + "\n" for line in lines)
    with pytest.raises(ImportFailed) as failed:
        import_jsonl(reg, io.BytesIO(text.encode()))
    assert str(failed.value) == "line 4: " + TOO_EARLY.format(
        occurred="2015-02", source="early", published="2015-01"
    )
    csv_text = (
        f"site,cause,damage_level,occurred,source,quote\npalmyra,fire,minor,2016-04,{NEWARAB},q\n"
    )
    with pytest.raises(ImportFailed) as failed:
        import_csv(reg, io.BytesIO(csv_text.encode()))
    assert str(failed.value) == "line 2: " + TOO_EARLY.format(
        occurred="2016-04", source=NEWARAB, published="2016-03-27"
    )
    assert dump(reg.engine) == before


# Quotes from standard input or a file; empty options -------------------------------------


def test_quote_dash_reads_standard_input(run: Run, reg: Registry) -> None:
    words = "Islamic State militants blew up the Temple of Bel — 'ruined'\n"
    result = run(
        "add-event", "palmyra", "--cause", "explosives", "--level", "destroyed",
        "--occurred", "2015-08", "--source", NEWARAB, "--quote", "-", input=words.encode(),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert reg.get_event(result.stdout.strip()).citations[0].quote == words.strip()
    result = run("cite", CITADEL, "--source", IANS, "--quote", "-", input=b"retaken")
    assert result.exit_code == 0, result.output
    assert reg.get_event(CITADEL).citations[-1].quote == "retaken"


def test_quote_file_reads_utf8(run: Run, reg: Registry, tmp_path: Path) -> None:
    path = tmp_path / "quote.txt"
    path.write_bytes("\ufeffتدمر: the citadel was held\n".encode())
    result = run(
        "add-event", "palmyra", "--cause", "occupation", "--level", "unknown",
        "--occurred", "2015-05", "--source", NEWARAB, "--quote-file", str(path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert reg.get_event(result.stdout.strip()).citations[0].quote == "تدمر: the citadel was held"


@pytest.mark.parametrize(
    ("extra", "stdin", "message"),
    [
        ([], b"", "give the quote: --quote TEXT (- reads standard input) or --quote-file FILE"),
        (["--quote", "q", "--quote-file", "-"], b"",
         "give the quote once: --quote TEXT or --quote-file FILE, not both"),
        (["--quote", ""], b"",
         "Invalid value for '--quote': the quote must not be empty; give the source's words"),
        (["--quote", "-"], b" \n",
         "Invalid value for '--quote': the quote must not be empty; give the source's words"),
        (["--quote-file", "-"], b"",
         "Invalid value for '--quote-file': the quote must not be empty; give the source's "
         "words"),
        (["--quote", "-"], b"\xff\xfeq",
         "Invalid value for '--quote': standard input is not UTF-8 text (byte 0xff at offset "
         "0); save it as UTF-8"),
        (["--quote", "-"], b"q" * 20_004,
         "Invalid value for '--quote': standard input holds more than 5000 characters; a "
         "quote is at most 5000"),
    ],
)  # fmt: skip
def test_a_quote_must_be_given_once_and_read_whole(
    run: Run, reg: Registry, extra: list[str], stdin: bytes, message: str
) -> None:
    before = dump(reg.engine)
    for command in (["add-event", "palmyra", "--cause", "fire", "--level", "minor",
                     "--occurred", "2015"], ["cite", CITADEL]):  # fmt: skip
        refused(run(*command, "--source", IANS, *extra, input=stdin), message, 2)
    assert dump(reg.engine) == before


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["add-source", "k", "--title", "T", "--publisher", ""], "--publisher"),
        (["add-source", "k", "--title", " ", "--publisher", "P"], "--title"),
        (["add-site", "x", "--name", "", "--country", "SY"], "--name"),
        (["add-monument", "palmyra", "m", "--name", "", "--kind", "temple"], "--name"),
        (["add-site", "x", "--name", "X", "--country", ""], "--country"),
        (["add-event", "palmyra", "--cause", "", "--level", "minor", "--occurred", "2015",
          "--source", IANS, "--quote", "q"], "--cause"),
        (["add-event", "palmyra", "--cause", "fire", "--level", "minor", "--occurred", "",
          "--source", IANS, "--quote", "q"], "--occurred"),
        (["cite", CITADEL, "--source", "", "--quote", "q"], "--source"),
        (["retract", CITADEL, "--reason", ""], "--reason"),
    ],
)  # fmt: skip
def test_an_empty_required_option_is_refused_by_name(
    run: Run, reg: Registry, args: list[str], option: str
) -> None:
    before = dump(reg.engine)
    refused(run(*args), f"Invalid value for {option!r}: must not be empty; give a value", 2)
    assert dump(reg.engine) == before


# Uids by their first characters ----------------------------------------------------------


def test_a_unique_prefix_names_the_event_everywhere(run: Run, reg: Registry) -> None:
    assert reg.get_event("b3da").uid == CITADEL
    assert reg.get_event("B3DAA9CB-BBEA").uid == CITADEL
    shown = run("show", "event", "b3daa9", "--format", "json")
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout)["uid"] == CITADEL
    ok(
        run("cite", "b3da", "--source", IANS, "--quote", "retaken"),
        stderr=f"Cited source {IANS} on event {CITADEL}; its confidence is corroborated.\n",
    )
    ok(
        run("update-event", "b3da", "--level", "minor", "--reason", "imagery"),
        stderr=f"Updated event {CITADEL}; its confidence is corroborated.\n",
    )
    ok(run("retract", "6f1d", "--reason", "a duplicate"), stderr=f"Retracted event {TEMPLES}.\n")
    history = run("history", "b3da", "--format", "json")
    assert history.exit_code == 0, history.output
    changes = json.loads(history.stdout)
    # Recorded under the whole uid, whatever was typed.
    assert [(change["record"], change["action"]) for change in changes] == [
        (CITADEL, "create"), (CITADEL, "cite"), (CITADEL, "update"),
    ]  # fmt: skip
    assert [change.record for change in reg.history("event", TEMPLES)] == [TEMPLES, TEMPLES]


def test_an_ambiguous_prefix_lists_its_events(run: Run, reg: Registry) -> None:
    add_twins(reg)
    before = dump(reg.engine)
    message = (
        f"uid prefix '3006' is ambiguous: it begins 3 events' uids ({OCCUPATION}, {TWIN_A}, "
        f"{TWIN_B}); give more of the uid"
    )
    for args in (
        ["show", "event", "3006"],
        ["cite", "3006", "--source", IANS, "--quote", "q"],
        ["update-event", "3006", "--level", "minor", "--reason", "r"],
        ["retract", "3006", "--reason", "r"],
        ["history", "3006"],
    ):
        refused(run(*args), message)
    with pytest.raises(AmbiguousUid) as error:
        reg.get_event("3006cef")
    assert error.value.candidates == [OCCUPATION, TWIN_A, TWIN_B]
    assert reg.get_event("3006cef9").uid == TWIN_A
    assert dump(reg.engine) == before


def test_an_ambiguous_prefix_lists_five_events_at_most(reg: Registry) -> None:
    for n in range(7):
        reg.add_event(
            uid=f"abcd{n:04d}-0000-4000-8000-000000000000", site="palmyra", cause="fire",
            damage_level="minor", occurred="2015", source=IANS, quote=f"fire {n}",
        )  # fmt: skip
    with pytest.raises(AmbiguousUid) as error:
        reg.get_event("abcd")
    shown = ", ".join(f"abcd{n:04d}-0000-4000-8000-000000000000" for n in range(5))
    assert str(error.value) == (
        f"uid prefix 'abcd' is ambiguous: it begins more than 5 events' uids ({shown}, ...); "
        "give more of the uid"
    )


@pytest.mark.parametrize("typed", ["b3d", "b3", "b3da-", "b3daa9cb bbea", "%", "b3da%"])
def test_a_short_or_odd_prefix_names_no_event(reg: Registry, typed: str) -> None:
    with pytest.raises(EventNotFound):
        reg.get_event(typed)


def test_a_prefix_is_looked_up_without_reading_every_uid(reg: Registry) -> None:
    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(" ".join(statement.split()))

    sa.event.listen(reg.engine, "before_cursor_execute", record)
    try:
        assert reg.get_event("b3da").uid == CITADEL
        with pytest.raises(EventNotFound) as error:
            reg.get_event("b3daa9cb-bbea-4cfd-913f-be837969148d")
    finally:
        sa.event.remove(reg.engine, "before_cursor_execute", record)
    # A mistyped uid still gets the event it was meant for, from its neighbours.
    assert str(error.value) == (
        f"no event 'b3daa9cb-bbea-4cfd-913f-be837969148d'; did you mean '{CITADEL}'?"
    )
    reads = [s for s in statements if "FROM damage_event" in s and "damage_event.uid" in s]
    assert reads
    assert all("WHERE" in statement for statement in reads), reads
