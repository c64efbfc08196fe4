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
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import math
import re
import struct
import time
from dataclasses import dataclass
from typing import Any

from edtf import parse_edtf
from edtf.parser.edtf_exceptions import EDTFParseException
from edtf.parser.parser_classes import (
    UA,
    Date,
    Interval,
    Level1Interval,
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


def _parse_slow(text: str) -> Any:
    """`parse` through the edtf grammar alone; the reference the fast path must equal."""
    if len(text) > MAX_EDTF_LENGTH:
        raise EdtfError(f"is longer than {MAX_EDTF_LENGTH} characters")
    try:
        # The library prints "trying to ..." to standard output before re-raising a
        # constructor's error (`../`, `/..`); a refusal must stay a one-line message.
        with contextlib.redirect_stdout(io.StringIO()):
            return parse_edtf(text)
    except (EDTFParseException, ValueError, TypeError, OverflowError, struct.error) as exc:
        raise EdtfError(
            f"{text!r} is not an EDTF date; write e.g. 2015-05-23, 2015-02, 2015-04~, "
            "2015-05-23/2016-03-25, ../2015-04 or 12XX"
        ) from exc


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
