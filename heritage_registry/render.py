"""How the `registry` command prints records: aligned tables, CSV, JSON and key-value text.

Every function takes records as the JSON-ready dicts of the library's Public models
(`model_dump(mode="json")`) and returns text. The module imports only the standard
library, so that `registry --help` never waits for the database stack.

Tables align by display width, not by `len`: an Arabic vowel mark takes no column and a
CJK character takes two, so names in any script line up in a terminal.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from heritage_registry.texts import VerifyReport

Record = Mapping[str, Any]

GAP = "  "
MAX_CELL_WIDTH = 40
ELLIPSIS = "…"

# The columns `registry list` shows as a table; JSON and CSV carry every field.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "sites": ("slug", "name", "country", "kind", "unesco_whc_id", "wikidata_qid", "alt_names"),
    "monuments": ("site", "slug", "name", "kind", "built", "alt_names"),
    "sources": ("key", "publisher", "published", "source_type", "language", "title"),
    "events": (
        "uid",
        "site",
        "monument",
        "occurred",
        "cause",
        "damage_level",
        "confidence",
        "citations",
    ),
}

# The fields `registry show` prints as text, in reading order; empty ones are left out.
# A test checks that these name every field of the Public models, so none goes missing.
SHOW_FIELDS: dict[str, tuple[str, ...]] = {
    "site": (
        "slug",
        "name",
        "alt_names",
        "country",
        "kind",
        "latitude",
        "longitude",
        "location_precision_m",
        "unesco_whc_id",
        "wikidata_qid",
        "description",
        "created_at",
        "updated_at",
    ),
    "monument": (
        "site",
        "slug",
        "name",
        "alt_names",
        "kind",
        "built",
        "built_from_year",
        "built_to_year",
        "latitude",
        "longitude",
        "description",
        "created_at",
        "updated_at",
    ),
    "source": (
        "key",
        "title",
        "publisher",
        "author",
        "url",
        "language",
        "published",
        "published_earliest",
        "published_latest",
        "source_type",
        "note",
        "created_at",
        "updated_at",
    ),
    "event": (
        "uid",
        "site",
        "monument",
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
        "merged_at",
        "merge_reason",
        "recorded_at",
        "updated_at",
    ),
    "citation": (
        "source",
        "via",
        "stance",
        "quote",
        "location",
        "mentions",
        "claimed_occurred",
        "claimed_level",
        "date_resolution",
        "recorded_at",
    ),
}

# Control characters: C0 and DEL, and C1 (U+0080-U+009F). A terminal takes them as
# commands (ESC clears the screen or retitles the window, CR writes over the line), so
# none reaches one as itself: `safe_text` shows each as an escape, `\x1b` or `\u009b`.
# The registry refuses them in new input; rows written before it did may hold them.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_CONTROL_OR_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x80 else f"\\u{code:04x}"


def safe_text(text: str, *, lines: bool = True) -> str:
    """`text` for a terminal: every control character shown as an escape (`\\x1b`).

    Line feed and tab stay as they are, unless `lines` is false: then they are escaped
    too, for text that must stay on its one line. Every text output goes through here,
    after it has split its text into lines or collapsed its white space (which takes
    CR, form feed and the like as line ends or spaces, as it always did).
    """
    pattern = _CONTROL if lines else _CONTROL_OR_LINE
    return pattern.sub(_escaped, text) if pattern.search(text) else text


# Marks, format characters (bidi marks, joiners) and controls take no column.
_ZERO_WIDTH_CATEGORIES = frozenset({"Mn", "Me", "Cf", "Cc"})


def char_width(char: str) -> int:
    """The columns one character takes in a terminal: 0, 1 or 2."""
    if unicodedata.category(char) in _ZERO_WIDTH_CATEGORIES:
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def display_width(text: str) -> int:
    """How many terminal columns `text` takes (wide characters take two)."""
    return sum(char_width(char) for char in text)


def truncate(text: str, limit: int = MAX_CELL_WIDTH) -> str:
    """`text` cut to `limit` columns, ending in "…" when anything was cut."""
    if display_width(text) <= limit:
        return text
    kept: list[str] = []
    used = 0
    for char in text:
        width = char_width(char)
        if used + width > limit - 1:
            break
        kept.append(char)
        used += width
    return "".join(kept) + ELLIPSIS


def pad(text: str, width: int) -> str:
    """`text` followed by spaces to fill `width` terminal columns."""
    return text + " " * (width - display_width(text))


def scalar(value: Any) -> str:
    """A JSON value as text: strings as they are, null as nothing, the rest as JSON."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def alt_names(value: Iterable[Mapping[str, str]]) -> str:
    """Alternative names in the `NAME@LANG` form they are given in."""
    return ", ".join(f"{item['name']}@{item['lang']}" for item in value)


