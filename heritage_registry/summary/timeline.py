"""The geometry and words of the HTML summary's timeline: where each event sits on a time axis.

The timeline is an HTML list, one item per counted event, so that every row says in words
what it is: its place (a monument, or the site and parts it does not name), its cause,
its level (in words as well as colour) and its date, with the first words of its
description to tell apart events that share all of those; on a phone as on a desktop,
with nothing hidden behind hovering. Beside (on a phone, under) the words, a track holds
the event's bar, placed here in percent of the track's width; the template draws it
with CSS and hides it from screen readers, which have the words.

The axis above the tracks comes in two densities of labels: `WIDE` for screens and
print, `NARROW` for phones, where the wide one's month labels would collide; CSS shows
one of them.

Each counted event is a row; an interval is a bar from its earliest to its latest day, a
single day a dot. Retracted and merged events are counted nowhere (`summary.model`): they
have no row and do not stretch the axis; the page lists them below the chart. An end the
source leaves open (`../2015-04`) fades out towards the edge of the track, and an
approximate end (`2016-03-25~`) fades a little and carries a dashed whisker, so that no
bar suggests a precision the sources do not give.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from heritage_registry.i18n import _, current, num
from heritage_registry.summary.humandate import End, ends
from heritage_registry.summary.model import EventSummary
from heritage_registry.summary.text import cause_words
from heritage_registry.vocab import DamageLevel

# Sequential reds for damage, blue for "none" (kept apart from the reds for readers who
# do not tell red from green), grey for "unknown".
LEVEL_COLOURS = {
    DamageLevel.DESTROYED: "#67000d",
    DamageLevel.SEVERE: "#cb181d",
    DamageLevel.MODERATE: "#f16913",
    DamageLevel.MINOR: "#fdae6b",
    DamageLevel.NONE: "#4292c6",
    DamageLevel.UNKNOWN: "#969696",
}
# Text drawn on a level's colour: white on the dark reds, near-black on the rest.
LEVEL_INK = {
    DamageLevel.DESTROYED: "#ffffff",
    DamageLevel.SEVERE: "#ffffff",
    DamageLevel.MODERATE: "#1a1a1a",
    DamageLevel.MINOR: "#1a1a1a",
    DamageLevel.NONE: "#1a1a1a",
    DamageLevel.UNKNOWN: "#1a1a1a",
}

MIN_SPAN_DAYS = 365
OPEN_FADE = 0.14  # of the track's width
APPROX_FADE = 0.025
WHISKER = 0.016
TRACK_UNITS = 1000  # rows are placed in these units, then given in percent
EXCERPT_CHARS = 80
SITE_WIDE_WORDS = "Site or unnamed parts"


@dataclass(frozen=True)
class Layout:
    """A density of axis labels: the track's width, in about the pixels it has."""

    name: str
    width: int
    month_label_units: float  # the room a month label needs


WIDE = Layout(name="wide", width=620, month_label_units=26)
NARROW = Layout(name="narrow", width=340, month_label_units=32)


@dataclass(frozen=True)
class Stop:
    offset: float
    opacity: float


@dataclass(frozen=True)
class Row:
    """One counted event: its words, and its bar in percent of the track's width."""

    number: int
    uid: str
    where: str
    cause: str
    level: str
    when: str
    excerpt: str | None
    colour: str
    left: float
    width: float
    point: bool
    background: str  # the bar's CSS background: its colour, or a fade at its ends
    whiskers: tuple[tuple[float, float], ...]  # dashed lines (left, width) at approximate ends


@dataclass(frozen=True)
class Tick:
    x: float  # percent of the track's width
    label: str
    major: bool


@dataclass(frozen=True)
class Axis:
    """The ticks and labels of one density (`WIDE` or `NARROW`)."""

    layout: Layout
    ticks: tuple[Tick, ...]
    year_labels: tuple[Tick, ...]


@dataclass(frozen=True)
class Timeline:
    rows: tuple[Row, ...]
    axes: tuple[Axis, ...]


