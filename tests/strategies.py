"""Hypothesis strategies for valid registry input, and for values the registry must refuse."""

from __future__ import annotations

import datetime as dt
import re
import string
from typing import Any

from hypothesis import strategies as st

from heritage_registry.models import reported_too_early
from heritage_registry.vocab import Cause, DamageLevel, MonumentKind, SiteKind, SourceType, Stance

slugs = st.from_regex(r"\A[a-z0-9]{1,12}(-[a-z0-9]{1,12}){0,3}\Z")

# Text as analysts paste it: any script, but no surrogates or control characters, and
# not only white space (the registry strips surrounding white space).
_text_alphabet = st.characters(blacklist_categories=("Cs", "Cc"))


def text(max_size: int) -> st.SearchStrategy[str]:
    return st.text(_text_alphabet, min_size=1, max_size=max_size).map(str.strip).filter(bool)


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


country_codes = st.sampled_from(["SY", "IQ", "YE", "LY", "AF", "ML", "UA", "FR"])
languages = st.sampled_from(["ar", "en", "fr", "ku", "syc", "tr", "en-GB", "ar-SY"])


@st.composite
def edtf_dates(draw: st.DrawFn) -> str:
    """EDTF values of the forms reports give: day, month, year, approximate, intervals."""
    day = draw(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2030, 12, 31)))
    form = draw(st.sampled_from(["day", "month", "year", "approx", "interval", "open", "before"]))
    if form == "day":
        return day.isoformat()
    if form == "month":
        return day.strftime("%Y-%m")
    if form == "year":
        return day.strftime("%Y")
    if form == "approx":
        return day.strftime("%Y-%m") + draw(st.sampled_from(["~", "?", "%"]))
    later = draw(st.dates(min_value=day, max_value=dt.date(2031, 12, 31)))
    if form == "interval":
        return f"{day.isoformat()}/{later.isoformat()}"
    if form == "open":
        return f"{day.isoformat()}/.."
    return f"../{later.strftime('%Y-%m')}"


coordinates = st.one_of(
    st.just({}),
    st.fixed_dictionaries(
        {
            "latitude": st.floats(-90, 90, allow_nan=False),
            "longitude": st.floats(-180, 180, allow_nan=False),
        }
    ),
)

alt_names = st.lists(st.fixed_dictionaries({"name": text(40), "lang": languages}), max_size=3)


@st.composite
def sites(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "slug": draw(slugs),
        "name": draw(text(200)),
        "country": draw(country_codes),
        "kind": draw(st.sampled_from(SiteKind.values())),
        "location_precision_m": draw(optional(st.floats(0, 100_000, allow_nan=False))),
        "unesco_whc_id": draw(optional(st.integers(1, 1_000_000))),
        "wikidata_qid": draw(optional(st.integers(1, 10**9).map(lambda n: f"Q{n}"))),
        "description": draw(optional(text(500))),
        "alt_names": draw(alt_names),
        **draw(coordinates),
    }


@st.composite
def monuments(draw: st.DrawFn, site: str) -> dict[str, Any]:
    return {
        "site": site,
        "slug": draw(slugs),
        "name": draw(text(200)),
        "kind": draw(st.sampled_from(MonumentKind.values())),
        "built": draw(optional(st.sampled_from(["12XX", "-0878", "0032", "1XXX", "1184/1250"]))),
        "description": draw(optional(text(200))),
        "alt_names": draw(alt_names),
        **draw(coordinates),
    }


@st.composite
def sources(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "key": draw(slugs),
        "title": draw(text(300)),
        "publisher": draw(optional(text(100))),
        "author": draw(optional(text(100))),
        "url": draw(optional(slugs.map(lambda s: f"https://example.org/{s}"))),
        "language": draw(optional(languages)),
        "published": draw(optional(edtf_dates())),
        "source_type": draw(st.sampled_from(SourceType.values())),
        "note": draw(optional(text(200))),
    }


