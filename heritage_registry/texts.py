"""Sources' texts: storing what a source said, and finding a citation's quote in it.

A source may keep the text it was read from (`Registry.attach_text`), with its SHA-256,
when it was retrieved and where from, or only the hash of an original that is not text
(a PDF, a video). Where it keeps a text, a quote cited from it must occur in it: the
comparison folds what copying a passage changes without changing what it says (runs
of whitespace and line breaks, typographic quotes, dashes), and a quote that is not
there is refused with the passage of the text closest to it. A citation found keeps
where (character offsets into the stored text); `registry verify` checks them all again,
against the stored texts or a folder of files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from heritage_registry import db
from heritage_registry.errors import InvalidRecord, QuoteNotFound
from heritage_registry.models import (
    TEXT_TABLE,
    URL_MAX,
    DamageEvent,
    Source,
    SourceCitation,
    SourceText,
    SourceTextPublic,
    aware,
    no_controls,
    utcnow,
)

# What folds to one character: each group's members are taken as the same character.
_SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b\u2032"
_DOUBLE_QUOTES = '"\u201c\u201d\u201e\u201f\u2033\u00ab\u00bb'
_DASHES = "\\-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
# A run of dashes with the spaces about it is one dash ("Palmyra -- both" is
# "Palmyra\u2014both"); a run of whitespace is one space; a soft hyphen is nothing.
_FOLDABLE = re.compile(rf"\s*[{_DASHES}]+\s*|\s+|[{_SINGLE_QUOTES}]|[{_DOUBLE_QUOTES}]|\u00ad")
# Words, for the closest passage: a dash, folded into the words about it, divides them.
_WORD = re.compile(r"[^\s\-]+")
# The most of a passage shown for a quote not found.
PASSAGE_MAX = 300
HASH = re.compile(r"^[0-9a-f]{64}$")
# The longest text kept: with its source's key, hash, dates and addresses, it fits on one
# line of an export (`exchange.reading.MAX_LINE_BYTES`, 1,000,000 bytes).
TEXT_MAX_BYTES = 900_000


def normalise(text: str) -> str:
    """A text as stored: line ends made `\\n`, a leading byte-order mark dropped."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def digest(data: bytes | str) -> str:
    """The SHA-256 of bytes, or of a text's UTF-8 encoding, in hex."""
    return hashlib.sha256(data.encode("utf-8") if isinstance(data, str) else data).hexdigest()


def file_digest(path: Path) -> str:
    """The SHA-256 of a file's bytes (an original kept elsewhere: a PDF, a video)."""
    try:
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError as exc:
        raise InvalidRecord(f"cannot read {path}: {exc.strerror}") from None


