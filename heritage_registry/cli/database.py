"""`registry init`, `info`, `db` and `seed`: the database itself, its schema and the
shipped seed."""

from __future__ import annotations

from typing import Any

import click

from heritage_registry import render
from heritage_registry.cli import OrderedGroup
from heritage_registry.cli.common import (
    _engine,
    _registry,
    _say,
    _shown_url,
    by_option,
    format_option,
)
from heritage_registry.cli.forgiving import ForgivingCommand

# Database -------------------------------------------------------------------------


@click.command(cls=ForgivingCommand)
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


@click.command(cls=ForgivingCommand)
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


@click.group(cls=OrderedGroup)
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


@click.command(cls=ForgivingCommand)
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
