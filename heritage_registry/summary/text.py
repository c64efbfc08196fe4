"""The plain-text summary, for the terminal: no colour, every line at most 100 columns.

Written as code rather than a template because nearly every line is wrapped with a
hanging indent, as textwrap wraps, which template whitespace control cannot do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from heritage_registry.claims import ClaimKind
from heritage_registry.render import plural, safe_text
from heritage_registry.summary.model import (
    Addition,
    CitationClaim,
    CitationSummary,
    Conflict,
    Counts,
    EventSummary,
    IndexEntry,
    SiteSummary,
    WorstClaimed,
    period_words,
)
from heritage_registry.vocab import Cause, DamageLevel

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


# How every format heads and names the events on a site without a monument: their level
# grades the parts the source speaks of, never the whole site (DOMAIN.md).
SITE_WIDE = "on the site or parts it does not name"
SITE_WIDE_HEADING = "On the site or parts it does not name"
NO_CONFLICTS = "No source disputes an event or claims a date or level that conflicts with it."
NO_ADDITIONS = "No source dates an event more precisely or gives a level it lacks."
# A merged event's citations moved to the event it was merged into (`merges`).
NO_CITATIONS = "No citations: they moved to the event it was merged into."


def where_words(event: EventSummary, site_name: str) -> str:
    """Where an event is: its monument's name, else the site, said as DOMAIN.md says it."""
    return event.monument_name or f"{site_name} (site or parts it does not name)"


def _edtf(label: str, value: str) -> str:
    return label if label == value else f"{label} [EDTF {value}]"


def _relation(field: str, kind: ClaimKind, event_label: str) -> str:
    if field == "damage_level":
        return f"the event's level is {event_label}"
    if kind is ClaimKind.REFINES:
        return f"within the event's {event_label}"
    return f"overlapping the event's {event_label}"


def claim_words(claim: CitationClaim, event: EventSummary) -> str:
    """A citation's claim as a line under it: `Claims another level: severe`, or what it
    adds, `Dates it 23 July 2023 (within the event's 2023)`."""
    value = _edtf(claim.label, claim.value)
    if claim.kind is ClaimKind.CONFLICTS:
        what = "date" if claim.field == "occurred" else "level"
        return f"Claims another {what}: {value}"
    verb = "Dates it" if claim.field == "occurred" else "Says"
    event_label = event.occurred_label if claim.field == "occurred" else event.damage_level.value
    return f"{verb} {value} ({_relation(claim.field, claim.kind, event_label)})"


def addition_words(addition: Addition) -> str:
    """What sources add to an event, as a sentence: `source X dates it 23 July 2023
    [EDTF 2023-07-23] (within the event's 2023)`, `source Y says destroyed (the event's
    level is unknown)`."""
    keys = addition.sources
    who = f"source {keys[0]}" if len(keys) == 1 else f"sources {', '.join(keys)}"
    if addition.field == "occurred":
        verb = "dates it" if len(keys) == 1 else "date it"
    else:
        verb = "says" if len(keys) == 1 else "say"
    relation = _relation(addition.field, addition.kind, addition.event_label)
    return f"{who} {verb} {_edtf(addition.label, addition.value)} ({relation})"


def worst_claimed_words(worst: WorstClaimed, numbers: dict[str, int]) -> str:
    """`a cited source says destroyed (event [3], source src-a)`."""
    keys = {key for claimed in worst.claimed_by for key in claimed.sources}
    who = "a cited source says" if len(keys) == 1 else "cited sources say"
    where = "; ".join(
        f"event [{numbers[claimed.event]}], "
        + ("source " if len(claimed.sources) == 1 else "sources ")
        + ", ".join(claimed.sources)
        for claimed in worst.claimed_by
    )
    return f"{who} {worst.level.value} ({where})"


def worst_words(level: DamageLevel, worst: WorstClaimed | None, numbers: dict[str, int]) -> str:
    """The recorded worst level, and beside it the worst a source claims where worse:
    `unknown; a cited source says destroyed (event [3], source src-a)`."""
    if worst is None:
        return level.value
    return f"{level.value}; {worst_claimed_words(worst, numbers)}"


