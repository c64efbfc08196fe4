"""The domain model: sites, monuments, sources, damage events and their citations.

Each record follows SQLModel's split: `*Base` holds the shared, validated fields;
`*Create` is the input model where validation runs (table models skip validation in
`__init__`, so rows are only ever built from a validated `*Create`); the table model
adds the keys and the values derived from the input (EDTF bounds, timestamps); and
`*Public` is what the library returns and the JSON output shows. Public models name
related records by slug, key and uid, never by the database's integer ids.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any, TypedDict, TypeVar

import sqlalchemy as sa
from iso3166 import countries_by_alpha2
from pydantic import BaseModel, ConfigDict, field_validator, model_validator
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from heritage_registry import countries, dates
from heritage_registry.vocab import (
    Cause,
    ChangeAction,
    ChangeHow,
    Confidence,
    DamageLevel,
    MonumentKind,
    RecordType,
    SiteKind,
    SourceType,
    Stance,
    Vocabulary,
)

# Constraint names must be deterministic before any table exists, so that alembic
# can later alter or drop them by name on every engine (SQLite batch mode needs it).
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_MAX = 64
NAME_MAX = 200
TEXT_MAX = 5000
QUOTE_MAX = 5000
TITLE_MAX = 500
URL_MAX = 2000
NOTE_MAX = 1000
LANG_MAX = 35
EDTF_MAX = dates.MAX_EDTF_LENGTH
ALT_NAMES_MAX = 50
MENTIONS_MAX = 50
_SLUG = re.compile(SLUG_PATTERN)


class TableModel(SQLModel, registry=registry(metadata=metadata)):
    """The abstract base of the registry's tables: its own metadata, not SQLModel's global."""


def vocabulary_type(vocabulary: type[Vocabulary], name: str) -> sa.Enum:
    """A column type storing a vocabulary's values as text, with a CHECK constraint."""
    return sa.Enum(
        vocabulary,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        validate_strings=True,
        values_callable=lambda enum: [member.value for member in enum],
    )


def utcnow() -> dt.datetime:
    """The time now, in UTC: every timestamp the registry writes."""
    return dt.datetime.now(dt.UTC)


# A naive time plus its distance from the naive epoch, added to the aware one, is the time
# in UTC: what `replace(tzinfo=UTC)` gives, in a tenth of the time (its keyword arguments
# are parsed on every call, and a summary reads a hundred stored times).
_NAIVE_EPOCH = dt.datetime(1970, 1, 1)
_UTC_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def aware(value: dt.datetime) -> dt.datetime:
    """A stored time with its zone: SQLite hands timestamps back without one, and they
    were written in UTC."""
    if value.tzinfo is not None:
        return value
    if value.fold or type(value) is not dt.datetime:
        return value.replace(tzinfo=dt.UTC)
    return _UTC_EPOCH + (value - _NAIVE_EPOCH)


