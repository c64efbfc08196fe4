"""docs/cli.md against the command: every command's --help, exactly as it prints.

docs/cli.md is written by hand except between its GENERATED markers, where this module
writes the --help of every command (walking the click groups) and the vocabularies with
their definitions. After changing a command, regenerate the file from the project root:

    python -m tests.test_cli_docs
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import click
from click.testing import CliRunner

from heritage_registry.cli import main
from heritage_registry.vocab import VOCABULARIES

DOCS = Path(__file__).resolve().parent.parent / "docs" / "cli.md"
REGENERATE = "python -m tests.test_cli_docs"
# What a terminal 100 columns wide shows: click keeps two columns spare, and
# `max_content_width` caps wider terminals at the same text.
WIDTH = 98

_SECTION = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[a-z]+) .*?-->\n)"
    r"(?P<body>.*?)"
    r"(<!-- END GENERATED: (?P=name) -->)",
    re.DOTALL,
)


def subcommands(group: click.Group) -> Iterator[tuple[str, click.Command]]:
    """The commands of `group` in help order, each loaded (the top level's are loaded
    only when asked for)."""
    ctx = click.Context(group)
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None, name
        yield name, command


def command_paths(
    group: click.Group = main, path: tuple[str, ...] = ()
) -> Iterator[tuple[str, ...]]:
    """Every command's path under `group`, groups before their commands, in help order."""
    for name, command in subcommands(group):
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*path, name))


def help_text(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="registry", terminal_width=WIDTH)
    if result.exit_code != 0:
        raise RuntimeError(f"registry {' '.join(path)} --help failed:\n{result.output}")
    return result.stdout


def commands_section() -> str:
    parts = []
    for path in [(), *command_paths()]:
        title = " ".join(("registry", *path))
        parts.append(f"### `{title}`\n\n```text\n{help_text(path)}```\n")
    return "\n".join(parts)


def vocabularies_section() -> str:
    parts = []
    for name, vocabulary in VOCABULARIES.items():
        rows = "".join(f"| `{member.value}` | {member.definition} |\n" for member in vocabulary)
        parts.append(
            f"### {name}\n\n{vocabulary.__doc__}\n\n| value | meaning |\n| --- | --- |\n{rows}"
        )
    return "\n".join(parts)


GENERATORS = {"commands": commands_section, "vocabularies": vocabularies_section}


def regenerate(text: str) -> str:
    """`text` with every GENERATED section written afresh."""

    def replace(match: re.Match[str]) -> str:
        body = GENERATORS[match["name"]]()
        return f"{match[1]}\n{body}\n{match[4]}"

    return _SECTION.sub(replace, text)


def example_script() -> str:
    """The shell script that docs/cli.md gives as its example."""
    match = re.search(
        r"<!-- BEGIN EXAMPLE: script -->\n```bash\n(.*?)```\n<!-- END EXAMPLE: script -->",
        DOCS.read_text(encoding="utf-8"),
        re.DOTALL,
    )
    assert match, "docs/cli.md has lost its example script"
    return match[1]


def test_docs_show_every_command_s_help_as_it_is() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert regenerate(text) == text, (
        f"docs/cli.md is out of date; regenerate it from the project root with: {REGENERATE}"
    )


def test_docs_have_every_generated_section() -> None:
    names = [match["name"] for match in _SECTION.finditer(DOCS.read_text(encoding="utf-8"))]
    assert sorted(names) == sorted(GENERATORS)


def test_every_command_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for path in command_paths():
        assert f"### `{' '.join(('registry', *path))}`" in text


if __name__ == "__main__":
    DOCS.write_text(regenerate(DOCS.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {DOCS}", file=sys.stderr)


def test_every_example_line_continuation_survives_into_the_help() -> None:
    """A docstring's `\\` at a line's end must be written `\\\\`: a lone one joins the lines
    inside the Python string, and the example shows `--level severe         --reason`."""
    from heritage_registry.cli import main as command

    def helps(group: click.Group, prefix: str) -> list[tuple[str, str]]:
        found = []
        for name, sub in subcommands(group):
            found.append((f"{prefix}{name}", sub.help or ""))
            if isinstance(sub, click.Group):
                found.extend(helps(sub, f"{prefix}{name} "))
        return found

    joined = [name for name, text in helps(command, "") if re.search(r"\S {4,}--", text)]
    assert joined == []
