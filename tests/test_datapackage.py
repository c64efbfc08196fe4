"""The data package: CSV tables and a Frictionless datapackage.json, written and read back."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heritage_registry import Registry
from heritage_registry.exchange import (
    datapackage,
    export_jsonl,
    iter_change_records,
    iter_event_records,
    iter_monument_records,
    iter_site_records,
    iter_source_records,
)
from heritage_registry.seed import load_seed
from tests import strategies as s
from tests.helpers import dump
from tests.test_cli import OCCUPATION, invoker
from tests.test_exchange import fill, merge_some

SEED_COUNTS = "3 sites, 5 monuments, 5 sources, 19 events, 59 citations, 32 changes"
CREATED = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.UTC)
TABLE_FILES = [
    "citations.csv",
    "datapackage.json",
    "events.csv",
    "history.csv",
    "monuments.csv",
    "sites.csv",
    "source_texts.csv",
    "sources.csv",
]


def jsonl(registry: Registry) -> str:
    out = io.StringIO()
    export_jsonl(registry, out)
    return out.getvalue()


@pytest.fixture
def seeded(migrated_url: str) -> Registry:
    with Registry.open(migrated_url) as registry:
        load_seed(registry)
        return registry


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """The seed's data package, from a registry on SQLite."""
    with Registry.open(f"sqlite:///{tmp_path / 'seeded.db'}") as registry:
        load_seed(registry)
        datapackage.export_datapackage(registry, tmp_path / "package", created=CREATED)
    return tmp_path / "package"


def copy_of(template: Path, tmp_path: Path) -> str:
    copy = tmp_path / "copy.db"
    copy.write_bytes(template.read_bytes())
    return f"sqlite:///{copy}"


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def rewrite(path: Path, change: Callable[[list[dict[str, str]]], None]) -> None:
    table = rows(path)
    columns = list(table[0])
    change(table)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)


# The command -------------------------------------------------------------------------


def test_export_then_import_reproduces_the_registry(
    seeded: Registry, migrated_url: str, tmp_path: Path, sqlite_template: Path
) -> None:
    out = tmp_path / "package"
    result = invoker(migrated_url)("export", "--format", "datapackage", "-o", str(out))
    assert (result.exit_code, result.stdout) == (0, "")
    assert (
        result.stderr == f"Exported {SEED_COUNTS} to {out} as a data package (datapackage.json).\n"
    )
    assert sorted(path.name for path in out.iterdir()) == TABLE_FILES
    run = invoker(copy_of(sqlite_template, tmp_path))
    checked = run("import", "--dry-run", str(out))
    assert checked.stderr == (
        f"Checked {out}: would add {SEED_COUNTS}; 0 already present; nothing was written "
        "(--dry-run).\n"
    )
    result = run("import", str(out))
    assert (result.exit_code, result.stderr) == (
        0,
        f"Imported {out}: added {SEED_COUNTS}; 0 already present.\n",
    )
    assert run("export").stdout == invoker(migrated_url)("export").stdout
    again = run("import", str(out / "datapackage.json"))
    assert again.stderr == (
        f"Imported {out / 'datapackage.json'}: added 0 sites, 0 monuments, 0 sources, 0 events, "
        "0 citations; 123 already present.\n"
    )


def test_the_tables_are_utf8_with_newlines_and_json_lists(package: Path) -> None:
    data = (package / "sites.csv").read_bytes()
    assert b"\r" not in data
    assert data.startswith(
        b"slug,name,country,kind,latitude,longitude,location_precision_m,unesco_whc_id,"
        b"wikidata_qid,description,alt_names,created_at,updated_at\n"
    )
    palmyra = next(row for row in rows(package / "sites.csv") if row["slug"] == "palmyra")
    assert json.loads(palmyra["alt_names"])[0] == {"name": "تدمر", "lang": "ar"}
    assert palmyra["unesco_whc_id"] == "23"
    citations = rows(package / "citations.csv")
    assert [row["number"] for row in citations[:2]] == ["1", "2"]
    assert citations[0]["event"] == citations[1]["event"]