def read_text(path: Path) -> str:
    """A file's text, decoded as UTF-8 and normalised; ValueError if it is not UTF-8."""
    try:
        return normalise(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise InvalidRecord(
            f"{path} is not UTF-8 text (byte {exc.start}); record an original's hash "
            "with --hash-file instead"
        ) from None
    except OSError as exc:
        raise InvalidRecord(f"cannot read {path}: {exc.strerror}") from None


def _folded_piece(piece: str) -> str:
    if piece.isspace():
        return " "
    if piece == "\u00ad":
        return ""
    if piece in _SINGLE_QUOTES:
        return "'"
    if piece in _DOUBLE_QUOTES:
        return '"'
    return "-"


@dataclass(frozen=True)
class Folded:
    """A text folded for comparison, with where each folded character came from:
    folded character `i` stands for `original[starts[i]:ends[i]]`."""

    text: str
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of the folded characters `start` to `end` (exclusive)."""
        return self.starts[start], self.ends[end - 1]


def fold(text: str) -> Folded:
    """`text` with whitespace, line breaks, typographic quotes and dashes folded."""
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    position = 0

    def keep(until: int) -> None:
        for index in range(position, until):
            out.append(text[index])
            starts.append(index)
            ends.append(index + 1)

    for match in _FOLDABLE.finditer(text):
        keep(match.start())
        for char in _folded_piece(match.group()):
            out.append(char)
            starts.append(match.start())
            ends.append(match.end())
        position = match.end()
    keep(len(text))
    return Folded("".join(out), tuple(starts), tuple(ends))


def folded_quote(quote: str) -> str:
    """A quote folded as a text is, less the space at either end."""
    return fold(quote).text.strip()


def locate(quote: str, text: str | Folded) -> tuple[int, int] | None:
    """Where `quote` first occurs in `text`, as offsets into the text; None if it does not."""
    folded = text if isinstance(text, Folded) else fold(text)
    needle = folded_quote(quote)
    if not needle:
        return None
    found = folded.text.find(needle)
    if found < 0:
        return None
    return folded.span(found, found + len(needle))


def passage(text: str, start: int, end: int) -> str:
    """The text from `start` to `end` on one line, cut to `PASSAGE_MAX` characters."""
    shown = " ".join(text[start:end].split())
    return shown if len(shown) <= PASSAGE_MAX else shown[: PASSAGE_MAX - 1] + "\u2026"


def closest(quote: str, text: str | Folded, original: str | None = None) -> str | None:
    """The passage of `text` most like `quote`: of the runs of as many words as the quote
    has, the one that shares the most of its words, then the most in the quote's places
    (the first of equals). None if the text has no word of the quote."""
    folded = text if isinstance(text, Folded) else fold(text)
    source = original if original is not None else text
    assert isinstance(source, str)
    wanted = _WORD.findall(folded_quote(quote))
    words = list(_WORD.finditer(folded.text))
    if not wanted or not words:
        return None
    tokens = [word.group() for word in words]
    size = min(len(wanted), len(tokens))
    need = Counter(wanted)
    # The window's words and how many of them the quote has, kept as it slides, so that
    # a long text costs a step a word, not a count of the whole window.
    have: Counter[str] = Counter()
    shared = 0
    best: tuple[int, int] = (0, 0)
    best_at = -1
    for index, token in enumerate(tokens):
        have[token] += 1
        if have[token] <= need[token]:
            shared += 1
        first = index - size + 1
        if first > 0:
            gone = tokens[first - 1]
            if have[gone] <= need[gone]:
                shared -= 1
            have[gone] -= 1
        if first < 0 or shared < best[0] or shared == 0:
            continue
        window = tokens[first : first + size]
        aligned = sum(1 for a, b in zip(window, wanted, strict=False) if a == b)
        if (shared, aligned) > best:
            best, best_at = (shared, aligned), first
    if best_at < 0:
        return None
    start, end = folded.span(words[best_at].start(), words[best_at + size - 1].end())
    return passage(source, start, end)


@dataclass(frozen=True)
class Finding:
    """Where a quote was found in a text (`span`), or, if it was not, the closest passage."""

    span: tuple[int, int] | None
    suggestion: str | None = None


def check(quote: str, text: str, folded: Folded | None = None) -> Finding:
    """Look for `quote` in `text`: its span, or the closest passage to suggest."""
    folded = folded or fold(text)
    span = locate(quote, folded)
    if span is not None:
        return Finding(span)
    return Finding(None, closest(quote, folded, text))


def refusal(source: str, quote: str, suggestion: str | None) -> str:
    """The message refusing a quote not found in `source`'s text."""
    shown = " ".join(quote.split())
    message = f"the quote {shown!r} is not in the text of source {source!r}"
    if suggestion:
        message += f"; did you mean {suggestion!r}?"
    return message


# Storing ------------------------------------------------------------------------


def public(row: SourceText) -> SourceTextPublic:
    """What the registry keeps of a source's text, as the library returns it."""
    return SourceTextPublic(
        sha256=row.sha256,
        characters=None if row.text is None else len(row.text),
        retrieved=row.retrieved,
        url=row.url,
        archived_url=row.archived_url,
        attached_at=aware(row.attached_at),
    )


KEPT_PREFIX = "text_"


def kept_columns() -> list[sa.ColumnElement[Any]]:
    """The columns `kept_of_row` reads, named with `KEPT_PREFIX` so that they can share a
    row with the source's own (`url`): the text's length, not the text itself."""
    table = TEXT_TABLE
    return [
        column.label(KEPT_PREFIX + name)
        for name, column in (
            ("sha256", table.c.sha256),
            ("characters", sa.func.length(table.c.text)),
            ("retrieved", table.c.retrieved),
            ("url", table.c.url),
            ("archived_url", table.c.archived_url),
            ("attached_at", table.c.attached_at),
        )
    ]


def kept_of_row(row: Any) -> SourceTextPublic | None:
    """The `SourceTextPublic` of a row with `kept_columns`; None where the source has none."""
    if row.text_sha256 is None:
        return None
    return SourceTextPublic(
        sha256=row.text_sha256,
        characters=row.text_characters,
        retrieved=row.text_retrieved,
        url=row.text_url,
        archived_url=row.text_archived_url,
        attached_at=aware(row.text_attached_at),
    )


def _address(what: str, value: str | None) -> str | None:
    value = value.strip() if value is not None else None
    if not value:
        return None
    if not value.lower().startswith(("http://", "https://")):
        raise InvalidRecord(f"{what}: {value!r} is not a web address; write it as https://...")
    if any(char.isspace() for char in value) or len(value) > URL_MAX or not db.storable(value):
        raise InvalidRecord(f"{what}: give a web address of at most {URL_MAX} characters")
    return value


def _retrieved(value: dt.date | str | None) -> dt.date:
    if value is None:
        return utcnow().date()
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidRecord(f"retrieved: {value!r} is not a date; write it as YYYY-MM-DD") from None


def _hash(value: str) -> str:
    value = value.strip().lower()
    if not HASH.match(value):
        raise InvalidRecord("sha256: give the 64 hexadecimal digits of a SHA-256")
    return value


def _text(value: str) -> str:
    text = normalise(value)
    if not text.strip():
        raise InvalidRecord("text: the text is empty")
    if not db.storable(text):
        raise InvalidRecord("text: the text holds a character the database cannot store")
    try:
        # Line breaks and tabs are the text's own; other control characters are not text.
        text = no_controls(text, lines=True)
    except ValueError as exc:
        raise InvalidRecord(f"text: {exc}") from None
    # Measured as an export writes it (JSON, UTF-8), so that every kept text fits on one
    # line of JSON Lines, which an import reads up to MAX_LINE_BYTES: a text kept but not
    # exportable would be lost on the way to another database.
    if len(json.dumps(text, ensure_ascii=False).encode()) > TEXT_MAX_BYTES:
        raise InvalidRecord(
            f"text: too long to keep: at most {TEXT_MAX_BYTES:,} bytes of UTF-8 (line breaks "
            "and quotation marks count twice); keep the original by its hash (--sha256 or "
            "--hash-file) and attach the part its quotes come from"
        )
    return text


def attach(
    session: Session,
    source: Source,
    *,
    text: str | None,
    sha256: str | None,
    retrieved: dt.date | str | None,
    url: str | None,
    archived_url: str | None,
) -> tuple[SourceTextPublic | None, SourceTextPublic | None]:
    """Keep `text` (or only an original's `sha256`) as `source`'s, replacing any it had,
    and locate its citations' quotes in it again; the text's state before and after
    (after is None where nothing changed).

    A citation whose quote the new text does not hold loses its offsets: it is
    unverified, and `registry verify` reports it.
    """
    if (text is None) == (sha256 is None):
        raise InvalidRecord("give the source's text or the SHA-256 of its original, not both")
    stored = _text(text) if text is not None else None
    values: dict[str, Any] = {
        "sha256": digest(stored) if stored is not None else _hash(sha256 or ""),
        "text": stored,
        "retrieved": _retrieved(retrieved),
        "url": _address("url", url),
        "archived_url": _address("archived url", archived_url),
    }
    assert source.id is not None
    # The caller holds the source locked: no other writer attaches a text meanwhile.
    row = session.get(SourceText, source.id)
    before = public(row) if row is not None else None
    if row is not None and all(getattr(row, name) == value for name, value in values.items()):
        return before, None
    if row is None:
        row = SourceText(source_id=source.id, attached_at=utcnow(), **values)
    else:
        for name, value in values.items():
            setattr(row, name, value)
        row.attached_at = utcnow()
    session.add(row)
    session.flush()
    _relocate(session, source, stored)
    return before, public(row)


def _relocate(session: Session, source: Source, text: str | None) -> None:
    """Set the offsets of `source`'s citations in its new text (None where not found)."""
    folded = fold(text) if text is not None else None
    rows = session.exec(select(SourceCitation).where(SourceCitation.source_id == source.id)).all()
    for row in rows:
        span = locate(row.quote, folded) if folded is not None else None
        start, end = span if span is not None else (None, None)
        if (row.text_start, row.text_end) != (start, end):
            row.text_start, row.text_end = start, end
            session.add(row)
    session.flush()


def kept(session: Session, source: Source) -> SourceTextPublic | None:
    """What `source` keeps of its text, if anything."""
    row = session.get(SourceText, source.id)
    return public(row) if row is not None else None


def stored_text(session: Session, source: Source) -> str | None:
    """The text `source` keeps, if it keeps one."""
    return session.exec(select(SourceText.text).where(SourceText.source_id == source.id)).first()


def spans(
    session: Session, citations: Sequence[tuple[str, Source]]
) -> list[tuple[int, int] | None]:
    """Where each quote is in its source's text, None for a source with no text;
    QuoteNotFound, naming the closest passage, for a quote its source's text lacks."""
    folded: dict[int, tuple[str, Folded] | None] = {}
    found: list[tuple[int, int] | None] = []
    for quote, source in citations:
        assert source.id is not None
        if source.id not in folded:
            text = stored_text(session, source)
            folded[source.id] = (text, fold(text)) if text is not None else None
        held = folded[source.id]
        if held is None:
            found.append(None)
            continue
        finding = check(quote, held[0], held[1])
        if finding.span is None:
            raise QuoteNotFound(
                refusal(source.key, quote, finding.suggestion),
                source=source.key,
                quote=quote,
                suggestion=finding.suggestion,
            )
        found.append(finding.span)
    return found


def remove(session: Session, source: Source) -> None:
    """Delete `source`'s text, ahead of the source itself."""
    session.exec(sa.delete(SourceText).where(col(SourceText.source_id) == source.id))


# Verifying ------------------------------------------------------------------------


VERIFIED = "verified"
NOT_FOUND = "not found"
NO_TEXT = "no text"


@dataclass(frozen=True)
class Verification:
    """One citation checked against its source's text."""

    source: str
    event: str
    quote: str
    status: str
    span: tuple[int, int] | None = None
    suggestion: str | None = None


@dataclass(frozen=True)
class VerifyReport:
    """Every citation checked, in the order of their sources' keys and events' uids."""

    results: list[Verification] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for result in self.results if result.status == status)

    @property
    def ok(self) -> bool:
        return self.count(NOT_FOUND) == 0