@st.composite
def citations(draw: st.DrawFn, source: str) -> dict[str, Any]:
    return {
        "source": source,
        "quote": draw(text(1000)),
        "location": draw(optional(text(50))),
        "stance": draw(st.sampled_from(Stance.values())),
        "claimed_occurred": draw(optional(edtf_dates())),
        "claimed_level": draw(optional(st.sampled_from(DamageLevel.values()))),
        "date_resolution": draw(optional(text(200))),
        "via": draw(optional(st.sampled_from(["Syrian army", "SANA", "a military source"]))),
        "mentions": [],
    }


def _distinct(citations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The citations less repeats of one statement (source, quote, location), which an
    event refuses."""
    seen: set[tuple[str, str, str]] = set()
    kept = []
    for citation in citations:
        identity = (
            citation["source"],
            " ".join(citation["quote"].split()),
            " ".join((citation["location"] or "").split()),
        )
        if identity not in seen:
            seen.add(identity)
            kept.append(citation)
    return kept


def reportable(occurred: str, published: str | None) -> bool:
    """Whether a source published `published` can report an event of `occurred`: the
    event began by then (an event dated after its source is refused)."""
    return reported_too_early(occurred, "source", published) is None


@st.composite
def events(
    draw: st.DrawFn, site: str, monument: str | None, source: str, published: str | None = None
) -> dict[str, Any]:
    """An event citing `source`, published `published`: one that the source can report."""
    return {
        "uid": str(draw(st.uuids(version=4))),
        "site": site,
        "monument": monument,
        "cause": draw(st.sampled_from(Cause.values())),
        "damage_level": draw(st.sampled_from(DamageLevel.values())),
        "occurred": draw(edtf_dates().filter(lambda occurred: reportable(occurred, published))),
        "actor": draw(optional(text(100))),
        "description": draw(optional(text(500))),
        "citations": _distinct(draw(st.lists(citations(source), min_size=1, max_size=3))),
    }


# Values each field must refuse, with the words the error names.
invalid_site_fields = st.sampled_from(
    [
        ({"latitude": 91.0, "longitude": 0.0}, "latitude"),
        ({"latitude": 0.0, "longitude": -180.5}, "longitude"),
        ({"latitude": 10.0}, "both latitude and longitude"),
        ({"country": "XX"}, "ISO 3166-1"),
        ({"country": "Syria"}, "ISO 3166-1"),
        ({"kind": "castle"}, "unknown kind"),
        ({"slug": "Palmyra"}, "slug"),
        ({"slug": "-x"}, "slug"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "at most 200"),
        ({"wikidata_qid": "5859"}, "Wikidata"),
        ({"unesco_whc_id": 0}, "unesco_whc_id"),
        ({"alt_names": [{"name": "Tadmur", "lang": "!!"}]}, "BCP 47"),
    ]
)

invalid_event_fields = st.sampled_from(
    [
        ({"occurred": "2015-13"}, "not an EDTF date"),
        ({"occurred": "May 2015"}, "not an EDTF date"),
        ({"occurred": "2016/2015"}, "ends before it starts"),
        ({"cause": "bombing"}, "unknown cause"),
        ({"damage_level": "total"}, "unknown damage level"),
        ({"citations": []}, "citations"),
        ({"citations": [{"source": "s", "quote": ""}]}, "quote"),
        ({"citations": [{"source": "s", "quote": " \n\t "}]}, "quote: must not be empty"),
        ({"citations": [{"source": "s", "quote": "q", "stance": "maybe"}]}, "unknown stance"),
        ({"uid": "not-a-uuid"}, "uid"),
        ({"description": "d" * 5001}, "at most 5000"),
    ]
)

ascii_noise = st.text(string.printable, max_size=30)


@st.composite
def registry_contents(draw: st.DrawFn) -> dict[str, list[dict[str, Any]]]:
    """A small registry: sites, their monuments, sources, and events citing them."""
    site_list = draw(st.lists(sites(), min_size=1, max_size=3, unique_by=lambda s: s["slug"]))
    slugs = [site["slug"] for site in site_list]
    monument_list = []
    for site in slugs:
        found = draw(st.lists(monuments(site), max_size=2, unique_by=lambda m: m["slug"]))
        monument_list.extend(found)
    source_list = draw(st.lists(sources(), min_size=1, max_size=3, unique_by=lambda s: s["key"]))
    keys = [source["key"] for source in source_list]
    event_list = []
    for _ in range(draw(st.integers(0, 4))):
        site = draw(st.sampled_from(slugs))
        own = [m["slug"] for m in monument_list if m["site"] == site]
        monument = draw(st.sampled_from([None, *own]))
        event = draw(events(site, monument, keys[0]))
        others = [slug for slug in own if slug != monument]
        event["citations"] = _distinct(
            [draw(citations(draw(st.sampled_from(keys)))) for _ in event["citations"]]
        )
        # Only the sources that can report it, published once it had begun.
        published = {source["key"]: source["published"] for source in source_list}
        event["citations"] = [
            citation
            for citation in event["citations"]
            if reportable(event["occurred"], published[citation["source"]])
        ]
        if not event["citations"]:
            continue
        for citation in event["citations"]:
            citation["mentions"] = (
                draw(st.lists(st.sampled_from(others), unique=True)) if others else []
            )
        event_list.append(event)
    return {
        "sites": site_list,
        "monuments": monument_list,
        "sources": source_list,
        "events": event_list,
        "texts": draw(source_texts(keys, event_list)),
    }


@st.composite
def source_texts(
    draw: st.DrawFn, keys: list[str], event_list: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Texts for some of the sources, attached once the events cite them: a text holding
    every quote cited from it, so that each is found in it (a merge checks them again),
    or only an original's hash."""
    found = []
    for key in draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys))):
        quotes = [
            citation["quote"]
            for event in event_list
            for citation in event["citations"]
            if citation["source"] == key
        ]
        given: dict[str, Any] = {
            "key": key,
            "retrieved": draw(st.dates(dt.date(2000, 1, 1), dt.date(2030, 12, 31))),
            "url": draw(optional(st.just(f"https://example.org/{key}"))),
            "archived_url": draw(optional(st.just(f"https://web.archive.org/{key}"))),
        }
        if draw(st.booleans()):
            given["sha256"] = draw(st.text("0123456789abcdef", min_size=64, max_size=64))
        else:
            given["text"] = "\n\n".join([draw(text(40)), *draw(st.permutations(quotes))])
        found.append(given)
    return found


