"""EDTF dates in words, as a summary's reader wants them: "about April 2015".

The words are driven by the objects the `edtf` library parses, not by patterns on the
raw string, and every form the registry accepts has them, in this one place for every
summary format: unspecified digits in any position (`2016-03-1X`, "between 10 and 19
March 2016"), seasons and the other sub-year groupings (`2015-24`, "winter 2015-2016",
December to February), open and unknown ends, sets (`{1912..1913,1952..1953}`, "1912
to 1913 and 1952 to 1953"), qualifications of a whole date or of its parts, significant
digits and years beyond four digits. Only a value the registry would refuse comes back
as its text: a summary never hides what a record holds.

The edtf grammar is slow (tens of milliseconds for some strings) and a registry repeats
the same few hundred dates, so both functions here are cached like `dates.bounds`.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
from dataclasses import dataclass
from enum import Enum
from typing import Any

from edtf.parser.parser_classes import (
    Consecutives,
    Date,
    DateAndTime,
    EarlierConsecutives,
    Interval,
    LaterConsecutives,
    Level1Interval,
    LongYear,
    MultipleDates,
    OneOfASet,
    PartialUncertainOrApproximate,
    Season,
    UncertainOrApproximate,
    Unspecified,
    UnspecifiedIntervalSection,
)

from heritage_registry import dates
from heritage_registry.i18n import _, current, num, using

MONTHS = dates.MONTH_NAMES
SEASONS = {21: "spring", 22: "summer", 23: "autumn", 24: "winter"}

_CACHE_SIZE = 65_536


def ordinal(number: int) -> str:
    """`1st`, `2nd`, `13th`, `21st`; in another language its catalogue's `{number}th`."""
    if current().code != "en":
        return _("{number}th").format(number=num(number))
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def _year(text: str) -> str:
    # EDTF years are astronomical (ISO 8601): 0000 is 1 BCE, -0001 is 2 BCE.
    year = int(text)
    if year <= 0:
        return _("{year} BCE").format(year=num(1 - year))
    if year < 1000:
        return _("AD {year}").format(year=num(year))
    return num(year)


def _era(text: str) -> str | None:
    """`201X` -> 2010s, `12XX` -> 13th century, `1XXX` -> 2nd millennium; None for a year
    whose Xs are not all on the right (`1X99`)."""
    negative = text.startswith("-")
    digits = text.lstrip("-")
    stem = digits.rstrip("X")
    hidden = len(digits) - len(stem)
    if not stem.isdigit() or "X" in stem or hidden == 0:
        return None
    prefix = int(stem)
    if hidden == 1 and not negative:
        return _("{decade}s").format(decade=num(prefix * 10))
    if hidden == 2:
        # 12XX is 1200-1299, conventionally "the 13th century"; -08XX is 900-801 BCE.
        which = _("{ordinal} century BCE") if negative else _("{ordinal} century")
        return which.format(ordinal=ordinal(prefix + 1))
    if hidden == 3:
        which = _("{ordinal} millennium BCE") if negative else _("{ordinal} millennium")
        return which.format(ordinal=ordinal(prefix + 1))
    return None


def _spelled(pattern: str) -> list[int]:
    """Every number the digits and Xs of `pattern` spell (`1X` -> 10..19), in order."""
    numbers = [0]
    for given in pattern:
        choices = range(10) if given == "X" else (int(given),)
        numbers = [number * 10 + digit for number in numbers for digit in choices]
    return numbers


def _choice(words: list[str], conjunction: str = "or") -> str:
    """`a`, `a or b`, `a, b or c`."""
    if len(words) == 1:
        return words[0]
    joined = _("{first} and {last}") if conjunction == "and" else _("{first} or {last}")
    return joined.format(first=_(", ").join(words[:-1]), last=words[-1])


def _consecutive(numbers: list[int]) -> bool:
    return numbers == list(range(numbers[0], numbers[-1] + 1))


def _years(text: str) -> tuple[str, str]:
    """A year with unspecified digits as (alone, after a month or day): `201X` ->
    ("2010s", "in the 2010s"); `1X99` -> ("1099, 1199, ... or 1999", "of 1099, ...")."""
    if "X" not in text:
        return _year(text), _year(text)
    era = _era(text)
    if era is not None:
        return era, _("in the {era}").format(era=era)
    negative = text.startswith("-")
    years = [-n if negative else n for n in _spelled(text.lstrip("-"))]
    if len(years) <= 10:
        listed = _choice([_year(str(year)) for year in years])
        return listed, _("of {years}").format(years=listed)
    span = _("some year from {start} to {end}").format(
        start=_year(str(years[0])), end=_year(str(years[-1]))
    )
    return span, _("of {years}").format(years=span)


