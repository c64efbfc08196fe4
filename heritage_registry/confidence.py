"""How well an event is attested: derived from its citations, never typed in.

After Airwars' grading (DOMAIN.md): `retracted` when withdrawn; `contested` when a
citation disputes the event or claims a different date or level; `corroborated` when
sources of two or more different publishers support it; else `single_source`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from heritage_registry.vocab import Confidence, DamageLevel, Stance


@dataclass(frozen=True)
class Attestation:
    """What one citation says, as far as confidence is concerned.

    `publisher` identifies the independent voice: the source's publisher, or its key
    where no publisher is recorded (an unnamed publisher is not assumed to be another's).
    """

    stance: Stance
    publisher: str
    claimed_occurred: str | None = None
    claimed_level: DamageLevel | None = None


def independent_voice(publisher: str | None, source_key: str) -> str:
    """The identity that counts toward corroboration: publisher, case and space folded."""
    if publisher and publisher.strip():
        return "publisher:" + " ".join(publisher.casefold().split())
    return "source:" + source_key


def derive(
    *,
    occurred: str,
    damage_level: DamageLevel,
    retracted: bool,
    attestations: Iterable[Attestation],
) -> Confidence:
    if retracted:
        return Confidence.RETRACTED
    supporters: set[str] = set()
    for item in attestations:
        if item.stance is Stance.DISPUTES:
            return Confidence.CONTESTED
        if item.claimed_occurred is not None and item.claimed_occurred != occurred:
            return Confidence.CONTESTED
        if item.claimed_level is not None and item.claimed_level is not damage_level:
            return Confidence.CONTESTED
        supporters.add(item.publisher)
    if len(supporters) >= 2:
        return Confidence.CORROBORATED
    return Confidence.SINGLE_SOURCE
