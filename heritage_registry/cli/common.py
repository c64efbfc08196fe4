"""What the `registry` commands share: the database they open, how they fail, how they
speak, write files and show progress, the options several take, and shell completion.

A `RegistryError` becomes `Error: <message>` and exit status 1 (`_explain`, called by
the top-level group); usage errors exit with 2, as in click. Vocabulary values are
passed to the library as typed, not checked with `click.Choice`, so that the library's
own message (`unknown cause 'bombing'; choose one of: ...`) is the one users see.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from heritage_registry import completion, render
from heritage_registry.vocab import ChangeHow, Vocabulary

if TYPE_CHECKING:
    import sqlalchemy as sa

    from heritage_registry.registry import Registry

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Settings:
    """The global options, shared by every command through the click context."""

    db: str | None
    # --quiet: no messages for people on standard error (errors still show).
    quiet: bool = False


# Errors ---------------------------------------------------------------------------


def _explain(exc: Exception, ctx: click.Context) -> str | None:
    """The one-line message for an error users can fix; None for a bug, which must show."""
    from heritage_registry.errors import RegistryError

    if isinstance(exc, RegistryError):
        return str(exc)
    import sqlalchemy.exc

    if isinstance(exc, sqlalchemy.exc.DBAPIError):
        from heritage_registry import db

        reason = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
        first = db.mask_url(reason[0] if reason else type(exc).__name__)
        url = sqlalchemy.make_url(db.resolve_url(_settings(ctx).db))
        if url.get_backend_name() == "sqlite" and first in db.SQLITE_DAMAGED:
            return db.damaged_message(url.database or "", first)
        # Refused connections, and options the server or driver refuses as it connects
        # (a statement-less error) are the URL's to fix; any other is a bug and shows.
        if isinstance(exc, sqlalchemy.exc.OperationalError) or exc.statement is None:
            return f"cannot use the database {_shown_url(ctx)}: {first}"
    # Only the `db` commands load alembic's commands, and only they can raise its errors.
    alembic_errors = sys.modules.get("alembic.util.exc")
    if alembic_errors is not None and isinstance(exc, alembic_errors.CommandError):
        return f"cannot migrate {_shown_url(ctx)}: {exc}"
    return None


def _settings(ctx: click.Context) -> Settings:
    return ctx.find_object(Settings) or Settings(db=None)


def _shown_url(ctx: click.Context) -> str:
    """The database URL in use, password hidden, for messages."""
    from heritage_registry.db import display_url, mask_url, resolve_url
    from heritage_registry.errors import DatabaseUnusable

    given = _settings(ctx).db
    try:
        return display_url(resolve_url(given))
    except DatabaseUnusable:
        return mask_url(given or "")


@contextmanager
def _opening(ctx: click.Context) -> Iterator[None]:
    """Turn the ways a database URL can fail before any SQL runs into one-line errors."""
    import sqlalchemy.exc

    try:
        yield
    except sqlalchemy.exc.ArgumentError as exc:
        first = str(exc).strip().splitlines()[0]
        raise click.ClickException(
            f"cannot use the database URL {_shown_url(ctx)}: {first}; write sqlite:///PATH "
            "for a file or postgresql://USER@HOST/DATABASE for a server"
        ) from None
    except ModuleNotFoundError as exc:
        # SQLAlchemy imports a database's driver when the engine is made.
        hint = ""
        if (exc.name or "").startswith("psycopg"):
            hint = "; install it with: pip install 'heritage-registry[postgres]'"
        raise click.ClickException(
            f"cannot use the database {_shown_url(ctx)}: its driver {exc.name} is not installed"
            + hint
        ) from None
    except (FileExistsError, NotADirectoryError) as exc:
        # Raised while making the SQLite file's folder: a file stands in its path.
        reason = f"{exc.filename} is a file, not a folder"
        raise click.ClickException(
            f"cannot open the database {_shown_url(ctx)}: {reason}"
        ) from None
    except OSError as exc:
        reason = f"{exc.strerror}: {exc.filename}" if exc.filename else str(exc)
        raise click.ClickException(
            f"cannot open the database {_shown_url(ctx)}: {reason}"
        ) from None


def _registry(ctx: click.Context, *, write: bool = False) -> Registry:
    """The registry named by --db, closed when the command ends.

    A writing command creates a new registry and migrates an older one; a reading
    command does neither: a path with no registry is an error that says how to make one.
    """
    from heritage_registry.registry import Registry

    with _opening(ctx):
        registry = Registry.open(_settings(ctx).db, create=write, how=ChangeHow.COMMAND)
    ctx.call_on_close(registry.close)
    return registry


def _engine(ctx: click.Context, *, create: bool = True) -> sa.Engine:
    """An engine on the database as it is, for the schema commands."""
    from heritage_registry.db import make_engine

    with _opening(ctx):
        engine = make_engine(_settings(ctx).db, create=create)
    ctx.call_on_close(engine.dispose)
    return engine


# Options --------------------------------------------------------------------------

by_option = click.option(
    "--by",
    metavar="NAME",
    help="Who makes the change, for its history (default: your operating-system user name).",
)


def vocabulary_option(
    *decls: str, vocabulary: type[Vocabulary], metavar: str, help: str, **kwargs: Any
) -> Callable[[F], F]:
    """An option taking one vocabulary value, its allowed values listed in --help."""
    values = ", ".join(vocabulary.values())
    kwargs.setdefault("shell_complete", completion.vocabulary(vocabulary))
    return click.option(*decls, metavar=metavar, help=f"{help} One of: {values}.", **kwargs)


def format_option(*choices: str) -> Callable[[F], F]:
    """--format, choosing among `choices`; the first is the default."""
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(choices),
        default=choices[0],
        show_default=True,
        help="Output format.",
    )


def coordinate_options(function: F) -> F:
    """--lat and --lon, a WGS84 location given as both or neither."""
    function = click.option(
        "--lon", type=float, metavar="DEG", help="Longitude, WGS84 decimal degrees (with --lat)."
    )(function)
    return click.option(
        "--lat", type=float, metavar="DEG", help="Latitude, WGS84 decimal degrees (with --lon)."
    )(function)


def _given(**fields: Any) -> dict[str, Any]:
    """The options given, so that the library's defaults apply to the others."""
    return {name: value for name, value in fields.items() if value is not None}


