"""The plain-text summary, for the terminal: no colour, every line at most 100 columns.

Written as code rather than a template because nearly every line is wrapped with a
hanging indent, as textwrap wraps, which template whitespace control cannot do.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from heritage_registry.claims import ClaimKind
from heritage_registry.i18n import _, current, n_, num, term
from heritage_registry.models import AltName
from heritage_registry.render import safe_text
from heritage_registry.summary.model import (
    Addition,
    CitationClaim,
    CitationSummary,
    Claim,
    Conflict,
    Counts,
    EventSummary,
    IndexEntry,
    SiteSummary,
    SourceTextSummary,
    WorstClaimed,
    period_words,
)
from heritage_registry.vocab import Cause, Confidence, DamageLevel, Vocabulary

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


def paragraphs(text: str) -> list[list[str]]:
    """A description's paragraphs (split at blank lines), each a list of its lines with
    their runs of whitespace collapsed: the line breaks its writer chose, kept in every
    format that can show them."""
    found: list[list[str]] = []
    current: list[str] = []
    for line in text.splitlines():
        words = " ".join(line.split())
        if words:
            current.append(words)
        elif current:
            found.append(current)
            current = []
    if current:
        found.append(current)
    return found


def _described(text: str, indent: str = "", *, gap: bool = True) -> list[str]:
    """A description, each of its lines wrapped on its own; a blank line between its
    paragraphs where `gap`, else none (inside an event, where blank lines part events)."""
    lines: list[str] = []
    for index, paragraph in enumerate(paragraphs(text)):
        if index and gap:
            lines.append("")
        for line in paragraph:
            lines += _wrap(line, indent)
    return lines


def _field(name: str, value: str, width: int = 19) -> list[str]:
    return _wrap(value, f"{_(name):<{width}}", " " * width)


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
    if event.monument_name:
        return event.monument_name
    return _("{site} (site or parts it does not name)").format(site=site_name)


def _edtf(label: str, value: str) -> str:
    return label if label == value else _("{label} [EDTF {value}]").format(label=label, value=value)


def _level(value: str) -> str:
    """A damage level given as its value (a claim's, an addition's) in words."""
    return term(DamageLevel(value))


def _relation(field: str, kind: ClaimKind, event_label: str) -> str:
    if field == "damage_level":
        return _("the event's level is {level}").format(level=_level(event_label))
    if kind is ClaimKind.REFINES:
        return _("within the event's {date}").format(date=event_label)
    return _("overlapping the event's {date}").format(date=event_label)


def claim_words(claim: CitationClaim, event: EventSummary) -> str:
    """A citation's claim as a line under it: `Claims another level: severe`, or what it
    adds, `Dates it 23 July 2023 (within the event's 2023)`."""
    dated = claim.field == "occurred"
    value = _edtf(claim.label, claim.value) if dated else _level(claim.value)
    if claim.kind is ClaimKind.CONFLICTS:
        what = _("Claims another date: {value}") if dated else _("Claims another level: {value}")
        return what.format(value=value)
    said = _("Dates it {value} ({relation})") if dated else _("Says {value} ({relation})")
    event_label = event.occurred_label if dated else event.damage_level.value
    return said.format(value=value, relation=_relation(claim.field, claim.kind, event_label))


def addition_words(addition: Addition) -> str:
    """What sources add to an event, as a sentence: `source X dates it 23 July 2023
    [EDTF 2023-07-23] (within the event's 2023)`, `source Y says destroyed (the event's
    level is unknown)`."""
    keys = addition.sources
    relation = _relation(addition.field, addition.kind, addition.event_label)
    if addition.field == "occurred":
        value = _edtf(addition.label, addition.value)
        said = n_(
            "source {sources} dates it {value} ({relation})",
            "sources {sources} date it {value} ({relation})",
            len(keys),
            sources=_(", ").join(keys),
            value=value,
            relation=relation,
        )
    else:
        said = n_(
            "source {sources} says {value} ({relation})",
            "sources {sources} say {value} ({relation})",
            len(keys),
            sources=_(", ").join(keys),
            value=_level(addition.value),
            relation=relation,
        )
    return said


def worst_claimed_words(worst: WorstClaimed, numbers: dict[str, int]) -> str:
    """`a cited source says destroyed (event [3], source src-a)`."""
    keys = {key for claimed in worst.claimed_by for key in claimed.sources}
    where = _("; ").join(
        n_(
            "event [{number}], source {sources}",
            "event [{number}], sources {sources}",
            len(claimed.sources),
            number=num(numbers[claimed.event]),
            sources=_(", ").join(claimed.sources),
        )
        for claimed in worst.claimed_by
    )
    return n_(
        "a cited source says {level} ({where})",
        "cited sources say {level} ({where})",
        len(keys),
        level=term(worst.level),
        where=where,
    )


def worst_words(level: DamageLevel, worst: WorstClaimed | None, numbers: dict[str, int]) -> str:
    """The recorded worst level, and beside it the worst a source claims where worse:
    `unknown; a cited source says destroyed (event [3], source src-a)`."""
    if worst is None:
        return term(level)
    return _("{level}; {claimed}").format(
        level=term(level), claimed=worst_claimed_words(worst, numbers)
    )


def voice_words(citation: CitationSummary, publisher: str | None) -> str | None:
    """Whom a citation relays, with the publication that relays it: `IANS, relaying
    Syrian army`; None for a source's own voice."""
    if not citation.via:
        return None
    if publisher:
        return _("{publisher}, relaying {voice}").format(publisher=publisher, voice=citation.via)
    return _("relaying {voice}").format(voice=citation.via)


