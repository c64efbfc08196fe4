"""`--confidence` is filtered in the database, and agrees with the derivation in Python.

Each event row keeps its confidence, or NULL where it is not known
(`heritage_registry.confidence`); triggers set it NULL on any change it derives from,
whoever writes. The property test makes random registries by every path that changes
an event's confidence (adding, citing, correcting, retracting and merging events,
changing a source's publisher; `Registry.merge`; the import adding events, and citations
by uid; and plain SQL that goes round the registry, as another program might) and holds, on both
engines: every stored value NULL or the derived one, and `list_events(confidence=...)`
and `iter_events(confidence=...)` equal to the events whose derived confidence it is.
"""

from __future__ import annotations

import contextlib
import io
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from heritage_registry import (
    DamageEventCreate,
    DamageEventPublic,
    Registry,
    RegistryError,
    confidence,
)
from heritage_registry.exchange import import_jsonl
from heritage_registry.models import CITATION_TABLE, EVENT_TABLE, SOURCE_TABLE
from heritage_registry.vocab import Confidence, DamageLevel, Stance
from tests.helpers import stored_confidence

KEYS = ["afp-1", "afp-2", "reuters-1", "sana-1"]
PUBLISHERS = ["AFP", "afp ", "Reuters", None]
VIAS = [None, None, "SANA", "sana", "a military source"]
DATES = ["2015-05", "2015-05-23", "2015-08-30", "2015", "2015-05/2015-09", "../2015-06", "2016~"]
LEVELS = DamageLevel.values()

citations = st.fixed_dictionaries(
    {
        "source": st.sampled_from(KEYS),
        "quote": st.text("abcd", min_size=1, max_size=4),
        "stance": st.sampled_from(Stance.values()),
        "via": st.sampled_from(VIAS),
        "claimed_occurred": st.one_of(st.none(), st.sampled_from(DATES)),
        "claimed_level": st.one_of(st.none(), st.sampled_from(LEVELS)),
    }
)
events = st.fixed_dictionaries(
    {
        "damage_level": st.sampled_from(LEVELS),
        "occurred": st.sampled_from(DATES),
        "citations": st.lists(citations, min_size=1, max_size=3),
    }
)
# Steps that name an event or a source by a number, taken modulo how many there are.
steps = st.one_of(
    st.tuples(st.just("add"), events),
    st.tuples(st.just("cite"), st.integers(0, 9), citations),
    st.tuples(st.just("occurred"), st.integers(0, 9), st.sampled_from(DATES)),
    st.tuples(st.just("level"), st.integers(0, 9), st.sampled_from(LEVELS)),
    st.tuples(st.just("retract"), st.integers(0, 9)),
    st.tuples(st.just("merge"), st.integers(0, 9), st.integers(0, 9)),
    st.tuples(st.just("publisher"), st.integers(0, 3), st.sampled_from(PUBLISHERS)),
    st.tuples(st.just("merge-registry"), st.integers(0, 9), citations),
    st.tuples(st.just("import-cite"), st.integers(0, 9), citations),
    st.tuples(
        st.just("import"), st.lists(events, min_size=1, max_size=3), st.booleans(), citations
    ),
    st.tuples(st.just("sql-publisher"), st.integers(0, 3), st.sampled_from(PUBLISHERS)),
    st.tuples(st.just("sql-stance"), st.integers(0, 30), st.sampled_from(Stance.values())),
    st.tuples(st.just("sql-level"), st.integers(0, 9), st.sampled_from(LEVELS)),
)


