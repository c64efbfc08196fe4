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
each with its worst known damage level and its number of events (retracted and merged
ones left out), in WGS84 longitude/latitude as RFC 7946 and QGIS expect.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator, Mapping
from typing import IO, Any

import sqlalchemy as sa

from heritage_registry import confidence, dates
from heritage_registry.exchange import (
    FACT_FIELDS,
    MAX_LINE_BYTES,
    ImportFailed,
    ImportReport,
    Progress,
    UnreadableFile,
    fact_uid,
    import_records,
    iter_event_records,
    iter_source_records,
    keyset_pages,
    peek_head,
    unreadable_head,
)
from heritage_registry.models import EVENT_TABLE, MONUMENT_TABLE, SITE_TABLE
from heritage_registry.registry import Registry
from heritage_registry.render import FORMULA_STARTS, neutralise
from heritage_registry.vocab import DamageLevel

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
    "merged_into",
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
    "via",
    "mentions",
]
# A citation's mentions in one CSV cell: monument slugs, which hold no semicolon.
MENTIONS_SEPARATOR = "; "
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
    "via",
    "mentions",
]


def _restore(value: str) -> str:
    if value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
        return value[1:]
    return value


# CSV export -----------------------------------------------------------------------


def export_events_csv(registry: Registry, out: IO[str]) -> int:
    """Write every event as one CSV row; returns the number of rows.

    The names of each event's site, monument and sources are read with its page of
    events, so that memory holds a page, however large the registry.
    """
    with registry.engine.connect() as connection:
        widest = connection.execute(
            sa.text(
                "SELECT COALESCE(MAX(n), 0) FROM "
                "(SELECT COUNT(*) AS n FROM source_citation GROUP BY event_id) AS counted"
            )
        ).scalar_one()
    header = list(EVENT_COLUMNS)
    for number in range(1, widest + 1):
        header += [f"citation_{number}_{name}" for name in CITATION_COLUMNS]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    rows = 0
    for record in iter_event_records(registry, named=True):
        level = DamageLevel(record["damage_level"])
        derived = confidence.derive(
            occurred=record["occurred"],
            damage_level=level,
            retracted=record["retracted_at"] is not None,
            merged=record.get("merged_into") is not None,
            attestations=[
                confidence.attestation(
                    stance=c["stance"],
                    publisher=c["publisher"],
                    source=c["source"],
                    via=c.get("via"),
                    claimed_occurred=c["claimed_occurred"],
                    claimed_level=c["claimed_level"],
                )
                for c in record["citations"]
            ],
        )
        span = dates.bounds(record["occurred"])
        values: dict[str, Any] = {
            **record,
            "earliest": span.earliest.isoformat() if span.earliest else None,
            "latest": span.latest.isoformat() if span.latest else None,
            "confidence": derived.value,
            "citation_count": len(record["citations"]),
        }
        cells = [values.get(name) for name in EVENT_COLUMNS]
        for citation in record["citations"]:
            cells += [
                MENTIONS_SEPARATOR.join(citation[name]) if name == "mentions" else citation[name]
                for name in CITATION_COLUMNS
            ]
        cells += [None] * (len(header) - len(cells))
        writer.writerow(["" if cell is None else neutralise(cell) for cell in cells])
        rows += 1
    return rows