# Speaking, writing, showing progress ----------------------------------------------


def _say(message: str) -> None:
    """A message for people: standard error, so that standard output stays parseable.

    Nothing with the global --quiet: errors are not said this way, and still show.
    """
    if not _quiet():
        click.echo(message, err=True)


def _quiet() -> bool:
    """Whether the command runs under the global --quiet."""
    ctx = click.get_current_context(silent=True)
    return ctx is not None and _settings(ctx).quiet


def _merge_notes(trail: list[Any], doing: str) -> None:
    """Say, on standard error, which merges a uid was followed through, and to where."""
    from heritage_registry import merges

    for line in merges.notes(trail, doing):
        _say(render.safe_text(line, lines=False))


@contextmanager
def _output(path: str) -> Iterator[Any]:
    """Standard output for `-`; else a file that appears whole or not at all.

    Every file a command writes goes through `heritage_registry.files`: a temporary file
    in the target's folder, renamed once whole, removed on any failure; missing folders
    are created; what stops the write is a `CannotWrite`, one line saying what to do.
    """
    from heritage_registry import files

    if path == "-":
        yield sys.stdout
        return
    with files.atomic_text(path) as handle:
        yield handle


def _stderr_is_terminal() -> bool:
    """Whether standard error is a terminal, where a progress bar can redraw itself."""
    return sys.stderr.isatty()


@contextmanager
def _progress_bar(
    label: str = "Writing", *, hidden: bool = False
) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on standard error when it is a terminal; silence otherwise.

    Silence too under --quiet, or when `hidden` (output going to the same terminal). The
    bar appears with the first report of progress, so that a command that reports none
    draws none.
    """
    bars: list[Any] = []
    shown = _stderr_is_terminal() and not _quiet() and not hidden

    def advance(done: int, total: int) -> None:
        if not shown:
            return
        if not bars:
            bars.append(click.progressbar(length=total, label=label, file=sys.stderr))
            bars[0].__enter__()
        bars[0].update(done - bars[0].pos)

    try:
        yield advance
    finally:
        if bars:
            bars[0].__exit__(None, None, None)


# Completion -----------------------------------------------------------------------

# The values that shell completion (`heritage_registry.completion`) offers for each
# command's arguments and options, by the parameter's name: site slugs, monument slugs,
# source keys and event uids from the database --db names. Vocabulary options complete
# their values by themselves (`vocabulary_option`); the `list` commands name theirs where
# they are declared.
COMPLETIONS: dict[tuple[str, ...], dict[str, completion.Completer]] = {
    ("add-monument",): {"site": completion.sites},
    ("add-event",): {
        "site": completion.sites,
        "monument": completion.monuments,
        "source": completion.sources,
        "mentions": completion.monuments,
    },
    ("cite",): {"uid": completion.events, "source": completion.sources},
    ("update-event",): {"uid": completion.events, "monument": completion.monuments},
    ("update-site",): {"slug": completion.sites},
    ("update-monument",): {"site": completion.sites, "slug": completion.monuments},
    ("update-source",): {"key": completion.sources},
    ("attach-text",): {"key": completion.sources},
    ("retract",): {"uid": completion.events},
    ("duplicates",): {"site": completion.sites},
    ("merge-events",): {"keep": completion.events, "other": completion.events},
    ("history",): {
        "uid": completion.events,
        "site": completion.sites,
        "monument": completion.monuments,
        "source": completion.sources,
    },
    ("remove", "site"): {"slug": completion.sites},
    ("remove", "monument"): {"site": completion.sites, "slug": completion.monuments},
    ("remove", "source"): {"key": completion.sources},
    ("show", "site"): {"slug": completion.sites},
    ("show", "monument"): {"site": completion.sites, "slug": completion.monuments},
    ("show", "source"): {"key": completion.sources},
    ("show", "event"): {"uid": completion.events},
    ("summary",): {"site": completion.sites},
}


def attach_completions(name: str, command: click.Command) -> None:
    """Give the parameters of the top-level command `name` (and of its subcommands) their
    completion from COMPLETIONS, where they have none yet.

    Set here, in one table, rather than in each command's declaration; the top-level
    group calls this as it loads a command. A command or parameter that is not there is
    passed over (a test checks that each is).
    """
    for path, completers in COMPLETIONS.items():
        if path[0] != name:
            continue
        found: click.Command | None = command
        for step in path[1:]:
            found = found.commands.get(step) if isinstance(found, click.Group) else None
        for param in found.params if found is not None else []:
            completer = completers.get(param.name or "")
            if completer is not None and param._custom_shell_complete is None:
                param._custom_shell_complete = completer


__all__ = [
    "COMPLETIONS",
    "Settings",
    "attach_completions",
    "by_option",
    "coordinate_options",
    "format_option",
    "vocabulary_option",
]
