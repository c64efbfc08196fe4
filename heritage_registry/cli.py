"""The `registry` command: a thin click layer over `heritage_registry.Registry`.

Each command parses its options, makes one library call and prints the result with
`heritage_registry.render`. What programs read (tables, CSV, JSON, a new event's uid)
goes to standard output; messages for people go to standard error. A `RegistryError`
becomes `Error: <message>` and exit status 1; usage errors exit with 2, as in click.

Vocabulary values are passed to the library as typed, not checked with `click.Choice`,
so that the library's own message (`unknown cause 'bombing'; choose one of: ...`) is the
one users see. The database stack (SQLAlchemy, SQLModel, alembic, pydantic, edtf) is
imported inside the commands that need it, so that `registry --help` answers at once.
"""

from __future__ import annotations

import difflib
import itertools
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from heritage_registry import __version__, completion, render
from heritage_registry.vocab import (
    Cause,
    ChangeHow,
    Confidence,
    DamageLevel,
    MonumentKind,
    SiteKind,
    SourceType,
    Stance,
    Vocabulary,
)

if TYPE_CHECKING:
    import sqlalchemy as sa

    from heritage_registry.models import AltName
    from heritage_registry.registry import Registry

# The same name as heritage_registry.db.ENV_VAR, which cannot be imported here without
# SQLAlchemy; a test keeps the two equal.
ENV_VAR = "REGISTRY_DATABASE_URL"

CONTEXT_SETTINGS: dict[str, Any] = {
    "help_option_names": ["-h", "--help"],
    # Help wraps to the terminal but never wider than this, and docs/cli.md is
    # generated at this width, so that the help text is the same everywhere.
    "max_content_width": 100,
}

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


# Options people reach for by another name, each with the real options it may mean: the
# first that the command has is suggested (`--date` is add-event's --occurred and
# add-source's --published). Click's own suggestions (close spellings) cover the rest.
_EVENT_DATES = ("--occurred", "--published", "--claimed-occurred", "--since")
_LEVELS = ("--level", "--claimed-level")
OPTION_SYNONYMS: dict[str, tuple[str, ...]] = {
    "--date": _EVENT_DATES,
    "--when": _EVENT_DATES,
    "--on": _EVENT_DATES,
    "--time": _EVENT_DATES,
    "--severity": _LEVELS,
    "--damage": _LEVELS,
    "--damage-level": _LEVELS,
    "--type": ("--kind",),
    "--kind": ("--type",),
    "--source-type": ("--type",),
    "--publication-date": ("--published",),
    "--from": ("--since",),
    "--after": ("--since",),
    "--to": ("--until",),
    "--before": ("--until",),
    "--text": ("--quote",),
    "--excerpt": ("--quote",),
    "--file": ("--quote-file",),
    "--title": ("--name",),
    "--name": ("--title",),
    "--country-code": ("--country",),
    "--latitude": ("--lat",),
    "--longitude": ("--lon",),
    "--lng": ("--lon",),
    "--unesco": ("--unesco-id",),
    "--whc": ("--unesco-id",),
    "--qid": ("--wikidata",),
    "--lang": ("--language",),
    "--perpetrator": ("--actor",),
    "--why": ("--reason",),
    "--message": ("--reason",),
    "--user": ("--by",),
    "--origin": ("--via",),
    "--out": ("--output",),
}


class ForgivingCommand(click.Command):
    """A command that names the one option an unknown one most likely meant, and refuses
    empty values.

    `--date` is "No such option '--date'. Did you mean '--occurred'?" (`OPTION_SYNONYMS`),
    `--ocurred` the same by its spelling (the closest, where click lists every close
    one); a required option given as '' (`--publisher ''`) is refused naming the option,
    not taken for a value.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            rest = super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            root = ctx.find_root()
            named = [p for p in root.command.params if exc.option_name in p.opts]
            if root is not ctx and named:
                # A global option (--quiet, --db URL) given after the command.
                option = exc.option_name
                if isinstance(named[0], click.Option) and named[0].metavar:
                    option += f" {named[0].metavar}"
                command = ctx.command_path.partition(" ")[2]
                raise click.NoSuchOption(
                    exc.option_name,
                    message=f"{exc.option_name} is an option of registry itself: give it "
                    f"before the command, as in: registry {option} {command} ...",
                    ctx=ctx,
                ) from None
            meant = self._meant(ctx, exc.option_name)
            if meant is None:
                raise
            raise click.NoSuchOption(
                exc.option_name,
                message=f"No such option {exc.option_name!r}. Did you mean {meant!r}?",
                ctx=ctx,
            ) from None
        for param in self.params:
            value = ctx.params.get(param.name or "")
            blank = isinstance(value, str) and not value.strip()
            if isinstance(param, click.Option) and param.required and blank:
                raise click.BadParameter("must not be empty; give a value", ctx, param)
        return rest

    def _meant(self, ctx: click.Context, option: str) -> str | None:
        known = [name for param in self.get_params(ctx) for name in param.opts]
        synonym = next((meant for meant in OPTION_SYNONYMS.get(option, ()) if meant in known), None)
        close = difflib.get_close_matches(option, [name for name in known if name[:2] == "--"], 1)
        return synonym or (close[0] if close else None)


class OrderedGroup(click.Group):
    """A group that lists its commands in the order they are defined, not alphabetically."""

    command_class = ForgivingCommand

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


class RegistryGroup(OrderedGroup):
    """The top-level group: turns the errors users can fix into `Error: ...`, exit 1."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            # click's own ways out, --help's among them: handled by click.
            raise
        except Exception as exc:
            message = _explain(exc, ctx)
            if message is None:
                raise
            raise click.ClickException(message) from None


# Options --------------------------------------------------------------------------


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


def alt_name_option(function: F) -> F:
    """--alt-name NAME@LANG, repeatable."""
    return click.option(
        "--alt-name",
        "alt_names",
        multiple=True,
        metavar="NAME@LANG",
        help="Another name with its BCP 47 language tag, e.g. 'تدمر@ar'; repeat for more.",
    )(function)


def citation_options(function: F) -> F:
    """The options of one citation, shared by add-event (its first) and cite."""
    for decorator in reversed(
        [
            click.option("--source", required=True, metavar="KEY", help="The source's key."),
            click.option(
                "--quote",
                metavar="TEXT",
                help="The source's words, verbatim; - reads them from standard input. "
                "This or --quote-file is required.",
            ),
            click.option(
                "--quote-file",
                metavar="FILE",
                type=click.Path(exists=True, dir_okay=False, allow_dash=True),
                help="Read the quote from FILE (UTF-8; - is standard input) instead of --quote.",
            ),
            vocabulary_option(
                "--stance",
                vocabulary=Stance,
                metavar="STANCE",
                help="Whether the source supports the event (default) or disputes it.",
            ),
            click.option(
                "--location", metavar="TEXT", help="Where in the source, e.g. 'paragraph 8'."
            ),
            click.option(
                "--date-resolution",
                metavar="TEXT",
                help="How a relative date in the source ('last May') was resolved.",
            ),
            click.option(
                "--via",
                metavar="NAME",
                help="Whom the source relays ('Syrian army', 'SANA'): citations via the same "
                "origin are one voice, whatever their publishers.",
            ),
            click.option(
                "--mentions",
                metavar="SLUG",
                multiple=True,
                help="A monument of the site the quote names without the event being its "
                "(repeatable).",
            ),
        ]
    ):
        function = decorator(function)
    return function


