"""Claims compared by meaning: does a source's own date or level conflict with the event?

A citation may claim the date or level it gives where it differs from the event's
(DOMAIN.md, "Claims compared by meaning"). Compared by what the values mean, not by how
they are written:

- a claimed date *conflicts* only when its range (earliest to latest) cannot overlap the
  event's; one inside the event's range *refines* it; one that overlaps it without lying
  inside it *informs* it (it narrows or stretches one end, without contradiction);
- a claimed level *conflicts* only when both are known and differ; a known level claimed
  where the event's is `unknown` *informs* it; `unknown` claimed is no information;
- a claim equal to the event's current value is no claim at all (`None`), so that a
  correction that adopts a source's claim leaves nothing to show.

Only conflicts make an event `contested` (`confidence.derive`); refinements and
informing claims are the detail a source adds, shown apart from disagreements.
"""

from __future__ import annotations

from dataclasses import dataclass

from heritage_registry import dates
from heritage_registry.vocab import DamageLevel, Vocabulary


class ClaimKind(Vocabulary):
    """How a citation's claimed value stands to the event's."""

    CONFLICTS = "conflicts"
    REFINES = "refines"
    INFORMS = "informs"


@dataclass(frozen=True)
class Claim:
    """One claimed value and how it stands to the event's."""

    field: str  # "occurred" or "damage_level"
    value: str
    kind: ClaimKind


def _overlap(a: dates.Bounds, b: dates.Bounds) -> bool:
    """Whether two ranges, open where a bound is None, can share a day."""
    if a.latest is not None and b.earliest is not None and a.latest < b.earliest:
        return False
    return not (b.latest is not None and a.earliest is not None and b.latest < a.earliest)


def _inside(inner: dates.Bounds, outer: dates.Bounds) -> bool:
    starts_inside = outer.earliest is None or (
        inner.earliest is not None and inner.earliest >= outer.earliest
    )
    ends_inside = outer.latest is None or (
        inner.latest is not None and inner.latest <= outer.latest
    )
    return starts_inside and ends_inside


def date_claim(occurred: str, claimed: str | None) -> ClaimKind | None:
    """How a claimed date stands to the event's `occurred`; None for no claim."""
    if claimed is None or claimed.strip() == occurred.strip():
        return None
    event, claim = dates.bounds(occurred), dates.bounds(claimed)
    if claim == event:
        return None
    if not _overlap(claim, event):
        return ClaimKind.CONFLICTS
    if _inside(claim, event):
        return ClaimKind.REFINES
    return ClaimKind.INFORMS


def level_claim(level: DamageLevel | str, claimed: DamageLevel | str | None) -> ClaimKind | None:
    """How a claimed level stands to the event's; None for no claim."""
    if claimed is None:
        return None
    event, claim = DamageLevel(level), DamageLevel(claimed)
    if claim is event or claim is DamageLevel.UNKNOWN:
        return None
    if event is DamageLevel.UNKNOWN:
        return ClaimKind.INFORMS
    return ClaimKind.CONFLICTS


def claims(
    occurred: str,
    level: DamageLevel | str,
    claimed_occurred: str | None,
    claimed_level: DamageLevel | str | None,
) -> list[Claim]:
    """The claims one citation makes about an event, each with its kind."""
    found: list[Claim] = []
    date_kind = date_claim(occurred, claimed_occurred)
    if date_kind is not None and claimed_occurred is not None:
        found.append(Claim("occurred", claimed_occurred, date_kind))
    level_kind = level_claim(level, claimed_level)
    if level_kind is not None and claimed_level is not None:
        found.append(Claim("damage_level", str(DamageLevel(claimed_level)), level_kind))
    return found
