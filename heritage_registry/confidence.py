"""How well an event is attested: derived from its citations, never typed in.

After Airwars' grading (DOMAIN.md): `retracted` when withdrawn, `merged` when folded into
another event; `contested` when a citation disputes the event or makes a claim that
conflicts with it (`claims`: a refining or informing claim does not contest);
`corroborated` when two or more independent origins support it in different publications
(`origins`: relays of one statement are one voice, and one article is one publication
however many it quotes); else `single_source`. The order of the citations never matters.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from heritage_registry import claims
from heritage_registry.origins import origin, publication
from heritage_registry.vocab import Confidence, DamageLevel, Stance

__all__ = ["Attestation", "attestation", "derive", "origin"]


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
