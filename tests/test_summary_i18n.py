"""Summaries in another language: Arabic, right to left, from the shipped catalogue.

Every vocabulary value has an Arabic label; every message the renderers use on the
seeded sites is in the catalogue; each format of each seeded site is the same twice,
carries the Arabic headings and labels, and (text, for one site) is exactly as expected;
dates and counts are said as Arabic says them; English stays as it was.
"""

# Arabic-Indic digits are the point of these strings, not look-alikes of Latin letters.
# ruff: noqa: RUF001

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from heritage_registry import Registry, i18n
from heritage_registry.cli import main
from heritage_registry.errors import UnknownLanguage
from heritage_registry.seed import load_seed
from heritage_registry.summary import FORMATS, build_summary, describe, render, schema_path
from heritage_registry.summary.render import render_index, write_all
from heritage_registry.vocab import DEFINITIONS, VOCABULARIES, Confidence, DamageLevel

SEEDED_SITES = ("mosul-museum", "nimrud", "palmyra")
CATALOGUE = i18n.LOCALES / "ar" / "LC_MESSAGES" / "heritage_registry.po"
GOLDEN = Path(__file__).resolve().parent / "golden"

# What each format must say in Arabic, for every seeded site.
HEADINGS = {
    "text": ["ملخص الأضرار", "نظرة عامة", "المعالم", "الخط الزمني", "المصادر", "أسوأ مستوى معروف"],
    "markdown": ["## نظرة عامة", "## المعالم", "## الخط الزمني", "## المصادر", "حسب السبب"],
    "html": [
        '<html lang="ar" dir="rtl">',
        '<h2 id="overview-h">نظرة عامة</h2>',
        '<h2 id="timeline-h">الخط الزمني</h2>',
        '<h2 id="sources-h">المصادر</h2>',
        "Noto Naskh Arabic",
        "<bdi>",
    ],
    "json": ['"occurred_label": "'],
}


