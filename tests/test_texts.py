"""Sources' texts and verified quotes: `attach-text`, checked citations and `verify`.

The folding and the closest passage are checked on their own and by a property; the
commands for their exact output, on each engine, on the CLI tests' populated registry.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import sqlalchemy as sa
from hypothesis import assume, given
from hypothesis import strategies as st

from heritage_registry import exchange, texts
from heritage_registry.errors import InvalidRecord, QuoteNotFound, SourceNotFound
from heritage_registry.models import SourceCitation
from heritage_registry.registry import Registry
from heritage_registry.seed import load_seed
from heritage_registry.summary import FORMATS, Format, build_summary, render, schema_path
from tests.helpers import dump
from tests.test_cli import (
    CITADEL,
    IANS,
    NEWARAB,
    OCCUPATION,
    Run,
    invoker,
    ok,
    populate,
    refused,
)

# The New Arab's article as the tests keep it: the populated registry's three quotes of
# it, one broken across lines, one between typographic quotes.
ARTICLE = (
    "Syrian troops recaptured Palmyra on Sunday, ten months\r\n"
    "since IS seized it in May 2015. The group has since blown up\r\n"
    "UNESCO-listed temples and looted relics \u2014 a military source said\r\n"
    "IS \u201chad taken over the citadel on May 23 last year\u201d.\r\n"
)
STORED = ARTICLE.replace("\r\n", "\n")
DIGEST = hashlib.sha256(STORED.encode()).hexdigest()


@pytest.fixture
def reg(migrated_url: str) -> Iterator[Registry]:
    with Registry.open(migrated_url) as registry:
        populate(registry)
        yield registry


@pytest.fixture
def run(migrated_url: str, reg: Registry) -> Run:
    return invoker(migrated_url)


@pytest.fixture
def article(tmp_path: Path) -> Path:
    path = tmp_path / "newarab.txt"
    path.write_bytes(ARTICLE.encode())
    return path


def spans(reg: Registry) -> list[tuple[str, int | None, int | None]]:
    """Each citation's quote and offsets, in the order they were recorded."""
    table = SourceCitation.__table__  # type: ignore[attr-defined]
    with reg.engine.connect() as connection:
        rows = connection.execute(
            sa.select(table.c.quote, table.c.text_start, table.c.text_end).order_by(table.c.id)
        ).all()
    return [(quote, start, end) for quote, start, end in rows]


# Folding, finding and the closest passage ----------------------------------------


def test_a_quote_is_found_across_line_breaks_quotes_and_dashes() -> None:
    quote = 'blown up UNESCO-listed temples and looted relics - a military source said IS "had'
    start, end = texts.locate(quote, STORED) or (0, 0)
    assert STORED[start:end] == (
        "blown up\nUNESCO-listed temples and looted relics \u2014 a military source said\n"
        "IS \u201chad"
    )


def test_a_changed_word_is_refused_with_the_passage_it_changed() -> None:
    finding = texts.check("The group has since blown up UNESCO-listed mosques", STORED)
    assert finding == texts.Finding(None, "The group has since blown up UNESCO-listed temples")


def test_a_text_with_none_of_the_quote_s_words_suggests_nothing() -> None:
    assert texts.check("zzz qqq", STORED) == texts.Finding(None, None)


_WORDS = st.sampled_from(
    ["the", "army", "took", "Palmyra's", "citadel", '"fully"', "on", "Sunday,", "--", "IS", "-"]
)
_SPACE = st.sampled_from([" ", "\n", "  ", " \n", "\t"])


@st.composite
def texts_and_quotes(draw: st.DrawFn) -> tuple[str, str, str]:
    """A text, a substring of it, and the substring re-wrapped with typographic quotes."""
    words = draw(st.lists(_WORDS, min_size=1, max_size=30))
    text = "".join(word + draw(_SPACE) for word in words)
    start = draw(st.integers(0, len(text) - 1))
    end = draw(st.integers(start + 1, len(text)))
    part = text[start:end]
    rewrapped = re.sub(r"\s+", lambda _: draw(_SPACE), part)
    typographic = rewrapped.replace("'", "\u2019")
    typographic = re.sub('"', lambda _: draw(st.sampled_from(["\u201c", "\u201d"])), typographic)
    typographic = typographic.replace("--", draw(st.sampled_from(["\u2014", "--", " \u2013 "])))
    return text, part, typographic


