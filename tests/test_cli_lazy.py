"""The top-level group's commands load lazily: `registry --help` lists them from
`heritage_registry.cli.COMMANDS` without importing them, and shows what the loaded
commands would show."""

from __future__ import annotations

import ast
import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from heritage_registry.cli import COMMANDS, CONTEXT_SETTINGS, OrderedGroup, load, main

# Beyond any terminal: the short help whole, as the table keeps it.
WHOLE = 10_000


def eager() -> click.Group:
    """`registry` as one eager group: every command loaded and added, listed by click."""
    group = OrderedGroup(
        name=main.name,
        params=main.params,
        callback=main.callback,
        help=main.help,
        context_settings=CONTEXT_SETTINGS,
    )
    for name in COMMANDS:
        group.add_command(load(name), name)
    return group


@pytest.mark.parametrize("name", list(COMMANDS))
def test_the_table_s_short_help_is_the_command_s(name: str) -> None:
    command = load(name)
    assert command.name == name
    assert COMMANDS[name].short_help == command.get_short_help_str(WHOLE)


@pytest.mark.parametrize("width", [40, 60, 80, 98, 200])
def test_help_lists_the_commands_as_the_eager_group_does(width: int) -> None:
    def helped(group: click.Group) -> str:
        result = CliRunner().invoke(group, ["--help"], prog_name="registry", terminal_width=width)
        assert result.exit_code == 0
        return result.stdout

    assert helped(main) == helped(eager())


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
@pytest.mark.parametrize("typed", ["", "up", "s"])
def test_completing_a_command_offers_what_the_eager_group_does(shell: str, typed: str) -> None:
    def offered(group: click.Group) -> str:
        words = f"registry {typed}"
        env = {
            "_REGISTRY_COMPLETE": f"{shell}_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": "1",
            "_REGISTRY_COMPLETE_ARGS": words,
        }
        result = CliRunner().invoke(group, [], prog_name="registry", env=env)
        assert result.exit_code == 0
        return result.stdout

    assert offered(main) == offered(eager())


@pytest.mark.parametrize("typed", ["lst", "merge-event", "sumary", "nothing-like-it"])
def test_an_unknown_command_suggests_the_commands_not_loaded_yet(typed: str) -> None:
    def refused(group: click.Group) -> str:
        result = CliRunner().invoke(group, [typed], prog_name="registry")
        assert result.exit_code == 2
        return result.stderr

    assert refused(main) == refused(eager())
    if typed == "lst":
        assert refused(main).endswith("Error: No such command 'lst'. Did you mean 'list'?\n")


def loaded_after(*args: str) -> list[str]:
    """The heritage_registry modules a fresh `registry ARGS` has imported when it exits."""
    code = (
        "import sys\n"
        "from heritage_registry.cli import main\n"
        f"main({list(args)!r}, prog_name='registry', standalone_mode=False)\n"
        "print(sorted(m for m in sys.modules if m.startswith('heritage_registry')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    return list(ast.literal_eval(done.stdout.splitlines()[-1]))


def test_help_imports_no_command() -> None:
    assert loaded_after("--help") == [
        "heritage_registry",
        "heritage_registry.cli",
        "heritage_registry.cli.forgiving",
    ]


def test_a_command_s_help_imports_its_module_alone() -> None:
    commands = [name for name in loaded_after("list", "sites", "--help") if ".cli." in name]
    assert commands == [
        "heritage_registry.cli.common",
        "heritage_registry.cli.forgiving",
        "heritage_registry.cli.reading",
    ]