@pytest.fixture
def seeded(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """The seed, recorded at a fixed clock, so that `as_of` is the same on every run."""
    ticks = itertools.count()
    base = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(
        "heritage_registry.registry.utcnow",
        lambda: base + dt.timedelta(milliseconds=next(ticks)),
    )
    load_seed(registry)
    return registry


def test_every_vocabulary_value_has_an_arabic_label() -> None:
    with CATALOGUE.open("rb") as po:
        catalog = read_po(po)
    lacking = [
        f"{name}: {value}"
        for name, vocabulary in VOCABULARIES.items()
        for value in vocabulary.values()
        if not (catalog.get(value, context=name) and catalog.get(value, context=name).string)
    ]
    assert lacking == [], f"no Arabic label in {CATALOGUE.name} for: {', '.join(lacking)}"


def test_the_definitions_summaries_show_have_arabic_too() -> None:
    with CATALOGUE.open("rb") as po:
        catalog = read_po(po)
    for vocabulary, name in ((DamageLevel, "damage_level"), (Confidence, "confidence")):
        for value in DEFINITIONS[vocabulary]:
            message = catalog.get(value, context=f"{name} definition")
            assert message is not None, (name, value)
            assert message.string


def test_the_languages_offered_are_english_and_the_catalogues() -> None:
    assert i18n.available()[0] == "en"
    assert "ar" in i18n.available()
    assert i18n.language("ar").rtl
    assert not i18n.language("en").rtl
    with pytest.raises(UnknownLanguage, match=r"no summaries in language 'fr'; choose one of en"):
        i18n.language("fr")


@pytest.mark.parametrize(
    ("count", "words"),
    [
        (0, "٠ حدث"),
        (1, "حدث واحد"),
        (2, "حدثان"),
        (3, "٣ أحداث"),
        (10, "١٠ أحداث"),
        (11, "١١ حدثًا"),
        (99, "٩٩ حدثًا"),
        (100, "١٠٠ حدث"),
        (103, "١٠٣ أحداث"),
    ],
)
def test_counts_take_the_arabic_plural_form_cldr_gives(count: int, words: str) -> None:
    with i18n.using("ar"):
        assert i18n.n_("{count} event", "{count} events", count) == words


@pytest.mark.parametrize(
    ("edtf", "words"),
    [
        ("2016-03", "آذار ٢٠١٦"),
        ("2015-05-23", "٢٣ أيار ٢٠١٥"),
        ("2015-04~", "نحو نيسان ٢٠١٥"),
        ("../2015-04", "قبل نيسان ٢٠١٥"),
        ("2015-05/2016-03-27", "أيار ٢٠١٥ - ٢٧ آذار ٢٠١٦"),
        ("12XX", "القرن الـ١٣"),
        ("2016-03-1X", "بين ١٠ و١٩ آذار ٢٠١٦"),
        ("2015-24", "شتاء ٢٠١٥-٢٠١٦"),
        ("2014-12", "كانون الأول ٢٠١٤"),
        ("-0500", "٥٠١ ق.م"),
    ],
)
def test_dates_are_in_words_with_levantine_month_names(edtf: str, words: str) -> None:
    assert describe(edtf, "ar") == words
    # ... and the English words are untouched by the Arabic ones, cached side by side.
    assert describe(edtf) == describe(edtf, "en")
    assert not any("\u0600" <= c <= "\u06ff" for c in describe(edtf))


@pytest.mark.parametrize("output_format", FORMATS)
def test_each_seeded_site_in_arabic_is_deterministic_and_arabic(
    seeded: Registry, output_format: str
) -> None:
    language = i18n.language("ar")
    assert isinstance(language, i18n.Catalogue)
    language.missing.clear()
    for slug in SEEDED_SITES:
        summary = build_summary(seeded, slug)
        first = render(summary, output_format, lang="ar")
        assert render(build_summary(seeded, slug), output_format, lang="ar") == first
        for expected in HEADINGS[output_format]:
            assert expected in first, (slug, expected)
        assert first != render(summary, output_format)
    # Every message the renderers asked for on the seeded sites is translated.
    assert sorted(language.missing, key=str) == []


def test_the_arabic_text_summary_of_the_mosul_museum_is_exactly_as_expected(
    seeded: Registry,
) -> None:
    text = render(build_summary(seeded, "mosul-museum"), "text", lang="ar")
    assert text == (GOLDEN / "mosul-museum.ar.txt").read_text("utf-8")


def test_arabic_json_keeps_its_values_gives_arabic_labels_and_follows_the_schema(
    seeded: Registry,
) -> None:
    summary = build_summary(seeded, "palmyra")
    english = json.loads(render(summary, "json"))
    arabic = json.loads(render(summary, "json", lang="ar"))
    jsonschema.validate(arabic, json.loads(schema_path().read_text("utf-8")))
    assert arabic["site"] == english["site"]  # names and codes as recorded
    for mine, theirs in zip(arabic["events"], english["events"], strict=True):
        assert mine["occurred"] == theirs["occurred"]
        assert mine["damage_level"] == theirs["damage_level"]
        assert mine["occurred_label"] == describe(theirs["occurred"], "ar")
    assert arabic["events"][0]["occurred_label"] == "أيار ٢٠١٥"


def test_arabic_html_isolates_other_directions_and_marks_recorded_languages(
    seeded: Registry,
) -> None:
    page = render(build_summary(seeded, "palmyra"), "html", lang="ar")
    assert page.startswith('<!DOCTYPE html>\n<html lang="ar" dir="rtl">')
    assert "<title>تدمر (Palmyra): ملخص الأضرار</title>" in page
    assert "<h1>تدمر (Palmyra)</h1>" in page  # the Arabic name leads
    assert (
        '<blockquote class="supports" cite="#source-newarab-2016-03-27" lang="en" dir="auto">'
        in (page)
    )
    assert '<span class="edtf"><bdi dir="ltr">2015-05/2016-03-27</bdi></span>' in page
    assert 'class="tl-bar" style="right:' in page  # the timeline runs from the right
    assert "linear-gradient(to right" not in page
    assert "left:" not in page.split('<ol class="tl-rows"', 1)[1].split("</ol>", 1)[0]


def test_english_is_the_default_and_unchanged(seeded: Registry) -> None:
    summary = build_summary(seeded, "nimrud")
    for output_format in FORMATS:
        assert render(summary, output_format, lang="en") == render(summary, output_format)
        assert render(summary, output_format, lang=None) == render(summary, output_format)


def test_an_unknown_language_is_refused_before_rendering(seeded: Registry) -> None:
    with pytest.raises(UnknownLanguage):
        render(build_summary(seeded, "nimrud"), "text", lang="xx")


def test_write_all_in_arabic_writes_arabic_files_and_index(
    seeded: Registry, tmp_path: Path
) -> None:
    written = write_all(seeded, tmp_path / "out", "html", lang="ar")
    assert [path.name for path in written] == [
        "mosul-museum.html", "nimrud.html", "palmyra.html", "index.html",
    ]  # fmt: skip
    index = written[-1].read_text("utf-8")
    assert '<html lang="ar" dir="rtl">' in index
    assert "ملخصات الأضرار" in index
    assert "تدمر (Palmyra)" in index
    text_index = render_index([build_summary(seeded, "palmyra")], "text", lang="ar")
    assert text_index.startswith("ملخصات الأضرار\n==============\n\n")


def test_the_cli_writes_arabic_and_refuses_an_unknown_language(
    seeded: Registry, tmp_path: Path
) -> None:
    runner = CliRunner()
    url = seeded.url
    done = runner.invoke(main, ["--db", url, "summary", "mosul-museum", "--lang", "ar"])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("متحف الموصل (Mosul Museum): ملخص الأضرار\n")
    out = tmp_path / "summaries"
    done = runner.invoke(
        main, ["--db", url, "summary", "--all", "--lang", "ar", "--format", "markdown", "-o", out]
    )
    assert done.exit_code == 0, done.output
    assert (out / "index.md").read_text("utf-8").startswith("# ملخصات الأضرار\n")
    refused = runner.invoke(main, ["--db", url, "summary", "nimrud", "--lang", "fr"])
    assert refused.exit_code == 1
    languages = ", ".join(i18n.available())
    assert refused.output == f"Error: no summaries in language 'fr'; choose one of {languages}\n"
    helped = runner.invoke(main, ["summary", "--help"])
    assert "one of: " + ", ".join(i18n.available()) in " ".join(helped.output.split())


def test_english_never_imports_babel() -> None:
    code = (
        "import sys\n"
        "import heritage_registry.cli\n"
        "from heritage_registry.summary import render\n"
        "from heritage_registry.i18n import available\n"
        "available()\n"
        "assert 'babel' not in sys.modules, 'babel imported for English'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# The labels for an Arabic reader's review: docs/arabic-labels.md, generated from the
# catalogue (`python -m tests.test_summary_i18n` writes it again).

LABELS_DOC = Path(__file__).resolve().parent.parent / "docs" / "arabic-labels.md"
PLURAL_CATEGORIES = ("zero (0)", "one (1)", "two (2)", "few (3-10)", "many (11-99)", "other")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def labels_markdown() -> str:
    """docs/arabic-labels.md: every Arabic label and message, beside its English."""
    with CATALOGUE.open("rb") as po:
        catalog = read_po(po)
    language = i18n.language("ar")
    assert isinstance(language, i18n.Catalogue)
    lines = [
        "# Arabic labels of the summaries, for review",
        "",
        "<!-- Generated from heritage_registry/locales/ar/LC_MESSAGES/heritage_registry.po",
        "     by `python -m tests.test_summary_i18n`; a test checks it is current. -->",
        "",
        "Every Arabic word the summaries write, beside the English it stands for, for a reader",
        "of Arabic to check. Corrections go into the catalogue,",
        "`heritage_registry/locales/ar/LC_MESSAGES/heritage_registry.po`",
        "([adding-a-language.md](adding-a-language.md) says how); this page is then written",
        "again from it. The translations are a first draft by the developers and await that",
        "review.",
        "",
        "## Dates and numbers (from CLDR, locale `ar_SY`)",
        "",
        "Month names are the Levantine (Syriac-derived) ones used in Syria and Iraq, CLDR's for",
        "`ar_SY` (the same as `ar_IQ`), not the standard Egyptian/Gulf transliterations",
        "(يناير، فبراير، ...). Numbers use Arabic-Indic digits (٠١٢٣٤٥٦٧٨٩), the locale's own,",
        "with the Arabic decimal separator `٫` and thousands separator `٬`. Identifiers, EDTF",
        "values, slugs and uids keep their Latin digits: they are codes, not numbers.",
        "",
        "| Month | Arabic |",
        "| ---: | --- |",
        *(f"| {number} | {language.month(number)} |" for number in range(1, 13)),
        "",
        "## Vocabulary values",
        "",
        "| Vocabulary | Value | English definition | Arabic |",
        "| --- | --- | --- | --- |",
    ]
    for name, vocabulary in VOCABULARIES.items():
        for value in vocabulary.values():
            message = catalog.get(value, context=name)
            arabic = message.string if message is not None else ""
            definition = vocabulary(value).definition
            lines.append(f"| {name} | `{value}` | {_cell(definition)} | {_cell(str(arabic))} |")
    lines += [
        "",
        "## Definitions shown in the summaries",
        "",
        "| Vocabulary | Value | English | Arabic |",
        "| --- | --- | --- | --- |",
    ]
    for message in catalog:
        if message.context and message.context.endswith(" definition"):
            name = message.context.removesuffix(" definition")
            english = VOCABULARIES[name](message.id).definition
            lines.append(
                f"| {name} | `{message.id}` | {_cell(english)} | {_cell(str(message.string))} |"
            )
    lines += ["", "## Messages", "", "| English | Arabic |", "| --- | --- |"]
    for message in catalog:
        if message.id and not message.context and not message.pluralizable:
            lines.append(f"| {_cell(str(message.id))} | {_cell(str(message.string))} |")
    lines += [
        "",
        "## Counted messages (Arabic's six plural forms)",
        "",
        "`{count}` is the number, written in Arabic-Indic digits.",
        "",
    ]
    for message in catalog:
        if message.pluralizable:
            singular, plural = message.id
            lines += [f"- {_cell(singular)} / {_cell(plural)}"]
            for category, form in zip(PLURAL_CATEGORIES, message.string, strict=True):
                lines.append(f"  - {category}: {_cell(form)}")
    return "\n".join(lines) + "\n"


def test_the_labels_for_review_are_current() -> None:
    assert LABELS_DOC.read_text("utf-8") == labels_markdown(), (
        "docs/arabic-labels.md is out of date: python -m tests.test_summary_i18n"
    )


if __name__ == "__main__":
    LABELS_DOC.write_text(labels_markdown(), encoding="utf-8")
    print(f"wrote {LABELS_DOC}")
