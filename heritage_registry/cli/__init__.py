"""The `registry` command: a thin click layer over `heritage_registry.Registry`.

Each command parses its options, makes one library call and prints the result with
`heritage_registry.render`. What programs read (tables, CSV, JSON, a new event's uid)
goes to standard output; messages for people go to standard error. A `RegistryError`
becomes `Error: <message>` and exit status 1; usage errors exit with 2, as in click.

This module is the top-level group alone. The commands live in the modules of this
package, one concept each (`database`, `records`, `corrections`, `reading`, `texts`,
`summary`, `exchange`, sharing `common`), and `COMMANDS` names each with its short help:
`registry --help` lists them from that table, and a command's module is imported only
when the command runs (or its own --help is asked for), as click's documentation
describes for lazily loaded subcommands. The database stack (SQLAlchemy, SQLModel,
alembic, pydantic, edtf) is imported inside the commands that need it, so that
`registry --help` answers at once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, NamedTuple

import click

from heritage_registry import __version__
from heritage_registry.cli.forgiving import ForgivingCommand

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

# The same name as heritage_registry.db.ENV_VAR, which cannot be imported here without
# SQLAlchemy; a test keeps the two equal.
ENV_VAR = "REGISTRY_DATABASE_URL"

CONTEXT_SETTINGS: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    # Help wraps to the terminal but never wider than this, and docs/cli.md is
    # generated at this width, so that the help text is the same everywhere.
    "max_content_width": 100,
}


class Entry(NamedTuple):
    """Where a top-level command is defined, and the short help `registry --help` shows."""

    # "module:attribute", the module under heritage_registry.cli.
    where: str
    # The first sentence of the command's help: `get_short_help_str` of the loaded
    # command, with no length limit (a test keeps the two equal).
    short_help: str


# Every top-level command, in the order `registry --help` lists them.
COMMANDS: dict[str, Entry] = {
    "init": Entry("database:init", "Create the database or migrate it to the current schema."),
    "info": Entry("database:info", "Show the database URL, schema revision and record counts."),
    "db": Entry("database:db", "Inspect and change the database schema (alembic revisions)."),
    "seed": Entry("database:seed", "Load the shipped seed; safe to run again."),
    "add-site": Entry("records:add_site", "Add a site: a place such as Palmyra, named by SLUG."),
    "add-monument": Entry(
        "records:add_monument", "Add a monument SLUG to SITE: a part damaged on its own."
    ),
    "add-source": Entry(
        "records:add_source", "Add a source: a document that reports damage, named by KEY."
    ),
    "add-event": Entry(
        "records:add_event", "Add a damage event with its first citation; print its uid."
    ),
    "cite": Entry("records:cite", "Add another source's statement about the event UID."),
    "update-event": Entry(
        "corrections:update_event",
        "Correct the event UID; its old and new values go into its history.",
    ),
    "update-site": Entry(
        "corrections:update_site",
        "Correct the site SLUG; its old and new values go into its history.",
    ),
    "update-monument": Entry(
        "corrections:update_monument",
        "Correct the monument SLUG of SITE; its old and new values go into its history.",
    ),
    "update-source": Entry(
        "corrections:update_source",
        "Correct the source KEY; its old and new values go into its history.",
    ),
    "attach-text": Entry(
        "texts:attach_text", "Keep the text the source KEY was read from: FILE, UTF-8."
    ),
    "verify": Entry("texts:verify", "Check that every citation's quote is in its source's text."),
    "retract": Entry(
        "corrections:retract",
        "Withdraw the event UID: kept and shown as retracted, left out of counts.",
    ),
    "duplicates": Entry(
        "corrections:duplicates_command",
        "List pairs of events that may record one incident, strongest first.",
    ),
    "merge-events": Entry(
        "corrections:merge_events", "Fold the event OTHER into KEEP: one incident recorded twice."
    ),
    "history": Entry(
        "reading:history", "Show the changes to one record, or the registry's latest changes."
    ),
    "remove": Entry(
        "corrections:remove", "Remove a site, monument or source entered by mistake, with a reason."
    ),
    "list": Entry("reading:list_group", "List sites, monuments, sources or events."),
    "show": Entry("reading:show", "Show one site, monument, source or event."),
    "summary": Entry(
        "summary:summary", "Write the damage summary of SITE, or of every site with --all."
    ),
    "export": Entry("exchange:export", "Write the whole registry to a file."),
    "import": Entry(
        "exchange:import_",
        "Import FILE (- for standard input): JSON Lines, CSV or a data package folder.",
    ),
}


def load(name: str) -> click.Command:
    """The top-level command `name` of `COMMANDS`, its module imported, its parameters
    given their shell completion (`common.COMPLETIONS`)."""
    module_name, _, attribute = COMMANDS[name].where.partition(":")
    module = importlib.import_module(f"{__name__}.{module_name}")
    command = getattr(module, attribute)
    if not isinstance(command, click.Command):
        raise TypeError(f"{COMMANDS[name].where} is not a click command")
    from heritage_registry.cli.common import attach_completions

    attach_completions(name, command)
    return command


class OrderedGroup(click.Group):
    """A group that lists its commands in the order they are defined, not alphabetically."""

    command_class = ForgivingCommand

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


class RegistryGroup(OrderedGroup):
    """The top-level group: its commands loaded from `COMMANDS` when first used, and the
    errors users can fix turned into `Error: ...`, exit 1."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded: dict[str, click.Command] = {}

    def list_commands(self, ctx: click.Context) -> list[str]:
        # Commands added with add_command (by a plugin or a test) follow the table's.
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self._loaded:
            self._loaded[cmd_name] = load(cmd_name)
        return self._loaded[cmd_name]

    def _listed(self, name: str) -> click.Command:
        """The command `name` as `registry --help` and completion show it: from the
        table's short help, unless it is loaded or added already."""
        known = self.commands.get(name) or self._loaded.get(name)
        return known or click.Command(name, help=COMMANDS[name].short_help)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # click's own, but reading the short help from COMMANDS, so that no command's
        # module is imported to list it. Shortened to the terminal as click shortens a
        # command's help: the table's text is the help's first sentence.
        commands = [(name, self._listed(name)) for name in self.list_commands(ctx)]
        commands = [(name, command) for name, command in commands if not command.hidden]
        if not commands:
            return
        limit = formatter.width - 6 - max(len(name) for name, _ in commands)
        rows = [(name, command.get_short_help_str(limit)) for name, command in commands]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        # As click completes a group's commands, without importing them all.
        from click.shell_completion import CompletionItem

        listed = [(name, self._listed(name)) for name in self.list_commands(ctx)]
        results = [
            CompletionItem(name, help=command.get_short_help_str())
            for name, command in listed
            if name.startswith(incomplete) and not command.hidden
        ]
        results.extend(click.Command.shell_complete(self, ctx, incomplete))
        return results

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.UsageError as exc:
            # click suggests close names from `self.commands`, which holds only the
            # commands loaded so far: suggest from every command instead.
            no_such = getattr(click.exceptions, "NoSuchCommand", None)
            if no_such is None or not isinstance(exc, no_such) or exc.possibilities:
                raise
            raise no_such(
                exc.command_name, possibilities=self.list_commands(ctx), ctx=ctx
            ) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            # click's own ways out, --help's among them: handled by click.
            raise
        except Exception as exc:
            from heritage_registry.cli.common import _explain

            message = _explain(exc, ctx)
            if message is None:
                raise
            raise click.ClickException(message) from None


