"""`registry add-site`, `add-monument`, `add-source`, `add-event` and `cite`: adding
records, each event with the words of the sources that report it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from heritage_registry.cli.common import (
    F,
    _given,
    _merge_notes,
    _registry,
    _say,
    by_option,
    coordinate_options,
    vocabulary_option,
)
from heritage_registry.cli.forgiving import ForgivingCommand
from heritage_registry.vocab import Cause, DamageLevel, MonumentKind, SiteKind, SourceType, Stance

if TYPE_CHECKING:
    from heritage_registry.models import AltName


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


# Adding records -------------------------------------------------------------------


@click.command("add-site", cls=ForgivingCommand)
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


@click.command("add-monument", cls=ForgivingCommand)
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


@click.command("add-source", cls=ForgivingCommand)
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


@click.command("add-event", cls=ForgivingCommand)
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


@click.command(cls=ForgivingCommand)
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
