"""Claims compared by meaning, and confidence derived from them (DOMAIN.md).

Properties: a claimed date inside the event's range never contests it, a disjoint one
always does; a claimed `unknown` never contests, nor does a known level claimed where
the event's is `unknown`; a claim equal to the event's value is no claim; confidence
does not depend on the order of the citations; relays of one origin are one voice.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from heritage_registry import claims, confidence
from heritage_registry.claims import ClaimKind
from heritage_registry.vocab import Confidence, DamageLevel, Stance

DAYS = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 12, 31))
KNOWN = [level for level in DamageLevel if level is not DamageLevel.UNKNOWN]


@st.composite
def ranges(draw: st.DrawFn) -> tuple[dt.date, dt.date]:
    start, end = sorted((draw(DAYS), draw(DAYS)))
    return start, end


def edtf(start: dt.date, end: dt.date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()}/{end.isoformat()}"


@st.composite
def inside(draw: st.DrawFn, outer: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
    start = draw(st.dates(min_value=outer[0], max_value=outer[1]))
    end = draw(st.dates(min_value=start, max_value=outer[1]))
    return start, end


@given(data=st.data(), event=ranges())
def test_a_claimed_date_inside_the_event_s_range_never_contests(
    data: st.DataObject, event: tuple[dt.date, dt.date]
) -> None:
    claim = data.draw(inside(event))
    kind = claims.date_claim(edtf(*event), edtf(*claim))
    assert kind in (None, ClaimKind.REFINES)
    assert kind is None or claim != event


@given(event=ranges(), gap=st.integers(1, 3000), length=st.integers(0, 3000), before=st.booleans())
def test_a_disjoint_claimed_date_always_contests(
    event: tuple[dt.date, dt.date], gap: int, length: int, before: bool
) -> None:
    if before:
        end = event[0] - dt.timedelta(days=gap)
        claim = (end - dt.timedelta(days=length), end)
    else:
        start = event[1] + dt.timedelta(days=gap)
        claim = (start, start + dt.timedelta(days=length))
    assert claims.date_claim(edtf(*event), edtf(*claim)) is ClaimKind.CONFLICTS
    derived = confidence.derive(
        occurred=edtf(*event),
        damage_level=DamageLevel.UNKNOWN,
        retracted=False,
        attestations=[confidence.Attestation(Stance.SUPPORTS, "a", claimed_occurred=edtf(*claim))],
    )
    assert derived is Confidence.CONTESTED


def test_overlapping_but_not_inside_informs_and_the_same_range_is_no_claim() -> None:
    assert claims.date_claim("2015-05/2015-08", "2015-07/2015-10") is ClaimKind.INFORMS
    assert claims.date_claim("2015-05", "2015-05-01/2015-05-31") is None
    assert claims.date_claim("2023", "2023-07-23") is ClaimKind.REFINES
    assert claims.date_claim("../2015-04", "2014") is ClaimKind.REFINES
    # The citadel's recapture: a soldier's "two days before" ends before the event begins.
    assert claims.date_claim("2016-03-25~", "/2016-03-23~") is ClaimKind.CONFLICTS


@given(level=st.sampled_from(list(DamageLevel)))
def test_unknown_never_contests(level: DamageLevel) -> None:
    assert claims.level_claim(level, DamageLevel.UNKNOWN) is None
    kind = claims.level_claim(DamageLevel.UNKNOWN, level)
    assert kind is (None if level is DamageLevel.UNKNOWN else ClaimKind.INFORMS)


@given(event=st.sampled_from(KNOWN), claimed=st.sampled_from(KNOWN))
def test_two_known_levels_conflict_only_when_they_differ(
    event: DamageLevel, claimed: DamageLevel
) -> None:
    expected = None if event is claimed else ClaimKind.CONFLICTS
    assert claims.level_claim(event, claimed) is expected


attestations = st.builds(
    confidence.Attestation,
    stance=st.sampled_from(list(Stance)),
    origin=st.sampled_from(["publisher:a", "publisher:b", "via:syrian army", "source:x"]),
    publisher=st.sampled_from(["publisher:a", "publisher:b", "source:x"]),
    claimed_occurred=st.one_of(st.none(), st.sampled_from(["2015", "2014", "2015-06", "2016"])),
    claimed_level=st.one_of(st.none(), st.sampled_from(list(DamageLevel))),
)


@given(items=st.lists(attestations, max_size=6), data=st.data())
def test_confidence_does_not_depend_on_the_order_of_citations(
    items: list[confidence.Attestation], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(items))

    def derived(order: list[confidence.Attestation]) -> Confidence:
        return confidence.derive(
            occurred="2015", damage_level=DamageLevel.SEVERE, retracted=False, attestations=order
        )

    assert derived(items) is derived(list(shuffled))


def test_two_publishers_relaying_one_statement_are_one_voice() -> None:
    army = [
        confidence.attestation(
            stance="supports", publisher=publisher, source=key, via=via,
            claimed_occurred=None, claimed_level=None,
        )
        for publisher, key, via in [
            ("IANS", "ians", "Syrian army"),
            ("The New Arab", "newarab", "  syrian   ARMY "),
        ]
    ]  # fmt: skip
    occurred, level = "2016-03-25", DamageLevel.UNKNOWN
    assert (
        confidence.derive(occurred=occurred, damage_level=level, retracted=False, attestations=army)
        is Confidence.SINGLE_SOURCE
    )
    own = confidence.attestation(
        stance="supports", publisher="IANS", source="ians-2", via=None,
        claimed_occurred=None, claimed_level=None,
    )  # fmt: skip
    assert (
        confidence.derive(
            occurred=occurred, damage_level=level, retracted=False, attestations=[*army, own]
        )
        is Confidence.CORROBORATED
    )


def test_one_article_quoting_two_voices_is_one_report() -> None:
    quoted = [
        confidence.attestation(
            stance="supports", publisher="IANS", source="ians", via=via,
            claimed_occurred=None, claimed_level=None,
        )
        for via in (None, "Islamic State")
    ]  # fmt: skip
    assert (
        confidence.derive(
            occurred="2015", damage_level=DamageLevel.UNKNOWN, retracted=False, attestations=quoted
        )
        is Confidence.SINGLE_SOURCE
    )