def status_words(event: EventSummary, numbers: dict[str, int]) -> str | None:
    """`merged into [5] UID on 2024-01-02: reason`, `retracted on ...: reason`, or None
    for a counted event."""
    lang = current()
    if event.merged_into is not None:
        number = numbers.get(event.merged_into)
        into = f"[{num(number)}] {event.merged_into}" if number else event.merged_into
        reason = event.merge_reason or _("no reason recorded")
        if event.merged_at:
            return _("MERGED into {event} on {date}: {reason}").format(
                event=into, date=lang.digits(f"{event.merged_at:%Y-%m-%d}"), reason=reason
            )
        return _("MERGED into {event}: {reason}").format(event=into, reason=reason)
    if event.retracted_at is not None:
        reason = event.retraction_reason or _("no reason recorded")
        return _("RETRACTED on {date}: {reason}").format(
            date=lang.digits(f"{event.retracted_at:%Y-%m-%d}"), reason=reason
        )
    return None


def nonzero_words(counts: dict[str, int], vocabulary: type[Vocabulary]) -> str:
    """`explosives 2, looting 1`, the non-zero counts in words; `none` when all are zero."""
    shown = [
        _("{value} {count}").format(value=term(vocabulary(name)), count=num(count))
        for name, count in counts.items()
        if count
    ]
    return _(", ").join(shown) or _("none")


def cause_words(cause: Cause) -> str:
    """A cause as a phrase: `explosives`, but `cause unknown` rather than a bare `unknown`."""
    return _("cause unknown") if cause is Cause.UNKNOWN else term(cause)


def confidence_words(event: EventSummary, numbers: dict[str, int]) -> str:
    """An event's confidence in words; a merged one says where: `merged into [3]`."""
    words = term(event.confidence)
    if event.merged_into is not None:
        number = numbers.get(event.merged_into)
        into = f"[{num(number)}]" if number else event.merged_into
        words = _("{confidence} into {event}").format(confidence=words, event=into)
    return words


def _event_line(
    number: int,
    event: EventSummary,
    width: int,
    numbers: dict[str, int],
    where: str | None = None,
) -> list[str]:
    tail = _("{cause}, level {level}, {confidence}").format(
        cause=cause_words(event.cause),
        level=term(event.damage_level),
        confidence=confidence_words(event, numbers),
    )
    if where is not None:
        tail = _("{what}; {where}").format(what=tail, where=where)
    line = _("{date}: {what}").format(date=event.occurred_label, what=tail)
    return _wrap(line, f"  [{num(number):>{width}}] ", " " * (width + 5))


def events_words(summary: SiteSummary) -> str:
    """The overview's events line: `16: 5 on monuments, 11 on the site or parts it does
    not name; 41 citations of 5 sources; 1 retracted, 1 merged (listed, not counted)`."""
    counts = summary.counts
    words = _("{events}: {on_monuments} on monuments, {site_wide} {site_wide_words}; {evidence}")
    words = words.format(
        events=num(counts.events),
        on_monuments=num(counts.on_monuments),
        site_wide=num(counts.site_wide),
        site_wide_words=_(SITE_WIDE),
        evidence=evidence_words(counts),
    )
    left_out = left_out_words(counts)
    if left_out:
        words = _("{what}; {where}").format(what=words, where=left_out)
    return words


