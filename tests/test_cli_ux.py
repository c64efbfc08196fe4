"""The command line as its users expect it: pages, JSON Lines, -o, --quiet, progress bars
and shell completion; exact output, on each engine.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from heritage_registry import Registry
from heritage_registry.cli import common, main
from heritage_registry.cli.common import COMPLETIONS
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


@pytest.fixture
def reg(migrated_url: str) -> Any:
    with Registry.open(migrated_url) as registry:
        populate(registry)
        yield registry


@pytest.fixture
def run(migrated_url: str, reg: Registry) -> Run:
    """The command on the test's own populated database."""
    return invoker(migrated_url)


def jsonl(records: list[Any]) -> str:
    return "".join(
        json.dumps(record.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")) + "\n"
        for record in records
    )


# --limit, --offset, --format jsonl, -o ------------------------------------------------


def test_list_takes_a_limit_and_an_offset(run: Run) -> None:
    ok(
        run("list", "sites", "--limit", "1"),
        "slug          name          country  kind    unesco_whc_id  wikidata_qid  alt_names\n"
        "mosul-museum  Mosul Museum  IQ       museum                               "
        "متحف الموصل@ar\n",
    )
    listed = json.loads(
        run("list", "events", "--limit", "2", "--offset", "1", "--format", "json").stdout
    )
    assert [event["uid"] for event in listed] == [OCCUPATION, CITADEL]
    keys = json.loads(run("list", "sources", "--offset", "1", "--format", "json").stdout)
    assert [source["key"] for source in keys] == [NEWARAB]
    monuments = json.loads(
        run("list", "monuments", "--limit", "1", "--offset", "1", "--format", "json").stdout
    )
    assert [monument["slug"] for monument in monuments] == ["temple-of-bel"]
    ok(run("list", "events", "--limit", "0", "--format", "json"), "[]\n")


def test_list_refuses_a_negative_limit(run: Run) -> None:
    refused(
        run("list", "events", "--limit", "-1"),
        "Invalid value for '--limit': -1 is not in the range x>=0.",
        exit_code=2,
    )


def test_list_writes_json_lines_one_record_a_line(run: Run, reg: Registry) -> None:
    ok(run("list", "events", "--format", "jsonl"), jsonl(reg.list_events()))
    ok(
        run("list", "events", "--format", "jsonl", "--offset", "1", "--limit", "1"),
        jsonl(reg.list_events(offset=1, limit=1)),
    )
    ok(
        run("list", "events", "--format", "jsonl", "--confidence", "single_source", "--limit", "1"),
        jsonl([reg.get_event(TEMPLES)]),
    )
    ok(run("list", "sites", "--format", "jsonl"), jsonl(reg.list_sites()))
    ok(run("list", "monuments", "--format", "jsonl"), jsonl(reg.list_monuments()))
    ok(run("list", "sources", "--format", "jsonl", "--site", "palmyra"), jsonl(reg.list_sources()))
    lines = run("list", "events", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["uid"] for line in lines] == [TEMPLES, OCCUPATION, CITADEL]


@pytest.mark.parametrize("output_format", ["table", "json", "jsonl", "csv"])
def test_list_events_streams_the_events_in_every_format(
    run: Run, monkeypatch: pytest.MonkeyPatch, output_format: str
) -> None:
    """Every format goes through iter_events, which holds a page; never the whole list
    (a million events as JSON held 16 GB). The same text as before, a page at a time."""
    whole_text = run("list", "events", "--format", output_format, "--offset", "1").stdout

    def whole(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("list_events read every event at once")

    monkeypatch.setattr(Registry, "list_events", whole)
    result = run("list", "events", "--format", output_format, "--offset", "1", "--limit", "1")
    assert result.exit_code == 0, result.output
    if output_format == "jsonl":
        assert [json.loads(line)["uid"] for line in result.stdout.splitlines()] == [OCCUPATION]
    assert OCCUPATION in result.stdout
    assert CITADEL not in result.stdout
    assert TEMPLES not in result.stdout
    ok(run("list", "events", "--format", output_format, "--offset", "1"), whole_text)


@pytest.mark.parametrize("kind", ["sites", "monuments", "sources"])
def test_list_sites_monuments_and_sources_stream_them(
    run: Run, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """Through iter_sites, iter_monuments and iter_sources, never the whole list."""
    whole_text = run("list", kind, "--format", "json").stdout

    def whole(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a list read every record at once")

    monkeypatch.setattr(Registry, f"list_{kind}", whole)
    ok(run("list", kind, "--format", "json"), whole_text)


@pytest.mark.parametrize("output_format", ["table", "json", "jsonl", "csv"])
def test_list_writes_a_file_with_o(run: Run, tmp_path: Path, output_format: str) -> None:
    shown = run("list", "events", "--site", "palmyra", "--format", output_format).stdout
    target = tmp_path / "new folder" / f"events.{output_format}"
    ok(
        run("list", "events", "--site", "palmyra", "--format", output_format, "-o", str(target)),
        stderr=f"Wrote 3 events to {target}.\n",
    )
    assert target.read_text(encoding="utf-8") == shown
    ok(
        run("list", "sources", "--output", str(tmp_path / "sources.txt"), "--limit", "1"),
        stderr=f"Wrote 1 source to {tmp_path / 'sources.txt'}.\n",
    )
    ok(
        run("list", "sites", "-o", "-", "--format", "json"),
        run("list", "sites", "--format", "json").stdout,
    )


def test_list_to_a_file_that_fails_writes_nothing(run: Run, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "events.jsonl"
    refused(
        run("list", "events", "--site", "palmira", "--format", "jsonl", "-o", str(target)),
        "no site 'palmira'; did you mean 'palmyra'?",
    )
    refused(
        run("list", "events", "--since", "2016", "--until", "2015", "-o", str(target)),
        "invalid date filter: since '2016' starts after until '2015' ends; "
        "give the earlier date as since",
    )
    refused(
        run("list", "sites", "-o", str(folder)),
        f"cannot write {folder}: it is a folder; give the name of a file to write",
    )
    assert list(folder.iterdir()) == []


# --quiet ----------------------------------------------------------------------------


def test_quiet_says_nothing_but_errors(run: Run, tmp_path: Path) -> None:
    target = tmp_path / "events.jsonl"
    ok(run("--quiet", "list", "events", "--format", "jsonl", "-o", str(target)))
    assert len(target.read_text(encoding="utf-8").splitlines()) == 3
    ok(run("-q", "export", "-o", str(tmp_path / "all.jsonl")))
    ok(run("-q", "summary", "--all", "-o", str(tmp_path / "summaries")))
    ok(run("-q", "add-site", "nimrud", "--name", "Nimrud", "--country", "IQ"))
    # Output for programs is not a message: it stays.
    ok(
        run("-q", "list", "sites", "--limit", "1", "--format", "json"),
        run("list", "sites", "--limit", "1", "--format", "json").stdout,
    )
    refused(run("-q", "show", "site", "palmira"), "no site 'palmira'; did you mean 'palmyra'?")


# Progress bars ----------------------------------------------------------------------


def test_no_progress_bar_where_standard_error_is_not_a_terminal(run: Run, tmp_path: Path) -> None:
    ok(
        run("summary", "--all", "-o", str(tmp_path / "s")),
        stderr=f"Wrote 2 site summaries and index.txt to {tmp_path / 's'}.\n",
    )
    result = run("export", "-o", str(tmp_path / "all.jsonl"))
    assert result.exit_code == 0
    assert result.stderr.startswith("Exported 2 sites, 2 monuments, 2 sources, 3 events, ")
    assert result.stderr.count("\n") == 1
    assert "%" not in result.stderr


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Standard error taken for a terminal, by the command and by click's progress bar."""
    import click._termui_impl

    monkeypatch.setattr(common, "_stderr_is_terminal", lambda: True)
    monkeypatch.setattr(click._termui_impl, "isatty", lambda _stream: True)


def test_summary_all_shows_progress_on_a_terminal(run: Run, tmp_path: Path, terminal: None) -> None:
    folder = tmp_path / "summaries"
    result = run("summary", "--all", "--format", "markdown", "-o", str(folder))
    assert result.exit_code == 0
    assert result.stdout == ""
    bar, done = result.stderr.rsplit("\n", 2)[:2]
    assert bar.startswith("\rSummarising  [------------------------------------]    0%")
    assert "\rSummarising  [##################------------------]   50%" in bar
    assert bar.endswith("\rSummarising  [####################################]  100%\x1b[?25h")
    assert done == f"Wrote 2 site summaries and index.md to {folder}."
    assert sorted(path.name for path in folder.iterdir()) == [
        "index.md",
        "mosul-museum.md",
        "palmyra.md",
    ]
    # --quiet draws no bar, even on a terminal.
    ok(run("--quiet", "summary", "--all", "-o", str(tmp_path / "quiet")))


def test_export_shows_progress_on_a_terminal(run: Run, tmp_path: Path, terminal: None) -> None:
    target = tmp_path / "all.jsonl"
    result = run("export", "-o", str(target))
    assert result.exit_code == 0
    bar, done = result.stderr.rsplit("\n", 2)[:2]
    assert bar.startswith("\rExporting  [")
    assert bar.endswith("\rExporting  [####################################]  100%\x1b[?25h")
    assert done.startswith("Exported 2 sites, 2 monuments, 2 sources, 3 events, 4 citations")
    ok(run("--quiet", "export", "-o", str(tmp_path / "quiet.jsonl")))


def test_export_progress_counts_lines_a_page_at_a_time(reg: Registry) -> None:
    import io

    from heritage_registry import exchange

    told: list[tuple[int, int]] = []
    out = io.StringIO()
    counts = exchange.export_jsonl(reg, out, page=4, progress=lambda *pair: told.append(pair))
    lines = sum(count for kind, count in counts.items() if kind != "citations")
    assert len(out.getvalue().splitlines()) == lines + 1  # and the header
    assert told == [*((done, lines) for done in range(4, lines, 4)), (lines, lines)]


# Shell completion -------------------------------------------------------------------


def complete(url: str | None, *words: str, shell: str = "bash", **env: str) -> list[str]:
    """What `registry [--db URL] WORDS<TAB>` offers, through click's completion machinery;
    the last word is the one being completed."""
    line = ["registry", *(["--db", url] if url else []), *words]
    result = CliRunner().invoke(
        main,
        [],
        prog_name="registry",
        env={
            "_REGISTRY_COMPLETE": f"{shell}_complete",
            "COMP_WORDS": " ".join(line),
            "COMP_CWORD": str(len(line) - 1),
            **env,
        },
    )
    assert result.exit_code == 0, result.output
    # bash's "no completions" is an empty line.
    return [line for line in result.stdout.splitlines() if line]


def test_completion_offers_vocabulary_values(migrated_url: str) -> None:
    assert complete(migrated_url, "list", "events", "--cause", "s") == [
        "plain,smashing",
        "plain,shelling",
    ]
    # Matched as the registry reads a value: any case, hyphens for underscores.
    assert complete(None, "add-site", "x", "--kind", "Archaeological-") == [
        "plain,archaeological_site"
    ]
    assert complete(None, "list", "events", "--confidence", "") == [
        "plain,corroborated",
        "plain,single_source",
        "plain,contested",
        "plain,retracted",
        "plain,merged",
    ]
    # zsh and fish show each value's definition beside it.
    assert complete(None, "add-event", "palmyra", "--level", "d", shell="zsh") == [
        "plain",
        "destroyed",
        "no longer retains its integrity",
    ]


def test_completion_offers_the_registrys_names(migrated_url: str, reg: Registry) -> None:
    url = migrated_url
    assert complete(url, "show", "site", "") == ["plain,mosul-museum", "plain,palmyra"]
    assert complete(url, "summary", "p") == ["plain,palmyra"]
    assert complete(url, "list", "events", "--site", "m") == ["plain,mosul-museum"]
    assert complete(url, "show", "source", "") == [f"plain,{IANS}", f"plain,{NEWARAB}"]
    assert complete(url, "add-event", "palmyra", "--source", "n") == [f"plain,{NEWARAB}"]
    assert complete(url, "show", "monument", "palmyra", "") == [
        "plain,citadel",
        "plain,temple-of-bel",
    ]
    assert complete(url, "list", "events", "--site", "palmyra", "--monument", "t") == [
        "plain,temple-of-bel"
    ]
    # Without a site before it, a monument is named SITE/SLUG.
    assert complete(url, "history", "--monument", "") == [
        "plain,palmyra/citadel",
        "plain,palmyra/temple-of-bel",
    ]
    # An event's monument is one of its site's; so is one an event's quote mentions.
    assert complete(url, "update-event", CITADEL, "--monument", "") == [
        "plain,citadel",
        "plain,temple-of-bel",
    ]
    assert complete(url, "add-event", "palmyra", "--mentions", "c") == ["plain,citadel"]
    assert complete(url, "add-event", "mosul-museum", "--monument", "") == []
    assert complete(url, "show", "event", "") == [
        f"plain,{OCCUPATION}",
        f"plain,{TEMPLES}",
        f"plain,{CITADEL}",
    ]
    assert complete(url, "cite", "6F1D") == [f"plain,{TEMPLES}"]
    assert complete(url, "merge-events", OCCUPATION, "b3") == [f"plain,{CITADEL}"]
    assert complete(url, "show", "event", "ffff") == []


def test_completion_fails_silently(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    assert complete(str(missing), "show", "site", "") == []
    assert not missing.exists()
    assert complete("postgresql://nobody@127.0.0.1:1/none", "show", "event", "") == []
    assert complete("nosuchdb://x", "show", "source", "") == []
    assert complete(None, "show", "site", "", REGISTRY_DATABASE_URL=str(missing)) == []
    assert not missing.exists()


def test_completion_table_names_real_parameters() -> None:
    for path, completers in COMPLETIONS.items():
        command: click.Command | None = main
        for name in path:
            assert isinstance(command, click.Group), path
            command = command.get_command(click.Context(command), name)
        assert command is not None, path
        params = {param.name: param for param in command.params}
        for name, completer in completers.items():
            assert params[name]._custom_shell_complete is completer, (path, name)


def test_a_global_option_after_the_command_says_where_it_goes(run: Run) -> None:
    result = run("export", "-o", "x.jsonl", "--quiet")
    refused(
        result,
        "--quiet is an option of registry itself: give it before the command, as in: "
        "registry --quiet export ...",
        exit_code=2,
    )
    refused(
        run("list", "events", "--db", "other.db"),
        "--db is an option of registry itself: give it before the command, as in: "
        "registry --db URL list events ...",
        exit_code=2,
    )