def plural(count: int, word: str) -> str:
    """`1 source`, `2 sources`: a count with its noun agreeing."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def field_text(field: str, value: Any) -> str:
    """A field's value for people: alternative names as NAME@LANG, citations counted."""
    if field == "alt_names":
        return alt_names(value)
    if field == "citations" and isinstance(value, list):
        return str(len(value))
    if field == "mentions" and isinstance(value, list):
        return ", ".join(str(slug) for slug in value)
    return scalar(value)


# Table ----------------------------------------------------------------------------


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A header row and one row per record, columns two spaces apart, long cells cut."""
    return "".join(table_parts(headers, rows))


# The rows of a table held in memory before they go to a temporary file (`table_parts`).
TABLE_SPOOL_BYTES = 8 << 20
# Between a spooled row's cells: a cell never holds a control character (`safe_text`).
_CELL_END = "\x00"


def table_parts(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> Iterator[str]:
    """`table` a line at a time, holding neither the rows nor the text at once.

    Every column is as wide as its widest cell, known only once the last row is read:
    the cells are cut and escaped as they come, and kept in a temporary file (in memory
    up to `TABLE_SPOOL_BYTES`) until then, so that a table of a million events takes the
    memory of one.
    """
    widths = [0] * len(headers)

    def cells_of(row: Iterable[str]) -> list[str]:
        cells = [truncate(safe_text(" ".join(cell.split()))) for cell in row]
        for index, cell in enumerate(cells):
            width = display_width(cell)
            if width > widths[index]:
                widths[index] = width
        return cells

    # Here, not at the top: `registry --help` imports this module, and tempfile's imports
    # would be a tenth of its time.
    import tempfile

    first = cells_of(headers)
    with tempfile.SpooledTemporaryFile(
        max_size=TABLE_SPOOL_BYTES, mode="w+", encoding="utf-8", newline="\n"
    ) as spool:
        for row in rows:
            spool.write(_CELL_END.join(cells_of(row)) + "\n")
        spool.seek(0)

        def line(cells: Sequence[str]) -> str:
            padded = (pad(cell, width) for cell, width in zip(cells, widths, strict=True))
            return GAP.join(padded).rstrip() + "\n"

        yield line(first)
        for text in spool:
            yield line(text[:-1].split(_CELL_END))


def records_table(kind: str, records: Iterable[Record]) -> str:
    """The `list KIND` table of `records`: the main columns, long cells cut."""
    return "".join(records_table_parts(kind, records))


def records_table_parts(kind: str, records: Iterable[Record]) -> Iterator[str]:
    """`records_table` a line at a time (`table_parts`)."""
    columns = TABLE_COLUMNS[kind]
    return table_parts(
        columns, ([field_text(name, record.get(name)) for name in columns] for record in records)
    )


# CSV and JSON ---------------------------------------------------------------------


# A cell starting with one of these is run as a formula by spreadsheets (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?([eE][+-]?\d+)?")


def neutralise(value: Any) -> Any:
    """A CSV cell a spreadsheet will show as text, never run: a leading apostrophe.

    A plain number (a negative longitude) runs as nothing but itself, and stays as it is.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def records_csv(fields: Sequence[str], records: Iterable[Record]) -> str:
    """Every field, one row per record; lists (alt_names, citations) as JSON in their cell."""
    return "".join(records_csv_parts(fields, records))