def _quote(quote: str | None, quote_file: str | None) -> str:
    """The quote: --quote's text, standard input for `--quote -`, or --quote-file's text."""
    if (quote is None) == (quote_file is None):
        raise click.UsageError(
            "give the quote once: --quote TEXT or --quote-file FILE, not both"
            if quote is not None
            else "give the quote: --quote TEXT (- reads standard input) or --quote-file FILE"
        )
    if quote_file is not None:
        option, text = "--quote-file", _read_quote(quote_file, "--quote-file")
    elif quote == "-":
        option, text = "--quote", _read_quote("-", "--quote")
    else:
        option, text = "--quote", quote or ""
    if not text.strip():
        raise click.BadParameter(
            "the quote must not be empty; give the source's words", param_hint=f"'{option}'"
        )
    return text


def _read_quote(path: str, option: str) -> str:
    """The UTF-8 text of `path` (- is standard input), refused beyond a quote's length."""
    from heritage_registry.models import QUOTE_MAX

    # A quote is at most QUOTE_MAX characters of at most 4 bytes each, after a BOM: no
    # more is read, so that a mistaken file (a disk image) is refused, not loaded.
    limit = 4 * QUOTE_MAX + 3
    shown = "standard input" if path == "-" else path
    try:
        with click.open_file(path, "rb") as handle:
            data = bytes(handle.read(limit + 1))
    except OSError as exc:
        raise click.BadParameter(
            f"cannot read {shown}: {exc.strerror or exc}", param_hint=f"'{option}'"
        ) from None
    try:
        text = data[:limit].decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if len(data) <= limit:
            raise click.BadParameter(
                f"{shown} is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}); "
                "save it as UTF-8",
                param_hint=f"'{option}'",
            ) from None
        text = ""
    if len(data) > limit or len(text) > QUOTE_MAX:
        raise click.BadParameter(
            f"{shown} holds more than {QUOTE_MAX} characters; a quote is at most {QUOTE_MAX}",
            param_hint=f"'{option}'",
        )
    return text


def _given(**fields: Any) -> dict[str, Any]:
    """The options given, so that the library's defaults apply to the others."""
    return {name: value for name, value in fields.items() if value is not None}


def _alt_names(texts: tuple[str, ...]) -> list[AltName]:
    from pydantic import ValidationError

    from heritage_registry.errors import describe_validation_error
    from heritage_registry.models import AltName

    names: list[AltName] = []
    for text in texts:
        try:
            names.append(AltName.parse(text))
        except ValidationError as exc:
            raise click.ClickException(
                f"invalid alternative name {text!r}: {describe_validation_error(exc)}"
            ) from None
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="'--alt-name'") from None
    return names


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


# The group ------------------------------------------------------------------------


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
    ctx.obj = Settings(db=db, quiet=quiet)


# Database -------------------------------------------------------------------------


@main.command()
@click.pass_context
def init(ctx: click.Context) -> None:
    """Create the database or migrate it to the current schema.

    Safe to run again. Other commands do this by themselves on a new database; init
    is for setting one up ahead of use, or upgrading it at a time of your choosing.

    \b
    Example:
      registry --db palmyra.db init
    """
    from heritage_registry import schema

    engine = _engine(ctx)
    before = schema.current_revision(engine)
    schema.ensure_current(engine)
    after = schema.current_revision(engine)
    shown = _shown_url(ctx)
    if before is None:
        _say(f"Created the registry at {shown} (schema revision {after}).")
    elif before != after:
        _say(f"Upgraded {shown} from schema revision {before} to {after}.")
    else:
        _say(f"{shown} is up to date (schema revision {after}).")


@main.command()
@format_option("text", "json")
@click.pass_context
def info(ctx: click.Context, output_format: str) -> None:
    """Show the database URL, schema revision and record counts.

    The URL is the one in use, with any password hidden.

    \b
    Example:
      registry info
      REGISTRY_DATABASE_URL=postgresql://me@db.example.org/heritage registry info
    """
    registry = _registry(ctx)
    data: dict[str, Any] = {
        "database": registry.url,
        "schema_revision": registry.schema_revision(),
        "counts": registry.counts(),
    }
    if output_format == "json":
        click.echo(render.json_text(data), nl=False)
        return
    pairs = [
        ("database", data["database"]),
        ("schema_revision", render.scalar(data["schema_revision"])),
        *((kind, str(count)) for kind, count in data["counts"].items()),
    ]
    click.echo(render.key_values(pairs), nl=False)


@main.group(cls=OrderedGroup)
def db() -> None:
    """Inspect and change the database schema (alembic revisions).

    \b
    Example:
      registry db current
      registry db history
    """


@db.command("current")
@click.pass_context
def db_current(ctx: click.Context) -> None:
    """Print the database's schema revision, without migrating it.

    Prints nothing (and says why on standard error) for a database with no schema yet.

    \b
    Example:
      registry db current
    """
    from heritage_registry import schema

    revision = schema.current_revision(_engine(ctx, create=False))
    if revision is None:
        _say(f"{_shown_url(ctx)} has no schema yet; 'registry init' creates it.")
        return
    click.echo(revision)