# Hostile input --------------------------------------------------------------------
# Values an attacker, a broken script or a careless paste may hand the registry: each
# must be refused with a clean message or stored exactly as given (less surrounding
# white space). Used by tests/test_hostile.py.

SQL_FRAGMENTS = [
    "'; DROP TABLE site; --",
    '" OR 1=1 --',
    "' OR '1'='1",
    "Robert'); DROP TABLE source;--",
    "1; DELETE FROM damage_event WHERE 1=1",
    "%' UNION SELECT version_num, 1 FROM alembic_version --",
    "'); SELECT pg_sleep(10); --",
    "\\'; ATTACH DATABASE '/tmp/x.db' AS x; --",
    "*/ OR /*",
    "%_%",
]
PATH_LIKE = [
    "../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "C:\\x",
    "~",
    "~root/.ssh/id_rsa",
    "/dev/zero",
    "\\\\server\\share",
    "file:///etc/passwd",
    "..",
    ".",
]
FORMAT_STRINGS = [
    "%s",
    "%n%n%n%n",
    "%(name)s",
    "{0}",
    "{}",
    "{!r}",
    "{0.__class__}",
    "${HOME}",
    "$(rm -rf ~)",
    "{{ 7*7 }}",
    "{% raw %}",
    "<script>alert(1)</script>",
]
BIDI_TEXT = [
    "\u202e",
    "abc\u202edcba",
    "\u2066isolate\u2069",
    "\u200fRLM\u200e",
    "\u061c",
    "تدمر",
    "שלום",
    "\u202egpj.exe",
    "مرحبا \u202bembedded\u202c end",
]
CONTROL_TEXT = [
    "\r",
    "line\r\nfeed",
    "\x1b[31mred\x1b[0m",
    "\x1b]0;title\x07",
    "\x1b]0;pwned\x07Palmyra",
    "\x1b[2J\x1b[H",
    "\x1bP+q\x1b\\",
    "\x07",
    "bell\x07",
    "\x9b2J",
    "\x9d0;title\x9c",
    "\x7f",
    "back\x08space",
    "tab\there",
    "\x0c",
    "\x85",
    "\u2028",
    "\ufeff",
    "\x01\x02\x03",
]
# A reason or quote whose later line is shaped as another history entry's head.
FORGED_HISTORY = [
    "a typo\n\n2024-01-01T00:00:00Z  update  by director\n  reason: approved",
    "x\n2024-01-01T00:00:00Z  retract  by director",
]
# Control characters the registry refuses in every text field (tab and line feed are
# text): C0 but those two, DEL, and C1.
REFUSED_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def has_control(text: str) -> bool:
    """Whether the registry refuses `text` (once stripped) for a control character in it."""
    return REFUSED_CONTROL.search(text.strip()) is not None


