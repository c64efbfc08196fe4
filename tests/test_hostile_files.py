"""Hostile import files: refused cleanly by line, in bounded memory, writing nothing.

Each file is imported through the library (`exchange.import_jsonl`, `exchange.import_csv`)
and through the command (`registry import -` reading standard input), on each engine: a
file that cannot be imported raises `ImportFailed` (`Error: line N: ...`, exit 1 on the
command line), never another exception or a traceback, and leaves every table as it was.
The files: JSON nested 100,000 deep, a line of a gigabyte (made lazily as it is read, and
the import must stop reading it within a few megabytes), invalid UTF-8, UTF-16, UTF-32,
binary files, NUL bytes, numbers past a float's range, duplicate keys, a header alone,
blank lines, CSV with formula cells, an enormous field and NUL bytes, and each format
read as the other. Files the registry should take (a UTF-8
BOM, a header alone, SQL-looking text) are imported and kept literally. The xfail tests
mark bugs found here; each names the fix it waits for.
"""

from __future__ import annotations

import io
import json
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from click.testing import CliRunner

from heritage_registry.cli import main
from heritage_registry.exchange import MAX_LINE_BYTES, ImportFailed, import_csv, import_jsonl
from heritage_registry.registry import Registry
from tests.helpers import dump
from tests.test_hostile import (
    EVENT,
    SITE,
    SOURCE,
    Target,
    make_postgres_target,
    make_sqlite_target,
    populate,
    say_past_capture,
)

HEADER = b'{"format":"heritage-registry","version":1}\n'
CSV_HEADER = b"site,cause,damage_level,occurred,source,quote\n"
CSV_ROW = f"{SITE},explosives,destroyed,2015-08,{SOURCE},".encode()
UID = "9b2f6f0e-0c5c-4a8e-9f4e-2f4b1c6d7e80"
MEGABYTE = 1 << 20
GIGABYTE = 1 << 30
# How much more memory an import of an endless line may take than it holds at the start.
MEMORY_BOUND = 50 * MEGABYTE

# How many hostile files this module's imports were given.
TRIED = [0]


def line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False).encode() + b"\n"


def site(**fields: Any) -> bytes:
    return line({"type": "site", "slug": "new-site", "name": "New", "country": "SY", **fields})


def event(**fields: Any) -> bytes:
    record = {
        "type": "event",
        "uid": UID,
        "site": SITE,
        "cause": "explosives",
        "damage_level": "destroyed",
        "occurred": "2015-08",
        "citations": [{"source": SOURCE, "quote": "blown up"}],
        **fields,
    }
    return line(record)


def site_with_name(raw: bytes) -> bytes:
    """A site line whose name is the raw JSON text given (bytes, not escaped)."""
    return b'{"type":"site","slug":"new-site","country":"SY","name":' + raw + b"}\n"


@dataclass(frozen=True)
class Refused:
    """A file the import must refuse, and its message (exact, or its start)."""

    data: bytes
    message: str
    exact: bool = True
    csv: bool = False


def bad_utf8(raw: bytes) -> Refused:
    """A site line whose name holds `raw` bytes that are not UTF-8, and where it says so."""
    record = site_with_name(b'"Palmyra ' + raw + b'"')
    byte = record.index(raw) + 1
    return Refused(HEADER + record, f"line 2: not UTF-8 (byte {byte}); save the file as UTF-8")


def not_json(column: int, problem: str) -> str:
    return f"line 2: not valid JSON ({problem} at column {column})"


# Bytes no text holds (a fixed draw, so that the refusal is the same each run), and the
# start of a SQLite database: files given to import by mistake.
BINARY = bytes((n * 167 + 13) % 256 for n in range(3000))
SQLITE_START = b"SQLite format 3\x00\x10\x00\x01\x01\x00@  \x00\x00\x00\x05" + bytes(80)
JSONL_KIND = "a JSON Lines file from 'registry export'"
CSV_KIND = "a CSV file saved as UTF-8"


