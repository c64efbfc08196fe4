"""Corrections: a record's values changed after the fact, each change with its reason.

`update_site`, `update_monument`, `update_source` and `update_event` take the fields to
change, only those of the kind's `*_CHANGES` (the slug, key or uid that names a record
stays), and validate the record as it would be with the `*Create` model that added it;
a correction that changes nothing is refused. `retract_event` withdraws an event: it is
kept, shown as retracted and left out of counts. `attach_text` keeps the text a source
was read from; a text replaced is a correction in the source's history.

Each is one transaction that reads the record locked (`lookups.locked`) and writes
its state before and after into its history, with the reason and who gave it. A merged
event is not corrected: the event it was merged into is (`merges.refuse_merged`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, col, select

from heritage_registry import lookups, merges, reads, texts
from heritage_registry.arguments import check_reason, refuse_too_early, validate
from heritage_registry.errors import InvalidRecord
from heritage_registry.models import (
    EVENT_TABLE,
    DamageEvent,
    DamageEventCreate,
    DamageEventPublic,
    MonumentCreate,
    MonumentPublic,
    SiteCreate,
    SitePublic,
    Source,
    SourceCitation,
    SourceCreate,
    SourcePublic,
    SourceTextPublic,
    SourceWithText,
    built_years,
    occurred_span,
    published_span,
)
from heritage_registry.vocab import ChangeAction, RecordType

if TYPE_CHECKING:
    from heritage_registry.registry import Registry

SITE_CHANGES = frozenset(set(SiteCreate.model_fields) - {"slug"})
MONUMENT_CHANGES = frozenset(set(MonumentCreate.model_fields) - {"slug", "site"})
SOURCE_CHANGES = frozenset(set(SourceCreate.model_fields) - {"key"})
EVENT_CHANGES = frozenset({"monument", "cause", "damage_level", "occurred", "actor", "description"})


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


def _apply(registry: Registry, row: Any, values: Mapping[str, Any], what: str) -> None:
    """Set the values that differ; refuse a correction that changes nothing."""
    differing = {name: value for name, value in values.items() if getattr(row, name) != value}
    if not differing:
        raise InvalidRecord(f"no change: {what} has these values already")
    for name, value in differing.items():
        setattr(row, name, value)
    row.updated_at = registry._now()
    session = sa.orm.object_session(row)
    assert session is not None
    session.add(row)
    session.flush()


def update_site(
    registry: Registry, slug: str, changes: dict[str, Any], *, reason: str, by: str | None
) -> SitePublic:
    """Correct the site `slug` (`Registry.update_site`)."""
    check_reason(reason)
    _check_changes("site", changes, SITE_CHANGES)

    def work(session: Session) -> SitePublic:
        row = lookups.site_row(session, slug, lock=True)
        before = registry._site_public(row)
        data = validate(SiteCreate, _current(before) | changes, {}, "site")
        values = data.model_dump(exclude={"alt_names"}) | {
            "alt_names": [name.model_dump() for name in data.alt_names]
        }
        _apply(registry, row, values, f"site {slug!r}")
        after = registry._site_public(row)
        registry._log(
            session, RecordType.SITE, slug, ChangeAction.UPDATE, before, after, reason, by
        )
        return after

    return registry._write(work)


def update_monument(
    registry: Registry,
    site: str,
    slug: str,
    changes: dict[str, Any],
    *,
    reason: str,
    by: str | None,
) -> MonumentPublic:
    """Correct the monument `slug` of the site `site` (`Registry.update_monument`)."""
    check_reason(reason)
    _check_changes("monument", changes, MONUMENT_CHANGES)

    def work(session: Session) -> MonumentPublic:
        site_row = lookups.site_row(session, site)
        row = lookups.monument_row(session, site_row, slug, lock=True)
        before = registry._monument_public(row, site_row.slug)
        current = _current(before, "built_from_year", "built_to_year")
        data = validate(MonumentCreate, current | changes, {}, "monument")
        values = (
            data.model_dump(exclude={"alt_names", "site"})
            | {"alt_names": [name.model_dump() for name in data.alt_names]}
            | built_years(data.built)
        )
        _apply(registry, row, values, f"monument {slug!r} of site {site!r}")
        after = registry._monument_public(row, site_row.slug)
        key = f"{site_row.slug}/{slug}"
        registry._log(
            session, RecordType.MONUMENT, key, ChangeAction.UPDATE, before, after, reason, by
        )
        return after

    return registry._write(work)


def update_source(
    registry: Registry, key: str, changes: dict[str, Any], *, reason: str, by: str | None
) -> SourcePublic:
    """Correct the source `key` (`Registry.update_source`)."""
    check_reason(reason)
    _check_changes("source", changes, SOURCE_CHANGES)

    def work(session: Session) -> SourcePublic:
        row = lookups.source_row(session, key, lock=True)
        before = registry._source_public(row)
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
                refuse_too_early(
                    f"source (it reports event {latest[0]})", latest[1], row.key, data.published
                )
        values = data.model_dump() | published_span(data.published)
        _apply(registry, row, values, f"source {key!r}")
        after = registry._source_public(row)
        registry._log(
            session, RecordType.SOURCE, key, ChangeAction.UPDATE, before, after, reason, by
        )
        return after

    return registry._write(work)


def attach_text(
    registry: Registry,
    key: str,
    text: str | None,
    *,
    retrieved: dt.date | str | None,
    url: str | None,
    archived_url: str | None,
    sha256: str | None,
    by: str | None,
) -> SourceTextPublic:
    """Keep the text (or the hash) of the source `key` (`Registry.attach_text`)."""

    def work(session: Session) -> SourceTextPublic:
        row = lookups.source_row(session, key, lock=True)
        before, after = texts.attach(
            session, row, text=text, sha256=sha256, retrieved=retrieved, url=url,
            archived_url=archived_url,
        )  # fmt: skip
        if after is None:
            assert before is not None
            return before
        # The source changed with its text: summaries and feeds see it as of now.
        row.updated_at = registry._now()
        session.add(row)
        session.flush()
        source = registry._source_public(row)
        registry._log(
            session, RecordType.SOURCE, row.key, ChangeAction.UPDATE,
            SourceWithText(**dict(source), text=before),
            SourceWithText(**dict(source), text=after),
            "text replaced" if before is not None else "text attached", by,
        )  # fmt: skip
        return after

    return registry._write(work)


def update_event(
    registry: Registry, uid: str, changes: dict[str, Any], *, reason: str, by: str | None
) -> DamageEventPublic:
    """Correct the event `uid`, its citations left as they are (`Registry.update_event`)."""
    check_reason(reason)
    _check_changes("event", changes, EVENT_CHANGES)

    def work(session: Session) -> DamageEventPublic:
        row = lookups.event_row(session, uid, lock=True)
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
                refuse_too_early("event", data.occurred, key, published)
        site = lookups.site_row(session, data.site)
        monument = lookups.monument_row(session, site, data.monument) if data.monument else None
        values = (
            data.model_dump(include=set(EVENT_CHANGES) - {"monument"})
            | {"monument_id": monument.id if monument else None}
            | occurred_span(data.occurred)
        )
        _apply(registry, row, values, f"event {row.uid}")
        after = reads.events_public(session, EVENT_TABLE.c.id == row.id)[0]
        registry._log(
            session, RecordType.EVENT, row.uid, ChangeAction.UPDATE, before, after, reason, by
        )
        return after

    return registry._write(work)


def retract_event(
    registry: Registry, uid: str, *, reason: str, by: str | None
) -> DamageEventPublic:
    """Withdraw the event `uid`, keeping it (`Registry.retract_event`)."""
    check_reason(reason, "a retraction")

    def work(session: Session) -> DamageEventPublic:
        row = lookups.event_row(session, uid, lock=True)
        merges.refuse_merged(session, row, "retract")
        if row.retracted_at is not None:
            raise InvalidRecord(
                f"event {row.uid} was retracted already ({row.retraction_reason}); nothing to do"
            )
        before = reads.events_public(session, EVENT_TABLE.c.id == row.id)[0]
        now = registry._now()
        row.retracted_at = now
        row.retraction_reason = reason.strip()
        row.updated_at = now
        session.add(row)
        session.flush()
        after = reads.events_public(session, EVENT_TABLE.c.id == row.id)[0]
        registry._log(
            session, RecordType.EVENT, row.uid, ChangeAction.RETRACT, before, after, reason, by
        )
        return after

    return registry._write(work)