def _check_edtf(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    dates.bounds(value)
    return value


def _check_edtf_years(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    dates.year_bounds(value)
    return value


def _check_lang(value: str | None) -> str | None:
    if value is None:
        return None
    # Imported when a tag is checked: loading langcodes' data costs every command a
    # twentieth of a second, and most never check one.
    from langcodes import tag_is_valid

    if not tag_is_valid(value):
        raise ValueError(f"{value!r} is not a BCP 47 language tag; write e.g. ar, en, fr")
    return value


# C0 controls but tab and line feed, DEL, and C1 controls (U+0080-U+009F). A terminal
# takes them as commands: ESC starts sequences that clear the screen or retitle the
# window, CR returns to the start of the line to write over it. No name or quote holds one.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"[\n\t]")


def no_controls(value: str, *, lines: bool = True) -> str:
    """`value`, unless it holds a control character: then a ValueError that says which.

    Tab and line feed are text, in quotes and descriptions; with `lines=False` (a name
    shown on one line, as who made a change is) they are refused too.
    """
    # PostgreSQL cannot store U+0000 in text, and no source quotes one.
    if "\x00" in value:
        raise ValueError("contains a NUL character (U+0000); remove it")
    found = _CONTROL.search(value) or (None if lines else _LINE_BREAK.search(value))
    if found is None:
        return value
    char = found.group()
    code = f"U+{ord(char):04X}"
    if char == "\r":
        raise ValueError(f"contains a carriage return ({code}); end lines with a line feed alone")
    if char in "\n\t":
        raise ValueError(f"contains a line break or tab ({code}); write it on one line")
    raise ValueError(f"contains a control character ({code}); remove it")


def _strip_required(value: str) -> str:
    value = no_controls(value.strip())
    if not value:
        raise ValueError("must not be empty")
    return value


def _one_line_optional(value: str | None) -> str | None:
    """An optional name shown on one line: no line breaks or tabs; None when blank."""
    if value is None:
        return None
    return no_controls(value.strip(), lines=False) or None


def _check_mentions(value: list[str]) -> list[str]:
    """Monument slugs, each once, in the order given."""
    seen: list[str] = []
    for slug in value:
        if not isinstance(slug, str) or not _SLUG.fullmatch(slug):
            raise ValueError(
                f"{slug!r} is not a monument slug; use lower-case letters, digits and single "
                "hyphens, e.g. temple-of-bel"
            )
        if slug not in seen:
            seen.append(slug)
    return seen


def _strip_optional(value: str | None) -> str | None:
    if value is None:
        return None
    value = no_controls(value.strip())
    return value or None


class _Input(SQLModel):
    """The base of the Create models: strict about unknown fields, and quick to validate.

    SQLModel's own `__init__` is there for table models; on any other model it makes
    pydantic route every object, nested ones included, through Python, which doubles
    the cost of validating a batch of imported lines. Input models need only pydantic's.
    """

    model_config = ConfigDict(extra="forbid")  # type: ignore[assignment]
    __init__ = BaseModel.__init__


class AltName(BaseModel):
    """Another name of a site or monument, with its language (`تدمر` ar, `Tadmur` en)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=NAME_MAX)
    lang: str = Field(min_length=2, max_length=LANG_MAX)

    _strip_name = field_validator("name")(_strip_required)
    _lang = field_validator("lang")(_check_lang)

    @classmethod
    def parse(cls, text: str) -> AltName:
        """Read the CLI's `NAME@LANG` form."""
        name, sep, lang = text.rpartition("@")
        if not sep:
            raise ValueError(f"alternative name {text!r} needs a language: write NAME@LANG")
        return cls(name=name, lang=lang)


class _Located(SQLModel):
    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_or_neither(self) -> Any:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


# A record's repr shows its names and quotes cut to this many characters.
REPR_TEXT_MAX = 40


def _shown(text: str) -> str:
    """`text` quoted for a repr, cut to REPR_TEXT_MAX characters with "…" marking the cut."""
    cut = text if len(text) <= REPR_TEXT_MAX else text[: REPR_TEXT_MAX - 1] + "…"
    return repr(cut)


def _value(value: Any) -> str:
    """A vocabulary value as its string (`destroyed`), whether a member or plain text."""
    return str(getattr(value, "value", value))


# Site ---------------------------------------------------------------------------


class SiteBase(_Located):
    slug: str = Field(min_length=1, max_length=SLUG_MAX, schema_extra={"pattern": SLUG_PATTERN})
    name: str = Field(min_length=1, max_length=NAME_MAX)
    country: str = Field(min_length=2, max_length=2)
    kind: SiteKind = Field(
        default=SiteKind.ARCHAEOLOGICAL_SITE,
        sa_type=vocabulary_type(SiteKind, "site_kind"),
    )
    location_precision_m: float | None = Field(default=None, ge=0, le=20_000_000)
    unesco_whc_id: int | None = Field(default=None, ge=1, le=1_000_000)
    wikidata_qid: str | None = Field(
        default=None, max_length=20, schema_extra={"pattern": r"^Q[1-9][0-9]*$"}
    )
    description: str | None = Field(default=None, max_length=TEXT_MAX)

    _name = field_validator("name")(_strip_required)
    _description = field_validator("description")(_strip_optional)

    @field_validator("country", mode="before")
    @classmethod
    def _country(cls, value: Any) -> Any:
        if isinstance(value, str):
            code = value.strip().upper()
            if code not in countries_by_alpha2:
                # A name (`Iraq`) gets the code it may mean, never converted to it.
                raise ValueError(countries.not_a_code(value))
            return code
        return value


class SiteCreate(SiteBase, _Input):
    """A new site as given: `add_site`'s input, validated."""

    alt_names: list[AltName] = Field(default_factory=list, max_length=ALT_NAMES_MAX)


class Site(SiteBase, TableModel, table=True):
    """The `site` table; read as `SitePublic`."""

    __tablename__ = "site"
    __table_args__ = (
        sa.UniqueConstraint("slug"),
        sa.Index(None, "country"),
        sa.CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude"),
        sa.CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude"),
    )

    id: int | None = Field(default=None, primary_key=True)
    alt_names: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))
    updated_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))


