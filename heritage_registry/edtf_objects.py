"""The edtf library's objects for an EDTF string: what `dates` bounds dates with.

`parse` builds the very object the library's grammar would: directly for the common
shapes (the fast path, `_fast_parse`), through the grammar (`_parse_slow`) for the rest,
with the parts whose bounds the library gets wrong rebuilt (unspecified digits, seasons
across the year's end, significant digits). Apart from `dates` because importing the
library (and pyparsing under it) costs every command a tenth of a second: `dates` loads
this module when it first parses a date, and a command that parses none never does.
Read through `dates` (`dates.parse`, `dates.bounds`); its names here are `dates`' too.
"""

from __future__ import annotations

import calendar
import contextlib
import io
import itertools
import re
import struct
import time
from collections.abc import Iterator
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

from heritage_registry.dates import MAX_EDTF_LENGTH, EdtfError, _not_edtf

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


def _open_ends(value: Any) -> tuple[bool, bool]:
    lower = getattr(value, "lower", None)
    upper = getattr(value, "upper", None)
    # Both an open end (`..`) and an unknown one (empty) are sections the source
    # left unbounded; only the edtf library's own padding would give them a date.
    return isinstance(lower, UnspecifiedIntervalSection), isinstance(
        upper, UnspecifiedIntervalSection
    )


def parse(text: str) -> Any:
    """`dates.parse`, uncached: the fast path where it applies, else the grammar."""
    if len(text) <= MAX_EDTF_LENGTH:
        value = _fast_parse(text)
        if value is not None:
            return value
    return _parse_slow(text)
