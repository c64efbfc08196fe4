"""The library API: open a registry, add, get and list its records.

    >>> from heritage_registry import Registry
    >>> reg = Registry.open("sqlite:///my.db")      # creates and migrates if new
    >>> reg.add_site(slug="palmyra", name="Palmyra", country="SY")

Every write runs in one transaction: it commits whole or leaves the database as it
was. Input is validated by the `*Create` models; problems raise the small exceptions
of `heritage_registry.errors`, whose messages say what to fix.

`Registry` is a facade: it opens the database, runs each write in its transaction
(`_write`, with the history entry `_log` makes) and delegates the rest to a module per
concept: `additions` (new records and citations, `merge`), `corrections` (updates,
retractions, sources' texts), `removals`, `merges` (duplicate events folded),
`duplicates`, `reads` (lists, streams, frames), `history` and `lookups`.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, func, select

from heritage_registry import (
    additions,
    arguments,
    confidence,
    corrections,
    db,
    duplicates,
    history,
    lookups,
    merges,
    reads,
    removals,
    schema,
    texts,
)

# Their home before `additions`: the exchange imports them from here.
from heritage_registry.additions import RECORD_KINDS as RECORD_KINDS
from heritage_registry.additions import MergeReport as MergeReport
from heritage_registry.arguments import validate
from heritage_registry.duplicates import DuplicatePair
from heritage_registry.models import (
    CITATION_TABLE,
    EVENT_TABLE,
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
    aware,
    utcnow,
)
from heritage_registry.reads import SiteRecords
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

T = TypeVar("T")
# The session key of the events and sources a write changed, by record type (`_log`).
_CHANGED = "heritage_registry_changed"
WRITE_ATTEMPTS = 6


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

    @staticmethod
    def _now() -> dt.datetime:
        """The time a write records, read from this module's `utcnow` by every module
        that writes for the registry: one clock, which a test may set here."""
        return utcnow()

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
            lambda session: self._site_public(additions.insert_site(self, session, data, by=by))
        )

    def get_site(self, slug: str) -> SitePublic:
        """The site `slug`; `SiteNotFound` (with the nearest slug) if there is none."""
        with self.transaction() as session:
            return self._site_public(lookups.site_row(session, slug))

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
                additions.insert_monument(self, session, data, by=by), data.site
            )
        )

    def get_monument(self, site: str, slug: str) -> MonumentPublic:
        """The monument `slug` of the site `site`; `MonumentNotFound` if it has none."""
        with self.transaction() as session:
            site_row = lookups.site_row(session, site)
            return self._monument_public(
                lookups.monument_row(session, site_row, slug), site_row.slug
            )

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
            lambda session: self._source_public(additions.insert_source(self, session, data, by=by))
        )

    def get_source(self, key: str) -> SourcePublic:
        """The source `key`; `SourceNotFound` (with the nearest key) if there is none."""
        with self.transaction() as session:
            return self._source_public(lookups.source_row(session, key))

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
        data = additions.event_input(event, fields)
        return self._write(lambda session: additions.insert_event(self, session, data, by=by)[1])

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
        return additions.cite(self, uid, data, by=by)

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
        return corrections.update_site(self, slug, changes, reason=reason, by=by)

    def update_monument(
        self, site: str, slug: str, /, *, reason: str, by: str | None = None, **changes: Any
    ) -> MonumentPublic:
        """Correct a monument's values; the old and new state go into its history."""
        return corrections.update_monument(self, site, slug, changes, reason=reason, by=by)

    def update_source(
        self, key: str, /, *, reason: str, by: str | None = None, **changes: Any
    ) -> SourcePublic:
        """Correct a source's values; the old and new state go into its history."""
        return corrections.update_source(self, key, changes, reason=reason, by=by)

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
        return corrections.attach_text(
            self, key, text, retrieved=retrieved, url=url, archived_url=archived_url,
            sha256=sha256, by=by,
        )  # fmt: skip

    def source_text(self, key: str) -> SourceTextPublic | None:
        """What source `key` keeps of its text (hash, dates, addresses), if anything."""
        with self.transaction() as session:
            return texts.kept(session, lookups.source_row(session, key))

    def text_of(self, key: str) -> str | None:
        """The text source `key` keeps, if it keeps one (not only an original's hash)."""
        with self.transaction() as session:
            return texts.stored_text(session, lookups.source_row(session, key))

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
        return corrections.update_event(self, uid, changes, reason=reason, by=by)

    def retract_event(self, uid: str, *, reason: str, by: str | None = None) -> DamageEventPublic:
        """Withdraw an event: kept, shown as retracted, left out of counts; with the reason."""
        return corrections.retract_event(self, uid, reason=reason, by=by)

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
            return history.of_named(session, kind, record)

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
        return removals.remove_site(self, slug, reason=reason, by=by)

    def remove_monument(
        self, site: str, slug: str, *, reason: str, by: str | None = None
    ) -> MonumentPublic:
        """Remove a monument entered by mistake, to which nothing refers (`removals`).

        Returns its last state; its history, the removal with `reason` included, is kept.
        """
        return removals.remove_monument(self, site, slug, reason=reason, by=by)

    def remove_source(self, key: str, *, reason: str, by: str | None = None) -> SourcePublic:
        """Remove a source entered by mistake, which no event cites (`removals`).

        Returns its last state; its history, the removal with `reason` included, is kept.
        """
        return removals.remove_source(self, key, reason=reason, by=by)

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
        that merging the same records twice changes nothing; each is checked as `cite`
        checks it, and a merged event's go to the event it leads to, as `cite` adds them.
        History records each creation and each citation added, by `by`.
        """
        return additions.merge(
            self, sites=sites, monuments=monuments, sources=sources, events=events, by=by
        )
