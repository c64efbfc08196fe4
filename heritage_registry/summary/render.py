"""Rendering summaries as text, Markdown, JSON and HTML, and writing a directory of them.

HTML goes through Jinja2 with autoescaping on, so that any text from the database (a
monument called `<script>`) reaches the page as text. Markdown goes through Jinja2 too,
with a `finalize` hook that escapes every value for Markdown in the same way: a
template cannot forget to escape, only opt out with `Markup` for its own markup.
Nothing here reads the clock, so the same records always give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import re
import textwrap
import urllib.parse
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import sqlalchemy as sa
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape
from pydantic import TypeAdapter

from heritage_registry import __version__, i18n
from heritage_registry.i18n import _, current, n_, num, term
from heritage_registry.models import SITE_TABLE
from heritage_registry.render import plural, safe_text
from heritage_registry.summary import timeline
from heritage_registry.summary.humandate import describe, short_span
from heritage_registry.summary.model import (
    IndexEntry,
    SiteSummary,
    build_summary,
    period_words,
)
from heritage_registry.summary.text import (
    FIELD_NAMES,
    NO_ADDITIONS,
    NO_CITATIONS,
    NO_CONFLICTS,
    SITE_WIDE,
    SITE_WIDE_HEADING,
    addition_words,
    alt_names_words,
    cause_words,
    claim_label,
    claim_words,
    confidence_words,
    events_words,
    evidence_words,
    group_additions,
    left_out_words,
    nonzero_words,
    paragraphs,
    render_text,
    text_index_lines,
    voice_words,
    where_words,
    worst_words,
)
from heritage_registry.vocab import DEFINITIONS, Cause, Confidence, DamageLevel, Vocabulary

if TYPE_CHECKING:
    from heritage_registry.registry import Registry

Format = Literal["text", "markdown", "json", "html"]
FORMATS: tuple[Format, ...] = ("text", "markdown", "json", "html")
EXTENSIONS: dict[str, str] = {"text": ".txt", "markdown": ".md", "json": ".json", "html": ".html"}
INDEX_STEM = "index"

_TIMESTAMP: TypeAdapter[dt.datetime | None] = TypeAdapter(dt.datetime | None)

# `write_all` reads the sites' slugs this many at a time, each page after the last slug.
_SLUG_PAGE = 1_000
_SLUGS_AFTER = (
    sa.select(SITE_TABLE.c.slug)
    .where(SITE_TABLE.c.slug > sa.bindparam("after"))
    .order_by(SITE_TABLE.c.slug)
    .limit(_SLUG_PAGE)
)

# Markdown escaping: a backslash before every character that CommonMark or GitHub's
# tables could read as inline markup (`<` included, so no HTML gets through), before an
# entity reference's `&`, and before the few characters that make markup only at the
# start of a line (a heading, a list item, a blockquote).
_MD_INLINE = re.compile(r"([\\`*_\[\]<|~])")
_MD_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
_MD_LINE_START = re.compile(r"^(?:([#+\-=>])|(\d{1,9})([.)])(?=\s|$))")
# At the end of a heading, ` #` would be read as its closing sequence and dropped.
_MD_CLOSING_HASHES = re.compile(r"(?<= )(?=#+$)")


def md_escape(value: object) -> str:
    """Text as one line of Markdown that shows exactly as written, even in a table cell.

    Control characters are shown as escapes (`\\x1b`), as in every text output.
    """
    text = safe_text(" ".join(str(value).split()))
    text = _MD_ENTITY.sub("&amp;", text)
    text = _MD_INLINE.sub(r"\\\1", text)
    text = _MD_CLOSING_HASHES.sub("\\\\", text)
    return _MD_LINE_START.sub(lambda m: "\\" + m[1] if m[1] else m[2] + "\\" + m[3], text)


_CODE_SAFE = re.compile(r"[^`|\s\x00-\x1f\x7f-\x9f]+")

# A link's address keeps these characters, as CommonMark renderers (markdown-it's
# mdurl, GitHub's) do; any other is percent-encoded as UTF-8, and a `%` that starts no
# escape is written `%25`. An address of these alone is written as an autolink.
_HREF_KEEP = r"0-9A-Za-z;/?:@&=+$,\-_.!~*'()#"
_HREF_PLAIN = re.compile(rf"https?://[{_HREF_KEEP}]+", re.IGNORECASE)
_HREF_ENCODE = re.compile(rf"%(?![0-9A-Fa-f]{{2}})|[^{_HREF_KEEP}%]")


def href(url: str) -> str:
    """`url` percent-encoded as a Markdown renderer writes it in a link's `href`."""
    return _HREF_ENCODE.sub(lambda m: urllib.parse.quote(m[0], safe=""), url)