@db.command("upgrade")
@click.argument("revision", default="head")
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Migrate the database up to REVISION (default: head, the current schema).

    \b
    Example:
      registry db upgrade
      registry db upgrade 0001
    """
    from heritage_registry import schema

    engine = _engine(ctx)
    before = schema.current_revision(engine)
    schema.upgrade(engine, revision)
    _report_migration(ctx, before, schema.current_revision(engine))


@db.command("downgrade")
@click.argument("revision")
@click.option(
    "--yes",
    is_flag=True,
    help="Confirm a downgrade that deletes records (a SQLite file is copied first).",
)
@click.pass_context
def db_downgrade(ctx: click.Context, revision: str, yes: bool) -> None:
    """Migrate the database down to REVISION; 'base' removes the registry's tables.

    A downgrade that would delete records (the tables a later revision added, with
    their rows) is refused unless confirmed with --yes; a confirmed downgrade of a
    SQLite file first copies it beside itself and says where.

    \b
    Example:
      registry export -o registry.jsonl
      registry db downgrade 0001 --yes
    """
    from heritage_registry import schema

    engine = _engine(ctx, create=False)
    before = schema.current_revision(engine)
    plan = schema.plan_downgrade(engine, revision)
    if plan.loses_data and yes:
        backup = schema.backup_sqlite(engine)
        if backup is not None:
            _say(f"Copied the registry to {backup} before downgrading.")
    schema.downgrade(engine, revision, drop_data=yes)
    _report_migration(ctx, before, schema.current_revision(engine))


def _report_migration(ctx: click.Context, before: str | None, after: str | None) -> None:
    shown = _shown_url(ctx)
    if before == after:
        _say(f"{shown} is at schema revision {after or 'base'} already; nothing to do.")
    else:
        _say(f"Migrated {shown} from schema revision {before or 'base'} to {after or 'base'}.")


@db.command("history")
def db_history() -> None:
    """List the schema revisions this version knows, newest first.

    \b
    Example:
      registry db history
    """
    from heritage_registry import schema

    headers = ("revision", "down_revision", "is_head", "doc")
    rows = [
        [rev.revision, render.scalar(rev.down_revision), render.scalar(rev.is_head), rev.doc]
        for rev in schema.history()
    ]
    click.echo(render.table(headers, rows), nl=False)


# Seed -----------------------------------------------------------------------------

by_option = click.option(
    "--by",
    metavar="NAME",
    help="Who makes the change, for its history (default: your operating-system user name).",
)


@main.command()
@by_option
@click.pass_context
def seed(ctx: click.Context, by: str | None) -> None:
    """Load the shipped seed; safe to run again.

    The seed records damage to Palmyra, Nimrud and the Mosul Museum, each event cited
    from the five source articles. Records already present are kept as they are, so a
    second run adds nothing.

    \b
    Example:
      registry seed
    """
    from heritage_registry.seed import load_seed

    registry = _registry(ctx, write=True)
    report = load_seed(registry, by=by)
    _say(f"Seeded {registry.url}: {report.describe()}.")


# Adding records -------------------------------------------------------------------


@main.command("add-site")
@click.argument("slug")
@click.option("--name", required=True, help="The site's name, e.g. Palmyra.")
@click.option(
    "--country", required=True, metavar="CC", help="ISO 3166-1 alpha-2 country code, e.g. SY."
)
@vocabulary_option(
    "--kind",
    vocabulary=SiteKind,
    metavar="KIND",
    help="What kind of place (default: archaeological_site).",
)
@coordinate_options
@click.option("--unesco-id", type=int, metavar="ID", help="UNESCO World Heritage Centre id.")
@click.option("--wikidata", metavar="QID", help="Wikidata item id, e.g. Q123.")
@alt_name_option
@click.option("--description", metavar="TEXT", help="A description of the site.")
@by_option
@click.pass_context
def add_site(
    ctx: click.Context,
    slug: str,
    name: str,
    country: str,
    kind: str | None,
    lat: float | None,
    lon: float | None,
    unesco_id: int | None,
    wikidata: str | None,
    alt_names: tuple[str, ...],
    description: str | None,
    by: str | None,
) -> None:
    """Add a site: a place such as Palmyra, named by SLUG.

    \b
    Example:
      registry add-site palmyra --name Palmyra --country SY --lat 34.5514 --lon 38.2681 \\
        --unesco-id 23 --alt-name 'تدمر@ar' --alt-name 'Tadmur@en'
    """
    site = _registry(ctx, write=True).add_site(
        by=by,
        slug=slug,
        name=name,
        country=country,
        alt_names=_alt_names(alt_names),
        **_given(
            kind=kind,
            latitude=lat,
            longitude=lon,
            unesco_whc_id=unesco_id,
            wikidata_qid=wikidata,
            description=description,
        ),
    )
    _say(f"Added site {site.slug}.")


@main.command("add-monument")
@click.argument("site")
@click.argument("slug")
@click.option("--name", required=True, help="The monument's name, e.g. 'Temple of Bel'.")
@vocabulary_option(
    "--kind", vocabulary=MonumentKind, metavar="KIND", required=True, help="What it is."
)
@click.option("--built", metavar="EDTF", help="When it was built, e.g. 0032 or 12XX.")
@coordinate_options
@alt_name_option
@click.option("--description", metavar="TEXT", help="A description of the monument.")
@by_option
@click.pass_context
def add_monument(
    ctx: click.Context,
    site: str,
    slug: str,
    name: str,
    kind: str,
    built: str | None,
    lat: float | None,
    lon: float | None,
    alt_names: tuple[str, ...],
    description: str | None,
    by: str | None,
) -> None:
    """Add a monument SLUG to SITE: a part damaged on its own.

    \b
    Example:
      registry add-monument palmyra temple-of-bel --name 'Temple of Bel' \\
        --kind temple --built 0032 --alt-name 'معبد بل@ar'
    """
    monument = _registry(ctx, write=True).add_monument(
        by=by,
        site=site,
        slug=slug,
        name=name,
        kind=kind,
        alt_names=_alt_names(alt_names),
        **_given(built=built, latitude=lat, longitude=lon, description=description),
    )
    _say(f"Added monument {monument.slug} to site {monument.site}.")


@main.command("add-source")
@click.argument("key")
@click.option("--title", required=True, metavar="TEXT", help="The document's title.")
@click.option("--publisher", required=True, metavar="NAME", help="Who published it.")
@click.option("--url", metavar="URL", help="Its web address, https://...")
@click.option("--published", metavar="EDTF", help="When it was published, e.g. 2016-03-27.")
@vocabulary_option(
    "--type",
    "source_type",
    vocabulary=SourceType,
    metavar="TYPE",
    help="What kind of document (default: news_report).",
)
@click.option("--language", metavar="LANG", help="Its BCP 47 language tag, e.g. en, ar.")
@click.option("--author", metavar="NAME", help="Who wrote it.")
@by_option
@click.pass_context
def add_source(
    ctx: click.Context,
    key: str,
    title: str,
    publisher: str,
    url: str | None,
    published: str | None,
    source_type: str | None,
    language: str | None,
    author: str | None,
    by: str | None,
) -> None:
    """Add a source: a document that reports damage, named by KEY.

    \b
    Example:
      registry add-source newarab-2016-03-27 --publisher 'The New Arab' \\
        --title 'Palmyra recaptured in major symbolic victory against IS' \\
        --published 2016-03-27 --language en
    """
    source = _registry(ctx, write=True).add_source(
        by=by,
        key=key,
        title=title,
        publisher=publisher,
        **_given(
            url=url,
            published=published,
            source_type=source_type,
            language=language,
            author=author,
        ),
    )
    _say(f"Added source {source.key}.")


@main.command("add-event")
@click.argument("site")
@click.option("--monument", metavar="SLUG", help="The monument of SITE, if the source names one.")
@vocabulary_option(
    "--cause", vocabulary=Cause, metavar="CAUSE", required=True, help="What was done."
)
@vocabulary_option(
    "--level", vocabulary=DamageLevel, metavar="LEVEL", required=True, help="How bad, worst first."
)
@click.option(
    "--occurred", required=True, metavar="EDTF", help="When, e.g. 2015-08-30 or 2015-05/2016-03."
)
@click.option("--actor", metavar="NAME", help="Who did it.")
@click.option("--description", metavar="TEXT", help="What happened, in your words.")
@citation_options
@by_option
@click.pass_context
def add_event(
    ctx: click.Context,
    site: str,
    monument: str | None,
    cause: str,
    level: str,
    occurred: str,
    actor: str | None,
    description: str | None,
    source: str,
    quote: str | None,
    quote_file: str | None,
    stance: str | None,
    location: str | None,
    date_resolution: str | None,
    via: str | None,
    mentions: tuple[str, ...],
    by: str | None,
) -> None:
    """Add a damage event with its first citation; print its uid.

    The event happened at SITE, or to one --monument of it. Only the new event's uid
    goes to standard output, so that a script can keep it. A source that keeps its text
    (registry attach-text) must hold the quote.

    \b
    Example:
      uid=$(registry add-event palmyra --cause occupation --level unknown \\
        --occurred 2015-05/2016-03-27 --actor 'Islamic State' \\
        --source newarab-2016-03-27 --quote 'since IS seized it in May 2015')
    """
    words = _quote(quote, quote_file)
    event = _registry(ctx, write=True).add_event(
        by=by,
        site=site,
        cause=cause,
        damage_level=level,
        occurred=occurred,
        source=source,
        quote=words,
        **_given(
            monument=monument,
            actor=actor,
            description=description,
            stance=stance,
            location=location,
            date_resolution=date_resolution,
            via=via,
            mentions=list(mentions) or None,
        ),
    )
    where = f"site {event.site}"
    if event.monument:
        where = f"monument {event.monument} of {where}"
    _say(f"Added event {event.uid} to {where}.")
    click.echo(event.uid)


@main.command()
@click.argument("uid")
@citation_options
@click.option(
    "--claimed-occurred",
    metavar="EDTF",
    help="The date this source gives, where it differs from the event's.",
)
@vocabulary_option(
    "--claimed-level",
    vocabulary=DamageLevel,
    metavar="LEVEL",
    help="The level this source gives, where it differs from the event's.",
)
@by_option
@click.pass_context
def cite(
    ctx: click.Context,
    uid: str,
    source: str,
    quote: str | None,
    quote_file: str | None,
    stance: str | None,
    location: str | None,
    date_resolution: str | None,
    via: str | None,
    mentions: tuple[str, ...],
    claimed_occurred: str | None,
    claimed_level: str | None,
    by: str | None,
) -> None:
    """Add another source's statement about the event UID.

    The event's confidence follows from its citations: two independent origins agreeing
    make it corroborated (two publishers relaying one statement, the same --via, are one
    origin); a dispute, or a date or level that conflicts with the event's, makes it
    contested. A claimed date inside the event's, or a level where the event's is
    unknown, adds detail without contesting it. The citation goes into the event's
    history, with who added it (--by). The uid of an event merged into another leads
    there: that event is cited, and a note on standard error says so. A source that keeps
    its text (registry attach-text) must hold the quote: one that is not there is refused,
    with the closest passage.

    \b
    Example:
      registry cite "$uid" --source ians-2016-03-27 \\
        --quote 'The Syrian army fully recaptured the ancient city of Palmyra'
    """
    words = _quote(quote, quote_file)
    registry = _registry(ctx, write=True)
    event = registry.cite(
        uid,
        source=source,
        quote=words,
        **_given(
            stance=stance,
            location=location,
            date_resolution=date_resolution,
            via=via,
            mentions=list(mentions) or None,
            claimed_occurred=claimed_occurred,
            claimed_level=claimed_level,
        ),
        by=by,
    )
    if event.uid != uid:
        _merge_notes(registry.event_trail(uid), "citing")
    _say(f"Cited source {source} on event {event.uid}; its confidence is {event.confidence}.")


def _merge_notes(trail: list[Any], doing: str) -> None:
    """Say, on standard error, which merges a uid was followed through, and to where."""
    from heritage_registry import merges

    for line in merges.notes(trail, doing):
        _say(render.safe_text(line, lines=False))


# Corrections and history -----------------------------------------------------------


def change_options(function: F) -> F:
    """--reason (required) and --by, which every correction records in the history."""
    return click.option(
        "--reason",
        required=True,
        metavar="TEXT",
        help="Why the record changes; kept in its history.",
    )(by_option(function))


def _changed(ctx: click.Context, what: str, changes: dict[str, Any]) -> None:
    if not changes:
        raise click.UsageError(
            f"nothing to change: give an option that sets one of the {what}'s fields"
        )


@main.command("update-event")
@click.argument("uid")
@click.option("--monument", metavar="SLUG", help="Move the event to this monument of its site.")
@vocabulary_option("--cause", vocabulary=Cause, metavar="CAUSE", help="What was done.")
@vocabulary_option("--level", vocabulary=DamageLevel, metavar="LEVEL", help="How bad it was.")
@click.option("--occurred", metavar="EDTF", help="When it happened, e.g. 2015-08~.")
@click.option("--actor", metavar="NAME", help="Who did it, as the sources name them.")
@click.option("--description", metavar="TEXT", help="What happened, in a sentence or two.")
@change_options
@click.pass_context
def update_event(
    ctx: click.Context,
    uid: str,
    monument: str | None,
    cause: str | None,
    level: str | None,
    occurred: str | None,
    actor: str | None,
    description: str | None,
    reason: str,
    by: str | None,
) -> None:
    """Correct the event UID; its old and new values go into its history.

    Its citations stay as they are: add another source's word with `registry cite`.

    \b
    Example:
      registry update-event 93b66f46-7152-4ee7-a52a-ae762d28f389 --level severe \\
        --reason 'UNOSAT imagery of 2016-04-01'
    """
    changes = _given(
        monument=monument,
        cause=cause,
        damage_level=level,
        occurred=occurred,
        actor=actor,
        description=description,
    )
    _changed(ctx, "event", changes)
    event = _registry(ctx, write=True).update_event(uid, reason=reason, by=by, **changes)
    _say(f"Updated event {event.uid}; its confidence is {event.confidence}.")


@main.command("update-site")
@click.argument("slug")
@click.option("--name", help="The site's name.")
@click.option("--country", metavar="CC", help="ISO 3166-1 alpha-2 country code.")
@vocabulary_option("--kind", vocabulary=SiteKind, metavar="KIND", help="What kind of place.")
@coordinate_options
@click.option("--unesco-id", type=int, metavar="ID", help="UNESCO World Heritage Centre id.")
@click.option("--wikidata", metavar="QID", help="Wikidata item id, e.g. Q123.")
@click.option("--description", metavar="TEXT", help="A description of the site.")
@change_options
@click.pass_context
def update_site(
    ctx: click.Context,
    slug: str,
    name: str | None,
    country: str | None,
    kind: str | None,
    lat: float | None,
    lon: float | None,
    unesco_id: int | None,
    wikidata: str | None,
    description: str | None,
    reason: str,
    by: str | None,
) -> None:
    """Correct the site SLUG; its old and new values go into its history.

    \b
    Example:
      registry update-site palmyra --lat 34.5514 --lon 38.2681 --reason 'surveyed centre'
    """
    changes = _given(
        name=name,
        country=country,
        kind=kind,
        latitude=lat,
        longitude=lon,
        unesco_whc_id=unesco_id,
        wikidata_qid=wikidata,
        description=description,
    )
    _changed(ctx, "site", changes)
    site = _registry(ctx, write=True).update_site(slug, reason=reason, by=by, **changes)
    _say(f"Updated site {site.slug}.")


@main.command("update-monument")
@click.argument("site")
@click.argument("slug")
@click.option("--name", help="The monument's name.")
@vocabulary_option("--kind", vocabulary=MonumentKind, metavar="KIND", help="What it is.")
@click.option("--built", metavar="EDTF", help="When it was built, e.g. 0032 or 12XX.")
@coordinate_options
@click.option("--description", metavar="TEXT", help="A description of the monument.")
@change_options
@click.pass_context
def update_monument(
    ctx: click.Context,
    site: str,
    slug: str,
    name: str | None,
    kind: str | None,
    built: str | None,
    lat: float | None,
    lon: float | None,
    description: str | None,
    reason: str,
    by: str | None,
) -> None:
    """Correct the monument SLUG of SITE; its old and new values go into its history.

    \b
    Example:
      registry update-monument palmyra citadel --built 1230~ --reason 'a closer date'
    """
    changes = _given(
        name=name, kind=kind, built=built, latitude=lat, longitude=lon, description=description
    )
    _changed(ctx, "monument", changes)
    monument = _registry(ctx, write=True).update_monument(
        site, slug, reason=reason, by=by, **changes
    )
    _say(f"Updated monument {monument.slug} of site {monument.site}.")


@main.command("update-source")
@click.argument("key")
@click.option("--title", metavar="TEXT", help="The document's title.")
@click.option("--publisher", metavar="NAME", help="Who published it.")
@click.option("--url", metavar="URL", help="Where it can be read.")
@click.option("--published", metavar="EDTF", help="When it was published.")
@vocabulary_option(
    "--type", "source_type", vocabulary=SourceType, metavar="TYPE", help="What it is."
)
@click.option("--language", metavar="TAG", help="Its language, a BCP 47 tag.")
@click.option("--author", metavar="NAME", help="Who wrote it.")
@click.option("--note", metavar="TEXT", help="How its date or publisher was determined.")
@change_options
@click.pass_context
def update_source(
    ctx: click.Context,
    key: str,
    title: str | None,
    publisher: str | None,
    url: str | None,
    published: str | None,
    source_type: str | None,
    language: str | None,
    author: str | None,
    note: str | None,
    reason: str,
    by: str | None,
) -> None:
    """Correct the source KEY; its old and new values go into its history.

    \b
    Example:
      registry update-source ians-2016-03-27 --publisher 'Indo-Asian News Service' \\
        --reason 'full name'
    """
    changes = _given(
        title=title,
        publisher=publisher,
        url=url,
        published=published,
        source_type=source_type,
        language=language,
        author=author,
        note=note,
    )
    _changed(ctx, "source", changes)
    source = _registry(ctx, write=True).update_source(key, reason=reason, by=by, **changes)
    _say(f"Updated source {source.key}.")


@main.command("attach-text")
@click.argument("key")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option(
    "--retrieved", metavar="DATE", help="When it was retrieved, YYYY-MM-DD (default: today)."
)
@click.option("--url", metavar="URL", help="Where it was retrieved from.")
@click.option("--archived-url", metavar="URL", help="Where an archived copy of it is.")
@click.option(
    "--sha256", metavar="HEX", help="Only record the SHA-256 of an original that is not text."
)
@click.option(
    "--hash-file",
    metavar="FILE",
    type=click.Path(dir_okay=False),
    help="Only record the SHA-256 of this file, an original that is not text (a PDF).",
)
@by_option
@click.pass_context
def attach_text(
    ctx: click.Context,
    key: str,
    file: str | None,
    retrieved: str | None,
    url: str | None,
    archived_url: str | None,
    sha256: str | None,
    hash_file: str | None,
    by: str | None,
) -> None:
    """Keep the text the source KEY was read from: FILE, UTF-8.

    The text is kept with its SHA-256 and when and where it was retrieved; from then on a
    quote cited from the source must be in it (runs of whitespace, line breaks,
    typographic quotes and dashes aside), and each citation records where. A source
    known from an original that is not text (a PDF, a video) keeps only its hash:
    --hash-file FILE or --sha256 HEX instead of FILE. Attaching another text replaces
    the first; the source's history keeps the old hash.

    \b
    Example:
      registry attach-text newarab-2016-03-27 article.txt --retrieved 2016-03-28 \\
        --url https://www.newarab.com/... --archived-url https://web.archive.org/...
    """
    from heritage_registry import texts

    if sum(given is not None for given in (file, sha256, hash_file)) != 1:
        raise click.UsageError("give the text's FILE, or --sha256 HEX or --hash-file FILE")
    text = texts.read_text(Path(file)) if file is not None else None
    if hash_file is not None:
        sha256 = texts.file_digest(Path(hash_file))
    kept = _registry(ctx, write=True).attach_text(
        key,
        text,
        retrieved=retrieved,
        url=url,
        archived_url=archived_url,
        sha256=sha256,
        by=by,
    )
    what = f"text ({kept.characters} characters)" if kept.characters is not None else "hash"
    _say(f"Kept the {what} of source {key}: sha256 {kept.sha256}.")


@main.command()
@click.option(
    "--texts",
    "folder",
    metavar="DIR",
    type=click.Path(file_okay=False),
    help="Check against the files in DIR, named after each source's key (or article).",
)
@click.pass_context
def verify(ctx: click.Context, folder: str | None) -> None:
    """Check that every citation's quote is in its source's text.

    Each citation is verified, not found (with the closest passage of the text), or has
    no text to check against; then the counts. Without --texts, the texts sources keep
    (registry attach-text); with it, the files in DIR: KEY, KEY.txt, or the article file
    the seed names for the source. Exits 1 if any quote is not found.

    \b
    Example:
      registry verify --texts ../shared/articles
    """
    from heritage_registry import texts
    from heritage_registry.errors import RegistryError

    report = _registry(ctx).verify(Path(folder) if folder is not None else None)
    click.echo(render.verify_text(report), nl=False)
    missing = report.count(texts.NOT_FOUND)
    if missing:
        raise RegistryError(
            f"{render.plural(missing, 'quote')} not found in {'its' if missing == 1 else 'their'} "
            "source's text"
        )


@main.command()
@click.argument("uid")
@change_options
@click.pass_context
def retract(ctx: click.Context, uid: str, reason: str, by: str | None) -> None:
    """Withdraw the event UID: kept and shown as retracted, left out of counts.

    \b
    Example:
      registry retract 93b66f46-7152-4ee7-a52a-ae762d28f389 --reason 'a duplicate of 3006cef2'
    """
    event = _registry(ctx, write=True).retract_event(uid, reason=reason, by=by)
    _say(f"Retracted event {event.uid}.")


@main.command("duplicates")
@click.option("--site", metavar="SLUG", help="Only the pairs of this site.")
@format_option("text", "json")
@click.pass_context
def duplicates_command(ctx: click.Context, site: str | None, output_format: str) -> None:
    """List pairs of events that may record one incident, strongest first.

    Two events are a pair when they are at one site, their dates may overlap (an open
    end reaches any date), they do not name two different monuments, and they name the
    same known cause or quote the same words; retracted and merged events are left
    out. Each pair shows its reasons (same site, same monument, overlapping dates, same
    cause, same level, shared source, shared quote) and a score weighing them, the same
    words most. Judge each pair; fold one incident recorded twice with 'registry
    merge-events'.

    \b
    Example:
      registry duplicates --site palmyra
      registry duplicates --format json
    """
    pairs = [pair.as_json() for pair in _registry(ctx).duplicates(site)]
    if output_format == "json":
        click.echo(render.json_text(pairs), nl=False)
        return
    click.echo(render.duplicates_text(pairs), nl=False)


@main.command("merge-events")
@click.argument("keep")
@click.argument("other")
@change_options
@click.pass_context
def merge_events(ctx: click.Context, keep: str, other: str, reason: str, by: str | None) -> None:
    """Fold the event OTHER into KEEP: one incident recorded twice.

    OTHER's citations move to KEEP, but for those KEEP has already (the same source,
    quote and location), which are dropped and kept in OTHER's history. OTHER is kept,
    marked merged and counted nowhere; its uid leads to KEEP from then on. Both events'
    histories record the merge, with --reason and --by.

    \b
    Example:
      registry merge-events 3006cef2-57e9-44a2-a1d2-b4ccda24ae0c \\
        93b66f46-7152-4ee7-a52a-ae762d28f389 --reason 'one occupation, two reports'
    """
    merged = _registry(ctx, write=True).merge_events(keep, other, reason=reason, by=by)
    moved = f"{merged.moved} citation{'' if merged.moved == 1 else 's'} moved"
    if merged.dropped:
        moved += f", {merged.dropped} dropped as {'a repeat' if merged.dropped == 1 else 'repeats'}"
    _say(
        f"Merged event {merged.merged.uid} into {merged.event.uid} ({moved}); its confidence "
        f"is {merged.event.confidence}."
    )


# What `registry history` shows of the registry-wide feed without --limit: a screenful.
FEED_LIMIT = 50


@main.command()
@click.argument("uid", required=False)
@click.option("--site", metavar="SLUG", help="The history of this site (with --monument: of it).")
@click.option("--monument", metavar="SLUG", help="The history of this monument of --site.")
@click.option("--source", metavar="KEY", help="The history of this source.")
@click.option(
    "--since",
    metavar="DATE",
    help="Registry-wide: entries at or after this day or time (UTC), e.g. 2026-12-01.",
)
@click.option("--by", "changed_by", metavar="NAME", help="Registry-wide: entries made by NAME.")
@click.option(
    "--limit",
    type=click.IntRange(min=0),
    metavar="N",
    help=f"Registry-wide: the newest N entries (default {FEED_LIMIT}; 0 for all).",
)
@format_option("text", "json", "jsonl")
@click.pass_context
def history(
    ctx: click.Context,
    uid: str | None,
    site: str | None,
    monument: str | None,
    source: str | None,
    since: str | None,
    changed_by: str | None,
    limit: int | None,
    output_format: str,
) -> None:
    """Show the changes to one record, or the registry's latest changes.

    The record is the event UID, a --site, a --monument of it, or a --source. Each
    entry has when, by whom, how (a command, the library, an import, the seed) and why,
    and the fields whose values changed; a creation lists the values the record came
    with. Name no record for the registry's whole history, newest first: every creation,
    correction, citation, retraction, merge and removal, the feed from which a copy of
    the registry keeps itself current (--format jsonl, --since).

    \b
    Example:
      registry history 93b66f46-7152-4ee7-a52a-ae762d28f389
      registry history --site palmyra --monument citadel --format json
      registry history --since 2026-12-01 --by 'Ana Ruiz' --format jsonl
    """
    if monument is not None and site is None:
        raise click.UsageError("--monument needs --site")
    named = [
        (kind, record)
        for kind, record in (
            ("event", uid),
            ("monument", f"{site}/{monument}" if monument else None),
            ("site", site if monument is None else None),
            ("source", source),
        )
        if record is not None
    ]
    if len(named) > 1:
        raise click.UsageError("name one record: a UID, --site [--monument], or --source")
    feed = not named
    if not feed and (since, changed_by, limit) != (None, None, None):
        raise click.UsageError(
            "--since, --by and --limit select from the registry-wide history; name no record"
        )
    if feed:
        wanted = FEED_LIMIT if limit is None else limit or None
        # One more than shown says whether there are more, without counting them all.
        changes = _registry(ctx).changes(
            since=since, by=changed_by, limit=None if wanted is None else wanted + 1
        )
        if wanted is not None and len(changes) > wanted:
            changes = changes[:wanted]
            _say(
                f"Showing the newest {render.plural(wanted, 'change')}; there are more: "
                "--limit 0 shows all, --since narrows."
            )
    else:
        kind, record = named[0]
        changes = _registry(ctx).history(kind, record)
    data = [change.model_dump(mode="json") for change in changes]
    if output_format == "json":
        click.echo(render.json_text(data), nl=False)
    elif output_format == "jsonl":
        for entry in data:
            click.echo(render.json_line(entry), nl=False)
    else:
        click.echo(render.history_text(data, named=feed), nl=False)


# Removing ------------------------------------------------------------------------


@main.group(cls=OrderedGroup)
def remove() -> None:
    """Remove a site, monument or source entered by mistake, with a reason.

    Only a record that nothing refers to can be removed: a cited source, a monument
    that events record or citations mention, a site with monuments or events are
    refused, naming what refers to them. Events are never removed; retract one instead
    (registry retract). The removal, the record's last state and the reason are kept in
    its history (registry history).

    \b
    Example:
      registry remove source newarab-2016-03-72 --reason 'typo for newarab-2016-03-27'
    """


def _removal_options(function: F) -> F:
    function = by_option(function)
    return click.option(
        "--reason", required=True, metavar="TEXT", help="Why it is removed (kept in history)."
    )(function)


@remove.command("site")
@click.argument("slug")
@_removal_options
@click.pass_context
def remove_site(ctx: click.Context, slug: str, reason: str, by: str | None) -> None:
    """Remove the site SLUG, on which nothing is recorded.

    \b
    Example:
      registry remove site palmira --reason 'misspelt; the site is palmyra'
    """
    removed = _registry(ctx, write=True).remove_site(slug, reason=reason, by=by)
    _say(f"Removed site {removed.slug}; its history is kept.")


@remove.command("monument")
@click.argument("site")
@click.argument("slug")
@_removal_options
@click.pass_context
def remove_monument(ctx: click.Context, site: str, slug: str, reason: str, by: str | None) -> None:
    """Remove the monument SLUG of SITE, to which nothing refers.

    \b
    Example:
      registry remove monument palmyra temple-of-bell --reason 'typo for temple-of-bel'
    """
    removed = _registry(ctx, write=True).remove_monument(site, slug, reason=reason, by=by)
    _say(f"Removed monument {removed.slug} of site {removed.site}; its history is kept.")


@remove.command("source")
@click.argument("key")
@_removal_options
@click.pass_context
def remove_source(ctx: click.Context, key: str, reason: str, by: str | None) -> None:
    """Remove the source KEY, which no event cites.

    \b
    Example:
      registry remove source newarab-2016-03-72 --reason 'typo for newarab-2016-03-27'
    """
    removed = _registry(ctx, write=True).remove_source(key, reason=reason, by=by)
    _say(f"Removed source {removed.key}; its history is kept.")


# Listing --------------------------------------------------------------------------


class ListCommand(ForgivingCommand):
    """A `list` subcommand whose unknown options say which kind of record they filter."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.NoSuchOption as exc:
            group = ctx.parent.command if ctx.parent else None
            if not isinstance(group, click.Group):
                raise
            owners = [
                name
                for name, command in group.commands.items()
                if any(exc.option_name in param.opts for param in command.params)
            ]
            if not owners:
                raise
            uses = ", ".join(f"list {name}" for name in owners)
            raise click.NoSuchOption(
                exc.option_name,
                message=f"{exc.option_name} does not apply to list {self.name}; use it with {uses}",
                ctx=ctx,
            ) from None


