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
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError
from sqlmodel import Session, col, func, select

from heritage_registry import (
    arguments,
    confidence,
    db,
    duplicates,
    history,
    mentions,
    merges,
    reads,
    removals,
    schema,
    texts,
)
from heritage_registry.duplicates import DuplicatePair
from heritage_registry.errors import (
    AmbiguousUid,
    DuplicateKey,
    DuplicateSlug,
    DuplicateUid,
    EventNotFound,
    InvalidRecord,
    MonumentNotFound,
    Referenced,
    SiteNotFound,
    SourceNotFound,
)
from heritage_registry.models import (
    CITATION_TABLE,
    EVENT_TABLE,
    NOTE_MAX,
    SOURCE_TABLE,
    Change,
    ChangePublic,
    CitationCreate,
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
    SourceTextPublic,
    SourceWithText,
    aware,
    built_years,
    no_controls,
    occurred_span,
    published_span,
    reported_too_early,
    utcnow,
)
from heritage_registry.reads import SiteRecords
from heritage_registry.render import plural
from heritage_registry.vocab import (
    Cause,
    ChangeAction,
    ChangeHow,
    Confidence,
    DamageLevel,
    MonumentKind,
    RecordType,
    SiteKind,
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


T = TypeVar("T")
SelectT = TypeVar("SelectT", bound=sa.Select[Any])
# A uid may be shortened, like a git commit, to a prefix of this many characters or more
# that begins one event's uid alone.
UID_PREFIX_MIN = 4
_UID_PREFIX = re.compile(r"[0-9a-f-]+")
AMBIGUOUS_SHOWN = 5
# The session key of the events and sources a write changed, by record type (`_log`).
_CHANGED = "heritage_registry_changed"
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

    def __init__(self, engine: sa.Engine, *, how: ChangeHow | str = ChangeHow.LIBRARY) -> None:
        self.engine = engine
        # How its writes reach the registry, for their history entries: the library by
        # default, a command when the CLI opened it (`ChangeHow`).
        self.how = ChangeHow(how)

    # Opening ----------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        migrate: bool = True,
        create: bool = True,
        how: ChangeHow | str = ChangeHow.LIBRARY,
    ) -> Registry:
        """Open the registry at `url` (default: `REGISTRY_DATABASE_URL`, else the user's file).

        With `migrate` (the default) a new database is created and an older one brought
        to the current schema; without it the database is used as it is. Without
        `create` nothing is created or migrated: a place with no registry is
        `NoRegistry`, an older schema a `SchemaError` that says how to upgrade (what the
        reading commands use). `how` is what history records as the way its writes came
        (`ChangeHow`: the library unless told otherwise).
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
        return cls(engine, how=how)

    @property
    def url(self) -> str:
        """The database URL, with any password hidden."""
        return db.display_url(self.engine.url)

    def __repr__(self) -> str:
        return f"<Registry {self.url}>"

    def close(self) -> None:
        """Close the registry's database connections; `with Registry.open(...)` does it."""
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
                    done = work(session)
                    self._refresh_confidence(session)
                    return done
            except sa.exc.OperationalError as exc:
                if not db.is_busy(exc) or attempt == WRITE_ATTEMPTS - 1:
                    raise
                time.sleep(min(2.0, 0.05 * 2**attempt) * (1 + random.random()))
        raise AssertionError("unreachable")

    def _refresh_confidence(self, session: Session) -> None:
        """Store again the confidence of the events this write changed (`_log` notes them).

        Last in the transaction: the database's triggers set the stored confidence NULL
        as each change is written, and an event whose value stays NULL is only slower to
        filter (`confidence.refresh`). A source's key or publisher touches the events
        citing it.
        """
        changed: dict[RecordType, set[str]] = session.info.pop(_CHANGED, {})
        uids, keys = changed.get(RecordType.EVENT), changed.get(RecordType.SOURCE)
        if not uids and not keys:
            return
        session.flush()
        connection = session.connection()
        ids: set[int] = set()
        if uids:
            ids.update(db.lookup(connection, EVENT_TABLE.c.uid, EVENT_TABLE.c.id, uids).values())
        if keys:
            cited = (
                sa.select(CITATION_TABLE.c.event_id)
                .join(SOURCE_TABLE, SOURCE_TABLE.c.id == CITATION_TABLE.c.source_id)
                .join(EVENT_TABLE, EVENT_TABLE.c.id == CITATION_TABLE.c.event_id)
                .where(SOURCE_TABLE.c.key.in_(sorted(keys)), EVENT_TABLE.c.confidence.is_(None))
            )
            ids.update(connection.execute(cited).scalars())
        confidence.refresh(connection, ids)

    def schema_revision(self) -> str | None:
        """The database's alembic schema revision; None before the registry is created."""
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
            if db.storable(slug)
            else None
        )
        if row is None:
            raise SiteNotFound(slug, session.exec(select(Site.slug)).all())
        return row

    def _monument_row(
        self, session: Session, site: Site, slug: str, *, lock: bool = False
    ) -> Monument:
        query = select(Monument).where(Monument.site_id == site.id, Monument.slug == slug)
        row = session.exec(_locked(query, lock)).first() if db.storable(slug) else None
        if row is None:
            others = session.exec(select(Monument.slug).where(Monument.site_id == site.id)).all()
            raise MonumentNotFound(slug, others, scope=f"site {site.slug!r}")
        return row

    def _source_row(self, session: Session, key: str, *, lock: bool = False) -> Source:
        row = (
            session.exec(_locked(select(Source).where(Source.key == key), lock)).first()
            if db.storable(key)
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
        if not db.storable(uid):
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
        self,
        site: SiteCreate | Mapping[str, Any] | None = None,
        /,
        *,
        by: str | None = None,
        **fields: Any,
    ) -> SitePublic:
        """Add a site: `add_site(slug="palmyra", name="Palmyra", country="SY")`.

        History records its creation, by `by` (else the operating-system user).
        """
        data = validate(SiteCreate, site, fields, "site")
        return self._write(
            lambda session: self._site_public(self._insert_site(session, data, by=by))
        )

    def _insert_site(self, session: Session, data: SiteCreate, *, by: str | None) -> Site:
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
        self._log_creation(session, RecordType.SITE, row.slug, self._site_public(row), by)
        return row

    def get_site(self, slug: str) -> SitePublic:
        """The site `slug`; `SiteNotFound` (with the nearest slug) if there is none."""
        with self.transaction() as session:
            return self._site_public(self._site_row(session, slug))

    def list_sites(
        self,
        *,
        country: str | None = None,
        kind: SiteKind | str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[SitePublic]:
        """Sites ordered by slug, optionally of one country and kind.

        `limit` and `offset` give a page of them: at most `limit` after the first `offset`.
        """
        return list(self.iter_sites(country=country, kind=kind, limit=limit, offset=offset))

    def iter_sites(
        self,
        *,
        country: str | None = None,
        kind: SiteKind | str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Iterator[SitePublic]:
        """The sites `list_sites` lists, in its order, streamed: read a few hundred at a
        time in one transaction, which the iteration holds until it ends. The filters
        are checked when this is called."""
        return reads.iter_sites(self, country=country, kind=kind, limit=limit, offset=offset)

    @staticmethod
    def _site_public(row: Site) -> SitePublic:
        return SitePublic.model_construct(
            **row.model_dump(exclude={"id", "alt_names", "created_at", "updated_at"}),
            alt_names=reads.alt_names(row.alt_names),
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
        )

    # Monuments --------------------------------------------------------------------

    def add_monument(
        self,
        monument: MonumentCreate | Mapping[str, Any] | None = None,
        /,
        *,
        by: str | None = None,
        **fields: Any,
    ) -> MonumentPublic:
        """Add a monument to a site: `add_monument(site="palmyra", slug="temple-of-bel", ...)`.

        History records its creation, by `by` (else the operating-system user).
        """
        data = validate(MonumentCreate, monument, fields, "monument")
        return self._write(
            lambda session: self._monument_public(
                self._insert_monument(session, data, by=by), data.site
            )
        )

    def _insert_monument(
        self, session: Session, data: MonumentCreate, *, by: str | None
    ) -> Monument:
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
        public = self._monument_public(row, site.slug)
        self._log_creation(session, RecordType.MONUMENT, f"{site.slug}/{row.slug}", public, by)
        return row

    def get_monument(self, site: str, slug: str) -> MonumentPublic:
        """The monument `slug` of the site `site`; `MonumentNotFound` if it has none."""
        with self.transaction() as session:
            site_row = self._site_row(session, site)
            return self._monument_public(self._monument_row(session, site_row, slug), site_row.slug)

    def list_monuments(
        self,
        *,
        site: str | None = None,
        kind: MonumentKind | str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[MonumentPublic]:
        """Monuments ordered by site slug, then slug; `limit` and `offset` give a page."""
        return list(self.iter_monuments(site=site, kind=kind, limit=limit, offset=offset))

    def iter_monuments(
        self,
        *,
        site: str | None = None,
        kind: MonumentKind | str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Iterator[MonumentPublic]:
        """The monuments `list_monuments` lists, streamed as `iter_sites` streams sites;
        a site that does not exist is refused when this is called."""
        return reads.iter_monuments(self, site=site, kind=kind, limit=limit, offset=offset)

    @staticmethod
    def _monument_public(row: Monument, site_slug: str) -> MonumentPublic:
        return MonumentPublic.model_construct(
            **row.model_dump(exclude={"id", "site_id", "alt_names", "created_at", "updated_at"}),
            site=site_slug,
            alt_names=reads.alt_names(row.alt_names),
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
        )

    # Sources ----------------------------------------------------------------------

    def add_source(
        self,
        source: SourceCreate | Mapping[str, Any] | None = None,
        /,
        *,
        by: str | None = None,
        **fields: Any,
    ) -> SourcePublic:
        """Add a source: `add_source(key="newarab-2016-03-27", title=..., publisher=...)`.

        History records its creation, by `by` (else the operating-system user).
        """
        data = validate(SourceCreate, source, fields, "source")
        return self._write(
            lambda session: self._source_public(self._insert_source(session, data, by=by))
        )

    def _insert_source(self, session: Session, data: SourceCreate, *, by: str | None) -> Source:
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
        self._log_creation(session, RecordType.SOURCE, row.key, self._source_public(row), by)
        return row

    def get_source(self, key: str) -> SourcePublic:
        """The source `key`; `SourceNotFound` (with the nearest key) if there is none."""
        with self.transaction() as session:
            return self._source_public(self._source_row(session, key))

    def list_sources(
        self, *, site: str | None = None, limit: int | None = None, offset: int = 0
    ) -> list[SourcePublic]:
        """Sources ordered by key; with `site`, only those cited on that site's events.

        `limit` and `offset` give a page of them: at most `limit` after the first `offset`.
        """
        return list(self.iter_sources(site=site, limit=limit, offset=offset))

    def iter_sources(
        self, *, site: str | None = None, limit: int | None = None, offset: int = 0
    ) -> Iterator[SourcePublic]:
        """The sources `list_sources` lists, streamed as `iter_sites` streams sites; a
        site that does not exist is refused when this is called."""
        return reads.iter_sources(self, site=site, limit=limit, offset=offset)

    @staticmethod
    def _source_public(row: Source) -> SourcePublic:
        return SourcePublic.model_construct(
            **row.model_dump(exclude={"id", "created_at", "updated_at"}),
            created_at=aware(row.created_at),
            updated_at=aware(row.updated_at),
        )

    # Events and citations -----------------------------------------------------------

    def add_event(
        self,
        event: DamageEventCreate | Mapping[str, Any] | None = None,
        /,
        *,
        by: str | None = None,
        **fields: Any,
    ) -> DamageEventPublic:
        """Add a damage event with its citations, in one transaction.

        The citations go in `citations=[{"source": KEY, "quote": TEXT}, ...]`; for an
        event reported by one source, the citation's fields may be given directly:
        `add_event(site="palmyra", cause="explosives", damage_level="destroyed",
        occurred="2015-08", source="newarab-2016-03-27", quote="...")`. History records
        its creation, with its citations, by `by` (else the operating-system user).
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
            return self._insert_event(session, data, by=by)[1]

        return self._write(work)

    def _insert_event(
        self, session: Session, data: DamageEventCreate, *, by: str | None
    ) -> tuple[DamageEvent, DamageEventPublic]:
        """Insert the event and its citations, and record its creation."""
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
        found = texts.spans(session, [(c.quote, sources[c.source]) for c in data.citations])
        for citation, span in zip(data.citations, found, strict=True):
            session.add(self._citation_row(citation, row.id, sources[citation.source], now, span))
        session.flush()
        public = reads.events_public(session, EVENT_TABLE.c.id == row.id)[0]
        self._log_creation(session, RecordType.EVENT, uid, public, by)
        return row, public

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
        citation: CitationCreate,
        event_id: int,
        source: Source,
        now: dt.datetime,
        span: tuple[int, int] | None = None,
    ) -> SourceCitation:
        assert source.id is not None
        return SourceCitation(
            **citation.model_dump(exclude={"source"}),
            event_id=event_id,
            source_id=source.id,
            created_at=now,
            text_start=span[0] if span else None,
            text_end=span[1] if span else None,
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
            before = reads.events_public(session, EVENT_TABLE.c.id == event.id)[0]
            duplicates.refuse_repeated_citations([*before.citations, data])
            site = session.get(Site, event.site_id)
            assert site is not None
            self._check_mentions(session, site, before.monument, [data])
            [span] = texts.spans(session, [(data.quote, source)])
            session.add(self._citation_row(data, event.id, source, utcnow(), span))
            session.flush()
            after = reads.events_public(session, EVENT_TABLE.c.id == event.id)[0]
            self._log(
                session, RecordType.EVENT, event.uid, ChangeAction.CITE, before, after, None, by,
                added={"citation": after.citations[-1].model_dump(mode="json")},
            )  # fmt: skip
            return after

        return self._write(work)

    def get_event(self, uid: str, *, follow: bool = False) -> DamageEventPublic:
        """The event `uid`, merged or not; with `follow`, the live event a merged one leads to."""
        return reads.get_event(self, uid, follow=follow)

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
        limit: int | None = None,
        offset: int = 0,
    ) -> list[DamageEventPublic]:
        """Events in date order: by `earliest` (open starts first), `latest`, then uid.

        `since` and `until` are EDTF; an event is listed when its span may overlap the
        window (an open or unknown end is taken to reach into it). `limit` and `offset`
        give a page: at most `limit` events after the first `offset` of the order. For
        more events than fit in memory, `iter_events` reads them a page at a time.
        """
        return reads.list_events(
            self,
            site=site,
            monument=monument,
            cause=cause,
            damage_level=damage_level,
            since=since,
            until=until,
            confidence=confidence,
            limit=limit,
            offset=offset,
        )

    def iter_events(
        self,
        *,
        site: str | None = None,
        monument: str | None = None,
        cause: Cause | str | None = None,
        damage_level: DamageLevel | str | None = None,
        since: str | None = None,
        until: str | None = None,
        confidence: Confidence | str | None = None,
        page: int = 500,
    ) -> Iterator[DamageEventPublic]:
        """The events `list_events` lists with the same filters, in its order, streamed.

        Read `page` events (and their citations) at a time, each page starting after the
        last one's final event (keyset pagination, `exchange.keyset_pages`), so that
        memory holds one page however many events match. The filters are checked, and a
        site or monument that does not exist refused, when this is called, not when the
        iteration starts. The iteration holds one read connection until it ends or the
        iterator is closed.

            for event in reg.iter_events(site="palmyra", cause="explosives"):
                print(event.uid, event.occurred)
        """
        return reads.iter_events(
            self,
            site=site,
            monument=monument,
            cause=cause,
            damage_level=damage_level,
            since=since,
            until=until,
            confidence=confidence,
            page=page,
        )

    def events_frame(
        self,
        *,
        site: str | None = None,
        monument: str | None = None,
        cause: Cause | str | None = None,
        damage_level: DamageLevel | str | None = None,
        since: str | None = None,
        until: str | None = None,
        confidence: Confidence | str | None = None,
    ) -> Any:
        """The events `list_events` lists with the same filters, as a pandas DataFrame.

        One row per event, in date order; its columns are the event's fields (see
        `heritage_registry.frames.EVENT_COLUMNS`), its citations counted in `citations`.
        `earliest` and `latest` are `datetime64[s]` (NaT where open or unknown), the
        times it was recorded, changed, retracted or merged `datetime64[us, UTC]`. The
        citations are `citations_frame(...)`, which joins on `uid`. Needs pandas (`pip
        install 'heritage-registry[pandas]'`); without it, `MissingDependency` says so.
        """
        return reads.events_frame(
            self,
            site=site,
            monument=monument,
            cause=cause,
            damage_level=damage_level,
            since=since,
            until=until,
            confidence=confidence,
        )

    def citations_frame(
        self,
        *,
        site: str | None = None,
        monument: str | None = None,
        cause: Cause | str | None = None,
        damage_level: DamageLevel | str | None = None,
        since: str | None = None,
        until: str | None = None,
        confidence: Confidence | str | None = None,
    ) -> Any:
        """The citations of the events `events_frame` gives, one row each, as a DataFrame.

        Rows follow the events' order, then each event's citation order; `uid` is the
        event's, to join with `events_frame(...)`; `mentions` holds a list of monument
        slugs and `recorded_at` is `datetime64[us, UTC]` (`heritage_registry.frames`).
        Needs pandas, as `events_frame` does.
        """
        return reads.citations_frame(
            self,
            site=site,
            monument=monument,
            cause=cause,
            damage_level=damage_level,
            since=since,
            until=until,
            confidence=confidence,
        )

    def count_events(self, *, site: str | None = None, monument: str | None = None) -> int:
        """How many events the registry, a site or one of its monuments has.

        A merged event is not counted: it is counted in the event it was merged into.
        """
        return reads.count_events(self, site=site, monument=monument)

    def site_records(self, slug: str) -> SiteRecords:
        """Everything a summary of the site needs, read in one transaction."""
        return reads.site_records(self.engine, slug)

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

    # Sources' texts (`heritage_registry.texts`) -------------------------------------

    def attach_text(
        self,
        key: str,
        /,
        text: str | None = None,
        *,
        retrieved: dt.date | str | None = None,
        url: str | None = None,
        archived_url: str | None = None,
        sha256: str | None = None,
        by: str | None = None,
    ) -> SourceTextPublic:
        """Keep the text source `key` was read from (or, with `sha256` instead, only the
        hash of an original that is not text), retrieved on `retrieved` (default today)
        from `url`, with an archived copy at `archived_url`; returns what is kept.

        From then on a quote cited from the source must occur in the text. A text replaced
        is a correction in the source's history, which keeps the old one's hash (never
        the text itself); the citations are located in the new text again.
        """

        def work(session: Session) -> SourceTextPublic:
            row = self._source_row(session, key, lock=True)
            before, after = texts.attach(
                session, row, text=text, sha256=sha256, retrieved=retrieved, url=url,
                archived_url=archived_url,
            )  # fmt: skip
            if after is None:
                assert before is not None
                return before
            # The source changed with its text: summaries and feeds see it as of now.
            row.updated_at = utcnow()
            session.add(row)
            session.flush()
            source = self._source_public(row)
            self._log(
                session, RecordType.SOURCE, row.key, ChangeAction.UPDATE,
                SourceWithText(**dict(source), text=before),
                SourceWithText(**dict(source), text=after),
                "text replaced" if before is not None else "text attached", by,
            )  # fmt: skip
            return after

        return self._write(work)

    def source_text(self, key: str) -> SourceTextPublic | None:
        """What source `key` keeps of its text (hash, dates, addresses), if anything."""
        with self.transaction() as session:
            return texts.kept(session, self._source_row(session, key))

    def text_of(self, key: str) -> str | None:
        """The text source `key` keeps, if it keeps one (not only an original's hash)."""
        with self.transaction() as session:
            return texts.stored_text(session, self._source_row(session, key))

    def verify(self, folder: Path | None = None) -> texts.VerifyReport:
        """Check every citation's quote against its source's text: the stored one, or with
        `folder`, a file there named after the source's key or the seed's article."""
        # The seed imports the registry: read it only here, and only for a folder.
        from heritage_registry.seed import read_seed

        articles = read_seed().articles if folder is not None else {}
        with self.transaction() as session:
            return texts.verify(session, folder, articles)

    def update_event(
        self, uid: str, /, *, reason: str, by: str | None = None, **changes: Any
    ) -> DamageEventPublic:
        """Correct an event's values (its citations stay); the change goes into its history."""
        _check_reason(reason)
        _check_changes("event", changes, EVENT_CHANGES)

        def work(session: Session) -> DamageEventPublic:
            row = self._event_row(session, uid, lock=True)
            merges.refuse_merged(session, row, "correct")
            before = reads.events_public(session, EVENT_TABLE.c.id == row.id)[0]
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
            after = reads.events_public(session, EVENT_TABLE.c.id == row.id)[0]
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
            before = reads.events_public(session, EVENT_TABLE.c.id == row.id)[0]
            now = utcnow()
            row.retracted_at = now
            row.retraction_reason = reason.strip()
            row.updated_at = now
            session.add(row)
            session.flush()
            after = reads.events_public(session, EVENT_TABLE.c.id == row.id)[0]
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
        """Every change to one record, oldest first, from its creation (and removal).

        `record` is a site's slug, a monument's `SITE/SLUG`, a source's key or an
        event's uid (or the beginning of one, as everywhere a uid is taken). A record
        since removed still has its history.
        """
        kind = arguments.vocabulary_filter(RecordType, record_type, "record type")
        assert kind is not None
        with self.transaction() as session:
            try:
                record = self._existing(session, kind, record)
            except (SiteNotFound, MonumentNotFound, SourceNotFound):
                if not db.storable(record) or not history.recorded(session, kind, record):
                    raise
            return history.of_record(session, kind, record)

    def changes(
        self,
        *,
        since: dt.datetime | dt.date | str | None = None,
        by: str | None = None,
        record_type: RecordType | str | None = None,
        limit: int | None = None,
    ) -> list[ChangePublic]:
        """The registry's history, newest first: every creation, change and removal.

        `since` (a time, or a day from its start, UTC) and `by` narrow it; `limit` caps
        it (all by default). The feed from which a downstream copy keeps itself current:
        each entry holds its record's whole state after the change.
        """
        return list(self.iter_changes(since=since, by=by, record_type=record_type, limit=limit))

    def iter_changes(
        self,
        *,
        since: dt.datetime | dt.date | str | None = None,
        by: str | None = None,
        record_type: RecordType | str | None = None,
        limit: int | None = None,
    ) -> Iterator[ChangePublic]:
        """The entries `changes` gives, streamed a few hundred at a time in one
        transaction, held until the iteration ends; the arguments are checked when this
        is called. The whole feed of a large registry (each entry holds its record's
        state) is more than memory holds."""
        kind = arguments.vocabulary_filter(RecordType, record_type, "record type")
        query = history.feed_query(since=since, by=by, record_type=kind, limit=limit)
        return reads.streamed(self, query, history.public)

    # Removing -----------------------------------------------------------------------

    def remove_site(self, slug: str, *, reason: str, by: str | None = None) -> SitePublic:
        """Remove a site entered by mistake, on which nothing is recorded (`removals`).

        Returns its last state; its history, the removal with `reason` included, is kept.
        """

        def find(session: Session) -> tuple[Any, RecordType, str, SitePublic]:
            row = self._site_row(session, slug, lock=True)
            removals.check_site(session, row)
            return row, RecordType.SITE, row.slug, self._site_public(row)

        return self._remove(find, reason, by)

    def remove_monument(
        self, site: str, slug: str, *, reason: str, by: str | None = None
    ) -> MonumentPublic:
        """Remove a monument entered by mistake, to which nothing refers (`removals`).

        Returns its last state; its history, the removal with `reason` included, is kept.
        """

        def find(session: Session) -> tuple[Any, RecordType, str, MonumentPublic]:
            site_row = self._site_row(session, site, lock=True)
            row = self._monument_row(session, site_row, slug, lock=True)
            removals.check_monument(session, site_row, row)
            public = self._monument_public(row, site_row.slug)
            return row, RecordType.MONUMENT, f"{site_row.slug}/{row.slug}", public

        return self._remove(find, reason, by)

    def remove_source(self, key: str, *, reason: str, by: str | None = None) -> SourcePublic:
        """Remove a source entered by mistake, which no event cites (`removals`).

        Returns its last state; its history, the removal with `reason` included, is kept.
        """

        def find(session: Session) -> tuple[Any, RecordType, str, SourcePublic]:
            row = self._source_row(session, key, lock=True)
            removals.check_source(session, row)
            texts.remove(session, row)
            return row, RecordType.SOURCE, row.key, self._source_public(row)

        return self._remove(find, reason, by)

    def _remove(
        self,
        find: Callable[[Session], tuple[Any, RecordType, str, PublicT]],
        reason: str,
        by: str | None,
    ) -> PublicT:
        """Delete the row `find` locks and checks, and record the removal with its last
        state, in one transaction."""
        _check_reason(reason)

        def work(session: Session) -> PublicT:
            row, kind, record, public = find(session)
            session.delete(row)
            try:
                session.flush()
            except sa.exc.IntegrityError:
                # Another writer referred to it between the check and the delete.
                raise Referenced(
                    f"{kind} {record!r} cannot be removed: a record referring to it was "
                    "added meanwhile; see registry history"
                ) from None
            self._log(session, kind, record, ChangeAction.REMOVE, public, None, reason, by)
            return public

        return self._write(work)

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

    def _log_creation(
        self, session: Session, kind: RecordType, record: str, public: BaseModel, by: str | None
    ) -> None:
        """The `create` entry of a record just inserted (an event's with its citations)."""
        self._log(
            session, kind, record, ChangeAction.CREATE, None, public, None, by,
            added=history.created(public),
        )  # fmt: skip

    def _log(
        self,
        session: Session,
        record_type: RecordType,
        record: str,
        action: ChangeAction,
        before: BaseModel | None,
        after: BaseModel | None,
        reason: str | None,
        by: str | None,
        added: Mapping[str, Any] | None = None,
    ) -> None:
        """Write a history entry, made the way this registry was opened for (`how`)."""
        if record_type in (RecordType.EVENT, RecordType.SOURCE) and after is not None:
            session.info.setdefault(_CHANGED, {}).setdefault(record_type, set()).add(record)
        history.log(
            session, record_type, record, action, before, after,
            reason=reason, by=by, how=self.how, at=utcnow(), added=added,
        )  # fmt: skip

    def merge(
        self,
        *,
        sites: Iterable[SiteCreate] = (),
        monuments: Iterable[MonumentCreate] = (),
        sources: Iterable[SourceCreate] = (),
        events: Iterable[DamageEventCreate] = (),
        by: str | None = None,
    ) -> MergeReport:
        """Add the records the registry lacks, in one transaction, and keep those it has.

        Records are matched by site slug, monument slug within its site, source key and
        event uid; a record already present is left as it is. An event already present
        gains the citations it lacks (a citation is matched by its source and quote), so
        that merging the same records twice changes nothing. History records each
        creation and each citation added, by `by`.
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
                    self._insert_site(session, site, by=by)
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
                    self._insert_monument(session, monument, by=by)
                    report.added["monuments"] += 1
            for source in sources:
                if session.exec(select(Source.id).where(Source.key == source.key)).first():
                    report.existing["sources"] += 1
                else:
                    self._insert_source(session, source, by=by)
                    report.added["sources"] += 1
            for event in events:
                row = session.exec(
                    select(DamageEvent).where(DamageEvent.uid == str(event.uid))
                ).first()
                if row is None:
                    self._insert_event(session, event, by=by)
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
                for citation in event.citations:
                    if (citation.source, citation.quote) in held:
                        report.existing["citations"] += 1
                        continue
                    before = reads.events_public(session, EVENT_TABLE.c.id == row.id)[0]
                    source_row = self._source_row(session, citation.source)
                    session.add(self._citation_row(citation, row.id, source_row, utcnow()))
                    session.flush()
                    after = reads.events_public(session, EVENT_TABLE.c.id == row.id)[0]
                    self._log(
                        session, RecordType.EVENT, row.uid, ChangeAction.CITE, before, after,
                        None, by, added={"citation": after.citations[-1].model_dump(mode="json")},
                    )  # fmt: skip
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
