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
"""

from __future__ import annotations

import calendar
import contextlib
import datetime as dt
import functools
import io
import itertools
import math
import re
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from edtf import parse_edtf
from edtf.parser.edtf_exceptions import EDTFParseException
from edtf.parser.parser_classes import (
    EARLIEST,
    LATEST,
    UA,
    Date,
    EDTFObject,
    ExponentialYear,
    Interval,
    Level1Interval,
    Level2Interval,
    Level2Season,
    LongYear,
    MultipleDates,
    OneOfASet,
    PartialUnspecified,
    Season,
    UncertainOrApproximate,
    UnspecifiedIntervalSection,
)

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

# One end of a fast-path value: a positive four-digit year, month and day as the grammar
# spells them, and an optional qualifier. `[0-9]`, not `\d`, which takes other scripts'
# digits; whitespace, which the grammar skips, is left to the grammar too.
_SIDE = re.compile(
    r"(?P<year>[0-9]{4})"
    r"(?:-(?P<month>0[1-9]|1[0-2])(?:-(?P<day>0[1-9]|[12][0-9]|3[01]))?)?"
    r"(?P<ua>[~?%])?"
)
# The grammar's own day limits: it takes 02-29 in every year (the calendar check refuses
# a common year's in `bounds`), so the fast path must take it too.
_LAST_DAY = {"02": 29, "04": 30, "06": 30, "09": 30, "11": 30}


def _fast_side(text: str) -> dict[str, Any] | None:
    """One end as the grammar hands it to an interval, or None to leave it to the grammar."""
    match = _SIDE.fullmatch(text)
    if match is None:
        return None
    year, month, day, ua = match.group("year", "month", "day", "ua")
    if day is not None and int(day) > _LAST_DAY.get(month, 31):
        return None
    return {"date": Date(year=year, month=month, day=day), "ua": UA(ua) if ua else None}


def _unbounded(text: str) -> dict[str, Any] | None:
    # The grammar hands an open end (`..`) over as a date of "..", an unknown one as None.
    return {"date": "..", "ua": None} if text == ".." else None


def _fast_parse(text: str) -> Any:
    """The grammar's object for the common shapes, or None where only the grammar can say."""
    start, slash, end = text.partition("/")
    if not slash:
        side = _fast_side(text)
        if side is None:
            return None
        if side["ua"] is None:
            return side["date"]
        return UncertainOrApproximate(**side)  # type: ignore[no-untyped-call]
    # With neither end a date (`../..`, `/`) the grammar builds odd objects or refuses.
    if start in ("", ".."):
        upper = _fast_side(end)
        return None if upper is None else Level1Interval(_unbounded(start), upper)
    lower = _fast_side(start)
    if lower is None:
        return None
    if end in ("", ".."):
        return Level1Interval(lower, _unbounded(end))
    upper = _fast_side(end)
    if upper is None:
        return None
    if lower["ua"] is None and upper["ua"] is None:
        # Two plain dates are the grammar's level-0 interval, not its level-1 one.
        return Interval(lower["date"], upper["date"])  # type: ignore[no-untyped-call]
    return Level1Interval(lower, upper)


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


# Neither end given: the grammar takes `../..` (and refuses the rest), but a date that
# says nothing of when is no date.
_NO_ENDS = frozenset({"..", "../..", "/..", "../", "/"})


def _parse_slow(text: str) -> Any:
    """`parse` through the edtf grammar alone; the reference the fast path must equal.

    Alone but for unspecified digits, which the grammar cannot bound or even build: see
    `UnspecifiedDigits`.
    """
    if len(text) > MAX_EDTF_LENGTH:
        raise EdtfError(f"is longer than {MAX_EDTF_LENGTH} characters")
    if text.strip() in _NO_ENDS:
        raise EdtfError(
            f"{text!r} is not an EDTF date: it gives neither end, which says nothing of when; "
            "give at least one, e.g. ../2016-03-27 or 2015-05/.."
        )
    try:
        # The library prints "trying to ..." to standard output before re-raising a
        # constructor's error (`../`, `/..`); a refusal must stay a one-line message.
        with contextlib.redirect_stdout(io.StringIO()):
            value = parse_edtf(text)
    except (EDTFParseException, ValueError, TypeError, OverflowError, struct.error) as exc:
        raise _not_edtf(text) from exc
    except AttributeError as exc:
        # The grammar matched a month with an X after a year of digits (`1984-1X`), and
        # its constructor broke on the year it was handed (a dict, not the text).
        value = _built_digits(text)
        if value is None:
            raise _not_edtf(text) from exc
    return _bounded(value, text)


# Unspecified digits -------------------------------------------------------------------

