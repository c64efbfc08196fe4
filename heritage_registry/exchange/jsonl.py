"""JSON Lines, the registry's own format: lossless export, and import by its lines.

The format (version 1) is one JSON object per line. The first line is a header,
`{"format": "heritage-registry", "version": 1, "schema_revision": ..., "counts": {...}}`;
every other line is an exchange record (`exchange.records`): a site, monument, source,
source's text, event (with its citations) or history entry. The texts follow the sources,
by key, and come before the events that quote them. Export writes the whole registry, a page of
each kind at a time. Import reads the lines into records (`jsonl_records`), refusing a
file that is no JSON Lines export, and hands them to `import_records`, which validates
and writes them as it does every format's.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any

from heritage_registry.exchange.importing import import_records
from heritage_registry.exchange.problems import BadLine, ImportFailed, UnreadableFile
from heritage_registry.exchange.reading import _numbered_lines, peek_head, unreadable_head
from heritage_registry.exchange.records import (
    ImportReport,
    Progress,
    cite_only,
    export_counts,
    fact_uid,
    iter_change_records,
    iter_event_records,
    iter_monument_records,
    iter_site_records,
    iter_source_records,
    iter_text_records,
)
from heritage_registry.registry import Registry

FORMAT = "heritage-registry"
VERSION = 1


# One encoder for every line: json.dumps builds a new one on each call given options.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _dumps(record: Mapping[str, Any]) -> str:
    return _ENCODER.encode(record)


def export_jsonl(
    registry: Registry, out: IO[str], *, page: int = 1_000, progress: Progress | None = None
) -> dict[str, int]:
    """Write the whole registry to `out` as JSON Lines; returns the counts written.

    Every kind of record is read a page at a time, so that memory holds a page of each,
    however large the registry. `progress(done, total)`, if given, is told after each
    page written how many of the records' lines are written (citations ride in their
    events' lines).
    """
    counts = export_counts(registry)
    total = sum(count for kind, count in counts.items() if kind != "citations")
    done = 0
    header = {
        "format": FORMAT,
        "version": VERSION,
        "schema_revision": registry.schema_revision(),
        "counts": counts,
    }
    out.write(_dumps(header) + "\n")
    # Written a page at a time: a write per line cost more than encoding it.
    lines: list[str] = []
    for records in (
        iter_site_records(registry, page=page),
        iter_monument_records(registry, page=page),
        iter_source_records(registry, page=page),
        iter_text_records(registry, page=page),
        iter_event_records(registry, page=page),
        iter_change_records(registry, page=page),
    ):
        for record in records:
            lines.append(_dumps(record))
            if len(lines) >= page:
                out.write("\n".join(lines) + "\n")
                done += len(lines)
                lines = []
                if progress is not None:
                    progress(done, max(total, done))
    if lines:
        out.write("\n".join(lines) + "\n")
        done += len(lines)
    if progress is not None:
        progress(done, max(total, done))
    return counts


# Import ----------------------------------------------------------------------------


def jsonl_records(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any] | BadLine]]:
    """The records of a JSON Lines file, after its header, with their line numbers.

    A line that is no record (not JSON, not an object) is a `BadLine`, so that the lines
    after it are read and checked too; a file whose header is wrong, or a line too long
    to read, ends the reading (`ImportFailed`).
    """
    for number, raw in jsonl_lines(stream):
        yield number, line_record(number, raw)


def jsonl_lines(stream: IO[bytes]) -> Iterator[tuple[int, bytes]]:
    """The record lines of a JSON Lines file as bytes, after its header, with their numbers:
    `line_record` makes each a record (the import does so in its workers)."""
    head, stream = peek_head(stream)
    problem = unreadable_head(head, "a JSON Lines file from 'registry export'")
    if problem is not None:
        raise UnreadableFile(1, problem)
    seen_header = False
    for number, raw in _numbered_lines(stream):
        # isspace, not strip: a blank line is rare, and strip copies every line to tell.
        if raw.isspace():
            continue
        if not seen_header:
            _check_first_line(number, raw)
            _check_header(number, _decode(number, raw))
            seen_header = True
            continue
        yield number, raw
    if not seen_header:
        raise ImportFailed(1, "the file is empty; it needs a header line")


def line_record(number: int, raw: bytes) -> dict[str, Any] | BadLine:
    """The record of line `number` of a JSON Lines file, or the `BadLine` it is."""
    try:
        value = _decode(number, raw)
    except ImportFailed as exc:
        return BadLine(exc.problems[0][1])
    if not isinstance(value, dict):
        return BadLine("a record must be a JSON object")
    kind = value.get("type")
    if (kind == "event" or kind is None) and cite_only(value):
        value["type"] = "cite"
    elif kind == "event" and value.get("uid") is None:
        value["uid"] = fact_uid(value)
    return value


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Read last-wins, a key given twice makes the line mean what this parser decides, and
    # another tool may import the other value.
    record = dict(pairs)
    if len(record) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return record


# One decoder for every line: json.loads builds a new one on each call given a hook.
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)


def _decode(number: int, raw: bytes) -> Any:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem = f"not UTF-8 (byte {exc.start + 1}); save the file as UTF-8"
        raise ImportFailed(number, problem) from None
    if number == 1:
        text = text.removeprefix("\ufeff")
    try:
        if text.startswith("\ufeff"):
            # What json.loads says of it; the decoder alone would call it a stray character.
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _DECODER.decode(text)
    except _DuplicateKey as exc:
        key = repr(exc.key) if len(exc.key) <= 60 else repr(exc.key[:57]) + "..."
        raise ImportFailed(
            number, f"the key {key} is given twice in one object; keep one"
        ) from None
    except RecursionError:
        raise ImportFailed(number, "JSON nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ImportFailed(number, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except ValueError as exc:
        # json.loads refuses integers of more than 4,300 digits this way.
        raise ImportFailed(number, f"not valid JSON ({exc})") from None


def _check_first_line(number: int, raw: bytes) -> None:
    """Refuse a first line that shows the file is CSV, not JSON Lines."""
    text = raw.decode("utf-8", "replace").removeprefix("\ufeff").lstrip()
    if text[:1] not in ("{", "[") and "," in text and not _is_json(text):
        raise UnreadableFile(
            number,
            "does not look like JSON Lines: its first line reads as a row of CSV, not a JSON "
            "object; is it CSV? use --format csv",
        )


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _check_header(number: int, header: Any) -> None:
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ImportFailed(
            number,
            f'not a heritage-registry file: the first line must be {{"format": "{FORMAT}", '
            f'"version": {VERSION}, ...}}',
        )
    if header.get("version") != VERSION:
        raise ImportFailed(
            number,
            f"format version {header.get('version')!r} is not one this version reads "
            f"({VERSION}); upgrade heritage-registry",
        )


def import_jsonl(
    registry: Registry,
    stream: IO[bytes],
    *,
    progress: Progress | None = None,
    dry_run: bool = False,
    by: str | None = None,
) -> ImportReport:
    """Validate the whole file, then add what the registry lacks in bounded transactions.

    A file with a problem raises `ImportFailed` naming its line, one with several
    `ImportProblems` naming each, and writes nothing. Records already present (by slug,
    key or uid) are kept; an event already present gains the citations it lacks, and a
    source the text it lacks (one with another text is refused: an import replaces none).
    `progress(done, total)` is called after each batch written. With `dry_run`, the
    file is checked and the import made as it would be, then undone: the report tells
    what it would add. `by` names who added the citations given by an event's uid alone,
    in their history entries (else the operating-system user).
    """
    return import_records(
        registry,
        jsonl_lines(stream),
        decode=line_record,
        progress=progress,
        dry_run=dry_run,
        by=by,
    )


def import_path(
    registry: Registry,
    path: str | Path,
    *,
    progress: Progress | None = None,
    dry_run: bool = False,
    by: str | None = None,
) -> ImportReport:
    """Import a JSON Lines file by path (`import_jsonl`)."""
    with Path(path).open("rb") as stream:
        return import_jsonl(registry, stream, progress=progress, dry_run=dry_run, by=by)