@given(texts_and_quotes())
def test_any_part_of_a_text_rewrapped_and_made_typographic_is_found(
    case: tuple[str, str, str],
) -> None:
    text, part, quote = case
    assume(part.strip())
    span = texts.locate(quote, text)
    assert span is not None
    start, end = span
    assert texts.folded_quote(text[start:end]) == texts.folded_quote(part)


@given(texts_and_quotes(), st.sampled_from(["mosque", "Aleppo", "destroyed", "Monday"]))
def test_any_part_of_a_text_with_a_word_changed_is_not_found(
    case: tuple[str, str, str], word: str
) -> None:
    text, _, quote = case
    changeable = list(re.finditer(r"[A-Za-z]+", quote))
    assume(changeable)
    first = changeable[0]
    changed = quote[: first.start()] + word + quote[first.end() :]
    assert texts.locate(changed, text) is None
    assert texts.check(changed, text).span is None


# The library ------------------------------------------------------------------------


def test_attach_text_keeps_it_and_locates_the_citations(reg: Registry) -> None:
    kept = reg.attach_text(
        NEWARAB,
        ARTICLE,
        retrieved="2016-03-28",
        url="https://www.newarab.com/palmyra",
        archived_url="https://web.archive.org/web/2016/https://www.newarab.com/palmyra",
        by="editor",
    )
    assert (kept.sha256, kept.characters, str(kept.retrieved)) == (
        DIGEST,
        len(STORED),
        "2016-03-28",
    )
    assert reg.text_of(NEWARAB) == STORED
    assert reg.source_text(IANS) is None
    located = {quote: (start, end) for quote, start, end in spans(reg)}
    for quote in (
        "since IS seized it in May 2015",
        "The group has since blown up UNESCO-listed temples",
        "had taken over the citadel on May 23 last year",
    ):
        start, end = located[quote]
        assert start is not None
        assert end is not None
        assert " ".join(STORED[start:end].split()) == quote
    assert located[spans(reg)[1][0]] == (None, None)  # IANS's, which keeps no text


def test_replacing_a_text_is_a_change_in_history_keeping_the_old_hash(reg: Registry) -> None:
    reg.attach_text(NEWARAB, ARTICLE, retrieved="2016-03-28", by="editor")
    # The same again changes nothing and writes nothing.
    before = dump(reg.engine)
    reg.attach_text(NEWARAB, ARTICLE, retrieved="2016-03-28", by="editor")
    assert dump(reg.engine) == before
    reg.attach_text(NEWARAB, sha256="AB" * 32, retrieved="2016-03-29", by="editor")
    *_, attached, replaced = reg.history("source", NEWARAB)
    assert (attached.action, attached.reason) == ("update", "text attached")
    assert attached.old is not None
    assert attached.new is not None
    assert attached.old["text"] is None
    assert attached.new["text"]["sha256"] == DIGEST
    assert replaced.reason == "text replaced"
    assert replaced.old is not None
    assert replaced.new is not None
    assert replaced.old["text"]["sha256"] == DIGEST
    assert replaced.new["text"] | {"attached_at": None} == {
        "sha256": "ab" * 32,
        "characters": None,
        "retrieved": "2016-03-29",
        "url": None,
        "archived_url": None,
        "attached_at": None,
    }
    # No text is kept in history, nor now that only a hash is.
    assert STORED not in str(replaced.old) + str(replaced.new)
    assert reg.text_of(NEWARAB) is None
    assert {(start, end) for _, start, end in spans(reg)} == {(None, None)}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({}, "give the source's text or the SHA-256 of its original, not both"),
        ({"text": "x", "sha256": "ab" * 32}, "give the source's text or the SHA-256 of"),
        ({"sha256": "xyz"}, "sha256: give the 64 hexadecimal digits of a SHA-256"),
        ({"text": " \n "}, "text: the text is empty"),
        ({"text": "a\x1bb"}, "text: "),
        ({"text": "x", "url": "www.example.org"}, "url: 'www.example.org' is not a web address"),
        ({"text": "x", "retrieved": "March 2016"}, "retrieved: 'March 2016' is not a date"),
    ],
)
def test_attach_text_refuses_bad_input_and_writes_nothing(
    reg: Registry, fields: dict[str, str], message: str
) -> None:
    before = dump(reg.engine)
    with pytest.raises(InvalidRecord, match=re.escape(message)):
        reg.attach_text(NEWARAB, **fields)
    with pytest.raises(SourceNotFound):
        reg.attach_text("no-such-source", "x")
    assert dump(reg.engine) == before