REFUSED: dict[str, Refused] = {
    "arrays nested 100,000 deep": Refused(b"[" * 100_000 + b"\n", "line 1: JSON nested too deeply"),
    "objects nested 100,000 deep": Refused(
        b'{"a":' * 100_000 + b"\n", "line 1: JSON nested too deeply"
    ),
    "a record nested 100,000 deep": Refused(
        HEADER + site_with_name(b"[" * 100_000), "line 2: JSON nested too deeply"
    ),
    "a record nested 500 deep": Refused(
        HEADER + site_with_name(b"[" * 500 + b"]" * 500),
        "line 2: name: input should be a valid string (got " + "[" * 57 + "...)",
    ),
    "a line one byte over the limit": Refused(
        HEADER + site_with_name(b'"' + b"x" * MAX_LINE_BYTES + b'"'),
        "line 2: longer than 1,000,000 bytes; split the record",
    ),
    "invalid UTF-8": bad_utf8(b"\xff"),
    "an overlong UTF-8 slash": bad_utf8(b"\xc0\xaf"),
    "a surrogate encoded in UTF-8": bad_utf8(b"\xed\xa0\x80"),
    "a UTF-8 sequence cut short": bad_utf8(b"\xe2\x82"),
    "UTF-16 with its BOM": Refused(
        (HEADER + site()).decode().encode("utf-16"),
        "line 1: the file is UTF-16 text, not UTF-8; save it as UTF-8",
    ),
    "UTF-16 without a BOM": Refused(
        (HEADER + site()).decode().encode("utf-16-le"),
        "line 1: the file is UTF-16 text, not UTF-8; save it as UTF-8",
    ),
    "UTF-32 with its BOM": Refused(
        (HEADER + site()).decode().encode("utf-32"),
        "line 1: the file is UTF-32 text, not UTF-8; save it as UTF-8",
    ),
    "binary garbage": Refused(BINARY, f"line 1: the file is binary, not text; import {JSONL_KIND}"),
    "a file of NUL bytes": Refused(
        b"\x00" * 100, f"line 1: the file is binary, not text; import {JSONL_KIND}"
    ),
    "a SQLite database": Refused(
        SQLITE_START, f"line 1: the file is binary, not text; import {JSONL_KIND}"
    ),
    "CSV read as JSON Lines": Refused(
        CSV_HEADER + CSV_ROW + b"q\n",
        "line 1: the file does not look like JSON Lines: its first line reads as a row of CSV, "
        "not a JSON object; is it CSV? use --format csv",
    ),
    "a BOM on the second line": Refused(
        HEADER + b"\xef\xbb\xbf" + site(),
        not_json(1, "Unexpected UTF-8 BOM (decode using utf-8-sig)"),
    ),
    "a NUL escaped in a string": Refused(
        HEADER + site(name="Palmyra\x00"),
        "line 2: name: contains a NUL character (U+0000); remove it",
    ),
    "a raw NUL byte in a string": Refused(
        HEADER + site_with_name(b'"Palmyra\x00"'),
        "line 2: not valid JSON (Invalid control character",
        exact=False,
    ),
    "a raw NUL byte between values": Refused(
        HEADER + b'{"type":"site",\x00"slug":"x"}\n',
        not_json(16, "Expecting property name enclosed in double quotes"),
    ),
    "a NUL in the name of the site referred to": Refused(
        HEADER
        + line({"type": "monument", "site": "\x00", "slug": "m", "name": "M", "kind": "temple"}),
        "line 2: no site '\\x00' in the registry or earlier in the file; add it first",
    ),
    "a NUL in the key of the source cited": Refused(
        HEADER + event(citations=[{"source": f"{SOURCE}\x00", "quote": "q"}]),
        f"line 2: no source '{SOURCE}\\x00' in the registry or earlier in the file; did you mean "
        f"'{SOURCE}'? else add it first",
    ),
    "a NUL in a quote": Refused(
        HEADER + event(citations=[{"source": SOURCE, "quote": "blown\x00up"}]),
        "line 2: citation 1's quote: contains a NUL character (U+0000); remove it",
    ),
    "a lone surrogate escaped in a string": Refused(
        HEADER + site_with_name(b'"Palmyra\\udcff"'),
        "line 2: name: input should be a valid string, unable to parse raw data as a unicode "
        "string (got 'Palmyra\\udcff')",
    ),
    "latitude 1e999": Refused(
        HEADER + site_with_name(b'"P","latitude":1e999,"longitude":0'),
        "line 2: latitude: input should be less than or equal to 90 (got inf)",
    ),
    "longitude -1e999": Refused(
        HEADER + site_with_name(b'"P","latitude":0,"longitude":-1e999'),
        "line 2: longitude: input should be greater than or equal to -180 (got -inf)",
    ),
    "latitude NaN": Refused(
        HEADER + site_with_name(b'"P","latitude":NaN,"longitude":0'),
        "line 2: latitude: input should be less than or equal to 90 (got nan)",
    ),
    "precision Infinity": Refused(
        HEADER + site_with_name(b'"P","location_precision_m":Infinity'),
        "line 2: location_precision_m: input should be less than or equal to 20000000 (got inf)",
    ),
    "latitude of 5,000 digits before the point": Refused(
        HEADER + site_with_name(b'"P","latitude":' + b"1" * 5000 + b'.5,"longitude":0'),
        "line 2: latitude: input should be less than or equal to 90 (got inf)",
    ),
    "an empty file": Refused(b"", "line 1: the file is empty; it needs a header line"),
    "blank lines only": Refused(
        b"\n\n   \r\n\t\n", "line 1: the file is empty; it needs a header line"
    ),
    "a header that is a list": Refused(
        b"[1]\n",
        'line 1: not a heritage-registry file: the first line must be {"format": '
        '"heritage-registry", "version": 1, ...}',
    ),
    "a header of a later version": Refused(
        b'{"format":"heritage-registry","version":2}\n',
        "line 1: format version 2 is not one this version reads (1); upgrade heritage-registry",
    ),
    "a record that is a string": Refused(
        HEADER + b'"x"\n', "line 2: a record must be a JSON object"
    ),
    "a record without a type": Refused(
        HEADER + b'{"slug":"x"}\n', 'line 2: needs a "type" of site, monument, source or event'
    ),
    "an unknown field": Refused(HEADER + site(evil=1), "line 2: evil: unknown field; remove it"),
    "SQL in a slug": Refused(
        HEADER + site(slug="x'; DROP TABLE site; --"),
        'line 2: slug: "x\'; DROP TABLE site; --" is not valid; use lower-case letters, digits '
        "and single hyphens, e.g. temple-of-bel",
    ),
    "a bad line after a good one": Refused(
        HEADER + site() + site(slug="other", country="XX"),
        "line 3: country: 'XX' is not an ISO 3166-1 alpha-2 country code; write e.g. SY, IQ",
    ),
    "a bad line after 2,500 good ones": Refused(
        HEADER + b"".join(site(slug=f"site-{n}") for n in range(2500)) + event(occurred="2015-13"),
        "line 2502: occurred: '2015-13' is not an EDTF date; write e.g. 2015-05-23, 2015-02, "
        "2015-04~, 2015-05-23/2016-03-25, ../2015-04 or 12XX",
    ),
    "the same uid twice, differently": Refused(
        HEADER + event() + event(cause="fire"),
        f"line 3: event {UID} was given on line 2 with different content",
    ),
    "a CSV enormous field": Refused(
        CSV_HEADER + CSV_ROW + b'"' + b"x" * 200_000 + b'"\n',
        "not valid CSV (field larger than field limit (131072))",
        exact=False,
        csv=True,
    ),
    "a CSV NUL in the quote": Refused(
        CSV_HEADER + CSV_ROW + b"blown\x00up\n",
        "line 2: quote: contains a NUL character (U+0000); remove it",
        csv=True,
    ),
    "a CSV NUL in the site": Refused(
        CSV_HEADER + b"pal\x00myra" + CSV_ROW[len(SITE) :] + b"q\n",
        "line 2: no site 'pal\\x00myra' in the registry or earlier in the file; did you mean "
        "'palmyra'? else add it first",
        csv=True,
    ),
    "a CSV NUL in the header": Refused(
        CSV_HEADER.replace(b"site", b"si\x00te"),
        "line 1: the header lacks the column(s) site; the layout is: site, cause, damage_level, "
        "occurred, source, quote, uid, monument, actor, description, stance, location, "
        "claimed_occurred, claimed_level, date_resolution, via, mentions",
        csv=True,
    ),
    "a CSV formula as the site": Refused(
        CSV_HEADER + b"=cmd|' /C calc'!A0" + CSV_ROW[len(SITE) :] + b"q\n",
        "line 2: no site \"=cmd|' /C calc'!A0\" in the registry or earlier in the file; "
        "add it first",
        csv=True,
    ),
    "CSV in invalid UTF-8": Refused(
        CSV_HEADER + CSV_ROW + b"\xff\n", "line 1: not UTF-8; save the file as UTF-8", csv=True
    ),
    "CSV in UTF-16": Refused(
        (CSV_HEADER + CSV_ROW + b"q\n").decode().encode("utf-16"),
        "line 1: the file is UTF-16 text, not UTF-8; save it as UTF-8",
        csv=True,
    ),
    "CSV in UTF-16 without a BOM": Refused(
        (CSV_HEADER + CSV_ROW + b"q\n").decode().encode("utf-16-be"),
        "line 1: the file is UTF-16 text, not UTF-8; save it as UTF-8",
        csv=True,
    ),
    "CSV of binary garbage": Refused(
        BINARY, f"line 1: the file is binary, not text; import {CSV_KIND}", csv=True
    ),
    "a SQLite database read as CSV": Refused(
        SQLITE_START, f"line 1: the file is binary, not text; import {CSV_KIND}", csv=True
    ),
    "JSON Lines read as CSV": Refused(
        HEADER + site(),
        "line 1: the file does not look like CSV: its first line is JSON; is it JSON Lines? "
        "use --format jsonl",
        csv=True,
    ),
    "CSV with more cells than columns": Refused(
        CSV_HEADER + CSV_ROW + b"q,extra\n",
        "line 2: more cells than the header has columns",
        csv=True,
    ),
    "an empty CSV file": Refused(
        b"",
        "line 1: the header lacks the column(s) site, cause, damage_level, occurred, source, "
        "quote; the layout is: site, cause, damage_level, occurred, source, quote, uid, monument, "
        "actor, description, stance, location, claimed_occurred, claimed_level, date_resolution, "
        "via, mentions",
        csv=True,
    ),
}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """A populated database on each engine, shared by the refusals (each checks it is kept)."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        yield from make_sqlite_target(template, tmp_path_factory.mktemp("hostile-files"))
    else:
        yield from make_postgres_target()


@pytest.fixture(scope="module", autouse=True)
def _report_files_tried(request: pytest.FixtureRequest) -> Iterator[None]:
    start = TRIED[0]
    yield
    say_past_capture(
        request, f"tests/test_hostile_files.py: {TRIED[0] - start} hostile files tried"
    )


# Both ways in: the library's call, and the command reading standard input.
Importer = Callable[[Target, IO[bytes], bool], str | None]


def through_library(target: Target, stream: IO[bytes], csv: bool) -> str | None:
    """Import with the library: None on success, else the ImportFailed message."""
    with Registry.open(target.url) as reg:
        try:
            (import_csv if csv else import_jsonl)(reg, stream)
        except ImportFailed as failed:
            return str(failed)
    return None


def through_command(target: Target, stream: IO[bytes], csv: bool) -> str | None:
    """`registry import --format F -`: None on success, else the message after `Error: `."""
    args = ["--db", target.url, "import", "--format", "csv" if csv else "jsonl", "-"]
    result = CliRunner().invoke(main, args, input=stream)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert "Traceback" not in result.output
    assert result.stdout == ""
    if result.exit_code == 0:
        return None
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: "), result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    return result.stderr.removeprefix("Error: ").removesuffix("\n")


@pytest.fixture(params=[through_library, through_command], ids=["library", "command"])
def importer(request: pytest.FixtureRequest) -> Importer:
    chosen: Importer = request.param
    return chosen


def refused(target: Target, importer: Importer, stream: IO[bytes], csv: bool = False) -> str:
    """Import a file that must be refused; its message, once the tables are found unchanged."""
    TRIED[0] += 1
    before = dump(target.engine)
    message = importer(target, stream, csv)
    assert message is not None, "imported a file it should refuse"
    assert dump(target.engine) == before
    return message


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED)
def test_a_hostile_file_is_refused_by_line_and_writes_nothing(
    target: Target, importer: Importer, case: Refused
) -> None:
    message = refused(target, importer, io.BytesIO(case.data), case.csv)
    if case.exact:
        assert message == case.message
    else:
        assert message.startswith("line "), message
        assert case.message in message, message
    assert "\x00" not in message


# An endless line, made as it is read -----------------------------------------------------


class TooFar(AssertionError):
    """Raised by an endless file read much further than the line limit needs."""


class EndlessLine(io.RawIOBase):
    """A file of `head` and then one line of `size` bytes, made as read and never held.

    Reading past `guard` raises TooFar: an import must stop soon after MAX_LINE_BYTES.
    """

    def __init__(self, head: bytes, size: int = GIGABYTE, guard: int = 16 * MEGABYTE) -> None:
        self.head = head
        self.size = len(head) + size
        self.guard = guard
        self.position = 0
        self.block = b"x" * (64 * 1024)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        if self.position >= self.size:
            return 0
        if self.position > self.guard:
            raise TooFar(f"read {self.position:,} bytes of a line to refuse at {MAX_LINE_BYTES:,}")
        view = memoryview(buffer).cast("B")
        if self.position < len(self.head):
            chunk = self.head[self.position : self.position + len(view)]
        else:
            chunk = self.block[: min(len(view), self.size - self.position)]
        view[: len(chunk)] = chunk
        self.position += len(chunk)
        return len(chunk)


def endless(head: bytes) -> tuple[EndlessLine, IO[bytes]]:
    raw = EndlessLine(head)
    return raw, io.BufferedReader(raw)


def with_peak_memory(action: Callable[[], str]) -> tuple[str, int]:
    """What `action` returns, and the most memory it held at once beyond what it started with."""
    tracemalloc.start()
    try:
        outcome = action()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return outcome, peak


def test_an_endless_line_is_refused_in_bounded_memory(target: Target, importer: Importer) -> None:
    raw, stream = endless(HEADER + b'{"type":"site","slug":"x","name":"')
    message, peak = with_peak_memory(lambda: refused(target, importer, stream))
    assert message == "line 2: longer than 1,000,000 bytes; split the record"
    assert peak < MEMORY_BOUND, f"held {peak:,} bytes"
    assert raw.position < 2 * MEGABYTE, f"read {raw.position:,} bytes"


def test_an_endless_csv_line_is_refused_in_bounded_memory(
    target: Target, importer: Importer
) -> None:
    raw, stream = endless(CSV_HEADER + CSV_ROW)
    message, peak = with_peak_memory(lambda: refused(target, importer, stream, csv=True))
    assert message == "line 2: longer than 1,000,000 characters; split the row"
    assert peak < MEMORY_BOUND, f"held {peak:,} bytes"
    assert raw.position < 2 * MEGABYTE, f"read {raw.position:,} bytes"


# Bugs: refusals that are not clean yet ------------------------------------------------


@pytest.fixture
def fresh_target(migrated_url: str) -> Iterator[Target]:
    """A populated database of its own, for imports that write (or may, while a bug lasts)."""
    with Registry.open(migrated_url) as reg:
        populate(reg)
        yield Target(migrated_url, reg.engine)


def test_a_csv_field_over_the_limit_is_reported_on_its_line(
    target: Target, importer: Importer
) -> None:
    data = CSV_HEADER + CSV_ROW + b"q\n" + CSV_ROW + b'"' + b"x" * 200_000 + b'"\n'
    message = refused(target, importer, io.BytesIO(data), csv=True)
    assert message == "line 3: not valid CSV (field larger than field limit (131072))"


def test_an_integer_of_5000_digits_is_refused_cleanly(target: Target, importer: Importer) -> None:
    data = HEADER + site_with_name(b'"P","unesco_whc_id":' + b"9" * 5000)
    message = refused(target, importer, io.BytesIO(data))
    assert message.startswith("line 2: ")


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (site(created_at="0001-01-01T00:00:00+14:00"), "created_at"),
        (site(updated_at="9999-12-31T23:59:59-14:00"), "updated_at"),
        (event(retracted_at="0001-01-01T00:00:00+01:00"), "retracted_at"),
    ],
    ids=["created before year 1", "updated after 9999", "retracted before year 1"],
)
def test_a_time_outside_the_calendar_in_utc_is_refused_cleanly(
    target: Target, importer: Importer, data: bytes, field: str
) -> None:
    message = refused(target, importer, io.BytesIO(HEADER + data))
    assert message.startswith(f"line 2: {field}: ")


RAW_CONTROL = "".join(chr(code) for code in [*range(0x00, 0x20), 0x7F])


@pytest.mark.parametrize(
    ("data", "csv"),
    [
        (HEADER + event(uid="\n"), False),
        (HEADER + site(**{"\x1b[2J\nforged": 1}), False),
        (b"uid," + CSV_HEADER.rstrip(b"\n") + b'\n"\x1b[31m",' + CSV_ROW + b"q\n", True),
        (CSV_HEADER.rstrip(b"\n") + b',"\x1b[2J\nforged"\n', True),
    ],
    ids=["a uid of a line feed", "an unknown field of escapes", "a uid of escapes", "a column"],
)
def test_an_import_error_has_no_raw_control_characters(
    target: Target, importer: Importer, data: bytes, csv: bool
) -> None:
    message = refused(target, importer, io.BytesIO(data), csv)
    assert not any(character in RAW_CONTROL for character in message), repr(message)


def test_a_record_with_a_key_given_twice_is_refused(
    fresh_target: Target, importer: Importer
) -> None:
    # Read last-wins, the line would mean what one parser decides: another tool may
    # import the other value.
    data = HEADER + b'{"type":"site","slug":"new-site","name":"Kept?","name":"Or this?",'
    data += b'"country":"SY"}\n'
    message = refused(fresh_target, importer, io.BytesIO(data))
    assert message == "line 2: the key 'name' is given twice in one object; keep one"


def test_a_key_given_twice_in_a_citation_is_refused(
    fresh_target: Target, importer: Importer
) -> None:
    quote = b'"quote": "blown up"'
    data = HEADER + event().replace(quote, quote + b", " + quote)
    message = refused(fresh_target, importer, io.BytesIO(data))
    assert message == "line 2: the key 'quote' is given twice in one object; keep one"


def test_a_csv_column_given_twice_is_refused(fresh_target: Target, importer: Importer) -> None:
    data = b"quote," + CSV_HEADER + b"first," + CSV_ROW + b"second\n"
    message = refused(fresh_target, importer, io.BytesIO(data), csv=True)
    assert message.startswith("line 1: ")
    assert "quote" in message


def test_a_csv_file_cut_off_inside_a_quote_is_refused(
    fresh_target: Target, importer: Importer
) -> None:
    data = CSV_HEADER + CSV_ROW + b'"The group has since blown up UNESCO-listed'
    message = refused(fresh_target, importer, io.BytesIO(data), csv=True)
    assert message.startswith("line 2: ")


# Files the registry takes ---------------------------------------------------------------


def imported(target: Target, importer: Importer, data: bytes, csv: bool = False) -> None:
    TRIED[0] += 1
    message = importer(target, io.BytesIO(data), csv)
    assert message is None, message


def test_a_utf8_bom_is_accepted(fresh_target: Target, importer: Importer) -> None:
    imported(fresh_target, importer, b"\xef\xbb\xbf" + HEADER + site())
    with Registry.open(fresh_target.url) as reg:
        assert reg.get_site("new-site").name == "New"


@pytest.mark.parametrize(
    "data",
    [HEADER, HEADER + b"\n\n  \r\n", b"\n\n" + HEADER, HEADER.replace(b"\n", b"\r\n")],
    ids=["a header alone", "a header and blank lines", "blank lines first", "CRLF"],
)
def test_a_header_alone_imports_nothing(target: Target, importer: Importer, data: bytes) -> None:
    before = dump(target.engine)
    imported(target, importer, data)
    assert dump(target.engine) == before


def test_a_line_of_exactly_the_limit_is_accepted(fresh_target: Target, importer: Importer) -> None:
    record = site().rstrip(b"\n").removesuffix(b"}")
    padded = record + b" " * (MAX_LINE_BYTES - len(record) - 1) + b"}"
    assert len(padded) == MAX_LINE_BYTES
    imported(fresh_target, importer, HEADER + padded + b"\n")
    with Registry.open(fresh_target.url) as reg:
        assert reg.get_site("new-site").name == "New"


SQL = "'; DROP TABLE site; --"
BIDI = "\u202eabc\u2066x\u2069 تدمر"


def test_sql_and_bidi_text_in_a_file_are_kept_literally(
    fresh_target: Target, importer: Importer
) -> None:
    data = HEADER + site(
        name=SQL, description=BIDI, alt_names=[{"name": '" OR 1=1 --', "lang": "en"}]
    )
    data += event(
        site="new-site", actor="%s{0}", citations=[{"source": SOURCE, "quote": f" {SQL}\n"}]
    )
    imported(fresh_target, importer, data)
    with Registry.open(fresh_target.url) as reg:
        kept = reg.get_site("new-site")
        assert (kept.name, kept.description) == (SQL, BIDI)
        assert [name.name for name in kept.alt_names] == ['" OR 1=1 --']
        got = reg.get_event(UID)
        assert (got.actor, [c.quote for c in got.citations]) == ("%s{0}", [SQL])


def test_a_csv_formula_is_imported_as_text_and_exported_disarmed(
    fresh_target: Target, importer: Importer, tmp_path: Path
) -> None:
    formula = '=HYPERLINK("http://evil.example","click")'
    cell = '"' + formula.replace('"', '""') + '"'
    data = CSV_HEADER + CSV_ROW + cell.encode() + b"\n" + CSV_ROW + b"'=1+1\n"
    imported(fresh_target, importer, data, csv=True)
    with Registry.open(fresh_target.url) as reg:
        quotes = sorted(c.quote for e in reg.list_events() if e.uid != EVENT for c in e.citations)
    assert quotes == sorted([formula, "=1+1"])
    out = tmp_path / "events.csv"
    result = CliRunner().invoke(
        main, ["--db", fresh_target.url, "export", "--format", "csv", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    assert "'=HYPERLINK(" in text
    assert "'=1+1" in text
    assert ",=" not in text


@pytest.mark.parametrize(
    "data",
    [
        CSV_HEADER,
        b"\xef\xbb\xbf" + CSV_HEADER,
        CSV_HEADER + b"\n\n",
        CSV_HEADER.replace(b"\n", b"\r"),
    ],
    ids=["a header alone", "a BOM", "blank lines", "CR line ends"],
)
def test_a_csv_header_alone_imports_nothing(
    target: Target, importer: Importer, data: bytes
) -> None:
    before = dump(target.engine)
    imported(target, importer, data, csv=True)
    assert dump(target.engine) == before
