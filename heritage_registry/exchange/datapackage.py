"""Data package: the registry as CSV tables with a Frictionless `datapackage.json`.

`export_datapackage` writes the whole registry into a folder, one CSV table per kind of
record, and a `datapackage.json` (profile `tabular-data-package`) that describes them:
each table's fields with their types, the vocabularies as `enum` constraints, primary
and foreign keys, and the package's title, licence, contributors and suggested citation
(`PackageMetadata`, from options or a small TOML file, `PackageMetadata.from_toml`).
`frictionless validate DIR/datapackage.json` accepts it, and pandas reads every table.

The tables (`TABLES`), their names and paths fixed:

- `sites.csv`, `monuments.csv`, `sources.csv`, `events.csv`: one row per record, the
  columns the fields of its JSON Lines record (`exchange.records`);
- `source_texts.csv`: what each source keeps of its text, by source key: its provenance
  (hash, length, when and where it was retrieved), not the text itself, which a published
  dataset must not republish (news articles are under copyright); `with_texts` adds a
  `text` column with it. Imported without the texts, a source keeps only the hash, as
  `registry attach-text --sha256` keeps it; with them, the package round-trips whole;
- `citations.csv`: one row per citation, `event` naming its event's uid and `number`
  its place among that event's citations (1 first);
- `history.csv`: one row per history entry, in the order they were made (`number`).

Cells are UTF-8, rows end with `\\n`, an empty cell is no value. A list or a mapping
(alternative names, mentions, a change's old and new state) is a cell of compact JSON,
typed `array` or `object`; a time the registry recorded is an ISO 8601 `datetime` in
UTC; an EDTF date is a `string` (described, as no pattern can check EDTF). Cells are
written as they are: no apostrophe before a leading `=`, as the spreadsheet CSV export
adds, since a data package is read by programs.

Frictionless cannot check a reference whose part may be empty, so an event's monument
is not declared a foreign key of `monuments.csv`; `registry import` checks it, as it
checks every reference.

`import_datapackage` reads a package back (its folder or its `datapackage.json`): each
row becomes the record the JSON Lines import takes, every citation joined to its event,
so that the same validation and bulk writer add it (`exchange.importing`). A
citation whose event is not in `events.csv` adds that citation to the event of the
registry with that uid, as a JSON Lines line of citations does. A problem names the
table and the row (the header is row 1, as frictionless and spreadsheets count).
Values the registry derives (EDTF bounds, confidence) are not written: they are
derived again on import.

The tables' schemas are in `exchange.package_schema`, the package's metadata and its
descriptor in `exchange.package_metadata`; this module writes and reads the files.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import sqlite3
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from heritage_registry import files
from heritage_registry.errors import CannotWrite, RegistryError
from heritage_registry.exchange.importing import import_records
from heritage_registry.exchange.package_metadata import (
    LICENCES,
    BadMetadata,
    PackageMetadata,
    contributor,
    descriptor,
    licence,
)
from heritage_registry.exchange.package_schema import (
    CITATIONS,
    DESCRIPTOR,
    EVENTS,
    HISTORY,
    MONUMENTS,
    SITES,
    SOURCE_TEXTS,
    SOURCE_TEXTS_WITH_TEXT,
    SOURCES,
    TABLES,
    VERSION,
    Table,
    tables,
)
from heritage_registry.exchange.problems import BadLine, ImportFailed, ImportProblems
from heritage_registry.exchange.reading import (
    MAX_LINE_BYTES,
    csv_field_limit,
    peek_head,
    unreadable_head,
)
from heritage_registry.exchange.records import (
    REPORT_KINDS,
    ImportReport,
    Progress,
    iter_change_records,
    iter_event_records,
    iter_monument_records,
    iter_site_records,
    iter_source_records,
    iter_text_records,
)
from heritage_registry.registry import Registry


class BadPackage(RegistryError):
    """A folder or `datapackage.json` that is not a data package the registry can read."""


# Each table read by its widest form: `source_texts.csv` with its texts or without.
_BY_NAME = {table.name: table for table in tables(with_texts=True)}
# The exchange record's `type` of each table's rows.
_KINDS = {
    "sites": "site",
    "monuments": "monument",
    "sources": "source",
    "source_texts": "text",
    "events": "event",
}
# Columns written for the package, read from the order of its rows or derived (a text's
# length): not part of a record.
_NUMBERING = frozenset({"number", "characters"})


# Export ---------------------------------------------------------------------------

_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return _JSON.encode(value)
    return value


def _row(table: Table, record: Mapping[str, Any], **extra: Any) -> list[Any]:
    values = {**record, **extra}
    missing = set(values) - set(table.columns) - {"type", "citations"}
    if missing:
        # A field the exchange record gained, which this table would drop without a word.
        raise RuntimeError(f"{table.path} has no column for {sorted(missing)}")
    return [_cell(values.get(name)) for name in table.columns]


def _writer(out: IO[str], table: Table) -> Any:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(table.columns)
    return writer


def _check_folder(folder: Path) -> None:
    """Refuse a file, and a folder with files in it that is no earlier package's."""
    shown = str(folder)
    if folder.exists() and not folder.is_dir():
        raise CannotWrite(shown, "it is a file, not a folder", "give a folder for the package")
    if not folder.is_dir() or not any(folder.iterdir()):
        return
    try:
        earlier = json.loads((folder / DESCRIPTOR).read_text("utf-8"))
    except (OSError, ValueError):
        earlier = None
    if not isinstance(earlier, dict) or "heritage_registry" not in earlier:
        raise CannotWrite(
            shown,
            "the folder has files in it and is not a data package from 'registry export'",
            "give a new or empty folder, or the folder of an earlier export to replace it",
            state="nothing was written",
        )