def text_file(folder: Path, key: str, articles: Mapping[str, str]) -> Path | None:
    """The file in `folder` holding source `key`'s text: one named after the key (with
    or without `.txt`), or the file the source records (the seed's article)."""
    names = [key, f"{key}.txt"]
    if key in articles:
        names.append(articles[key])
    for name in names:
        path = folder / name
        if path.is_file():
            return path
    return None


def verify(
    session: Session, folder: Path | None = None, articles: Mapping[str, str] | None = None
) -> VerifyReport:
    """Check every citation against its source's stored text, or with `folder`, against
    the files there (`text_file`)."""
    if folder is not None and not folder.is_dir():
        raise InvalidRecord(f"--texts: {folder} is not a folder")
    query = (
        select(Source, SourceCitation.quote, DamageEvent.uid)
        .join(SourceCitation, col(SourceCitation.source_id) == col(Source.id))
        .join(DamageEvent, col(DamageEvent.id) == col(SourceCitation.event_id))
        .order_by(col(Source.key), col(DamageEvent.uid), col(SourceCitation.id))
    )
    texts: dict[str, tuple[str, Folded] | None] = {}
    results: list[Verification] = []
    for source, quote, uid in session.exec(query).all():
        if source.key not in texts:
            if folder is not None:
                path = text_file(folder, source.key, articles or {})
                text = read_text(path) if path is not None else None
            else:
                text = stored_text(session, source)
            texts[source.key] = (text, fold(text)) if text is not None else None
        held = texts[source.key]
        if held is None:
            results.append(Verification(source.key, uid, quote, NO_TEXT))
            continue
        finding = check(quote, *held)
        status = VERIFIED if finding.span is not None else NOT_FOUND
        results.append(
            Verification(source.key, uid, quote, status, finding.span, finding.suggestion)
        )
    return VerifyReport(results)
