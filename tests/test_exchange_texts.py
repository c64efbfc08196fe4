"""Sources' texts through export and import: JSON Lines and data packages lose none.

A source's text (or an original's hash), with when and where it was retrieved, is a
`text` record in JSON Lines and a row of `source_texts.csv` in a data package, whose
texts themselves are left out unless asked for. Each test runs the import on each engine.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from heritage_registry import InvalidRecord, Registry, texts
from heritage_registry.exchange import (
    MAX_LINE_BYTES,
    ImportFailed,
    datapackage,
    export_jsonl,
    import_csv,
    import_jsonl,
)
from tests.helpers import dump
from tests.test_cli import IANS, NEWARAB, invoker, ok, populate, refused
from tests.test_texts import ARTICLE, DIGEST, STORED

ORIGINAL = "ab" * 32
URL = "https://www.newarab.com/news/palmyra"
ARCHIVED = "https://web.archive.org/web/2016/palmyra"


def exported(registry: Registry) -> str:
    out = io.StringIO()
    export_jsonl(registry, out)
    return out.getvalue()


def imported(registry: Registry, text: str) -> Any:
    return import_jsonl(registry, io.BytesIO(text.encode()))


@pytest.fixture
def original(fresh_registry: Callable[[str], Registry]) -> Registry:
    """The CLI tests' registry on SQLite, The New Arab's article kept and IANS's hash."""
    registry = fresh_registry("sqlite")
    populate(registry)
    registry.attach_text(
        NEWARAB, ARTICLE, retrieved="2016-03-28", url=URL, archived_url=ARCHIVED, by="ana"
    )
    registry.attach_text(IANS, sha256=ORIGINAL, retrieved="2016-03-29", by="ana")
    return registry


def text_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()[1:] if '"type":"text"' in line]


def test_texts_survive_export_and_import(original: Registry, registry: Registry) -> None:
    # Before the text records, the import into another database lost every text: `show`
    # had no text_ lines and `verify` found no text to check a quote against.
    text = exported(original)
    header = json.loads(text.splitlines()[0])
    assert header["counts"]["texts"] == 2
    assert [line["source"] for line in text_lines(text)] == [IANS, NEWARAB]
    assert text_lines(text)[1] == {
        "type": "text",
        "source": NEWARAB,
        "sha256": DIGEST,
        "text": STORED,
        "retrieved": "2016-03-28",
        "url": URL,
        "archived_url": ARCHIVED,
        "attached_at": text_lines(text)[1]["attached_at"],
    }
    kinds = [json.loads(line)["type"] for line in text.splitlines()[1:]]
    # After the sources, before the events that quote them.
    assert kinds.index("text") > max(i for i, kind in enumerate(kinds) if kind == "source")
    assert max(i for i, kind in enumerate(kinds) if kind == "text") < kinds.index("event")
    report = imported(registry, text)
    assert report.added == header["counts"]
    assert report.describe().startswith("added 2 sites, 2 monuments, 2 sources, 2 texts, ")
    assert exported(registry) == text
    for key in (NEWARAB, IANS):
        assert registry.source_text(key) == original.source_text(key)
    assert registry.text_of(NEWARAB) == STORED
    assert registry.text_of(IANS) is None
    assert registry.verify() == original.verify()
    assert registry.verify().count("verified") == 3
    url = str(registry.engine.url.render_as_string(hide_password=False))
    shown = invoker(url)("show", "source", NEWARAB).stdout
    assert f"text_sha256         {DIGEST}\n" in shown
    assert "text_characters     " in shown
    assert f"text_archived_url   {ARCHIVED}\n" in shown


def test_importing_texts_again_adds_nothing(original: Registry, registry: Registry) -> None:
    text = exported(original)
    imported(registry, text)
    before = dump(registry.engine)
    again = imported(registry, text)
    assert sum(again.added.values()) == 0
    assert again.existing["texts"] == 2
    assert dump(registry.engine) == before