def export_datapackage(
    registry: Registry,
    directory: str | Path,
    metadata: PackageMetadata | None = None,
    *,
    created: dt.datetime | None = None,
    page: int = 1_000,
    with_texts: bool = False,
) -> dict[str, int]:
    """Write the whole registry into `directory` as a data package; returns the counts.

    `source_texts.csv` gives what each source keeps of its text, without the texts
    themselves unless `with_texts`: a dataset published must not republish the articles
    its sources are, and imported without them, a source keeps only its text's hash.

    The folder is created if missing. One that holds other files is refused
    (`CannotWrite`) unless it holds an earlier export's `datapackage.json`, whose tables
    and descriptor are replaced; other files in it are left alone. The tables and the
    descriptor appear together, each whole, or none of them (`heritage_registry.files`).
    `created` dates the package (default: now).
    """
    metadata = metadata or PackageMetadata()
    created = created or dt.datetime.now(dt.UTC)
    folder = Path(directory)
    _check_folder(folder)
    written = tables(with_texts=with_texts)
    paths = [folder / table.path for table in written]
    counts = dict.fromkeys(REPORT_KINDS, 0)
    with files.atomic_texts(*paths, folder / DESCRIPTOR) as handles:
        *outs, out = handles
        writers = {
            table.name: _writer(handle, table) for table, handle in zip(written, outs, strict=True)
        }
        for table, records in (
            (SITES, iter_site_records(registry, page=page)),
            (MONUMENTS, iter_monument_records(registry, page=page)),
            (SOURCES, iter_source_records(registry, page=page)),
        ):
            writer = writers[table.name]
            for record in records:
                writer.writerow(_row(table, record))
                counts[table.name] += 1
        text_table = written[TABLES.index(SOURCE_TEXTS)]
        for record in iter_text_records(registry, page=page):
            text = record["text"]
            characters = len(text) if text is not None else None
            if not with_texts:
                record = {name: value for name, value in record.items() if name != "text"}
            writers[text_table.name].writerow(_row(text_table, record, characters=characters))
            counts["texts"] += 1
        events, citations = writers["events"], writers["citations"]
        for record in iter_event_records(registry, page=page):
            events.writerow(_row(EVENTS, record))
            counts["events"] += 1
            for number, citation in enumerate(record["citations"], 1):
                citations.writerow(_row(CITATIONS, citation, event=record["uid"], number=number))
                counts["citations"] += 1
        history = writers["history"]
        for number, change in enumerate(iter_change_records(registry, page=page), 1):
            history.writerow(_row(HISTORY, change, number=number))
            counts["changes"] = number
        package = descriptor(
            metadata,
            created=created,
            schema_revision=registry.schema_revision(),
            counts=counts,
            tables=written,
        )
        out.write(json.dumps(package, ensure_ascii=False, indent=2) + "\n")
    return counts


# Import ---------------------------------------------------------------------------

# A record's number in the import is its table's place (1 for sites.csv, ...) times this,
# plus its row: one number that the problems found are named back from.
_STRIDE = 10**12
_NUMBERED_LINE = re.compile(r"\bline (\d{13,})\b")
_CITATION_FIELD = re.compile(r"citation (\d+)'s (.*)", re.DOTALL)
_ORDER = {table.name: place for place, table in enumerate(TABLES, 1)}
# What a batch of events looks up its citations by.
_EVENT_BATCH = 500