COMBINING_AND_EMOJI = [
    "e\u0301",
    "Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334\u0319\u0324A\u0334\u0335L\u0360G",
    "\u0301",
    "\U0001f469\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466",
    "\U0001f3f3\ufe0f\u200d\U0001f308",
    "\U0001f600" * 10,
    "\ufdfd",
    "\u1f00\u0345",
    "ﷺ",
]
EMPTY_TEXT = ["", " ", "\t\n ", "\u3000", "\u00a0"]
HOSTILE_SAMPLES = [
    *SQL_FRAGMENTS,
    *PATH_LIKE,
    *FORMAT_STRINGS,
    *BIDI_TEXT,
    *CONTROL_TEXT,
    *FORGED_HISTORY,
    *COMBINING_AND_EMOJI,
    *EMPTY_TEXT,
    "\x00",
    "a\x00b",
    "-",
    "--",
    "-x",
    "--help",
    "@",
    "name@",
    "@ar",
    "null",
    "None",
    "true",
    "NaN",
]

# Lone surrogates are what Python makes of undecodable bytes in argv; literal text, which
# must be stored and shown back, cannot hold them, nor control characters but tab and
# line feed (NUL, ESC, CR, C1), so they are refused there.
_hostile_alphabet = st.characters()
_literal_alphabet = st.characters(blacklist_categories=["Cs", "Cc"], whitelist_characters="\n\t")

# The model limits, and a size far beyond any of them.
LIMITS = [35, 64, 100, 200, 500, 1000, 2000, 5000]
FAR_BEYOND = 1_000_000


@st.composite
def long_text(draw: st.DrawFn) -> str:
    """A string at, just under or just over one of the limits, or of a megabyte."""
    limit = draw(st.sampled_from(LIMITS))
    size = draw(st.sampled_from([limit - 1, limit, limit + 1, limit * 3, FAR_BEYOND]))
    unit = draw(st.sampled_from(["x", "é", "\U0001f600", "\u202e", "'", " ", "e\u0301"]))
    return (unit * size)[:size] if len(unit) > 1 else unit * size


hostile_text: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(HOSTILE_SAMPLES),
    st.text(_hostile_alphabet, max_size=40),
    st.lists(st.sampled_from(HOSTILE_SAMPLES), min_size=2, max_size=4).map("".join),
    long_text(),
)

