"""CSV: export of events and of sources, import of events (or sources) in three layouts.

CSV export writes one row per event, its site, monument and citations flattened into
numbered columns (`citation_1_source`, `citation_1_quote`, ...), plus a file of the
sources. A cell that a spreadsheet would run as a formula (one starting with `=`, `+`,
`-`, `@`, a tab or a carriage return) is written with a leading apostrophe, which the
CSV import takes off again (a cell that starts with an apostrophe before such a
character gains one more, so that it too comes back as it was).

CSV import reads three layouts, told apart by their header:

- the export's own (`EVENT_COLUMNS` and the numbered citation columns), one row per
  event: what `registry export --format csv` writes, `registry import` reads back
  unchanged. The columns the registry derives (`site_name`, `country`,
  `monument_name`, `earliest`, `latest`, `confidence`, `citation_count`) are there to
  read and are not imported: the registry derives them again.
- the export's sources file (`SOURCE_COLUMNS`), one row per source; import it before the
  events that cite its sources.
- `CSV_COLUMNS`, one row per citation, for writing by hand: rows that give the same uid,
  or, without a uid, the same event facts, are one event.

In either events layout, a row that gives a uid and citation columns and leaves every
event column empty adds its citations to that event, which must be in the registry or
on an earlier row; in `CSV_COLUMNS`, a file of such rows needs only the columns `uid`,
`source` and `quote` (and any other citation columns). Every layout goes through the
same validation and bulk writer as the JSON Lines import, and a problem names its
column.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterator, Mapping
from typing import IO, Any

import sqlalchemy as sa

from heritage_registry import confidence, dates
from heritage_registry.exchange.importing import import_records
from heritage_registry.exchange.problems import BadLine, ImportFailed, UnreadableFile
from heritage_registry.exchange.reading import (
    CSV_FIELD_LIMIT,
    MAX_LINE_BYTES,
    csv_field_limit,
    peek_head,
    unreadable_head,
)
from heritage_registry.exchange.records import (
    FACT_FIELDS,
    ImportReport,
    Progress,
    fact_uid,
    iter_event_records,
    iter_source_records,
)
from heritage_registry.registry import Registry
from heritage_registry.render import FORMULA_STARTS, neutralise
from heritage_registry.vocab import DamageLevel

EVENT_COLUMNS = [
    "uid",
    "site",
    "site_name",
    "country",
    "monument",
    "monument_name",
    "cause",
    "damage_level",
    "occurred",
    "earliest",
    "latest",
    "actor",
    "description",
    "confidence",
    "retracted_at",
    "retraction_reason",
    "merged_into",
    "recorded_at",
    "citation_count",
]
CITATION_COLUMNS = [
    "source",
    "quote",
    "stance",
    "location",
    "claimed_occurred",
    "claimed_level",
    "date_resolution",
    "via",
    "mentions",
]
# A citation's mentions in one CSV cell: monument slugs, which hold no semicolon.
MENTIONS_SEPARATOR = "; "
SOURCE_COLUMNS = [
    "key",
    "title",
    "publisher",
    "author",
    "url",
    "language",
    "published",
    "source_type",
    "note",
]

# The layout CSV import reads for rows written by hand: one row per citation. Required
# columns first: the event's (unless the rows give uids) and the citation's.
CSV_REQUIRED = ["site", "cause", "damage_level", "occurred", "source", "quote"]
EVENT_REQUIRED = CSV_REQUIRED[:4]
CSV_COLUMNS = [
    *CSV_REQUIRED,
    "uid",
    "monument",
    "actor",
    "description",
    "stance",
    "location",
    "claimed_occurred",
    "claimed_level",
    "date_resolution",
    "via",
    "mentions",
]


# The export's columns that the registry derives: read by people, not imported.
DERIVED_COLUMNS = frozenset(
    ["site_name", "country", "monument_name", "earliest", "latest", "confidence", "citation_count"]
)
# The export's columns that an event row imports, as the exchange record's fields.
_EXPORT_EVENT_FIELDS = [
    name for name in EVENT_COLUMNS if name not in DERIVED_COLUMNS and name != "uid"
]
# The columns of an event (in the hand-written layout), all empty on a row of citations.
_ROW_EVENT_FIELDS = list(FACT_FIELDS)
_NUMBERED = re.compile(r"citation_([1-9][0-9]*)_([a-z_]+)")


def _restore(value: str) -> str:
    """A cell as it was before export: less the apostrophe `_cell` put before it."""
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_STARTS):
        return value[1:]
    return value


def _cell(value: Any) -> Any:
    """A value as a CSV cell that no spreadsheet runs (`neutralise`), and that `_restore`
    gives back as it was, a leading apostrophe included."""
    if isinstance(value, str) and value.startswith("'"):
        return "'" + value if value.lstrip("'").startswith(FORMULA_STARTS) else value
    return neutralise(value)


# CSV export -----------------------------------------------------------------------


def export_events_csv(registry: Registry, out: IO[str]) -> int:
    """Write every event as one CSV row; returns the number of rows.

    The names of each event's site, monument and sources are read with its page of
    events, so that memory holds a page, however large the registry.
    """
    with registry.engine.connect() as connection:
        widest = connection.execute(
            sa.text(
                "SELECT COALESCE(MAX(n), 0) FROM "
                "(SELECT COUNT(*) AS n FROM source_citation GROUP BY event_id) AS counted"
            )
        ).scalar_one()
    header = list(EVENT_COLUMNS)
    for number in range(1, widest + 1):
        header += [f"citation_{number}_{name}" for name in CITATION_COLUMNS]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    rows = 0
    for record in iter_event_records(registry, named=True):
        level = DamageLevel(record["damage_level"])
        derived = confidence.derive(
            occurred=record["occurred"],
            damage_level=level,
            retracted=record["retracted_at"] is not None,
            merged=record.get("merged_into") is not None,
            attestations=[
                confidence.attestation(
                    stance=c["stance"],
                    publisher=c["publisher"],
                    source=c["source"],
                    via=c.get("via"),
                    claimed_occurred=c["claimed_occurred"],
                    claimed_level=c["claimed_level"],
                )
                for c in record["citations"]
            ],
        )
        span = dates.bounds(record["occurred"])
        values: dict[str, Any] = {
            **record,
            "earliest": span.earliest.isoformat() if span.earliest else None,
            "latest": span.latest.isoformat() if span.latest else None,
            "confidence": derived.value,
            "citation_count": len(record["citations"]),
        }
        cells = [values.get(name) for name in EVENT_COLUMNS]
        for citation in record["citations"]:
            cells += [
                MENTIONS_SEPARATOR.join(citation[name]) if name == "mentions" else citation[name]
                for name in CITATION_COLUMNS
            ]
        cells += [None] * (len(header) - len(cells))
        writer.writerow(["" if cell is None else _cell(cell) for cell in cells])
        rows += 1
    return rows


def export_sources_csv(registry: Registry, out: IO[str]) -> int:
    """Write every source as one CSV row, by key; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SOURCE_COLUMNS)
    rows = 0
    for record in iter_source_records(registry):
        writer.writerow(
            ["" if record[name] is None else _cell(record[name]) for name in SOURCE_COLUMNS]
        )
        rows += 1
    return rows


