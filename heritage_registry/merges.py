"""Merges: one incident recorded as two events, folded into one of them.

`merge_events(registry, keep, other, reason=..., by=...)` moves OTHER's citations to KEEP,
dropping each that repeats one of KEEP's own (the same source, quote and location:
`duplicates.citation_identity`), and marks OTHER merged: it is kept, never deleted, with a
pointer to KEEP, the time and the reason, and counted nowhere. Both events' histories
gain a `merge` entry with their state before and after; a dropped citation is kept whole
in OTHER's entry. All of it is one transaction, with both events locked in uid order.

A moved citation that mentions KEEP's own monument no longer mentions it: the quote is
now evidence of that monument's own event (a mention names another monument).

OTHER's uid keeps leading to KEEP (DOMAIN.md): `trail(registry, uid)` gives the event and
each event it was merged into, in turn, ending with the live one; `Registry.cite` of a
merged uid cites that one, and an import adds a merged uid's citations to it. Merges
never form a circle: only a live event is merged, and only into a live event.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from heritage_registry import lookups, reads
from heritage_registry.arguments import check_reason
from heritage_registry.duplicates import citation_identity
from heritage_registry.errors import InvalidRecord
from heritage_registry.models import (
    CITATION_TABLE,
    EVENT_TABLE,
    DamageEvent,
    DamageEventPublic,
    Site,
    Source,
    reported_too_early,
)
from heritage_registry.vocab import ChangeAction, RecordType

if TYPE_CHECKING:
    from heritage_registry.registry import Registry


@dataclass(frozen=True)
class Merged:
    """What a merge did: KEEP (`event`) and OTHER (`merged`) as they are now, and how
    many of OTHER's citations moved to KEEP or were dropped as repeats of KEEP's own."""

    event: DamageEventPublic
    merged: DamageEventPublic
    moved: int
    dropped: int


def merge_events(
    registry: Registry, keep: str, other: str, *, reason: str, by: str | None = None
) -> Merged:
    """Fold the event `other` into `keep`, in one transaction (see the module)."""
    check_reason(reason, "a merge")
    if keep == other:
        raise InvalidRecord(
            f"cannot merge event {keep} into itself; name the event to keep, then its duplicate"
        )

    def work(session: Session) -> Merged:
        # Either may be given by the beginning of its uid: locked in the order of the whole
        # uids, so that two merges of the same events wait for each other rather than
        # each holding one.
        uids = {given: lookups.event_row(session, given).uid for given in (keep, other)}
        if uids[keep] == uids[other]:
            # Two beginnings of one uid.
            raise InvalidRecord(
                f"cannot merge event {uids[keep]} into itself; name the event to keep, then "
                "its duplicate"
            )
        # A locking read refreshes a row read before: another merge may have changed it.
        rows = {uid: lookups.event_row(session, uid, lock=True) for uid in sorted(uids.values())}
        keep_row, other_row = rows[uids[keep]], rows[uids[other]]
        _refuse(session, keep_row, other_row)
        before_keep, before_other = _publics(registry, session, keep_row, other_row)
        _refuse_too_early(session, before_keep, before_other)
        moved, dropped = _move_citations(session, keep_row, other_row, before_keep, before_other)
        now = registry._now()
        other_row.merged_into_id = keep_row.id
        other_row.merged_at = now
        other_row.merge_reason = reason.strip()
        other_row.updated_at = now
        # KEEP's citations changed: a summary dated by its latest change must move.
        keep_row.updated_at = now
        session.add_all([keep_row, other_row])
        session.flush()
        after_keep, after_other = _publics(registry, session, keep_row, other_row)
        registry._log(
            session, RecordType.EVENT, other_row.uid, ChangeAction.MERGE, before_other, after_other,
            reason, by, added={"dropped_citations": dropped} if dropped else None,
        )  # fmt: skip
        registry._log(
            session, RecordType.EVENT, keep_row.uid, ChangeAction.MERGE, before_keep, after_keep,
            reason, by, added={"merged_from": other_row.uid},
        )  # fmt: skip
        return Merged(event=after_keep, merged=after_other, moved=moved, dropped=len(dropped))

    return registry._write(work)


def _refuse(session: Session, keep: DamageEvent, other: DamageEvent) -> None:
    """Refuse a merge that would fold a merged or retracted event, or cross sites."""
    if other.merged_into_id is not None:
        target = live_row(session, other).uid
        if target == keep.uid:
            raise InvalidRecord(
                f"event {other.uid} was merged into {keep.uid} already; nothing to do"
            )
        raise InvalidRecord(
            f"event {other.uid} was merged into {target} already; to fold them all into one, "
            f"merge {target} into {keep.uid}"
        )
    if keep.merged_into_id is not None:
        target = live_row(session, keep).uid
        if target == other.uid:
            raise InvalidRecord(
                f"event {keep.uid} was merged into {other.uid} already; nothing to do"
            )
        raise InvalidRecord(
            f"event {keep.uid} was merged into {target}; merge {other.uid} into {target} instead"
        )
    if keep.retracted_at is not None:
        raise InvalidRecord(
            f"event {keep.uid} is retracted; merge {other.uid} into an event that is not"
        )
    if other.retracted_at is not None:
        raise InvalidRecord(
            f"event {other.uid} is retracted; a retracted event is not merged, its citations "
            "stay with it"
        )
    if keep.site_id != other.site_id:
        ids = [keep.site_id, other.site_id]
        slugs = dict(session.exec(select(Site.id, Site.slug).where(col(Site.id).in_(ids))).all())
        raise InvalidRecord(
            f"event {keep.uid} is at site {slugs[keep.site_id]!r} and event {other.uid} at "
            f"site {slugs[other.site_id]!r}; merge only events of the same site"
        )


def _refuse_too_early(session: Session, keep: DamageEventPublic, other: DamageEventPublic) -> None:
    """Refuse to move to KEEP a citation of a source published before KEEP's date begins:
    no source reports what had not yet happened (`models.reported_too_early`)."""
    keys = {citation.source for citation in other.citations}
    if not keys:
        return
    query = select(Source.key, Source.published).where(col(Source.key).in_(keys))
    published = dict(session.exec(query).all())
    for key in sorted(keys):
        problem = reported_too_early(keep.occurred, key, published[key])
        if problem is not None:
            raise InvalidRecord(
                f"cannot merge event {other.uid} into {keep.uid}: {problem}, or merge "
                f"{keep.uid} into {other.uid}"
            )


def _publics(registry: Registry, session: Session, *rows: DamageEvent) -> list[DamageEventPublic]:
    """The Public forms of `rows`, in their order."""
    found = {
        event.uid: event
        for event in reads.events_public(session, EVENT_TABLE.c.id.in_([r.id for r in rows]))
    }
    return [found[row.uid] for row in rows]


def _move_citations(
    session: Session,
    keep: DamageEvent,
    other: DamageEvent,
    before_keep: DamageEventPublic,
    before_other: DamageEventPublic,
) -> tuple[int, list[dict[str, Any]]]:
    """Move OTHER's citations to KEEP, dropping repeats of KEEP's: (moved, dropped ones)."""
    connection = session.connection()
    citations = CITATION_TABLE
    # In citation order, as the Public form lists them.
    ids = list(
        connection.execute(
            sa.select(citations.c.id)
            .where(citations.c.event_id == other.id)
            .order_by(citations.c.id)
        ).scalars()
    )
    held = {citation_identity(citation) for citation in before_keep.citations}
    moved: list[int] = []
    dropped: list[int] = []
    kept_dumps: list[dict[str, Any]] = []
    unmentioned: list[tuple[int, list[str]]] = []
    for citation_id, citation in zip(ids, before_other.citations, strict=True):
        identity = citation_identity(citation)
        if identity in held:
            dropped.append(citation_id)
            kept_dumps.append(citation.model_dump(mode="json"))
            continue
        held.add(identity)
        moved.append(citation_id)
        if before_keep.monument is not None and before_keep.monument in citation.mentions:
            others = [slug for slug in citation.mentions if slug != before_keep.monument]
            unmentioned.append((citation_id, others))
    if moved:
        connection.execute(
            sa.update(citations).where(citations.c.id.in_(moved)).values(event_id=keep.id)
        )
    for citation_id, mentions in unmentioned:
        connection.execute(
            sa.update(citations).where(citations.c.id == citation_id).values(mentions=mentions)
        )
    if dropped:
        connection.execute(sa.delete(citations).where(citations.c.id.in_(dropped)))
    return len(moved), kept_dumps


def live_row(session: Session, row: DamageEvent, *, lock: bool = False) -> DamageEvent:
    """The live event `row` leads to: itself, or the end of its chain of merges."""
    seen = {row.id}
    while row.merged_into_id is not None:
        query = select(DamageEvent).where(DamageEvent.id == row.merged_into_id)
        row = session.exec(query.with_for_update() if lock else query).one()
        if row.id in seen:
            raise AssertionError(f"event {row.uid} is merged in a circle")
        seen.add(row.id)
    return row


def trail(registry: Registry, uid: str) -> list[DamageEventPublic]:
    """The event `uid` and each event it was merged into, in turn: the last is live."""
    with registry.transaction() as session:
        rows = [lookups.event_row(session, uid)]
        seen = {rows[0].id}
        while rows[-1].merged_into_id is not None:
            row = session.exec(
                select(DamageEvent).where(DamageEvent.id == rows[-1].merged_into_id)
            ).one()
            if row.id in seen:
                raise AssertionError(f"event {row.uid} is merged in a circle")
            seen.add(row.id)
            rows.append(row)
        return _publics(registry, session, *rows)


def refuse_merged(session: Session, row: DamageEvent, doing: str) -> None:
    """Refuse to change a merged event: the change is for the event it leads to."""
    if row.merged_into_id is not None:
        target = live_row(session, row).uid
        raise InvalidRecord(f"event {row.uid} was merged into {target}; {doing} {target} instead")


def notes(trail: Sequence[DamageEventPublic], doing: str) -> list[str]:
    """One line per merge a uid was followed through, the last saying what is done:
    `event A was merged into B on 2026-01-02: one report; showing B`."""
    lines = []
    for merged, into in itertools.pairwise(trail):
        when = merged.merged_at.date().isoformat() if merged.merged_at else "an unknown date"
        reason = " ".join((merged.merge_reason or "no reason given").split())
        lines.append(f"event {merged.uid} was merged into {into.uid} on {when}: {reason}")
    if lines:
        lines[-1] += f"; {doing} {trail[-1].uid}"
    return lines