def evidence_words(counts: Counts) -> str:
    """`41 citations of 5 sources`."""
    return _("{citations} {of_sources}").format(
        citations=n_("{count} citation", "{count} citations", counts.citations),
        of_sources=n_("of {count} source", "of {count} sources", counts.sources),
    )


def left_out_words(counts: Counts) -> str | None:
    """`1 retracted, 2 merged (listed, not counted)`; None when no event is left out."""
    left_out = [
        _("{count} " + name).format(count=num(count))
        for count, name in ((counts.retracted, "retracted"), (counts.merged, "merged"))
        if count
    ]
    if not left_out:
        return None
    return _("{events} (listed, not counted)").format(events=_(", ").join(left_out))


def alt_names_words(names: Iterable[AltName]) -> str:
    """`تدمر (ar), Tadmur (en)`."""
    return _(", ").join(_("{name} ({lang})").format(name=n.name, lang=n.lang) for n in names)


def group_additions(additions: Iterable[Addition]) -> list[tuple[str, list[Addition]]]:
    """What sources add, by event, in the order of the events."""
    grouped: dict[str, list[Addition]] = {}
    for addition in additions:
        grouped.setdefault(addition.event, []).append(addition)
    return list(grouped.items())


def _conflict_claims(conflict: Conflict) -> Iterable[str]:
    for claim in conflict.claims:
        label = claim_label(conflict, claim)
        notes = [] if claim.label == claim.value else [_("EDTF {value}").format(value=claim.value)]
        if claim.recorded:
            notes.append(_("recorded"))
        value = _("{label} [{notes}]").format(label=label, notes=_("; ").join(notes))
        sources = _(", ").join(claim.sources) or _("no source")
        line = _("{claim}: {sources}").format(claim=value if notes else label, sources=sources)
        yield from _wrap(line, "    * ", "      ")


def claim_label(conflict: Conflict, claim: Claim) -> str:
    """A competing value in words: a date's words, a level's, or the dispute's own."""
    if conflict.field == "damage_level":
        return term(DamageLevel(claim.value))
    return claim.label


FIELD_NAMES = {
    "occurred": "when it happened",
    "damage_level": "the damage level",
    "event": "whether it happened",
}