def _md_code(value: object) -> Markup | str:
    """A code span where the text allows one (slugs, uids, EDTF), else text (escaped by
    `_md_finalize`, as every plain value is: escaping it here too would show the escapes)."""
    text = str(value)
    return Markup(f"`{text}`") if _CODE_SAFE.fullmatch(text) else text


def _md_autolink(value: object) -> Markup | str:
    """A source's web address as a link to itself, or as text if it is not http(s).

    The link's text shows the address as stored and its target is the address
    percent-encoded: `<`, `>`, a backslash or a space cannot end it or make markup.
    """
    url = str(value)
    if not url.lower().startswith(("http://", "https://")):
        return url  # text: a `javascript:` address (refused in new input) is never a link
    if _HREF_PLAIN.fullmatch(url) and not _MD_ENTITY.search(url) and "xn--" not in url.lower():
        return Markup(f"<{url}>")
    # In a `<...>` destination only backslash escapes and entities (`&amp;`) are read.
    destination = href(url).replace("&", "\\&")
    return Markup(f"[{md_escape(url)}](<{destination}>)")


# A web address in a description: http(s) only, up to a space, a quote or an angle
# bracket; punctuation that ends a sentence after it is not part of it.
_DESCRIBED_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?*_"


def _url_end(url: str) -> str:
    """`url` without the sentence's punctuation after it: `(see https://x.org/a).`
    links `https://x.org/a`, but `https://x.org/wiki/A_(b)` keeps its parenthesis."""
    while url and (
        url[-1] in _URL_TRAILING or (url[-1] == ")" and url.count(")") > url.count("("))
    ):
        url = url[:-1]
    return url


def _html_linked(line: str) -> Markup:
    """A line as HTML text, each http(s) address in it a link (escaped, percent-encoded,
    opened without handing the page to the target)."""
    parts: list[str] = []
    last = 0
    for match in _DESCRIBED_URL.finditer(line):
        url = _url_end(match.group())
        if len(url) <= len("https://"):
            continue
        start = match.start()
        parts.append(escape(line[last:start]))
        parts.append(
            f'<a href="{escape(href(url))}" rel="noopener noreferrer nofollow">{escape(url)}</a>'
        )
        last = start + len(url)
    parts.append(escape(line[last:]))
    return Markup("".join(parts))


def _html_paragraphs(value: object) -> Markup:
    """A description as HTML paragraphs, its line breaks kept (`<br>`), web addresses
    made links; everything else escaped."""
    return Markup(
        "".join(
            "<p>" + "<br>".join(_html_linked(line) for line in lines) + "</p>"
            for lines in paragraphs(str(value))
        )
    )


def _md_finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    return md_escape(value)


def _ordered(counts: dict[str, int]) -> list[tuple[str, int]]:
    return [(name, count) for name, count in counts.items() if count]


def _nonzero_words(counts: dict[str, int], vocabulary: str) -> str:
    """`explosives 2, looting 1`, the non-zero counts in words; `none` when all are zero."""
    return nonzero_words(counts, _VOCABULARY_OF[vocabulary])