# A month or a day with an X in it, as the grammar spells them (`1X`, `X3`; a day `3X`,
# `X5`), besides the months and days of digits; a year is any four digits and Xs.
_X_MONTH = r"0[1-9]|1[0-2]|[01X]X|X[0-9]"
_X_DAY = r"0[1-9]|[12][0-9]|3[01]|[0-9X]X|X[0-9]"
_DIGITS = re.compile(rf"(?P<year>[0-9X]{{4}})(?:-(?P<month>{_X_MONTH})(?:-(?P<day>{_X_DAY}))?)?")


def _matches(pattern: str, number: int) -> bool:
    """Whether `number` is one the digits and Xs of `pattern` can spell."""
    digits = f"{number:0{len(pattern)}d}"
    return all(given in ("X", digit) for given, digit in zip(pattern, digits, strict=True))


def _spelled(pattern: str) -> list[int]:
    """Every number the digits and Xs of `pattern` can spell, in order."""
    choices = ["0123456789" if given == "X" else given for given in pattern]
    return [int("".join(digits)) for digits in itertools.product(*choices)]


def _days_in(year: int, month: int) -> int:
    # calendar.monthrange needs a year datetime can hold; an EDTF year may be 0.
    return 29 if month == 2 and calendar.isleap(year) else _MONTH_DAYS[month - 1]


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _extreme_day(
    year: str, month: str | None, day: str | None, *, latest: bool
) -> tuple[int, int, int] | None:
    """The first (or last) calendar date the digits can name, or None for none at all."""
    years = _spelled(year)
    months = [number for number in range(1, 13) if month is None or _matches(month, number)]
    for candidate in reversed(years) if latest else years:
        for number in reversed(months) if latest else months:
            last = _days_in(candidate, number)
            if day is None:
                return candidate, number, last if latest else 1
            days = [n for n in range(1, last + 1) if _matches(day, n)]
            if days:
                return candidate, number, days[-1] if latest else days[0]
    return None


class UnspecifiedDigits(PartialUnspecified):
    """A date with unspecified digits (EDTF level 2), bounded by the dates it can name.

    `1984-1X` is October to December 1984, `2022-0X` January to September 2022,
    `2016-03-1X` the 10th to the 19th of March, `1500-1X-25` 25 October to 25 December
    1500. The edtf library takes an X in a month or a day for a number (`int("1X")`).
    """

    def _strict_date(self, lean: str = EARLIEST) -> time.struct_time:
        if lean not in (EARLIEST, LATEST):
            raise ValueError("lean must be one of EARLIEST or LATEST")
        found = _extreme_day(self._year or "", self._month, self._day, latest=lean == LATEST)
        if found is None:
            raise ValueError(f"{self} names no calendar date")
        return time.struct_time((*found, 0, 0, 0, 0, 0, -1))


def _digits(match: re.Match[str]) -> UnspecifiedDigits:
    return UnspecifiedDigits(**match.groupdict())  # type: ignore[no-untyped-call]


def _built_digits(text: str) -> Any:
    """What the grammar would have built of `text` had it not broken, or None.

    It breaks on a month with an X after a year of digits, alone (`1984-1X`) or as an end
    of an interval (`1984-XX/1985`).
    """
    match = _DIGITS.fullmatch(text)
    if match is not None:
        return _digits(match)
    start, slash, end = text.partition("/")
    lower, upper = _DIGITS.fullmatch(start), _DIGITS.fullmatch(end)
    if not slash or lower is None or upper is None or "X" not in text:
        return None
    sides = [
        _digits(side) if "X" in side.group() else Date(**side.groupdict())
        for side in (lower, upper)
    ]
    return Level2Interval(*sides)  # type: ignore[no-untyped-call]


# Seasons and significant digits ------------------------------------------------------

# Winter (24; 28 in the northern hemisphere; 30, summer, in the southern) runs from
# December into the next year; the edtf library ends it on 31 December.
_YEAR_CROSSING_SEASONS = frozenset({24, 28, 30})


class YearCrossingSeason(Level2Season):
    """A season from December of its year to the end of February of the next (`2015-24`)."""

    def _strict_date(self, lean: str = EARLIEST) -> time.struct_time:
        year = int(self.year)
        if lean == EARLIEST:
            return time.struct_time((year, 12, 1, 0, 0, 0, 0, 0, -1))
        return time.struct_time((year + 1, 2, _days_in(year + 1, 2), 0, 0, 0, 0, 0, -1))


def _significant_years(written: str, digits: int) -> tuple[int, int]:
    """The years a year of `digits` significant digits spans: `1950` S2 is 1900 to 1999."""
    year = int(written)
    hidden = len(written.lstrip("-")) - digits
    if hidden <= 0:
        return year, year
    step = 10**hidden
    low = abs(year) // step * step
    high = low + step - 1
    return (low, high) if year >= 0 else (-high, -low)


def _year_struct(year: int, lean: str) -> time.struct_time:
    month, day = (1, 1) if lean == EARLIEST else (12, 31)
    return time.struct_time((year, month, day, 0, 0, 0, 0, 0, -1))