@main.group("list", cls=OrderedGroup)
def list_group() -> None:
    """List sites, monuments, sources or events.

    As a table (the main columns, long cells cut to 40 characters, "…" marking the
    cut), as JSON (every field, a list of records), as JSON Lines (every field, one
    record a line, written as it is read, for any number of records) or as CSV (every
    field; lists such as alt_names and citations as JSON in their cell). --limit and
    --offset give a page of the records; -o writes them to a file, whole or not at all.

    \b
    Example:
      registry list events --site palmyra --since 2015-08 --format csv
      registry list events --format jsonl --limit 100 --offset 200 -o events.jsonl
    """


LIST_FORMATS = ("table", "json", "jsonl", "csv")


def list_options(function: F) -> F:
    """--format, --limit, --offset and -o/--output, which every `list` command takes."""
    for decorator in reversed(
        [
            format_option(*LIST_FORMATS),
            click.option(
                "--limit",
                type=click.IntRange(min=0),
                metavar="N",
                help="List at most N records.",
            ),
            click.option(
                "--offset",
                type=click.IntRange(min=0),
                default=0,
                metavar="N",
                help="Skip the first N records; with --limit, a page (--limit 50 --offset 100).",
            ),
            click.option(
                "-o",
                "--output",
                metavar="FILE",
                help="Write to FILE instead of standard output. It appears whole or not at "
                "all, and missing folders are created.",
            ),
        ]
    ):
        function = decorator(function)
    return function


