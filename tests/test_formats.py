"""CSV export and import, formula neutralising, and GeoJSON export."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from heritage_registry import Registry
from heritage_registry.exchange import (
    ImportFailed,
    export_events_csv,
    export_sources_csv,
    import_csv,
    iter_features,
    write_geojson,
)
from heritage_registry.exchange.csv import CSV_COLUMNS
from heritage_registry.exchange.geojson import geojson
from heritage_registry.render import neutralise
from heritage_registry.seed import load_seed
from tests.helpers import dump


@pytest.fixture
def seeded(registry: Registry) -> Registry:
    load_seed(registry)
    return registry


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def events_csv(registry: Registry) -> str:
    out = io.StringIO()
    export_events_csv(registry, out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "+1"),
        ("+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("plain", "plain"),
        ("-38.27", "-38.27"),
        ("-1e5", "-1e5"),
        (5, 5),
    ],
)
def test_cells_a_spreadsheet_would_run_are_neutralised(cell: object, shown: object) -> None:
    assert neutralise(cell) == shown


def test_events_csv_has_one_row_per_event_with_citations_flattened(seeded: Registry) -> None:
    table = rows(events_csv(seeded))
    events = seeded.list_events()
    assert len(table) == len(events)
    by_uid = {row["uid"]: row for row in table}
    for event in events:
        row = by_uid[event.uid]
        assert row["site"] == event.site
        assert row["confidence"] == event.confidence.value
        assert int(row["citation_count"]) == len(event.citations)
        for number, citation in enumerate(event.citations, start=1):
            assert row[f"citation_{number}_source"] == citation.source
            assert row[f"citation_{number}_quote"] == citation.quote
    assert by_uid[events[0].uid]["site_name"]


def test_a_formula_in_a_quote_is_exported_as_text(seeded: Registry) -> None:
    event = seeded.add_event(
        site="palmyra",
        cause="looting",
        damage_level="unknown",
        occurred="2015",
        source="ians-2016-03-27",
        quote='=WEBSERVICE("http://attacker")',
    )
    row = next(r for r in rows(events_csv(seeded)) if r["uid"] == event.uid)
    assert row["citation_1_quote"] == '\'=WEBSERVICE("http://attacker")'


def test_sources_csv(seeded: Registry) -> None:
    out = io.StringIO()
    assert export_sources_csv(seeded, out) == 5
    table = rows(out.getvalue())
    assert [row["key"] for row in table] == sorted(row["key"] for row in table)
    assert {row["publisher"] for row in table} >= {"The New Arab", "IANS"}


CSV_HEADER = ",".join(CSV_COLUMNS) + "\n"


def csv_bytes(*lines: str) -> io.BytesIO:
    return io.BytesIO((CSV_HEADER + "".join(lines)).encode("utf-8"))


def test_csv_import_groups_rows_into_events_and_is_idempotent(seeded: Registry) -> None:
    lines = (
        "palmyra,fire,minor,2015-06,ians-2016-03-27,'=burned,,citadel,,,,,,,\n",
        "palmyra,fire,minor,2015-06,newarab-2016-03-27,set alight,,citadel,,,,,,,\n",
    )
    report = import_csv(seeded, csv_bytes(*lines))
    assert (report.added["events"], report.added["citations"]) == (1, 2)
    fire = seeded.list_events(cause="fire")
    assert len(fire) == 1
    assert [c.quote for c in fire[0].citations] == ["=burned", "set alight"]
    assert fire[0].confidence == "corroborated"
    before = dump(seeded.engine)
    again = import_csv(seeded, csv_bytes(*lines))
    assert sum(again.added.values()) == 0
    assert dump(seeded.engine) == before


def test_exported_csv_rows_import_back_as_the_same_events(
    seeded: Registry, fresh_registry: Callable[[str], Registry]
) -> None:
    target = fresh_registry("sqlite")
    load_seed(target)
    spreadsheet = io.StringIO()
    writer = csv.writer(spreadsheet, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    event = seeded.add_event(
        site="palmyra",
        cause="looting",
        damage_level="unknown",
        occurred="2015",
        source="ians-2016-03-27",
        quote="-looted-",
    )
    row = next(r for r in rows(events_csv(seeded)) if r["uid"] == event.uid)
    writer.writerow([row.get(name) or row.get(f"citation_1_{name}", "") for name in CSV_COLUMNS])
    import_csv(target, io.BytesIO(spreadsheet.getvalue().encode()))
    copied = target.get_event(event.uid)
    assert (copied.cause, copied.occurred, copied.citations[0].quote) == (
        "looting",
        "2015",
        "-looted-",
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            b"site,cause\n",
            "line 1: the header lacks the column\\(s\\) damage_level, occurred, source, quote",
        ),
        ((CSV_HEADER.rstrip("\n") + ",colour\n").encode(), "line 1: unknown column\\(s\\) colour"),
        (
            CSV_HEADER.encode() + b"palmyra,bombing,minor,2015,ians-2016-03-27,q,,,,,,,,,\n",
            "line 2: unknown cause 'bombing'",
        ),
        (
            CSV_HEADER.encode() + b"nowhere,fire,minor,2015,ians-2016-03-27,q,,,,,,,,,\n",
            "line 2: no site 'nowhere'",
        ),
        (
            CSV_HEADER.encode()
            + b"palmyra,fire,minor,2015,ians-2016-03-27,q"
            + b"," * (len(CSV_COLUMNS) - 6)
            + b",extra\n",
            "line 2: more cells",
        ),
        (CSV_HEADER.encode() + b"palmyra,fire,minor,2015,ians-2016-03-27,\xff\n", "not UTF-8"),
    ],
)
def test_a_bad_csv_names_its_line_and_writes_nothing(
    seeded: Registry, data: bytes, message: str
) -> None:
    before = dump(seeded.engine)
    with pytest.raises(ImportFailed, match=message):
        import_csv(seeded, io.BytesIO(data))
    assert dump(seeded.engine) == before


def test_geojson_holds_located_sites_and_monuments_with_levels(seeded: Registry) -> None:
    collection = geojson(seeded)
    assert collection["type"] == "FeatureCollection"
    features = {
        (f["properties"]["type"], f["properties"]["slug"]): f for f in collection["features"]
    }
    palmyra = features[("site", "palmyra")]
    assert palmyra["geometry"] == {"type": "Point", "coordinates": [38.2681, 34.5514]}
    assert palmyra["properties"]["worst_level"] == "destroyed"
    assert palmyra["properties"]["event_count"] == len(seeded.list_events(site="palmyra"))
    citadel = features[("monument", "citadel")]
    assert citadel["properties"]["site"] == "palmyra"
    assert citadel["properties"]["worst_level"] == "unknown"
    assert ("monument", "valley-of-the-tombs") not in features  # it has no location
    json.dumps(collection, allow_nan=False)


def test_geojson_of_an_empty_registry(registry: Registry, tmp_path: Path) -> None:
    assert geojson(registry) == {"type": "FeatureCollection", "features": []}


def test_geojson_written_a_feature_at_a_time_is_the_collection(registry: Registry) -> None:
    def written() -> str:
        out = io.StringIO()
        count = write_geojson(registry, out)
        assert count == len(geojson(registry)["features"])
        return out.getvalue()

    assert written() == json.dumps(geojson(registry), ensure_ascii=False, indent=1) + "\n"
    load_seed(registry)
    assert written() == json.dumps(geojson(registry), ensure_ascii=False, indent=1) + "\n"
    assert list(iter_features(registry, page=1)) == geojson(registry)["features"]
