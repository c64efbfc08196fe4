"""Staged events and citations as the rows of their tables, for the import's write pass.

`Rows` makes a staged event (the JSON form of its line) the `damage_event` row the writer
(`exchange.writer`) inserts, in `EVENT_COLUMNS` order: its site and monument by id, its
EDTF bounds (kept for the distinct dates seen: a registry repeats its dates), its times in
the driver's form and the confidence derived from the citations it brings, which the
writer stores with the event (`writer._write_new`); and a staged citation its
`source_citation` row. The ids of sites, monuments and sources by name are the writer's,
which it fills as it writes them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from heritage_registry import confidence
from heritage_registry.exchange.inserts import _stamp_converter
from heritage_registry.models import EVENT_TABLE, occurred_span
from heritage_registry.vocab import DamageLevel

EVENT_COLUMNS = (
    "uid",
    "site_id",
    "monument_id",
    "cause",
    "damage_level",
    "occurred",
    "earliest",
    "latest",
    "actor",
    "description",
    "retracted_at",
    "retraction_reason",
    "merged_into_id",
    "merged_at",
    "merge_reason",
    "created_at",
    "updated_at",
    "confidence",
)
CITATION_COLUMNS = (
    "event_id",
    "source_id",
    "quote",
    "location",
    "stance",
    "claimed_occurred",
    "claimed_level",
    "date_resolution",
    "via",
    "mentions",
    "created_at",
    "text_start",
    "text_end",
)
STAMPS = frozenset({"created_at", "updated_at"})
# The event columns whose values `Rows` gives in the driver's form already.
EVENT_READY = frozenset({"earliest", "latest", "retracted_at", "merged_at", *STAMPS})
# Distinct `occurred` values whose bounds are kept, in the driver's form, between batches.
_SPAN_CACHE = 65_536


class Rows:
    """Rows of new events and citations, from their staged records."""

    def __init__(
        self,
        dialect: sa.Dialect,
        now: dt.datetime,
        *,
        site_ids: dict[str, int],
        monument_ids: dict[tuple[int, str], int],
        source_ids: dict[str, int],
        publishers: dict[str, str | None],
    ) -> None:
        self.site_ids = site_ids
        self.monument_ids = monument_ids
        self.source_ids = source_ids
        # Each source's publisher, by key: what a new event's confidence is derived from.
        self.publishers = publishers
        self.stamp = _stamp_converter(dialect, EVENT_TABLE.c.created_at, now)
        self.date = EVENT_TABLE.c.earliest.type.dialect_impl(dialect).bind_processor(dialect)
        self.spans: dict[str, tuple[Any, Any]] = {}

    def span(self, occurred: str) -> tuple[Any, Any]:
        """An event's `earliest` and `latest` in the driver's form; a registry repeats them."""
        span = self.spans.get(occurred)
        if span is None:
            bounds = occurred_span(occurred)
            earliest, latest = bounds["earliest"], bounds["latest"]
            if self.date is not None:
                earliest, latest = self.date(earliest), self.date(latest)
            if len(self.spans) >= _SPAN_CACHE:
                self.spans.clear()
            span = self.spans[occurred] = (earliest, latest)
        return span

    def event(
        self, record: Mapping[str, Any], merged_into_id: int | None = None
    ) -> tuple[Any, ...]:
        """The row of a new event; of a merged one, pointing to the event it was merged
        into, with no confidence (`confidence.refresh` derives it once its citations,
        added after it, are in)."""
        site_id = self.site_ids[record["site"]]
        monument = record["monument"]
        retracted = record["retracted_at"]
        stamp = self.stamp
        if merged_into_id is None:
            merge: tuple[Any, ...] = (None, None, None)
            derived = self.derived(record)
        else:
            merge = (merged_into_id, stamp(record["merged_at"]), record["merge_reason"])
            derived = None
        return (
            record["uid"],
            site_id,
            self.monument_ids[(site_id, monument)] if monument else None,
            record["cause"],
            record["damage_level"],
            record["occurred"],
            *self.span(record["occurred"]),
            record["actor"],
            record["description"],
            stamp(retracted) if retracted else None,
            record["retraction_reason"],
            *merge,
            stamp(record["recorded_at"]),
            stamp(record["updated_at"]),
            derived,
        )

    def derived(self, record: Mapping[str, Any]) -> str:
        """The confidence of a new event, from its record and the citations it brings."""
        publishers = self.publishers
        return confidence.derive(
            occurred=record["occurred"],
            damage_level=DamageLevel(record["damage_level"]),
            retracted=record["retracted_at"] is not None,
            attestations=[
                confidence.attestation(
                    stance=citation["stance"],
                    publisher=publishers[citation["source"]],
                    source=citation["source"],
                    via=citation["via"],
                    claimed_occurred=citation["claimed_occurred"],
                    claimed_level=citation["claimed_level"],
                )
                for citation in record["citations"]
            ],
        ).value

    def citation(self, event_id: int, citation: Mapping[str, Any]) -> tuple[Any, ...]:
        """The row of a citation of the event `event_id`."""
        return (
            event_id,
            self.source_ids[citation["source"]],
            citation["quote"],
            citation["location"],
            citation["stance"],
            citation["claimed_occurred"],
            citation["claimed_level"],
            citation["date_resolution"],
            citation["via"],
            citation["mentions"],
            self.stamp(citation["recorded_at"]),
            citation.get("text_start"),
            citation.get("text_end"),
        )