# One encoder for every line, compact as `registry export`'s lines are.
_JSON_LINE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _write_records(
    kind: str, model: type[Any], records: Iterable[Any], output_format: str, output: str | None
) -> None:
    """Write `records` in `output_format` to standard output, or to the file `output`.

    JSON Lines is written a record at a time, as `records` yields them; the other
    formats need them all. Written to a file, the records are counted on standard error.
    """
    count = 0
    with _output(output or "-") as out:
        if output_format == "jsonl":
            for record in records:
                out.write(_JSON_LINE.encode(record.model_dump(mode="json")) + "\n")
                count += 1
        else:
            data = [record.model_dump(mode="json") for record in records]
            count = len(data)
            if output_format == "json":
                out.write(render.json_text(data))
            elif output_format == "csv":
                out.write(render.records_csv(list(model.model_fields), data))
            else:
                out.write(render.records_table(kind, data))
    if output not in (None, "-"):
        _say(f"Wrote {render.plural(count, kind.removesuffix('s'))} to {output}.")


@list_group.command("sites", cls=ListCommand)
@click.option("--country", metavar="CC", help="Only sites in this country, e.g. SY.")
@vocabulary_option("--kind", vocabulary=SiteKind, metavar="KIND", help="Only sites of this kind.")
@list_options
@click.pass_context
def list_sites(
    ctx: click.Context,
    country: str | None,
    kind: str | None,
    output_format: str,
    limit: int | None,
    offset: int,
    output: str | None,
) -> None:
    """List sites, ordered by slug.

    \b
    Example:
      registry list sites --country IQ
    """
    from heritage_registry.models import SitePublic

    sites = _registry(ctx).list_sites(country=country, kind=kind, limit=limit, offset=offset)
    _write_records("sites", SitePublic, sites, output_format, output)


