"""EDTF dates: validation and the derived `earliest`/`latest` calendar bounds.

Reports give "last May", "in February", "between two satellite images". The registry
stores what the source says as an Extended Date/Time Format string (ISO 8601-2), parsed
by the maintained `edtf` library, and derives the calendar bounds used for sorting and
range queries. An open end (`../2015-04`) or an unknown one (`/2015-04`) has no bound:
the library's guess of ten years for an unknown end is not something a source said.

The library's grammar takes tens of milliseconds a string, which dominated importing and
summarising a large registry. Nearly every date a report gives is a plain or qualified
day, month or year, or an interval of them, so those are built here directly as the very
objects the grammar would return; anything else, and anything the grammar might refuse,
still goes through the grammar, so what is accepted and every refusal stay its own.

Level 2's unspecified digits (`1984-1X`: October to December 1984; `2016-03-1X`: 10 to
19 March) are the grammar's too, but it cannot bound an X inside a month or a day, and
it breaks building some of them (`1984-1X`, `1984-XX/1985`); those are built and bounded
here, by the first and last calendar dates their digits can name (`UnspecifiedDigits`).

The library's objects are built in `edtf_objects`, which is imported when the first date
is parsed: importing the library (and pyparsing) took a tenth of a second of every
command, most of which parse no date.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import math
import re
import time
from dataclasses import dataclass
from typing import Any

MAX_EDTF_LENGTH = 100


class EdtfError(ValueError):
    """An EDTF string that cannot be parsed, or bounds a calendar date cannot hold."""


@dataclass(frozen=True)
class Bounds:
    """The calendar span of an EDTF value; `None` where an end is open or unknown."""

    earliest: dt.date | None
    latest: dt.date | None


# Parsing one EDTF string takes the edtf library's grammar tens of milliseconds, and a
# registry repeats the same few thousand dates; parsing and both derivations are pure,
# so cached. A cached parse is shared by every caller: nobody may change it.
_CACHE_SIZE = 65_536


def _not_edtf(text: str) -> EdtfError:
    """The refusal of every EDTF field: what the text most likely meant, when it can tell.

    A date written for people (`Aug 2015`, `23/08/2015`) gets its EDTF as a suggestion,
    never a silent conversion; one whose day and month may be either way round gets both.
    """
    readings = suggest(text)
    if len(readings) == 1:
        return EdtfError(f"{text!r} is not an EDTF date; did you mean {readings[0]}?")
    if readings:
        first, second = (_reading_words(reading) for reading in readings)
        return EdtfError(
            f"{text!r} is not an EDTF date, and its day and month could be either way round: "
            f"did you mean {first} or {second}?"
        )
    return EdtfError(
        f"{text!r} is not an EDTF date; write e.g. 2015-05-23, 2015-02, 2015-04~, "
        "2015-05-23/2016-03-25, ../2015-04 or 12XX"
    )


def __getattr__(name: str) -> Any:
    """The parsing internals (`UnspecifiedDigits`, `_fast_parse`, ...), from `edtf_objects`.

    They stay readable as this module's, as they were before the edtf library was loaded
    only when needed; reading one loads it.
    """
    if name.startswith("__"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from heritage_registry import edtf_objects

    try:
        return getattr(edtf_objects, name)
    except AttributeError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def parse(text: str) -> Any:
    """Parse EDTF, or raise `EdtfError` with a message that says what a valid value is.

    The object is shared with every other caller of the same text: read it, never change it.
    """
    from heritage_registry import edtf_objects

    return edtf_objects.parse(text)


def _to_date(value: Any, text: str) -> dt.date | None:
    if isinstance(value, float) and math.isinf(value):
        return None
    if not isinstance(value, time.struct_time):
        raise EdtfError(f"{text!r} has a bound the calendar cannot hold ({value!r})")
    if value.tm_year < dt.MINYEAR or value.tm_year > dt.MAXYEAR:
        raise EdtfError(
            f"{text!r} reaches the year {value.tm_year}, outside the years 1 to 9999 in which "
            "event and source dates must fall"
        )
    return dt.date(value.tm_year, value.tm_mon, value.tm_mday)


# The years a construction date may reach: a monument's `built` is bounded by year alone
# (Nimrud's palaces are of the 9th century BCE), but a year must still fit a database's
# integer, and a building of more than a hundred thousand years ago is a typing mistake.
MIN_BUILT_YEAR = -99_999
MAX_BUILT_YEAR = dt.MAXYEAR


@functools.lru_cache(maxsize=_CACHE_SIZE)
def bounds(text: str) -> Bounds:
    """The earliest and latest calendar dates an EDTF value admits."""
    value = parse(text)
    # Loaded by `parse`: the edtf library's objects are its.
    from heritage_registry.edtf_objects import _open_ends

    open_lower, open_upper = _open_ends(value)
    try:
        earliest = None if open_lower else _to_date(value.lower_strict(), text)
        latest = None if open_upper else _to_date(value.upper_strict(), text)
    except (ValueError, OverflowError) as exc:
        if isinstance(exc, EdtfError):
            raise
        raise EdtfError(f"{text!r} has a bound the calendar cannot hold") from exc
    if earliest is not None and latest is not None and earliest > latest:
        raise EdtfError(f"{text!r} ends before it starts")
    return Bounds(earliest, latest)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def year_bounds(text: str) -> tuple[int | None, int | None]:
    """The earliest and latest year of an EDTF value; years before 1 CE are negative.

    Construction dates reach far before the calendar `datetime.date` can hold (Nimrud's
    palaces are of the 9th century BCE), so they are bounded by year only.
    """
    value = parse(text)
    # Loaded by `parse`: the edtf library's objects are its.
    from heritage_registry.edtf_objects import _open_ends

    open_lower, open_upper = _open_ends(value)

    def year(bound: Any) -> int | None:
        if isinstance(bound, float) and math.isinf(bound):
            return None
        if not isinstance(bound, time.struct_time):
            raise EdtfError(f"{text!r} has a bound the calendar cannot hold")
        if not MIN_BUILT_YEAR <= bound.tm_year <= MAX_BUILT_YEAR:
            raise EdtfError(
                f"{text!r} reaches the year {bound.tm_year}, outside the years "
                f"{MIN_BUILT_YEAR} to {MAX_BUILT_YEAR} in which a construction date must fall"
            )
        return int(bound.tm_year)

    earliest = None if open_lower else year(value.lower_strict())
    latest = None if open_upper else year(value.upper_strict())
    if earliest is not None and latest is not None and earliest > latest:
        raise EdtfError(f"{text!r} ends before it starts")
    return earliest, latest


# Dates written for people -------------------------------------------------------------
# What `_not_edtf` suggests for a date as a report writes it: `Aug 2015`, `23/08/2015`,
# `August 23, 2015`, `2015-08-23 to 2015-08-30`. A few unambiguous English shapes are
# read by the patterns below, with the standard library's calendar: a general date parser
# (dateutil's) fills a missing day from today and picks a day-month order silently, the
# very guesses a suggestion must show instead. Anything else gets no suggestion, and a
# suggestion is only ever shown, never stored.

# The English month names, for suggestions here and for the summaries' dates in words.
MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_MONTH_WORDS = (
    {name.lower(): number for number, name in enumerate(MONTH_NAMES, 1)}
    | {name[:3].lower(): number for number, name in enumerate(MONTH_NAMES, 1)}
    | {"sept": 9}
)
# EDTF's seasons (level 1): 21 spring, 22 summer, 23 autumn, 24 winter.
_SEASON_WORDS = {"spring": 21, "summer": 22, "autumn": 23, "fall": 23, "winter": 24}
_APPROXIMATE = re.compile(r"(?:circa|ca|c|about|around|approximately|approx)\.?\s+(.+)")
_BEFORE = re.compile(r"(?:before|by)\s+(.+)")
_AFTER = re.compile(r"after\s+(.+)")
# `between A and B`, `[from] A to B`, `A - B`, and A and B joined by an en or em dash.
_RANGE = re.compile(
    r"between\s+(?P<a>.+?)\s+and\s+(?P<b>.+)"
    r"|(?:from\s+)?(?P<c>.+?)(?:\s+(?:to|until|till|through)\s+|\s*[\u2013\u2014]\s*|\s+-\s+)"
    r"(?P<d>.+)"
)
_NUMERIC = re.compile(r"([0-9]{1,4})[-/.]([0-9]{1,4})(?:[-/.]([0-9]{1,4}))?")
# A date already in EDTF's shape, qualified, as one end of a range written for people.
_QUALIFIED = re.compile(r"([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?([~?%])")
_DECADE = re.compile(r"(?:the\s+)?([0-9]{3})0'?s")
_CENTURY = re.compile(r"(?:the\s+)?([0-9]{1,2})(?:st|nd|rd|th)\s+century")
_ORDINAL = re.compile(r"([0-9])(?:st|nd|rd|th)\b")


@dataclass(frozen=True)
class _Reading:
    """One way to read a date written for people: its EDTF and its calendar span."""

    edtf: str
    earliest: dt.date
    latest: dt.date


def _calendar_reading(year: int, month: int | None, day: int | None) -> _Reading | None:
    """A year, a month or a day that the calendar holds; None for one it does not."""
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        return None
    if month is None:
        return _Reading(f"{year:04d}", dt.date(year, 1, 1), dt.date(year, 12, 31))
    if not 1 <= month <= 12:
        return None
    last = calendar.monthrange(year, month)[1]
    if day is None:
        return _Reading(
            f"{year:04d}-{month:02d}", dt.date(year, month, 1), dt.date(year, month, last)
        )
    if not 1 <= day <= last:
        return None
    when = dt.date(year, month, day)
    return _Reading(f"{year:04d}-{month:02d}-{day:02d}", when, when)


def _number(text: str | None) -> int | None:
    return None if text is None else int(text)


def _found(*readings: _Reading | None) -> list[_Reading]:
    """The readings that name a date, each once, in order."""
    found: list[_Reading] = []
    for reading in readings:
        if reading is not None and reading not in found:
            found.append(reading)
    return found


def _numeric_readings(first: str, second: str, third: str | None) -> list[_Reading]:
    """`2015/08/23`, `2015-8`, `8/2015`, and `23/08/2015` or `08/23/2015`."""
    if third is None:
        if len(first) == 4 and len(second) <= 2:
            return _found(_calendar_reading(int(first), int(second), None))
        if len(second) == 4 and len(first) <= 2:
            return _found(_calendar_reading(int(second), int(first), None))
        return []
    if len(first) == 4 and len(second) <= 2 and len(third) <= 2:
        return _found(_calendar_reading(int(first), int(second), int(third)))
    if len(third) != 4 or len(first) > 2 or len(second) > 2:
        # A two-digit year is left alone: which century is a guess.
        return []
    # Day first (23/08/2015, most of the world) or month first (08/23/2015, the US):
    # both are offered where both name a date.
    year, a, b = int(third), int(first), int(second)
    return _found(_calendar_reading(year, b, a), _calendar_reading(year, a, b))


def _word_readings(text: str) -> list[_Reading]:
    """`Aug 2015`, `23 August 2015`, `August 23rd, 2015`, `spring 2015`."""
    text = _ORDINAL.sub(r"\1", text)
    if re.search(r"[^a-z0-9\s,.]", text):
        return []
    tokens = re.findall(r"[a-z]+|[0-9]+", text)
    shape = "".join(
        "m"
        if token in _MONTH_WORDS
        else "s"
        if token in _SEASON_WORDS
        else "y"
        if token.isdigit() and len(token) == 4
        else "d"
        if token.isdigit() and len(token) <= 2
        else "?"
        for token in tokens
    )
    if shape == "y":
        return _found(_calendar_reading(int(tokens[0]), None, None))
    if shape == "my":
        return _found(_calendar_reading(int(tokens[1]), _MONTH_WORDS[tokens[0]], None))
    if shape == "dmy":
        return _found(_calendar_reading(int(tokens[2]), _MONTH_WORDS[tokens[1]], int(tokens[0])))
    if shape == "mdy":
        return _found(_calendar_reading(int(tokens[2]), _MONTH_WORDS[tokens[0]], int(tokens[1])))
    if shape == "sy" and dt.MINYEAR <= int(tokens[1]) < dt.MAXYEAR:
        edtf = f"{int(tokens[1]):04d}-{_SEASON_WORDS[tokens[0]]}"
        span = bounds(edtf)
        assert span.earliest is not None
        assert span.latest is not None
        return [_Reading(edtf, span.earliest, span.latest)]
    return []


def _side_readings(text: str) -> list[_Reading]:
    """The readings of one date (not a range), day first before month first."""
    text = text.strip(" ,")
    approximate = _APPROXIMATE.fullmatch(text)
    if approximate:
        return [
            _Reading(f"{inner.edtf}~", inner.earliest, inner.latest)
            for inner in _side_readings(approximate.group(1))
            if inner.edtf[-1].isdigit()
        ]
    numeric = _NUMERIC.fullmatch(text)
    if numeric:
        return _numeric_readings(*numeric.groups())
    qualified = _QUALIFIED.fullmatch(text)
    if qualified:
        year, month, day, qualifier = qualified.groups()
        plain = _calendar_reading(int(year), _number(month), _number(day))
        return (
            []
            if plain is None
            else [_Reading(plain.edtf + qualifier, plain.earliest, plain.latest)]
        )
    decade = _DECADE.fullmatch(text)
    if decade and int(decade.group(1)) > 0:
        start = int(decade.group(1)) * 10
        return [_Reading(f"{decade.group(1)}X", dt.date(start, 1, 1), dt.date(start + 9, 12, 31))]
    century = _CENTURY.fullmatch(text)
    if century and 2 <= int(century.group(1)) <= 99:
        # The 13th century is 12XX, as DOMAIN.md has it.
        start = (int(century.group(1)) - 1) * 100
        edtf = f"{start // 100:02d}XX"
        return [_Reading(edtf, dt.date(start, 1, 1), dt.date(start + 99, 12, 31))]
    return _word_readings(text)


def _range_readings(lower: str, upper: str) -> list[_Reading]:
    """`lower` to `upper`: the day-first readings of both ends, then the month-first ones."""
    starts, ends = _side_readings(lower), _side_readings(upper)
    if not starts or not ends:
        return []
    readings: list[_Reading] = []
    for choice in (0, 1):
        start, end = starts[min(choice, len(starts) - 1)], ends[min(choice, len(ends) - 1)]
        if start.earliest <= end.latest:
            readings.append(_Reading(f"{start.edtf}/{end.edtf}", start.earliest, end.latest))
    return _found(*readings)


def _readings(text: str) -> list[_Reading]:
    text = " ".join(text.lower().split())
    before, after = _BEFORE.fullmatch(text), _AFTER.fullmatch(text)
    if before:
        return [
            _Reading(f"../{inner.edtf}", inner.earliest, inner.latest)
            for inner in _side_readings(before.group(1))
        ]
    if after:
        return [
            _Reading(f"{inner.edtf}/..", inner.earliest, inner.latest)
            for inner in _side_readings(after.group(1))
        ]
    found = _side_readings(text)
    interval = None if found else _RANGE.fullmatch(text)
    if interval is None:
        return found
    if interval.group("a") is not None:
        return _range_readings(interval.group("a"), interval.group("b"))
    return _range_readings(interval.group("c"), interval.group("d"))


def suggest(text: str) -> list[str]:
    """The EDTF a date written for people most likely means: no, one or two readings.

    `Aug 2015` is `2015-08`; `23/08/2015` is `2015-08-23` (no month is the 23rd);
    `03/04/2015` reads either way, `2015-04-03` (day first) or `2015-03-04`. A suggestion
    for a message, never a conversion.
    """
    if len(text) > MAX_EDTF_LENGTH:
        return []
    return [reading.edtf for reading in _readings(text)][:2]


def _reading_words(edtf: str) -> str:
    """`2015-04-03 (3 April 2015)`: a reading with its meaning, to tell two apart."""
    match = re.fullmatch(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", edtf)
    if match is None:
        return edtf
    year, month, day = (int(part) for part in match.groups())
    return f"{edtf} ({day} {MONTH_NAMES[month - 1]} {year})"