class SignificantYear(Date):
    """A year with significant digits (`1950S2`: some year of 1900 to 1999, about 1950).

    The edtf library bounds it by the estimate alone.
    """

    def _strict_date(self, lean: str = EARLIEST) -> time.struct_time:
        low, high = _significant_years(self.year or "", self.significant_digits or 0)
        return _year_struct(low if lean == EARLIEST else high, lean)


class SignificantLongYear(LongYear):
    """`Y171010000S3`: some year of 171000000 to 171999999."""

    def _strict_date(self, lean: str = EARLIEST) -> time.struct_time:
        low, high = _significant_years(self.year, self.significant_digits or 0)
        return _year_struct(low if lean == EARLIEST else high, lean)


class SignificantExponentialYear(ExponentialYear):
    """`Y3388E2S3`: some year of 338000 to 338999."""

    def _strict_date(self, lean: str = EARLIEST) -> time.struct_time:
        written = str(self._precise_year())
        low, high = _significant_years(written, self.significant_digits or 0)
        return _year_struct(low if lean == EARLIEST else high, lean)


def _rebuilt(part: Any) -> Any:
    """`part` as an object whose bounds are right, where the edtf library's are not."""
    if isinstance(part, PartialUnspecified) and not isinstance(part, UnspecifiedDigits):
        return UnspecifiedDigits(year=part.year, month=part.month, day=part.day)  # type: ignore[no-untyped-call]
    if (
        isinstance(part, Season)
        and not isinstance(part, YearCrossingSeason)
        and int(part.season) in _YEAR_CROSSING_SEASONS
    ):
        return YearCrossingSeason(year=part.year, season=part.season)  # type: ignore[no-untyped-call]
    significant = getattr(part, "significant_digits", None)
    if significant and type(part) is Date and part.month is None:
        return SignificantYear(year=part.year, significant_digits=str(significant))
    if significant and type(part) is LongYear:
        return SignificantLongYear(part.year, str(significant))
    if significant and type(part) is ExponentialYear:
        return SignificantExponentialYear(part.base, part.exponent, str(significant))  # type: ignore[no-untyped-call]
    return part


def _parts(value: Any) -> Iterator[Any]:
    """`value` and every EDTF object inside it: interval ends, qualified dates, set members."""
    yield value
    for name in ("date", "lower", "upper"):
        inner = getattr(value, name, None)
        if isinstance(inner, EDTFObject):
            yield from _parts(inner)
    for inner in getattr(value, "objects", ()):
        yield from _parts(inner)


def _bounded(value: Any, text: str) -> Any:
    """`value` with each part whose bounds the edtf library gets wrong rebuilt (`_rebuilt`).

    Refused: a date whose unspecified digits name no calendar date (`156X-09-31`), and
    one whose year is all unspecified (`XXXX`), which says nothing of when.
    """

    def rebuild(part: Any) -> Any:
        for name in ("date", "lower", "upper"):
            inner = getattr(part, name, None)
            if isinstance(inner, EDTFObject):
                setattr(part, name, rebuild(inner))
        if isinstance(part, OneOfASet | MultipleDates):
            part.objects = tuple(rebuild(inner) for inner in part.objects)
        return _rebuilt(part)

    value = rebuild(value)
    for part in _parts(value):
        year = getattr(part, "year", None) if isinstance(part, Date) else None
        if isinstance(year, str) and year.lstrip("-") and set(year.lstrip("-")) == {"X"}:
            raise EdtfError(
                f"{text!r} leaves every digit of the year unspecified, which says nothing of "
                "when; give the digits the source gives (2015, 201X, 20XX) or an open end "
                "(../2016-03-27)"
            )
        if isinstance(part, UnspecifiedDigits) and (
            _extreme_day(part.year, part.month, part.day, latest=False) is None
        ):
            raise EdtfError(
                f"{text!r} names no calendar date: an X is one unspecified digit, "
                "e.g. 2016-03-1X is 10 to 19 March 2016"
            )
    return value


@functools.lru_cache(maxsize=_CACHE_SIZE)
def parse(text: str) -> Any:
    """Parse EDTF, or raise `EdtfError` with a message that says what a valid value is.

    The object is shared with every other caller of the same text: read it, never change it.
    """
    if len(text) <= MAX_EDTF_LENGTH:
        value = _fast_parse(text)
        if value is not None:
            return value
    return _parse_slow(text)


def _open_ends(value: Any) -> tuple[bool, bool]:
    lower = getattr(value, "lower", None)
    upper = getattr(value, "upper", None)
    # Both an open end (`..`) and an unknown one (empty) are sections the source
    # left unbounded; only the edtf library's own padding would give them a date.
    return isinstance(lower, UnspecifiedIntervalSection), isinstance(
        upper, UnspecifiedIntervalSection
    )


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