@list_group.command("monuments", cls=ListCommand)
@click.option(
    "--site",
    metavar="SLUG",
    shell_complete=completion.sites,
    help="Only the monuments of this site.",
)
@vocabulary_option(
    "--kind", vocabulary=MonumentKind, metavar="KIND", help="Only monuments of this kind."
)
@list_options
@click.pass_context
def list_monuments(
    ctx: click.Context,
    site: str | None,
    kind: str | None,
    output_format: str,
    limit: int | None,
    offset: int,
    output: str | None,
) -> None:
    """List monuments, ordered by site slug, then monument slug.

    \b
    Example:
      registry list monuments --site palmyra --kind temple
    """
    from heritage_registry.models import MonumentPublic

    monuments = _registry(ctx).list_monuments(site=site, kind=kind, limit=limit, offset=offset)
    _write_records("monuments", MonumentPublic, monuments, output_format, output)


@list_group.command("sources", cls=ListCommand)
@click.option(
    "--site",
    metavar="SLUG",
    shell_complete=completion.sites,
    help="Only sources cited on this site's events.",
)
@list_options
@click.pass_context
def list_sources(
    ctx: click.Context,
    site: str | None,
    output_format: str,
    limit: int | None,
    offset: int,
    output: str | None,
) -> None:
    """List sources, ordered by key.

    \b
    Example:
      registry list sources --site palmyra --format json
    """
    from heritage_registry.models import SourcePublic

    sources = _registry(ctx).list_sources(site=site, limit=limit, offset=offset)
    _write_records("sources", SourcePublic, sources, output_format, output)


