"""`registry update-*`, `retract`, `duplicates`, `merge-events` and `remove`:
correcting the records, each change kept in their history with its reason."""

from __future__ import annotations

from typing import Any

import click

from heritage_registry import render
from heritage_registry.cli import OrderedGroup
from heritage_registry.cli.common import (
    F,
    _given,
    _registry,
    _say,
    by_option,
    coordinate_options,
    format_option,
    vocabulary_option,
)
from heritage_registry.cli.forgiving import ForgivingCommand
from heritage_registry.vocab import Cause, DamageLevel, MonumentKind, SiteKind, SourceType

# Corrections ----------------------------------------------------------------------


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


@click.command("update-event", cls=ForgivingCommand)
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


@click.command("update-site", cls=ForgivingCommand)
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


@click.command("update-monument", cls=ForgivingCommand)
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


@click.command("update-source", cls=ForgivingCommand)
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


@click.command(cls=ForgivingCommand)
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


@click.command("duplicates", cls=ForgivingCommand)
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
    # Written a pair at a time: a registry of a million events has hundreds of thousands.
    pairs = (pair.as_json() for pair in _registry(ctx).duplicates(site))
    parts = (
        render.json_array_parts(pairs)
        if output_format == "json"
        else render.duplicates_text_parts(pairs)
    )
    for part in parts:
        click.echo(part, nl=False)


@click.command("merge-events", cls=ForgivingCommand)
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


# Removing ------------------------------------------------------------------------


@click.group(cls=OrderedGroup)
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