class SitePublic(SiteBase):
    """A site as the library returns it: `<Site palmyra 'Palmyra' SY>`."""

    alt_names: list[AltName]
    created_at: dt.datetime
    updated_at: dt.datetime

    def __repr__(self) -> str:
        return f"<Site {self.slug} {_shown(self.name)} {self.country}>"


# Monument -----------------------------------------------------------------------


class MonumentBase(_Located):
    slug: str = Field(min_length=1, max_length=SLUG_MAX, schema_extra={"pattern": SLUG_PATTERN})
    name: str = Field(min_length=1, max_length=NAME_MAX)
    kind: MonumentKind = Field(sa_type=vocabulary_type(MonumentKind, "monument_kind"))
    built: str | None = Field(default=None, max_length=EDTF_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)

    _name = field_validator("name")(_strip_required)
    _description = field_validator("description")(_strip_optional)
    _built = field_validator("built")(_check_edtf_years)


class MonumentCreate(MonumentBase, _Input):
    """A new monument of the site `site`, as given: `add_monument`'s input, validated."""

    site: str = Field(min_length=1, max_length=SLUG_MAX)
    alt_names: list[AltName] = Field(default_factory=list, max_length=ALT_NAMES_MAX)


class Monument(MonumentBase, TableModel, table=True):
    """The `monument` table; read as `MonumentPublic`."""

    __tablename__ = "monument"
    __table_args__ = (
        sa.UniqueConstraint("site_id", "slug"),
        sa.CheckConstraint("latitude IS NULL OR latitude BETWEEN -90 AND 90", name="latitude"),
        sa.CheckConstraint("longitude IS NULL OR longitude BETWEEN -180 AND 180", name="longitude"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    built_from_year: int | None = None
    built_to_year: int | None = None
    alt_names: list[dict[str, str]] = Field(default_factory=list, sa_type=sa.JSON)
    created_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))
    updated_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))


class MonumentPublic(MonumentBase):
    """A monument as the library returns it: `<Monument palmyra/citadel 'Palmyra citadel'
    citadel>`."""

    site: str
    built_from_year: int | None
    built_to_year: int | None
    alt_names: list[AltName]
    created_at: dt.datetime
    updated_at: dt.datetime

    def __repr__(self) -> str:
        return f"<Monument {self.site}/{self.slug} {_shown(self.name)} {_value(self.kind)}>"


# Source -------------------------------------------------------------------------


class SourceBase(SQLModel):
    key: str = Field(min_length=1, max_length=SLUG_MAX, schema_extra={"pattern": SLUG_PATTERN})
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    publisher: str | None = Field(default=None, max_length=NAME_MAX)
    author: str | None = Field(default=None, max_length=NAME_MAX)
    url: str | None = Field(default=None, max_length=URL_MAX)
    language: str | None = Field(default=None, max_length=LANG_MAX)
    published: str | None = Field(default=None, max_length=EDTF_MAX)
    source_type: SourceType = Field(
        default=SourceType.NEWS_REPORT,
        sa_type=vocabulary_type(SourceType, "source_type"),
    )
    note: str | None = Field(default=None, max_length=NOTE_MAX)

    _title = field_validator("title")(_strip_required)
    _optional = field_validator("publisher", "author", "note")(_strip_optional)
    _language = field_validator("language")(_check_lang)
    _published = field_validator("published")(_check_edtf)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        value = _strip_optional(value)
        if value is not None and not value.lower().startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not a web address; write it as https://...")
        if value is not None and any(ch.isspace() for ch in value):
            raise ValueError("a web address cannot contain spaces")
        return value


class SourceCreate(SourceBase, _Input):
    """A new source as given: `add_source`'s input, validated."""


class Source(SourceBase, TableModel, table=True):
    """The `source` table; read as `SourcePublic`."""

    __tablename__ = "source"
    __table_args__ = (sa.UniqueConstraint("key"),)

    id: int | None = Field(default=None, primary_key=True)
    published_earliest: dt.date | None = None
    published_latest: dt.date | None = None
    created_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))
    updated_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))


class SourcePublic(SourceBase):
    """A source as the library returns it: `<Source newarab-2016-03-27 'Palmyra recaptured'
    2016-03-27>` (its title cut to 40 characters)."""

    published_earliest: dt.date | None
    published_latest: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime

    def __repr__(self) -> str:
        published = f" {self.published}" if self.published else ""
        return f"<Source {self.key} {_shown(self.title)}{published}>"


