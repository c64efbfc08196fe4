"""Properties: any valid record survives a write and a read unchanged; invalid ones are
refused with a clear error and nothing written. On SQLite and PostgreSQL."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heritage_registry import InvalidRecord, Registry
from tests import strategies as s
from tests.helpers import dump

_serial = itertools.count()


def unique(slug: str) -> str:
    """Slugs drawn for different examples may collide; uniqueness is not under test here."""
    return f"{slug}-{next(_serial)}"


def without(data: dict[str, Any], *names: str) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key not in names}


@given(data=st.data())
def test_any_valid_record_survives_a_write_and_a_read(
    registry: Registry, data: st.DataObject
) -> None:
    site = data.draw(s.sites()) | {"slug": unique("site")}
    stored_site = registry.add_site(**site)
    assert registry.get_site(site["slug"]) == stored_site
    assert stored_site.model_dump(mode="json", exclude={"created_at", "updated_at"}) == {
        "latitude": None,
        "longitude": None,
        **site,
    }

    monument = data.draw(s.monuments(site["slug"])) | {"slug": unique("m")}
    stored_monument = registry.add_monument(**monument)
    assert registry.get_monument(site["slug"], monument["slug"]) == stored_monument
    dumped = stored_monument.model_dump(
        mode="json", exclude={"created_at", "updated_at", "built_from_year", "built_to_year"}
    )
    assert dumped == {"latitude": None, "longitude": None, **monument}

    source = data.draw(s.sources()) | {"key": unique("src")}
    stored_source = registry.add_source(**source)
    assert registry.get_source(source["key"]) == stored_source
    dumped = stored_source.model_dump(
        mode="json", exclude={"created_at", "updated_at", "published_earliest", "published_latest"}
    )
    assert dumped == source

    on_monument = data.draw(st.booleans())
    event = data.draw(
        s.events(
            site["slug"],
            monument["slug"] if on_monument else None,
            source["key"],
            source["published"],
        )
    )
    # Hypothesis replays the same uids across examples; a fresh one keeps them distinct.
    event["uid"] = str(uuid.uuid4())
    stored_event = registry.add_event(**event)
    assert registry.get_event(event["uid"]) == stored_event
    assert [c.source for c in stored_event.citations] == [c["source"] for c in event["citations"]]
    dumped = stored_event.model_dump(mode="json")
    assert without(
        dumped,
        "earliest",
        "latest",
        "confidence",
        "retracted_at",
        "retraction_reason",
        "merged_into",
        "merged_at",
        "merge_reason",
        "recorded_at",
        "updated_at",
        "citations",
    ) == without(event, "citations")
    assert [without(c, "recorded_at") for c in dumped["citations"]] == event["citations"]


@given(site=s.sites(), bad=s.invalid_site_fields)
def test_an_invalid_site_is_refused_and_nothing_written(
    registry: Registry, site: dict[str, Any], bad: tuple[dict[str, Any], str]
) -> None:
    fields, words = bad
    before = dump(registry.engine)
    merged = without(site, "latitude", "longitude") | fields
    with pytest.raises(InvalidRecord, match=words):
        registry.add_site(**merged)
    assert dump(registry.engine) == before


@given(data=st.data(), bad=s.invalid_event_fields)
def test_an_invalid_event_is_refused_and_nothing_written(
    registry: Registry, data: st.DataObject, bad: tuple[dict[str, Any], str]
) -> None:
    if not registry.list_sites():
        registry.add_site(slug="site", name="Site", country="SY")
        registry.add_source(key="s", title="Source")
    event = data.draw(s.events("site", None, "s"))
    fields, words = bad
    before = dump(registry.engine)
    with pytest.raises(InvalidRecord, match=words):
        registry.add_event(**(event | fields))
    assert dump(registry.engine) == before
