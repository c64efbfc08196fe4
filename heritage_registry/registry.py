"""The library API: open a registry, add, get and list its records.

    >>> from heritage_registry import Registry
    >>> reg = Registry.open("sqlite:///my.db")      # creates and migrates if new
    >>> reg.add_site(slug="palmyra", name="Palmyra", country="SY")

Every write runs in one transaction: it commits whole or leaves the database as it
was. Input is validated by the `*Create` models; problems raise the small exceptions
of `heritage_registry.errors`, whose messages say what to fix.
"""

from __future__ import annotations

import datetime as dt
import getpass
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from iso3166 import countries_by_alpha2
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, col, func, select

from heritage_registry import confidence, countries, dates, db, duplicates, mentions, merges, schema
from heritage_registry.duplicates import DuplicatePair
from heritage_registry.errors import (
    AmbiguousUid,
    DuplicateKey,
    DuplicateSlug,
    DuplicateUid,
    EventNotFound,
    InvalidRecord,
    MonumentNotFound,
    SiteNotFound,
    SourceNotFound,
    unknown_value,
)
from heritage_registry.models import (
    CITATION_TABLE,
    EVENT_TABLE,
    MONUMENT_TABLE,
    NAME_MAX,
    NOTE_MAX,
    SITE_TABLE,
    SOURCE_TABLE,
    AltName,
    Change,
    ChangePublic,
    CitationCreate,
    CitationPublic,
    DamageEvent,
    DamageEventCreate,
    DamageEventPublic,
    Monument,
    MonumentCreate,
    MonumentPublic,
    Site,
    SiteCreate,
    SitePublic,
    Source,
    SourceCitation,
    SourceCreate,
    SourcePublic,
    built_years,
    no_controls,
    occurred_span,
    published_span,
    reported_too_early,
    trusted,
    utcnow,
)
from heritage_registry.render import plural
from heritage_registry.vocab import (
    Cause,
    ChangeAction,
    Confidence,
    DamageLevel,
    MonumentKind,
    RecordType,
    SiteKind,
    Vocabulary,
)

CreateT = TypeVar("CreateT", bound=BaseModel)

# The fields of one citation, accepted directly by `add_event` for the common case of
# an event reported by one source.
_CITATION_FIELDS = frozenset(CitationCreate.model_fields)


def validate(
    model: type[CreateT],
    given: CreateT | Mapping[str, Any] | None,
    fields: Mapping[str, Any],
    what: str,
) -> CreateT:
    """Validate input given as a `*Create` instance or as keyword fields."""
    if isinstance(given, model):
        if fields:
            raise InvalidRecord(f"invalid {what}: give a {model.__name__} or fields, not both")
        return given
    data = dict(given or {}) | dict(fields)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecord.from_validation(what, exc) from None


PublicT = TypeVar("PublicT", bound=BaseModel)


