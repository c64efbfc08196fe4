"""EDTF dates in words, as a summary's reader wants them: "about April 2015".

The words are driven by the objects the `edtf` library parses, not by patterns on the
raw string, so that every form the registry accepts either reads naturally or, for the
rare forms without a natural reading (sets, level-2 qualifications), falls back to the
EDTF itself: a summary never shows a date the source did not give.

The edtf grammar is slow (tens of milliseconds for some strings) and a registry repeats
the same few hundred dates, so both functions here are cached like `dates.bounds`.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from enum import Enum
from typing import Any

from edtf.parser.parser_classes import (
    Date,
    DateAndTime,
    Interval,
    Level1Interval,
    PartialUncertainOrApproximate,
    Season,
    UncertainOrApproximate,
    Unspecified,
    UnspecifiedIntervalSection,
)

from heritage_registry import dates

MONTHS = dates.MONTH_NAMES
SEASONS = {21: "spring", 22: "summer", 23: "autumn", 24: "winter"}

_CACHE_SIZE = 65_536


def ordinal(number: int) -> str:
    """`1st`, `2nd`, `13th`, `21st`."""
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _year(text: str) -> str:
    # EDTF years are astronomical (ISO 8601): 0000 is 1 BCE, -0001 is 2 BCE.
    year = int(text)
    if year <= 0:
        return f"{1 - year} BCE"
    if year < 1000:
        return f"AD {year}"
    return str(year)


def _unspecified_year(text: str) -> str | None:
    """`201X` -> 2010s, `12XX` -> 13th century, `1XXX` -> 2nd millennium."""
    negative = text.startswith("-")
    digits = text.lstrip("-")
    stem = digits.rstrip("X")
    hidden = len(digits) - len(stem)
    if not stem.isdigit() or "X" in stem or hidden == 0:
        return None
    prefix = int(stem)
    if hidden == 1 and not negative:
        return f"{prefix * 10}s"
    if hidden == 2:
        # 12XX is 1200-1299, conventionally "the 13th century"; -08XX is 900-801 BCE.
        return f"{ordinal(prefix + 1)} century" + (" BCE" if negative else "")
    if hidden == 3:
        return f"{ordinal(prefix + 1)} millennium" + (" BCE" if negative else "")
    return None


def _date(value: Any) -> str | None:
    year, month, day = value.year, value.month, value.day
    if isinstance(value, Unspecified) or "X" in f"{year}{month or ''}{day or ''}":
        if "X" in str(year):
            return _unspecified_year(str(year)) if month is None else None
        if month is not None and "X" in month:
            return f"some month of {_year(year)}" if day is None else None
        if day == "XX" and month is not None:
            return f"some day in {MONTHS[int(month) - 1]} {_year(year)}"
        return None
    if month is None:
        return _year(year)
    if day is None:
        return f"{MONTHS[int(month) - 1]} {_year(year)}"
    return f"{int(day)} {MONTHS[int(month) - 1]} {_year(year)}"


def _qualified(value: Any) -> str | None:
    inner = _words(value.date)
    if inner is None:
        return None
    ua = value.ua
    if ua is None:
        return inner
    if ua.is_uncertain_and_approximate:
        return f"possibly about {inner}"
    if ua.is_approximate:
        return f"about {inner}"
    if ua.is_uncertain:
        return f"possibly {inner}"
    return inner


def _interval(value: Any) -> str | None:
    lower, upper = value.lower, value.upper
    lower_gap = isinstance(lower, UnspecifiedIntervalSection)
    upper_gap = isinstance(upper, UnspecifiedIntervalSection)
    start = None if lower_gap else _words(lower)
    end = None if upper_gap else _words(upper)
    if (not lower_gap and start is None) or (not upper_gap and end is None):
        return None
    if lower_gap and upper_gap:
        return "at an unknown date"
    if lower_gap:
        # `..` says the source gives no start; an empty start says it is unknown.
        return f"before {end}" if lower.is_open else f"until {end} (start unknown)"
    if upper_gap:
        return f"after {start}" if upper.is_open else f"from {start} (end unknown)"
    return f"{start} - {end}"


def _words(value: Any) -> str | None:
    """The words for a parsed EDTF object, or None where it has no natural reading."""
    if isinstance(value, Interval | Level1Interval):
        return _interval(value)
    if isinstance(value, UncertainOrApproximate):
        return _qualified(value)
    if isinstance(value, Season):
        season = SEASONS.get(int(value.season))
        return f"{season} {_year(value.year)}" if season else None
    if isinstance(value, PartialUncertainOrApproximate):
        # Qualifications on single parts (`2004-06~-11`) have no short reading.
        return None
    if isinstance(value, DateAndTime):
        return _words(value.date)
    if isinstance(value, Date):  # Unspecified is a Date
        return _date(value)
    return None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def describe(text: str) -> str:
    """An EDTF value in words: `2015-04~` -> "about April 2015".

    Forms without a natural reading come back as the EDTF string itself.
    """
    try:
        words = _words(dates.parse(text))
    except (dates.EdtfError, ValueError, IndexError):
        return text
    return words if words is not None else text


class End(Enum):
    """How one end of a date is bounded, for drawing it on a timeline."""

    EXACT = "exact"
    APPROXIMATE = "approximate"
    OPEN = "open"


@dataclass(frozen=True)
class Ends:
    start: End
    end: End


def _qualification(value: Any) -> End:
    if isinstance(value, UnspecifiedIntervalSection):
        return End.OPEN
    qualifiers = ("is_approximate", "is_uncertain", "is_uncertain_and_approximate")
    if any(getattr(value, name, False) for name in qualifiers):
        return End.APPROXIMATE
    return End.EXACT


@functools.lru_cache(maxsize=_CACHE_SIZE)
def ends(text: str) -> Ends:
    """Whether each end of an EDTF value is exact, approximate (`~`, `?`, `%`) or open."""
    try:
        value = dates.parse(text)
    except dates.EdtfError:
        return Ends(End.OPEN, End.OPEN)
    if isinstance(value, Interval | Level1Interval):
        return Ends(_qualification(value.lower), _qualification(value.upper))
    both = _qualification(value)
    return Ends(both, both)


def day_words(day: dt.date) -> str:
    """`23 May 2015`."""
    return f"{day.day} {MONTHS[day.month - 1]} {_year(str(day.year))}"


def _month_words(day: dt.date) -> str:
    return f"{MONTHS[day.month - 1]} {_year(str(day.year))}"


def _bound_words(day: dt.date, *, start: bool) -> str:
    # A bound on a month's first (start) or last (end) day is, in a registry of EDTF
    # dates, almost always a month-precision date: say the month, as the sources did.
    next_day = day + dt.timedelta(days=1) if day < dt.date.max else day
    if (start and day.day == 1) or (not start and next_day.day == 1 and next_day != day):
        return _month_words(day)
    return day_words(day)


def span_words(
    earliest: dt.date | None, latest: dt.date | None, *, open_start: bool, open_end: bool
) -> str:
    """A summary's period in words: `May 2015 - March 2016 (possibly earlier: ...)`."""
    if earliest is None and latest is None:
        return "no event has a known date" if open_start or open_end else "no events"
    start = _bound_words(earliest, start=True) if earliest is not None else None
    end = _bound_words(latest, start=False) if latest is not None else None
    if start is not None and end is not None:
        words = start if start == end else f"{start} - {end}"
    elif end is not None:
        words = f"until {end}"
    else:
        words = f"from {start}"
    notes = []
    if open_start:
        notes.append(
            "possibly earlier: an event has no known start"
            if earliest is not None
            else "no event has a known start"
        )
    if open_end:
        notes.append(
            "possibly later: an event has no known end"
            if latest is not None
            else "no event has a known end"
        )
    return f"{words} ({'; '.join(notes)})" if notes else words


def short_span(earliest: dt.date | None, latest: dt.date | None) -> str:
    """The period in a few characters, for a headline: `May 2015 - Mar 2016` (an en dash)."""
    if earliest is None and latest is None:
        return "—"
    start = f"{MONTHS[earliest.month - 1][:3]} {earliest.year}" if earliest else "…"
    end = f"{MONTHS[latest.month - 1][:3]} {latest.year}" if latest else "…"
    return start if start == end else f"{start} \N{EN DASH} {end}"
