"""Safe under a team (issue 11): what one user records cannot act on another's screen.

Finding 5, terminal escapes and forged history: control characters (ESC sequences, BEL,
CR, DEL, C1) are refused in every text field, `--reason` and `--by`, from the command line
and from import files, with a message that says what to fix, and nothing is written.
Rows written before that refusal are shown with their control characters escaped by
`show`, `list`, `summary` and `history`, run as on a terminal (click strips no escape
sequence then). A reason's later lines are indented, so that no line of it can pass for
another history entry.

Finding 10, Markdown links: a Markdown summary parsed with markdown-it-py (CommonMark with
GitHub's tables and strikethrough) holds no raw HTML from any field, links each source's
web address to itself percent-encoded, never links a `javascript:` address, and shows
every field's text as stored.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from heritage_registry import Registry, render
from heritage_registry.cli import main
from heritage_registry.models import (
    CHANGE_TABLE,
    CITATION_TABLE,
    EVENT_TABLE,
    MONUMENT_TABLE,
    SITE_TABLE,
    SOURCE_TABLE,
)
from heritage_registry.summary import SiteSummary, build_summary, render_index
from heritage_registry.summary import render as render_summary
from heritage_registry.summary.render import _md_autolink, md_escape
from tests.helpers import after_creation, dump

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
STAMP = "2026-01-02T03:04:05Z"
EVENT = "3006cef2-57e9-44a2-a1d2-b4ccda24ae0c"

TITLE = "\x1b]0;pwned\x07"  # retitles the terminal's window
CLEAR = "\x1b[2J"  # clears the screen
C1_CLEAR = "\x9b2J"  # the same, with the one-character C1 CSI
FORGED = "typo\n\n2024-01-01T00:00:00Z  update  by director\n  reason: approved"

# What no terminal output may hold: C0 controls but line feed, DEL, and C1.
RAW_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def remove(code: str) -> str:
    return f"contains a control character (U+{code}); remove it"


@pytest.fixture
def reg(migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Registry]:
    """A site with a monument, a source and an event, recorded at a known time by `editor`."""
    monkeypatch.setattr("heritage_registry.registry.utcnow", lambda: NOW)
    with Registry.open(migrated_url) as registry:
        registry.add_site(by="editor", slug="palmyra", name="Palmyra", country="SY")
        registry.add_monument(
            site="palmyra", slug="citadel", name="Palmyra citadel", kind="citadel"
        )
        registry.add_source(
            key="src-a", title="A report", publisher="The New Arab", url="https://example.org/a"
        )
        registry.add_event(
            uid=EVENT,
            site="palmyra",
            monument="citadel",
            cause="occupation",
            damage_level="unknown",
            occurred="2015-05",
            source="src-a",
            quote="took the citadel",
        )
        yield registry


def run(url: str, *args: str) -> Result:
    """`registry --db URL ARGS...` with output as a terminal gets it (color=True: click
    strips no escape sequence)."""
    return CliRunner().invoke(main, ["--db", url, *args], color=True, catch_exceptions=False)


# Finding 5: control characters are refused in input ----------------------------------

NEW_EVENT = ["add-event", "palmyra", "--cause", "fire", "--level", "minor", "--occurred", "2015"]
CITED = [*NEW_EVENT, "--source", "src-a"]
SLUG_HINT = "is not valid; use lower-case letters, digits and single hyphens, e.g. temple-of-bel"
REFUSALS: dict[str, tuple[list[str], str]] = {
    "site name, retitling the window": (
        ["add-site", "x", "--name", f"Pal{TITLE}myra", "--country", "SY"],
        f"invalid site: name: {remove('001B')}",
    ),
    "site name, clearing the screen": (
        ["add-site", "x", "--name", f"Palmyra{CLEAR}", "--country", "SY"],
        f"invalid site: name: {remove('001B')}",
    ),
    "site name, BEL": (
        ["add-site", "x", "--name", "Palmyra\x07", "--country", "SY"],
        f"invalid site: name: {remove('0007')}",
    ),
    "site name, C1": (
        ["add-site", "x", "--name", f"Palmyra{C1_CLEAR}", "--country", "SY"],
        f"invalid site: name: {remove('009B')}",
    ),
    "site name, DEL": (
        ["add-site", "x", "--name", "Palm\x7fyra", "--country", "SY"],
        f"invalid site: name: {remove('007F')}",
    ),
    "site slug": (
        ["add-site", f"x{CLEAR}", "--name", "X", "--country", "SY"],
        f"invalid site: slug: 'x\\x1b[2J' {SLUG_HINT}",
    ),
    "site alternative name": (
        ["add-site", "x", "--name", "X", "--country", "SY", "--alt-name", f"Tadmur{CLEAR}@en"],
        f"invalid alternative name 'Tadmur\\x1b[2J@en': name: {remove('001B')}",
    ),
    "site description, on its second line": (
        ["add-site", "x", "--name", "X", "--country", "SY", "--description", f"one\n{CLEAR}"],
        f"invalid site: description: {remove('001B')}",
    ),
    "monument name": (
        ["add-monument", "palmyra", "x", "--name", f"Gate{TITLE}", "--kind", "temple"],
        f"invalid monument: name: {remove('001B')}",
    ),
    "source key": (
        ["add-source", f"k{TITLE}", "--title", "T", "--publisher", "P"],
        f"invalid source: key: 'k\\x1b]0;pwned\\x07' {SLUG_HINT}",
    ),
    "source title": (
        ["add-source", "k", "--title", f"T{TITLE}", "--publisher", "P"],
        f"invalid source: title: {remove('001B')}",
    ),
    "source publisher": (
        ["add-source", "k", "--title", "T", "--publisher", f"P{C1_CLEAR}"],
        f"invalid source: publisher: {remove('009B')}",
    ),
    "source author": (
        ["add-source", "k", "--title", "T", "--publisher", "P", "--author", "A\x07"],
        f"invalid source: author: {remove('0007')}",
    ),
    "source url": (
        ["add-source", "k", "--title", "T", "--publisher", "P", "--url", f"https://x.org/{CLEAR}"],
        f"invalid source: url: {remove('001B')}",
    ),
    "event actor": (
        [*CITED, "--quote", "q", "--actor", f"IS{CLEAR}"],
        f"invalid event: actor: {remove('001B')}",
    ),
    "event description, a carriage return": (
        [*CITED, "--quote", "q", "--description", "one\rtwo"],
        "invalid event: description: contains a carriage return (U+000D); "
        "end lines with a line feed alone",
    ),
    "event quote": (
        [*CITED, "--quote", f"q{C1_CLEAR}"],
        f"invalid event: citations[0].quote: {remove('009B')}",
    ),
    "event location": (
        [*CITED, "--quote", "q", "--location", f"p{CLEAR}"],
        f"invalid event: citations[0].location: {remove('001B')}",
    ),
    "event date resolution": (
        [*CITED, "--quote", "q", "--date-resolution", "May\x08\x08\x08June"],
        f"invalid event: citations[0].date_resolution: {remove('0008')}",
    ),
    "citation quote": (
        ["cite", EVENT, "--source", "src-a", "--quote", f"took{CLEAR}"],
        f"invalid citation: quote: {remove('001B')}",
    ),
    "correction reason": (
        ["update-site", "palmyra", "--country", "IQ", "--reason", f"typo{CLEAR}"],
        f"reason: {remove('001B')}",
    ),
    "retraction reason": (
        ["retract", EVENT, "--reason", f"a duplicate{C1_CLEAR}"],
        f"reason: {remove('009B')}",
    ),
    "by, an escape": (
        ["update-site", "palmyra", "--country", "IQ", "--reason", "r", "--by", f"ana{TITLE}"],
        f"by: {remove('001B')}",
    ),
    "by, a forged second entry": (
        ["update-site", "palmyra", "--country", "IQ", "--reason", "r", "--by", f"ana\n{FORGED}"],
        "by: contains a line break or tab (U+000A); write it on one line",
    ),
    "by, a tab, on cite": (
        ["cite", EVENT, "--source", "src-a", "--quote", "q", "--by", "ana\tx"],
        "by: contains a line break or tab (U+0009); write it on one line",
    ),
}


@pytest.mark.parametrize(("args", "message"), REFUSALS.values(), ids=REFUSALS)
def test_a_control_character_is_refused_and_nothing_written(
    reg: Registry, migrated_url: str, args: list[str], message: str
) -> None:
    before = dump(reg.engine)
    result = run(migrated_url, *args)
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {message}\n")
    assert dump(reg.engine) == before


def test_tabs_and_line_feeds_are_text_and_surrounding_line_ends_are_stripped(
    reg: Registry, migrated_url: str
) -> None:
    quote = " \r\nfirst line\n\tsecond line\r\n"
    result = run(migrated_url, "cite", EVENT, "--source", "src-a", "--quote", quote)
    assert result.exit_code == 0, result.stderr
    assert reg.get_event(EVENT).citations[-1].quote == "first line\n\tsecond line"


def jsonl(*records: dict[str, Any]) -> str:
    header = {"format": "heritage-registry", "version": 1}
    return "".join(json.dumps(record) + "\n" for record in [header, *records])


FINE_SITE = {"type": "site", "slug": "fine", "name": "Fine", "country": "SY"}
IMPORTED_EVENT = {
    "type": "event",
    "uid": "11111111-1111-4111-8111-111111111111",
    "site": "palmyra",
    "cause": "fire",
    "damage_level": "minor",
    "occurred": "2015",
    "citations": [{"source": "src-a", "quote": "burnt"}],
}
IMPORTED_CHANGE = {
    "type": "change",
    "record_type": "site",
    "record": "palmyra",
    "action": "update",
    "reason": "r",
    "changed_by": "ana",
    "old": None,
    "new": {},
    "changed_at": "2020-01-01T00:00:00Z",
}
IMPORTS: dict[str, tuple[str, str, str]] = {
    "site name": (
        ".jsonl",
        jsonl(FINE_SITE, {**FINE_SITE, "slug": "bad", "name": f"Pal{TITLE}myra"}),
        f"line 3: name: {remove('001B')}",
    ),
    "site alternative name": (
        ".jsonl",
        jsonl({**FINE_SITE, "alt_names": [{"name": f"T{C1_CLEAR}", "lang": "en"}]}),
        f"line 2: alt name 1's name: {remove('009B')}",
    ),
    "event quote": (
        ".jsonl",
        jsonl({**IMPORTED_EVENT, "citations": [{"source": "src-a", "quote": f"q{CLEAR}"}]}),
        f"line 2: citation 1's quote: {remove('001B')}",
    ),
    "event retraction reason": (
        ".jsonl",
        jsonl({**IMPORTED_EVENT, "retracted_at": STAMP, "retraction_reason": "a duplicate\x07"}),
        f"line 2: retraction_reason: {remove('0007')}",
    ),
    "history reason": (
        ".jsonl",
        jsonl(FINE_SITE, {**IMPORTED_CHANGE, "reason": f"typo{CLEAR}"}),
        f"line 3: reason: {remove('001B')}",
    ),
    "history author": (
        ".jsonl",
        jsonl({**IMPORTED_CHANGE, "changed_by": f"ana\n{FORGED}"}),
        "line 2: changed_by: contains a line break or tab (U+000A); write it on one line",
    ),
    "CSV quote": (
        ".csv",
        "site,cause,damage_level,occurred,source,quote\n"
        "palmyra,fire,minor,2015,src-a,burnt\n"
        f'palmyra,fire,minor,2016,src-a,"burnt{TITLE}"\n',
        f"line 3: quote: {remove('001B')}",
    ),
}


@pytest.mark.parametrize(("suffix", "content", "message"), IMPORTS.values(), ids=IMPORTS)
def test_an_import_line_with_a_control_character_is_refused_by_its_number(
    reg: Registry, migrated_url: str, tmp_path: Path, suffix: str, content: str, message: str
) -> None:
    path = tmp_path / f"records{suffix}"
    path.write_text(content, encoding="utf-8", newline="\n")
    before = dump(reg.engine)
    result = run(migrated_url, "import", str(path))
    assert (result.exit_code, result.stdout, result.stderr) == (1, "", f"Error: {message}\n")
    assert dump(reg.engine) == before


# Finding 5: rows written before the refusal are shown escaped ------------------------

LEGACY_SITE = f"Pal{TITLE}myra{CLEAR}"


@pytest.fixture
def legacy(reg: Registry) -> Registry:
    """The records as an older version could have written them: control characters in
    every kind of text, and a history entry whose author and reason forge another."""
    reg.update_site("palmyra", country="IQ", reason="r", by="ana")
    with reg.engine.begin() as connection:
        connection.execute(
            SITE_TABLE.update().values(
                name=LEGACY_SITE,
                description=f"one\r\ntwo\x1b[1A{C1_CLEAR}",
                alt_names=[{"name": "Tadmur\x07", "lang": "en"}],
            )
        )
        connection.execute(MONUMENT_TABLE.update().values(name=f"Citadel{C1_CLEAR}\nwest"))
        connection.execute(
            SOURCE_TABLE.update().values(
                title=f"A report{TITLE}",
                publisher="The\x7f New Arab",
                url=f"https://example.org/{CLEAR}",
            )
        )
        connection.execute(EVENT_TABLE.update().values(actor=f"IS{CLEAR}"))
        connection.execute(CITATION_TABLE.update().values(quote="took\r the citadel\n\x1b[1Anext"))
        connection.execute(
            CHANGE_TABLE.update()
            .where(CHANGE_TABLE.c.action == "update")
            .values(
                reason=f"typo{CLEAR}\n\n{FORGED}", changed_by=f"ana\n\n{FORGED}", how="unrecorded"
            )
        )
    return reg


SHOWN: dict[str, tuple[list[str], str]] = {
    "show site": (
        ["show", "site", "palmyra"],
        "slug         palmyra\n"
        "name         Pal\\x1b]0;pwned\\x07myra\\x1b[2J\n"
        "alt_names    Tadmur\\x07@en\n"
        "country      IQ\n"
        "kind         archaeological_site\n"
        "description  one\n"
        "             two\\x1b[1A\\u009b2J\n"
        f"created_at   {STAMP}\n"
        f"updated_at   {STAMP}\n"
        "events       1\n"
        "\n"
        "monuments (1)\n"
        "slug     name                  kind     built  alt_names\n"
        "citadel  Citadel\\u009b2J west  citadel\n",
    ),
    "show monument": (
        ["show", "monument", "palmyra", "citadel"],
        "site        palmyra\n"
        "slug        citadel\n"
        "name        Citadel\\u009b2J\n"
        "            west\n"
        "kind        citadel\n"
        f"created_at  {STAMP}\n"
        f"updated_at  {STAMP}\n"
        "events      1\n",
    ),
    "show source": (
        ["show", "source", "src-a"],
        "key          src-a\n"
        "title        A report\\x1b]0;pwned\\x07\n"
        "publisher    The\\x7f New Arab\n"
        "url          https://example.org/\\x1b[2J\n"
        "source_type  news_report\n"
        f"created_at   {STAMP}\n"
        f"updated_at   {STAMP}\n",
    ),
    "list sites": (
        ["list", "sites"],
        "slug     name                            country  kind                 unesco_whc_id"
        "  wikidata_qid  alt_names\n"
        "palmyra  Pal\\x1b]0;pwned\\x07myra\\x1b[2J  IQ       archaeological_site"
        "                               Tadmur\\x07@en\n",
    ),
    "list monuments": (
        ["list", "monuments"],
        "site     slug     name                  kind     built  alt_names\n"
        "palmyra  citadel  Citadel\\u009b2J west  citadel\n",
    ),
    "list sources": (
        ["list", "sources"],
        "key    publisher         published  source_type  language  title\n"
        "src-a  The\\x7f New Arab             news_report            A report\\x1b]0;pwned\\x07\n",
    ),
    "history": (
        ["history", "--site", "palmyra"],
        # The author stays on its head's line; the reason's lines are indented under it.
        f"{STAMP}  update  by ana\\x0a\\x0atypo\\x0a\\x0a2024-01-01T00:00:00Z  update  by "
        "director\\x0a  reason: approved\n"
        "  reason: typo\\x1b[2J\n"
        "      \n"
        "      typo\n"
        "      \n"
        "      2024-01-01T00:00:00Z  update  by director\n"
        "        reason: approved\n"
        "  country: SY -> IQ\n",
    ),
}


@pytest.mark.parametrize(("args", "expected"), SHOWN.values(), ids=SHOWN)
def test_control_characters_already_stored_are_shown_escaped(
    legacy: Registry, migrated_url: str, args: list[str], expected: str
) -> None:
    result = run(migrated_url, *args)
    assert (result.exit_code, result.stderr) == (0, "")
    # A record's history opens with its creation, written cleanly by this version.
    shown = after_creation(result.stdout) if args[0] == "history" else result.stdout
    assert shown == expected


@pytest.mark.parametrize(
    "args",
    [
        ["show", "event", EVENT],
        ["list", "events"],
        ["summary", "palmyra"],
        ["summary", "palmyra", "--format", "markdown"],
    ],
    ids=" ".join,
)
def test_no_text_output_sends_a_control_character_raw(
    legacy: Registry, migrated_url: str, args: list[str]
) -> None:
    result = run(migrated_url, *args)
    assert result.exit_code == 0, result.stderr
    assert not RAW_CONTROL.search(result.stdout), repr(result.stdout)


def test_the_text_summary_shows_stored_control_characters_escaped(
    legacy: Registry, migrated_url: str
) -> None:
    lines = run(migrated_url, "summary", "palmyra").stdout.splitlines()
    assert lines[:4] == [
        "Pal\\x1b]0;pwned\\x07myra\\x1b[2J: damage summary",
        "=" * 46,
        "",
        "Site               Pal\\x1b]0;pwned\\x07myra\\x1b[2J (palmyra)",
    ]
    for line in [
        "Also called        Tadmur\\x07 (en)",
        "one",  # the description's line break is kept, its control characters escaped
        "two\\x1b[1A\\u009b2J",
        "Citadel\\u009b2J west (citadel)",
        "    Actor: IS\\x1b[2J",
        '      "took the citadel \\x1b[1Anext"',
        "    A report\\x1b]0;pwned\\x07. The\\x7f New Arab. Publication date not recorded. "
        "News report.",
        "    https://example.org/\\x1b[2J",
    ]:
        assert line in lines


def test_render_shows_every_control_character_as_an_escape() -> None:
    assert (
        render.safe_text("a\x1b[2Jb\x9b2Jc\x07\x7f\r\n\td")
        == "a\\x1b[2Jb\\u009b2Jc\\x07\\x7f\\x0d\n\td"
    )
    assert render.safe_text("a\n\tb", lines=False) == "a\\x0a\\x09b"
    assert render.safe_text("Palmyra تدمر \u202e") == "Palmyra تدمر \u202e"
    assert render.table(["name"], [[f"a{CLEAR}\nb"]]) == "name\na\\x1b[2J b\n"
    assert render.key_values([("quote", f"one{TITLE}\ntwo")]) == (
        "quote  one\\x1b]0;pwned\\x07\n       two\n"
    )


# Finding 5: a reason cannot forge a history entry ------------------------------------


def test_a_reason_shaped_as_a_history_entry_is_indented_under_its_own(
    reg: Registry, migrated_url: str
) -> None:
    updated = run(
        migrated_url, "update-site", "palmyra", "--country", "IQ", "--reason", FORGED, "--by", "ana"
    )
    assert updated.exit_code == 0, updated.stderr
    corrected = run(
        migrated_url,
        "update-site",
        "palmyra",
        "--description",
        "first\n\n2024-01-01T00:00:00Z  retract  by director",
        "--reason",
        "r",
        "--by",
        "bo",
    )
    assert corrected.exit_code == 0, corrected.stderr
    history = run(migrated_url, "history", "--site", "palmyra")
    assert after_creation(history.stdout) == (
        f"{STAMP}  update  by ana  (command)\n"
        "  reason: typo\n"
        "      \n"
        "      2024-01-01T00:00:00Z  update  by director\n"
        "        reason: approved\n"
        "  country: SY -> IQ\n"
        "\n"
        f"{STAMP}  update  by bo  (command)\n"
        "  reason: r\n"
        "  description:  -> first\n"
        "      \n"
        "      2024-01-01T00:00:00Z  retract  by director\n"
    )
    heads = [line for line in history.stdout.splitlines() if line and not line.startswith(" ")]
    assert heads == [
        f"{STAMP}  create  by editor  (library)",
        f"{STAMP}  update  by ana  (command)",
        f"{STAMP}  update  by bo  (command)",
    ]


# Finding 10: Markdown summaries -------------------------------------------------------

XSS = "<script>alert(1)</script>"
LINK_BREAKOUT = "](javascript:alert(1))"
URL_WITH_SCRIPT = f"https://example.org/{XSS}?a=1&b=2"
URL_ENCODED = "https://example.org/a%20b_(c)*[d]"
URL_NOT_WEB = "javascript:alert(1)"

HOSTILE_MARKDOWN: dict[str, str] = {
    "site name": XSS,
    "site description": f"About {XSS} & friends\n# not a heading\n- nor an item",
    "alternative name": f"`x` *y* _z_ [w]{LINK_BREAKOUT}",
    "monument name": f"Gate | *Tower* [x]{LINK_BREAKOUT} #",
    "source title": f"`code` **bold** ~~gone~~ [link](https://evil.example) {XSS}",
    "source publisher": "<b>bold</b> &amp; &#60;script&#62;",
    "source author": "![img](https://evil.example/x.png)",
    "event actor": "<img src=x onerror=alert(1)>",
    "event description": "line one\n\n> not a quote\n1. not a list",
    "citation quote": f"a | b\n> not a quote\n# not a heading\n{XSS}",
    "citation location": "| col |",
    "date resolution": "`last May` *relative*\\",
}


def hostile_summary(reg: Registry) -> SiteSummary:
    """A site whose every field of these is hostile Markdown, with three sources: one at
    an address with `<script>` in it, one already percent-encoded, one not a web address
    (written as an older version could have)."""
    h = HOSTILE_MARKDOWN
    reg.add_site(
        slug="tell-x",
        name=h["site name"],
        country="SY",
        description=h["site description"],
        alt_names=[{"name": h["alternative name"], "lang": "en"}],
    )
    reg.add_monument(site="tell-x", slug="gate", name=h["monument name"], kind="temple")
    reg.add_source(
        key="src-x",
        title=h["source title"],
        publisher=h["source publisher"],
        author=h["source author"],
        url=URL_WITH_SCRIPT,
    )
    reg.add_source(key="src-y", title="Encoded", publisher="P", url=URL_ENCODED)
    reg.add_source(key="src-z", title="Not on the web", publisher="P", url="https://x.org/")
    with reg.engine.begin() as connection:
        connection.execute(
            SOURCE_TABLE.update().where(SOURCE_TABLE.c.key == "src-z").values(url=URL_NOT_WEB)
        )
    uid = reg.add_event(
        site="tell-x",
        monument="gate",
        cause="fire",
        damage_level="minor",
        occurred="2015",
        actor=h["event actor"],
        description=h["event description"],
        source="src-x",
        quote=h["citation quote"],
        location=h["citation location"],
        date_resolution=h["date resolution"],
    ).uid
    reg.cite(uid, source="src-y", quote="seen")
    reg.cite(uid, source="src-z", quote="heard")
    return build_summary(reg, "tell-x")


def markdown_parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def tokens(markdown: str) -> Iterator[Token]:
    """Every token, inline children included."""
    for token in markdown_parser().parse(markdown):
        yield token
        yield from token.children or ()


def visible_texts(markdown: str) -> list[str]:
    """What each block (a paragraph, heading or table cell) shows, links' text included."""
    shown = []
    for token in markdown_parser().parse(markdown):
        if token.type == "inline":
            parts = [
                " " if child.type in ("softbreak", "hardbreak") else child.content
                for child in token.children or ()
                if child.type in ("text", "code_inline", "softbreak", "hardbreak")
            ]
            shown.append("".join(parts))
    return shown