def _aware(value: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back without their zone; they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _alt_names(stored: Sequence[Mapping[str, str]]) -> list[AltName]:
    return [AltName.model_construct(name=item["name"], lang=item["lang"]) for item in stored]


VocabT = TypeVar("VocabT", bound=Vocabulary)


def _filter(vocabulary: type[VocabT], value: VocabT | str | None, what: str) -> VocabT | None:
    """A list filter's vocabulary value, or an error that lists the choices."""
    if value is None:
        return None
    try:
        return vocabulary(value)
    except ValueError:
        raise InvalidRecord(
            f"invalid filter: {unknown_value(what, value, vocabulary.values())}"
        ) from None


def _window(since: str | None, until: str | None) -> tuple[dt.date | None, dt.date | None]:
    try:
        start = dates.bounds(since).earliest if since else None
        end = dates.bounds(until).latest if until else None
    except dates.EdtfError as exc:
        raise InvalidRecord(f"invalid date filter: {exc}") from None
    if start is not None and end is not None and start > end:
        # Nothing could be listed: the window is the wrong way round, not empty.
        raise InvalidRecord(
            f"invalid date filter: since {since!r} starts after until {until!r} ends; "
            "give the earlier date as since"
        )
    return start, end


T = TypeVar("T")
SelectT = TypeVar("SelectT", bound=sa.Select[Any])
# A uid may be shortened, like a git commit, to a prefix of this many characters or more
# that begins one event's uid alone.
UID_PREFIX_MIN = 4
_UID_PREFIX = re.compile(r"[0-9a-f-]+")
AMBIGUOUS_SHOWN = 5
# The event a merged event was folded into, joined to read its uid.
_MERGED_INTO = EVENT_TABLE.alias("merged_into")
WRITE_ATTEMPTS = 6

RECORD_KINDS = ("sites", "monuments", "sources", "events", "citations", "changes")


def _zero_counts() -> dict[str, int]:
    return dict.fromkeys(RECORD_KINDS, 0)


@dataclass
class MergeReport:
    """What a merge added, and how many of the records given were there already."""

    added: dict[str, int] = field(default_factory=_zero_counts)
    existing: dict[str, int] = field(default_factory=_zero_counts)

    def describe(self) -> str:
        """`added 3 sites, 5 monuments, ...; 0 already present`, for people."""
        # History entries come only from imports of registries that have some.
        kinds = [kind for kind in RECORD_KINDS if kind != "changes" or self.added[kind]]
        added = ", ".join(plural(self.added[kind], kind.removesuffix("s")) for kind in kinds)
        return f"added {added}; {sum(self.existing.values())} already present"


@dataclass(frozen=True)
class SiteRecords:
    """A site with its monuments, its events (in date order) and the sources they cite."""

    site: SitePublic
    monuments: list[MonumentPublic]
    events: list[DamageEventPublic]
    sources: list[SourcePublic]


SITE_CHANGES = frozenset(set(SiteCreate.model_fields) - {"slug"})
MONUMENT_CHANGES = frozenset(set(MonumentCreate.model_fields) - {"slug", "site"})
SOURCE_CHANGES = frozenset(set(SourceCreate.model_fields) - {"key"})
EVENT_CHANGES = frozenset({"monument", "cause", "damage_level", "occurred", "actor", "description"})


def _refuse_too_early(what: str, occurred: str, source: str, published: str | None) -> None:
    """Refuse an event dated after a source that reports it was published (`models`)."""
    problem = reported_too_early(occurred, source, published)
    if problem is not None:
        raise InvalidRecord(f"invalid {what}: {problem}")


def _check_reason(reason: str) -> None:
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidRecord("a correction needs a reason: say why, e.g. reason='a later report'")
    if len(reason) > NOTE_MAX:
        raise InvalidRecord(f"reason: too long; at most {NOTE_MAX} characters")
    try:
        no_controls(reason.strip())
    except ValueError as exc:
        raise InvalidRecord(f"reason: {exc}") from None


def _check_changes(what: str, changes: Mapping[str, Any], allowed: frozenset[str]) -> None:
    choices = ", ".join(sorted(allowed))
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise InvalidRecord(
            f"cannot change the {what}'s {', '.join(unknown)}; the fields that can change "
            f"are: {choices}"
        )
    if not changes:
        raise InvalidRecord(f"nothing to change: give one of {choices}")


def _current(record: BaseModel, *derived: str) -> dict[str, Any]:
    """A Public record as Create input: without timestamps and derived values."""
    return record.model_dump(exclude={"created_at", "updated_at", *derived})


def _snapshot(record: BaseModel) -> dict[str, Any]:
    """A record's state for its history: its Public form, less the time it last changed.

    An event's citations are counted, not copied: a citation is never edited or removed
    and carries the time it was recorded, and the `cite` entry that added it holds it
    whole. Copying them all into every entry would make the n-th citation of an event
    write n quotes twice, so that history grew with the square of the citations.
    """
    snapshot = record.model_dump(mode="json", exclude={"updated_at", "citations"})
    if isinstance(record, DamageEventPublic):
        snapshot["citation_count"] = len(record.citations)
    return snapshot


def storable(text: str) -> bool:
    """Whether a database can hold `text`, so that a record could be named by it.

    PostgreSQL refuses NUL, and no driver can encode a lone surrogate (what Python makes
    of an undecodable byte in a command-line argument). No record has such a name, so a
    lookup of one finds nothing without sending it to the database.
    """
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _who(by: str | None) -> str:
    """Who made a change: as given, else the operating-system user."""
    if by is not None:
        by = by.strip()
        if not by or len(by) > NAME_MAX or not storable(by):
            raise InvalidRecord(f"by: give a name of 1 to {NAME_MAX} characters")
        try:
            # It heads each of its history entries, on one line.
            return no_controls(by, lines=False)
        except ValueError as exc:
            raise InvalidRecord(f"by: {exc}") from None
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def _locked(query: SelectT, lock: bool) -> SelectT:
    """`query`, locking the rows it reads until the transaction ends when `lock` is set.

    Every correction reads a record, derives the new state from it and writes both into
    the history. On PostgreSQL (READ COMMITTED) two such writers would both read the
    same old state and the second would overwrite the first unseen; `FOR UPDATE` makes
    the second wait and then read the first one's result. SQLite renders no `FOR
    UPDATE`: there a write transaction holds the whole database from its `BEGIN
    IMMEDIATE`, which serialises the writers already.
    """
    return query.with_for_update() if lock else query


class Registry:
    """A heritage registry stored in one database (SQLite file or PostgreSQL)."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine

    # Opening ----------------------------------------------------------------------

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True, create: bool = True) -> Registry:
        """Open the registry at `url` (default: `REGISTRY_DATABASE_URL`, else the user's file).

        With `migrate` (the default) a new database is created and an older one brought
        to the current schema; without it the database is used as it is. Without
        `create` nothing is created or migrated: a place with no registry is
        `NoRegistry`, an older schema a `SchemaError` that says how to upgrade (what the
        reading commands use).
        """
        engine = db.make_engine(url, create=create)
        try:
            if not create:
                schema.require_current(engine)
            elif migrate:
                schema.ensure_current(engine)
        except BaseException:
            engine.dispose()
            raise
        return cls(engine)

    @property
    def url(self) -> str:
        """The database URL, with any password hidden."""
        return db.display_url(self.engine.url)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self, *, write: bool = False) -> Iterator[Session]:
        """A session in one transaction: committed on success, rolled back on any error.

        A write transaction on SQLite takes the write lock when it begins (`BEGIN
        IMMEDIATE`), so that two writers queue on the busy timeout instead of one of
        them failing when it turns from reading to writing.
        """
        bind = self.engine.execution_options(**db.WRITE_OPTIONS) if write else self.engine
        with Session(bind, expire_on_commit=False) as session, session.begin():
            yield session

    def _write(self, work: Callable[[Session], T]) -> T:
        """Run `work` in a write transaction, again after a pause if the database is busy.

        SQLite's busy timeout already waits for other writers; this covers the rarer case
        where it runs out under heavy load. Each attempt is a whole transaction, so a
        retried write is never half applied.
        """
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with self.transaction(write=True) as session:
                    return work(session)
            except sa.exc.OperationalError as exc:
                if not db.is_busy(exc) or attempt == WRITE_ATTEMPTS - 1:
                    raise
                time.sleep(min(2.0, 0.05 * 2**attempt) * (1 + random.random()))
        raise AssertionError("unreachable")

    def schema_revision(self) -> str | None:
        return schema.current_revision(self.engine)

    def counts(self) -> dict[str, int]:
        """How many records of each kind the registry holds."""
        tables: dict[str, type[Any]] = {
            "sites": Site,
            "monuments": Monument,
            "sources": Source,
            "events": DamageEvent,
            "citations": SourceCitation,
            "changes": Change,
        }
        with self.transaction() as session:
            return {
                name: session.exec(select(func.count()).select_from(table)).one()
                for name, table in tables.items()
            }

    # Lookups shared by the writers --------------------------------------------------

    def _site_row(self, session: Session, slug: str, *, lock: bool = False) -> Site:
        row = (
            session.exec(_locked(select(Site).where(Site.slug == slug), lock)).first()
            if storable(slug)
            else None
        )
        if row is None:
            raise SiteNotFound(slug, session.exec(select(Site.slug)).all())
        return row

    def _monument_row(
        self, session: Session, site: Site, slug: str, *, lock: bool = False
    ) -> Monument:
        query = select(Monument).where(Monument.site_id == site.id, Monument.slug == slug)
        row = session.exec(_locked(query, lock)).first() if storable(slug) else None
        if row is None:
            others = session.exec(select(Monument.slug).where(Monument.site_id == site.id)).all()
            raise MonumentNotFound(slug, others, scope=f"site {site.slug!r}")
        return row

    def _source_row(self, session: Session, key: str, *, lock: bool = False) -> Source:
        row = (
            session.exec(_locked(select(Source).where(Source.key == key), lock)).first()
            if storable(key)
            else None
        )
        if row is None:
            raise SourceNotFound(key, session.exec(select(Source.key)).all())
        return row

    def _event_row(self, session: Session, uid: str, *, lock: bool = False) -> DamageEvent:
        """The event `uid`, or the one event whose uid begins with it (at least 4 characters).

        A prefix is looked up as a range of the uid column's index (every uid is a
        lower-case UUID, so each uid beginning with `p` lies in [p, p + "g")), never by
        reading every uid; nor is a uid that names no event.
        """
        if not storable(uid):
            raise EventNotFound(uid)
        query = select(DamageEvent).where(DamageEvent.uid == uid)
        row = session.exec(_locked(query, lock)).first()
        if row is not None:
            return row
        uids = col(DamageEvent.uid)
        prefix = uid.strip().lower()
        if len(prefix) >= UID_PREFIX_MIN and _UID_PREFIX.fullmatch(prefix):
            found = session.exec(
                select(DamageEvent.uid)
                .where(uids >= prefix, uids < prefix + "g", uids.startswith(prefix))
                .order_by(uids)
                .limit(AMBIGUOUS_SHOWN + 1)
            ).all()
            if len(found) > 1:
                raise AmbiguousUid(uid, found[:AMBIGUOUS_SHOWN], more=len(found) > AMBIGUOUS_SHOWN)
            if found:
                return self._event_row(session, found[0], lock=lock)
        # The uids either side of it in the index: a mistyped character is one of them.
        after = select(DamageEvent.uid).where(uids > uid).order_by(uids).limit(3)
        before = select(DamageEvent.uid).where(uids < uid).order_by(uids.desc()).limit(3)
        raise EventNotFound(uid, [*session.exec(before).all(), *session.exec(after).all()])

    # Sites ------------------------------------------------------------------------

    def add_site(
        self, site: SiteCreate | Mapping[str, Any] | None = None, /, **fields: Any
    ) -> SitePublic:
        """Add a site: `add_site(slug="palmyra", name="Palmyra", country="SY")`."""
        data = validate(SiteCreate, site, fields, "site")
        return self._write(lambda session: self._site_public(self._insert_site(session, data)))

    def _insert_site(self, session: Session, data: SiteCreate) -> Site:
        message = f"a site with slug {data.slug!r} exists already; choose another slug"
        if session.exec(select(Site.id).where(Site.slug == data.slug)).first() is not None:
            raise DuplicateSlug(message)
        now = utcnow()
        row = Site(
            **data.model_dump(exclude={"alt_names"}),
            alt_names=[name.model_dump() for name in data.alt_names],
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        self._flush(session, DuplicateSlug(message))
        return row

    def get_site(self, slug: str) -> SitePublic:
        with self.transaction() as session:
            return self._site_public(self._site_row(session, slug))

    def list_sites(
        self, *, country: str | None = None, kind: SiteKind | str | None = None
    ) -> list[SitePublic]:
        """Sites ordered by slug, optionally of one country and kind."""
        query = select(Site).order_by(col(Site.slug))
        if country is not None:
            # A name (`Syria`) would list nothing: refused, with the code it may mean.
            code = country.strip().upper()
            if code not in countries_by_alpha2:
                raise InvalidRecord(f"invalid filter: country: {countries.not_a_code(country)}")
            query = query.where(Site.country == code)
        if kind is not None:
            query = query.where(Site.kind == _filter(SiteKind, kind, "kind"))
        with self.transaction() as session:
            return [self._site_public(row) for row in session.exec(query)]

    @staticmethod
    def _site_public(row: Site) -> SitePublic:
        return SitePublic.model_construct(
            **row.model_dump(exclude={"id", "alt_names", "created_at", "updated_at"}),
            alt_names=_alt_names(row.alt_names),
            created_at=_aware(row.created_at),
            updated_at=_aware(row.updated_at),
        )

    # Monuments --------------------------------------------------------------------

    def add_monument(
        self, monument: MonumentCreate | Mapping[str, Any] | None = None, /, **fields: Any
    ) -> MonumentPublic:
        """Add a monument to a site: `add_monument(site="palmyra", slug="temple-of-bel", ...)`."""
        data = validate(MonumentCreate, monument, fields, "monument")
        return self._write(
            lambda session: self._monument_public(self._insert_monument(session, data), data.site)
        )

    def _insert_monument(self, session: Session, data: MonumentCreate) -> Monument:
        site = self._site_row(session, data.site)
        assert site.id is not None
        message = (
            f"site {site.slug!r} has a monument with slug {data.slug!r} already; "
            "choose another slug"
        )
        taken = session.exec(
            select(Monument.id).where(Monument.site_id == site.id, Monument.slug == data.slug)
        ).first()
        if taken is not None:
            raise DuplicateSlug(message)
        now = utcnow()
        row = Monument(
            **data.model_dump(exclude={"site", "alt_names"}),
            **built_years(data.built),
            site_id=site.id,
            alt_names=[name.model_dump() for name in data.alt_names],
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        self._flush(session, DuplicateSlug(message))
        return row

    def get_monument(self, site: str, slug: str) -> MonumentPublic:
        with self.transaction() as session:
            site_row = self._site_row(session, site)
            return self._monument_public(self._monument_row(session, site_row, slug), site_row.slug)

    def list_monuments(
        self, *, site: str | None = None, kind: MonumentKind | str | None = None
    ) -> list[MonumentPublic]:
        """Monuments ordered by site slug, then slug."""
        query = (
            select(Monument, Site.slug)
            .join(Site, col(Site.id) == col(Monument.site_id))
            .order_by(col(Site.slug), col(Monument.slug))
        )
        if kind is not None:
            query = query.where(Monument.kind == _filter(MonumentKind, kind, "kind"))
        with self.transaction() as session:
            if site is not None:
                query = query.where(Monument.site_id == self._site_row(session, site).id)
            return [self._monument_public(row, slug) for row, slug in session.exec(query)]

    @staticmethod
    def _monument_public(row: Monument, site_slug: str) -> MonumentPublic:
        return MonumentPublic.model_construct(
            **row.model_dump(exclude={"id", "site_id", "alt_names", "created_at", "updated_at"}),
            site=site_slug,
            alt_names=_alt_names(row.alt_names),
            created_at=_aware(row.created_at),
            updated_at=_aware(row.updated_at),
        )

    # Sources ----------------------------------------------------------------------

    def add_source(
        self, source: SourceCreate | Mapping[str, Any] | None = None, /, **fields: Any
    ) -> SourcePublic:
        """Add a source: `add_source(key="newarab-2016-03-27", title=..., publisher=...)`."""
        data = validate(SourceCreate, source, fields, "source")
        return self._write(lambda session: self._source_public(self._insert_source(session, data)))

    def _insert_source(self, session: Session, data: SourceCreate) -> Source:
        message = f"a source with key {data.key!r} exists already; choose another key"
        if session.exec(select(Source.id).where(Source.key == data.key)).first() is not None:
            raise DuplicateKey(message)
        now = utcnow()
        row = Source(
            **data.model_dump(),
            **published_span(data.published),
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        self._flush(session, DuplicateKey(message))
        return row

    def get_source(self, key: str) -> SourcePublic:
        with self.transaction() as session:
            return self._source_public(self._source_row(session, key))

    def list_sources(self, *, site: str | None = None) -> list[SourcePublic]:
        """Sources ordered by key; with `site`, only those cited on that site's events."""
        query = select(Source).order_by(col(Source.key))
        with self.transaction() as session:
            if site is not None:
                cited = (
                    sa.select(CITATION_TABLE.c.source_id)
                    .join(EVENT_TABLE, EVENT_TABLE.c.id == CITATION_TABLE.c.event_id)
                    .where(EVENT_TABLE.c.site_id == self._site_row(session, site).id)
                    .distinct()
                )
                ids = list(session.execute(cited).scalars())
                query = query.where(col(Source.id).in_(ids))
            return [self._source_public(row) for row in session.exec(query)]

    @staticmethod
    def _source_public(row: Source) -> SourcePublic:
        return SourcePublic.model_construct(
            **row.model_dump(exclude={"id", "created_at", "updated_at"}),
            created_at=_aware(row.created_at),
            updated_at=_aware(row.updated_at),
        )

    # Events and citations -----------------------------------------------------------

    def add_event(
        self, event: DamageEventCreate | Mapping[str, Any] | None = None, /, **fields: Any
    ) -> DamageEventPublic:
        """Add a damage event with its citations, in one transaction.

        The citations go in `citations=[{"source": KEY, "quote": TEXT}, ...]`; for an
        event reported by one source, the citation's fields may be given directly:
        `add_event(site="palmyra", cause="explosives", damage_level="destroyed",
        occurred="2015-08", source="newarab-2016-03-27", quote="...")`.
        """
        given = dict(event) if isinstance(event, Mapping) else event
        if isinstance(given, dict) or given is None:
            merged = dict(given or {}) | dict(fields)
            single = {name: merged.pop(name) for name in list(merged) if name in _CITATION_FIELDS}
            if single:
                if "citations" in merged:
                    raise InvalidRecord(
                        "invalid event: give citations=[...] or one citation's fields, not both"
                    )
                merged["citations"] = [single]
            data = validate(DamageEventCreate, merged, {}, "event")
        else:
            data = validate(DamageEventCreate, given, fields, "event")

        def work(session: Session) -> DamageEventPublic:
            row = self._insert_event(session, data)
            return self._events_public(session, EVENT_TABLE.c.id == row.id)[0]

        return self._write(work)

    def _insert_event(self, session: Session, data: DamageEventCreate) -> DamageEvent:
        uid = str(data.uid)
        if session.exec(select(DamageEvent.id).where(DamageEvent.uid == uid)).first() is not None:
            raise DuplicateUid(f"an event with uid {uid} exists already; omit uid to get a new one")
        site = self._site_row(session, data.site)
        monument = self._monument_row(session, site, data.monument) if data.monument else None
        sources = {
            key: self._source_row(session, key)
            for key in dict.fromkeys(c.source for c in data.citations)
        }
        duplicates.refuse_repeated_citations(data.citations)
        self._check_mentions(session, site, data.monument, data.citations)
        for key, source in sources.items():
            _refuse_too_early("event", data.occurred, key, source.published)
        now = utcnow()
        assert site.id is not None
        row = DamageEvent(
            **data.model_dump(exclude={"uid", "site", "monument", "citations"}),
            **occurred_span(data.occurred),
            uid=uid,
            site_id=site.id,
            monument_id=monument.id if monument else None,
            created_at=now,
            updated_at=now,
        )
        session.add(row)
        self._flush(session, DuplicateUid(f"an event with uid {uid} exists already"))
        assert row.id is not None
        for citation in data.citations:
            session.add(self._citation_row(citation, row.id, sources[citation.source], now))
        session.flush()
        return row

    @staticmethod
    def _check_mentions(
        session: Session, site: Site, monument: str | None, citations: Sequence[CitationCreate]
    ) -> None:
        """Every mention names another monument of the event's site."""
        if not any(citation.mentions for citation in citations):
            return
        known = session.exec(select(Monument.slug).where(Monument.site_id == site.id)).all()
        for citation in citations:
            mentions.check(citation.mentions, known, site=site.slug, monument=monument)

    @staticmethod
    def _citation_row(
        citation: CitationCreate, event_id: int, source: Source, now: dt.datetime
    ) -> SourceCitation:
        assert source.id is not None
        return SourceCitation(
            **citation.model_dump(exclude={"source"}),
            event_id=event_id,
            source_id=source.id,
            created_at=now,
        )

    def cite(
        self,
        uid: str,
        citation: CitationCreate | Mapping[str, Any] | None = None,
        /,
        *,
        by: str | None = None,
        **fields: Any,
    ) -> DamageEventPublic:
        """Record another source's statement about an existing event; returns the event.

        The event's history gains an entry: the citation, and the event's state (its
        confidence may change with it) before and after. A merged event's uid leads to
        the event it was merged into, which is cited and returned (`event_trail`).
        """
        data = validate(CitationCreate, citation, fields, "citation")

        def work(session: Session) -> DamageEventPublic:
            event = merges.live_row(session, self._event_row(session, uid, lock=True), lock=True)
            source = self._source_row(session, data.source)
            _refuse_too_early("citation", event.occurred, source.key, source.published)
            assert event.id is not None
            before = self._events_public(session, EVENT_TABLE.c.id == event.id)[0]
            duplicates.refuse_repeated_citations([*before.citations, data])
            site = session.get(Site, event.site_id)
            assert site is not None
            self._check_mentions(session, site, before.monument, [data])
            session.add(self._citation_row(data, event.id, source, utcnow()))
            session.flush()
            after = self._events_public(session, EVENT_TABLE.c.id == event.id)[0]
            self._log(
                session, RecordType.EVENT, event.uid, ChangeAction.CITE, before, after, None, by,
                added={"citation": after.citations[-1].model_dump(mode="json")},
            )  # fmt: skip
            return after

        return self._write(work)

    def get_event(self, uid: str, *, follow: bool = False) -> DamageEventPublic:
        """The event `uid`, merged or not; with `follow`, the live event a merged one leads to."""
        if follow:
            return self.event_trail(uid)[-1]
        with self.transaction() as session:
            event = self._event_row(session, uid)
            return self._events_public(session, EVENT_TABLE.c.id == event.id)[0]

    def list_events(
        self,
        *,
        site: str | None = None,
        monument: str | None = None,
        cause: Cause | str | None = None,
        damage_level: DamageLevel | str | None = None,
        since: str | None = None,
        until: str | None = None,
        confidence: Confidence | str | None = None,
    ) -> list[DamageEventPublic]:
        """Events in date order: by `earliest` (open starts first), `latest`, then uid.

        `since` and `until` are EDTF; an event is listed when its span may overlap the
        window (an open or unknown end is taken to reach into it).
        """
        cause_value = _filter(Cause, cause, "cause")
        level_value = _filter(DamageLevel, damage_level, "damage level")
        confidence_value = _filter(Confidence, confidence, "confidence")
        start, end = _window(since, until)
        conditions: list[sa.ColumnElement[bool]] = []
        if cause_value is not None:
            conditions.append(EVENT_TABLE.c.cause == cause_value)
        if level_value is not None:
            conditions.append(EVENT_TABLE.c.damage_level == level_value)
        if start is not None:
            latest = EVENT_TABLE.c.latest
            conditions.append(sa.or_(latest.is_(None), latest >= start))
        if end is not None:
            earliest = EVENT_TABLE.c.earliest
            conditions.append(sa.or_(earliest.is_(None), earliest <= end))
        with self.transaction() as session:
            if site is not None:
                site_row = self._site_row(session, site)
                conditions.append(EVENT_TABLE.c.site_id == site_row.id)
                if monument is not None:
                    monument_row = self._monument_row(session, site_row, monument)
                    conditions.append(EVENT_TABLE.c.monument_id == monument_row.id)
            elif monument is not None:
                raise InvalidRecord("a monument filter needs its site: give site= as well")
            events = self._events_public(session, *conditions)
        if confidence_value is not None:
            events = [event for event in events if event.confidence is confidence_value]
        return events

    # A summary's reads, as plain columns like `_events_public`'s: an ORM entity per row
    # costs more than the query. Built once, so that a call only binds the site: building
    # a statement and its cache key took longer than SQLite took to run it. Each selects
    # its Public model's fields in the model's order, for `_public_of_row`.
    _SITE_BY_SLUG = sa.select(
        *[SITE_TABLE.c[name] for name in SitePublic.model_fields], SITE_TABLE.c.id
    ).where(SITE_TABLE.c.slug == sa.bindparam("slug"))
    _SITE_MONUMENTS = (
        sa.select(
            *[
                SITE_TABLE.c.slug.label(name) if name == "site" else MONUMENT_TABLE.c[name]
                for name in MonumentPublic.model_fields
            ]
        )
        .join_from(MONUMENT_TABLE, SITE_TABLE, SITE_TABLE.c.id == MONUMENT_TABLE.c.site_id)
        .where(MONUMENT_TABLE.c.site_id == sa.bindparam("site_id"))
        .order_by(MONUMENT_TABLE.c.slug)
    )
    _SITE_SOURCES = (
        sa.select(*[SOURCE_TABLE.c[name] for name in SourcePublic.model_fields])
        .where(
            SOURCE_TABLE.c.id.in_(
                sa.select(CITATION_TABLE.c.source_id)
                .join(EVENT_TABLE, EVENT_TABLE.c.id == CITATION_TABLE.c.event_id)
                .where(EVENT_TABLE.c.site_id == sa.bindparam("site_id"))
            )
        )
        .order_by(SOURCE_TABLE.c.key)
    )

    def site_records(self, slug: str) -> SiteRecords:
        """Everything a summary of the site needs, read in one transaction."""
        with self.transaction() as session:
            # Core statements go straight to the connection: the session's ORM layer
            # adds nothing to a plain-column read.
            connection = session.connection()
            site = None
            if storable(slug):
                site = connection.execute(self._SITE_BY_SLUG, {"slug": slug}).first()
            if site is None:
                self._site_row(session, slug)  # raises SiteNotFound, naming the sites there are
                raise AssertionError("unreachable: the same transaction found no site")
            monuments = connection.execute(self._SITE_MONUMENTS, {"site_id": site.id}).all()
            sources = connection.execute(self._SITE_SOURCES, {"site_id": site.id}).all()
            return SiteRecords(
                site=self._public_of_row(
                    SitePublic,
                    site,
                    alt_names=_alt_names(site.alt_names),
                    created_at=_aware(site.created_at),
                    updated_at=_aware(site.updated_at),
                ),
                monuments=[
                    self._public_of_row(
                        MonumentPublic,
                        row,
                        alt_names=_alt_names(row.alt_names),
                        created_at=_aware(row.created_at),
                        updated_at=_aware(row.updated_at),
                    )
                    for row in monuments
                ],
                events=self._site_events_public(connection, site.id),
                sources=[
                    self._public_of_row(
                        SourcePublic,
                        row,
                        created_at=_aware(row.created_at),
                        updated_at=_aware(row.updated_at),
                    )
                    for row in sources
                ],
            )

    @staticmethod
    def _public_of_row(model: type[PublicT], row: Sequence[Any], **derived: Any) -> PublicT:
        """A Public model from a row that starts with its fields in order; `derived` replace.

        Values in the model's field order, as `model_construct` gives them: dumps follow
        it. Columns after the fields (the site's id) are not the model's.
        """
        values = dict(zip(model.model_fields, row, strict=False))
        values.update(derived)
        return trusted(model, **values)

    def count_events(self, *, site: str | None = None, monument: str | None = None) -> int:
        """How many events the registry, a site or one of its monuments has.

        A merged event is not counted: it is counted in the event it was merged into.
        """
        query = (
            select(func.count())
            .select_from(DamageEvent)
            .where(col(DamageEvent.merged_into_id).is_(None))
        )
        with self.transaction() as session:
            if site is not None:
                site_row = self._site_row(session, site)
                query = query.where(DamageEvent.site_id == site_row.id)
                if monument is not None:
                    monument_row = self._monument_row(session, site_row, monument)
                    query = query.where(DamageEvent.monument_id == monument_row.id)
            elif monument is not None:
                raise InvalidRecord("a monument filter needs its site: give site= as well")
            return session.exec(query).one()

    EVENT_ORDER = (
        EVENT_TABLE.c.earliest.asc().nulls_first(),
        EVENT_TABLE.c.latest.asc().nulls_last(),
        EVENT_TABLE.c.uid,
    )

    # Built once: building a statement and its cache key took longer than SQLite took to
    # run it. `_SITE_EVENTS` and `_SITE_CITATIONS` are what every summary reads.
    _EVENTS: sa.Select[Any] = (
        sa.select(
            EVENT_TABLE.c.id,
            EVENT_TABLE.c.uid,
            EVENT_TABLE.c.cause,
            EVENT_TABLE.c.damage_level,
            EVENT_TABLE.c.occurred,
            EVENT_TABLE.c.actor,
            EVENT_TABLE.c.description,
            EVENT_TABLE.c.earliest,
            EVENT_TABLE.c.latest,
            EVENT_TABLE.c.retracted_at,
            EVENT_TABLE.c.retraction_reason,
            EVENT_TABLE.c.merged_at,
            EVENT_TABLE.c.merge_reason,
            EVENT_TABLE.c.created_at,
            EVENT_TABLE.c.updated_at,
            SITE_TABLE.c.slug.label("site"),
            MONUMENT_TABLE.c.slug.label("monument"),
            _MERGED_INTO.c.uid.label("merged_into"),
        )
        .select_from(
            EVENT_TABLE.join(SITE_TABLE, SITE_TABLE.c.id == EVENT_TABLE.c.site_id)
            .outerjoin(MONUMENT_TABLE, MONUMENT_TABLE.c.id == EVENT_TABLE.c.monument_id)
            .outerjoin(_MERGED_INTO, _MERGED_INTO.c.id == EVENT_TABLE.c.merged_into_id)
        )
        .order_by(*EVENT_ORDER)
    )
    _CITATIONS: sa.Select[Any] = (
        sa.select(
            CITATION_TABLE.c.event_id,
            CITATION_TABLE.c.quote,
            CITATION_TABLE.c.location,
            CITATION_TABLE.c.stance,
            CITATION_TABLE.c.claimed_occurred,
            CITATION_TABLE.c.claimed_level,
            CITATION_TABLE.c.date_resolution,
            CITATION_TABLE.c.via,
            CITATION_TABLE.c.mentions,
            CITATION_TABLE.c.created_at,
            SOURCE_TABLE.c.key.label("source"),
            SOURCE_TABLE.c.publisher,
        )
        .join(SOURCE_TABLE, SOURCE_TABLE.c.id == CITATION_TABLE.c.source_id)
        .order_by(CITATION_TABLE.c.id)
    )
    _SITE_EVENTS: sa.Select[Any] = _EVENTS.where(EVENT_TABLE.c.site_id == sa.bindparam("site_id"))
    _SITE_CITATIONS: sa.Select[Any] = _CITATIONS.where(
        CITATION_TABLE.c.event_id.in_(
            sa.select(EVENT_TABLE.c.id).where(EVENT_TABLE.c.site_id == sa.bindparam("site_id"))
        )
    )

    def _events_public(
        self, session: Session, *conditions: sa.ColumnElement[bool]
    ) -> list[DamageEventPublic]:
        """The events matching `conditions`, in EVENT_ORDER, with citations and confidence.

        Read as plain columns, not ORM entities: building an entity per row costs more
        than the query, and a summary reads every event of a site.
        """
        connection = session.connection()
        rows = connection.execute(self._EVENTS.where(*conditions)).all()
        ids = [row.id for row in rows]
        citations = (
            citation
            for start in range(0, len(ids), 500)
            for citation in connection.execute(
                self._CITATIONS.where(CITATION_TABLE.c.event_id.in_(ids[start : start + 500]))
            )
        )
        return self._with_citations(rows, citations)

    def _site_events_public(
        self, connection: sa.Connection, site_id: int
    ) -> list[DamageEventPublic]:
        """`_events_public` of one site, by the statements built for it."""
        params = {"site_id": site_id}
        rows = connection.execute(self._SITE_EVENTS, params).all()
        return self._with_citations(rows, connection.execute(self._SITE_CITATIONS, params))

    def _with_citations(
        self, rows: Sequence[sa.Row[Any]], citations: Iterable[sa.Row[Any]]
    ) -> list[DamageEventPublic]:
        """The events of `rows`, each with its rows among `citations` (in citation order)."""
        cited: dict[int, list[sa.Row[Any]]] = {}
        for citation in citations:
            cited.setdefault(citation.event_id, []).append(citation)
        return [self._event_public(row, cited.get(row.id, [])) for row in rows]

    @staticmethod
    def _event_public(row: sa.Row[Any], cited: Sequence[sa.Row[Any]]) -> DamageEventPublic:
        citations = [
            trusted(
                CitationPublic,
                quote=citation.quote,
                location=citation.location,
                stance=citation.stance,
                claimed_occurred=citation.claimed_occurred,
                claimed_level=citation.claimed_level,
                date_resolution=citation.date_resolution,
                via=citation.via,
                mentions=citation.mentions,
                source=citation.source,
                recorded_at=_aware(citation.created_at),
            )
            for citation in cited
        ]
        derived = confidence.derive(
            occurred=row.occurred,
            damage_level=row.damage_level,
            retracted=row.retracted_at is not None,
            merged=row.merged_into is not None,
            attestations=[
                confidence.attestation(
                    stance=citation.stance,
                    publisher=citation.publisher,
                    source=citation.source,
                    via=citation.via,
                    claimed_occurred=citation.claimed_occurred,
                    claimed_level=citation.claimed_level,
                )
                for citation in cited
            ],
        )
        return trusted(
            DamageEventPublic,
            cause=row.cause,
            damage_level=row.damage_level,
            occurred=row.occurred,
            actor=row.actor,
            description=row.description,
            uid=row.uid,
            site=row.site,
            monument=row.monument,
            earliest=row.earliest,
            latest=row.latest,
            confidence=derived,
            retracted_at=_aware(row.retracted_at) if row.retracted_at else None,
            retraction_reason=row.retraction_reason,
            merged_into=row.merged_into,
            merged_at=_aware(row.merged_at) if row.merged_at else None,
            merge_reason=row.merge_reason,
            recorded_at=_aware(row.created_at),
            updated_at=_aware(row.updated_at),
            citations=citations,
        )

    # Corrections and history ------------------------------------------------------

    def update_site(
        self, slug: str, /, *, reason: str, by: str | None = None, **changes: Any
    ) -> SitePublic:
        """Correct a site's values; the old and new state go into its history."""
        _check_reason(reason)
        _check_changes("site", changes, SITE_CHANGES)

        def work(session: Session) -> SitePublic:
            row = self._site_row(session, slug, lock=True)
            before = self._site_public(row)
            data = validate(SiteCreate, _current(before) | changes, {}, "site")
            values = data.model_dump(exclude={"alt_names"}) | {
                "alt_names": [name.model_dump() for name in data.alt_names]
            }
            self._apply(row, values, f"site {slug!r}")
            after = self._site_public(row)
            self._log(
                session, RecordType.SITE, slug, ChangeAction.UPDATE, before, after, reason, by
            )
            return after

        return self._write(work)

    def update_monument(
        self, site: str, slug: str, /, *, reason: str, by: str | None = None, **changes: Any
    ) -> MonumentPublic:
        """Correct a monument's values; the old and new state go into its history."""
        _check_reason(reason)
        _check_changes("monument", changes, MONUMENT_CHANGES)

        def work(session: Session) -> MonumentPublic:
            site_row = self._site_row(session, site)
            row = self._monument_row(session, site_row, slug, lock=True)
            before = self._monument_public(row, site_row.slug)
            current = _current(before, "built_from_year", "built_to_year")
            data = validate(MonumentCreate, current | changes, {}, "monument")
            values = (
                data.model_dump(exclude={"alt_names", "site"})
                | {"alt_names": [name.model_dump() for name in data.alt_names]}
                | built_years(data.built)
            )
            self._apply(row, values, f"monument {slug!r} of site {site!r}")
            after = self._monument_public(row, site_row.slug)
            key = f"{site_row.slug}/{slug}"
            self._log(
                session, RecordType.MONUMENT, key, ChangeAction.UPDATE, before, after, reason, by
            )
            return after

        return self._write(work)

    def update_source(
        self, key: str, /, *, reason: str, by: str | None = None, **changes: Any
    ) -> SourcePublic:
        """Correct a source's values; the old and new state go into its history."""
        _check_reason(reason)
        _check_changes("source", changes, SOURCE_CHANGES)

        def work(session: Session) -> SourcePublic:
            row = self._source_row(session, key, lock=True)
            before = self._source_public(row)
            current = _current(before, "published_earliest", "published_latest")
            data = validate(SourceCreate, current | changes, {}, "source")
            if data.published is not None and data.published != before.published:
                # The latest-starting event it reports must have begun by then.
                latest = session.exec(
                    select(DamageEvent.uid, DamageEvent.occurred)
                    .join(SourceCitation, col(SourceCitation.event_id) == col(DamageEvent.id))
                    .where(SourceCitation.source_id == row.id)
                    .where(col(DamageEvent.earliest).is_not(None))
                    .order_by(col(DamageEvent.earliest).desc())
                    .limit(1)
                ).first()
                if latest is not None:
                    _refuse_too_early(
                        f"source (it reports event {latest[0]})", latest[1], row.key, data.published
                    )
            values = data.model_dump() | published_span(data.published)
            self._apply(row, values, f"source {key!r}")
            after = self._source_public(row)
            self._log(
                session, RecordType.SOURCE, key, ChangeAction.UPDATE, before, after, reason, by
            )
            return after

        return self._write(work)

    def update_event(
        self, uid: str, /, *, reason: str, by: str | None = None, **changes: Any
    ) -> DamageEventPublic:
        """Correct an event's values (its citations stay); the change goes into its history."""
        _check_reason(reason)
        _check_changes("event", changes, EVENT_CHANGES)

        def work(session: Session) -> DamageEventPublic:
            row = self._event_row(session, uid, lock=True)
            merges.refuse_merged(session, row, "correct")
            before = self._events_public(session, EVENT_TABLE.c.id == row.id)[0]
            current = {
                "uid": before.uid,
                "site": before.site,
                "monument": before.monument,
                "cause": before.cause,
                "damage_level": before.damage_level,
                "occurred": before.occurred,
                "actor": before.actor,
                "description": before.description,
                "citations": [{"source": c.source, "quote": c.quote} for c in before.citations],
            }
            data = validate(DamageEventCreate, current | changes, {}, "event")
            if data.occurred != before.occurred:
                keys = {citation.source for citation in before.citations}
                for key, published in session.exec(
                    select(Source.key, Source.published).where(col(Source.key).in_(keys))
                ):
                    _refuse_too_early("event", data.occurred, key, published)
            site = self._site_row(session, data.site)
            monument = self._monument_row(session, site, data.monument) if data.monument else None
            values = (
                data.model_dump(include=set(EVENT_CHANGES) - {"monument"})
                | {"monument_id": monument.id if monument else None}
                | occurred_span(data.occurred)
            )
            self._apply(row, values, f"event {row.uid}")
            after = self._events_public(session, EVENT_TABLE.c.id == row.id)[0]
            self._log(
                session, RecordType.EVENT, row.uid, ChangeAction.UPDATE, before, after, reason, by
            )
            return after

        return self._write(work)

    def retract_event(self, uid: str, *, reason: str, by: str | None = None) -> DamageEventPublic:
        """Withdraw an event: kept, shown as retracted, left out of counts; with the reason."""
        _check_reason(reason)

        def work(session: Session) -> DamageEventPublic:
            row = self._event_row(session, uid, lock=True)
            merges.refuse_merged(session, row, "retract")
            if row.retracted_at is not None:
                raise InvalidRecord(
                    f"event {row.uid} was retracted already ({row.retraction_reason}); "
                    "nothing to do"
                )
            before = self._events_public(session, EVENT_TABLE.c.id == row.id)[0]
            now = utcnow()
            row.retracted_at = now
            row.retraction_reason = reason.strip()
            row.updated_at = now
            session.add(row)
            session.flush()
            after = self._events_public(session, EVENT_TABLE.c.id == row.id)[0]
            self._log(
                session, RecordType.EVENT, row.uid, ChangeAction.RETRACT, before, after, reason, by
            )
            return after

        return self._write(work)

    def merge_events(
        self, keep: str, other: str, *, reason: str, by: str | None = None
    ) -> merges.Merged:
        """Fold the event `other` into `keep`, one incident recorded twice (`merges`).

        OTHER's citations move to KEEP, less those KEEP has already; OTHER is kept, merged,
        counted nowhere, and its uid leads to KEEP. Both histories record the merge.
        """
        return merges.merge_events(self, keep, other, reason=reason, by=by)

    def event_trail(self, uid: str) -> list[DamageEventPublic]:
        """The event `uid` and each event it was merged into, in turn; the last is live."""
        return merges.trail(self, uid)

    def duplicates(self, site: str | None = None) -> list[DuplicatePair]:
        """Pairs of live events that may record one incident, strongest first (`duplicates`)."""
        return duplicates.find_duplicates(self, site=site)

    def history(self, record_type: RecordType | str, record: str) -> list[ChangePublic]:
        """Every change to one record, oldest first.

        `record` is a site's slug, a monument's `SITE/SLUG`, a source's key or an
        event's uid (or the beginning of one, as everywhere a uid is taken).
        """
        kind = _filter(RecordType, record_type, "record type")
        assert kind is not None
        with self.transaction() as session:
            record = self._existing(session, kind, record)
            rows = session.exec(
                select(Change)
                .where(Change.record_type == kind, Change.record == record)
                .order_by(col(Change.id))
            ).all()
            return [
                trusted(
                    ChangePublic,
                    record_type=row.record_type,
                    record=row.record,
                    action=row.action,
                    reason=row.reason,
                    changed_by=row.changed_by,
                    old=row.old,
                    new=row.new,
                    changed_at=_aware(row.changed_at),
                )
                for row in rows
            ]

    def _existing(self, session: Session, kind: RecordType, record: str) -> str:
        """The record's name in its history (an event's whole uid); NotFound if none."""
        if kind is RecordType.SITE:
            self._site_row(session, record)
        elif kind is RecordType.MONUMENT:
            site, _, slug = record.partition("/")
            self._monument_row(session, self._site_row(session, site), slug)
        elif kind is RecordType.SOURCE:
            self._source_row(session, record)
        else:
            return self._event_row(session, record).uid
        return record

    @staticmethod
    def _apply(row: Any, values: Mapping[str, Any], what: str) -> None:
        """Set the values that differ; refuse a correction that changes nothing."""
        differing = {name: value for name, value in values.items() if getattr(row, name) != value}
        if not differing:
            raise InvalidRecord(f"no change: {what} has these values already")
        for name, value in differing.items():
            setattr(row, name, value)
        row.updated_at = utcnow()
        session = sa.orm.object_session(row)
        assert session is not None
        session.add(row)
        session.flush()

    @staticmethod
    def _log(
        session: Session,
        record_type: RecordType,
        record: str,
        action: ChangeAction,
        before: BaseModel | None,
        after: BaseModel,
        reason: str | None,
        by: str | None,
        added: Mapping[str, Any] | None = None,
    ) -> None:
        """Write a history entry; `added` names what the change added beside the state."""
        session.add(
            Change(
                record_type=record_type,
                record=record,
                action=action,
                old=_snapshot(before) if before is not None else None,
                new=_snapshot(after) | dict(added or {}),
                reason=reason.strip() if reason else None,
                changed_by=_who(by),
                changed_at=utcnow(),
            )
        )
        session.flush()

    def merge(
        self,
        *,
        sites: Iterable[SiteCreate] = (),
        monuments: Iterable[MonumentCreate] = (),
        sources: Iterable[SourceCreate] = (),
        events: Iterable[DamageEventCreate] = (),
    ) -> MergeReport:
        """Add the records the registry lacks, in one transaction, and keep those it has.

        Records are matched by site slug, monument slug within its site, source key and
        event uid; a record already present is left as it is. An event already present
        gains the citations it lacks (a citation is matched by its source and quote), so
        that merging the same records twice changes nothing.
        """
        # Read once: a retried transaction must see the same records again.
        sites, monuments = list(sites), list(monuments)
        sources, events = list(sources), list(events)

        def work(session: Session) -> MergeReport:
            report = MergeReport()
            for site in sites:
                if session.exec(select(Site.id).where(Site.slug == site.slug)).first():
                    report.existing["sites"] += 1
                else:
                    self._insert_site(session, site)
                    report.added["sites"] += 1
            for monument in monuments:
                site_row = self._site_row(session, monument.site)
                found = session.exec(
                    select(Monument.id).where(
                        Monument.site_id == site_row.id, Monument.slug == monument.slug
                    )
                ).first()
                if found:
                    report.existing["monuments"] += 1
                else:
                    self._insert_monument(session, monument)
                    report.added["monuments"] += 1
            for source in sources:
                if session.exec(select(Source.id).where(Source.key == source.key)).first():
                    report.existing["sources"] += 1
                else:
                    self._insert_source(session, source)
                    report.added["sources"] += 1
            for event in events:
                row = session.exec(
                    select(DamageEvent).where(DamageEvent.uid == str(event.uid))
                ).first()
                if row is None:
                    self._insert_event(session, event)
                    report.added["events"] += 1
                    report.added["citations"] += len(event.citations)
                    continue
                report.existing["events"] += 1
                assert row.id is not None
                held = {
                    (source_key, quote)
                    for source_key, quote in session.exec(
                        select(Source.key, SourceCitation.quote)
                        .join(Source, col(Source.id) == col(SourceCitation.source_id))
                        .where(SourceCitation.event_id == row.id)
                    )
                }
                now = utcnow()
                for citation in event.citations:
                    if (citation.source, citation.quote) in held:
                        report.existing["citations"] += 1
                        continue
                    source_row = self._source_row(session, citation.source)
                    session.add(self._citation_row(citation, row.id, source_row, now))
                    held.add((citation.source, citation.quote))
                    report.added["citations"] += 1
            session.flush()
            return report

        return self._write(work)

    @staticmethod
    def _flush(session: Session, duplicate: Exception) -> None:
        """Flush, turning a unique-constraint race with another writer into `duplicate`."""
        try:
            session.flush()
        except sa.exc.IntegrityError as exc:
            if "unique" in str(exc.orig).lower() or "duplicate" in str(exc.orig).lower():
                raise duplicate from None
            raise