def _excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str | None:
    """The first words of a description, cut at a word's end: what tells apart two rows
    with the same place, cause, level and date."""
    if not text:
        return None
    words = " ".join(text.split())
    if len(words) <= limit:
        return words
    cut = words[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"


class _Scale:
    def __init__(self, start: dt.date, end: dt.date, span: float) -> None:
        self.start = start
        self.days = max((end - start).days, 1)
        self.span = span

    def x(self, day: dt.date) -> float:
        return (day - self.start).days / self.days * self.span


def _domain(events: list[EventSummary]) -> tuple[dt.date, dt.date] | None:
    known = [d for e in events for d in (e.earliest, e.latest) if d is not None]
    if not known:
        return None
    low, high = min(known), max(known)
    high = high + dt.timedelta(days=1) if high < dt.date.max else high
    span = (high - low).days
    open_start = any(e.earliest is None for e in events)
    open_end = any(e.latest is None for e in events)
    if span < MIN_SPAN_DAYS:
        # A short period (one month's smashing) is shown within a year, so that a bar
        # does not fill the plot and read as "all the time"; the room goes to the side
        # that open ends reach into, else to both.
        missing = MIN_SPAN_DAYS - span
        left = missing if open_start and not open_end else 0 if open_end else missing // 2
        grow_left, grow_right = dt.timedelta(days=left), dt.timedelta(days=missing - left)
        low = low - grow_left if low - dt.date.min > grow_left else dt.date.min
        high = high + grow_right if dt.date.max - high > grow_right else dt.date.max
        span = (high - low).days
    pad = dt.timedelta(days=max(span * 0.03, 3))
    # Room for open ends to fade into, beyond the last date anyone gave.
    reach = dt.timedelta(days=max(span * 0.15, 20))
    before = reach if open_start else pad
    after = reach if open_end else pad
    low = low - before if low - dt.date.min > before else dt.date.min
    high = high + after if dt.date.max - high > after else dt.date.max
    return low, high


def _month_starts(start: dt.date, end: dt.date) -> list[dt.date]:
    year, month = start.year, start.month
    found = []
    while True:
        month += 1
        if month > 12:
            year, month = year + 1, 1
        if year > dt.MAXYEAR:
            break
        day = dt.date(year, month, 1)
        if day >= end:
            break
        found.append(day)
    return found


def _month_label_units(layout: Layout) -> float:
    """The room a month label needs: more where the language's month names are longer
    than English's three letters (Arabic has no abbreviations: `تشرين الثاني`)."""
    lang = current()
    longest = max(len(lang.month_short(month)) for month in range(1, 13))
    return layout.month_label_units * max(1.0, longest * 0.25)


def _ticks(
    scale: _Scale, start: dt.date, end: dt.date, layout: Layout
) -> tuple[list[Tick], list[Tick]]:
    """Ticks and labels in the layout's units (0 to its width)."""
    months = scale.days / 30.44
    per_month = scale.span / max(months, 1)
    ticks: list[Tick] = []
    years: list[Tick] = []
    if per_month >= 5:
        # Month ticks, each labelled if there is room, else every 2nd, 3rd or 6th.
        label_every = next(
            (n for n in (1, 2, 3, 6) if per_month * n >= _month_label_units(layout)), 12
        )
        for day in _month_starts(start, end):
            major = day.month == 1
            x = scale.x(day)
            on_chart = x + 24 <= layout.width  # a label must not run off the chart
            labelled = (day.month - 1) % label_every == 0 and not major and on_chart
            ticks.append(Tick(x, current().month_short(day.month) if labelled else "", major))
            # A year's label starts 3 units right of its tick and is about 30 wide in bold.
            if major and x + 36 <= layout.width:
                years.append(Tick(x, num(day.year), True))
        first = scale.x(start)
        if not years or years[0].x - first > 44:
            years.insert(0, Tick(first, num(start.year), False))
        return ticks, years
    span_years = months / 12
    side_by_side = scale.span / 44  # year labels that fit
    step = next(
        (
            n
            for n in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000)
            if span_years / n <= side_by_side
        ),
        2000,
    )
    year = (start.year // step + 1) * step
    while year <= end.year:
        x = scale.x(dt.date(year, 1, 1))
        ticks.append(Tick(x, "", True))
        if x + 36 <= layout.width:  # a label must not run off the chart
            years.append(Tick(x, num(year), True))
        year += step
    return ticks, years


def _stops(start: End, end: End, width: float, plot: float) -> tuple[Stop, ...]:
    if start is End.EXACT and end is End.EXACT:
        return ()
    fade = {End.OPEN: OPEN_FADE * plot, End.APPROXIMATE: APPROX_FADE * plot}
    floor = {End.OPEN: 0.0, End.APPROXIMATE: 0.35}
    stops: list[Stop] = []
    if start is End.EXACT:
        stops.append(Stop(0.0, 1.0))
    else:
        stops += [Stop(0.0, floor[start]), Stop(min(0.45, fade[start] / width), 1.0)]
    if end is End.EXACT:
        stops.append(Stop(1.0, 1.0))
    else:
        stops += [Stop(max(0.55, 1 - fade[end] / width), 1.0), Stop(1.0, floor[end])]
    return tuple(Stop(round(stop.offset, 3), stop.opacity) for stop in stops)


def _rgba(colour: str, opacity: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{opacity:g})"


def _background(colour: str, stops: tuple[Stop, ...]) -> str:
    if not stops:
        return colour
    parts = ", ".join(f"{_rgba(colour, stop.opacity)} {stop.offset * 100:g}%" for stop in stops)
    # The bar runs from its start to its end: rightwards, or leftwards on a page read so.
    towards = "left" if current().rtl else "right"
    return f"linear-gradient(to {towards}, {parts})"


def _percent(units: float) -> float:
    return round(units / TRACK_UNITS * 100, 2)


def _axis(start: dt.date, end: dt.date, layout: Layout) -> Axis:
    scale = _Scale(start, end, layout.width)
    ticks, years = _ticks(scale, start, end, layout)

    def percent(tick: Tick) -> Tick:
        return Tick(round(tick.x / layout.width * 100, 2), tick.label, tick.major)

    return Axis(layout, tuple(map(percent, ticks)), tuple(map(percent, years)))


def build_timeline(events: list[EventSummary]) -> Timeline | None:
    """The timeline of `events` (in timeline order, numbered from 1 as the summary numbers
    them), or None when no counted event has a date. Only counted events have a row."""
    numbered = [(number, e) for number, e in enumerate(events, start=1) if e.counted]
    domain = _domain([event for _, event in numbered])
    if domain is None:
        return None
    start, end = domain
    scale = _Scale(start, end, TRACK_UNITS)
    plot = TRACK_UNITS
    rows = []
    for number, event in numbered:
        kinds = ends(event.occurred)
        start_kind = End.OPEN if event.earliest is None else kinds.start
        end_kind = End.OPEN if event.latest is None else kinds.end
        x0 = 0.0 if event.earliest is None else scale.x(event.earliest)
        x1 = (
            float(plot)
            if event.latest is None or event.latest >= dt.date.max
            else scale.x(event.latest + dt.timedelta(days=1))
        )
        point = event.earliest is not None and event.earliest == event.latest
        if x1 - x0 < 4:
            middle = (x0 + x1) / 2
            x0, x1 = middle - 2, middle + 2
        whiskers = []
        if start_kind is End.APPROXIMATE:
            whiskers.append((x0 - WHISKER * plot, WHISKER * plot))
        if end_kind is End.APPROXIMATE:
            whiskers.append((x1, WHISKER * plot))
        colour = LEVEL_COLOURS[event.damage_level]
        stops = () if point else _stops(start_kind, end_kind, max(x1 - x0, 1), plot)
        rows.append(
            Row(
                number=number,
                uid=event.uid,
                where=event.monument_name or _(SITE_WIDE_WORDS),
                cause=cause_words(event.cause),
                level=event.damage_level.value,
                when=event.occurred_label,
                excerpt=_excerpt(event.description),
                colour=colour,
                left=_percent(x0),
                width=_percent(x1 - x0),
                point=point,
                background=_background(colour, stops),
                whiskers=tuple(
                    (_percent(max(a, 0)), _percent(min(a + w, plot) - max(a, 0)))
                    for a, w in whiskers
                ),
            )
        )
    return Timeline(
        rows=tuple(rows), axes=tuple(_axis(start, end, layout) for layout in (WIDE, NARROW))
    )