def test_the_package_is_described(package: Path) -> None:
    described = json.loads((package / "datapackage.json").read_text("utf-8"))
    assert described["profile"] == "tabular-data-package"
    assert described["title"] == "heritage-registry export"
    assert described["created"] == "2026-05-01T12:00:00Z"
    assert described["citation"] == (
        "heritage-registry export (2026). Data package exported from heritage-registry "
        "0.1.0 on 2026-05-01."
    )
    assert described["description"].endswith(f"\n\nSuggested citation: {described['citation']}")
    assert described["heritage_registry"]["version"] == 1
    resources = {resource["name"]: resource for resource in described["resources"]}
    assert [resource["path"] for resource in described["resources"]] == [
        "sites.csv",
        "monuments.csv",
        "sources.csv",
        "source_texts.csv",
        "events.csv",
        "citations.csv",
        "history.csv",
    ]
    events = resources["events"]["schema"]
    cause = next(spec for spec in events["fields"] if spec["name"] == "cause")
    assert cause["constraints"]["enum"][:3] == ["explosives", "demolition", "smashing"]
    assert events["primaryKey"] == ["uid"]
    assert {"fields": ["merged_into"], "reference": {"resource": "", "fields": ["uid"]}} in (
        events["foreignKeys"]
    )
    assert resources["citations"]["schema"]["primaryKey"] == ["event", "number"]


def test_metadata_from_a_toml_file_and_options(
    seeded: Registry, migrated_url: str, tmp_path: Path
) -> None:
    toml = tmp_path / "package.toml"
    toml.write_text(
        'title = "Palmyra damage"\nversion = "1.2"\nlicence = "CC0-1.0"\n'
        'description = "What the articles say."\n'
        'contributors = ["Ana Lopez <ana@example.org>", {title = "Omar", role = "author"}]\n'
        'keywords = ["heritage"]\n',
        "utf-8",
    )
    out = tmp_path / "package"
    result = invoker(migrated_url)(
        "export", "--format", "datapackage", "-o", str(out), "--metadata", str(toml),
        "--licence", "CC-BY-4.0", "--citation", "Lopez, A. (2026) Palmyra damage.",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    described = json.loads((out / "datapackage.json").read_text("utf-8"))
    assert (described["name"], described["title"], described["version"]) == (
        "palmyra-damage",
        "Palmyra damage",
        "1.2",
    )
    assert described["licenses"] == [
        {
            "name": "CC-BY-4.0",
            "path": "https://creativecommons.org/licenses/by/4.0/",
            "title": "Creative Commons Attribution 4.0",
        }
    ]
    assert described["contributors"] == [
        {"title": "Ana Lopez", "email": "ana@example.org"},
        {"title": "Omar", "role": "author"},
    ]
    assert described["citation"] == "Lopez, A. (2026) Palmyra damage."
    assert described["description"] == (
        "What the articles say.\n\nSuggested citation: Lopez, A. (2026) Palmyra damage."
    )
    assert described["keywords"] == ["heritage"]


def test_the_made_citation_names_contributors_title_and_version() -> None:
    metadata = datapackage.PackageMetadata(
        title="Palmyra damage",
        version="2",
        contributors=(datapackage.contributor("Ana Lopez"), datapackage.contributor("Omar")),
    )
    assert metadata.suggested_citation(CREATED) == (
        "Ana Lopez; Omar. Palmyra damage, version 2 (2026). Data package exported from "
        "heritage-registry 0.1.0 on 2026-05-01."
    )


def test_an_earlier_package_is_replaced_and_other_files_kept(
    seeded: Registry, migrated_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "package"
    run = invoker(migrated_url)
    assert run("export", "--format", "datapackage", "-o", str(out)).exit_code == 0
    (out / "README.md").write_text("notes\n", "utf-8")
    (out / "events.csv").write_text("stale\n", "utf-8")
    again = run("export", "--format", "datapackage", "-o", str(out), "--title", "Again")
    assert again.exit_code == 0, again.stderr
    assert (out / "README.md").read_text("utf-8") == "notes\n"
    assert (out / "events.csv").read_text("utf-8").startswith("uid,site,")
    assert json.loads((out / "datapackage.json").read_text("utf-8"))["title"] == "Again"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["export", "--format", "datapackage"],
            "Error: a data package is a folder of files; name it with -o DIR\n",
        ),
        (
            ["export", "--title", "x"],
            "Error: --title, --licence, --contributor, --citation and --metadata describe a "
            "data package: give them with --format datapackage\n",
        ),
    ],
)
def test_a_usage_error_writes_nothing(
    migrated_url: str, args: list[str], message: str, tmp_path: Path
) -> None:
    result = invoker(migrated_url)(*args)
    assert result.exit_code == 2
    assert result.stderr.endswith(message)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            'title = "x"\nlicense = "CC0-1.0"\n',
            "unknown key 'license'; did you mean 'licence'? the keys are: title, description, "
            "version, licence, contributors, citation, keywords",
        ),
        ('title = "x\n', "is not valid TOML: "),
        ("contributors = [3]\n", "contributors: give a list of names or of tables"),
        ('licence = {name = "x", url = "y"}\n', "licence: unknown key 'url'"),
    ],
)
def test_bad_metadata_is_refused_and_nothing_written(
    seeded: Registry, migrated_url: str, tmp_path: Path, toml: str, message: str
) -> None:
    path = tmp_path / "package.toml"
    path.write_text(toml, "utf-8")
    out = tmp_path / "package"
    result = invoker(migrated_url)(
        "export", "--format", "datapackage", "-o", str(out), "--metadata", str(path)
    )
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr.startswith(f"Error: {path}: {message}") or result.stderr.startswith(
        f"Error: {path} {message}"
    )
    assert "\n" not in result.stderr.rstrip("\n")
    assert not out.exists()