# Text that every text field must store as given: anything printable, tabs and line
# feeds, but no other control character (refused: NUL, which PostgreSQL cannot store,
# and those a terminal obeys) and something left after stripping.
literal_text_samples = [
    *SQL_FRAGMENTS,
    *PATH_LIKE,
    *FORMAT_STRINGS,
    *BIDI_TEXT,
    *COMBINING_AND_EMOJI,
    *FORGED_HISTORY,
    "line\nfeed",
    "tab\there",
    "\\x1b[31m not an escape",
]


def literal_text(max_size: int) -> st.SearchStrategy[str]:
    """Hostile but valid text of at most `max_size` characters, not blank."""
    padding = st.sampled_from(["", " ", "\t", "\n", " \r\n ", "\u3000"])
    core = st.one_of(
        st.sampled_from(literal_text_samples),
        st.lists(st.sampled_from(literal_text_samples), min_size=2, max_size=3).map(" ".join),
        st.text(_literal_alphabet, min_size=1, max_size=60),
    )
    return (
        st.tuples(padding, core, padding)
        .map("".join)
        .filter(lambda value: bool(value.strip()) and len(value) <= max_size)
    )


# Numbers as typed on a command line: the edges of latitude and longitude and just past
# them, overflow, signed zero, not-a-number, and things that are not numbers at all.
NUMBER_SAMPLES = [
    "90",
    "-90",
    "90.0000001",
    "-90.0000001",
    "180",
    "-180",
    "180.0000001",
    "-180.0000001",
    "1e308",
    "-1e308",
    "1e309",
    "1e-400",
    "4.9e-324",
    "-0.0",
    "0",
    "nan",
    "-nan",
    "NaN",
    "inf",
    "-inf",
    "Infinity",
    "0x10",
    "1_0",
    "\u0661\u0662",
    " 5 ",
    "",
    "5,5",
    "--1",
]
hostile_numbers: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(NUMBER_SAMPLES),
    st.floats().map(repr),
    st.floats(-200, 200).map(str),
    hostile_text,
)

INTEGER_SAMPLES = [
    "0",
    "-0",
    "1",
    "1000000",
    "1000001",
    "-1",
    str(2**31),
    str(2**63),
    str(-(2**63) - 1),
    "9" * 4300,
    "9" * 4301,
    "1e3",
    "0x17",
    "23.0",
    "",
    "\u0662\u0663",
]
hostile_integers: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(INTEGER_SAMPLES),
    st.integers().map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    hostile_text,
)

SLUG_SAMPLES = [
    "a" * 64,
    "a" * 65,
    "a-",
    "-a",
    "a--b",
    "A",
    "a\n",
    "\uff41",
    "\u0131",
    "a b",
    "a_b",
    "a.b",
]
hostile_slugs: st.SearchStrategy[str] = st.one_of(
    slugs, st.sampled_from(SLUG_SAMPLES), hostile_text
)


def hostile_or(*valid: str) -> st.SearchStrategy[str]:
    """One of the valid values, or hostile text: so that inputs reach past the first check."""
    return st.one_of(st.sampled_from(valid), hostile_text)


Argument = str | list[str] | None
# An option's (or argument's) strategies: (valid values, hostile values).
ArgumentStrategies = tuple[st.SearchStrategy[Argument], st.SearchStrategy[Argument]]


@st.composite
def hostile_arguments(
    draw: st.DrawFn, fields: dict[str, ArgumentStrategies], most: int = 3
) -> dict[str, Argument]:
    """A command's arguments, valid but for up to `most` hostile ones (often none).

    Drawing every field hostile at once would stop nearly every run at the first check;
    a few at a time reaches each check, and the valid runs reach the database.
    """
    hostile = draw(st.sets(st.sampled_from(sorted(fields)), max_size=most))
    return {name: draw(pair[1] if name in hostile else pair[0]) for name, pair in fields.items()}