def test_a_hash_that_is_not_the_text_s_is_refused(registry: Registry) -> None:
    populate(registry)
    before = dump(registry.engine)
    line = {"type": "text", "source": NEWARAB, "sha256": ORIGINAL, "text": ARTICLE}
    line["retrieved"] = "2016-03-28"
    with pytest.raises(ImportFailed) as refusal:
        imported(registry, '{"format":"heritage-registry","version":1}\n' + json.dumps(line))
    assert str(refusal.value) == (
        f"line 2: sha256: {ORIGINAL} is not the SHA-256 of the text given ({DIGEST}); give "
        "the text's, or leave sha256 out"
    )
    assert dump(registry.engine) == before


def test_a_text_for_an_unknown_source_is_refused(registry: Registry) -> None:
    populate(registry)
    before = dump(registry.engine)
    line = {"type": "text", "source": "newarab-2016-03-72", "sha256": ORIGINAL}
    line["retrieved"] = "2016-03-28"
    with pytest.raises(ImportFailed) as refusal:
        imported(registry, '{"format":"heritage-registry","version":1}\n' + json.dumps(line))
    assert str(refusal.value) == (
        "line 2: no source 'newarab-2016-03-72' in the registry or earlier in the file; did "
        f"you mean {NEWARAB!r}? else add it first"
    )
    assert dump(registry.engine) == before


def test_another_text_than_the_registry_s_is_refused(registry: Registry) -> None:
    populate(registry)
    registry.attach_text(NEWARAB, ARTICLE, retrieved="2016-03-28")
    before = dump(registry.engine)
    line = {"type": "text", "source": NEWARAB, "text": ARTICLE + "More.", "retrieved": "2016-04-01"}
    other = json.dumps(line)
    with pytest.raises(ImportFailed) as refusal:
        imported(registry, '{"format":"heritage-registry","version":1}\n' + other)
    assert str(refusal.value).startswith(
        f"line 2: source {NEWARAB!r} keeps another text in the registry (sha256 {DIGEST}, not "
    )
    assert str(refusal.value).endswith(
        f"an import does not replace it: replace it with 'registry attach-text {NEWARAB} "
        "FILE', or leave this line out"
    )
    # Two texts for one source in one file.
    twice = {"type": "text", "source": IANS, "sha256": ORIGINAL, "retrieved": "2016-03-28"}
    with pytest.raises(ImportFailed) as refusal:
        imported(
            registry,
            '{"format":"heritage-registry","version":1}\n'
            + json.dumps(twice)
            + "\n"
            + json.dumps(twice | {"sha256": "cd" * 32}),
        )
    assert str(refusal.value) == (
        f"line 3: the text of source {IANS!r} was given on line 2 with different content"
    )
    assert dump(registry.engine) == before
    # The same text again is already present, whatever the line says of where it was found.
    same = {"type": "text", "source": NEWARAB, "text": ARTICLE, "retrieved": "2020-01-01"}
    report = imported(registry, '{"format":"heritage-registry","version":1}\n' + json.dumps(same))
    assert (report.added["texts"], report.existing["texts"]) == (0, 1)
    assert dump(registry.engine) == before


def test_a_text_imported_for_a_source_already_there_is_attached(registry: Registry) -> None:
    populate(registry)
    line = {"type": "text", "source": NEWARAB, "text": ARTICLE, "retrieved": "2016-03-28"}
    report = imported(registry, '{"format":"heritage-registry","version":1}\n' + json.dumps(line))
    assert report.describe() == (
        "added 0 sites, 0 monuments, 0 sources, 1 text, 0 events, 0 citations; 0 already present"
    )
    kept = registry.source_text(NEWARAB)
    assert kept is not None
    assert (kept.sha256, kept.characters) == (DIGEST, len(STORED))
    # Its citations are found in it, as attach-text finds them.
    assert registry.verify().count("verified") == 3
    entry = registry.history("source", NEWARAB)[-1]
    assert (entry.action.value, entry.how.value, entry.reason) == (
        "update",
        "import",
        "text attached",
    )
    assert entry.old is not None
    assert entry.old["text"] is None
    assert entry.new is not None
    assert entry.new["text"]["sha256"] == DIGEST