def test_a_quote_not_in_the_text_is_refused_with_the_closest_passage(reg: Registry) -> None:
    reg.attach_text(NEWARAB, ARTICLE)
    before = dump(reg.engine)
    with pytest.raises(QuoteNotFound) as refused_quote:
        reg.cite(CITADEL, source=NEWARAB, quote="Syrian troops recaptured Palmyra on Monday")
    assert refused_quote.value.suggestion == "Syrian troops recaptured Palmyra on Sunday,"
    with pytest.raises(QuoteNotFound):
        reg.add_event(
            site="palmyra", cause="looting", damage_level="unknown", occurred="2016",
            source=NEWARAB, quote="looted statues",
        )  # fmt: skip
    assert dump(reg.engine) == before
    # A source with no text is cited as before, unverified.
    reg.cite(CITADEL, source=IANS, quote="not in any text we keep")
    assert spans(reg)[-1] == ("not in any text we keep", None, None)


def test_a_source_with_a_text_can_still_be_removed(reg: Registry) -> None:
    reg.add_source(key="unused", title="Unused")
    reg.attach_text("unused", "Some words.")
    reg.remove_source("unused", reason="entered by mistake")
    assert "unused" not in {source.key for source in reg.list_sources()}


# The commands -----------------------------------------------------------------------


def test_attach_text_command(run: Run, reg: Registry, article: Path) -> None:
    ok(
        run(
            "attach-text",
            NEWARAB,
            str(article),
            "--retrieved",
            "2016-03-28",
            "--url",
            "https://www.newarab.com/palmyra",
            "--archived-url",
            "https://web.archive.org/web/2016/palmyra",
            "--by",
            "editor",
        ),
        stderr=f"Kept the text ({len(STORED)} characters) of source {NEWARAB}: sha256 {DIGEST}.\n",
    )
    kept = reg.source_text(NEWARAB)
    assert kept is not None
    shown = run("show", "source", NEWARAB)
    assert shown.exit_code == 0
    assert shown.stdout.endswith(
        f"""\
text_sha256         {DIGEST}
text_characters     {len(STORED)}
text_retrieved      2016-03-28
text_url            https://www.newarab.com/palmyra
text_archived_url   https://web.archive.org/web/2016/palmyra
text_attached_at    {kept.attached_at.isoformat().replace("+00:00", "Z")}
"""
    )
    shown_json = json.loads(run("show", "source", NEWARAB, "--format", "json").stdout)
    assert shown_json["text"] == kept.model_dump(mode="json")
    # A source that keeps no text shows as it did.
    assert "text" not in json.loads(run("show", "source", IANS, "--format", "json").stdout)
    history = run("history", "--source", NEWARAB).stdout
    assert history.endswith(
        "  reason: text attached\n"
        f"  text: none -> sha256 {DIGEST}, retrieved 2016-03-28, "
        "url https://www.newarab.com/palmyra, "
        "archived_url https://web.archive.org/web/2016/palmyra\n"
    )


def test_attach_text_command_records_an_original_s_hash(
    run: Run, reg: Registry, tmp_path: Path
) -> None:
    original = tmp_path / "report.pdf"
    original.write_bytes(b"%PDF-1.4 \xff\xfe")
    digest = hashlib.sha256(original.read_bytes()).hexdigest()
    ok(
        run("attach-text", IANS, "--hash-file", str(original), "--retrieved", "2016-03-27"),
        stderr=f"Kept the hash of source {IANS}: sha256 {digest}.\n",
    )
    ok(
        run("attach-text", IANS, "--sha256", "CD" * 32),
        stderr=f"Kept the hash of source {IANS}: sha256 {'cd' * 32}.\n",
    )
    before = dump(reg.engine)
    refused(
        run("attach-text", IANS, str(original)),
        f"{original} is not UTF-8 text (byte 9); record an original's hash with --hash-file "
        "instead",
    )
    refused(
        run("attach-text", IANS),
        "give the text's FILE, or --sha256 HEX or --hash-file FILE",
        exit_code=2,
    )
    refused(run("attach-text", "nope", "--sha256", "cd" * 32), "no source 'nope'")
    assert dump(reg.engine) == before