def test_a_folder_with_other_files_is_refused(
    seeded: Registry, migrated_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "photos"
    out.mkdir()
    (out / "temple.jpg").write_bytes(b"\xff\xd8")
    result = invoker(migrated_url)("export", "--format", "datapackage", "-o", str(out))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: cannot write {out}: the folder has files in it and is not a data package from "
        "'registry export'; nothing was written; give a new or empty folder, or the folder of "
        "an earlier export to replace it\n",
    )
    assert sorted(path.name for path in out.iterdir()) == ["temple.jpg"]


# Problems on import ----------------------------------------------------------------


def test_problems_name_the_table_and_row_and_nothing_is_written(
    package: Path, registry: Registry, migrated_url: str
) -> None:
    def break_events(table: list[dict[str, str]]) -> None:
        table[2]["cause"] = "bombing"

    def break_citations(table: list[dict[str, str]]) -> None:
        table[4]["quote"] = ""
        table[6]["mentions"] = "[not json"

    rewrite(package / "events.csv", break_events)
    rewrite(package / "citations.csv", break_citations)
    before = dump(registry.engine)
    result = invoker(migrated_url)("import", str(package))
    assert (result.exit_code, result.stdout) == (1, "")
    assert result.stderr == (
        f"Error: 3 problems in {package}; nothing was written:\n"
        "  events.csv row 4: unknown cause 'bombing'; choose one of: explosives, demolition, "
        "smashing, looting, fire, shelling, gunfire, combat, occupation, mining, other, unknown\n"
        "  citations.csv row 6: quote: empty; give a value\n"
        "  citations.csv row 8: mentions: not JSON (Expecting value: line 1 column 2 (char 1))\n"
    )
    assert dump(registry.engine) == before


def test_one_problem_is_said_on_one_line(package: Path, migrated_url: str) -> None:
    def unknown_column(table: list[dict[str, str]]) -> None:
        for row in table:
            row["colour"] = "red"

    rewrite(package / "sources.csv", lambda table: None)
    path = package / "monuments.csv"
    table = rows(path)
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, [*table[0], "colour"], lineterminator="\n")
        writer.writeheader()
        unknown_column(table)
        writer.writerows(table)
    result = invoker(migrated_url)("import", str(package))
    assert (result.exit_code, result.stderr) == (
        1,
        "Error: monuments.csv row 1: unknown column 'colour'; the columns of monuments.csv "
        "are: site, slug, name, kind, built, latitude, longitude, description, alt_names, "
        "created_at, updated_at\n",
    )


