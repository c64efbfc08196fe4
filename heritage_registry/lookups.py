"""Lookups: the row a person's name for a record gives, or an error naming the nearest.

A site is named by its slug, a monument by its slug within its site, a source by its
key and an event by its uid or the beginning of one (`event_row`). Each takes the
session of the transaction that reads or writes and, with `lock`, locks the row until
it ends (`locked`): what every writer that derives a record's new state from its old
one does. A name that names nothing is `*NotFound` with the names nearest to it.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from heritage_registry import db
from heritage_registry.errors import (
    AmbiguousUid,
    EventNotFound,
    MonumentNotFound,
    SiteNotFound,
    SourceNotFound,
)
from heritage_registry.models import DamageEvent, Monument, Site, Source

SelectT = TypeVar("SelectT", bound=sa.Select[Any])
# A uid may be shortened, like a git commit, to a prefix of this many characters or more
# that begins one event's uid alone.
UID_PREFIX_MIN = 4
_UID_PREFIX = re.compile(r"[0-9a-f-]+")
AMBIGUOUS_SHOWN = 5


def locked(query: SelectT, lock: bool) -> SelectT:
    """`query`, locking the rows it reads until the transaction ends when `lock` is set.

    Every correction reads a record, derives the new state from it and writes both into
    the history. On PostgreSQL (READ COMMITTED) two such writers would both read the
    same old state and the second would overwrite the first unseen; `FOR UPDATE` makes
    the second wait and then read the first one's result. SQLite renders no `FOR
    UPDATE`: there a write transaction holds the whole database from its `BEGIN
    IMMEDIATE`, which serialises the writers already.
    """
    return query.with_for_update() if lock else query


def site_row(session: Session, slug: str, *, lock: bool = False) -> Site:
    """The site `slug`; `SiteNotFound`, naming the nearest slugs, if there is none."""
    row = (
        session.exec(locked(select(Site).where(Site.slug == slug), lock)).first()
        if db.storable(slug)
        else None
    )
    if row is None:
        raise SiteNotFound(slug, session.exec(select(Site.slug)).all())
    return row


def monument_row(session: Session, site: Site, slug: str, *, lock: bool = False) -> Monument:
    """The monument `slug` of `site`; `MonumentNotFound`, naming the site's nearest, if
    it has none."""
    query = select(Monument).where(Monument.site_id == site.id, Monument.slug == slug)
    row = session.exec(locked(query, lock)).first() if db.storable(slug) else None
    if row is None:
        others = session.exec(select(Monument.slug).where(Monument.site_id == site.id)).all()
        raise MonumentNotFound(slug, others, scope=f"site {site.slug!r}")
    return row


def source_row(session: Session, key: str, *, lock: bool = False) -> Source:
    """The source `key`; `SourceNotFound`, naming the nearest keys, if there is none."""
    row = (
        session.exec(locked(select(Source).where(Source.key == key), lock)).first()
        if db.storable(key)
        else None
    )
    if row is None:
        raise SourceNotFound(key, session.exec(select(Source.key)).all())
    return row


def event_row(session: Session, uid: str, *, lock: bool = False) -> DamageEvent:
    """The event `uid`, or the one event whose uid begins with it (at least 4 characters).

    A prefix is looked up as a range of the uid column's index (every uid is a
    lower-case UUID, so each uid beginning with `p` lies in [p, p + "g")), never by
    reading every uid; nor is a uid that names no event.
    """
    if not db.storable(uid):
        raise EventNotFound(uid)
    query = select(DamageEvent).where(DamageEvent.uid == uid)
    row = session.exec(locked(query, lock)).first()
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
            return event_row(session, found[0], lock=lock)
    # The uids either side of it in the index: a mistyped character is one of them.
    after = select(DamageEvent.uid).where(uids > uid).order_by(uids).limit(3)
    before = select(DamageEvent.uid).where(uids < uid).order_by(uids.desc()).limit(3)
    raise EventNotFound(uid, [*session.exec(before).all(), *session.exec(after).all()])