class SourceText(TableModel, table=True):
    """The `source_text` table: the text a source was read from, or only the hash of its
    original (a PDF, a video) where `text` is NULL; read as `SourceTextPublic`."""

    __tablename__ = "source_text"

    source_id: int = Field(foreign_key="source.id", primary_key=True)
    sha256: str = Field(max_length=64)
    text: str | None = Field(default=None, sa_type=sa.Text)
    retrieved: dt.date
    url: str | None = Field(default=None, max_length=URL_MAX)
    archived_url: str | None = Field(default=None, max_length=URL_MAX)
    attached_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))


class SourceTextPublic(BaseModel):
    """What the registry keeps of a source's text: its hash, its length in characters
    (None where only an original's hash is kept), when and where it was retrieved."""

    sha256: str
    characters: int | None
    retrieved: dt.date
    url: str | None
    archived_url: str | None
    attached_at: dt.datetime


class SourceWithText(SourcePublic):
    """A source's state with its text's, as history records a text attached or replaced."""

    text: SourceTextPublic | None


# Citation -----------------------------------------------------------------------


class CitationBase(SQLModel):
    quote: str = Field(min_length=1, max_length=QUOTE_MAX)
    location: str | None = Field(default=None, max_length=NAME_MAX)
    stance: Stance = Field(default=Stance.SUPPORTS, sa_type=vocabulary_type(Stance, "stance"))
    claimed_occurred: str | None = Field(default=None, max_length=EDTF_MAX)
    claimed_level: DamageLevel | None = Field(
        default=None, sa_type=vocabulary_type(DamageLevel, "claimed_level")
    )
    date_resolution: str | None = Field(default=None, max_length=NOTE_MAX)
    # Who the source relays, where it relays someone ("a military source", "SANA"):
    # citations with the same `via` are one voice whatever their publishers.
    via: str | None = Field(default=None, max_length=NAME_MAX)
    # Slugs of monuments of the event's site that the quote names without the event
    # being theirs ("advancing towards the Temple of Bel ... hidden mines").
    mentions: list[str] = Field(default_factory=list, sa_type=sa.JSON, max_length=MENTIONS_MAX)

    _quote = field_validator("quote")(_strip_required)
    _optional = field_validator("location", "date_resolution")(_strip_optional)
    _claimed = field_validator("claimed_occurred")(_check_edtf)
    _via = field_validator("via")(_one_line_optional)
    _mentions = field_validator("mentions")(_check_mentions)


class CitationCreate(CitationBase, _Input):
    """One source's statement about an event: `source` is the source's key."""

    source: str = Field(min_length=1, max_length=SLUG_MAX)


class SourceCitation(CitationBase, TableModel, table=True):
    """The `source_citation` table; read as `CitationPublic`, within its event."""

    __tablename__ = "source_citation"
    __table_args__ = (
        sa.Index(None, "event_id"),
        sa.Index(None, "source_id"),
        sa.CheckConstraint("quote <> ''", name="quote_not_empty"),
    )

    id: int | None = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="damage_event.id")
    source_id: int = Field(foreign_key="source.id")
    created_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))
    # Where the quote is in its source's stored text (character offsets, end
    # exclusive); NULL where the source keeps no text: the quote is unverified.
    text_start: int | None = None
    text_end: int | None = None


class CitationPublic(CitationBase):
    """A citation as the library returns it, within its event: `<Citation
    newarab-2016-03-27 supports 'The group has since blown up UNESCO-li…'>`."""

    source: str
    recorded_at: dt.datetime

    def __repr__(self) -> str:
        return f"<Citation {self.source} {_value(self.stance)} {_shown(self.quote)}>"


# Damage event -------------------------------------------------------------------


class DamageEventBase(SQLModel):
    cause: Cause = Field(sa_type=vocabulary_type(Cause, "cause"))
    damage_level: DamageLevel = Field(sa_type=vocabulary_type(DamageLevel, "damage_level"))
    occurred: str = Field(min_length=1, max_length=EDTF_MAX)
    actor: str | None = Field(default=None, max_length=NAME_MAX)
    description: str | None = Field(default=None, max_length=TEXT_MAX)

    _occurred = field_validator("occurred")(_check_edtf)
    _optional = field_validator("actor", "description")(_strip_optional)


