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
from dataclasses import dataclass
from typing import Any

from edtf import parse_edtf
from edtf.parser.edtf_exceptions import EDTFParseException
from edtf.parser.parser_classes import (
    EARLIEST,
    LATEST,
    UA,
    Date,
    Interval,
    Level1Interval,
    Level2Interval,
    PartialUnspecified,
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
    return EdtfError(
        f"{text!r} is not an EDTF date; write e.g. 2015-05-23, 2015-02, 2015-04~, "
        "2015-05-23/2016-03-25, ../2015-04 or 12XX"
    )


def _parse_slow(text: str) -> Any:
    """`parse` through the edtf grammar alone; the reference the fast path must equal.

    Alone but for unspecified digits, which the grammar cannot bound or even build: see
    `UnspecifiedDigits`.
    """
    if len(text) > MAX_EDTF_LENGTH:
        raise EdtfError(f"is longer than {MAX_EDTF_LENGTH} characters")
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
    return _with_digits_bounded(value, text)


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


def _with_digits_bounded(value: Any, text: str) -> Any:
    """`value` with each date of unspecified digits in it one that can be bounded."""

    def bounded(part: Any) -> Any:
        if isinstance(part, PartialUnspecified) and not isinstance(part, UnspecifiedDigits):
            return UnspecifiedDigits(year=part.year, month=part.month, day=part.day)  # type: ignore[no-untyped-call]
        return part

    if isinstance(value, Level2Interval):
        value.lower, value.upper = bounded(value.lower), bounded(value.upper)
    value = bounded(value)
    parts = (value.lower, value.upper) if isinstance(value, Level2Interval) else (value,)
    for part in parts:
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


def _to_date(value: Any) -> dt.date | None:
    if isinstance(value, float) and math.isinf(value):
        return None
    if not isinstance(value, time.struct_time):
        raise EdtfError(f"has a bound the calendar cannot hold ({value!r})")
    if value.tm_year < dt.MINYEAR or value.tm_year > dt.MAXYEAR:
        raise EdtfError("falls outside the years 1 to 9999, which event and source dates must")
    return dt.date(value.tm_year, value.tm_mon, value.tm_mday)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def bounds(text: str) -> Bounds:
    """The earliest and latest calendar dates an EDTF value admits."""
    value = parse(text)
    open_lower, open_upper = _open_ends(value)
    try:
        earliest = None if open_lower else _to_date(value.lower_strict())
        latest = None if open_upper else _to_date(value.upper_strict())
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
        return int(bound.tm_year)

    earliest = None if open_lower else year(value.lower_strict())
    latest = None if open_upper else year(value.upper_strict())
    if earliest is not None and latest is not None and earliest > latest:
        raise EdtfError(f"{text!r} ends before it starts")
    return earliest, latest
