"""The CLI's rendering: display width, cut cells, tables, CSV, JSON and key-value text."""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from heritage_registry import render
from heritage_registry.models import (
    CitationPublic,
    DamageEventPublic,
    MonumentPublic,
    SitePublic,
    SourcePublic,
)


@pytest.mark.parametrize(
    ("text", "width"),
    [
        ("Palmyra", 7),
        ("تدمر", 4),
        ("تَدْمُر", 4),  # three vowel marks, no columns
        ("巴尔米拉", 8),  # wide characters, two columns each
        ("Pe\u0301tra", 5),  # a combining accent
        ("\u200fتدمر\u200f", 4),  # right-to-left marks
        ("", 0),
    ],
)
def test_display_width(text: str, width: int) -> None:
    assert render.display_width(text) == width


def test_truncate_keeps_what_fits() -> None:
    assert render.truncate("x" * 40) == "x" * 40
    assert render.truncate("x" * 41) == "x" * 39 + "…"
    assert render.display_width(render.truncate("x" * 100)) == 40


def test_truncate_never_splits_a_wide_character() -> None:
    cut = render.truncate("巴" * 30)
    assert cut == "巴" * 19 + "…"
    assert render.display_width(cut) == 39


def test_truncate_keeps_vowel_marks_with_their_letter() -> None:
    # ت َ د ْ | م ُ ر: the sukun over dal stays with it; mim does not fit.
    assert render.truncate("تَدْمُر", 3) == "تَدْ…"
    assert render.truncate("تَدْمُر " * 10, 10) == "تَدْمُر تَدْمُر…"


def test_table() -> None:
    assert render.table(["a", "bb"], [["1", "2"], ["تَدْمُر", ""], ["巴尔", "x"]]) == (
        "a     bb\n"
        "1     2\n"
        "تَدْمُر\n"
        "巴尔  x\n"
    )  # fmt: skip


def test_table_cells_are_one_line() -> None:
    assert render.table(["note"], [["two\nlines\tand  tabs "]]) == "note\ntwo lines and tabs\n"


def test_table_of_nothing_is_its_header() -> None:
    assert render.table(["slug", "name"], []) == "slug  name\n"


def test_records_csv() -> None:
    text = render.records_csv(
        ["slug", "alt_names", "unesco_whc_id", "wikidata_qid"],
        [{"slug": "palmyra", "alt_names": [{"name": "تدمر", "lang": "ar"}], "unesco_whc_id": 23}],
    )
    assert text == (
        'slug,alt_names,unesco_whc_id,wikidata_qid\n'
        'palmyra,"[{""name"":""تدمر"",""lang"":""ar""}]",23,\n'
    )  # fmt: skip
    assert list(csv.reader(io.StringIO(text)))[1][1] == '[{"name":"تدمر","lang":"ar"}]'


def test_json_text() -> None:
    assert render.json_text({"name": "تدمر", "n": [1]}) == (
        '{\n  "name": "تدمر",\n  "n": [\n    1\n  ]\n}\n'
    )


def test_key_values_keep_later_lines_in_the_value_column() -> None:
    assert render.key_values([("quote", "first line\nsecond line"), ("source", "ians")], "  ") == (
        "  quote   first line\n"
        "          second line\n"
        "  source  ians\n"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "model", "nested"),
    [
        ("site", SitePublic, set()),
        ("monument", MonumentPublic, set()),
        ("source", SourcePublic, set()),
        ("event", DamageEventPublic, {"citations"}),
        ("citation", CitationPublic, set()),
    ],
)
def test_show_names_every_field_of_the_public_models(
    kind: str, model: type[SitePublic], nested: set[str]
) -> None:
    assert sorted(render.SHOW_FIELDS[kind]) == sorted(set(model.model_fields) - nested)