@list_group.command("events", cls=ListCommand)
@click.option(
    "--site", metavar="SLUG", shell_complete=completion.sites, help="Only events at this site."
)
@click.option(
    "--monument",
    metavar="SLUG",
    shell_complete=completion.monuments,
    help="Only events of this monument (needs --site).",
)
@vocabulary_option("--cause", vocabulary=Cause, metavar="CAUSE", help="Only events of this cause.")
@vocabulary_option(
    "--level", vocabulary=DamageLevel, metavar="LEVEL", help="Only events of this damage level."
)
@vocabulary_option(
    "--confidence",
    vocabulary=Confidence,
    metavar="CONFIDENCE",
    help="Only events of this confidence.",
)
@click.option("--since", metavar="EDTF", help="Only events that may have happened since then.")
@click.option("--until", metavar="EDTF", help="Only events that may have happened until then.")
@list_options
@click.pass_context
def list_events(
    ctx: click.Context,
    site: str | None,
    monument: str | None,
    cause: str | None,
    level: str | None,
    confidence: str | None,
    since: str | None,
    until: str | None,
    output_format: str,
    limit: int | None,
    offset: int,
    output: str | None,
) -> None:
    """List damage events in date order.

    Ordered by earliest date (events whose start is open or unknown first), then latest
    date, then uid.

    An event whose dates may overlap the --since/--until window is listed; an open or
    unknown end counts as reaching into it. --format jsonl reads the events a page at a
    time, so that any number of them can be listed.

    \b
    Example:
      registry list events --site palmyra --cause explosives --since 2015-08
      registry list events --format jsonl -o events.jsonl
    """
    from heritage_registry.models import DamageEventPublic

    if monument is not None and site is None:
        raise click.UsageError(
            "--monument needs --site: a monument's slug is unique only in its site."
        )
    registry = _registry(ctx)
    filters: dict[str, Any] = {
        "site": site,
        "monument": monument,
        "cause": cause,
        "damage_level": level,
        "confidence": confidence,
        "since": since,
        "until": until,
    }
    events: Iterable[DamageEventPublic]
    if output_format == "jsonl":
        # Checked here, before any file is opened: iter_events refuses bad filters at once.
        stream = registry.iter_events(**filters)
        events = itertools.islice(stream, offset, None if limit is None else offset + limit)
    else:
        events = registry.list_events(**filters, limit=limit, offset=offset)
    _write_records("events", DamageEventPublic, events, output_format, output)


# Showing --------------------------------------------------------------------------


@main.group(cls=OrderedGroup)
def show() -> None:
    """Show one site, monument, source or event.

    As text (labelled fields, empty ones left out) or as JSON (the record's every
    field, an object).

    \b
    Example:
      registry show site palmyra
      registry show event "$uid" --format json
    """


def _print_json(record: Any) -> None:
    click.echo(render.json_text(record.model_dump(mode="json")), nl=False)


SHOW_FORMATS = ("text", "json")


@show.command("site")
@click.argument("slug")
@format_option(*SHOW_FORMATS)
@click.pass_context
def show_site(ctx: click.Context, slug: str, output_format: str) -> None:
    """Show the site SLUG, its monuments and how many events it has.

    JSON is the site's record alone; 'registry list monuments --site SLUG --format json'
    gives its monuments.

    \b
    Example:
      registry show site palmyra
    """
    registry = _registry(ctx)
    site = registry.get_site(slug)
    if output_format == "json":
        _print_json(site)
        return
    monuments = [item.model_dump(mode="json") for item in registry.list_monuments(site=slug)]
    # The library has no event count; listing the events is the one way to get it.
    events = registry.count_events(site=slug)
    click.echo(render.site_text(site.model_dump(mode="json"), monuments, events), nl=False)


@show.command("monument")
@click.argument("site")
@click.argument("slug")
@format_option(*SHOW_FORMATS)
@click.pass_context
def show_monument(ctx: click.Context, site: str, slug: str, output_format: str) -> None:
    """Show the monument SLUG of SITE and how many events it has.

    \b
    Example:
      registry show monument palmyra temple-of-bel
    """
    registry = _registry(ctx)
    monument = registry.get_monument(site, slug)
    if output_format == "json":
        _print_json(monument)
        return
    events = registry.count_events(site=site, monument=slug)
    click.echo(render.monument_text(monument.model_dump(mode="json"), events), nl=False)


@show.command("source")
@click.argument("key")
@format_option(*SHOW_FORMATS)
@click.pass_context
def show_source(ctx: click.Context, key: str, output_format: str) -> None:
    """Show the source KEY.

    \b
    Example:
      registry show source newarab-2016-03-27
    """
    from heritage_registry.models import SourceWithText

    registry = _registry(ctx)
    source = registry.get_source(key)
    kept = registry.source_text(key)
    if output_format == "json":
        # The text's fields appear where the source keeps one.
        _print_json(source if kept is None else SourceWithText(**dict(source), text=kept))
        return
    text = None if kept is None else kept.model_dump(mode="json")
    click.echo(render.source_text(source.model_dump(mode="json"), text), nl=False)


@show.command("event")
@click.argument("uid")
@format_option(*SHOW_FORMATS)
@click.pass_context
def show_event(ctx: click.Context, uid: str, output_format: str) -> None:
    """Show the event UID with its confidence and every citation.

    The uid of an event merged into another leads there: that event is shown, and a note
    on standard error says so ('registry history UID' shows the merged event's own
    history).

    \b
    Example:
      registry show event 3006cef2-57e9-44a2-a1d2-b4ccda24ae0c --format json
    """
    trail = _registry(ctx).event_trail(uid)
    _merge_notes(trail, "showing")
    event = trail[-1]
    if output_format == "json":
        _print_json(event)
        return
    click.echo(render.event_text(event.model_dump(mode="json")), nl=False)


# Summaries ------------------------------------------------------------------------


def summary_languages() -> tuple[str, ...]:
    """The languages `summary --lang` offers (a folder listing: no Babel, no pydantic)."""
    from heritage_registry.i18n import available

    return available()


