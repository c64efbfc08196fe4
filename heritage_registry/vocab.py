"""The controlled vocabularies of DOMAIN.md, each value with its one-line definition.

These values are the project's contract: the CLI, the JSON output and the database
all use them as written here. Changing one needs a migration and a CHANGELOG entry.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import StrEnum


def canonical(text: str) -> str:
    """A vocabulary value as typed, in the vocabularies' spelling: `City-Wall` -> `city_wall`."""
    return "_".join(text.strip().lower().replace("-", " ").replace("_", " ").split())


def nearest(text: str, choices: Iterable[str]) -> str | None:
    """The choice `text` most likely stands for: the one it begins, or a close spelling.

    Close means difflib's ratio of at least 0.85, so that a misspelling is caught
    (`explosive`, `archaeologcal_site`) but another word is not (`tower` is not `other`).
    """
    spelled, known = canonical(text), list(choices)
    begun = [choice for choice in known if len(spelled) >= 3 and choice.startswith(spelled)]
    if len(begun) == 1:
        return begun[0]
    close = difflib.get_close_matches(spelled, known, n=1, cutoff=0.85)
    return close[0] if close else None


class Vocabulary(StrEnum):
    """A vocabulary: lower-case snake_case values, each with a one-line definition.

    A value is accepted in any case and with hyphens or spaces for underscores
    (`Archaeological-Site` is `archaeological_site`), wherever it is looked up: the
    Create models, the list filters, imports. Anything further off is refused.
    """

    @property
    def definition(self) -> str:
        return DEFINITIONS[type(self)][self.value]

    @classmethod
    def values(cls) -> list[str]:
        return [member.value for member in cls]

    @classmethod
    def _missing_(cls, value: object) -> Vocabulary | None:
        if not isinstance(value, str):
            return None
        spelled = canonical(value)
        return next((member for member in cls if member.value == spelled), None)


DEFINITIONS: dict[type[Vocabulary], dict[str, str]] = {}


class DamageLevel(Vocabulary):
    """How badly an object was damaged, worst first (after UNOSAT and EAMENA)."""

    DESTROYED = "destroyed"
    SEVERE = "severe"
    MODERATE = "moderate"
    MINOR = "minor"
    NONE = "none"
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """0 for the worst level; `unknown` ranks after every known level."""
        return _LEVEL_RANKS[self]


# Summaries rank every event; an enum's position is looked up once, here.
_LEVEL_RANKS = {level: position for position, level in enumerate(DamageLevel)}

DEFINITIONS[DamageLevel] = {
    "destroyed": "no longer retains its integrity",
    "severe": "most of the structure or collection is damaged or lost",
    "moderate": "substantial damage, but the object keeps its integrity",
    "minor": "small, superficial or repairable damage",
    "none": "no visible damage",
    "unknown": "the source does not say",
}


class Cause(Vocabulary):
    """What was done (a subset of EAMENA's disturbance cause types)."""

    EXPLOSIVES = "explosives"
    DEMOLITION = "demolition"
    SMASHING = "smashing"
    LOOTING = "looting"
    FIRE = "fire"
    SHELLING = "shelling"
    GUNFIRE = "gunfire"
    COMBAT = "combat"
    OCCUPATION = "occupation"
    MINING = "mining"
    OTHER = "other"
    UNKNOWN = "unknown"


DEFINITIONS[Cause] = {
    "explosives": "blown up with explosive charges",
    "demolition": "bulldozing, levelling or razing",
    "smashing": "broken with hammers, drills or other tools",
    "looting": "theft or removal of objects",
    "fire": "burned",
    "shelling": "artillery, airstrike or other heavy weapons",
    "gunfire": "small-arms fire",
    "combat": "fighting at the site",
    "occupation": "seized, held or used by an armed group",
    "mining": "landmines, booby traps or explosive devices laid",
    "other": "a cause outside this list",
    "unknown": "the source does not say",
}


class MonumentKind(Vocabulary):
    """What kind of part of a site a monument is."""

    TEMPLE = "temple"
    TOMB = "tomb"
    NECROPOLIS = "necropolis"
    CITADEL = "citadel"
    MOSQUE = "mosque"
    SHRINE = "shrine"
    CHURCH = "church"
    MUSEUM_COLLECTION = "museum_collection"
    STATUE = "statue"
    PALACE = "palace"
    CITY_WALL = "city_wall"
    PRISON = "prison"
    OTHER = "other"


DEFINITIONS[MonumentKind] = {
    "temple": "a temple or sanctuary",
    "tomb": "a single tomb or funerary tower",
    "necropolis": "a cemetery or a valley of tombs",
    "citadel": "a castle, fort or citadel",
    "mosque": "a mosque",
    "shrine": "a shrine or mausoleum of a revered figure",
    "church": "a church or monastery",
    "museum_collection": "a museum's collection or part of it",
    "statue": "a statue, relief or sculpture",
    "palace": "a palace",
    "city_wall": "a city wall or gate",
    "prison": "a prison",
    "other": "a kind outside this list",
}