def test_a_citation_of_an_event_in_the_registry_is_added(
    seeded: Registry, migrated_url: str, tmp_path: Path
) -> None:
    package = tmp_path / "cite"
    package.mkdir()
    described = datapackage.descriptor(
        datapackage.PackageMetadata(), created=CREATED, schema_revision=None, counts={}
    )
    described["resources"] = [datapackage.CITATIONS.resource()]
    (package / "datapackage.json").write_text(json.dumps(described), "utf-8")
    (package / "citations.csv").write_text(
        f"event,number,source,quote\n{OCCUPATION},1,ians-2016-03-27,a new quote\n", "utf-8"
    )
    result = invoker(migrated_url)("import", str(package))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"Imported {package}: added 0 sites, 0 monuments, 0 sources, 0 events, 1 citation; "
        "0 already present.\n"
    )
    quotes = [citation.quote for citation in seeded.get_event(OCCUPATION).citations]
    assert quotes[-1] == "a new quote"


@pytest.mark.parametrize(
    ("descriptor", "message"),
    [
        (None, "no datapackage.json in {folder}; give the folder of a data package from "
         "'registry export --format datapackage'"),
        ("{", "{folder}/datapackage.json is not JSON: "),
        ('{"resources": [{"name": "photos", "path": "x.csv"}]}',
         "{folder}/datapackage.json: unknown resource 'photos'; the registry's tables are "
         "sites, monuments, sources, source_texts, events, citations, history"),
        ('{"resources": [{"name": "sites", "path": "../sites.csv"}]}',
         "{folder}/datapackage.json: resource 'sites' needs a path to a file in the "
         "package's folder"),
    ],
)  # fmt: skip
def test_a_folder_that_is_no_package_is_refused(
    migrated_url: str, tmp_path: Path, descriptor: str | None, message: str
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    if descriptor is not None:
        (folder / "datapackage.json").write_text(descriptor, "utf-8")
    result = invoker(migrated_url)("import", str(folder))
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: " + message.format(folder=folder))


# Frictionless and pandas ----------------------------------------------------------


def _frictionless() -> Any:
    return pytest.importorskip(
        "frictionless", reason="frictionless is not installed (pip install -e '.[dev]')"
    )


def test_frictionless_validates_the_package_and_pandas_reads_it(package: Path) -> None:
    frictionless = _frictionless()
    pandas = pytest.importorskip("pandas")
    report = frictionless.validate(str(package / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "note"])
    counts = json.loads((package / "datapackage.json").read_text("utf-8"))["heritage_registry"]
    expected = {
        "sites": counts["counts"]["sites"],
        "monuments": counts["counts"]["monuments"],
        "sources": counts["counts"]["sources"],
        "source_texts": counts["counts"]["texts"],
        "events": counts["counts"]["events"],
        "citations": counts["counts"]["citations"],
        "history": counts["counts"]["changes"],
    }
    for table in datapackage.TABLES:
        frame = pandas.read_csv(package / table.path)
        assert list(frame.columns) == table.columns
        assert len(frame) == expected[table.name]
    resource = frictionless.Package(str(package / "datapackage.json")).get_resource("events")
    assert {row["uid"] for row in resource.read_rows()} >= {OCCUPATION}


@pytest.mark.parametrize(
    ("table", "column", "value", "error"),
    [
        ("events.csv", "cause", "bombing", "constraint-error"),
        ("citations.csv", "source", "no-such-source", "foreign-key"),
        ("sites.csv", "created_at", "yesterday", "type-error"),
    ],
)
def test_frictionless_refuses_a_broken_package(
    package: Path, table: str, column: str, value: str, error: str
) -> None:
    frictionless = _frictionless()

    def spoil(found: list[dict[str, str]]) -> None:
        found[0][column] = value

    rewrite(package / table, spoil)
    report = frictionless.validate(str(package / "datapackage.json"))
    assert not report.valid
    assert [task.name for task in report.tasks if not task.valid] == [table.removesuffix(".csv")]
    found = report.flatten(["rowNumber", "fieldName", "type"])
    assert [2, column, error] in found or [2, None, error] in found


# Round trips -----------------------------------------------------------------------


def test_the_columns_are_the_exchange_records_fields(seeded: Registry) -> None:
    """Each table carries every field of its JSON Lines record: none is dropped."""
    for table, records in [
        (datapackage.SITES, iter_site_records(seeded)),
        (datapackage.MONUMENTS, iter_monument_records(seeded)),
        (datapackage.SOURCES, iter_source_records(seeded)),
        (datapackage.EVENTS, iter_event_records(seeded)),
        (datapackage.HISTORY, iter_change_records(seeded)),
    ]:
        record = next(iter(records))
        assert set(table.columns) - {"number"} == set(record) - {"type", "citations"}
    citation = next(iter(iter_event_records(seeded)))["citations"][0]
    assert set(datapackage.CITATIONS.columns) - {"event", "number"} >= set(citation)


def through_package(registry: Registry, folder: Path, target: Registry) -> None:
    # With the texts: without them, a source keeps only its text's hash.
    datapackage.export_datapackage(registry, folder, created=CREATED, with_texts=True)
    datapackage.import_datapackage(target, folder)


@given(contents=s.registry_contents(), data=st.data())
def test_any_registry_round_trips_through_a_package_on_sqlite(
    fresh_registry: Callable[[str], Registry],
    tmp_path_factory: pytest.TempPathFactory,
    contents: dict[str, list[dict[str, Any]]],
    data: st.DataObject,
) -> None:
    original = fresh_registry("sqlite")
    fill(original, contents)
    merge_some(original, data)
    copy = fresh_registry("sqlite")
    through_package(original, tmp_path_factory.mktemp("package"), copy)
    assert jsonl(copy) == jsonl(original)


@pytest.mark.postgres
@given(contents=s.registry_contents(), data=st.data())
def test_any_registry_round_trips_through_a_package_across_engines(
    fresh_registry: Callable[[str], Registry],
    tmp_path_factory: pytest.TempPathFactory,
    contents: dict[str, list[dict[str, Any]]],
    data: st.DataObject,
) -> None:
    original = fresh_registry("sqlite")
    fill(original, contents)
    merge_some(original, data)
    text = jsonl(original)
    on_postgres = fresh_registry("postgresql")
    through_package(original, tmp_path_factory.mktemp("package"), on_postgres)
    assert jsonl(on_postgres) == text
    back = fresh_registry("sqlite")
    through_package(on_postgres, tmp_path_factory.mktemp("package"), back)
    assert jsonl(back) == text


def test_text_that_csv_must_quote_and_located_quotes_round_trip(
    registry: Registry, fresh_registry: Callable[[str], Registry], tmp_path: Path
) -> None:
    text = 'The temple was blown up, "=SUM(A1)" said one.\nA second line, in Arabic: تدمر'
    registry.add_site(
        slug="palmyra",
        name="Palmyra",
        country="SY",
        description='=cmd|" /c calc"!A1\nsecond line, with "quotes", commas; and \t a tab',
        alt_names=[{"name": "تدمر", "lang": "ar"}],
        latitude=34.5514,
        longitude=1e-05,
    )
    registry.add_source(key="report", title='A report, "quoted"', published="2015-08")
    registry.attach_text("report", text, retrieved="2015-09-01")
    registry.add_event(
        site="palmyra",
        cause="explosives",
        damage_level="destroyed",
        occurred="2015-08",
        citations=[{"source": "report", "quote": "The temple was blown up"}],
    )
    original = jsonl(registry)
    assert '"text_start":0' in original
    copy = fresh_registry("sqlite")
    through_package(registry, tmp_path / "package", copy)
    assert jsonl(copy) == original
