"""`registry attach-text` and `verify`: the texts sources were read from, and the
check that every quote is in its source's text."""

from __future__ import annotations

from pathlib import Path

import click

from heritage_registry import render
from heritage_registry.cli.common import _registry, _say, by_option
from heritage_registry.cli.forgiving import ForgivingCommand


@click.command("attach-text", cls=ForgivingCommand)
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


@click.command(cls=ForgivingCommand)
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
