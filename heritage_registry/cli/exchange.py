"""`registry export` and `import`: the whole registry to and from JSON Lines, CSV,
GeoJSON (export only) and Frictionless data packages."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from heritage_registry import render
from heritage_registry.cli.common import _output, _progress_bar, _registry, _say
from heritage_registry.cli.forgiving import ForgivingCommand

# Exchange -------------------------------------------------------------------------

EXPORT_FORMATS = ("jsonl", "csv", "geojson", "datapackage")


@click.command("export", cls=ForgivingCommand)
@click.option(
    "-o",
    "--output",
    default="-",
    metavar="FILE",
    help="Where to write; - (the default) is standard output. A file appears whole or not "
    "at all, and missing folders are created. A data package is a folder: give it here.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(EXPORT_FORMATS),
    default="jsonl",
    show_default=True,
    help="jsonl: every record, lossless; csv: one row per event, plus FILE's "
    ".sources.csv; geojson: located sites and monuments with their worst level; "
    "datapackage: every record, lossless (the sources' texts only with --with-texts), as "
    "CSV tables with a Frictionless "
    "datapackage.json, into the folder -o names.",
)
@click.option(
    "--title",
    metavar="TEXT",
    help="datapackage: the package's title (default: heritage-registry export).",
)
@click.option(
    "--licence",
    metavar="LICENCE",
    help="datapackage: the data's licence, an SPDX id (CC-BY-4.0, CC0-1.0, ODbL-1.0...) or a URL.",
)
@click.option(
    "--contributor",
    "contributors",
    multiple=True,
    metavar="'NAME <EMAIL>'",
    help="datapackage: a contributor, the email optional; repeat for each.",
)
@click.option(
    "--citation",
    metavar="TEXT",
    help="datapackage: how to cite the data (default: made of the contributors, title and date).",
)
@click.option(
    "--metadata",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE.toml",
    help="datapackage: title, description, version, licence, contributors, citation and "
    "keywords from a TOML file; the options above override it.",
)
@click.option(
    "--with-texts",
    is_flag=True,
    help="datapackage: put the sources' texts themselves in source_texts.csv, which "
    "otherwise gives only their hashes and where they came from (do not publish articles "
    "you may not republish).",
)
@click.pass_context
def export(
    ctx: click.Context,
    output: str,
    output_format: str,
    title: str | None,
    licence: str | None,
    contributors: tuple[str, ...],
    citation: str | None,
    metadata: Path | None,
    with_texts: bool,
) -> None:
    """Write the whole registry to a file.

    JSON Lines (the default) carries every record and the times they were recorded, and
    `registry import` reads it back unchanged, into SQLite or PostgreSQL. CSV is for
    spreadsheets: cells that a spreadsheet would run as formulas start with an
    apostrophe; `registry import` reads both files back unchanged (the sources file
    first, into a registry that holds the sites and monuments). GeoJSON opens in QGIS.

    A data package (--format datapackage -o DIR) writes sites.csv, monuments.csv,
    sources.csv, source_texts.csv (what each source keeps of its text: its hash and where
    it came from; the text itself only with --with-texts), events.csv, citations.csv and
    history.csv and a datapackage.json that
    types them, lists each vocabulary, and gives their keys, title, licence,
    contributors and a suggested citation; `frictionless validate` accepts it, pandas
    reads it, and `registry import DIR` reads it back unchanged. DIR is created if
    missing; a folder with other files in it is refused, unless it holds an earlier
    package, which is replaced.

    \b
    Example:
      registry export -o registry.jsonl
      registry export --format csv -o events.csv     # and events.sources.csv
      registry export --format geojson -o damage.geojson
      registry export --format datapackage -o registry-package --licence CC-BY-4.0 \\
          --contributor 'Ana Lopez <ana@example.org>' --metadata package.toml
      registry export --format datapackage -o backup-package --with-texts
    """
    _package_options(output_format, title, licence, contributors, citation, metadata)
    if with_texts and output_format != "datapackage":
        raise click.UsageError(
            "--with-texts adds the texts to a data package: give it with --format "
            "datapackage (JSON Lines always carries them)"
        )
    if output_format == "datapackage":
        _export_package(
            ctx, output, title, licence, contributors, citation, metadata, with_texts=with_texts
        )
        return

    from heritage_registry import exchange

    registry = _registry(ctx)
    if output_format == "jsonl":
        # Lines written to the terminal would run through a bar drawn on it.
        on_screen = output == "-" and sys.stdout.isatty()
        with _output(output) as out, _progress_bar("Exporting", hidden=on_screen) as progress:
            counts = exchange.export_jsonl(registry, out, progress=progress)
        described = ", ".join(
            render.plural(count, kind.removesuffix("s"))
            for kind, count in counts.items()
            if kind not in ("texts", "changes") or count
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
            events = exchange.export_events_csv(registry, events_out)
            sources = exchange.export_sources_csv(registry, sources_out)
        _say(
            f"Exported {render.plural(events, 'event')} to {output} and "
            f"{render.plural(sources, 'source')} to {sources_path}."
        )
    else:
        with _output(output) as out:
            located = exchange.write_geojson(registry, out)
        _say(f"Exported {located} located sites and monuments.")


def _package_options(output_format: str, *options: Any) -> None:
    """Refuse the data package's options with another format."""
    if output_format != "datapackage" and any(options):
        raise click.UsageError(
            "--title, --licence, --contributor, --citation and --metadata describe a data "
            "package: give them with --format datapackage"
        )


