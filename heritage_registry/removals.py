"""Removing a record entered by mistake: only while nothing in the registry refers to it.

A site, monument or source added in error (a typo in a slug, a source entered twice)
would otherwise stay in every list for good. It may be removed while no other record
refers to it; its history is kept, the removal included, with the record's last state
and the reason. Anything referenced is refused with what refers to it: an event's
citations are never removed, so a cited source stays, and a monument that events record
damage to, or that a citation mentions, stays until those events are corrected.
Events themselves are never removed: a wrong event is retracted (`retract_event`).

`remove_site(registry, slug, reason=..., by=...)`, `remove_monument` and `remove_source`
lock the record, check it with `check_site`, `check_monument` or `check_source`, and
delete it in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, col, select

from heritage_registry import lookups, texts
from heritage_registry.arguments import check_reason
from heritage_registry.errors import Referenced
from heritage_registry.models import (
    DamageEvent,
    Monument,
    MonumentPublic,
    Site,
    SitePublic,
    Source,
    SourceCitation,
    SourcePublic,
)
from heritage_registry.render import plural
from heritage_registry.vocab import ChangeAction, RecordType

if TYPE_CHECKING:
    from heritage_registry.registry import Registry

PublicT = TypeVar("PublicT", bound=BaseModel)

# How many of the referring records a refusal names before "...".
SHOWN = 5


def _named(noun: str, names: Sequence[str]) -> str:
    shown = ", ".join(names[:SHOWN]) + (", ..." if len(names) > SHOWN else "")
    return f"{plural(len(names), noun)} ({shown})"


def _short(uids: Sequence[str]) -> list[str]:
    # Eight characters name an event everywhere a uid is taken.
    return [uid[:8] for uid in uids]


def check_site(session: Session, site: Site) -> None:
    """Refuse to remove `site` while it has monuments or events."""
    monuments = session.exec(
        select(Monument.slug).where(Monument.site_id == site.id).order_by(col(Monument.slug))
    ).all()
    events = session.exec(
        select(DamageEvent.uid).where(DamageEvent.site_id == site.id).order_by(DamageEvent.uid)
    ).all()
    held = [
        *([_named("monument", monuments)] if monuments else []),
        *([_named("event", _short(events))] if events else []),
    ]
    if held:
        raise Referenced(
            f"site {site.slug!r} cannot be removed: it has {' and '.join(held)}; "
            "a site is removed only when nothing is recorded on it"
        )


def check_monument(session: Session, site: Site, monument: Monument) -> None:
    """Refuse to remove `monument` while events record it or citations mention it."""
    events = session.exec(
        select(DamageEvent.uid)
        .where(DamageEvent.monument_id == monument.id)
        .order_by(DamageEvent.uid)
    ).all()
    mentioning = sorted(
        {
            uid
            for uid, mentions in session.exec(
                select(DamageEvent.uid, SourceCitation.mentions)
                .join(DamageEvent, col(DamageEvent.id) == col(SourceCitation.event_id))
                .where(DamageEvent.site_id == site.id)
            )
            if monument.slug in (mentions or [])
        }
    )
    held = [
        *([f"{_named('event', _short(events))} recording damage to it"] if events else []),
        *(
            [f"citations of {_named('event', _short(mentioning))} mentioning it"]
            if mentioning
            else []
        ),
    ]
    if held:
        raise Referenced(
            f"monument '{site.slug}/{monument.slug}' cannot be removed: there are "
            f"{' and '.join(held)}; correct those events first (registry update-event)"
        )


def check_source(session: Session, source: Source) -> None:
    """Refuse to remove `source` while any event cites it."""
    events = session.exec(
        select(DamageEvent.uid)
        .join(SourceCitation, col(SourceCitation.event_id) == col(DamageEvent.id))
        .where(SourceCitation.source_id == source.id)
        .distinct()
        .order_by(DamageEvent.uid)
    ).all()
    if events:
        raise Referenced(
            f"source {source.key!r} cannot be removed: it is cited by "
            f"{_named('event', _short(events))}, and a citation is never removed"
        )


def remove_site(registry: Registry, slug: str, *, reason: str, by: str | None) -> SitePublic:
    """Remove the site `slug` if nothing is recorded on it (`Registry.remove_site`)."""

    def find(session: Session) -> tuple[Any, RecordType, str, SitePublic]:
        row = lookups.site_row(session, slug, lock=True)
        check_site(session, row)
        return row, RecordType.SITE, row.slug, registry._site_public(row)

    return _remove(registry, find, reason, by)


def remove_monument(
    registry: Registry, site: str, slug: str, *, reason: str, by: str | None
) -> MonumentPublic:
    """Remove the monument `slug` of the site `site` if nothing refers to it
    (`Registry.remove_monument`)."""

    def find(session: Session) -> tuple[Any, RecordType, str, MonumentPublic]:
        site_row = lookups.site_row(session, site, lock=True)
        row = lookups.monument_row(session, site_row, slug, lock=True)
        check_monument(session, site_row, row)
        public = registry._monument_public(row, site_row.slug)
        return row, RecordType.MONUMENT, f"{site_row.slug}/{row.slug}", public

    return _remove(registry, find, reason, by)


def remove_source(registry: Registry, key: str, *, reason: str, by: str | None) -> SourcePublic:
    """Remove the source `key`, and its text, if no event cites it (`Registry.remove_source`)."""

    def find(session: Session) -> tuple[Any, RecordType, str, SourcePublic]:
        row = lookups.source_row(session, key, lock=True)
        check_source(session, row)
        texts.remove(session, row)
        return row, RecordType.SOURCE, row.key, registry._source_public(row)

    return _remove(registry, find, reason, by)


def _remove(
    registry: Registry,
    find: Callable[[Session], tuple[Any, RecordType, str, PublicT]],
    reason: str,
    by: str | None,
) -> PublicT:
    """Delete the row `find` locks and checks, and record the removal with its last
    state, in one transaction."""
    check_reason(reason, "a removal")

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
        registry._log(session, kind, record, ChangeAction.REMOVE, public, None, reason, by)
        return public

    return registry._write(work)