def test_cite_finds_a_quote_broken_across_lines(run: Run, reg: Registry, article: Path) -> None:
    run("attach-text", NEWARAB, str(article))
    quote = "ten months since IS seized\nit in May 2015. The group"
    ok(
        run("cite", OCCUPATION, "--source", NEWARAB, "--quote", quote),
        stderr=f"Cited source {NEWARAB} on event {OCCUPATION}; its confidence is corroborated.\n",
    )
    _, start, end = spans(reg)[-1]
    assert (start, end) == (STORED.index("ten months"), STORED.index(" has since"))


def test_cite_refuses_a_changed_word_and_suggests_the_passage(
    run: Run, reg: Registry, article: Path
) -> None:
    run("attach-text", NEWARAB, str(article))
    before = dump(reg.engine)
    refused(
        run(
            "cite",
            CITADEL,
            "--source",
            NEWARAB,
            "--quote",
            "Syrian troops recaptured Palmyra on Monday",
        ),
        "the quote 'Syrian troops recaptured Palmyra on Monday' is not in the text of source "
        f"'{NEWARAB}'; did you mean 'Syrian troops recaptured Palmyra on Sunday,'?",
    )
    refused(
        run(
            "add-event",
            "palmyra",
            "--cause",
            "looting",
            "--level",
            "unknown",
            "--occurred",
            "2016",
            "--source",
            NEWARAB,
            "--quote",
            "and looted statues",
        ),
        f"the quote 'and looted statues' is not in the text of source '{NEWARAB}'; "
        "did you mean 'and looted relics'?",
    )
    assert dump(reg.engine) == before


def test_verify_the_stored_texts(run: Run, reg: Registry, article: Path) -> None:
    ok(
        run("verify"),
        stdout="""\
no text    3006cef2  ians-2016-03-27: The Syrian army fully recaptured the ancient city of Palmyra in central Syria on Sunday
no text    3006cef2  newarab-2016-03-27: since IS seized it in May 2015
no text    6f1d3c52  newarab-2016-03-27: The group has since blown up UNESCO-listed temples
no text    b3daa9cb  newarab-2016-03-27: had taken over the citadel on May 23 last year
4 citations: 0 verified, 0 not found, 4 with no text
""",  # noqa: E501
    )
    run("attach-text", NEWARAB, str(article))
    ok(
        run("verify"),
        stdout="""\
no text    3006cef2  ians-2016-03-27: The Syrian army fully recaptured the ancient city of Palmyra in central Syria on Sunday
verified   3006cef2  newarab-2016-03-27: since IS seized it in May 2015
verified   6f1d3c52  newarab-2016-03-27: The group has since blown up UNESCO-listed temples
verified   b3daa9cb  newarab-2016-03-27: had taken over the citadel on May 23 last year
4 citations: 3 verified, 0 not found, 1 with no text
""",  # noqa: E501
    )


def test_verify_against_a_folder_of_texts(run: Run, reg: Registry, tmp_path: Path) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    (folder / f"{NEWARAB}.txt").write_text(ARTICLE.replace("temples", "shrines"), "utf-8")
    (folder / IANS).write_text(
        "The Syrian army fully recaptured the ancient city of Palmyra\nin central Syria on "
        "Sunday, state media said.",
        "utf-8",
    )
    result = run("verify", "--texts", str(folder))
    assert (result.exit_code, result.stdout, result.stderr) == (
        1,
        """\
verified   3006cef2  ians-2016-03-27: The Syrian army fully recaptured the ancient city of Palmyra in central Syria on Sunday
verified   3006cef2  newarab-2016-03-27: since IS seized it in May 2015
not found  6f1d3c52  newarab-2016-03-27: The group has since blown up UNESCO-listed temples
           did you mean: The group has since blown up UNESCO-listed shrines
verified   b3daa9cb  newarab-2016-03-27: had taken over the citadel on May 23 last year
4 citations: 3 verified, 1 not found, 0 with no text
""",  # noqa: E501
        "Error: 1 quote not found in its source's text\n",
    )
    # Verifying reads the folder only: the registry keeps no text.
    assert reg.source_text(NEWARAB) is None
    refused(
        run("verify", "--texts", str(tmp_path / "none")),
        f"--texts: {tmp_path / 'none'} is not a folder",
    )