class DamageEventCreate(DamageEventBase, _Input):
    """An event with the citations that support it; at least one is required."""

    uid: uuid.UUID = Field(default_factory=uuid.uuid4)
    site: str = Field(min_length=1, max_length=SLUG_MAX)
    monument: str | None = Field(default=None, max_length=SLUG_MAX)
    citations: list[CitationCreate] = Field(min_length=1, max_length=1000)


class DamageEvent(DamageEventBase, TableModel, table=True):
    """The `damage_event` table; read as `DamageEventPublic`."""

    __tablename__ = "damage_event"
    __table_args__ = (
        sa.UniqueConstraint("uid"),
        # One index per filter of `Registry.list_events` (revision 0005), each but
        # `latest`'s followed by the first keys of its date order, so that a filtered
        # list is a range of one index, already in order or nearly.
        sa.Index(None, "site_id", "earliest", "latest"),
        sa.Index(None, "monument_id"),
        sa.Index(None, "earliest", "latest"),
        sa.Index(None, "latest"),
        sa.Index(None, "cause", "earliest", "latest"),
        sa.Index(None, "damage_level", "earliest", "latest"),
        sa.Index(None, "confidence", "earliest", "latest"),
        # The events merged into one (revision 0008): what a database checks when an
        # event is written or removed, as the key another may be merged into, and
        # scanned the whole table for without it. Only merged events have an entry.
        sa.Index(
            None,
            "merged_into_id",
            sqlite_where=sa.text("merged_into_id IS NOT NULL"),
            postgresql_where=sa.text("merged_into_id IS NOT NULL"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    uid: str = Field(max_length=36)
    site_id: int = Field(foreign_key="site.id")
    monument_id: int | None = Field(default=None, foreign_key="monument.id")
    earliest: dt.date | None = None
    latest: dt.date | None = None
    retracted_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    retraction_reason: str | None = Field(default=None, max_length=NOTE_MAX)
    # A duplicate folded into another event: kept, pointing at the event that holds its
    # citations now, and counted nowhere.
    merged_into_id: int | None = Field(default=None, foreign_key="damage_event.id")
    merged_at: dt.datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))
    merge_reason: str | None = Field(default=None, max_length=NOTE_MAX)
    created_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))
    updated_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))
    # `confidence.derive` as the event's citations last gave it, for filtering in the
    # database; NULL where not known. Set NULL by triggers on every change it derives
    # from, and derived again by `confidence.refresh` (see heritage_registry.confidence).
    confidence: Confidence | None = Field(
        default=None, sa_type=vocabulary_type(Confidence, "confidence")
    )


class DamageEventPublic(DamageEventBase):
    """An event as the library returns it, with its citations and derived confidence:
    `<DamageEvent 3f2a9c1e palmyra/temple-of-bel explosives destroyed 2015-08-30
    corroborated>` (its uid's first 8 characters; `merged into UID8` for its confidence
    when merged)."""

    uid: str
    site: str
    monument: str | None
    earliest: dt.date | None
    latest: dt.date | None
    confidence: Confidence
    retracted_at: dt.datetime | None
    retraction_reason: str | None
    merged_into: str | None = None
    merged_at: dt.datetime | None = None
    merge_reason: str | None = None
    recorded_at: dt.datetime
    updated_at: dt.datetime
    citations: list[CitationPublic]

    def __repr__(self) -> str:
        where = f"{self.site}/{self.monument}" if self.monument else self.site
        # A merged event's confidence is `merged`: where to is worth more.
        state = f"merged into {self.merged_into[:8]}" if self.merged_into else self.confidence
        return (
            f"<DamageEvent {self.uid[:8]} {where} {_value(self.cause)} "
            f"{_value(self.damage_level)} {self.occurred} {_value(state)}>"
        )


# History ------------------------------------------------------------------------


class ChangeBase(SQLModel):
    """One change to a record: what it was, what it became, who changed it, and why.

    `old` and `new` are the record's whole state (its Public form, less `updated_at`)
    before and after, so that its state after any change can be read from its history: a
    creation has no `old`, a removal no `new`. `how` is the path the change came by (a
    command, the library, an import, the seed).
    """

    record_type: RecordType = Field(sa_type=vocabulary_type(RecordType, "record_type"))
    record: str = Field(min_length=1, max_length=2 * SLUG_MAX + 1)
    action: ChangeAction = Field(sa_type=vocabulary_type(ChangeAction, "change_action"))
    reason: str | None = Field(default=None, max_length=NOTE_MAX)
    changed_by: str = Field(min_length=1, max_length=NAME_MAX)
    # An entry that does not say how it came (one exported before history said so) is
    # `unrecorded`, as revision 0004 made every entry written before it.
    how: ChangeHow = Field(
        default=ChangeHow.UNRECORDED, sa_type=vocabulary_type(ChangeHow, "change_how")
    )


