"""Corrections, retraction and history: nothing is overwritten silently, on each engine."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heritage_registry import InvalidRecord, Registry
from heritage_registry.seed import load_seed
from heritage_registry.vocab import Cause, DamageLevel
from tests import strategies as s
from tests.helpers import dump

CITADEL = "93b66f46-7152-4ee7-a52a-ae762d28f389"


@pytest.fixture
def seeded(registry: Registry) -> Registry:
    load_seed(registry)
    return registry


def state(public: Any) -> dict[str, Any]:
    """A record's state as its history holds it: an event's citations counted."""
    held = dict(public.model_dump(mode="json", exclude={"updated_at", "citations"}))
    if hasattr(public, "citations"):
        held["citation_count"] = len(public.citations)
    return held


def test_an_update_keeps_the_old_and_new_state_with_who_and_why(seeded: Registry) -> None:
    before = seeded.get_event(CITADEL)
    after = seeded.update_event(CITADEL, damage_level="severe", reason="UNOSAT", by="analyst")
    assert after.damage_level is DamageLevel.SEVERE
    (created, change) = seeded.history("event", CITADEL)
    assert (created.action, created.how, created.old) == ("create", "seed", None)
    assert (change.action, change.reason, change.changed_by) == ("update", "UNOSAT", "analyst")
    assert change.how == "library"
    assert change.old == state(before)
    assert change.new == state(after)
    assert change.changed_at.tzinfo is not None


def test_by_defaults_to_the_operating_system_user(seeded: Registry, monkeypatch: Any) -> None:
    monkeypatch.setattr("getpass.getuser", lambda: "field-team")
    seeded.update_site("palmyra", name="Palmyra (Tadmur)", reason="fuller name")
    assert seeded.history("site", "palmyra")[-1].changed_by == "field-team"


def test_retraction_keeps_the_event_and_marks_it(seeded: Registry) -> None:
    retracted = seeded.retract_event(CITADEL, reason="duplicate of another event")
    assert retracted.confidence == "retracted"
    assert retracted.retraction_reason == "duplicate of another event"
    assert seeded.get_event(CITADEL).retracted_at is not None
    assert CITADEL in {e.uid for e in seeded.list_events(site="palmyra")}
    assert [c.action for c in seeded.history("event", CITADEL)] == ["create", "retract"]
    with pytest.raises(InvalidRecord, match="retracted already"):
        seeded.retract_event(CITADEL, reason="again")


def test_a_citation_is_a_change_to_its_event(seeded: Registry) -> None:
    before = seeded.get_event(CITADEL)
    after = seeded.cite(CITADEL, source="ians-2016-03-27", quote="The city fell", by="me")
    (_, change) = seeded.history("event", CITADEL)
    assert change.action == "cite"
    assert change.old == state(before)
    assert change.new == state(after) | {"citation": after.citations[-1].model_dump(mode="json")}
    assert change.new["citation"]["quote"] == "The city fell"
    assert change.new["citation_count"] == change.old["citation_count"] + 1


def test_an_event_s_citations_at_any_change_are_those_recorded_by_then(
    seeded: Registry,
) -> None:
    """Citations are kept out of the entries; each one's time recovers the past list."""
    seeded.cite(CITADEL, source="ians-2016-03-27", quote="The city fell", by="me")
    seeded.update_event(CITADEL, damage_level="severe", reason="imagery")
    seeded.cite(CITADEL, source="ians-2016-03-27", quote="The citadel is ours", by="me")
    citations = seeded.get_event(CITADEL).citations
    for change in seeded.history("event", CITADEL):
        held = [c for c in citations if c.recorded_at <= change.changed_at]
        assert len(held) == change.new["citation_count"]
        if change.action == "cite":
            assert held[-1].model_dump(mode="json") == change.new["citation"]


