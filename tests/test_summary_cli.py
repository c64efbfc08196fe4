"""`registry summary`: the thin CLI wrapper over heritage_registry.summary."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from heritage_registry import Registry
from heritage_registry.cli import main
from heritage_registry.seed import load_seed
from heritage_registry.summary import FORMATS, build_summary, render


@pytest.fixture(scope="module")
def seeded_url(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("cli-summary") / "registry.db"
    shutil.copyfile(sqlite_template, path)
    with Registry.open(f"sqlite:///{path}") as registry:
        load_seed(registry)
    return f"sqlite:///{path}"


def run(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["--db", url, "summary", *args])
    return result.exit_code, result.stdout, result.stderr


def test_summary_prints_the_library_rendering(seeded_url: str) -> None:
    with Registry.open(seeded_url) as registry:
        expected = {f: render(build_summary(registry, "palmyra"), f) for f in FORMATS}
    for output_format in FORMATS:
        code, out, _ = run(seeded_url, "palmyra", "--format", output_format)
        assert code == 0
        assert out == expected[output_format]
    assert "Temple of Bel" in expected["text"]


def test_summary_offers_exactly_the_library_formats() -> None:
    command = main.get_command(click.Context(main), "summary")
    assert command is not None
    option = next(p for p in command.params if "--format" in p.opts)
    assert isinstance(option.type, click.Choice)
    assert tuple(option.type.choices) == FORMATS


def test_summary_writes_a_file(seeded_url: str, tmp_path: Path) -> None:
    target = tmp_path / "nimrud.json"
    code, out, err = run(seeded_url, "nimrud", "--format", "json", "-o", str(target))
    assert (code, out) == (0, "")
    assert str(target) in err
    assert json.loads(target.read_text("utf-8"))["site"]["slug"] == "nimrud"


def test_summary_all_writes_a_folder(seeded_url: str, tmp_path: Path) -> None:
    code, _, _ = run(seeded_url, "--all", "--format", "html", "-o", str(tmp_path / "out"))
    assert code == 0
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "index.html",
        "mosul-museum.html",
        "nimrud.html",
        "palmyra.html",
    ]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        ((), 2, "give a SITE, or --all"),
        (("palmyra", "--all", "-o", "x"), 2, "give a SITE, or --all"),
        (("--all",), 2, "give the folder with -o"),
        (("palmira",), 1, "did you mean 'palmyra'"),
    ],
)
def test_summary_refuses_what_it_cannot_do(
    seeded_url: str, args: tuple[str, ...], code: int, message: str
) -> None:
    exit_code, out, err = run(seeded_url, *args)
    assert exit_code == code
    assert out == ""
    assert message in err