def voice_words(citation: CitationSummary, publisher: str | None) -> str | None:
    """Whom a citation relays, with the publication that relays it: `IANS, relaying
    Syrian army`; None for a source's own voice."""
    if not citation.via:
        return None
    return f"{publisher}, relaying {citation.via}" if publisher else f"relaying {citation.via}"


def status_words(event: EventSummary, numbers: dict[str, int]) -> str | None:
    """`merged into [5] UID on 2024-01-02: reason`, `retracted on ...: reason`, or None
    for a counted event."""
    if event.merged_into is not None:
        number = numbers.get(event.merged_into)
        into = f"[{number}] {event.merged_into}" if number else event.merged_into
        when = f" on {event.merged_at:%Y-%m-%d}" if event.merged_at else ""
        return f"merged into {into}{when}: {event.merge_reason or 'no reason recorded'}"
    if event.retracted_at is not None:
        reason = event.retraction_reason or "no reason recorded"
        return f"retracted on {event.retracted_at:%Y-%m-%d}: {reason}"
    return None


def _nonzero(counts: dict[str, int]) -> str:
    shown = [f"{name.replace('_', ' ')} {count}" for name, count in counts.items() if count]
    return ", ".join(shown) or "none"


def cause_words(cause: Cause) -> str:
    """A cause as a phrase: `explosives`, but `cause unknown` rather than a bare `unknown`."""
    return "cause unknown" if cause is Cause.UNKNOWN else cause.value


def confidence_words(event: EventSummary, numbers: dict[str, int]) -> str:
    """An event's confidence in words; a merged one says where: `merged into [3]`."""
    words = event.confidence.value.replace("_", " ")
    if event.merged_into is not None:
        number = numbers.get(event.merged_into)
        words += f" into [{number}]" if number else f" into {event.merged_into}"
    return words


def _event_line(
    number: int,
    event: EventSummary,
    width: int,
    numbers: dict[str, int],
    where: str | None = None,
) -> list[str]:
    tail = f"{cause_words(event.cause)}, level {event.damage_level.value}, "
    tail += confidence_words(event, numbers)
    if where is not None:
        tail += f"; {where}"
    return _wrap(f"{event.occurred_label}: {tail}", f"  [{number:>{width}}] ", " " * (width + 5))


def events_words(summary: SiteSummary) -> str:
    """The overview's events line: `16: 5 on monuments, 11 on the site or parts it does
    not name; 41 citations of 5 sources; 1 retracted, 1 merged (listed, not counted)`."""
    counts = summary.counts
    words = (
        f"{counts.events}: {counts.on_monuments} on monuments, {counts.site_wide} {SITE_WIDE}; "
        f"{plural(counts.citations, 'citation')} of {plural(counts.sources, 'source')}"
    )
    left_out = left_out_words(counts)
    if left_out:
        words += f"; {left_out}"
    return words


def left_out_words(counts: Counts) -> str | None:
    """`1 retracted, 2 merged (listed, not counted)`; None when no event is left out."""
    left_out = [
        f"{count} {name}"
        for count, name in ((counts.retracted, "retracted"), (counts.merged, "merged"))
        if count
    ]
    return f"{', '.join(left_out)} (listed, not counted)" if left_out else None


def group_additions(additions: Iterable[Addition]) -> list[tuple[str, list[Addition]]]:
    """What sources add, by event, in the order of the events."""
    grouped: dict[str, list[Addition]] = {}
    for addition in additions:
        grouped.setdefault(addition.event, []).append(addition)
    return list(grouped.items())


