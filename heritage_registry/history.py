"""History: the entries that record how each record came, changed and went, and the feed.

Every write leaves an entry in the `change` table in the transaction that makes it:
the creation of a record (by a command, the library, an import or the seed), each
correction, retraction, citation and merge, and the removal of a record entered by
mistake. An entry holds the record's whole state before and after (`old`, `new`), who
made it, how, when and why. `registry history` reads one record's entries oldest first,
or the registry's newest first: the feed from which a downstream copy keeps current.
"""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from heritage_registry import db, lookups
from heritage_registry.errors import (
    InvalidRecord,
    MonumentNotFound,
    SiteNotFound,
    SourceNotFound,
)
from heritage_registry.models import (
    NAME_MAX,
    Change,
    ChangePublic,
    DamageEventPublic,
    aware,
    no_controls,
    trusted,
)
from heritage_registry.vocab import ChangeAction, ChangeHow, RecordType


def who(by: str | None) -> str:
    """Who made a change: as given, else the operating-system user."""
    if by is not None:
        by = by.strip()
        if not by or len(by) > NAME_MAX or not db.storable(by):
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


def snapshot(record: BaseModel) -> dict[str, Any]:
    """A record's state for its history: its Public form, less the time it last changed.

    An event's citations are counted, not copied: a citation is never edited or removed
    and carries the time it was recorded, and the `cite` entry that added it holds it
    whole (as the `create` entry holds those the event came with). Copying them all into
    every entry would make the n-th citation of an event write n quotes twice, so that
    history grew with the square of the citations.
    """
    state = record.model_dump(mode="json", exclude={"updated_at", "citations"})
    if isinstance(record, DamageEventPublic):
        state["citation_count"] = len(record.citations)
    return state


def created(record: BaseModel) -> dict[str, Any]:
    """What a `create` entry adds beside the state: an event's citations, whole."""
    if isinstance(record, DamageEventPublic):
        return {"citations": [citation.model_dump(mode="json") for citation in record.citations]}
    return {}


def log(
    session: Session,
    record_type: RecordType,
    record: str,
    action: ChangeAction,
    before: BaseModel | None,
    after: BaseModel | None,
    *,
    reason: str | None,
    by: str | None,
    how: ChangeHow,
    at: dt.datetime,
    added: Mapping[str, Any] | None = None,
) -> None:
    """Write a history entry made at `at` (the time the write gave the record itself);
    `added` names what the change added beside the state."""
    new = None if after is None else snapshot(after) | dict(added or {})
    session.add(
        Change(
            record_type=record_type,
            record=record,
            action=action,
            old=snapshot(before) if before is not None else None,
            new=new,
            reason=reason.strip() if reason else None,
            changed_by=who(by),
            how=how,
            changed_at=at,
        )
    )
    session.flush()


def creation_rows(
    entries: Iterable[tuple[RecordType, str, dict[str, Any]]],
    *,
    by: str,
    how: ChangeHow,
    at: dt.datetime,
) -> list[dict[str, Any]]:
    """`create` entries as rows for a bulk insert (the import's write pass).

    Each of `entries` is a record's type, name and state as `snapshot` (with `created`)
    would make it; `by` has been through `who` once for all of them.
    """
    return [
        {
            "record_type": record_type.value,
            "record": record,
            "action": ChangeAction.CREATE.value,
            "old": None,
            "new": state,
            "reason": None,
            "changed_by": by,
            "how": how.value,
            "changed_at": at,
        }
        for record_type, record, state in entries
    ]


def public(row: Change) -> ChangePublic:
    """An entry as the library returns it (times always with their zone)."""
    return trusted(
        ChangePublic,
        record_type=row.record_type,
        record=row.record,
        action=row.action,
        reason=row.reason,
        changed_by=row.changed_by,
        how=row.how,
        old=row.old,
        new=row.new,
        changed_at=aware(row.changed_at),
    )


def of_record(session: Session, record_type: RecordType, record: str) -> list[ChangePublic]:
    """Every entry about one record, oldest first (a removed record's included)."""
    rows = session.exec(
        select(Change)
        .where(Change.record_type == record_type, Change.record == record)
        .order_by(col(Change.id))
    ).all()
    return [public(row) for row in rows]


def recorded(session: Session, record_type: RecordType, record: str) -> bool:
    """Whether history holds any entry about the record (one since removed, say)."""
    query = select(Change.id).where(Change.record_type == record_type, Change.record == record)
    return session.exec(query.limit(1)).first() is not None


def of_named(session: Session, record_type: RecordType, record: str) -> list[ChangePublic]:
    """`of_record` for a record named as a person names it (an event by the beginning of
    its uid too); NotFound if it is neither in the registry nor in its history."""
    try:
        record = _name_in_history(session, record_type, record)
    except (SiteNotFound, MonumentNotFound, SourceNotFound):
        if not db.storable(record) or not recorded(session, record_type, record):
            raise
    return of_record(session, record_type, record)


def _name_in_history(session: Session, record_type: RecordType, record: str) -> str:
    """The record's name in its history (an event's whole uid); NotFound if none."""
    if record_type is RecordType.SITE:
        lookups.site_row(session, record)
    elif record_type is RecordType.MONUMENT:
        site, _, slug = record.partition("/")
        lookups.monument_row(session, lookups.site_row(session, site), slug)
    elif record_type is RecordType.SOURCE:
        lookups.source_row(session, record)
    else:
        return lookups.event_row(session, record).uid
    return record


def since_time(value: dt.datetime | dt.date | str | None) -> dt.datetime | None:
    """The start of a feed window: a time, or a day (from its first moment, UTC).

    A time without a zone is taken as UTC, the zone every entry is written in.
    """
    if value is None or isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())
    else:
        text = value.strip()
        try:
            moment = dt.datetime.fromisoformat(text)
        except ValueError:
            raise InvalidRecord(
                f"since: {text!r} is not a date or time; give one such as 2026-12-01 "
                "or 2026-12-01T09:30:00Z"
            ) from None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def feed_query(
    *,
    since: dt.datetime | dt.date | str | None = None,
    by: str | None = None,
    record_type: RecordType | None = None,
    limit: int | None = None,
) -> SelectOfScalar[Change]:
    """The registry's entries, newest first: those at or after `since`, made by `by`, of
    `record_type`, the newest `limit`; the statement `Registry.iter_changes` streams,
    its arguments checked."""
    if limit is not None and limit < 1:
        raise InvalidRecord(f"limit: give a number of entries of 1 or more, not {limit}")
    query = select(Change).order_by(col(Change.changed_at).desc(), col(Change.id).desc())
    start = since_time(since)
    if start is not None:
        query = query.where(col(Change.changed_at) >= start)
    if by is not None:
        query = query.where(Change.changed_by == by.strip())
    if record_type is not None:
        query = query.where(Change.record_type == record_type)
    if limit is not None:
        query = query.limit(limit)
    return query
