"""EDTF dates: validation and the derived `earliest`/`latest` calendar bounds.

Reports give "last May", "in February", "between two satellite images". The registry
stores what the source says as an Extended Date/Time Format string (ISO 8601-2), parsed
by the maintained `edtf` library, and derives the calendar bounds used for sorting and
range queries. An open end (`../2015-04`) or an unknown one (`/2015-04`) has no bound:
the library's guess of ten years for an unknown end is not something a source said.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import struct
import time
from dataclasses import dataclass
from typing import Any

from edtf import parse_edtf
from edtf.parser.edtf_exceptions import EDTFParseException
from edtf.parser.parser_classes import UnspecifiedIntervalSection

MAX_EDTF_LENGTH = 100


class EdtfError(ValueError):
    """An EDTF string that cannot be parsed, or bounds a calendar date cannot hold."""


@dataclass(frozen=True)
class Bounds:
    """The calendar span of an EDTF value; `None` where an end is open or unknown."""

    earliest: dt.date | None
    latest: dt.date | None


def parse(text: str) -> Any:
    """Parse EDTF, or raise `EdtfError` with a message that says what a valid value is."""
    if len(text) > MAX_EDTF_LENGTH:
        raise EdtfError(f"is longer than {MAX_EDTF_LENGTH} characters")
    try:
        return parse_edtf(text)
    except (EDTFParseException, ValueError, OverflowError, struct.error) as exc:
        raise EdtfError(
            f"{text!r} is not an EDTF date; write e.g. 2015-05-23, 2015-02, 2015-04~, "
            "2015-05-23/2016-03-25, ../2015-04 or 12XX"
        ) from exc


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


# Parsing one EDTF string takes the edtf library's grammar tens of milliseconds, and a
# registry repeats the same few thousand dates; both derivations are pure, so cached.
_CACHE_SIZE = 65_536


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
