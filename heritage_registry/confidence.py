"""How well an event is attested: derived from its citations, never typed in.

After Airwars' grading (DOMAIN.md): `retracted` when withdrawn, `merged` when folded into
another event; `contested` when a citation disputes the event or makes a claim that
conflicts with it (`claims`: a refining or informing claim does not contest);
`corroborated` when two or more independent origins support it in different publications
(`origins`: relays of one statement are one voice, and one article is one publication
however many it quotes); else `single_source`. The order of the citations never matters.

So that a list can be filtered by confidence in the database, each event row keeps its
confidence as `derive` last gave it (`damage_event.confidence`, revision 0005), or NULL
where it is not known. Triggers (created by revision 0005) set it NULL in the same statement as any
change to what it derives from (the event's date, level, retraction or merge; its
citations; their sources' keys and publishers), whoever makes the change: a stored value
is right or absent, never stale. `refresh` derives and stores it again; the registry's
writes refresh the events they change, and a filter reads the rows whose value is the one
asked for or NULL, deriving again to decide the NULL ones. A change to `derive` itself
needs a migration that sets the column NULL.

An import stores each new event with the confidence derived from the citations it
brings, and writes those citations so that the triggers leave it be: on PostgreSQL inside
`derived_citations`, which the trigger reads (revision 0007); on SQLite, whose triggers
read no setting, before their events, with foreign keys deferred to the commit
(`exchange.writer`). Updating every imported event again was a quarter of an import's
time on PostgreSQL, a sixth on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import sqlalchemy as sa

from heritage_registry import claims
from heritage_registry.db import chunked
from heritage_registry.origins import origin, publication
from heritage_registry.vocab import Confidence, DamageLevel, Stance

__all__ = ["Attestation", "attestation", "derive", "derived_citations", "origin", "refresh"]


@dataclass(frozen=True)
class Attestation:
    """What one citation says, as far as confidence is concerned.

    `origin` identifies the voice (`origins.origin`: whom it relays, else its
    publisher); `publisher` the publication it appeared in (`origins.publisher`).
    """

    stance: Stance
    origin: str
    claimed_occurred: str | None = None
    claimed_level: DamageLevel | None = None
    publisher: str = ""


def attestation(
    *,
    stance: Stance | str,
    publisher: str | None,
    source: str,
    via: str | None,
    claimed_occurred: str | None,
    claimed_level: DamageLevel | str | None,
) -> Attestation:
    """The attestation of a citation as stored: its source's publisher and key, its via."""
    return Attestation(
        stance=Stance(stance),
        origin=origin(publisher, source, via),
        claimed_occurred=claimed_occurred,
        claimed_level=DamageLevel(claimed_level) if claimed_level else None,
        publisher=publication(publisher, source),
    )


def derive(
    *,
    occurred: str,
    damage_level: DamageLevel,
    retracted: bool,
    attestations: Iterable[Attestation],
    merged: bool = False,
) -> Confidence:
    """An event's confidence from its state and its citations' attestations (DOMAIN.md)."""
    if merged:
        return Confidence.MERGED
    if retracted:
        return Confidence.RETRACTED
    voices: set[str] = set()
    publications: set[str] = set()
    for item in attestations:
        if item.stance is Stance.DISPUTES:
            return Confidence.CONTESTED
        made = claims.claims(occurred, damage_level, item.claimed_occurred, item.claimed_level)
        if any(claim.kind is claims.ClaimKind.CONFLICTS for claim in made):
            return Confidence.CONTESTED
        voices.add(item.origin)
        publications.add(item.publisher or item.origin)
    # Independent: different origins *and* different publishers (DOMAIN.md). Two of
    # each always hold two citations that differ in both (a set of citations no two of
    # which do would all share one origin or one publisher), so counting is enough.
    if len(voices) >= 2 and len(publications) >= 2:
        return Confidence.CORROBORATED
    return Confidence.SINGLE_SOURCE


# The session setting revision 0007's trigger reads: `on` while the citations inserted
# are those the stored confidence of their (new) events was derived from.
DERIVED_SETTING = "heritage_registry.citations_derived"


@contextmanager
def derived_citations(connection: sa.Connection) -> Iterator[None]:
    """Citations inserted inside leave their events' stored confidence as it is.

    Only for citations of events just written, in this transaction, with the confidence
    `derive` gives from exactly these citations: anything else inserted inside would
    leave a stale value. On PostgreSQL the setting is local to the transaction and made
    `off` again on the way out (a failure rolls it back with the transaction); on SQLite,
    whose triggers cannot read it, it does nothing: there the caller writes the citations
    before their events (the import) or refreshes after.
    """
    if connection.dialect.name != "postgresql":
        yield
        return
    setting = sa.func.set_config(DERIVED_SETTING, sa.bindparam("value"), True)
    connection.execute(sa.select(setting), {"value": "on"})
    yield
    connection.execute(sa.select(setting), {"value": "off"})