def render_text(summary: SiteSummary) -> str:
    """The plain-text summary of a site, wrapped for a terminal."""
    site = summary.site
    numbers = summary.event_numbers()
    publishers = {source.key: source.publisher for source in summary.sources}
    monument_names = {monument.slug: monument.name for monument in summary.monuments}
    # In another language than English, a quote says the language it was recorded in.
    tagged = current().code != "en"
    languages = {source.key: source.language for source in summary.sources if tagged}

    def place(event: EventSummary) -> str:
        return where_words(event, site.name)

    width = len(str(len(summary.events)))
    lines: list[str] = []
    lang = current()
    title = safe_text(_("{site}: damage summary").format(site=site.name))
    lines += [*_wrap(title), "=" * min(len(title), WIDTH)]
    lines.append("")
    lines += _field("Site", _("{name} ({slug})").format(name=site.name, slug=site.slug))
    if site.alt_names:
        lines += _field("Also called", alt_names_words(site.alt_names))
    country = site.country
    if site.country_name:
        country = _("{code}, {country}").format(code=site.country, country=site.country_name)
    lines += _field("Country", country)
    lines += _field("Kind", term(site.kind))
    if site.latitude is not None and site.longitude is not None:
        where = _("{latitude}, {longitude} (WGS84)").format(
            latitude=lang.decimal(site.latitude, 4), longitude=lang.decimal(site.longitude, 4)
        )
        if site.location_precision_m is not None:
            where = _("{where}, to within {metres} m").format(
                where=where, metres=lang.grouped(site.location_precision_m)
            )
        lines += _field("Location", where)
    identifiers = []
    if site.unesco_whc_id is not None:
        identifiers.append(_("UNESCO World Heritage {id}").format(id=num(site.unesco_whc_id)))
    if site.wikidata_qid:
        identifiers.append(_("Wikidata {id}").format(id=site.wikidata_qid))
    lines += _field("Identifiers", _("; ").join(identifiers) or _("none recorded"))
    lines += _field(
        "As of",
        _("{time} UTC (latest recorded change)").format(
            time=lang.digits(f"{summary.as_of:%Y-%m-%d %H:%M:%S}")
        ),
    )
    if site.description:
        lines.append("")
        lines += _described(site.description)

    counts = summary.counts
    lines += _heading(_("Overview"))
    lines += _field(
        "Worst known level", worst_words(summary.worst_level, summary.worst_claimed_level, numbers)
    )
    lines += _field("Period", period_words(summary.period))
    lines += _field("Events", events_words(summary))
    lines += _field("By cause", nonzero_words(counts.by_cause, Cause))
    lines += _field("By level", nonzero_words(counts.by_level, DamageLevel))
    lines += _field("By confidence", nonzero_words(counts.by_confidence, Confidence))

    lines += _heading(_("Monuments"))
    if not summary.monuments:
        lines.append(_("No monuments recorded."))
    for monument in summary.monuments:
        lines.append("")
        lines += _wrap(_("{name} ({slug})").format(name=monument.name, slug=monument.slug))
        facts = term(monument.kind)
        if monument.built_label:
            facts = _("{kind}, built {date}").format(kind=facts, date=monument.built_label)
        worst = worst_words(monument.worst_level, monument.worst_claimed_level, numbers)
        facts = _("{facts}; worst known level: {worst}; {events}").format(
            facts=facts,
            worst=worst,
            events=n_("{count} event", "{count} events", monument.event_count),
        )
        lines += _wrap(facts, "  ", "    ")
        if monument.alt_names:
            names = alt_names_words(monument.alt_names)
            lines += _wrap(_("Also called {names}").format(names=names), "  ", "    ")
        for uid in monument.events:
            event = summary.events[numbers[uid] - 1]
            lines += _event_line(numbers[uid], event, width, numbers)
        if monument.mentioned_in:
            lines.append("  " + _("Mentioned in (not its own events):"))
            for uid in monument.mentioned_in:
                event = summary.events[numbers[uid] - 1]
                lines += _event_line(numbers[uid], event, width, numbers, place(event))

    lines += _heading(_(SITE_WIDE_HEADING))
    if not summary.site_wide_events:
        lines.append(_("No events recorded {site_wide}.").format(site_wide=_(SITE_WIDE)))
    for uid in summary.site_wide_events:
        lines += _event_line(numbers[uid], summary.events[numbers[uid] - 1], width, numbers)

    lines += _heading(_("Timeline"))
    if not summary.events:
        lines.append(_("No events recorded."))
    for number, event in enumerate(summary.events, start=1):
        lines.append("")
        lines += _wrap(
            _("[{number}] {date} | {cause} | level {level} | {where}").format(
                number=num(number),
                date=event.occurred_label,
                cause=cause_words(event.cause),
                level=term(event.damage_level),
                where=place(event),
            ),
            "",
            "    ",
        )
        if event.actor:
            lines += _wrap(_("Actor: {actor}").format(actor=event.actor), "    ", "      ")
        lines += _wrap(
            _("Occurred (EDTF): {edtf} · Confidence: {confidence}").format(
                edtf=event.occurred, confidence=term(event.confidence)
            ),
            "    ",
            "      ",
        )
        lines.append("    " + _("Event: {uid}").format(uid=event.uid))
        status = status_words(event, numbers)
        if status is not None:
            lines += _wrap(status, "    ", "    ")
        if event.description:
            lines += _described(event.description, "    ", gap=False)
        if event.citations:
            cited = n_("{count} citation", "{count} citations", len(event.citations))
            lines.append("    " + _("{citations}:").format(citations=cited))
        else:
            lines.append("    " + _(NO_CITATIONS))
        for citation in event.citations:
            head = citation.source
            if citation.location:
                head = _("{source}, {location}").format(source=head, location=citation.location)
            head = _("{source} ({stance})").format(source=head, stance=term(citation.stance))
            voice = voice_words(citation, publishers.get(citation.source))
            if voice:
                head = _("{source} · {voice}").format(source=head, voice=voice)
            lines += _wrap(head, "    - ", "      ")
            quoted = f'"{citation.quote}"'
            if languages.get(citation.source):
                quoted = f"{quoted} ({languages[citation.source]})"
            lines += _wrap(quoted, "      ", "       ")
            for claim in citation.claims:
                lines += _wrap(claim_words(claim, event), "      ", "        ")
            if citation.mentions:
                names = _(", ").join(monument_names.get(m, m) for m in citation.mentions)
                lines += _wrap(
                    _("Mentions: {monuments}").format(monuments=names), "      ", "        "
                )
            if citation.date_resolution:
                lines += _wrap(
                    _("Date resolution: {resolution}").format(resolution=citation.date_resolution),
                    "      ",
                    "        ",
                )

    lines += _heading(_("Where sources disagree"))
    if not summary.conflicts:
        lines.append(_(NO_CONFLICTS))
    for conflict in summary.conflicts:
        number = numbers[conflict.event]
        event = summary.events[number - 1]
        lines.append("")
        lines += _wrap(
            _("[{number}] {cause}, {where}, {date}: sources disagree on {field}").format(
                number=num(number),
                cause=cause_words(event.cause),
                where=place(event),
                date=event.occurred_label,
                field=_(FIELD_NAMES[conflict.field]),
            ),
            "",
            "    ",
        )
        lines += list(_conflict_claims(conflict))

    lines += _heading(_("What sources add"))
    if not summary.additions:
        lines.append(_(NO_ADDITIONS))
    for uid, additions in group_additions(summary.additions):
        number = numbers[uid]
        event = summary.events[number - 1]
        lines.append("")
        lines += _wrap(
            _("[{number}] {cause}, {where}, {date}:").format(
                number=num(number),
                cause=cause_words(event.cause),
                where=place(event),
                date=event.occurred_label,
            ),
            "",
            "    ",
        )
        for addition in additions:
            lines += _wrap(addition_words(addition), "    * ", "      ")

    lines += _heading(_("Sources"))
    if not summary.sources:
        lines.append(_("No sources cited."))
    for source in summary.sources:
        lines.append("")
        lines += _wrap(source.key)
        about = [source.title]
        if source.author:
            about.append(source.author)
        if source.publisher:
            about.append(source.publisher)
        if source.relays:
            about.append(_("Relays: {voices}").format(voices=_("; ").join(source.relays)))
        about.append(
            _("Published {date} [EDTF {edtf}]").format(
                date=source.published_label, edtf=source.published
            )
            if source.published
            else _("Publication date not recorded")
        )
        kind = term(source.source_type).capitalize()
        if source.language:
            kind = _("{kind}; language: {language}").format(kind=kind, language=source.language)
        about.append(kind)
        lines += _wrap(_(". ").join(part.rstrip(".") for part in about) + _("."), "    ")
        if source.url:
            lines += _wrap(source.url, "    ")
        if source.text is not None:
            lines += _wrap(kept_text_words(source.text), "    ")
            if source.text.archived_url:
                lines += _wrap(_("Archived copy:") + " " + source.text.archived_url, "    ")
    return "\n".join(lines) + "\n"