class SiteKind(Vocabulary):
    """What kind of place a site is."""

    ARCHAEOLOGICAL_SITE = "archaeological_site"
    HISTORIC_CITY = "historic_city"
    MUSEUM = "museum"
    RELIGIOUS_SITE = "religious_site"
    OTHER = "other"


DEFINITIONS[SiteKind] = {
    "archaeological_site": "the remains of a past settlement or complex",
    "historic_city": "a living town or city with historic fabric",
    "museum": "a museum and its collections",
    "religious_site": "a place of worship or pilgrimage",
    "other": "a kind outside this list",
}


class Stance(Vocabulary):
    """Whether a citation supports or disputes its event."""

    SUPPORTS = "supports"
    DISPUTES = "disputes"


DEFINITIONS[Stance] = {
    "supports": "the source states that the event happened",
    "disputes": "the source denies the event or contradicts it",
}


class SourceType(Vocabulary):
    """What kind of document a source is."""

    NEWS_REPORT = "news_report"
    OFFICIAL_STATEMENT = "official_statement"
    PERPETRATOR_CLAIM = "perpetrator_claim"
    NGO_REPORT = "ngo_report"
    SATELLITE_ASSESSMENT = "satellite_assessment"
    SOCIAL_MEDIA = "social_media"
    OTHER = "other"


DEFINITIONS[SourceType] = {
    "news_report": "an article by a news organisation",
    "official_statement": "a statement by a government or international body",
    "perpetrator_claim": "a perpetrator's own video, statement or claim",
    "ngo_report": "a report by a non-governmental organisation",
    "satellite_assessment": "an assessment from satellite imagery",
    "social_media": "a post on social media",
    "other": "a kind outside this list",
}


class Confidence(Vocabulary):
    """How well an event is attested; derived from its citations, never typed in."""

    CORROBORATED = "corroborated"
    SINGLE_SOURCE = "single_source"
    CONTESTED = "contested"
    RETRACTED = "retracted"
    MERGED = "merged"


DEFINITIONS[Confidence] = {
    "corroborated": (
        "two or more independent origins support it (not relays of one statement), and none "
        "disputes it or claims a conflicting date or level"
    ),
    "single_source": "one source supports it and none disputes it",
    "contested": "a source disputes it, or claims a date or level that conflicts with it",
    "retracted": "withdrawn, with a reason; kept, never deleted",
    "merged": "a duplicate folded into another event, which holds its citations now; kept",
}


class RecordType(Vocabulary):
    """Which kind of record a history entry is about."""

    SITE = "site"
    MONUMENT = "monument"
    SOURCE = "source"
    EVENT = "event"


DEFINITIONS[RecordType] = {
    "site": "a site, named by its slug",
    "monument": "a monument, named SITE/SLUG",
    "source": "a source, named by its key",
    "event": "a damage event, named by its uid",
}


class ChangeAction(Vocabulary):
    """What a history entry records."""

    CREATE = "create"
    UPDATE = "update"
    RETRACT = "retract"
    CITE = "cite"
    MERGE = "merge"
    REMOVE = "remove"


DEFINITIONS[ChangeAction] = {
    "create": "the record was added",
    "update": "values of the record were corrected",
    "retract": "the event was withdrawn; it is kept and shown as retracted",
    "cite": "another source's statement was added to the event",
    "merge": "a duplicate event was folded into this one, or this one into another",
    "remove": "the record, entered by mistake and referenced by nothing, was removed",
}


class ChangeHow(Vocabulary):
    """How a change came to be made: the path it reached the registry by."""

    COMMAND = "command"
    LIBRARY = "library"
    IMPORT = "import"
    SEED = "seed"
    UNRECORDED = "unrecorded"


DEFINITIONS[ChangeHow] = {
    "command": "a registry command typed by a person",
    "library": "a program calling the heritage_registry library",
    "import": "registry import of a file",
    "seed": "the seed data shipped with the package",
    "unrecorded": "made before the registry recorded how (schema revision 0003 or earlier)",
}

VOCABULARIES: dict[str, type[Vocabulary]] = {
    "damage_level": DamageLevel,
    "cause": Cause,
    "monument_kind": MonumentKind,
    "site_kind": SiteKind,
    "stance": Stance,
    "source_type": SourceType,
    "confidence": Confidence,
    "record_type": RecordType,
    "change_action": ChangeAction,
    "change_how": ChangeHow,
}


def worst_level(levels: Iterable[DamageLevel]) -> DamageLevel:
    """The worst known level among `levels`; `unknown` when none is known."""
    return min(levels, key=lambda level: level.rank, default=DamageLevel.UNKNOWN)