# CSV import -----------------------------------------------------------------------


def _bounded_lines(text: IO[str]) -> Iterator[str]:
    """The lines of `text`, refusing one longer than an import line may be.

    The csv module takes a line whole before its field limit applies; reading at most
    the limit keeps a file of one endless line from filling the memory first.
    """
    number = 0
    while line := text.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise ImportFailed(number, f"longer than {MAX_LINE_BYTES:,} characters; split the row")
        yield line


def _check_head(head: bytes) -> None:
    """Refuse a file whose start shows it is no CSV: UTF-16, binary, or JSON Lines."""
    problem = unreadable_head(head, "a CSV file saved as UTF-8")
    if problem is not None:
        raise UnreadableFile(1, problem)
    if head.removeprefix(codecs.BOM_UTF8).lstrip()[:1] in (b"{", b"["):
        raise UnreadableFile(
            1,
            "does not look like CSV: its first line is JSON; is it JSON Lines? use --format jsonl",
        )


class CsvRecords:
    """The exchange records of a CSV file in one of the layouts above, by line number,
    and the names its columns give a record's fields (`field_name`).

    The layout is known once the header is read, as the records are: `field_name` names
    a field by the columns of this file's layout.
    """

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream
        self.layout = "rows"

    def field_name(self, loc: tuple[int | str, ...]) -> str:
        """The column that holds the field pydantic located at `loc` in a record."""
        if not loc:
            return ""
        if loc[0] != "citations" or len(loc) < 2:
            return str(loc[0])
        if self.layout == "export":
            number = int(loc[1]) + 1
            return f"citation_{number}_{loc[2]}" if len(loc) > 2 else f"citation {number}"
        return str(loc[2]) if len(loc) > 2 else ""

    def __iter__(self) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
        with csv_field_limit(CSV_FIELD_LIMIT):
            yield from self._records()

    def _records(self) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
        head, stream = peek_head(self.stream)
        _check_head(head)
        try:
            text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
            # strict: a file cut off inside a quoted cell is an error, not a shorter quote.
            reader = csv.DictReader(_bounded_lines(text), strict=True)
            columns = list(reader.fieldnames or [])
        except UnicodeDecodeError:
            raise ImportFailed(1, "not UTF-8; save the file as UTF-8") from None
        except csv.Error as exc:
            raise ImportFailed(1, f"not valid CSV ({exc})") from None
        self.layout = _layout(columns)
        widest = _check_columns(self.layout, columns)
        try:
            for row in reader:
                number = reader.line_num
                if None in row:
                    yield number, BadLine("more cells than the header has columns")
                    continue
                cells = {name: _restore(value) for name, value in row.items() if value}
                if self.layout == "sources":
                    yield number, {"type": "source", **cells}
                elif self.layout == "export":
                    citations = [_citation(cells, f"citation_{n}_") for n in range(1, widest + 1)]
                    while citations and not citations[-1]:
                        citations.pop()
                    yield number, _event(cells, _EXPORT_EVENT_FIELDS, citations)
                else:
                    yield number, _event(cells, _ROW_EVENT_FIELDS, [_citation(cells, "")])
        except UnicodeDecodeError:
            raise ImportFailed(reader.line_num + 1, "not UTF-8; save the file as UTF-8") from None
        except csv.Error as exc:
            # The reader counts a line once it has read it whole; the bad one is the next.
            raise ImportFailed(reader.line_num + 1, f"not valid CSV ({exc})") from None


