"""Spreadsheet and map formats: CSV export and import of events, GeoJSON export.

CSV export writes one row per event, its site, monument and citations flattened into
numbered columns (`citation_1_source`, `citation_1_quote`, ...), plus a file of the
sources. A cell that a spreadsheet would run as a formula (one starting with `=`, `+`,
`-`, `@`, a tab or a carriage return) is written with a leading apostrophe, which the
CSV import takes off again.

CSV import reads events in the layout of `CSV_COLUMNS`: one row per citation; rows
that give the same uid, or, without a uid, the same event facts, are one event. It
goes through the same validation and bulk writer as the JSON Lines import.

GeoJSON export is a FeatureCollection of the sites and monuments that have a location,
each with its worst known damage level and its number of events (retracted ones left
out), in WGS84 longitude/latitude as RFC 7946 and QGIS expect.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator, Mapping
from typing import IO, Any

import sqlalchemy as sa

from heritage_registry import confidence, dates
from heritage_registry.exchange import (
    ImportFailed,
    ImportReport,
    Progress,
    import_records,
    iter_event_records,
)
from heritage_registry.models import EVENT_TABLE, MONUMENT_TABLE, SITE_TABLE
from heritage_registry.registry import Registry
from heritage_registry.render import FORMULA_STARTS, neutralise
from heritage_registry.vocab import DamageLevel, Stance

EVENT_COLUMNS = [
    "uid",
    "site",
    "site_name",
    "country",
    "monument",
    "monument_name",
    "cause",
    "damage_level",
    "occurred",
    "earliest",
    "latest",
    "actor",
    "description",
    "confidence",
    "retracted_at",
    "retraction_reason",
    "recorded_at",
    "citation_count",
]
CITATION_COLUMNS = [
    "source",
    "quote",
    "stance",
    "location",
    "claimed_occurred",
    "claimed_level",
    "date_resolution",
]
SOURCE_COLUMNS = [
    "key",
    "title",
    "publisher",
    "author",
    "url",
    "language",
    "published",
    "source_type",
    "note",
]

# The layout CSV import reads: one row per citation. Required columns first.
CSV_REQUIRED = ["site", "cause", "damage_level", "occurred", "source", "quote"]
CSV_COLUMNS = [
    *CSV_REQUIRED,
    "uid",
    "monument",
    "actor",
    "description",
    "stance",
    "location",
    "claimed_occurred",
    "claimed_level",
    "date_resolution",
]
_EVENT_FIELDS = ("site", "monument", "cause", "damage_level", "occurred", "actor", "description")
# uids for CSV rows that give none: the same facts give the same uid, so importing the
# same spreadsheet twice adds nothing.
CSV_UID_NAMESPACE = uuid.UUID("6f1c0a52-8d0e-4f0e-9a57-3c1f1f5a7e21")


def _restore(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


# CSV export -----------------------------------------------------------------------


def export_events_csv(registry: Registry, out: IO[str]) -> int:
    """Write every event as one CSV row; returns the number of rows."""
    with registry.engine.connect() as connection:
        widest = connection.execute(
            sa.text(
                "SELECT COALESCE(MAX(n), 0) FROM "
                "(SELECT COUNT(*) AS n FROM source_citation GROUP BY event_id) AS counted"
            )
        ).scalar_one()
        sites = {
            row.slug: row
            for row in connection.execute(
                sa.select(SITE_TABLE.c.slug, SITE_TABLE.c.name, SITE_TABLE.c.country)
            )
        }
        monuments = {
            (row.site, row.slug): row.name
            for row in connection.execute(
                sa.select(
                    SITE_TABLE.c.slug.label("site"), MONUMENT_TABLE.c.slug, MONUMENT_TABLE.c.name
                ).join(SITE_TABLE, SITE_TABLE.c.id == MONUMENT_TABLE.c.site_id)
            )
        }
    publishers = {source.key: source.publisher for source in registry.list_sources()}
    header = list(EVENT_COLUMNS)
    for number in range(1, widest + 1):
        header += [f"citation_{number}_{name}" for name in CITATION_COLUMNS]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    rows = 0
    for record in iter_event_records(registry):
        site = sites[record["site"]]
        level = DamageLevel(record["damage_level"])
        derived = confidence.derive(
            occurred=record["occurred"],
            damage_level=level,
            retracted=record["retracted_at"] is not None,
            attestations=[
                confidence.Attestation(
                    stance=Stance(c["stance"]),
                    publisher=confidence.independent_voice(
                        publishers.get(c["source"]), c["source"]
                    ),
                    claimed_occurred=c["claimed_occurred"],
                    claimed_level=DamageLevel(c["claimed_level"]) if c["claimed_level"] else None,
                )
                for c in record["citations"]
            ],
        )
        span = dates.bounds(record["occurred"])
        values: dict[str, Any] = {
            **record,
            "site_name": site.name,
            "country": site.country,
            "monument_name": monuments.get((record["site"], record["monument"])),
            "earliest": span.earliest.isoformat() if span.earliest else None,
            "latest": span.latest.isoformat() if span.latest else None,
            "confidence": derived.value,
            "citation_count": len(record["citations"]),
        }
        cells = [values.get(name) for name in EVENT_COLUMNS]
        for citation in record["citations"]:
            cells += [citation[name] for name in CITATION_COLUMNS]
        cells += [None] * (len(header) - len(cells))
        writer.writerow(["" if cell is None else neutralise(cell) for cell in cells])
        rows += 1
    return rows


def export_sources_csv(registry: Registry, out: IO[str]) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SOURCE_COLUMNS)
    sources = registry.list_sources()
    for source in sources:
        record = source.model_dump(mode="json")
        writer.writerow(
            ["" if record[name] is None else neutralise(record[name]) for name in SOURCE_COLUMNS]
        )
    return len(sources)


# CSV import -----------------------------------------------------------------------


def csv_records(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Exchange records from a CSV file in the `CSV_COLUMNS` layout, by row number."""
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        # strict: a file cut off inside a quoted cell is an error, not a shorter quote.
        reader = csv.DictReader(text, strict=True)
        columns = reader.fieldnames or []
    except UnicodeDecodeError:
        raise ImportFailed(1, "not UTF-8; save the file as UTF-8") from None
    missing = [name for name in CSV_REQUIRED if name not in columns]
    if missing:
        raise ImportFailed(
            1,
            f"the header lacks the column(s) {', '.join(missing)}; "
            f"the layout is: {', '.join(CSV_COLUMNS)}",
        )
    twice = sorted({name for name in columns if columns.count(name) > 1})
    if twice:
        raise ImportFailed(1, f"the column(s) {', '.join(twice)} are given twice; keep one")
    unknown = [name for name in columns if name not in CSV_COLUMNS]
    if unknown:
        raise ImportFailed(
            1, f"unknown column(s) {', '.join(unknown)}; the layout is: {', '.join(CSV_COLUMNS)}"
        )
    try:
        for row in reader:
            number = reader.line_num
            if None in row:
                raise ImportFailed(number, "more cells than the header has columns")
            cells = {name: _restore(value) if value else None for name, value in row.items()}
            event = {name: cells.get(name) for name in _EVENT_FIELDS}
            uid = cells.get("uid") or str(
                uuid.uuid5(
                    CSV_UID_NAMESPACE, "\x1f".join(str(event[name] or "") for name in _EVENT_FIELDS)
                )
            )
            citation = {
                "source": cells.get("source"),
                "quote": cells.get("quote"),
                "stance": cells.get("stance") or "supports",
                "location": cells.get("location"),
                "claimed_occurred": cells.get("claimed_occurred"),
                "claimed_level": cells.get("claimed_level"),
                "date_resolution": cells.get("date_resolution"),
            }
            yield number, {"type": "event", "uid": uid, **event, "citations": [citation]}
    except UnicodeDecodeError:
        raise ImportFailed(reader.line_num + 1, "not UTF-8; save the file as UTF-8") from None
    except csv.Error as exc:
        # The reader counts a line once it has read it whole; the bad one is the next.
        raise ImportFailed(reader.line_num + 1, f"not valid CSV ({exc})") from None


