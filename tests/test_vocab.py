"""The vocabularies are DOMAIN.md's contract: exact values, in order, each defined."""

from __future__ import annotations

import re

import pytest

from heritage_registry.vocab import (
    VOCABULARIES,
    Cause,
    Confidence,
    DamageLevel,
    MonumentKind,
    SiteKind,
    SourceType,
    Stance,
    Vocabulary,
)

CONTRACT: dict[type[Vocabulary], list[str]] = {
    DamageLevel: ["destroyed", "severe", "moderate", "minor", "none", "unknown"],
    Cause: [
        "explosives",
        "demolition",
        "smashing",
        "looting",
        "fire",
        "shelling",
        "gunfire",
        "combat",
        "occupation",
        "mining",
        "other",
        "unknown",
    ],
    MonumentKind: [
        "temple",
        "tomb",
        "necropolis",
        "citadel",
        "mosque",
        "shrine",
        "church",
        "museum_collection",
        "statue",
        "palace",
        "city_wall",
        "prison",
        "other",
    ],
    SiteKind: ["archaeological_site", "historic_city", "museum", "religious_site", "other"],
    Stance: ["supports", "disputes"],
    SourceType: [
        "news_report",
        "official_statement",
        "perpetrator_claim",
        "ngo_report",
        "satellite_assessment",
        "social_media",
        "other",
    ],
    Confidence: ["corroborated", "single_source", "contested", "retracted", "merged"],
}


@pytest.mark.parametrize("vocabulary", list(CONTRACT), ids=lambda v: v.__name__)
def test_values_are_the_contract(vocabulary: type[Vocabulary]) -> None:
    assert vocabulary.values() == CONTRACT[vocabulary]


@pytest.mark.parametrize("vocabulary", list(VOCABULARIES.values()), ids=lambda v: v.__name__)
def test_every_value_is_snake_case_and_defined_in_one_line(vocabulary: type[Vocabulary]) -> None:
    for member in vocabulary:
        assert re.fullmatch(r"[a-z]+(_[a-z]+)*", member.value)
        assert member.definition
        assert "\n" not in member.definition


def test_damage_levels_are_ordered_worst_first() -> None:
    ranks = [level.rank for level in DamageLevel]
    assert ranks == sorted(ranks)
    assert DamageLevel.DESTROYED.rank < DamageLevel.MINOR.rank < DamageLevel.UNKNOWN.rank
