"""The geometry of the HTML summary's timeline: where each event sits on a time axis.

The template only draws what is computed here, in the user units of a fixed-width SVG
viewBox that the browser scales to the page. There are two layouts of the same chart:
`WIDE` (labels in a column left of the plot) for screens and print, and `NARROW` (each
label above its bar, the plot the full width) for phones, where the wide one would shrink
its text below reading size; CSS shows one of them.

Each counted event is a row; an interval is a bar from its earliest to its latest day, a
single day a dot. Retracted and merged events are counted nowhere (`summary.model`): they
have no row and do not stretch the axis; the page lists them below the chart. An end the
source leaves open (`../2015-04`) fades out towards the edge of the plot, and an
approximate end (`2016-03-25~`) fades a little and carries a dashed whisker, so that no
bar suggests a precision the sources do not give.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from heritage_registry.summary.humandate import MONTHS, End, ends
from heritage_registry.summary.model import EventSummary
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
BAR_HEIGHT = 12
OPEN_FADE = 0.14  # of the plot's width
APPROX_FADE = 0.025
WHISKER = 0.016


@dataclass(frozen=True)
class Layout:
    """Where things go, in viewBox units."""

    name: str
    width: int
    plot_x0: float
    plot_x1: float
    axis_y: float
    row_height: int
    labels_above: bool  # else in a column left of the plot
    label_chars: int
    month_label_units: float  # the room a month label needs
    number_x: float = 30  # right edge of the event number
    text_x: float = 38


WIDE = Layout(
    name="wide",
    width=1000,
    plot_x0=330,
    plot_x1=985,
    axis_y=46,
    row_height=24,
    labels_above=False,
    label_chars=40,
    month_label_units=26,
)
NARROW = Layout(
    name="narrow",
    width=360,
    plot_x0=10,
    plot_x1=350,
    axis_y=40,
    row_height=36,
    labels_above=True,
    label_chars=46,
    month_label_units=32,
    number_x=22,
    text_x=26,
)


@dataclass(frozen=True)
class Stop:
    offset: float
    opacity: float


@dataclass(frozen=True)
class Row:
    number: int
    uid: str
    y: float  # top of the row
    label_y: float
    bar_y: float
    mid_y: float
    label: str
    title: str
    colour: str
    x0: float
    x1: float
    point: bool
    stops: tuple[Stop, ...]  # empty when the bar is solid
    whiskers: tuple[tuple[float, float], ...]  # dashed lines (from x, to x) at approximate ends
    stripe: bool  # every other row is shaded


@dataclass(frozen=True)
class Tick:
    x: float
    label: str
    major: bool


@dataclass(frozen=True)
class Timeline:
    layout: Layout
    height: int
    rows: tuple[Row, ...]
    ticks: tuple[Tick, ...]
    year_labels: tuple[Tick, ...]


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class _Scale:
    def __init__(self, start: dt.date, end: dt.date, layout: Layout) -> None:
        self.start = start
        self.days = max((end - start).days, 1)
        self.x0 = layout.plot_x0
        self.span = layout.plot_x1 - layout.plot_x0

    def x(self, day: dt.date) -> float:
        return self.x0 + (day - self.start).days / self.days * self.span


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


def _ticks(
    scale: _Scale, start: dt.date, end: dt.date, layout: Layout
) -> tuple[list[Tick], list[Tick]]:
    months = scale.days / 30.44
    per_month = scale.span / max(months, 1)
    ticks: list[Tick] = []
    years: list[Tick] = []
    if per_month >= 5:
        # Month ticks, each labelled if there is room, else every 2nd, 3rd or 6th.
        label_every = next(
            (n for n in (1, 2, 3, 6) if per_month * n >= layout.month_label_units), 12
        )
        for day in _month_starts(start, end):
            major = day.month == 1
            x = scale.x(day)
            on_chart = x + 24 <= layout.width  # a label must not run off the chart
            labelled = (day.month - 1) % label_every == 0 and not major and on_chart
            ticks.append(Tick(x, MONTHS[day.month - 1][:3] if labelled else "", major))
            # A year's label starts 3 units right of its tick and is about 30 wide in bold.
            if major and x + 36 <= layout.width:
                years.append(Tick(x, str(day.year), True))
        first = scale.x(start)
        if not years or years[0].x - first > 44:
            years.insert(0, Tick(first, str(start.year), False))
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
        years.append(Tick(x, str(year), True))
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


def _label(event: EventSummary, limit: int) -> str:
    where = event.monument_name or "Site or unnamed parts"
    cause = "cause unknown" if event.cause.value == "unknown" else event.cause.value
    return _truncate(f"{where} · {cause}", limit)


def build_timeline(events: list[EventSummary], layout: Layout = WIDE) -> Timeline | None:
    """The timeline of `events` (in timeline order, numbered from 1 as the summary numbers
    them), or None when no counted event has a date. Only counted events have a row."""
    numbered = [(number, e) for number, e in enumerate(events, start=1) if e.counted]
    domain = _domain([event for _, event in numbered])
    if domain is None:
        return None
    start, end = domain
    scale = _Scale(start, end, layout)
    plot = layout.plot_x1 - layout.plot_x0
    top = layout.axis_y + 4
    rows = []
    for index, (number, event) in enumerate(numbered):
        kinds = ends(event.occurred)
        start_kind = End.OPEN if event.earliest is None else kinds.start
        end_kind = End.OPEN if event.latest is None else kinds.end
        x0 = layout.plot_x0 if event.earliest is None else scale.x(event.earliest)
        x1 = (
            layout.plot_x1
            if event.latest is None or event.latest >= dt.date.max
            else scale.x(event.latest + dt.timedelta(days=1))
        )
        point = event.earliest is not None and event.earliest == event.latest
        if x1 - x0 < 4:
            middle = (x0 + x1) / 2
            x0, x1 = middle - 2, middle + 2
        whiskers = []
        if start_kind is End.APPROXIMATE:
            whiskers.append((x0 - WHISKER * plot, x0))
        if end_kind is End.APPROXIMATE:
            whiskers.append((x1, x1 + WHISKER * plot))
        where = event.monument_name or "the site or parts it does not name"
        title = (
            f"{number}. {event.occurred_label}: {event.cause.value} ({where}); "
            f"level {event.damage_level.value}; {event.confidence.value.replace('_', ' ')}"
        )
        y = top + index * layout.row_height
        if layout.labels_above:
            label_y, bar_y = y + 13, y + 18
        else:
            label_y, bar_y = y + layout.row_height / 2 + 4, y + (layout.row_height - BAR_HEIGHT) / 2
        rows.append(
            Row(
                number=number,
                uid=event.uid,
                y=y,
                label_y=label_y,
                bar_y=bar_y,
                mid_y=bar_y + BAR_HEIGHT / 2,
                label=_label(event, layout.label_chars),
                title=title,
                colour=LEVEL_COLOURS[event.damage_level],
                x0=round(x0, 1),
                x1=round(x1, 1),
                point=point,
                stops=() if point else _stops(start_kind, end_kind, max(x1 - x0, 1), plot),
                whiskers=tuple((round(a, 1), round(b, 1)) for a, b in whiskers),
                stripe=index % 2 == 1,
            )
        )
    ticks, years = _ticks(scale, start, end, layout)
    return Timeline(
        layout=layout,
        height=int(top + len(rows) * layout.row_height + 8),
        rows=tuple(rows),
        ticks=tuple(Tick(round(t.x, 1), t.label, t.major) for t in ticks),
        year_labels=tuple(Tick(round(t.x, 1), t.label, t.major) for t in years),
    )


def build_timelines(events: list[EventSummary]) -> list[Timeline]:
    """Both layouts of the timeline, wide first; empty when no event has a date."""
    found = [build_timeline(events, layout) for layout in (WIDE, NARROW)]
    return [timeline for timeline in found if timeline is not None]