def _words(value: str, vocabulary: str = "") -> str:
    """A vocabulary value in words in the language in use (`single source`); its
    vocabulary is needed where the value alone does not tell (`unknown`)."""
    if vocabulary:
        return term(_VOCABULARY_OF[vocabulary](value))
    return value.replace("_", " ")


def _term(value: Vocabulary) -> str:
    return term(value)


_VOCABULARY_OF: dict[str, type[Vocabulary]] = {
    "cause": Cause,
    "level": DamageLevel,
    "confidence": Confidence,
}


def _level_definition(level: str) -> str:
    return current().definition(DamageLevel(level))


def _confidence_definition(confidence: str) -> str:
    return current().definition(Confidence(confidence))


def _n(value: int) -> str:
    return num(value)


def _isolated(value: object) -> Markup:
    """A code (a key, a uid, EDTF, a slug) kept whole and left to right in a page of
    another language: `<bdi dir="ltr">` isolates it (EDTF has no letter to tell a browser
    its direction); English pages are written as they always were."""
    if current().code == i18n.DEFAULT:
        return escape(value)
    return Markup(f'<bdi dir="ltr">{escape(value)}</bdi>')


def _in_language(code: str | None) -> Markup:
    """The attributes marking recorded text (a quote, a title, a description) with its
    language, where known, and letting its own words set its direction; none in English."""
    if current().code == i18n.DEFAULT:
        return Markup("")
    known = f' lang="{escape(code)}"' if code else ""
    return Markup(f'{known} dir="auto"')


def _recorded(value: object, code: str | None = None) -> Markup:
    """Recorded text (an actor, a reason, a location) as it was recorded; in another
    language's page isolated (`<bdi>`) and marked with its language where known."""
    if current().code == i18n.DEFAULT:
        return escape(value)
    known = f' lang="{escape(code)}"' if code else ""
    return Markup(f"<bdi{known}>{escape(value)}</bdi>")


def _html_code(value: object) -> Markup:
    return Markup(f"<code>{_isolated(value)}</code>")


def _fmt(message: str, **values: object) -> Markup:
    """A message with markup put into it: the message is escaped, and so is each value
    that is not markup already."""
    return Markup(escape(message)).format(**values)


def _decimal(value: float, places: int) -> str:
    return current().decimal(value, places)


def _grouped(value: float) -> str:
    return current().grouped(value)


def _common(env: Environment) -> Environment:
    env.globals.update(
        version=__version__,
        period_words=period_words,
        short_span=short_span,
        field_names=FIELD_NAMES,
        level_colours={level.value: colour for level, colour in timeline.LEVEL_COLOURS.items()},
        level_ink={level.value: ink for level, ink in timeline.LEVEL_INK.items()},
        levels=list(DamageLevel),
        level_definitions=DEFINITIONS[DamageLevel],
        confidence_definitions=DEFINITIONS[Confidence],
        extensions=EXTENSIONS,
        plural=plural,
        site_wide=SITE_WIDE,
        site_wide_heading=SITE_WIDE_HEADING,
        where_words=where_words,
        worst_words=worst_words,
        claim_words=claim_words,
        addition_words=addition_words,
        voice_words=voice_words,
        events_words=events_words,
        group_additions=group_additions,
        left_out_words=left_out_words,
        confidence_words=confidence_words,
        no_citations=NO_CITATIONS,
        no_conflicts=NO_CONFLICTS,
        no_additions=NO_ADDITIONS,
        _=_,
        n_=n_,
        claim_label=claim_label,
        evidence_words=evidence_words,
        alt_names_words=alt_names_words,
        in_language=_in_language,
        start_side=lambda: "right" if current().rtl else "left",
        recorded=_recorded,
        fmt=_fmt,
        decimal=_decimal,
        grouped=_grouped,
        language=current,
        level_definition=_level_definition,
        confidence_definition=_confidence_definition,
    )
    env.filters.update(
        nonzero=_ordered,
        nonzero_words=_nonzero_words,
        words=_words,
        cause=cause_words,
        term=_term,
        n=_n,
        bdi=_isolated,
        digits=lambda text: current().digits(str(text)),
    )
    return env


