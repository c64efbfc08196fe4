"""`registry list`, `show` and `history`: reading the records, as tables, text, JSON,
JSON Lines or CSV."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import click

from heritage_registry import completion, render
from heritage_registry.cli import OrderedGroup
from heritage_registry.cli.common import (
    F,
    _merge_notes,
    _output,
    _registry,
    _say,
    format_option,
    vocabulary_option,
)
from heritage_registry.cli.forgiving import ForgivingCommand
from heritage_registry.vocab import Cause, Confidence, DamageLevel, MonumentKind, SiteKind

# History --------------------------------------------------------------------------

# What `registry history` shows of the registry-wide feed without --limit: a screenful.
FEED_LIMIT = 50


@click.command(cls=ForgivingCommand)
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
    changes: Iterable[Any]
    # The feed's stream, and how many of it are shown, to tell whether there are more.
    more: Iterator[Any] | None = None
    shown = 0
    if feed:
        wanted = FEED_LIMIT if limit is None else limit or None
        # Streamed: the whole feed of a large registry is more than memory holds. One
        # more than shown says whether there are more, without counting them all.
        stream = _registry(ctx).iter_changes(
            since=since, by=changed_by, limit=None if wanted is None else wanted + 1
        )
        changes = stream
        if wanted is not None:
            changes, more, shown = itertools.islice(stream, wanted), stream, wanted
    else:
        kind, record = named[0]
        changes = _registry(ctx).history(kind, record)
    data = (change.model_dump(mode="json") for change in changes)
    parts: Iterable[str]
    if output_format == "json":
        parts = render.json_array_parts(data)
    elif output_format == "jsonl":
        parts = (render.json_line(entry) for entry in data)
    else:
        parts = render.history_text_parts(data, named=feed)
    with _output("-") as out:
        out.writelines(parts)
    if more is not None and next(more, None) is not None:
        _say(
            f"Showing the newest {render.plural(shown, 'change')}; there are more: "
            "--limit 0 shows all, --since narrows."
        )


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


@click.group("list", cls=OrderedGroup)
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


def _write_records(
    kind: str, model: type[Any], records: Iterable[Any], output_format: str, output: str | None
) -> None:
    """Write `records` in `output_format` to standard output, or to the file `output`.

    Each format is written a record at a time, as `records` yields them (a table's
    columns are sized once the last is read: `render.table_parts`), so that a stream of
    records (`Registry.iter_events`) is never held whole. Written to a file, the records
    are counted on standard error.
    """
    counted = [0]

    def dumped() -> Iterator[dict[str, Any]]:
        for record in records:
            counted[0] += 1
            yield record.model_dump(mode="json")

    parts: Iterable[str]
    if output_format == "jsonl":
        parts = (render.json_line(data) for data in dumped())
    elif output_format == "json":
        parts = render.json_array_parts(dumped())
    elif output_format == "csv":
        parts = render.records_csv_parts(list(model.model_fields), dumped())
    else:
        parts = render.records_table_parts(kind, dumped())
    with _output(output or "-") as out:
        out.writelines(parts)
    if output not in (None, "-"):
        _say(f"Wrote {render.plural(counted[0], kind.removesuffix('s'))} to {output}.")


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

    sites = _registry(ctx).iter_sites(country=country, kind=kind, limit=limit, offset=offset)
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

    monuments = _registry(ctx).iter_monuments(site=site, kind=kind, limit=limit, offset=offset)
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

    sources = _registry(ctx).iter_sources(site=site, limit=limit, offset=offset)
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
    unknown end counts as reaching into it. The events are read and written a page at a
    time in every format, so that any number of them can be listed.

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
    # Checked here, before any file is opened: iter_events refuses bad filters at once.
    stream = registry.iter_events(**filters)
    events = itertools.islice(stream, offset, None if limit is None else offset + limit)
    _write_records("events", DamageEventPublic, events, output_format, output)


# Showing --------------------------------------------------------------------------


@click.group(cls=OrderedGroup)
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