@main.command()
@click.argument("site", required=False)
@click.option(
    "--all",
    "all_sites",
    is_flag=True,
    help="Summarise every site: one file each, plus an index, into the folder -o names.",
)
@format_option("text", "markdown", "json", "html")
@click.option(
    "--lang",
    default="en",
    show_default=True,
    metavar="CODE",
    help="The summary's language, one of: "
    + ", ".join(summary_languages())
    + ". Quotes, descriptions and titles stay as recorded.",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    metavar="PATH",
    help="Write to this file (with --all: into this folder) instead of standard output. "
    "Each file appears whole or not at all, and missing folders are created.",
)
@click.pass_context
def summary(
    ctx: click.Context,
    site: str | None,
    all_sites: bool,
    output_format: str,
    lang: str,
    output: Path | None,
) -> None:
    """Write the damage summary of SITE, or of every site with --all.

    The summary shows the site's monuments (with the events that mention them), a
    timeline of its events with every citation, where sources disagree, what sources
    add (dates and levels that refine the record), and the sources cited. html is one
    self-contained page; json follows the schema shipped in the package. The same
    records always give the same bytes: the summary is dated by the registry's
    latest recorded change, never by the clock.

    \b
    Example:
      registry summary palmyra
      registry summary palmyra --format html -o palmyra.html
      registry summary --all --format markdown -o summaries/
      registry summary palmyra --lang ar --format html -o palmyra.ar.html
    """
    from heritage_registry import i18n
    from heritage_registry import summary as summaries

    if all_sites == (site is not None):
        raise click.UsageError("give a SITE, or --all with -o FOLDER")
    i18n.language(lang)  # an unknown language is refused before anything is read
    if all_sites:
        if output is None:
            raise click.UsageError("--all writes one file per site: give the folder with -o")
        registry = _registry(ctx)
        with _progress_bar("Summarising") as progress:
            written = summaries.write_all(
                registry, output, output_format, progress=progress, lang=lang
            )
        _say(f"Wrote {len(written) - 1} site summaries and {written[-1].name} to {output}.")
        return
    assert site is not None
    text = summaries.render(summaries.build_summary(_registry(ctx), site), output_format, lang=lang)
    if output is None:
        click.echo(text, nl=False)
        return
    from heritage_registry import files

    files.write_text(output, text)
    _say(f"Wrote {output}.")


# Exchange -------------------------------------------------------------------------

EXPORT_FORMATS = ("jsonl", "csv", "geojson")


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


@main.command("export")
@click.option(
    "-o",
    "--output",
    default="-",
    metavar="FILE",
    help="Where to write; - (the default) is standard output. A file appears whole or not "
    "at all, and missing folders are created.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(EXPORT_FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl: every record, lossless; csv: one row per event, plus FILE's "
    ".sources.csv; geojson: located sites and monuments with their worst level.",
)
@click.pass_context
def export(ctx: click.Context, output: str, output_format: str) -> None:
    """Write the whole registry to a file.

    JSON Lines (the default) carries every record and the times they were recorded, and
    `registry import` reads it back unchanged, into SQLite or PostgreSQL. CSV is for
    spreadsheets: cells that a spreadsheet would run as formulas start with an
    apostrophe; `registry import` reads both files back unchanged (the sources file
    first, into a registry that holds the sites and monuments). GeoJSON opens in QGIS.

    \b
    Example:
      registry export -o registry.jsonl
      registry export --format csv -o events.csv     # and events.sources.csv
      registry export --format geojson -o damage.geojson
    """

    from heritage_registry import exchange, formats

    registry = _registry(ctx)
    if output_format == "jsonl":
        # Lines written to the terminal would run through a bar drawn on it.
        on_screen = output == "-" and sys.stdout.isatty()
        with _output(output) as out, _progress_bar("Exporting", hidden=on_screen) as progress:
            counts = exchange.export_jsonl(registry, out, progress=progress)
        described = ", ".join(
            render.plural(count, kind.removesuffix("s"))
            for kind, count in counts.items()
            if kind != "changes" or count
        )
        _say(f"Exported {described}.")
    elif output_format == "csv":
        if output == "-":
            raise click.UsageError("CSV export writes two files; name the first with -o FILE")
        from pathlib import Path

        from heritage_registry import files

        sources_path = str(Path(output).with_suffix(".sources.csv"))
        # Both files appear together, or, if either cannot be written, neither.
        with files.atomic_texts(output, sources_path) as (events_out, sources_out):
            events = formats.export_events_csv(registry, events_out)
            sources = formats.export_sources_csv(registry, sources_out)
        _say(
            f"Exported {render.plural(events, 'event')} to {output} and "
            f"{render.plural(sources, 'source')} to {sources_path}."
        )
    else:
        with _output(output) as out:
            located = formats.write_geojson(registry, out)
        _say(f"Exported {located} located sites and monuments.")


@main.command("import")
@click.argument("file", type=click.File("rb"))
@click.option(
    "--format",
    "input_format",
    type=click.Choice(("jsonl", "csv")),
    help="The file's format. Default: csv for a .csv file, else jsonl.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Check FILE against the registry as an import would and say what it would add; "
    "write nothing.",
)
@click.option(
    "--by",
    metavar="NAME",
    help="Who adds the citations given by an event's uid alone, for their history (default: "
    "your operating-system user name).",
)
@click.pass_context
def import_(
    ctx: click.Context, file: Any, input_format: str | None, dry_run: bool, by: str | None
) -> None:
    """Import FILE (- for standard input): JSON Lines from `registry export`, or CSV.

    The whole file is checked before anything is written: each problem is reported on a
    line of its own with its line number and field (the first 100, then how many more),
    and the registry is left as it was. --dry-run checks the same and says what the
    import would add. Records already present (same slug, key or uid) are kept; an event
    already present gains the citations it lacks, so importing a file twice adds
    nothing.

    CSV is read in the layout `registry export --format csv` writes (one row per event;
    import its .sources.csv first), or one row per citation in the columns: site, cause,
    damage_level, occurred, source, quote (required), uid, monument, actor, description,
    stance, location, claimed_occurred, claimed_level, date_resolution, via, mentions.
    The sites, monuments and sources that CSV events name must be in the registry.

    To add citations to an event already there, give its uid and the citations only: a
    JSON Lines line {"uid": "...", "citations": [{"source": "...", "quote": "..."}]}, or a
    CSV row with uid, source and quote and the event's columns empty. History records
    each as `registry cite` does.

    \b
    Example:
      registry import --dry-run registry.jsonl
      registry import registry.jsonl
      registry export | registry --db postgresql://me@db.example.org/registry import -
      registry import events.sources.csv && registry import events.csv
    """
    from heritage_registry import exchange, formats

    # A dry run creates no registry: there must be one to check against.
    registry = _registry(ctx, write=not dry_run)
    name = str(getattr(file, "name", "<stdin>"))
    chosen = input_format or ("csv" if name.lower().endswith(".csv") else "jsonl")
    importer = formats.import_csv if chosen == "csv" else exchange.import_jsonl
    try:
        with _progress_bar("Checking" if dry_run else "Writing") as progress:
            report = importer(registry, file, progress=progress, dry_run=dry_run, by=by)
    except exchange.UnreadableFile as exc:
        # A file of the wrong kind is best named: `events.jsonl does not look like CSV`.
        if name.startswith("<"):
            raise
        raise click.ClickException(exc.naming(name)) from None
    except exchange.ImportProblems as exc:
        raise click.ClickException(exc.naming(name)) from None
    if dry_run:
        _say(f"Checked {name}: {report.describe()}; nothing was written (--dry-run).")
    else:
        _say(f"Imported {name}: {report.describe()}.")


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


def _attach_completions() -> None:
    """Give the parameters of COMPLETIONS their completion, where they have none yet.

    Set here, in one table, rather than in each command's declaration; a command or
    parameter that is not there is passed over (a test checks that each is).
    """
    for path, completers in COMPLETIONS.items():
        command: click.Command | None = main
        for name in path:
            command = command.commands.get(name) if isinstance(command, click.Group) else None
        for param in command.params if command is not None else []:
            completer = completers.get(param.name or "")
            if completer is not None and param._custom_shell_complete is None:
                param._custom_shell_complete = completer


_attach_completions()
