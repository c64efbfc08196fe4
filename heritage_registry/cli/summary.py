"""`registry summary`: a site's damage summary, or every site's, in text, Markdown,
JSON or HTML, in each language the package has a catalogue for."""

from __future__ import annotations

from pathlib import Path

import click

from heritage_registry.cli.common import _progress_bar, _registry, _say, format_option
from heritage_registry.cli.forgiving import ForgivingCommand

# Summaries ------------------------------------------------------------------------


def summary_languages() -> tuple[str, ...]:
    """The languages `summary --lang` offers (a folder listing: no Babel, no pydantic)."""
    from heritage_registry.i18n import available

    return available()


@click.command(cls=ForgivingCommand)
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