def _conflict_claims(conflict: Conflict) -> Iterable[str]:
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
    publishers = {source.key: source.publisher for source in summary.sources}
    monument_names = {monument.slug: monument.name for monument in summary.monuments}

    def place(event: EventSummary) -> str:
        return where_words(event, site.name)

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
    lines += _field(
        "Worst known level", worst_words(summary.worst_level, summary.worst_claimed_level, numbers)
    )
    lines += _field("Period", period_words(summary.period))
    lines += _field("Events", events_words(summary))
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
        worst = worst_words(monument.worst_level, monument.worst_claimed_level, numbers)
        facts += f"; worst known level: {worst}; "
        facts += plural(monument.event_count, "event")
        lines += _wrap(facts, "  ", "    ")
        if monument.alt_names:
            names = ", ".join(f"{n.name} ({n.lang})" for n in monument.alt_names)
            lines += _wrap(f"Also called {names}", "  ", "    ")
        for uid in monument.events:
            event = summary.events[numbers[uid] - 1]
            lines += _event_line(numbers[uid], event, width, numbers)
        if monument.mentioned_in:
            lines.append("  Mentioned in (not its own events):")
            for uid in monument.mentioned_in:
                event = summary.events[numbers[uid] - 1]
                lines += _event_line(numbers[uid], event, width, numbers, place(event))

    lines += _heading(SITE_WIDE_HEADING)
    if not summary.site_wide_events:
        lines.append(f"No events recorded {SITE_WIDE}.")
    for uid in summary.site_wide_events:
        lines += _event_line(numbers[uid], summary.events[numbers[uid] - 1], width, numbers)

    lines += _heading("Timeline")
    if not summary.events:
        lines.append("No events recorded.")
    for number, event in enumerate(summary.events, start=1):
        lines.append("")
        lines += _wrap(
            f"[{number}] {event.occurred_label} | {cause_words(event.cause)} | "
            f"level {event.damage_level.value} | {place(event)}",
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
        status = status_words(event, numbers)
        if status is not None:
            head, _, rest = status.partition(" ")
            lines += _wrap(f"{head.upper()} {rest}", "    ", "    ")
        if event.description:
            lines += _wrap(event.description, "    ")
        if event.citations:
            lines.append(f"    {plural(len(event.citations), 'citation')}:")
        else:
            lines.append(f"    {NO_CITATIONS}")
        for citation in event.citations:
            head = citation.source
            if citation.location:
                head += f", {citation.location}"
            head += f" ({citation.stance.value})"
            voice = voice_words(citation, publishers.get(citation.source))
            if voice:
                head += f" · {voice}"
            lines += _wrap(head, "    - ", "      ")
            lines += _wrap(f'"{citation.quote}"', "      ", "       ")
            for claim in citation.claims:
                lines += _wrap(claim_words(claim, event), "      ", "        ")
            if citation.mentions:
                lines += _wrap(
                    f"Mentions: {', '.join(monument_names.get(m, m) for m in citation.mentions)}",
                    "      ",
                    "        ",
                )
            if citation.date_resolution:
                lines += _wrap(f"Date resolution: {citation.date_resolution}", "      ", "        ")

    lines += _heading("Where sources disagree")
    if not summary.conflicts:
        lines.append(NO_CONFLICTS)
    for conflict in summary.conflicts:
        number = numbers[conflict.event]
        event = summary.events[number - 1]
        lines.append("")
        lines += _wrap(
            f"[{number}] {cause_words(event.cause)}, {place(event)}, {event.occurred_label}: "
            f"sources disagree on {FIELD_NAMES[conflict.field]}",
            "",
            "    ",
        )
        lines += list(_conflict_claims(conflict))

    lines += _heading("What sources add")
    if not summary.additions:
        lines.append(NO_ADDITIONS)
    for uid, additions in group_additions(summary.additions):
        number = numbers[uid]
        event = summary.events[number - 1]
        lines.append("")
        lines += _wrap(
            f"[{number}] {cause_words(event.cause)}, {place(event)}, {event.occurred_label}:",
            "",
            "    ",
        )
        for addition in additions:
            lines += _wrap(addition_words(addition), "    * ", "      ")

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
        if source.relays:
            about.append(f"Relays: {'; '.join(source.relays)}")
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
            f"level {summary.worst_level.value}; {plural(summary.counts.events, 'event')}; "
            f"{period_words(summary.period)} -> {file}",
            "",
            "    ",
        ):
            yield line + "\n"
    if empty:
        yield "No sites recorded.\n"