def _place(number: int) -> str:
    """`citations.csv row 5`, from an import's record number."""
    table, row = divmod(number, _STRIDE)
    if not 1 <= table <= len(TABLES):
        return "the package"
    return f"{TABLES[table - 1].path} row {row}"


class PackageProblems(ImportProblems):
    """Problems of a data package, each named by its table and row (`events.csv row 3`).

    One problem is said on its own, `events.csv row 3: ...`; several have a header line
    that names the package, as the other formats' problems do. A problem's number is
    its record's in the import (`_STRIDE`), which says its table and row.
    """

    def where(self, line: int) -> str:
        return _place(line)

    def naming(self, name: str) -> str:
        if self.count == 1:
            return self.listed()[0]
        return super().naming(name)

    def __str__(self) -> str:
        return self.naming("the package")


def find_package(path: str | Path) -> Path | None:
    """The `datapackage.json` that `path` names (a folder holding one, or the file), or None."""
    given = Path(path)
    if given.is_dir():
        return given / DESCRIPTOR
    if given.name == DESCRIPTOR and given.is_file():
        return given
    return None


def _tables(descriptor_path: Path) -> list[tuple[Table, Path]]:
    """The registry's tables the descriptor lists, in import order, with their files."""
    shown = str(descriptor_path)
    if not descriptor_path.is_file():
        raise BadPackage(
            f"no {DESCRIPTOR} in {descriptor_path.parent}; give the folder of a data package "
            "from 'registry export --format datapackage'"
        )
    try:
        package = json.loads(descriptor_path.read_text("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadPackage(f"{shown} is not JSON: {exc}") from None
    if not isinstance(package, dict) or not isinstance(package.get("resources"), list):
        raise BadPackage(f"{shown} is not a data package: it has no list of resources")
    mark = package.get("heritage_registry")
    if (
        isinstance(mark, dict)
        and isinstance(mark.get("version"), int)
        and mark["version"] > VERSION
    ):
        raise BadPackage(
            f"{shown} is a version {mark['version']} package; this heritage-registry reads "
            f"version {VERSION}: upgrade heritage-registry"
        )
    found: dict[str, Path] = {}
    for resource in package["resources"]:
        name = resource.get("name") if isinstance(resource, dict) else None
        if name not in _BY_NAME:
            raise BadPackage(
                f"{shown}: unknown resource {name!r}; the registry's tables are "
                + ", ".join(table.name for table in TABLES)
            )
        relative = resource.get("path")
        if (
            not isinstance(relative, str)
            or Path(relative).is_absolute()
            or ".." in Path(relative).parts
            or "://" in relative
        ):
            raise BadPackage(
                f"{shown}: resource {name!r} needs a path to a file in the package's folder"
            )
        found[name] = descriptor_path.parent / relative
    return [(_BY_NAME[table.name], found[table.name]) for table in TABLES if table.name in found]


class _Reader:
    """The package's rows as exchange records, numbered `table place * _STRIDE + row`."""

    def __init__(self, tables: list[tuple[Table, Path]]) -> None:
        self.tables = tables
        self.rows = 0
        self._dir = tempfile.TemporaryDirectory(prefix="heritage-registry-package-")
        self.db = sqlite3.connect(Path(self._dir.name) / "citations.db")
        self.db.executescript(
            """
            PRAGMA journal_mode = OFF;
            PRAGMA synchronous = OFF;
            CREATE TABLE citation (n INTEGER PRIMARY KEY, event TEXT, body TEXT, problem TEXT);
            CREATE INDEX citation_event ON citation (event, n);
            CREATE TABLE cited (event_n INTEGER, position INTEGER, n INTEGER,
                                PRIMARY KEY (event_n, position)) WITHOUT ROWID;
            """
        )

    def close(self) -> None:
        self.db.close()
        self._dir.cleanup()

    def citation_row(self, event_number: int, position: int) -> int | None:
        """The number of the row of citations.csv that an event's citation came from."""
        found = self.db.execute(
            "SELECT n FROM cited WHERE event_n = ? AND position = ?", (event_number, position)
        ).fetchone()
        return int(found[0]) if found else None

    def records(self) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
        by_name = dict((table.name, path) for table, path in self.tables)
        if "citations" in by_name:
            self._stage_citations(by_name["citations"])
        for table, path in self.tables:
            if table is CITATIONS:
                yield from self._uncited()
            elif table is EVENTS:
                yield from self._events(path)
            else:
                yield from self._rows(table, path)

    # Rows ---------------------------------------------------------------------------

    def _rows(self, table: Table, path: Path) -> Iterator[tuple[int, dict[str, Any] | Any]]:
        base = _ORDER[table.name] * _STRIDE
        try:
            raw = path.open("rb")
        except FileNotFoundError:
            raise ImportFailed(
                base + 1, f"missing: {DESCRIPTOR} lists it, but the folder has no such file"
            ) from None
        # A cell may hold a source's whole text (`--with-texts`), which may be as long as
        # a line of JSON Lines may.
        with raw, csv_field_limit(MAX_LINE_BYTES):
            head, stream = peek_head(raw)
            problem = unreadable_head(head, "a CSV file saved as UTF-8")
            if problem is not None:
                raise ImportFailed(base + 1, f"the file {problem}")
            # strict: a file cut off inside a quoted cell is an error, not a shorter cell.
            reader = csv.reader(
                io.TextIOWrapper(stream, encoding="utf-8-sig", newline=""), strict=True
            )
            row = 1
            try:
                header = next(reader, None)
                if header is None:
                    raise ImportFailed(base + 1, "empty; it needs a header row")
                self._check_header(table, header, base + 1)
                for row, cells in enumerate(reader, 2):
                    self.rows += 1
                    yield base + row, self._record(table, header, cells)
            except UnicodeDecodeError:
                raise ImportFailed(base + row + 1, "not UTF-8; save the file as UTF-8") from None
            except csv.Error as exc:
                raise ImportFailed(base + row + 1, f"not CSV: {exc}") from None

    def _check_header(self, table: Table, header: list[str], number: int) -> None:
        unknown = [name for name in header if name not in table.columns]
        if unknown:
            raise ImportFailed(
                number,
                f"unknown column {unknown[0]!r}; the columns of {table.path} are: "
                + ", ".join(table.columns),
            )
        twice = sorted({name for name in header if header.count(name) > 1})
        if twice:
            raise ImportFailed(number, f"column {twice[0]!r} is given twice")
        missing = [name for name in table.primary_key if name not in header]
        if missing:
            raise ImportFailed(
                number, f"no column {missing[0]!r}, which names each row of {table.path}"
            )

    def _record(
        self, table: Table, header: list[str], cells: list[str]
    ) -> dict[str, Any] | BadLine:
        if len(cells) != len(header):
            return BadLine(f"{len(cells)} cells, but the header has {len(header)} columns")
        record: dict[str, Any] = {"type": _KINDS[table.name]} if table.name in _KINDS else {}
        if table is HISTORY:
            record["type"] = "change"
        for name, value in zip(header, cells, strict=True):
            if name in _NUMBERING:
                continue
            kind = table.kinds[name]
            if value == "":
                # No value, but a required text left empty is said to be so: `empty`.
                if name in table.texts:
                    record[name] = value
            elif kind in ("array", "object"):
                try:
                    record[name] = json.loads(value)
                except ValueError as exc:
                    return BadLine(f"{name}: not JSON ({exc})")
            else:
                record[name] = value
        return record

    # Citations ----------------------------------------------------------------------

    def _stage_citations(self, path: Path) -> None:
        staged: list[tuple[int, str, str | None, str | None]] = []
        for number, record in self._rows(CITATIONS, path):
            if isinstance(record, BadLine):
                staged.append((number, "", None, record.problem))
                continue
            event = str(record.pop("event", "")).strip().lower()
            record.pop("type", None)
            staged.append((number, event, json.dumps(record), None))
            if len(staged) >= 10_000:
                self._stage(staged)
                staged = []
        self._stage(staged)

    def _stage(self, staged: list[tuple[int, str, str | None, str | None]]) -> None:
        self.db.executemany("INSERT INTO citation VALUES (?, ?, ?, ?)", staged)

    def _events(self, path: Path) -> Iterator[tuple[int, dict[str, Any] | Any]]:
        batch: list[tuple[int, dict[str, Any] | Any]] = []
        for item in self._rows(EVENTS, path):
            batch.append(item)
            if len(batch) >= _EVENT_BATCH:
                yield from self._with_citations(batch)
                batch = []
        yield from self._with_citations(batch)

    def _with_citations(
        self, batch: list[tuple[int, dict[str, Any] | Any]]
    ) -> Iterator[tuple[int, dict[str, Any] | Any]]:
        uids = {
            str(record.get("uid", "")).strip().lower()
            for _number, record in batch
            if isinstance(record, dict)
        }
        uids.discard("")
        cited: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        if uids:
            marks = ",".join("?" * len(uids))
            for number, event, body in self.db.execute(
                f"SELECT n, event, body FROM citation WHERE problem IS NULL AND event IN ({marks}) "
                "ORDER BY n",
                sorted(uids),
            ):
                cited.setdefault(event, []).append((number, json.loads(body)))
            self.db.execute(
                f"DELETE FROM citation WHERE problem IS NULL AND event IN ({marks})", sorted(uids)
            )
        for number, record in batch:
            if isinstance(record, dict):
                # A uid given twice is one event: its first row gets the citations.
                given = cited.pop(str(record.get("uid", "")).strip().lower(), [])
                record["citations"] = [citation for _row, citation in given]
                self.db.executemany(
                    "INSERT INTO cited VALUES (?, ?, ?)",
                    [(number, position, row) for position, (row, _) in enumerate(given, 1)],
                )
            yield number, record

    def _uncited(self) -> Iterator[tuple[int, dict[str, Any] | Any]]:
        """The citations whose event is not in events.csv: for events of the registry."""
        firsts = self.db.execute(
            "SELECT event, MIN(n) FROM citation GROUP BY event ORDER BY MIN(n)"
        ).fetchall()
        for event, first in firsts:
            rows = self.db.execute(
                "SELECT n, body, problem FROM citation WHERE event = ? ORDER BY n", (event,)
            ).fetchall()
            good = [(number, json.loads(body)) for number, body, problem in rows if problem is None]
            for number, _body, problem in rows:
                if problem is not None:
                    yield number, BadLine(problem)
            if not good:
                continue
            if not event:
                for number, _citation in good:
                    yield number, BadLine("event: empty; give the uid of the event cited")
                continue
            self.db.executemany(
                "INSERT INTO cited VALUES (?, ?, ?)",
                [(first, position, row) for position, (row, _) in enumerate(good, 1)],
            )
            yield (
                first,
                {
                    "type": "cite",
                    "uid": event,
                    "citations": [citation for _row, citation in good],
                },
            )


def _located(reader: _Reader, number: int, problem: str) -> tuple[int, str]:
    """A problem of record `number`, citations' problems moved to their own rows."""
    problem = _NUMBERED_LINE.sub(lambda match: _place(int(match[1])), problem)
    match = _CITATION_FIELD.fullmatch(problem)
    if match is not None:
        row = reader.citation_row(number, int(match[1]))
        if row is not None:
            return row, match[2]
    return number, problem


def import_datapackage(
    registry: Registry,
    path: str | Path,
    *,
    progress: Progress | None = None,
    dry_run: bool = False,
    by: str | None = None,
) -> ImportReport:
    """Import a data package from its folder or its `datapackage.json`.

    Every table is checked before anything is written, as a JSON Lines file is
    (`exchange.importing`): a package with problems raises `PackageProblems`, each
    problem named by table and row, and writes nothing; records already present are
    kept. A package the registry cannot read at all raises `BadPackage`.
    """
    found = find_package(path)
    if found is None:
        raise BadPackage(
            f"{path} is neither a folder nor a {DESCRIPTOR}; give the folder of a data package"
        )
    reader = _Reader(_tables(found))
    try:
        try:
            report = import_records(
                registry, reader.records(), progress=progress, dry_run=dry_run, by=by
            )
        except ImportFailed as exc:
            # In the order of the tables and their rows, a citation's after its event's.
            located = sorted(
                (_located(reader, number, problem) for number, problem in exc.problems),
                key=lambda item: item[0],
            )
            raise PackageProblems(located, exc.more) from None
        report.lines = reader.rows
        return report
    finally:
        reader.close()


__all__ = [
    "CITATIONS",
    "DESCRIPTOR",
    "EVENTS",
    "HISTORY",
    "LICENCES",
    "MONUMENTS",
    "SITES",
    "SOURCES",
    "SOURCE_TEXTS",
    "SOURCE_TEXTS_WITH_TEXT",
    "TABLES",
    "VERSION",
    "BadMetadata",
    "BadPackage",
    "PackageMetadata",
    "PackageProblems",
    "Table",
    "contributor",
    "descriptor",
    "export_datapackage",
    "find_package",
    "import_datapackage",
    "licence",
]