def _possible_months(year: str, month: str, day: str | None) -> list[int]:
    """The months `month` spells that hold the day `day` spells in some year `year` spells."""
    months = [m for m in _spelled(month) if 1 <= m <= 12]
    if day is None:
        return months
    lowest_day = min(d for d in _spelled(day) if d >= 1)
    sign = -1 if year.startswith("-") else 1
    leap = any(calendar.isleap(sign * y) for y in _spelled(year.lstrip("-")))
    return [m for m in months if lowest_day <= _days_in_month(m, leap=leap)]


def _month_list(months: list[int]) -> tuple[str, bool]:
    """Possible months in words, and whether they read as names (else as a range)."""
    names = [current().month(m) for m in months]
    if len(months) > 3 and _consecutive(months):
        return _("some month from {start} to {end}").format(start=names[0], end=names[-1]), False
    return _choice(names), True


def _day_list(days: list[int], *, before_name: bool) -> str:
    """Possible days: `between 10 and 19` before a month's name, else `the 10th to 19th`."""
    if len(days) > 3 and _consecutive(days):
        if before_name:
            return _("between {start} and {end}").format(start=num(days[0]), end=num(days[-1]))
        return _("some day from the {start} to the {end}").format(
            start=ordinal(days[0]), end=ordinal(days[-1])
        )
    if before_name:
        return _choice([num(d) for d in days])
    return _("the {days}").format(days=_choice([ordinal(d) for d in days]))


def _unspecified(year: str, month: str | None, day: str | None) -> str:
    """A date with unspecified digits (`2016-03-1X`, `1500-1X-25`, `15XX-12-25`) in words:
    the days, months and years its digits can name, as the calendar allows them."""
    alone, after = _years(year)
    if month is None:
        return alone
    # A year of digits follows a month or a day ("March 2016", "some month of 2016"), an
    # era a preposition ("December in the 16th century", "some month in the 1560s").
    exact = "X" not in year
    tail = alone if exact else after
    if month == "XX":
        if day is None:
            some = _("some month of {year}") if exact else _("some month {year}")
            return some.format(year=tail)
        if day == "XX":
            some = _("some day in {year}") if exact else _("some day {year}")
            return some.format(year=tail)
        which = _day_list([d for d in _spelled(day) if 1 <= d <= 31], before_name=False)
        some = _("{days} of some month of {year}") if exact else _("{days} of some month {year}")
        return some.format(days=which, year=tail)
    months = _possible_months(year, month, day)
    month_words, as_names = _month_list(months)
    if day is None:
        return _("{month} {year}").format(month=month_words, year=tail)
    if day == "XX":
        return _("some day in {month} {year}").format(month=month_words, year=tail)
    longest = max(_days_in_month(m) for m in months)
    days = [d for d in _spelled(day) if 1 <= d <= longest]
    if len(months) == 1 and exact:
        days = [d for d in days if d <= calendar.monthrange(_calendar_year(year), months[0])[1]]
    if as_names:
        return _("{day} {month} {year}").format(
            day=_day_list(days, before_name=True), month=month_words, year=tail
        )
    return _("{days} of {month} {year}").format(
        days=_day_list(days, before_name=False), month=month_words, year=tail
    )


def _days_in_month(month: int, *, leap: bool = True) -> int:
    if month == 2:
        return 29 if leap else 28
    return 30 if month in (4, 6, 9, 11) else 31


def _calendar_year(year: str) -> int:
    # calendar.monthrange takes years of 1 to 9999; leap years repeat every 400 years.
    return int(year) % 400 + 2000


def _date(value: Any) -> str | None:
    year, month, day = str(value.year), value.month, value.day
    month = None if month is None else str(month)
    day = None if day is None else str(day)
    if "X" in f"{year}{month or ''}{day or ''}":
        return _unspecified(year, month, day)
    significant = getattr(value, "significant_digits", None)
    if significant and month is None:
        low, high = _significant(year, int(significant))
        if low != high:
            return _("some year from {start} to {end}, estimated {year}").format(
                start=_year(str(low)), end=_year(str(high)), year=_year(year)
            )
    if month is None:
        return _year(year)
    if day is None:
        return _("{month} {year}").format(month=current().month(int(month)), year=_year(year))
    return _("{day} {month} {year}").format(
        day=num(int(day)), month=current().month(int(month)), year=_year(year)
    )


def _significant(year: str, digits: int) -> tuple[int, int]:
    """The years a year of `digits` significant digits spans: `1950` S2 is 1900 to 1999."""
    hidden = len(year.lstrip("-")) - digits
    if hidden <= 0:
        return int(year), int(year)
    step = 10**hidden
    low = abs(int(year)) // step * step
    high = low + step - 1
    return (low, high) if not year.startswith("-") else (-high, -low)