def links(markdown: str) -> list[tuple[str, str]]:
    """Each link's href and the text it shows."""
    found = []
    for token in markdown_parser().parse(markdown):
        children = token.children or []
        for i, child in enumerate(children):
            if child.type == "link_open":
                end = next(j for j in range(i, len(children)) if children[j].type == "link_close")
                text = "".join(c.content for c in children[i + 1 : end])
                found.append((str(child.attrs["href"]), text))
    return found


def one_line(text: str) -> str:
    """Text as a Markdown summary shows it: on one line, runs of white space as one space."""
    return " ".join(text.split())


def test_markdown_summary_has_no_raw_html_and_links_each_address_to_itself(
    reg: Registry,
) -> None:
    markdown = render_summary(hostile_summary(reg), "markdown")
    html = [token.content for token in tokens(markdown) if token.type.startswith("html_")]
    assert html == []
    assert links(markdown) == [
        ("https://example.org/%3Cscript%3Ealert(1)%3C/script%3E?a=1&b=2", URL_WITH_SCRIPT),
        ("https://example.org/a%20b_(c)*%5Bd%5D", URL_ENCODED),
    ]
    shown = visible_texts(markdown)
    for field, text in HOSTILE_MARKDOWN.items():
        assert any(one_line(text) in block for block in shown), field
    assert f"{XSS}: damage summary" in shown  # the title, exactly
    assert HOSTILE_MARKDOWN["monument name"] in shown  # its heading, exactly
    assert any(block.endswith(f"News report. {URL_NOT_WEB}") for block in shown)