class Change(ChangeBase, TableModel, table=True):
    __tablename__ = "change"
    __table_args__ = (
        sa.Index(None, "record_type", "record", "id"),
        # The registry-wide feed reads newest first, from a time (`registry history`).
        sa.Index(None, "changed_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    old: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    new: dict[str, Any] | None = Field(default=None, sa_type=sa.JSON)
    changed_at: dt.datetime = Field(sa_type=sa.DateTime(timezone=True))


class ChangePublic(ChangeBase):
    """A history entry as the library returns it (`Registry.history`, `Registry.changes`)."""

    old: dict[str, Any] | None
    new: dict[str, Any] | None
    changed_at: dt.datetime


# Derived values -------------------------------------------------------------------
# What the registry derives from a record's input, never typed in: one place for the
# library's writes, corrections and the bulk import alike.


class BuiltYears(TypedDict):
    built_from_year: int | None
    built_to_year: int | None


class PublishedSpan(TypedDict):
    published_earliest: dt.date | None
    published_latest: dt.date | None


class OccurredSpan(TypedDict):
    earliest: dt.date | None
    latest: dt.date | None


def built_years(built: str | None) -> BuiltYears:
    """A monument's construction years from its EDTF `built`."""
    years = dates.year_bounds(built) if built else (None, None)
    return {"built_from_year": years[0], "built_to_year": years[1]}


def published_span(published: str | None) -> PublishedSpan:
    """A source's publication bounds from its EDTF `published`."""
    span = dates.bounds(published) if published else dates.Bounds(None, None)
    return {"published_earliest": span.earliest, "published_latest": span.latest}


def occurred_span(occurred: str) -> OccurredSpan:
    """An event's `earliest` and `latest` from its EDTF `occurred`."""
    span = dates.bounds(occurred)
    return {"earliest": span.earliest, "latest": span.latest}


def reported_too_early(occurred: str, source: str, published: str | None) -> str | None:
    """Why the source `source`, published `published`, cannot report an event of `occurred`.

    None when it can: a source reports what had begun by the time it was published, so an
    event whose earliest date is after the source's latest publication date is a mistake
    in one of the two dates. Either date left open or unknown is no conflict.
    """
    earliest = dates.bounds(occurred).earliest
    latest = dates.bounds(published).latest if published else None
    if earliest is None or latest is None or earliest <= latest:
        return None
    return (
        f"the event's date {occurred} begins after source {source!r} was published "
        f"({published}): a source cannot report what had not yet happened; correct one "
        "of the two dates"
    )


# The tables, for the Core queries of the read and bulk paths.
SITE_TABLE: sa.Table = Site.__table__  # type: ignore[attr-defined]
MONUMENT_TABLE: sa.Table = Monument.__table__  # type: ignore[attr-defined]
SOURCE_TABLE: sa.Table = Source.__table__  # type: ignore[attr-defined]
EVENT_TABLE: sa.Table = DamageEvent.__table__  # type: ignore[attr-defined]
CITATION_TABLE: sa.Table = SourceCitation.__table__  # type: ignore[attr-defined]
TEXT_TABLE: sa.Table = SourceText.__table__  # type: ignore[attr-defined]
CHANGE_TABLE: sa.Table = Change.__table__  # type: ignore[attr-defined]


# Reading ----------------------------------------------------------------------------

ModelT = TypeVar("ModelT", bound=BaseModel)


# The setters of the four slots every pydantic model has, taken once: `trusted` fills
# them directly, where `object.__setattr__` would look each up again per call.
_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
_SET_DICT, _SET_FIELDS_SET, _SET_EXTRA, _SET_PRIVATE = (
    BaseModel.__dict__[name].__set__ for name in _SLOTS
)


def trusted(model: type[ModelT], **values: Any) -> ModelT:
    """A model from values already valid (read from the database), every field given.

    What `model_construct` does, without its per-field look-up of defaults: the read
    path builds one per event and citation, and a summary one per line it shows.
    """
    # object's __new__, not SQLModel's: that one sets up private attributes, which the
    # lines below set anyway.
    built = object.__new__(model)
    _SET_DICT(built, values)
    _SET_FIELDS_SET(built, set(values))
    _SET_EXTRA(built, None)
    _SET_PRIVATE(built, None)
    return built