def _ua_words(inner: str, ua: Any) -> str:
    if ua is None:
        return inner
    if ua.is_uncertain_and_approximate:
        return _("possibly about {date}").format(date=inner)
    if ua.is_approximate:
        return _("about {date}").format(date=inner)
    if ua.is_uncertain:
        return _("possibly {date}").format(date=inner)
    return inner


def _qualified(value: Any) -> str | None:
    inner = _words(value.date)
    if inner is None:
        return None
    return _ua_words(inner, value.ua)


# Which parts a qualifier on one part of a date qualifies (EDTF level 2): on the right
# of a part it qualifies that part and those on its left, before a part that part alone.
_PART_QUALIFIERS = (
    ("year_ua", ("year",)),
    ("year_ua_b", ("year",)),
    ("month_ua", ("month",)),
    ("day_ua", ("day",)),
    ("year_month_ua", ("year", "month")),
    ("month_day_ua", ("month", "day")),
    ("season_ua", ("season",)),
    ("all_ua", ("year", "month", "day")),
)


def _partly_qualified(value: Any) -> str | None:
    """`2004-06~-11` -> "11 June 2004 (year and month approximate)"."""
    plain = Date(year=value.year, month=value.month, day=value.day)
    if value.season:
        plain_words = _words(Season(year=value.year, season=value.season))  # type: ignore[no-untyped-call]
    else:
        plain_words = _date(plain)
    if plain_words is None:
        return None
    found: dict[str, list[str]] = {}
    for attribute, parts in _PART_QUALIFIERS:
        ua = getattr(value, attribute, None)
        if ua is None:
            continue
        if ua.is_uncertain_and_approximate:
            kind = "uncertain and approximate"
        elif ua.is_approximate:
            kind = "approximate"
        else:
            kind = "uncertain"
        for part in parts:
            named = found.setdefault(kind, [])
            if part not in named:
                named.append(part)
    if not found:
        return plain_words
    notes = [
        _("{parts} " + kind).format(parts=_choice([_(part) for part in parts], "and"))
        for kind, parts in found.items()
    ]
    return _("{date} ({notes})").format(date=plain_words, notes=_("; ").join(notes))


def _interval(value: Any) -> str | None:
    lower, upper = value.lower, value.upper
    lower_gap = isinstance(lower, UnspecifiedIntervalSection)
    upper_gap = isinstance(upper, UnspecifiedIntervalSection)
    start = None if lower_gap else _words(lower)
    end = None if upper_gap else _words(upper)
    if (not lower_gap and start is None) or (not upper_gap and end is None):
        return None
    if lower_gap and upper_gap:
        return _("at an unknown date")
    if lower_gap:
        # `..` says the source gives no start; an empty start says it is unknown.
        words = _("before {end}") if lower.is_open else _("until {end} (start unknown)")
        return words.format(end=end)
    if upper_gap:
        words = _("after {start}") if upper.is_open else _("from {start} (end unknown)")
        return words.format(start=start)
    return _("{start} - {end}").format(start=start, end=end)


def _member(value: Any) -> str | None:
    """One member of a set: a date, `1670..1672` (1670 to 1672), `..1760` or `1760..`."""
    if isinstance(value, EarlierConsecutives):
        end = _words(value.upper)
        return None if end is None else _("{date} or earlier").format(date=end)
    if isinstance(value, LaterConsecutives):
        start = _words(value.lower)
        return None if start is None else _("{date} or later").format(date=start)
    if isinstance(value, Consecutives):
        start, end = _words(value.lower), _words(value.upper)
        if start is None or end is None:
            return None
        return _("{start} to {end}").format(start=start, end=end)
    return _words(value)


def _set(value: Any) -> str | None:
    """`[1667,1668,1670..1672]` -> "one of 1667, 1668 or 1670 to 1672";
    `{1912..1913,1952..1953}` -> "1912 to 1913 and 1952 to 1953"."""
    members = [_member(member) for member in value.objects]
    if not members or any(member is None for member in members):
        return None
    said = [member for member in members if member is not None]
    if isinstance(value, MultipleDates):
        return _choice(said, "and")
    if len(said) == 1:
        # English has always read " to " in the words; a catalogue, the member's kind.
        english = current().code == "en"
        ranged = " to " in said[0] if english else isinstance(value.objects[0], Consecutives)
        return _("some date in {dates}").format(dates=said[0]) if ranged else said[0]
    return _("one of {dates}").format(dates=_choice(said))


