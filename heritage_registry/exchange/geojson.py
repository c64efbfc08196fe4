"""GeoJSON export: the located sites and monuments, for a map.

GeoJSON export is a FeatureCollection of the sites and monuments that have a location,
each with its worst known damage level and its number of events (retracted and merged
ones left out), in WGS84 longitude/latitude as RFC 7946 and QGIS expect.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import IO, Any

import sqlalchemy as sa

from heritage_registry.exchange.records import keyset_pages
from heritage_registry.models import EVENT_TABLE, MONUMENT_TABLE, SITE_TABLE
from heritage_registry.registry import Registry
from heritage_registry.vocab import DamageLevel


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