def _layout(columns: list[str]) -> str:
    """Which layout a header is: `export`, `sources` or `rows` (`CSV_COLUMNS`)."""
    if "key" in columns and set(columns) <= set(SOURCE_COLUMNS):
        return "sources"
    exported = DERIVED_COLUMNS | set(EVENT_COLUMNS) - set(CSV_COLUMNS)
    if any(name in exported or _NUMBERED.fullmatch(name) for name in columns):
        return "export"
    return "rows"


def _check_columns(layout: str, columns: list[str]) -> int:
    """Refuse a header that lacks a column its layout needs, or has one it does not;
    returns how many numbered citations its columns hold."""
    twice = sorted({name for name in columns if columns.count(name) > 1})
    if twice:
        raise ImportFailed(1, f"the column(s) {', '.join(twice)} are given twice; keep one")
    if layout == "sources":
        required, known = ["key", "title"], SOURCE_COLUMNS
        described = ", ".join(SOURCE_COLUMNS)
    elif layout == "export":
        numbered = [_NUMBERED.fullmatch(name) for name in columns]
        known = [*EVENT_COLUMNS]
        known += [
            name
            for name, match in zip(columns, numbered, strict=True)
            if match and match[2] in CITATION_COLUMNS
        ]
        required = [] if "uid" in columns else EVENT_REQUIRED
        described = (
            f"{', '.join(EVENT_COLUMNS)}, then citation_N_{{{','.join(CITATION_COLUMNS)}}} "
            "for N = 1, 2, ..."
        )
    else:
        required = CSV_REQUIRED if "uid" not in columns else ["source", "quote"]
        known, described = CSV_COLUMNS, ", ".join(CSV_COLUMNS)
    missing = [name for name in required if name not in columns]
    if missing:
        raise ImportFailed(
            1, f"the header lacks the column(s) {', '.join(missing)}; the layout is: {described}"
        )
    unknown = [name for name in columns if name not in known]
    if unknown:
        raise ImportFailed(1, f"unknown column(s) {', '.join(unknown)}; the layout is: {described}")
    widths = [int(match[1]) for match in map(_NUMBERED.fullmatch, columns) if match]
    return max(widths, default=0)


def _citation(cells: Mapping[str, str], prefix: str) -> dict[str, Any]:
    """The citation in the columns named `prefix` + field; empty if they all are."""
    given: dict[str, Any] = {
        name: cells[prefix + name] for name in CITATION_COLUMNS if prefix + name in cells
    }
    if not given:
        return {}
    if "mentions" in given:
        separator = MENTIONS_SEPARATOR.strip()
        given["mentions"] = [
            slug.strip() for slug in given["mentions"].split(separator) if slug.strip()
        ]
    return given


def _event(
    cells: Mapping[str, str], fields: list[str], citations: list[dict[str, Any]]
) -> dict[str, Any]:
    """The event record of a row, or, where it gives a uid and no event field, the record
    of citations for the event of that uid."""
    event = {name: cells[name] for name in fields if name in cells}
    uid = cells.get("uid")
    if uid is not None and not event:
        return {"type": "cite", "uid": uid, "citations": citations}
    return {"type": "event", "uid": uid or fact_uid(event), **event, "citations": citations}


def csv_records(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """Exchange records from a CSV file in one of the layouts above, by line number."""
    return iter(CsvRecords(stream))


def import_csv(
    registry: Registry,
    stream: IO[bytes],
    *,
    progress: Progress | None = None,
    dry_run: bool = False,
    by: str | None = None,
) -> ImportReport:
    """Import events (or sources) from CSV; the sites, monuments and sources they name must
    be in the registry. `dry_run` and `by` are as for `exchange.import_jsonl`."""
    records = CsvRecords(stream)
    return import_records(
        registry,
        records,
        progress=progress,
        dry_run=dry_run,
        by=by,
        field_name=records.field_name,
    )