def records_csv_parts(fields: Sequence[str], records: Iterable[Record]) -> Iterator[str]:
    """`records_csv` a row at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def taken() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(fields)
    yield taken()
    for record in records:
        writer.writerow([neutralise(scalar(record.get(name))) for name in fields])
        yield taken()


def json_text(data: Any) -> str:
    """`data` as indented JSON, non-ASCII kept, with a final line feed."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def json_array_parts(items: Iterable[Any]) -> Iterator[str]:
    """`json_text` of a list of `items`, a piece per item: the same text, without the
    whole list, or the whole text, held at once."""
    first = True
    for item in items:
        # Inside the list each line of an item is indented one level more; a line break
        # inside a string is written as an escape, so every real one is indentation.
        text = json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        yield ("[\n  " if first else ",\n  ") + text
        first = False
    yield "[]\n" if first else "\n]\n"


# One encoder for every line, compact as `registry export`'s lines are: json.dumps builds
# a new one on each call given options, and a feed or a list writes millions of lines.
_JSON_LINE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def json_line(data: Any) -> str:
    """One JSON Lines line: the value on one line, compact, then a newline."""
    return _JSON_LINE.encode(data) + "\n"


# Key-value text -------------------------------------------------------------------


def key_values(pairs: Sequence[tuple[str, str]], indent: str = "") -> str:
    """Labels and values in two aligned columns; a value's later lines stay in its column."""
    if not pairs:
        return ""
    width = max(display_width(label) for label, _ in pairs)
    lines: list[str] = []
    for label, value in pairs:
        first, *rest = [safe_text(line) for line in value.splitlines()] or [""]
        lines.append(f"{indent}{pad(label, width)}{GAP}{first}".rstrip())
        lines.extend(f"{indent}{' ' * width}{GAP}{line}".rstrip() for line in rest)
    return "\n".join(lines) + "\n"


def record_pairs(kind: str, record: Record) -> list[tuple[str, str]]:
    """The non-empty fields of a record, in SHOW_FIELDS order, as text."""
    pairs = [(name, field_text(name, record.get(name))) for name in SHOW_FIELDS[kind]]
    return [(name, text) for name, text in pairs if text]


def site_text(site: Record, monuments: Sequence[Record], event_count: int) -> str:
    """A site, its event count and a table of its monuments."""
    text = key_values([*record_pairs("site", site), ("events", str(event_count))])
    text += f"\nmonuments ({len(monuments)})\n"
    if monuments:
        rows = [
            [field_text(name, monument.get(name)) for name in _SITE_MONUMENT_COLUMNS]
            for monument in monuments
        ]
        text += table(_SITE_MONUMENT_COLUMNS, rows)
    return text


_SITE_MONUMENT_COLUMNS = ("slug", "name", "kind", "built", "alt_names")


def monument_text(monument: Record, event_count: int) -> str:
    """`show monument`'s text: labelled fields and the number of its events."""
    return key_values([*record_pairs("monument", monument), ("events", str(event_count))])


def source_text(source: Record, text: Record | None = None) -> str:
    """`show source`'s text: labelled fields, empty ones left out, then what the source
    keeps of its text (`Registry.source_text`), if anything."""
    pairs = record_pairs("source", source)
    if text is not None:
        pairs += [
            (f"text_{name}", scalar(text.get(name)))
            for name in _TEXT_FIELDS
            if text.get(name) is not None
        ]
    return key_values(pairs)