@pytest.mark.parametrize(
    ("kind", "model"),
    [
        ("sites", SitePublic),
        ("monuments", MonumentPublic),
        ("sources", SourcePublic),
        ("events", DamageEventPublic),
    ],
)
def test_table_columns_are_fields(kind: str, model: type[SitePublic]) -> None:
    assert set(render.TABLE_COLUMNS[kind]) <= set(model.model_fields)


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@given(items=st.lists(_JSON_VALUES, max_size=4))
def test_a_json_list_written_a_piece_at_a_time_is_the_same_text(items: list[object]) -> None:
    """`registry duplicates --format json` streams its list: the text is `json_text`'s."""
    assert "".join(render.json_array_parts(iter(items))) == render.json_text(items)


def test_duplicates_written_a_block_at_a_time_are_the_same_text() -> None:
    event = {"uid": "u", "monument": None, "cause": "fire", "damage_level": "minor"}
    pairs = [
        {
            "site": site,
            "score": 3,
            "reasons": ["same_site", "same_cause"],
            "events": [event | {"occurred": "2015"}, event | {"occurred": "2015-08"}],
        }
        for site in ("nimrud", "palmyra")
    ]
    block = (
        "{site}  score 3: same site, same cause\n"
        "  u  (site)  fire  minor  2015\n"
        "  u  (site)  fire  minor  2015-08\n"
    )
    assert "".join(render.duplicates_text_parts(iter(pairs))) == (
        block.format(site="nimrud") + "\n" + block.format(site="palmyra")
    )
    assert "".join(render.duplicates_text_parts(iter(pairs[:1]))) == block.format(site="nimrud")
    assert "".join(render.duplicates_text_parts(iter([]))) == "No likely duplicates.\n"


# The table and CSV written a row at a time ----------------------------------------------


def _table_whole(headers: list[str], rows: list[list[str]]) -> str:
    """`render.table` as it was, every row in memory at once: the reference."""
    cells = [
        [render.truncate(render.safe_text(" ".join(cell.split()))) for cell in row]
        for row in [list(headers), *rows]
    ]
    widths = [max(render.display_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = [
        render.GAP.join(
            render.pad(cell, width) for cell, width in zip(row, widths, strict=True)
        ).rstrip()
        for row in cells
    ]
    return "\n".join(lines) + "\n"


_cells = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)


@given(
    st.integers(min_value=1, max_value=4).flatmap(
        lambda columns: st.tuples(
            st.lists(_cells, min_size=columns, max_size=columns),
            st.lists(st.lists(_cells, min_size=columns, max_size=columns), max_size=30),
        )
    ),
    st.sampled_from([0, 64, render.TABLE_SPOOL_BYTES]),
)
def test_a_table_written_a_line_at_a_time_is_the_whole_table(
    table: tuple[list[str], list[list[str]]], spool_bytes: int
) -> None:
    """Whatever the cells (wide, cut, control characters, line breaks), and whether the
    rows stay in memory or go to a temporary file on the way."""
    headers, rows = table
    previous, render.TABLE_SPOOL_BYTES = render.TABLE_SPOOL_BYTES, spool_bytes
    try:
        parts = list(render.table_parts(headers, iter(rows)))
    finally:
        render.TABLE_SPOOL_BYTES = previous
    assert "".join(parts) == _table_whole(headers, rows)
    assert len(parts) == len(rows) + 1


def _csv_whole(fields: list[str], records: list[dict[str, object]]) -> str:
    """`render.records_csv` as it was, one buffer for every row: the reference."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(fields)
    for record in records:
        writer.writerow([render.neutralise(render.scalar(record.get(name))) for name in fields])
    return buffer.getvalue()


_values = st.one_of(
    st.none(), _cells, st.integers(), st.lists(st.dictionaries(_cells, _cells, max_size=2))
)


@given(st.lists(st.fixed_dictionaries({"a": _values, "b": _values}), max_size=20))
def test_csv_written_a_row_at_a_time_is_the_whole_csv(records: list[dict[str, object]]) -> None:
    parts = list(render.records_csv_parts(["a", "b"], iter(records)))
    assert "".join(parts) == _csv_whole(["a", "b"], records)
    assert len(parts) == len(records) + 1