# The columns confidence derives from, as plain tables: `refresh` runs inside migrations
# too, where the models may be newer than the schema.
_EVENTS = sa.table(
    "damage_event",
    sa.column("id"),
    sa.column("occurred"),
    sa.column("damage_level"),
    sa.column("retracted_at"),
    sa.column("merged_into_id"),
    sa.column("confidence"),
)
_CITATIONS = sa.table(
    "source_citation",
    sa.column("id"),
    sa.column("event_id"),
    sa.column("source_id"),
    sa.column("stance"),
    sa.column("claimed_occurred"),
    sa.column("claimed_level"),
    sa.column("via"),
)
_SOURCES = sa.table("source", sa.column("id"), sa.column("key"), sa.column("publisher"))
# Events derived per round trip: one `IN` list of ids for the events and their citations.
REFRESH_CHUNK = 500


def refresh(connection: sa.Connection, event_ids: Iterable[int] | None = None) -> int:
    """Derive the confidence of events and store it; returns how many were stored.

    `event_ids` are the events' row ids; without them, every event whose stored
    confidence is NULL (after a bulk import, or a migration). Runs in the caller's
    transaction, after its other changes: a change made after it sets the value NULL
    again (revision 0005's triggers), which is right but slower to filter.
    """
    if event_ids is not None:
        ids = sorted(set(event_ids))
        return sum(_refresh(connection, part) for part in chunked(ids, REFRESH_CHUNK))
    stored, last = 0, None
    while True:
        query = sa.select(_EVENTS.c.id).where(_EVENTS.c.confidence.is_(None))
        if last is not None:
            query = query.where(_EVENTS.c.id > last)
        chunk = list(
            connection.execute(query.order_by(_EVENTS.c.id).limit(REFRESH_CHUNK)).scalars()
        )
        if not chunk:
            return stored
        stored += _refresh(connection, chunk)
        last = chunk[-1]


def _refresh(connection: sa.Connection, ids: Sequence[int]) -> int:
    """Derive and store the confidence of the events `ids` (one chunk)."""
    events = connection.execute(
        sa.select(
            _EVENTS.c.id,
            _EVENTS.c.occurred,
            _EVENTS.c.damage_level,
            _EVENTS.c.retracted_at,
            _EVENTS.c.merged_into_id,
        ).where(_EVENTS.c.id.in_(ids))
    ).all()
    said: dict[int, list[Attestation]] = {}
    # The citations and their sources in two statements, not one join: joined,
    # PostgreSQL planned a loop over every source with a scan of the citations for each
    # on tables an import had just filled (110 ms a chunk, 62% of an import's time).
    # The import also has such tables analysed (`exchange.writer`).
    citations = connection.execute(
        sa.select(
            _CITATIONS.c.event_id,
            _CITATIONS.c.source_id,
            _CITATIONS.c.stance,
            _CITATIONS.c.claimed_occurred,
            _CITATIONS.c.claimed_level,
            _CITATIONS.c.via,
        ).where(_CITATIONS.c.event_id.in_(ids))
    ).all()
    sources = {
        row.id: row
        for row in connection.execute(
            sa.select(_SOURCES.c.id, _SOURCES.c.key, _SOURCES.c.publisher).where(
                _SOURCES.c.id.in_(sorted({row.source_id for row in citations}))
            )
        )
    }
    for row in citations:
        source = sources[row.source_id]
        said.setdefault(row.event_id, []).append(
            attestation(
                stance=row.stance,
                publisher=source.publisher,
                source=source.key,
                via=row.via,
                claimed_occurred=row.claimed_occurred,
                claimed_level=row.claimed_level,
            )
        )
    # One UPDATE per value derived, not one per event: on PostgreSQL a round trip per row
    # was most of a refresh.
    derived: dict[str, list[int]] = {}
    for event in events:
        value = derive(
            occurred=event.occurred,
            damage_level=DamageLevel(event.damage_level),
            retracted=event.retracted_at is not None,
            merged=event.merged_into_id is not None,
            attestations=said.get(event.id, ()),
        ).value
        derived.setdefault(value, []).append(event.id)
    for value, chosen in derived.items():
        connection.execute(
            sa.update(_EVENTS).where(_EVENTS.c.id.in_(chosen)).values(confidence=value)
        )
    return len(events)