def test_a_hash_only_text_round_trips(original: Registry, registry: Registry) -> None:
    text = exported(original)
    [hashed] = [line for line in text_lines(text) if line["source"] == IANS]
    assert (hashed["sha256"], hashed["text"], hashed["retrieved"]) == (
        ORIGINAL,
        None,
        "2016-03-29",
    )
    imported(registry, text)
    kept = registry.source_text(IANS)
    assert kept is not None
    assert (kept.sha256, kept.characters) == (ORIGINAL, None)


# Data packages --------------------------------------------------------------------


def test_a_package_gives_the_texts_provenance_not_the_texts(
    original: Registry, registry: Registry, tmp_path: Path
) -> None:
    folder = tmp_path / "package"
    counts = datapackage.export_datapackage(original, folder)
    assert counts["texts"] == 2
    rows = (folder / "source_texts.csv").read_text("utf-8").splitlines()
    assert rows[0] == "source,sha256,characters,retrieved,url,archived_url,attached_at"
    assert rows[1].startswith(f"{IANS},{ORIGINAL},,2016-03-29,,,")
    assert rows[2].startswith(f"{NEWARAB},{DIGEST},{len(STORED)},2016-03-28,{URL},{ARCHIVED},")
    # No file of the package republishes the article.
    for path in folder.iterdir():
        assert "ten months" not in path.read_text("utf-8"), path.name
    datapackage.import_datapackage(registry, folder)
    kept = registry.source_text(NEWARAB)
    assert kept is not None
    assert (kept.sha256, kept.characters, kept.url) == (DIGEST, None, URL)
    assert registry.text_of(NEWARAB) is None
    assert registry.verify().count("verified") == 0


def test_a_package_with_texts_round_trips_whole(
    original: Registry, registry: Registry, tmp_path: Path
) -> None:
    folder = tmp_path / "package"
    datapackage.export_datapackage(original, folder, with_texts=True)
    header = (folder / "source_texts.csv").read_text("utf-8").splitlines()[0]
    assert header == "source,sha256,characters,retrieved,url,archived_url,attached_at,text"
    datapackage.import_datapackage(registry, folder)
    assert exported(registry) == exported(original)