@click.group(cls=RegistryGroup, context_settings=CONTEXT_SETTINGS)
@click.option(
    "--db",
    metavar="URL",
    envvar=ENV_VAR,
    show_envvar=True,
    help="The database: a SQLite file path, sqlite:///PATH or postgresql://USER@HOST/DB. "
    "Default: registry.db in your user data folder.",
)
@click.option(
    "-q",
    "--quiet",
    is_flag=True,
    help="Say nothing on standard error but errors: no counts, no 'Wrote FILE', no "
    "progress bars. Give it before the command.",
)
@click.version_option(__version__, "--version", prog_name="registry")
@click.pass_context
def main(ctx: click.Context, db: str | None, quiet: bool) -> None:
    """Record damage to heritage sites, each statement cited from a source.

    Every command works on one database, created and brought to the current schema on
    first use. Output for programs goes to standard output, messages to standard error.

    \b
    Example:
      registry seed
      registry list events --site palmyra --cause explosives
      registry show site palmyra
      registry --quiet export -o registry.jsonl
    """
    from heritage_registry.cli.common import Settings

    ctx.obj = Settings(db=db, quiet=quiet)


__all__ = ["COMMANDS", "ENV_VAR", "Entry", "OrderedGroup", "RegistryGroup", "load", "main"]