_TEXT_FIELDS = ("sha256", "characters", "retrieved", "url", "archived_url", "attached_at")


def verify_text(report: VerifyReport) -> str:
    """`registry verify`'s report: a line a citation (its status, event, source and
    quote), the closest passage under a quote not found, then the counts."""
    lines: list[str] = []
    for result in report.results:
        quote = safe_text(" ".join(result.quote.split()), lines=False)
        lines.append(f"{result.status:<9}  {result.event[:8]}  {result.source}: {quote}")
        if result.suggestion is not None:
            passage = safe_text(result.suggestion, lines=False)
            lines.append(f"{'':<9}  did you mean: {passage}")
    total = len(report.results)
    counts = (
        f"{plural(total, 'citation')}: {report.count('verified')} verified, "
        f"{report.count('not found')} not found, {report.count('no text')} with no text"
    )
    return "\n".join([*lines, counts]) + "\n"


def event_text(event: Record) -> str:
    """An event, then each of its citations, numbered in the order they were recorded."""
    citations: Sequence[Record] = event.get("citations") or []
    text = key_values([*record_pairs("event", event), ("citations", str(len(citations)))])
    for number, citation in enumerate(citations, start=1):
        text += f"\ncitation {number}\n" + key_values(record_pairs("citation", citation), "  ")
    return text


# In a history, a value's later lines are indented past its first: only an entry's
# head starts a line, so no reason or quote can pass for another entry.
_ENTRY_LINE = "  "
_LATER_LINE = "\n      "


def _entry_line(text: str) -> str:
    """One line of a history entry; a value's later lines indented and never empty."""
    return _ENTRY_LINE + _LATER_LINE.join(safe_text(line) for line in text.splitlines())


# A creation is shown by the values it was given: its times, its citations' count and
# the values derived from its dates are left to --format json.
_CREATED_HIDDEN = frozenset(
    {
        "created_at",
        "recorded_at",
        "citation_count",
        "citations",
        "earliest",
        "latest",
        "published_earliest",
        "published_latest",
        "built_from_year",
        "built_to_year",
    }
)
# What names a record comes first among its values.
_CREATED_FIRST = ("uid", "key", "site", "slug", "monument")


def history_text(changes: Iterable[Record], *, named: bool = False) -> str:
    """A history: one block per change, naming the fields whose values changed.

    Each block starts with the one line at the left margin, `TIME  ACTION  by WHO`, then
    how the change came where history recorded it (`(command)`, `(import)`, ...); with
    `named` (the registry-wide feed) the line names the record after the action. Blocks
    are separated by an empty line; every other line is indented and not empty. A
    creation lists the values the record came with, a removal its reason.
    """
    return "".join(history_text_parts(changes, named=named))


def history_text_parts(changes: Iterable[Record], *, named: bool = False) -> Iterator[str]:
    """`history_text` a block at a time, for the whole registry's history."""
    first = True
    for change in changes:
        who = safe_text(str(change["changed_by"]), lines=False)
        head = f"{change['changed_at']}  {change['action']}"
        if named:
            head += f"  {change['record_type']} {safe_text(str(change['record']), lines=False)}"
        head += f"  by {who}"
        if change.get("how") not in (None, "unrecorded"):
            head += f"  ({change['how']})"
        lines = [head]
        if change.get("reason"):
            lines.append(_entry_line(f"reason: {change['reason']}"))
        old, new = change.get("old") or {}, change.get("new") or {}
        if change["action"] == "create":
            lines.extend(_created_lines(new))
        elif change["action"] != "remove":
            lines.extend(_changed_lines(old, new))
        block = "\n".join(lines)
        yield block if first else "\n\n" + block
        first = False
    yield "No changes recorded.\n" if first else "\n"