def _export_package(
    ctx: click.Context,
    output: str,
    title: str | None,
    licence: str | None,
    contributors: tuple[str, ...],
    citation: str | None,
    metadata: Path | None,
    *,
    with_texts: bool = False,
) -> None:
    """`registry export --format datapackage`: the package's metadata read and checked
    before the registry is opened, so that a bad file or option writes nothing."""
    from heritage_registry.exchange import datapackage

    if output == "-":
        raise click.UsageError("a data package is a folder of files; name it with -o DIR")
    described = (
        datapackage.PackageMetadata.from_toml(metadata)
        if metadata is not None
        else datapackage.PackageMetadata()
    )
    described = described.replace(
        title=title.strip() if title and title.strip() else None,
        licence=datapackage.licence(licence) if licence is not None else None,
        contributors=tuple(datapackage.contributor(person) for person in contributors) or None,
        citation=citation.strip() if citation and citation.strip() else None,
    )
    counts = datapackage.export_datapackage(
        _registry(ctx), output, described, with_texts=with_texts
    )
    shown = ", ".join(
        render.plural(count, kind.removesuffix("s"))
        for kind, count in counts.items()
        if kind not in ("texts", "changes") or count
    )
    left_out = (
        " The texts themselves are left out, their hashes kept: --with-texts adds them."
        if counts["texts"] and not with_texts
        else ""
    )
    _say(f"Exported {shown} to {output} as a data package ({datapackage.DESCRIPTOR}).{left_out}")


class _FileOrPackage(click.File):
    """A file, opened as click.File opens it; or a data package (a folder, or its
    datapackage.json), passed on as its path for `heritage_registry.exchange.datapackage`."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str | Path) and str(value) != "-":
            path = Path(value)
            if path.is_dir() or (path.name == "datapackage.json" and path.is_file()):
                return path
        return super().convert(value, param, ctx)


@click.command("import", cls=ForgivingCommand)
@click.argument("file", type=_FileOrPackage("rb"))
@click.option(
    "--format",
    "input_format",
    type=click.Choice(("jsonl", "csv")),
    help="The file's format. Default: csv for a .csv file, else jsonl; a folder is a data package.",
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
    """Import FILE (- for standard input): JSON Lines, CSV or a data package folder.

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

    A data package from `registry export --format datapackage` is imported from its
    folder (or its datapackage.json): every table is checked first, each problem named
    by its table and row (the header is row 1). A row of citations.csv whose event is
    not in events.csv adds that citation to the registry's event with that uid.

    \b
    Example:
      registry import --dry-run registry.jsonl
      registry import registry.jsonl
      registry import registry-package/
      registry export | registry --db postgresql://me@db.example.org/registry import -
      registry import events.sources.csv && registry import events.csv
    """
    from heritage_registry import exchange

    if isinstance(file, Path):
        _import_package(ctx, file, input_format, dry_run, by)
        return
    # A dry run creates no registry: there must be one to check against.
    registry = _registry(ctx, write=not dry_run)
    name = str(getattr(file, "name", "<stdin>"))
    chosen = input_format or ("csv" if name.lower().endswith(".csv") else "jsonl")
    importer = exchange.import_csv if chosen == "csv" else exchange.import_jsonl
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


def _import_package(
    ctx: click.Context, path: Path, input_format: str | None, dry_run: bool, by: str | None
) -> None:
    """`registry import DIR`: a data package, from its folder or its datapackage.json."""
    from heritage_registry.exchange import datapackage

    if input_format is not None:
        raise click.UsageError(
            f"{path} is a data package, read as one; leave out --format {input_format}"
        )
    registry = _registry(ctx, write=not dry_run)
    try:
        with _progress_bar("Checking" if dry_run else "Writing") as progress:
            report = datapackage.import_datapackage(
                registry, path, progress=progress, dry_run=dry_run, by=by
            )
    except datapackage.PackageProblems as exc:
        raise click.ClickException(exc.naming(str(path))) from None
    if dry_run:
        _say(f"Checked {path}: {report.describe()}; nothing was written (--dry-run).")
    else:
        _say(f"Imported {path}: {report.describe()}.")