@pytest.mark.parametrize("with_texts", [False, True])
def test_frictionless_validates_a_package_with_texts(
    original: Registry, tmp_path: Path, with_texts: bool
) -> None:
    frictionless = pytest.importorskip("frictionless")
    folder = tmp_path / "package"
    datapackage.export_datapackage(original, folder, with_texts=with_texts)
    report = frictionless.validate(str(folder / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    resource = frictionless.Package(str(folder / "datapackage.json")).get_resource("source_texts")
    names = [field.name for field in resource.schema.fields]
    assert ("text" in names) is with_texts


# The command ----------------------------------------------------------------------


def test_export_and_import_commands_with_texts(
    original: Registry, migrated_url: str, tmp_path: Path
) -> None:
    source = invoker(str(original.engine.url))
    target = invoker(migrated_url)
    path = tmp_path / "registry.jsonl"
    ok(
        source("export", "-o", str(path)),
        stderr="Exported 2 sites, 2 monuments, 2 sources, 2 texts, 3 events, 4 citations, "
        "12 changes.\n",
    )
    ok(
        target("import", str(path)),
        stderr=f"Imported {path}: added 2 sites, 2 monuments, 2 sources, 2 texts, 3 events, "
        "4 citations, 12 changes; 0 already present.\n",
    )
    folder = tmp_path / "package"
    ok(
        source("export", "--format", "datapackage", "-o", str(folder)),
        stderr="Exported 2 sites, 2 monuments, 2 sources, 2 texts, 3 events, 4 citations, "
        f"12 changes to {folder} as a data package (datapackage.json). The texts themselves "
        "are left out, their hashes kept: --with-texts adds them.\n",
    )
    ok(
        source("export", "--format", "datapackage", "--with-texts", "-o", str(folder)),
        stderr="Exported 2 sites, 2 monuments, 2 sources, 2 texts, 3 events, 4 citations, "
        f"12 changes to {folder} as a data package (datapackage.json).\n",
    )
    assert "ten months" in (folder / "source_texts.csv").read_text("utf-8")
    refused(
        source("export", "--with-texts", "-o", str(tmp_path / "other.jsonl")),
        "--with-texts adds the texts to a data package: give it with --format datapackage "
        "(JSON Lines always carries them)",
        exit_code=2,
    )
    assert not (tmp_path / "other.jsonl").exists()


def test_an_export_without_texts_says_nothing_of_them(registry: Registry, tmp_path: Path) -> None:
    populate(registry)
    run = invoker(str(registry.engine.url.render_as_string(hide_password=False)))
    ok(
        run("export", "-o", str(tmp_path / "r.jsonl")),
        stderr="Exported 2 sites, 2 monuments, 2 sources, 3 events, 4 citations, 10 changes.\n",
    )
    ok(
        run("export", "--format", "datapackage", "-o", str(tmp_path / "p")),
        stderr="Exported 2 sites, 2 monuments, 2 sources, 3 events, 4 citations, 10 changes "
        f"to {tmp_path / 'p'} as a data package (datapackage.json).\n",
    )


@pytest.fixture
def csv_default_limit() -> Iterator[None]:
    """The csv module's cell limit as a program that never imported frictionless has it
    (importing frictionless lifts it for the whole process)."""
    before = csv.field_size_limit(131_072)
    yield
    csv.field_size_limit(before)


def long_text() -> str:
    """A text as long as a kept text may be, its quote at the end."""
    tail = "\nThe army retook the citadel."
    filler = "The citadel stands above the oasis. " * 40_000
    return filler[: texts.TEXT_MAX_BYTES - 2_000 - len(tail)] + tail


@pytest.mark.usefixtures("csv_default_limit")
def test_the_longest_text_round_trips_in_a_package(
    original: Registry, registry: Registry, tmp_path: Path
) -> None:
    # Before, a text over the csv module's 131,072 characters was written to a package
    # that its own import refused ("field larger than field limit").
    original.attach_text(NEWARAB, long_text(), retrieved="2016-03-28")
    folder = tmp_path / "package"
    datapackage.export_datapackage(original, folder, with_texts=True)
    datapackage.import_datapackage(registry, folder)
    assert registry.text_of(NEWARAB) == long_text()
    assert exported(registry) == exported(original)


def test_a_text_too_long_for_an_export_line_is_refused(original: Registry) -> None:
    # Before, a text over a line's 1,000,000 bytes was kept, then exported on a line that
    # the import refused: lost on the way to another database.
    longest = "x" * (texts.TEXT_MAX_BYTES - 2)
    original.attach_text(NEWARAB, longest, retrieved="2016-03-28")
    with pytest.raises(InvalidRecord, match=r"^text: too long to keep: at most 900,000 bytes"):
        original.attach_text(NEWARAB, longest + "\n", retrieved="2016-03-28")
    assert original.text_of(NEWARAB) == longest
    assert max(len(line.encode()) for line in exported(original).splitlines()) < (MAX_LINE_BYTES)


def test_the_csv_import_s_cell_limit_is_its_own(registry: Registry) -> None:
    """What a CSV import accepts does not depend on the libraries loaded before it."""
    before = csv.field_size_limit(sys.maxsize)
    try:
        data = (
            "site,cause,damage_level,occurred,source,quote\n"
            f'palmyra,explosives,destroyed,2015-08,s1,"{"x" * 200_000}"\n'
        )
        with pytest.raises(ImportFailed) as caught:
            import_csv(registry, io.BytesIO(data.encode()))
        assert str(caught.value) == (
            "line 2: not valid CSV (field larger than field limit (131072))"
        )
        assert csv.field_size_limit() == sys.maxsize
    finally:
        csv.field_size_limit(before)
