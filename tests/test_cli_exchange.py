"""`registry export` and `registry import`, run in-process, on each engine."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from heritage_registry import Registry
from heritage_registry.cli import main
from heritage_registry.exchange import export_jsonl, fact_uid
from heritage_registry.seed import load_seed
from tests.helpers import dump
from tests.test_cli import OCCUPATION, Run, invoker

HEADER = '{"format":"heritage-registry","version":1}\n'
FIRE = (
    json.dumps(
        {
            "type": "event",
            "uid": OCCUPATION,
            "site": "palmyra",
            "cause": "fire",
            "damage_level": "unknown",
            "occurred": "2015",
            "citations": [{"source": "ians-2016-03-27", "quote": "q"}],
        }
    )
    + "\n"
)


@pytest.fixture
def run(migrated_url: str) -> Run:
    return invoker(migrated_url)


@pytest.fixture
def seeded(migrated_url: str) -> Registry:
    with Registry.open(migrated_url) as registry:
        load_seed(registry)
        return registry


def library_export(registry: Registry) -> str:
    out = io.StringIO()
    export_jsonl(registry, out)
    return out.getvalue()


def test_export_writes_json_lines_to_standard_output(seeded: Registry, migrated_url: str) -> None:
    result = invoker(migrated_url)("export")
    assert result.exit_code == 0
    assert result.stdout == library_export(Registry.open(migrated_url))
    assert result.stderr == (
        # The seed's records and, in their history, the creation of each.
        "Exported 3 sites, 5 monuments, 5 sources, 19 events, 59 citations, 32 changes.\n"
    )


def test_export_to_a_file_then_import_elsewhere_reproduces_it(
    seeded: Registry, migrated_url: str, tmp_path: Path, sqlite_template: Path
) -> None:
    out = tmp_path / "registry.jsonl"
    assert invoker(migrated_url)("export", "-o", str(out)).exit_code == 0
    copy = tmp_path / "copy.db"
    copy.write_bytes(sqlite_template.read_bytes())
    run = invoker(f"sqlite:///{copy}")
    result = run("import", str(out))
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (
        f"Imported {out}: added 3 sites, 5 monuments, 5 sources, 19 events, 59 citations, "
        "32 changes; 0 already present.\n"
    )
    assert run("export").stdout == out.read_text("utf-8")
    again = run("import", str(out))
    assert again.stderr.endswith(
        "added 0 sites, 0 monuments, 0 sources, 0 events, 0 citations; 123 already present.\n"
    )


def test_import_reads_standard_input(
    migrated_url: str, seeded: Registry, tmp_path: Path, sqlite_template: Path
) -> None:
    text = invoker(migrated_url)("export").stdout
    copy = tmp_path / "copy.db"
    copy.write_bytes(sqlite_template.read_bytes())
    result = invoker(f"sqlite:///{copy}")("import", "-", input=text)
    assert result.exit_code == 0
    assert result.stderr.startswith("Imported <stdin>: added 3 sites")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"format":"heritage-registry","version":1}\n{"type":"site"}\n',
            "Error: 3 problems in <stdin>; nothing was written:\n"
            "  line 2: slug: required; give a value\n"
            "  line 2: name: required; give a value\n"
            "  line 2: country: required; give a value\n",
        ),
        ("not json\n", "Error: line 1: not valid JSON (Expecting value at column 1)\n"),
        (
            HEADER + FIRE,
            f"Error: line 2: event {OCCUPATION} is in the registry with a different cause "
            "('occupation', not 'fire'); correct the line or give it a new uid\n",
        ),
    ],
)
def test_a_bad_import_exits_1_with_the_line_and_writes_nothing(
    seeded: Registry, migrated_url: str, text: str, message: str
) -> None:
    registry = Registry.open(migrated_url)
    before = dump(registry.engine)
    result = invoker(migrated_url)("import", "-", input=text)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", message)
    assert dump(registry.engine) == before
    registry.close()


def test_import_of_a_missing_file_is_a_usage_error(run: Run, tmp_path: Path) -> None:
    result = run("import", str(tmp_path / "nope.jsonl"))
    assert result.exit_code == 2
    assert "No such file or directory" in result.stderr


def test_csv_export_writes_events_and_sources(
    seeded: Registry, migrated_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "events.csv"
    result = invoker(migrated_url)("export", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0
    sources = tmp_path / "events.sources.csv"
    assert result.stderr == f"Exported 19 events to {out} and 5 sources to {sources}.\n"
    assert len(out.read_text("utf-8").splitlines()) == 20
    assert sources.read_text("utf-8").startswith("key,title,publisher")


def test_csv_export_needs_a_file(run: Run) -> None:
    result = run("export", "--format", "csv")
    assert result.exit_code == 2
    assert "CSV export writes two files; name the first with -o FILE" in result.stderr


def test_csv_import_by_extension(seeded: Registry, migrated_url: str, tmp_path: Path) -> None:
    sheet = tmp_path / "more.csv"
    sheet.write_text(
        "site,cause,damage_level,occurred,source,quote\n"
        "palmyra,fire,minor,2015-06,ians-2016-03-27,set alight\n",
        encoding="utf-8",
    )
    result = invoker(migrated_url)("import", str(sheet))
    assert result.exit_code == 0, result.stderr
    assert "added 0 sites, 0 monuments, 0 sources, 1 event, 1 citation" in result.stderr


def test_geojson_export(seeded: Registry, migrated_url: str, tmp_path: Path) -> None:
    out = tmp_path / "damage.geojson"
    result = invoker(migrated_url)("export", "--format", "geojson", "-o", str(out))
    assert result.exit_code == 0
    assert result.stderr == "Exported 5 located sites and monuments.\n"
    collection = json.loads(out.read_text("utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 5


def test_a_json_lines_event_without_a_uid_gets_the_uid_of_its_facts(
    tmp_path: Path, db_url: str
) -> None:
    """As a CSV row without a uid does: importing the same file twice adds it once."""
    runner = CliRunner()
    assert runner.invoke(main, ["--db", db_url, "seed"]).exit_code == 0
    event = {
        "type": "event", "site": "palmyra", "cause": "fire", "damage_level": "minor",
        "occurred": "2015", "citations": [{"source": "ians-2016-03-27", "quote": "a fire"}],
    }  # fmt: skip
    path = tmp_path / "no-uid.jsonl"
    header = {"format": "heritage-registry", "version": 1}
    path.write_text(json.dumps(header) + "\n" + json.dumps(event) + "\n", encoding="utf-8")
    first = runner.invoke(main, ["--db", db_url, "import", str(path)])
    assert (first.exit_code, first.stderr) == (
        0,
        f"Imported {path}: added 0 sites, 0 monuments, 0 sources, 1 event, 1 citation; "
        "0 already present.\n",
    )
    again = runner.invoke(main, ["--db", db_url, "import", str(path)])
    assert again.exit_code == 0, again.output
    assert "added 0 sites, 0 monuments, 0 sources, 0 events, 0 citations" in again.stderr
    shown = runner.invoke(
        main, ["--db", db_url, "show", "event", fact_uid(event), "--format", "json"]
    )
    assert json.loads(shown.stdout)["citations"][0]["quote"] == "a fire"