def test_corrections_of_every_kind_of_record(seeded: Registry) -> None:
    seeded.update_monument("palmyra", "citadel", built="1230~", reason="a closer date")
    assert seeded.get_monument("palmyra", "citadel").built_from_year == 1230
    seeded.update_source("ians-2016-03-27", publisher="Indo-Asian News Service", reason="name")
    assert seeded.get_source("ians-2016-03-27").publisher == "Indo-Asian News Service"
    seeded.update_event(CITADEL, monument=None, reason="the article names no monument")
    assert seeded.get_event(CITADEL).monument is None
    assert [c.action for c in seeded.history("monument", "palmyra/citadel")] == ["create", "update"]
    assert [c.action for c in seeded.history("source", "ians-2016-03-27")] == ["create", "update"]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.update_event(CITADEL, cause="bombing", reason="r"), "unknown cause 'bombing'"),
        (lambda r: r.update_event(CITADEL, occurred="2015-13", reason="r"), "not an EDTF date"),
        (lambda r: r.update_event(CITADEL, uid="x", reason="r"), "cannot change the event's uid"),
        (lambda r: r.update_event(CITADEL, reason="r"), "nothing to change"),
        (lambda r: r.update_event(CITADEL, cause="fire", reason="  "), "^a correction needs a"),
        (lambda r: r.retract_event(CITADEL, reason=""), "^a retraction needs a reason"),
        (lambda r: r.update_event(CITADEL, cause="occupation", reason="r"), "no change"),
        (lambda r: r.update_event(CITADEL, monument="nowhere", reason="r"), "no monument"),
        (lambda r: r.update_site("palmyra", latitude=91, reason="r"), "latitude"),
        (lambda r: r.update_site("palmyra", slug="p", reason="r"), "cannot change the site's slug"),
        (lambda r: r.update_site("palmira", name="P", reason="r"), "did you mean 'palmyra'"),
        (lambda r: r.update_source("ians-2016-03-27", url="ftp://x", reason="r"), "web address"),
        (lambda r: r.update_event(CITADEL, cause="fire", reason="r", by=""), "by: give a name"),
        (lambda r: r.retract_event("nope", reason="r"), "no event 'nope'"),
        (lambda r: r.history("site", "nowhere"), "no site 'nowhere'"),
        (lambda r: r.history("person", "x"), "unknown record type 'person'"),
    ],
)
def test_a_refused_correction_writes_nothing(seeded: Registry, call: Any, message: str) -> None:
    before = dump(seeded.engine)
    with pytest.raises(Exception, match=message) as caught:
        call(seeded)
    assert caught.type.__name__ in {
        "InvalidRecord",
        "SiteNotFound",
        "EventNotFound",
        "MonumentNotFound",
    }
    assert dump(seeded.engine) == before


corrections = st.one_of(
    st.fixed_dictionaries({"cause": st.sampled_from(Cause.values())}),
    st.fixed_dictionaries({"damage_level": st.sampled_from(DamageLevel.values())}),
    st.fixed_dictionaries({"occurred": s.edtf_dates()}),
    st.fixed_dictionaries({"actor": s.text(50)}),
    st.fixed_dictionaries({"description": s.text(200)}),
)


@given(steps=st.lists(corrections, min_size=1, max_size=6))
def test_any_past_state_can_be_read_from_the_history(
    fresh_registry: Any, steps: list[dict[str, Any]]
) -> None:
    registry: Registry = fresh_registry("sqlite")
    registry.add_site(slug="palmyra", name="Palmyra", country="SY")
    registry.add_source(key="s1", title="A report", publisher="P")
    event = registry.add_event(
        site="palmyra", cause="occupation", damage_level="unknown", occurred="2015-05",
        source="s1", quote="seized",
    )  # fmt: skip
    observed = [state(event)]
    for number, change in enumerate(steps):
        if all(observed[-1][name] == value for name, value in change.items()):
            with pytest.raises(InvalidRecord, match="no change"):
                registry.update_event(event.uid, reason=f"step {number}", **change)
            continue
        updated = registry.update_event(event.uid, reason=f"step {number}", **change)
        observed.append(state(updated))
    created, *changes = registry.history("event", event.uid)
    # The creation holds the first state, with the citations the event came with; each
    # change's new side is the state it made, and the old side of the next.
    assert (created.action, created.old) == ("create", None)
    assert created.new is not None
    first = {name: value for name, value in created.new.items() if name != "citations"}
    assert created.new["citations"] == [c.model_dump(mode="json") for c in event.citations]
    states = [first, *(change.new for change in changes)]
    assert states == observed
    assert [change.old for change in changes] == states[:-1]
    assert state(registry.get_event(event.uid)) == observed[-1]
