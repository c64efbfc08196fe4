"""The plain-text summary, for the terminal: no colour, every line at most 100 columns.

Written as code rather than a template because nearly every line is wrapped with a
hanging indent, as textwrap wraps, which template whitespace control cannot do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from heritage_registry.render import safe_text
from heritage_registry.summary.model import (
    Conflict,
    EventSummary,
    IndexEntry,
    SiteSummary,
    period_words,
)
from heritage_registry.vocab import Cause

WIDTH = 100


def _wrap(text: str, indent: str = "", hanging: str | None = None) -> list[str]:
    # Every value from the records reaches the page through here: its control
    # characters are shown as escapes, never sent to the terminal as themselves.
    text = safe_text(" ".join(text.split()))
    if len(indent) + len(text) <= WIDTH:
        # Most lines fit: wrapping would cost more than the rest of the rendering.
        return [indent + text] if text else [indent.rstrip()]
    return _fill(text, indent, indent if hanging is None else hanging)


def _fill(text: str, indent: str, hanging: str) -> list[str]:
    """`textwrap.TextWrapper(width=WIDTH, initial_indent=indent, subsequent_indent=hanging,
    break_on_hyphens=False).wrap(text)`, for text of words between single spaces.

    textwrap walks the text a word and a space at a time, which was a quarter of the
    time of `summary --all`; this finds each line's last space instead. Its lines are textwrap's,
    quirks included: a word longer than a line is cut at the line's end, and the line
    before it is filled with its start.
    """
    lines = []
    prefix = indent
    while text:
        width = WIDTH - len(prefix)
        if len(text) <= width:
            lines.append(prefix + text)
            break
        if text[width] == " ":  # a word ends exactly at the line's end
            lines.append(prefix + text[:width])
            text = text[width + 1 :]
        else:
            space = text.rfind(" ", 0, width)
            after = text.find(" ", space + 1)
            following = (after if after >= 0 else len(text)) - space - 1
            if space < 0 or following > width:
                lines.append(prefix + text[:width])
                text = text[width:]
            else:
                lines.append(prefix + text[:space])
                text = text[space + 1 :]
        prefix = hanging
    return lines


def _field(name: str, value: str, width: int = 19) -> list[str]:
    return _wrap(value, f"{name:<{width}}", " " * width)


def _heading(title: str, underline: str = "-") -> list[str]:
    return ["", title, underline * len(title)]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _nonzero(counts: dict[str, int]) -> str:
    shown = [f"{name.replace('_', ' ')} {count}" for name, count in counts.items() if count]
    return ", ".join(shown) or "none"


def cause_words(cause: Cause) -> str:
    """A cause as a phrase: `explosives`, but `cause unknown` rather than a bare `unknown`."""
    return "cause unknown" if cause is Cause.UNKNOWN else cause.value


def _event_line(number: int, event: EventSummary, width: int) -> list[str]:
    tail = f"{cause_words(event.cause)}, level {event.damage_level.value}, "
    tail += event.confidence.value.replace("_", " ")
    return _wrap(f"{event.occurred_label}: {tail}", f"  [{number:>{width}}] ", " " * (width + 5))


def _claims(conflict: Conflict) -> Iterable[str]:
    for claim in conflict.claims:
        notes = [] if claim.label == claim.value else [f"EDTF {claim.value}"]
        if claim.recorded:
            notes.append("recorded")
        value = f"{claim.label} [{'; '.join(notes)}]" if notes else claim.label
        sources = ", ".join(claim.sources) or "no source"
        yield from _wrap(f"{value}: {sources}", "    * ", "      ")


FIELD_NAMES = {
    "occurred": "when it happened",
    "damage_level": "the damage level",
    "event": "whether it happened",
}


def render_text(summary: SiteSummary) -> str:
    site = summary.site
    numbers = summary.event_numbers()
    width = len(str(len(summary.events)))
    lines: list[str] = []
    title = safe_text(f"{site.name}: damage summary")
    lines += [*_wrap(title), "=" * min(len(title), WIDTH)]
    lines.append("")
    lines += _field("Site", f"{site.name} ({site.slug})")
    if site.alt_names:
        lines += _field("Also called", ", ".join(f"{n.name} ({n.lang})" for n in site.alt_names))
    country = f"{site.country}, {site.country_name}" if site.country_name else site.country
    lines += _field("Country", country)
    lines += _field("Kind", site.kind.value.replace("_", " "))
    if site.latitude is not None and site.longitude is not None:
        where = f"{site.latitude:.4f}, {site.longitude:.4f} (WGS84)"
        if site.location_precision_m is not None:
            where += f", to within {site.location_precision_m:,.0f} m"
        lines += _field("Location", where)
    identifiers = []
    if site.unesco_whc_id is not None:
        identifiers.append(f"UNESCO World Heritage {site.unesco_whc_id}")
    if site.wikidata_qid:
        identifiers.append(f"Wikidata {site.wikidata_qid}")
    lines += _field("Identifiers", "; ".join(identifiers) or "none recorded")
    lines += _field("As of", f"{summary.as_of:%Y-%m-%d %H:%M:%S} UTC (latest recorded change)")
    if site.description:
        lines.append("")
        lines += _wrap(site.description)

    counts = summary.counts
    lines += _heading("Overview")
    lines += _field("Worst known level", summary.worst_level.value)
    lines += _field("Period", period_words(summary.period))
    lines += _field(
        "Events",
        f"{counts.events}: {counts.on_monuments} on monuments, {counts.site_wide} on the site "
        f"as a whole; {_plural(counts.citations, 'citation')} of "
        f"{_plural(len(summary.sources), 'source')}"
        + (f"; {counts.retracted} retracted (listed, not counted)" if counts.retracted else ""),
    )
    lines += _field("By cause", _nonzero(counts.by_cause))
    lines += _field("By level", _nonzero(counts.by_level))
    lines += _field("By confidence", _nonzero(counts.by_confidence))

    lines += _heading("Monuments")
    if not summary.monuments:
        lines.append("No monuments recorded.")
    for monument in summary.monuments:
        lines.append("")
        lines += _wrap(f"{monument.name} ({monument.slug})")
        facts = monument.kind.value.replace("_", " ")
        if monument.built_label:
            facts += f", built {monument.built_label}"
        facts += f"; worst known level: {monument.worst_level.value}; "
        facts += _plural(monument.event_count, "event")
        lines += _wrap(facts, "  ")
        if monument.alt_names:
            names = ", ".join(f"{n.name} ({n.lang})" for n in monument.alt_names)
            lines += _wrap(f"Also called {names}", "  ", "    ")
        for uid in monument.events:
            event = summary.events[numbers[uid] - 1]
            lines += _event_line(numbers[uid], event, width)

    lines += _heading("On the site as a whole")
    if not summary.site_wide_events:
        lines.append("No events recorded on the site as a whole.")
    for uid in summary.site_wide_events:
        lines += _event_line(numbers[uid], summary.events[numbers[uid] - 1], width)

    lines += _heading("Timeline")
    if not summary.events:
        lines.append("No events recorded.")
    for number, event in enumerate(summary.events, start=1):
        lines.append("")
        where = event.monument_name or f"{site.name} (site as a whole)"
        lines += _wrap(
            f"[{number}] {event.occurred_label} | {cause_words(event.cause)} | "
            f"level {event.damage_level.value} | {where}",
            "",
            "    ",
        )
        if event.actor:
            lines += _wrap(f"Actor: {event.actor}", "    ", "      ")
        lines += _wrap(
            f"Occurred (EDTF): {event.occurred} · Confidence: "
            f"{event.confidence.value.replace('_', ' ')}",
            "    ",
            "      ",
        )
        lines.append(f"    Event: {event.uid}")
        if event.retracted_at is not None:
            reason = event.retraction_reason or "no reason recorded"
            lines += _wrap(f"RETRACTED on {event.retracted_at:%Y-%m-%d}: {reason}", "    ", "    ")
        if event.description:
            lines += _wrap(event.description, "    ")
        lines.append(f"    {_plural(len(event.citations), 'citation')}:")
        for citation in event.citations:
            head = citation.source
            if citation.location:
                head += f", {citation.location}"
            head += f" ({citation.stance.value})"
            lines += _wrap(head, "    - ", "      ")
            lines += _wrap(f'"{citation.quote}"', "      ", "       ")
            if citation.claimed_occurred:
                lines += _wrap(
                    f"Claims another date: {citation.claimed_occurred_label} "
                    f"[EDTF {citation.claimed_occurred}]",
                    "      ",
                    "        ",
                )
            if citation.claimed_level:
                lines += _wrap(
                    f"Claims another level: {citation.claimed_level.value}", "      ", "        "
                )
            if citation.date_resolution:
                lines += _wrap(f"Date resolution: {citation.date_resolution}", "      ", "        ")

    lines += _heading("Where sources disagree")
    if not summary.conflicts:
        lines.append("No source disputes an event or claims another date or level.")
    for conflict in summary.conflicts:
        number = numbers[conflict.event]
        event = summary.events[number - 1]
        where = event.monument_name or f"{site.name} (site as a whole)"
        lines.append("")
        lines += _wrap(
            f"[{number}] {cause_words(event.cause)}, {where}, {event.occurred_label}: "
            f"sources disagree on {FIELD_NAMES[conflict.field]}",
            "",
            "    ",
        )
        lines += list(_claims(conflict))

    lines += _heading("Sources")
    if not summary.sources:
        lines.append("No sources cited.")
    for source in summary.sources:
        lines.append("")
        lines += _wrap(source.key)
        about = [source.title]
        if source.author:
            about.append(source.author)
        if source.publisher:
            about.append(source.publisher)
        about.append(
            f"Published {source.published_label} [EDTF {source.published}]"
            if source.published
            else "Publication date not recorded"
        )
        kind = source.source_type.value.replace("_", " ").capitalize()
        about.append(f"{kind}; language: {source.language}" if source.language else kind)
        lines += _wrap(". ".join(part.rstrip(".") for part in about) + ".", "    ")
        if source.url:
            lines += _wrap(source.url, "    ")
    return "\n".join(lines) + "\n"


def text_index_lines(entries: Iterable[tuple[SiteSummary | IndexEntry, str]]) -> Iterator[str]:
    """The index of a directory of text summaries, one entry per site, a line at a time.

    Each line comes with its `\\n`, to be written as it comes.
    """
    yield "Damage summaries\n================\n\n"
    empty = True
    for summary, file in entries:
        empty = False
        for line in _wrap(
            f"{summary.site.name} ({summary.site.slug}, {summary.site.country}): worst known "
            f"level {summary.worst_level.value}; {_plural(summary.counts.events, 'event')}; "
            f"{period_words(summary.period)} -> {file}",
            "",
            "    ",
        ):
            yield line + "\n"
    if empty:
        yield "No sites recorded.\n"