@functools.cache
def _html_env() -> Environment:
    env = _common(
        Environment(
            loader=PackageLoader("heritage_registry", "templates"),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
        )
    )
    env.filters.update(paragraphs=_html_paragraphs, html_code=_html_code)
    return env


@functools.cache
def _markdown_env() -> Environment:
    env = Environment(
        loader=PackageLoader("heritage_registry", "templates"),
        autoescape=False,
        finalize=_md_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(raw=Markup, code=_md_code, autolink=_md_autolink)
    return _common(env)


def _json(summary: SiteSummary) -> str:
    # pydantic's serializer writes UTF-8 as is, in field order: the same bytes as
    # json.dumps(..., ensure_ascii=False, indent=2), several times faster.
    return summary.model_dump_json(indent=2) + "\n"


def _lookups(summary: SiteSummary) -> dict[str, Any]:
    """What the templates look things up in: events' numbers, publishers, monuments' names."""
    return {
        "numbers": summary.event_numbers(),
        "publishers": {source.key: source.publisher for source in summary.sources},
        # The language each source was recorded in, which marks its quotes.
        "languages": {source.key: source.language for source in summary.sources},
        "monument_names": {monument.slug: monument.name for monument in summary.monuments},
    }


def render(summary: SiteSummary, format: str = "text", *, lang: str | None = None) -> str:
    """The summary as `text`, `markdown`, `json` or `html`, in `lang` (default English;
    `heritage_registry.i18n.available()`; another raises `UnknownLanguage`).

    In another language every word the summary writes is the catalogue's, its dates and
    numbers are the locale's, and names lead with the site's and monuments' alternative
    names in that language; quotes, descriptions and titles stay as recorded. JSON keeps
    its values (vocabulary codes, EDTF) and gives its `*_label` fields in the language.
    """
    if format not in EXTENSIONS:
        raise ValueError(f"unknown summary format {format!r}; choose one of {', '.join(FORMATS)}")
    with i18n.using(lang) as language:
        if language.code != i18n.DEFAULT:
            summary = localized(summary, names=format != "json")
        return _render(summary, format)


def _render(summary: SiteSummary, format: str) -> str:
    if format == "text":
        return render_text(summary)
    if format == "json":
        return _json(summary)
    if format == "markdown":
        template = _markdown_env().get_template("summary.md.j2")
        return template.render(s=summary, **_lookups(summary))
    if format == "html":
        template = _html_env().get_template("summary.html.j2")
        return template.render(
            s=summary,
            **_lookups(summary),
            timeline=timeline.build_timeline(summary.events),
            sources_by_key={source.key: source for source in summary.sources},
        )
    raise ValueError(f"unknown summary format {format!r}; choose one of {', '.join(FORMATS)}")


def _local_name(name: str, alt_names: Sequence[Any]) -> str:
    """`تدمر (Palmyra)`: the alternative name in the language in use leads, where there
    is one; the recorded name follows."""
    code = current().code
    local = next((alt.name for alt in alt_names if alt.lang.split("-")[0] == code), None)
    if local is None or local == name:
        return name
    return _("{local_name} ({name})").format(local_name=local, name=name)


def localized(summary: SiteSummary, *, names: bool = True) -> SiteSummary:
    """`summary` with its labels (dates in words, the dispute's words) in the language in
    use and, where `names`, its names led by their alternative in that language."""
    lang = current().code

    def words(value: str | None) -> str | None:
        return None if value is None else describe(value, lang)

    def date_label(field: str, value: str, label: str) -> str:
        return describe(value, lang) if field == "occurred" else label

    monument_names = {
        m.slug: _local_name(m.name, m.alt_names) if names else m.name for m in summary.monuments
    }
    monuments = [
        m.model_copy(update={"name": monument_names[m.slug], "built_label": words(m.built)})
        for m in summary.monuments
    ]
    events = []
    for event in summary.events:
        citations = [
            citation.model_copy(
                update={
                    "claimed_occurred_label": words(citation.claimed_occurred),
                    "claims": [
                        claim.model_copy(
                            update={"label": date_label(claim.field, claim.value, claim.label)}
                        )
                        for claim in citation.claims
                    ],
                }
            )
            for citation in event.citations
        ]
        monument_name = event.monument_name
        if event.monument is not None:
            monument_name = monument_names.get(event.monument, monument_name)
        events.append(
            event.model_copy(
                update={
                    "occurred_label": describe(event.occurred, lang),
                    "monument_name": monument_name,
                    "citations": citations,
                }
            )
        )
    conflicts = [
        conflict.model_copy(
            update={
                "claims": [
                    claim.model_copy(
                        update={
                            "label": _(claim.label)
                            if conflict.field == "event"
                            else date_label(conflict.field, claim.value, claim.label)
                        }
                    )
                    for claim in conflict.claims
                ]
            }
        )
        for conflict in summary.conflicts
    ]
    additions = [
        addition.model_copy(
            update={
                "label": date_label(addition.field, addition.value, addition.label),
                "event_label": date_label(
                    addition.field, addition.event_value, addition.event_label
                ),
            }
        )
        for addition in summary.additions
    ]
    sources = [
        source.model_copy(
            update={
                "published_label": words(source.published),
                "text": source.text
                and source.text.model_copy(
                    update={"retrieved_label": words(source.text.retrieved.isoformat())}
                ),
            }
        )
        for source in summary.sources
    ]
    site = summary.site
    if names:
        site = site.model_copy(
            update={
                "name": _local_name(site.name, site.alt_names),
                "country_name": current().territory(site.country) or site.country_name,
            }
        )
    return summary.model_copy(
        update={
            "site": site,
            "monuments": monuments,
            "events": events,
            "conflicts": conflicts,
            "additions": additions,
            "sources": sources,
        }
    )


def site_filename(slug: str, format: str) -> str:
    """The file a site's summary is written to by `write_all`.

    `index.<ext>` is the directory's index; a site whose slug is `index` (slugs cannot
    contain dots) is written to `index.site.<ext>` instead.
    """
    stem = f"{slug}.site" if slug == INDEX_STEM else slug
    return stem + EXTENSIONS[format]


def render_index(
    summaries: Sequence[SiteSummary | IndexEntry], format: str = "text", *, lang: str | None = None
) -> str:
    """The index of a directory of summaries: one line, row or link per site, in `lang`."""
    with i18n.using(lang):
        return "".join(_index_parts(summaries, format))


def _index_parts(summaries: Sequence[SiteSummary | IndexEntry], format: str) -> Iterator[str]:
    """The index in pieces, so that `write_all` writes it without holding it whole."""
    if format not in EXTENSIONS:
        raise ValueError(f"unknown summary format {format!r}; choose one of {', '.join(FORMATS)}")
    entries = ((s, site_filename(s.site.slug, format)) for s in summaries)
    if format == "json":
        yield from _json_index(entries, max((s.as_of for s in summaries), default=None))
    elif format == "text":
        yield from text_index_lines(entries)
    else:
        env = _html_env() if format == "html" else _markdown_env()
        template = env.get_template(f"index.{'html' if format == 'html' else 'md'}.j2")
        # The templates test `entries` for emptiness, which a generator never is.
        yield from template.generate(entries=entries if summaries else ())


def _json_index(
    entries: Iterable[tuple[SiteSummary | IndexEntry, str]], as_of: dt.datetime | None
) -> Iterator[str]:
    """`json.dumps(index, ensure_ascii=False, indent=2)`, a site at a time.

    Each site is dumped alone and indented to its depth in the whole, which gives the
    whole's bytes; the whole, as dicts, would hold every site at once.
    """
    stamp = json.dumps(_TIMESTAMP.dump_python(as_of, mode="json"), ensure_ascii=False)
    yield f'{{\n  "as_of": {stamp},\n  "sites": '
    separator = "[\n"
    for s, file in entries:
        site = {
            "slug": s.site.slug,
            "name": s.site.name,
            "country": s.site.country,
            "kind": s.site.kind.value,
            "worst_level": s.worst_level.value,
            "period": s.period.model_dump(mode="json"),
            "events": s.counts.events,
            "file": file,
        }
        yield separator + textwrap.indent(json.dumps(site, ensure_ascii=False, indent=2), "    ")
        separator = ",\n"
    yield "[]\n}\n" if separator == "[\n" else "\n  ]\n}\n"


def _site_slugs(registry: Registry) -> Iterator[str]:
    """Every site's slug in slug order, read a page at a time from short transactions."""
    after = ""  # below every slug: slugs are not empty
    while True:
        with registry.engine.connect() as connection:
            page = connection.execute(_SLUGS_AFTER, {"after": after}).scalars().all()
        yield from page
        if len(page) < _SLUG_PAGE:
            return
        after = page[-1]


def write_all(
    registry: Registry,
    directory: str | Path,
    format: str = "html",
    *,
    progress: Callable[[int, int], None] | None = None,
    lang: str | None = None,
) -> list[Path]:
    """Write every site's summary into `directory`, one file per site, and an index.

    Files are `<slug><ext>` and `index<ext>` (`.txt`, `.md`, `.json`, `.html`), written
    as UTF-8 with `\\n` line ends; returns their paths, the sites' in slug order, then
    the index. The directory is created if needed; other files in it are left alone.
    Every file is in `lang` (default English), as `render` writes it.

    Each summary is written as soon as it is built and then dropped: what stays is what
    the index shows of each site (`IndexEntry`, about half a kilobyte) and its path.
    Each file appears whole or not at all (`heritage_registry.files`); one that cannot
    be written raises `CannotWrite`, which says how many were written before it (whole;
    the index is written last). `progress(done, total)`, if given, is told after each
    site's file how many of the sites' files are written.
    """
    from heritage_registry import files
    from heritage_registry.errors import CannotWrite

    if format not in EXTENSIONS:
        raise ValueError(f"unknown summary format {format!r}; choose one of {', '.join(FORMATS)}")
    i18n.language(lang)  # an unknown language is refused before anything is written
    folder = Path(directory)
    if folder.exists() and not folder.is_dir():
        raise CannotWrite(
            str(directory), "it is a file, not a folder", "give a folder for the summaries"
        )
    created = files.make_folders(folder, str(directory))
    written: list[Path] = []
    entries = []
    # Counted only for a progress report: a site added meanwhile may make it one short.
    total = 0
    if progress is not None:
        with registry.engine.connect() as connection:
            total = connection.execute(
                sa.select(sa.func.count()).select_from(SITE_TABLE)
            ).scalar_one()
    try:
        for slug in _site_slugs(registry):
            summary = build_summary(registry, slug)
            path = folder / site_filename(slug, format)
            files.write_text(path, render(summary, format, lang=lang))
            written.append(path)
            if lang is not None and lang != i18n.DEFAULT:
                with i18n.using(lang):
                    summary = localized(summary, names=format != "json")
            entries.append(IndexEntry.of(summary))
            if progress is not None:
                progress(len(written), max(total, len(written)))
        index = folder / (INDEX_STEM + EXTENSIONS[format])
        with files.atomic_text(index) as out, i18n.using(lang):
            out.writelines(_index_parts(entries, format))
    except CannotWrite as exc:
        if not written:
            files.remove_folders(created)
        if not written:
            state = "no summary was written"
        else:
            were = "site summary was" if len(written) == 1 else "site summaries were"
            state = f"{len(written)} {were} written before it, each whole, and no index"
        raise CannotWrite(exc.path, exc.reason, exc.fix, state=state) from None
    written.append(index)
    return written
