"""Removing a record entered by mistake: only while nothing in the registry refers to it.

A site, monument or source added in error (a typo in a slug, a source entered twice)
would otherwise stay in every list for good. It may be removed while no other record
refers to it; its history is kept, the removal included, with the record's last state
and the reason. Anything referenced is refused with what refers to it: an event's
citations are never removed, so a cited source stays, and a monument that events record
damage to, or that a citation mentions, stays until those events are corrected.
Events themselves are never removed: a wrong event is retracted (`retract_event`).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from heritage_registry.errors import Referenced
from heritage_registry.models import DamageEvent, Monument, Site, Source, SourceCitation
from heritage_registry.render import plural

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