def _created_lines(new: Record) -> list[str]:
    """The values a record was created with, and an event's citations, one a line."""
    names = [*(name for name in _CREATED_FIRST if name in new), *new]
    lines = [
        _entry_line(f"{name}: {field_text(name, new[name])}")
        for name in dict.fromkeys(names)
        if name not in _CREATED_HIDDEN and new[name] not in (None, "", [], {})
    ]
    lines.extend(
        _entry_line(f"cited {cited.get('source')}: {scalar(cited.get('quote'))}")
        for cited in new.get("citations") or []
        if isinstance(cited, dict)
    )
    return lines


def _text_state(text: Any) -> str:
    """A source's text in its history: its hash, retrieval date and addresses."""
    if not isinstance(text, dict):
        return "none"
    parts = [f"sha256 {text.get('sha256')}", f"retrieved {text.get('retrieved')}"]
    parts += [f"{name} {text[name]}" for name in ("url", "archived_url") if text.get(name)]
    return ", ".join(parts)


def _changed_lines(old: Record, new: Record) -> list[str]:
    """The fields whose values a change changed, and what it added (a citation, ...)."""
    lines: list[str] = []
    for name in sorted(set(old) | set(new)):
        if name == "citation" and isinstance(new.get(name), dict):
            cited = new[name]
            lines.append(_entry_line(f"cited {cited.get('source')}: {scalar(cited.get('quote'))}"))
        elif name == "dropped_citations" and isinstance(new.get(name), list):
            # A merge's citations that repeated the kept event's own.
            lines.extend(
                _entry_line(
                    f"dropped as a repeat: {cited.get('source')}: {scalar(cited.get('quote'))}"
                )
                for cited in new[name]
                if isinstance(cited, dict)
            )
        elif name == "text" and old.get(name) != new.get(name):
            # A source's text: what identifies it, never the text itself.
            lines.append(
                _entry_line(f"text: {_text_state(old.get(name))} -> {_text_state(new.get(name))}")
            )
        elif name == "citations" and old.get(name) != new.get(name):
            # Entries written by earlier versions held every citation of the event.
            lines.append(f"  citations: {len(old.get(name) or [])} -> {len(new.get(name) or [])}")
        elif old.get(name) != new.get(name):
            lines.append(_entry_line(f"{name}: {scalar(old.get(name))} -> {scalar(new.get(name))}"))
    return lines


# Duplicates -------------------------------------------------------------------------


def duplicates_text(pairs: Iterable[Record]) -> str:
    """Candidate duplicate pairs: a block each, its site, score and reasons, then its two
    events, one a line (uid, monument or `(site)`, cause, level, occurred), aligned."""
    return "".join(duplicates_text_parts(pairs))


def duplicates_text_parts(pairs: Iterable[Record]) -> Iterator[str]:
    """`duplicates_text` a block at a time, for a registry with many pairs."""
    first = True
    for pair in pairs:
        reasons = ", ".join(str(reason).replace("_", " ") for reason in pair["reasons"])
        rows = [
            [
                str(event["uid"]),
                str(event["monument"] or "(site)"),
                str(event["cause"]),
                str(event["damage_level"]),
                safe_text(str(event["occurred"]), lines=False),
            ]
            for event in pair["events"]
        ]
        # Most cells are ASCII, whose width is their length: a large registry has tens of
        # thousands of pairs.
        sized = [[(cell, _width(cell)) for cell in row] for row in rows]
        widths = [max(row[i][1] for row in sized) for i in range(len(rows[0]))]
        lines = [f"{safe_text(str(pair['site']), lines=False)}  score {pair['score']}: {reasons}"]
        lines += [
            "  "
            + GAP.join(
                cell + " " * (width - used) for (cell, used), width in zip(row, widths, strict=True)
            )
            for row in sized
        ]
        block = "\n".join(line.rstrip() for line in lines) + "\n"
        yield block if first else "\n" + block
        first = False
    if first:
        yield "No likely duplicates.\n"


def _width(text: str) -> int:
    return len(text) if text.isascii() else display_width(text)