def import_csv(
    registry: Registry, stream: IO[bytes], *, progress: Progress | None = None
) -> ImportReport:
    """Import events from CSV; their sites, monuments and sources must be in the registry."""
    return import_records(registry, csv_records(stream), progress=progress)


# GeoJSON --------------------------------------------------------------------------


def _worst(rank: int | None) -> str:
    ranked = list(DamageLevel)
    return (ranked[rank] if rank is not None else DamageLevel.UNKNOWN).value


def geojson(registry: Registry) -> dict[str, Any]:
    """The located sites and monuments as a GeoJSON FeatureCollection."""
    rank = sa.case(
        {level.value: level.rank for level in DamageLevel}, value=EVENT_TABLE.c.damage_level
    )
    live = EVENT_TABLE.c.retracted_at.is_(None)
    features: list[dict[str, Any]] = []
    with registry.engine.connect() as connection:
        per_site = {
            row.site_id: row
            for row in connection.execute(
                sa.select(
                    EVENT_TABLE.c.site_id,
                    sa.func.count().label("events"),
                    sa.func.min(rank).label("worst"),
                )
                .where(live)
                .group_by(EVENT_TABLE.c.site_id)
            )
        }
        per_monument = {
            row.monument_id: row
            for row in connection.execute(
                sa.select(
                    EVENT_TABLE.c.monument_id,
                    sa.func.count().label("events"),
                    sa.func.min(rank).label("worst"),
                )
                .where(live, EVENT_TABLE.c.monument_id.is_not(None))
                .group_by(EVENT_TABLE.c.monument_id)
            )
        }
        for site in connection.execute(
            sa.select(SITE_TABLE)
            .where(SITE_TABLE.c.latitude.is_not(None))
            .order_by(SITE_TABLE.c.slug)
        ):
            stats = per_site.get(site.id)
            features.append(
                _feature(
                    site.longitude,
                    site.latitude,
                    {
                        "type": "site",
                        "slug": site.slug,
                        "name": site.name,
                        "country": site.country,
                        "kind": site.kind.value,
                        "unesco_whc_id": site.unesco_whc_id,
                        "wikidata_qid": site.wikidata_qid,
                        "worst_level": _worst(stats.worst if stats else None),
                        "event_count": stats.events if stats else 0,
                    },
                )
            )
        for monument in connection.execute(
            sa.select(MONUMENT_TABLE, SITE_TABLE.c.slug.label("site_slug"))
            .join(SITE_TABLE, SITE_TABLE.c.id == MONUMENT_TABLE.c.site_id)
            .where(MONUMENT_TABLE.c.latitude.is_not(None))
            .order_by(SITE_TABLE.c.slug, MONUMENT_TABLE.c.slug)
        ):
            stats = per_monument.get(monument.id)
            features.append(
                _feature(
                    monument.longitude,
                    monument.latitude,
                    {
                        "type": "monument",
                        "site": monument.site_slug,
                        "slug": monument.slug,
                        "name": monument.name,
                        "kind": monument.kind.value,
                        "worst_level": _worst(stats.worst if stats else None),
                        "event_count": stats.events if stats else 0,
                    },
                )
            )
    return {"type": "FeatureCollection", "features": features}


def _feature(longitude: float, latitude: float, properties: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
        "properties": dict(properties),
    }