def test_verify_the_seed_against_its_articles(migrated_url: str, articles: Path) -> None:
    with Registry.open(migrated_url) as registry:
        load_seed(registry)
        total = len(spans(registry))
    result = invoker(migrated_url)("verify", "--texts", str(articles))
    assert (result.exit_code, result.stderr) == (0, "")
    *lines, counts = result.stdout.splitlines()
    assert counts == f"{total} citations: {total} verified, 0 not found, 0 with no text"
    assert len(lines) == total
    assert all(line.startswith("verified   ") for line in lines)


def test_a_verified_quote_s_offsets_survive_export_and_import(
    reg: Registry, fresh_registry: Any
) -> None:
    reg.attach_text(NEWARAB, ARTICLE)
    out = io.StringIO()
    exchange.export_jsonl(reg, out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()[1:]]
    cited = [c for line in lines if line["type"] == "event" for c in line["citations"]]
    # Only a verified quote's line gains the offsets.
    assert sorted(("text_start" in c, c["source"]) for c in cited) == [
        (False, IANS), (True, NEWARAB), (True, NEWARAB), (True, NEWARAB),
    ]  # fmt: skip
    other = fresh_registry(reg.engine.dialect.name)
    exchange.import_jsonl(other, io.BytesIO(out.getvalue().encode()))
    assert sorted(spans(other), key=repr) == sorted(spans(reg), key=repr)


# Summaries ------------------------------------------------------------------------


def test_the_summary_s_bibliography_shows_a_kept_text(reg: Registry) -> None:
    reg.attach_text(
        NEWARAB, ARTICLE, retrieved="2016-03-28", url="https://www.newarab.com/palmyra",
        archived_url="https://web.archive.org/web/2016/palmyra",
    )  # fmt: skip
    summary = build_summary(reg, "palmyra")
    text = render(summary, "text")
    assert (
        "    [EDTF 2016-03-27]. News report; language: en.\n"
        "    Retrieved 28 March 2016 from https://www.newarab.com/palmyra. SHA-256\n"
        f"    {DIGEST}.\n"
        "    Archived copy: https://web.archive.org/web/2016/palmyra\n"
    ) in text
    markdown = render(summary, "markdown")
    assert (
        "News report. Retrieved 28 March 2016 from <https://www.newarab.com/palmyra>. SHA-256 "
        f"`{DIGEST}`. Archived copy: <https://web.archive.org/web/2016/palmyra>\n"
    ) in markdown
    html = render(summary, "html")
    assert '<a class="url" href="https://web.archive.org/web/2016/palmyra">' in html
    data = json.loads(render(summary, "json"))
    schema = json.loads(schema_path().read_text("utf-8"))
    jsonschema.validate(data, schema, format_checker=jsonschema.FormatChecker())
    kept = [source["text"] for source in data["sources"] if "text" in source]
    assert kept == [
        {
            "sha256": DIGEST,
            "characters": len(STORED),
            "retrieved": "2016-03-28",
            "retrieved_label": "28 March 2016",
            "url": "https://www.newarab.com/palmyra",
            "archived_url": "https://web.archive.org/web/2016/palmyra",
        }
    ]


@pytest.mark.parametrize("output_format", FORMATS)
def test_a_summary_of_sources_without_texts_is_as_it_was(
    reg: Registry, output_format: Format
) -> None:
    before = build_summary(reg, "palmyra")
    reg.attach_text(NEWARAB, ARTICLE, archived_url="https://web.archive.org/web/2016/palmyra")
    after = build_summary(reg, "palmyra")
    assert after.as_of > before.as_of
    without = after.model_copy(
        update={
            "as_of": before.as_of,
            "sources": [source.model_copy(update={"text": None}) for source in after.sources],
        }
    )
    assert render(without, output_format) == render(before, output_format)