def _take(step: tuple[Any, ...], reg: Registry, uids: list[str]) -> None:
    """Apply one step; a step the registry refuses changes nothing."""
    kind, *args = step
    if kind == "add":
        event = reg.add_event(site="palmyra", cause="explosives", **args[0])
        uids.append(event.uid)
        return
    if kind in ("publisher", "sql-publisher"):
        key, publisher = KEYS[args[0]], args[1]
        if kind == "publisher":
            reg.update_source(key, reason="correction", publisher=publisher)
        else:
            with reg.engine.begin() as connection:
                connection.execute(
                    sa.update(SOURCE_TABLE)
                    .where(SOURCE_TABLE.c.key == key)
                    .values(publisher=publisher)
                )
        return
    if kind == "import":
        # New events, each stored with the confidence derived from the citations it
        # brings; the first perhaps given again with one more, which unsets it.
        new = [
            {"type": "event", "uid": str(uuid.uuid4()), "site": "palmyra", "cause": "explosives",
             **event}
            for event in args[0]
        ]  # fmt: skip
        again = [{**new[0], "citations": [*new[0]["citations"], args[2]]}] if args[1] else []
        lines = [{"format": "heritage-registry", "version": 1}, *new, *again]
        import_jsonl(reg, io.BytesIO("".join(json.dumps(line) + "\n" for line in lines).encode()))
        uids.extend(event["uid"] for event in new)
        return
    if kind == "sql-stance":
        with reg.engine.begin() as connection:
            ids = connection.execute(sa.select(CITATION_TABLE.c.id).order_by("id")).scalars().all()
            if ids:
                connection.execute(
                    sa.update(CITATION_TABLE)
                    .where(CITATION_TABLE.c.id == ids[args[0] % len(ids)])
                    .values(stance=args[1])
                )
        return
    if not uids:
        return
    uid = uids[args[0] % len(uids)]
    if kind == "cite":
        reg.cite(uid, args[1])
    elif kind == "occurred":
        reg.update_event(uid, reason="correction", occurred=args[1])
    elif kind == "level":
        reg.update_event(uid, reason="correction", damage_level=args[1])
    elif kind == "retract":
        reg.retract_event(uid, reason="withdrawn")
    elif kind == "merge":
        reg.merge_events(uid, uids[args[1] % len(uids)], reason="the same event")
    elif kind == "merge-registry":
        event = reg.get_event(uid)
        fields = event.model_dump(include={"site", "monument", "cause", "damage_level", "occurred"})
        reg.merge(events=[DamageEventCreate(uid=uid, citations=[args[1]], **fields)])
    elif kind == "import-cite":
        line = {"type": "event", "uid": uid, "citations": [args[1]]}
        import_jsonl(reg, io.BytesIO(json.dumps(line).encode()))
    elif kind == "sql-level":
        with reg.engine.begin() as connection:
            connection.execute(
                sa.update(EVENT_TABLE).where(EVENT_TABLE.c.uid == uid).values(damage_level=args[1])
            )


# A citation's columns but its id: copied, it is another citation of the same event.
_COPIED = [column.name for column in CITATION_TABLE.columns if column.name != "id"]


def _derived(reg: Registry, event: DamageEventPublic) -> Confidence:
    """`confidence.derive` of what the registry returns: never the stored value."""
    publishers = {source.key: source.publisher for source in reg.list_sources()}
    return confidence.derive(
        occurred=event.occurred,
        damage_level=event.damage_level,
        retracted=event.retracted_at is not None,
        merged=event.merged_into is not None,
        attestations=[
            confidence.attestation(
                stance=citation.stance,
                publisher=publishers[citation.source],
                source=citation.source,
                via=citation.via,
                claimed_occurred=citation.claimed_occurred,
                claimed_level=citation.claimed_level,
            )
            for citation in event.citations
        ],
    )


def _check(reg: Registry) -> None:
    every = reg.list_events()
    derived = {event.uid: _derived(reg, event) for event in every}
    # What the read path returns (the stored value where there is one) is the derivation.
    assert {event.uid: event.confidence for event in every} == derived
    for uid, stored in stored_confidence(reg).items():
        assert stored in (None, derived[uid].value), uid
    for wanted in Confidence:
        expected = [event.uid for event in every if event.confidence is wanted]
        assert [event.uid for event in reg.list_events(confidence=wanted)] == expected
        assert [event.uid for event in reg.iter_events(confidence=wanted, page=2)] == expected
        assert [event.uid for event in reg.list_events(confidence=wanted, limit=1, offset=1)] == (
            expected[1:2]
        )


@pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
@given(plan=st.lists(steps, min_size=1, max_size=12))
def test_the_confidence_filter_is_the_derivation(
    fresh_registry: Callable[[str], Registry], engine: str, plan: list[tuple[Any, ...]]
) -> None:
    reg = fresh_registry(engine)
    reg.add_site(slug="palmyra", name="Palmyra", country="SY")
    for number, key in enumerate(KEYS):
        reg.add_source(key=key, title=key, publisher=PUBLISHERS[number % len(PUBLISHERS)])
    uids: list[str] = []
    for step in plan:
        with contextlib.suppress(RegistryError):
            _take(step, reg, uids)
    _check(reg)
    # Deriving every value not known leaves them all known, and the filter as it was.
    with reg.engine.begin() as connection:
        confidence.refresh(connection)
    assert None not in stored_confidence(reg).values()
    _check(reg)


def test_the_registrys_writes_store_the_confidence_they_change(registry: Registry) -> None:
    registry.add_site(slug="palmyra", name="Palmyra", country="SY")
    registry.add_source(key="afp", title="A", publisher="AFP")
    registry.add_source(key="reuters", title="R", publisher="Reuters")
    event = registry.add_event(
        site="palmyra",
        cause="explosives",
        damage_level="destroyed",
        occurred="2015-08-30",
        source="afp",
        quote="The temple was blown up",
    )
    assert stored_confidence(registry) == {event.uid: "single_source"}
    registry.cite(event.uid, source="reuters", quote="Blown up, says a witness")
    assert stored_confidence(registry) == {event.uid: "corroborated"}
    registry.update_source("reuters", reason="same agency", publisher="AFP")
    assert stored_confidence(registry) == {event.uid: "single_source"}
    registry.retract_event(event.uid, reason="withdrawn")
    assert stored_confidence(registry) == {event.uid: "retracted"}


def test_a_change_round_the_registry_leaves_the_confidence_unknown(registry: Registry) -> None:
    """The triggers: any writer's change to what confidence derives from unsets it."""
    registry.add_site(slug="palmyra", name="Palmyra", country="SY")
    registry.add_source(key="afp", title="A", publisher="AFP")
    event = registry.add_event(
        site="palmyra",
        cause="explosives",
        damage_level="destroyed",
        occurred="2015-08-30",
        source="afp",
        quote="The temple was blown up",
    )
    changes = [
        sa.update(CITATION_TABLE).values(stance="disputes"),
        sa.update(SOURCE_TABLE).values(key="afp-2"),
        sa.update(SOURCE_TABLE).values(publisher="Reuters"),
        sa.update(EVENT_TABLE).values(occurred="2015-08"),
        sa.update(EVENT_TABLE).values(damage_level="severe"),
        sa.update(EVENT_TABLE).values(retracted_at=sa.func.current_timestamp()),
        CITATION_TABLE.insert().from_select(
            _COPIED, sa.select(*[CITATION_TABLE.c[n] for n in _COPIED])
        ),
        sa.delete(CITATION_TABLE).where(
            CITATION_TABLE.c.id == sa.select(sa.func.max(CITATION_TABLE.c.id)).scalar_subquery()
        ),
    ]
    for change in changes:
        with registry.engine.begin() as connection:
            confidence.refresh(
                connection, connection.execute(sa.select(EVENT_TABLE.c.id)).scalars()
            )
        assert stored_confidence(registry)[event.uid] is not None
        with registry.engine.begin() as connection:
            connection.execute(change)
        assert stored_confidence(registry) == {event.uid: None}, change
    # A change that leaves those columns as they were keeps what is known.
    with registry.engine.begin() as connection:
        confidence.refresh(connection)
        connection.execute(sa.update(EVENT_TABLE).values(description="Seen from the road"))
        connection.execute(sa.update(CITATION_TABLE).values(location="p. 2"))
    assert stored_confidence(registry) == {
        event.uid: registry.get_event(event.uid).confidence.value
    }