def kept_text_words(text: SourceTextSummary) -> str:
    """`Retrieved 28 March 2016 from URL. SHA-256 HEX.`: the text a source keeps."""
    retrieved = (
        _("Retrieved {date} from").format(date=text.retrieved_label) + " " + text.url
        if text.url
        else _("Retrieved {date}").format(date=text.retrieved_label)
    )
    return retrieved + _(".") + " " + _("SHA-256") + " " + text.sha256 + _(".")


def text_index_lines(entries: Iterable[tuple[SiteSummary | IndexEntry, str]]) -> Iterator[str]:
    """The index of a directory of text summaries, one entry per site, a line at a time.

    Each line comes with its `\\n`, to be written as it comes.
    """
    title = _("Damage summaries")
    yield f"{title}\n{'=' * len(title)}\n\n"
    empty = True
    for summary, file in entries:
        empty = False
        for line in _wrap(
            _(
                "{name} ({slug}, {country}): worst known level {level}; {events}; "
                "{period} -> {file}"
            ).format(
                name=summary.site.name,
                slug=summary.site.slug,
                country=summary.site.country,
                level=term(summary.worst_level),
                events=n_("{count} event", "{count} events", summary.counts.events),
                period=period_words(summary.period),
                file=file,
            ),
            "",
            "    ",
        ):
            yield line + "\n"
    if empty:
        yield _("No sites recorded.") + "\n"