def test_markdown_and_html_summaries_never_link_a_javascript_address(reg: Registry) -> None:
    summary = hostile_summary(reg)
    assert "javascript:" not in "".join(
        href for href, _ in links(render_summary(summary, "markdown"))
    )
    html = render_summary(summary, "html")
    assert 'href="javascript:' not in html
    assert f'<span class="url">{URL_NOT_WEB}</span>' in html


def test_the_markdown_summary_through_the_command(reg: Registry, migrated_url: str) -> None:
    hostile_summary(reg)
    result = run(migrated_url, "summary", "tell-x", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    line = next(line for line in result.stdout.splitlines() if line.startswith("- **src-x**"))
    assert line.endswith(
        "[https://example.org/\\<script>alert(1)\\</script>?a=1&b=2]"
        "(<https://example.org/%3Cscript%3Ealert(1)%3C/script%3E?a=1\\&b=2>)"
    )
    assert not [token for token in tokens(result.stdout) if token.type.startswith("html_")]


@pytest.fixture
def plain_summary(sqlite_url: str) -> Iterator[SiteSummary]:
    """One site with one of everything, to take hostile values in the property test."""
    with Registry.open(sqlite_url) as registry:
        registry.add_site(slug="tell-x", name="Tell X", country="SY", description="d")
        registry.add_monument(site="tell-x", slug="gate", name="Gate", kind="temple")
        registry.add_source(key="src-x", title="T", publisher="P", author="A", url="https://x.org/")
        registry.add_event(
            site="tell-x",
            monument="gate",
            cause="fire",
            damage_level="minor",
            occurred="2015",
            actor="a",
            description="d",
            source="src-x",
            quote="q",
            location="l",
            date_resolution="r",
        )
        yield build_summary(registry, "tell-x")


# Text as stored: anything but surrogates and the refused control characters.
stored_text = st.text(
    st.characters(blacklist_categories=["Cs", "Cc"], whitelist_characters="\n\t"),
    min_size=1,
    max_size=30,
).filter(lambda text: bool(text.strip()))
markup_text = st.lists(
    st.sampled_from(["<", ">", "`", "*", "_", "[", "]", "(", ")", "|", "#", "&", ";", "\\", "\n",
                     " ", "!", "~", "-", "+", "=", "1.", "a", "amp", "#60", XSS, LINK_BREAKOUT]),
    min_size=1,
    max_size=12,
).map("".join).filter(lambda text: bool(text.strip()))  # fmt: skip
any_text = st.one_of(stored_text, markup_text)
url_path = st.text(
    st.characters(blacklist_categories=["Cs", "Cc", "Zs", "Zl", "Zp"]), max_size=30
).filter(lambda text: not any(char.isspace() for char in text))


@given(
    name=any_text,
    monument=any_text,
    title=any_text,
    publisher=any_text,
    quote=any_text,
    actor=any_text,
    description=any_text,
    path=st.one_of(url_path, markup_text.map(lambda text: "".join(text.split()))),
)
def test_any_stored_text_shows_as_itself_in_markdown(
    plain_summary: SiteSummary,
    name: str,
    monument: str,
    title: str,
    publisher: str,
    quote: str,
    actor: str,
    description: str,
    path: str,
) -> None:
    s = plain_summary
    url = f"https://example.org/{path}"
    event = s.events[0]
    summary = s.model_copy(
        update={
            "site": s.site.model_copy(update={"name": name, "description": description}),
            "monuments": [s.monuments[0].model_copy(update={"name": monument})],
            "sources": [
                s.sources[0].model_copy(update={"title": title, "publisher": publisher, "url": url})
            ],
            "events": [
                event.model_copy(
                    update={
                        "monument_name": monument,
                        "actor": actor,
                        "description": description,
                        "citations": [event.citations[0].model_copy(update={"quote": quote})],
                    }
                )
            ],
        }
    )
    for markdown in [render_summary(summary, "markdown"), render_index([summary], "markdown")]:
        assert not [token for token in tokens(markdown) if token.type.startswith("html_")]
    markdown = render_summary(summary, "markdown")
    parser = markdown_parser()
    assert links(markdown) == [(parser.normalizeLink(url), url)]
    shown = visible_texts(markdown)
    assert f"{one_line(name)}: damage summary" in shown
    assert one_line(monument) in shown  # its heading
    assert one_line(description) in shown  # its paragraph
    assert one_line(quote) in shown  # its block quote
    assert f"Actor: {one_line(actor)}" in shown
    assert any(f"src-x: {one_line(title)}. A. {one_line(publisher)}." in block for block in shown)
    index = render_index([summary], "markdown")
    assert links(index) == [("tell-x.md", one_line(name))]


@pytest.mark.parametrize(
    "url",
    [
        URL_WITH_SCRIPT,
        URL_ENCODED,
        'https://example.org/ü%zz%41`|\\"{}^',
        "https://example.org/?q=a&amp;b",
        "https://xn--mgbh0fb.example/",
        "https://example.org/plain_(path)?a=1&b=2#top",
    ],
)
def test_a_link_s_target_is_what_a_renderer_gives_the_address(url: str) -> None:
    markdown = str(_md_autolink(url))
    assert links(markdown) == [(markdown_parser().normalizeLink(url), url)]


def test_ordinary_addresses_stay_autolinks() -> None:
    assert _md_autolink("https://example.org/plain_(path)?a=1&b=2#top") == (
        "<https://example.org/plain_(path)?a=1&b=2#top>"
    )


def test_markdown_closes_no_heading_early() -> None:
    # `### Gate #` would show `Gate`: a trailing run of `#` closes an ATX heading.
    assert md_escape("Gate #") == "Gate \\#"
    assert visible_texts(f"### {md_escape('Gate ##')}") == ["Gate ##"]