def export_sources_csv(registry: Registry, out: IO[str]) -> int:
    """Write every source as one CSV row, by key; returns the number of rows."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SOURCE_COLUMNS)
    rows = 0
    for record in iter_source_records(registry):
        writer.writerow(
            ["" if record[name] is None else neutralise(record[name]) for name in SOURCE_COLUMNS]
        )
        rows += 1
    return rows


# CSV import -----------------------------------------------------------------------


def _bounded_lines(text: IO[str]) -> Iterator[str]:
    """The lines of `text`, refusing one longer than an import line may be.

    The csv module takes a line whole before its field limit applies; reading at most
    the limit keeps a file of one endless line from filling the memory first.
    """
    number = 0
    while line := text.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise ImportFailed(number, f"longer than {MAX_LINE_BYTES:,} characters; split the row")
        yield line


def _check_head(head: bytes) -> None:
    """Refuse a file whose start shows it is no CSV: UTF-16, binary, or JSON Lines."""
    problem = unreadable_head(head, "a CSV file saved as UTF-8")
    if problem is not None:
        raise UnreadableFile(1, problem)
    if head.removeprefix(codecs.BOM_UTF8).lstrip()[:1] in (b"{", b"["):
        raise UnreadableFile(
            1,
            "does not look like CSV: its first line is JSON; is it JSON Lines? use --format jsonl",
        )


def csv_records(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Exchange records from a CSV file in the `CSV_COLUMNS` layout, by row number."""
    head, stream = peek_head(stream)
    _check_head(head)
    try:
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        # strict: a file cut off inside a quoted cell is an error, not a shorter quote.
        reader = csv.DictReader(_bounded_lines(text), strict=True)
        columns = reader.fieldnames or []
    except UnicodeDecodeError:
        raise ImportFailed(1, "not UTF-8; save the file as UTF-8") from None
    except csv.Error as exc:
        raise ImportFailed(1, f"not valid CSV ({exc})") from None
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
            event = {name: cells.get(name) for name in FACT_FIELDS}
            uid = cells.get("uid") or fact_uid(event)
            citation = {
                "source": cells.get("source"),
                "quote": cells.get("quote"),
                "stance": cells.get("stance") or "supports",
                "location": cells.get("location"),
                "claimed_occurred": cells.get("claimed_occurred"),
                "claimed_level": cells.get("claimed_level"),
                "date_resolution": cells.get("date_resolution"),
                "via": cells.get("via"),
                "mentions": [
                    slug.strip()
                    for slug in (cells.get("mentions") or "").split(MENTIONS_SEPARATOR.strip())
                    if slug.strip()
                ],
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


def iter_features(registry: Registry, *, page: int = 1_000) -> Iterator[dict[str, Any]]:
    """The located sites by slug, then monuments by site and slug, as GeoJSON features.

    Read a page at a time, each page with the counts and worst levels of its own
    records' events, so that memory holds a page, however large the registry.
    """
    sites, monuments, events = SITE_TABLE, MONUMENT_TABLE, EVENT_TABLE
    with registry.engine.connect() as connection:
        located_sites = sa.select(sites).where(sites.c.latitude.is_not(None))
        for rows in keyset_pages(connection, located_sites, [(sites.c.slug, "slug")], page=page):
            stats = _event_stats(connection, events.c.site_id, [row.id for row in rows])
            for site in rows:
                worst, count = stats.get(site.id, (None, 0))
                yield _feature(
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
                        "worst_level": _worst(worst),
                        "event_count": count,
                    },
                )
        located_monuments = (
            sa.select(monuments, sites.c.slug.label("site_slug"))
            .join(sites, sites.c.id == monuments.c.site_id)
            .where(monuments.c.latitude.is_not(None))
        )
        keys = [(sites.c.slug, "site_slug"), (monuments.c.slug, "slug")]
        for rows in keyset_pages(connection, located_monuments, keys, page=page):
            stats = _event_stats(connection, events.c.monument_id, [row.id for row in rows])
            for monument in rows:
                worst, count = stats.get(monument.id, (None, 0))
                yield _feature(
                    monument.longitude,
                    monument.latitude,
                    {
                        "type": "monument",
                        "site": monument.site_slug,
                        "slug": monument.slug,
                        "name": monument.name,
                        "kind": monument.kind.value,
                        "worst_level": _worst(worst),
                        "event_count": count,
                    },
                )


def _event_stats(
    connection: sa.Connection, owner: sa.Column[Any], ids: list[int]
) -> dict[int, tuple[int | None, int]]:
    """The worst level's rank and the number of the events of these records, retracted and
    merged ones left out, by the records' ids; a record without any has no entry."""
    events = EVENT_TABLE
    rank = sa.case({level.value: level.rank for level in DamageLevel}, value=events.c.damage_level)
    return {
        row.owner: (row.worst, row.events)
        for row in connection.execute(
            sa.select(
                owner.label("owner"),
                sa.func.count().label("events"),
                sa.func.min(rank).label("worst"),
            )
            .where(
                events.c.retracted_at.is_(None), events.c.merged_into_id.is_(None), owner.in_(ids)
            )
            .group_by(owner)
        )
    }


def geojson(registry: Registry) -> dict[str, Any]:
    """The located sites and monuments as a GeoJSON FeatureCollection.

    It holds every feature; `write_geojson` writes the same text a feature at a time.
    """
    return {"type": "FeatureCollection", "features": list(iter_features(registry))}


def write_geojson(registry: Registry, out: IO[str]) -> int:
    """Write the located sites and monuments to `out`; returns the number of features.

    The text is `json.dumps(geojson(registry), ensure_ascii=False, indent=1)` and a line
    feed, written a feature at a time, so that memory holds a page of features rather
    than the collection and its whole text.
    """
    out.write('{\n "type": "FeatureCollection",\n "features": [')
    count = 0
    for feature in iter_features(registry):
        text = json.dumps(feature, ensure_ascii=False, indent=1)
        # Two levels deep in the collection. Every raw line feed is one of the layout's:
        # json.dumps escapes those inside strings.
        out.write(("\n  " if count == 0 else ",\n  ") + text.replace("\n", "\n  "))
        count += 1
    out.write("\n ]\n}\n" if count else "]\n}\n")
    return count


def _feature(longitude: float, latitude: float, properties: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
        "properties": dict(properties),
    }