# ISO 8601-2's sub-year groupings beyond the four seasons (EDTF level 2).
_GROUPINGS = {
    25: "spring {year} (northern hemisphere)",
    26: "summer {year} (northern hemisphere)",
    27: "autumn {year} (northern hemisphere)",
    28: "winter {year} (northern hemisphere)",
    29: "spring {year} (southern hemisphere)",
    30: "summer {year} (southern hemisphere)",
    31: "autumn {year} (southern hemisphere)",
    32: "winter {year} (southern hemisphere)",
    33: "the first quarter of {year}",
    34: "the second quarter of {year}",
    35: "the third quarter of {year}",
    36: "the fourth quarter of {year}",
    37: "the first four months of {year}",
    38: "May to August {year}",
    39: "the last four months of {year}",
    40: "the first half of {year}",
    41: "the second half of {year}",
}


def _season(value: Any) -> str | None:
    number = int(value.season)
    year = int(value.year)
    if isinstance(value, dates.YearCrossingSeason):
        # Winter (and the southern summer) runs from December into the next year.
        crossing = _("{start}-{end}")
        if year <= 0 or year + 1 < 1000:
            crossing = _("{start} to {end}")
        crossing = crossing.format(start=_year(str(year)), end=_year(str(year + 1)))
        name = SEASONS.get(number)
        if name:
            return _(name + " {year}").format(year=crossing)
        return _(_GROUPINGS[number]).format(year=crossing)
    name = SEASONS.get(number)
    if name:
        return _(name + " {year}").format(year=_year(str(year)))
    grouping = _GROUPINGS.get(number)
    return _(grouping).format(year=_year(str(year))) if grouping else None


def _long_year(value: Any) -> str:
    return _year(str(value._precise_year()))


def _words(value: Any) -> str | None:
    """The words for a parsed EDTF object, or None where it has no natural reading."""
    if isinstance(value, OneOfASet | MultipleDates):
        return _set(value)
    if isinstance(value, Interval | Level1Interval):
        return _interval(value)
    if isinstance(value, UncertainOrApproximate):
        return _qualified(value)
    if isinstance(value, PartialUncertainOrApproximate):
        return _partly_qualified(value)
    if isinstance(value, Season):
        return _season(value)
    if isinstance(value, DateAndTime):
        return _words(value.date)
    if isinstance(value, LongYear):
        return _long_year(value)
    if isinstance(value, Date):  # Unspecified is a Date
        words = _date(value)
        # An unspecified date carries its own qualifier (`201X~`).
        ua = getattr(value, "ua", None) if isinstance(value, Unspecified) else None
        return None if words is None else _ua_words(words, ua)
    return None


def describe(text: str, lang: str | None = None) -> str:
    """An EDTF value in words: `2015-04~` -> "about April 2015", `2016-03-1X` -> "between
    10 and 19 March 2016", `{1912..1913,1952..1953}` -> "1912 to 1913 and 1952 to 1953".

    Every form the registry accepts has words; a value it would refuse comes back as
    the text itself, so that a summary never hides what a record holds. The words are
    in `lang` (a code of `heritage_registry.i18n`), by default the language in use.
    """
    return _describe(text, lang or current().code)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _describe(text: str, lang: str) -> str:
    if lang != current().code:
        with using(lang):
            return _describe(text, lang)
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
    return _("{day} {month} {year}").format(
        day=num(day.day), month=current().month(day.month), year=_year(str(day.year))
    )


def _month_words(day: dt.date) -> str:
    return _("{month} {year}").format(month=current().month(day.month), year=_year(str(day.year)))


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
        return _("no event has a known date") if open_start or open_end else _("no events")
    start = _bound_words(earliest, start=True) if earliest is not None else None
    end = _bound_words(latest, start=False) if latest is not None else None
    if start is not None and end is not None:
        words = start if start == end else _("{start} - {end}").format(start=start, end=end)
    elif end is not None:
        words = _("until {end}").format(end=end)
    else:
        words = _("from {start}").format(start=start)
    notes = []
    if open_start:
        notes.append(
            _("possibly earlier: an event has no known start")
            if earliest is not None
            else _("no event has a known start")
        )
    if open_end:
        notes.append(
            _("possibly later: an event has no known end")
            if latest is not None
            else _("no event has a known end")
        )
    if not notes:
        return words
    return _("{date} ({notes})").format(date=words, notes=_("; ").join(notes))


def short_span(earliest: dt.date | None, latest: dt.date | None) -> str:
    """The period in a few characters, for a headline: `May 2015 - Mar 2016` (an en dash)."""
    if earliest is None and latest is None:
        return "—"
    lang = current()
    start = f"{lang.month_short(earliest.month)} {num(earliest.year)}" if earliest else "…"
    end = f"{lang.month_short(latest.month)} {num(latest.year)}" if latest else "…"
    return start if start == end else f"{start} \N{EN DASH} {end}"
