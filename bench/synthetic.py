"""A synthetic registry of realistic shape, written as an exchange file for the benchmark.

`generate(shape, path)` writes a JSON Lines file in the exchange format (version 1) that
`registry import` reads: a header, then sites by slug, monuments by site and slug,
sources by key and events by uid, the order `registry export` writes. In the same pass
it builds, in memory, the rows that the import will write into each table, so that the
plain-sqlite3 baseline inserts the very same values (see `baseline.py`).

The values follow the registry's real data: EDTF dates of every common form (day, month,
year, approximate `~`, intervals, open `../2015-04`), causes and levels drawn from the
vocabularies with plausible weights, quotes of 100-300 characters, Arabic alternative
names, one to three citations per event. Events are spread unevenly over three quarters
of the sites (a few sites have thousands, most have a handful), as in a real registry.

Everything is drawn from `random.Random(seed)`: the same arguments give the same bytes.
Text comes from pools built once, so that generating a million events costs seconds.
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from heritage_registry.vocab import Cause, DamageLevel, MonumentKind, SiteKind, SourceType

Row = tuple[Any, ...]
Write = Callable[[dict[str, Any]], None]

# Table columns in the order the baseline inserts them (ids are left to SQLite, as the
# import leaves them). The values are what SQLAlchemy's SQLite types store.
SITE_COLUMNS = (
    "latitude",
    "longitude",
    "slug",
    "name",
    "country",
    "kind",
    "location_precision_m",
    "unesco_whc_id",
    "wikidata_qid",
    "description",
    "alt_names",
    "created_at",
    "updated_at",
)
MONUMENT_COLUMNS = (
    "latitude",
    "longitude",
    "slug",
    "name",
    "kind",
    "built",
    "description",
    "site_id",
    "built_from_year",
    "built_to_year",
    "alt_names",
    "created_at",
    "updated_at",
)
SOURCE_COLUMNS = (
    "key",
    "title",
    "publisher",
    "author",
    "url",
    "language",
    "published",
    "source_type",
    "note",
    "published_earliest",
    "published_latest",
    "created_at",
    "updated_at",
)
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
    "created_at",
    "updated_at",
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
    "created_at",
)

# How many distinct EDTF strings the events may carry (sources are dated from the same
# pool). The registry parses each distinct string with the edtf library once per process
# (about 10 ms each), so this is part of the shape: a real registry of a million events
# holds thousands of dates. Six per thousand events, between 50 and 6,000.
MAX_DATE_POOL = 6_000
MIN_DATE_POOL = 50
QUOTE_POOL = 20_000
DESCRIPTION_POOL = 5_000
ACTIVE_SITE_SHARE = 0.75


@dataclass(frozen=True)
class Shape:
    """How big the synthetic registry is, and the seed it is drawn from."""

    events: int
    sites: int
    monuments: int
    sources: int
    seed: int = 20150523
    distinct_dates: int = MAX_DATE_POOL

    @classmethod
    def for_events(
        cls,
        events: int,
        *,
        sites: int | None = None,
        monuments: int | None = None,
        sources: int | None = None,
        seed: int = 20150523,
        distinct_dates: int | None = None,
    ) -> Shape:
        """The issue's shape (100,000 sites, 300,000 monuments, 5,000 sources and 6,000
        distinct dates at a million events), scaled down for fewer events: ten events per
        site, three monuments per site, one source per 200 events and six distinct dates
        per thousand events (at least 50), unless given."""
        chosen_sites = sites if sites is not None else min(100_000, max(10, events // 10))
        if distinct_dates is None:
            distinct_dates = min(MAX_DATE_POOL, max(MIN_DATE_POOL, events * 6 // 1000))
        return cls(
            events=events,
            sites=chosen_sites,
            monuments=monuments if monuments is not None else 3 * chosen_sites,
            sources=sources if sources is not None else min(5_000, max(5, events // 200)),
            seed=seed,
            distinct_dates=distinct_dates,
        )


@dataclass
class Generated:
    """What `generate` wrote, and the rows the import is expected to store."""

    path: Path
    bytes: int
    counts: dict[str, int]
    distinct_dates: int
    sites: list[Row] = field(default_factory=list)
    monuments: list[Row] = field(default_factory=list)
    sources: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    citations: list[Row] = field(default_factory=list)
    # citation_ends[i]: the number of citations of events 0..i, to commit events with theirs.
    citation_ends: list[int] = field(default_factory=list)


# EDTF bounds ---------------------------------------------------------------------
# The baseline needs each event's earliest/latest exactly as the registry derives them.
# The registry's own `dates.bounds` takes ~10 ms a string (the edtf grammar); for the
# forms generated here the bounds are plain calendar arithmetic. `check_bounds` compares
# the two on a sample, and the benchmark compares whole tables after the import.

_PART = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?~?$")


def _part_bounds(text: str) -> tuple[dt.date, dt.date]:
    match = _PART.match(text)
    if match is None:
        raise ValueError(f"not a generated EDTF form: {text!r}")
    year = int(match[1])
    if match[2] is None:
        return dt.date(year, 1, 1), dt.date(year, 12, 31)
    month = int(match[2])
    if match[3] is None:
        return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])
    day = dt.date(year, month, int(match[3]))
    return day, day


def edtf_bounds(text: str) -> tuple[dt.date | None, dt.date | None]:
    """The earliest and latest day of a generated EDTF string (an open end is None)."""
    if "/" not in text:
        return _part_bounds(text)
    start, end = text.split("/")
    earliest = None if start in ("", "..") else _part_bounds(start)[0]
    latest = None if end in ("", "..") else _part_bounds(end)[1]
    return earliest, latest


def edtf_years(text: str) -> tuple[int, int]:
    """The year bounds of a generated construction date: `0032`, `12XX`, `-0850`."""
    if text.endswith("XX"):
        century = int(text[:-2])
        return century * 100, century * 100 + 99
    return int(text), int(text)


def check_bounds(samples: Sequence[str], years: Sequence[str]) -> None:
    """Raise if the arithmetic above disagrees with the registry's own derivation."""
    from heritage_registry import dates

    for text in samples:
        got = edtf_bounds(text)
        expected = dates.bounds(text)
        if got != (expected.earliest, expected.latest):
            raise AssertionError(f"bounds of {text!r}: {got} != {expected}")
    for text in years:
        if edtf_years(text) != dates.year_bounds(text):
            raise AssertionError(f"years of {text!r}: {edtf_years(text)}")


def _iso(day: dt.date) -> str:
    return day.isoformat()


FIRST_DAY = dt.date(2011, 3, 1)
LAST_DAY = dt.date(2024, 12, 31)


def _day(rng: random.Random) -> dt.date:
    return FIRST_DAY + dt.timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))


def _date_pool(rng: random.Random, size: int) -> list[str]:
    """`size` distinct EDTF dates as sources give them, 2011 to 2024, in the proportions
    in which the forms are seen."""
    pool: dict[str, None] = {}
    while len(pool) < size:
        form = rng.random()
        start = _day(rng)
        if form < 0.35:  # a day: 2015-05-23
            pool.setdefault(_iso(start))
        elif form < 0.55:  # a month: 2015-05
            pool.setdefault(start.isoformat()[:7])
        elif form < 0.62:  # about a day: 2015-05-23~
            pool.setdefault(_iso(start) + "~")
        elif form < 0.70:  # about a month: 2015-04~
            pool.setdefault(start.isoformat()[:7] + "~")
        elif form < 0.75:  # a year: 2015
            pool.setdefault(str(start.year))
        elif form < 0.90:  # between two days, or two months
            end = min(LAST_DAY, start + dt.timedelta(days=1 + rng.randrange(400)))
            if rng.random() < 0.7:
                pool.setdefault(f"{_iso(start)}/{_iso(end)}")
            else:
                pool.setdefault(f"{start.isoformat()[:7]}/{end.isoformat()[:7]}")
        elif form < 0.97:  # before: ../2015-04 or ../2015-04-02
            text = _iso(start) if rng.random() < 0.5 else start.isoformat()[:7]
            pool.setdefault("../" + text)
        else:  # since, end open: 2015-04/..
            pool.setdefault(start.isoformat()[:7] + "/..")
    return list(pool)


# Text pools ------------------------------------------------------------------------

PLACES = [
    ("Palmyra", "تدمر"),
    ("Nimrud", "النمرود"),
    ("Hatra", "الحضر"),
    ("Nineveh", "نينوى"),
    ("Ashur", "آشور"),
    ("Apamea", "أفاميا"),
    ("Bosra", "بصرى"),
    ("Dura", "دورا"),
    ("Mari", "ماري"),
    ("Ebla", "إيبلا"),
    ("Raqqa", "الرقة"),
    ("Resafa", "الرصافة"),
    ("Aleppo", "حلب"),
    ("Homs", "حمص"),
    ("Hama", "حماة"),
    ("Samarra", "سامراء"),
    ("Tikrit", "تكريت"),
    ("Mosul", "الموصل"),
    ("Sanaa", "صنعاء"),
    ("Zabid", "زبيد"),
    ("Marib", "مأرب"),
    ("Shibam", "شبام"),
    ("Cyrene", "شحات"),
    ("Sabratha", "صبراتة"),
    ("Leptis", "لبدة"),
    ("Ghadames", "غدامس"),
    ("Timbuktu", "تمبكتو"),
    ("Djenne", "جنة"),
    ("Bamiyan", "باميان"),
    ("Herat", "هرات"),
    ("Jam", "جام"),
    ("Hamoukar", "حموكار"),
    ("Brak", "براك"),
    ("Mozan", "موزان"),
    ("Halaf", "حلف"),
    ("Ajaja", "عجاجة"),
    ("Qatna", "قطنا"),
    ("Ugarit", "أوغاريت"),
    ("Serjilla", "سرجيلا"),
    ("Bara", "البارة"),
    ("Maaloula", "معلولا"),
    ("Krak", "الحصن"),
    ("Qalb Lozeh", "قلب لوزة"),
    ("Khorsabad", "خرسباد"),
    ("Nabi Yunus", "النبي يونس"),
    ("Uruk", "الوركاء"),
    ("Larsa", "لارسا"),
    ("Isin", "إيسن"),
    ("Umma", "أومّا"),
    ("Babylon", "بابل"),
]
PREFIXES = [
    ("Tell", "تل"),
    ("Khirbet", "خربة"),
    ("Qasr", "قصر"),
    ("Deir", "دير"),
    ("Jebel", "جبل"),
    ("Wadi", "وادي"),
    ("Qalaat", "قلعة"),
    ("Ain", "عين"),
    ("Beit", "بيت"),
    ("Kafr", "كفر"),
    ("Umm", "أم"),
    ("Hisn", "حصن"),
    ("Ras", "رأس"),
    ("", ""),
]
COUNTRIES = ["SY", "SY", "SY", "IQ", "IQ", "IQ", "YE", "LY", "AF", "ML", "EG", "LB", "PS"]
MONUMENT_WORDS = {
    MonumentKind.TEMPLE: ["Temple of Bel", "Temple of Baalshamin", "Temple of Nabu", "Shrine"],
    MonumentKind.TOMB: ["Tower tomb", "Tomb of Elahbel", "Tomb of the three brothers"],
    MonumentKind.NECROPOLIS: ["Valley of the Tombs", "Southeast necropolis", "Cemetery"],
    MonumentKind.CITADEL: ["Citadel", "Castle", "Fort"],
    MonumentKind.MOSQUE: ["Great Mosque", "Mosque of the Prophet Yunus", "Al-Nuri Mosque"],
    MonumentKind.SHRINE: ["Shrine of Sheikh Ahmed", "Mausoleum", "Maqam"],
    MonumentKind.CHURCH: ["Church of Saint Elian", "Monastery of Mar Behnam", "Cathedral"],
    MonumentKind.MUSEUM_COLLECTION: ["Statue collection", "Coin cabinet", "Manuscripts"],
    MonumentKind.STATUE: ["Lion of al-Lat", "Lamassu", "Relief of the king"],
    MonumentKind.PALACE: ["North-west palace", "Palace of Ashurnasirpal", "Governor's palace"],
    MonumentKind.CITY_WALL: ["City wall", "Nergal gate", "Bab al-Hadid"],
    MonumentKind.PRISON: ["Military prison"],
    MonumentKind.OTHER: ["Theatre", "Colonnade", "Arch of Triumph", "Souk", "Aqueduct"],
}
BUILT = ["0032", "0131", "-0850", "-0700", "12XX", "11XX", "19XX", "0600", "1190", "1172"]
PUBLISHERS = [
    "The New Arab",
    "IANS",
    "Reuters",
    "Agence France-Presse",
    "Associated Press",
    "Al Jazeera",
    "BBC News",
    "The Guardian",
    "Le Monde",
    "SANA",
    "Rudaw",
    "Syrian Observatory for Human Rights",
    "UNESCO",
    "UNOSAT",
    "ASOR Cultural Heritage Initiatives",
    "Heritage for Peace",
    "Directorate-General of Antiquities and Museums",
    "Amaq",
    "Enab Baladi",
    "Asharq Al-Awsat",
]
SOURCE_TYPES = {
    SourceType.NEWS_REPORT: 60,
    SourceType.OFFICIAL_STATEMENT: 10,
    SourceType.PERPETRATOR_CLAIM: 5,
    SourceType.NGO_REPORT: 12,
    SourceType.SATELLITE_ASSESSMENT: 8,
    SourceType.SOCIAL_MEDIA: 4,
    SourceType.OTHER: 1,
}
CAUSES = {
    Cause.EXPLOSIVES: 10,
    Cause.DEMOLITION: 8,
    Cause.SMASHING: 6,
    Cause.LOOTING: 20,
    Cause.FIRE: 5,
    Cause.SHELLING: 18,
    Cause.GUNFIRE: 4,
    Cause.COMBAT: 10,
    Cause.OCCUPATION: 8,
    Cause.MINING: 3,
    Cause.OTHER: 2,
    Cause.UNKNOWN: 6,
}
LEVELS = {
    DamageLevel.DESTROYED: 12,
    DamageLevel.SEVERE: 18,
    DamageLevel.MODERATE: 22,
    DamageLevel.MINOR: 15,
    DamageLevel.NONE: 3,
    DamageLevel.UNKNOWN: 30,
}
SITE_KINDS = {
    SiteKind.ARCHAEOLOGICAL_SITE: 60,
    SiteKind.HISTORIC_CITY: 15,
    SiteKind.MUSEUM: 5,
    SiteKind.RELIGIOUS_SITE: 15,
    SiteKind.OTHER: 5,
}
ACTORS = [
    "Islamic State",
    "Syrian army",
    "Syrian army and allied forces",
    "Russian air force",
    "International coalition",
    "Free Syrian Army",
    "Local residents",
    "Unknown armed group",
    "Looters",
    "Houthi forces",
    "Saudi-led coalition",
    "Ansar Dine",
    "Taliban",
]
ACTORS_SAID = [
    "Islamic State militants",
    "The group",
    "Fighters loyal to the government",
    "Gunmen",
    "Looters",
    "Government aircraft",
    "Rebel fighters",
    "The militants",
]
REPORTERS = [
    "Witnesses said",
    "A spokesman for the antiquities department said",
    "The Syrian Observatory for Human Rights reported that",
    "Activists said",
    "A military source told the agency that",
    "The director of antiquities said",
    "UNESCO's director-general said",
    "Residents who fled the town said",
    "Satellite images taken in the spring show that",
]
VERBS = [
    "blew up",
    "destroyed",
    "bulldozed",
    "looted",
    "set fire to",
    "shelled",
    "smashed",
    "damaged",
    "used explosives to bring down",
    "dug illegal trenches across",
    "planted mines around",
    "took control of",
]
OBJECTS = [
    "the ancient temple",
    "the citadel's outer walls",
    "the colonnade",
    "several tower tombs",
    "the museum's statues",
    "the shrine and its dome",
    "the old souk",
    "the monastery",
    "the minaret of the great mosque",
    "the Assyrian palace",
    "the Roman theatre",
    "parts of the necropolis",
    "the gate of the old city",
]
TAILS = [
    "according to the Syrian Observatory for Human Rights",
    "in what officials called a war crime",
    "days after seizing the town",
    "as the army advanced towards the site",
    "before withdrawing from the area",
    "in a video released on social media",
    "leaving little more than rubble",
    "though the extent of the damage could not be verified",
    "in an attack that drew condemnation from UNESCO",
    "the third such attack in a month",
    "with heavy machinery",
]
TITLE_WORDS = [
    "Militants destroy",
    "Satellite images show damage at",
    "Army recaptures",
    "Looting reported at",
    "Fears for",
    "UNESCO condemns destruction of",
    "Shelling hits",
    "Fire damages",
    "Assessment of damage at",
]
RESOLUTIONS = [
    "'last May' in an article dated {d} -> the month before.",
    "'on Sunday' in an article dated {d} -> {d}.",
    "Undated; reported as fresh news in an article of about {d}.",
    "'earlier this month' in an article of {d} -> the month of {d}.",
    "Between the two satellite images, the later taken on {d}.",
    "'days ago' in an article of {d} -> about a week before.",
]
RETRACTIONS = [
    "The source later corrected its report: the building was a different one.",
    "A duplicate of another event recorded from the same report.",
    "Satellite imagery taken afterwards shows the structure standing.",
]


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _weighted(rng: random.Random, weights: dict[Any, int], count: int) -> list[str]:
    """A pool of `count` vocabulary values drawn with these weights, to index uniformly."""
    values = [str(getattr(value, "value", value)) for value in weights]
    return rng.choices(values, weights=list(weights.values()), k=count)


def _sentence(rng: random.Random) -> str:
    text = f"{rng.choice(ACTORS_SAID)} {rng.choice(VERBS)} {rng.choice(OBJECTS)}"
    if rng.random() < 0.4:
        reporter = rng.choice(REPORTERS)
        text = f"{reporter} {text[0].lower()}{text[1:]}"
    if rng.random() < 0.6:
        text += " " + rng.choice(TAILS)
    return text + "."


def _text(rng: random.Random, low: int, high: int) -> str:
    """Whole sentences, about `low` to `high` characters (one sentence may be longer)."""
    target = rng.randint(low, high)
    text = _sentence(rng)
    while len(text) < target:
        more = _sentence(rng)
        if len(text) + 1 + len(more) > high:
            break
        text += " " + more
    return text


class _Clock:
    """Recorded times between 2023 and mid-2026, in the exchange and the database forms."""

    START = dt.datetime(2023, 1, 1)
    SPAN_US = int((dt.datetime(2026, 6, 1) - START).total_seconds() * 1_000_000)

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def stamp(self, after: int | None = None) -> tuple[int, str, str]:
        """A time (microseconds since START), soon after `after` if given, as exchange
        and stored text."""
        if after is None:
            offset = self.rng.randrange(self.SPAN_US)
        else:
            offset = after + self.rng.randrange((self.SPAN_US - after) // 8 + 2)
        # Odd microseconds are never zero: isoformat would then drop the fraction, which
        # the exchange allows but SQLAlchemy stores as .000000; keep one form throughout.
        offset |= 1
        when = self.START + dt.timedelta(microseconds=offset)
        iso = when.isoformat()
        return offset, iso + "Z", iso.replace("T", " ")


def _stored_bounds(text: str) -> tuple[str | None, str | None]:
    """The bounds as SQLAlchemy's SQLite Date type stores them: ISO text."""
    earliest, latest = edtf_bounds(text)
    return (
        earliest.isoformat() if earliest is not None else None,
        latest.isoformat() if latest is not None else None,
    )


def _alt_names_db(alt_names: list[dict[str, str]]) -> str:
    # SQLAlchemy's JSON type stores json.dumps with its defaults (ASCII escapes).
    return json.dumps(alt_names)


# Generation ----------------------------------------------------------------------


def generate(shape: Shape, path: Path, *, baseline_rows: bool = True) -> Generated:
    """Write the exchange file for `shape` to `path`; with `baseline_rows`, keep the rows."""
    rng = random.Random(shape.seed)
    clock = _Clock(rng)
    dates = _date_pool(rng, shape.distinct_dates)
    pool_size = len(dates)
    bounds = {text: _stored_bounds(text) for text in set(dates)}
    check_bounds(rng.sample(sorted(bounds), min(40, len(bounds))), BUILT)
    quotes = [_text(rng, 100, 300) for _ in range(QUOTE_POOL)]
    descriptions = [_text(rng, 80, 400) for _ in range(DESCRIPTION_POOL)]
    causes = _weighted(rng, CAUSES, 4096)
    levels = _weighted(rng, LEVELS, 4096)
    resolutions = [
        template.format(d=_iso(_day(rng))) for template in RESOLUTIONS for _ in range(40)
    ]
    locations = [f"paragraph {n}" for n in range(1, 40)] + [f"page {n}" for n in range(1, 20)]

    result = Generated(path=path, bytes=0, counts={}, distinct_dates=0)
    keep = baseline_rows
    out = path.open("w", encoding="utf-8", newline="\n", buffering=1 << 20)

    # The same JSON as `registry export` writes; one encoder, rather than json.dumps's
    # per-call set-up, for a million lines.
    encode = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

    def write(record: dict[str, Any]) -> None:
        out.write(encode(record) + "\n")

    used_dates: set[str] = set()
    try:
        write(
            {
                "format": "heritage-registry",
                "version": 1,
                "generator": "bench/synthetic.py",
                "seed": shape.seed,
            }
        )
        site_slugs = _write_sites(rng, clock, shape, descriptions, write, result, keep)
        site_monuments = _write_monuments(
            rng, clock, shape, site_slugs, descriptions, write, result, keep
        )
        source_keys = _write_sources(rng, clock, shape, write, result, keep, used_dates)

        # Events go to three quarters of the sites, unevenly: squaring a uniform draw
        # gives the first ranks many events; a shuffle decides which sites those are.
        active = list(range(len(site_slugs)))
        rng.shuffle(active)
        active = active[: max(1, int(len(active) * ACTIVE_SITE_SHARE))]
        n_active = len(active)
        n_sources = len(source_keys)
        uids = sorted(_uid(rng) for _ in range(shape.events))
        # Bound methods and lengths in locals: this loop runs once per event.
        rand, bits = rng.random, rng.getrandbits
        n_locations, n_resolutions = len(locations), len(resolutions)
        citation_count = 0
        for event_id, uid in enumerate(uids, start=1):
            site_index = active[int(n_active * rand() ** 2)]
            monuments = site_monuments[site_index]
            monument: tuple[str, int] | None = None
            if monuments and rand() < 0.6:
                monument = monuments[int(len(monuments) * rand())]
            occurred = dates[int(pool_size * rand())]
            used_dates.add(occurred)
            cause = causes[bits(12)]
            level = levels[bits(12)]
            actor = ACTORS[int(len(ACTORS) * rand())] if rand() < 0.6 else None
            description = descriptions[int(DESCRIPTION_POOL * rand())] if rand() < 0.6 else None
            at, recorded_at, recorded_db = clock.stamp()
            updated_at, updated_db = recorded_at, recorded_db
            if rand() < 0.15:
                _, updated_at, updated_db = clock.stamp(at)
            retracted_at = retracted_db = retraction_reason = None
            if rand() < 0.003:
                _, retracted_at, retracted_db = clock.stamp(at)
                retraction_reason = RETRACTIONS[int(len(RETRACTIONS) * rand())]
            citations = []
            how_many = 1 + (rand() < 0.55) + (rand() < 0.35)
            for number in range(how_many):
                source_index = int(n_sources * rand() ** 2)
                quote = quotes[int(QUOTE_POOL * rand())]
                location = locations[int(n_locations * rand())] if rand() < 0.8 else None
                stance = "disputes" if rand() < 0.03 else "supports"
                claimed_occurred = None
                if rand() < 0.03:
                    claimed_occurred = dates[int(pool_size * rand())]
                    used_dates.add(claimed_occurred)
                claimed_level = levels[bits(12)] if rand() < 0.02 else None
                resolution = resolutions[int(n_resolutions * rand())] if rand() < 0.2 else None
                cited_at, cited_db = recorded_at, recorded_db
                if number and rand() < 0.3:
                    _, cited_at, cited_db = clock.stamp(at)
                citations.append(
                    {
                        "source": source_keys[source_index],
                        "quote": quote,
                        "location": location,
                        "stance": stance,
                        "claimed_occurred": claimed_occurred,
                        "claimed_level": claimed_level,
                        "date_resolution": resolution,
                        "via": None,
                        "mentions": [],
                        "recorded_at": cited_at,
                    }
                )
                if keep:
                    result.citations.append(
                        (
                            event_id,
                            source_index + 1,
                            quote,
                            location,
                            stance,
                            claimed_occurred,
                            claimed_level,
                            resolution,
                            cited_db,
                        )
                    )
            citation_count += how_many
            write(
                {
                    "type": "event",
                    "uid": uid,
                    "site": site_slugs[site_index],
                    "monument": monument[0] if monument else None,
                    "cause": cause,
                    "damage_level": level,
                    "occurred": occurred,
                    "actor": actor,
                    "description": description,
                    "retracted_at": retracted_at,
                    "retraction_reason": retraction_reason,
                    "merged_into": None,
                    "merged_at": None,
                    "merge_reason": None,
                    "recorded_at": recorded_at,
                    "updated_at": updated_at,
                    "citations": citations,
                }
            )
            if keep:
                earliest, latest = bounds[occurred]
                result.events.append(
                    (
                        uid,
                        site_index + 1,
                        monument[1] if monument else None,
                        cause,
                        level,
                        occurred,
                        earliest,
                        latest,
                        actor,
                        description,
                        retracted_db,
                        retraction_reason,
                        recorded_db,
                        updated_db,
                    )
                )
                result.citation_ends.append(citation_count)
        result.counts["events"] = shape.events
        result.counts["citations"] = citation_count
    finally:
        out.close()
    result.bytes = path.stat().st_size
    result.distinct_dates = len(used_dates)
    return result


def _uid(rng: random.Random) -> str:
    """A random version-4 UUID in its canonical text, as the import stores it."""
    value = rng.getrandbits(128)
    value = (value & ~(0xF000 << 64) | (4 << 76)) & ~(0xC000 << 48) | (0x8000 << 48)
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _write_sites(
    rng: random.Random,
    clock: _Clock,
    shape: Shape,
    descriptions: list[str],
    write: Write,
    result: Generated,
    keep: bool,
) -> list[str]:
    """Sites in slug order (as export writes them); returns their slugs, index = id - 1."""
    drafts = []
    for number in range(shape.sites):
        (place, place_ar), (prefix, prefix_ar) = rng.choice(PLACES), rng.choice(PREFIXES)
        name = f"{prefix} {place}".strip()
        slug = f"{_slugify(name)}-{number + 1}"
        drafts.append((slug, name, place_ar, prefix_ar))
    drafts.sort()
    kinds = _weighted(rng, SITE_KINDS, len(drafts))
    slugs = []
    for (slug, name, place_ar, prefix_ar), kind in zip(drafts, kinds, strict=True):
        located = rng.random() < 0.9
        latitude = round(rng.uniform(12.0, 37.0), 4) if located else None
        longitude = round(rng.uniform(-5.0, 70.0), 4) if located else None
        precision = rng.choice([50.0, 200.0, 1500.0, 5000.0]) if located else None
        alt_names: list[dict[str, str]] = []
        if rng.random() < 0.4:
            alt_names.append({"name": f"{prefix_ar} {place_ar}".strip(), "lang": "ar"})
        if rng.random() < 0.15:
            alt_names.append({"name": name.replace("Tell", "Tal"), "lang": "en"})
        unesco = rng.randrange(1, 1700) if rng.random() < 0.02 else None
        qid = f"Q{rng.randrange(1000, 99_999_999)}" if rng.random() < 0.3 else None
        description = rng.choice(descriptions) if rng.random() < 0.5 else None
        _, created, created_db = clock.stamp()
        country = rng.choice(COUNTRIES)
        write(
            {
                "type": "site",
                "latitude": latitude,
                "longitude": longitude,
                "slug": slug,
                "name": name,
                "country": country,
                "kind": kind,
                "location_precision_m": precision,
                "unesco_whc_id": unesco,
                "wikidata_qid": qid,
                "description": description,
                "alt_names": alt_names,
                "created_at": created,
                "updated_at": created,
            }
        )
        if keep:
            result.sites.append(
                (
                    latitude,
                    longitude,
                    slug,
                    name,
                    country,
                    kind,
                    precision,
                    unesco,
                    qid,
                    description,
                    _alt_names_db(alt_names),
                    created_db,
                    created_db,
                )
            )
        slugs.append(slug)
    result.counts["sites"] = len(slugs)
    return slugs


def _write_monuments(
    rng: random.Random,
    clock: _Clock,
    shape: Shape,
    site_slugs: list[str],
    descriptions: list[str],
    write: Write,
    result: Generated,
    keep: bool,
) -> list[list[tuple[str, int]]]:
    """Monuments in site then slug order; returns each site's (slug, id) list."""
    kinds = list(MONUMENT_WORDS)
    per_site: list[dict[str, tuple[str, str]]] = [{} for _ in site_slugs]
    for _ in range(shape.monuments):
        site = rng.randrange(len(site_slugs))
        kind = rng.choice(kinds)
        name = rng.choice(MONUMENT_WORDS[kind])
        slug = base = _slugify(name)
        suffix = 1
        while slug in per_site[site]:
            suffix += 1
            slug = f"{base}-{suffix}"
        per_site[site][slug] = (name, kind.value)
    ids: list[list[tuple[str, int]]] = [[] for _ in site_slugs]
    monument_id = 0
    for site, owned in enumerate(per_site):
        for slug in sorted(owned):
            name, kind_value = owned[slug]
            monument_id += 1
            built = rng.choice(BUILT) if rng.random() < 0.4 else None
            located = rng.random() < 0.3
            latitude = round(rng.uniform(12.0, 37.0), 4) if located else None
            longitude = round(rng.uniform(-5.0, 70.0), 4) if located else None
            alt_names = (
                [{"name": rng.choice(PLACES)[1], "lang": "ar"}] if rng.random() < 0.2 else []
            )
            description = rng.choice(descriptions) if rng.random() < 0.3 else None
            _, created, created_db = clock.stamp()
            write(
                {
                    "type": "monument",
                    "latitude": latitude,
                    "longitude": longitude,
                    "slug": slug,
                    "name": name,
                    "kind": kind_value,
                    "built": built,
                    "description": description,
                    "site": site_slugs[site],
                    "alt_names": alt_names,
                    "created_at": created,
                    "updated_at": created,
                }
            )
            if keep:
                years = edtf_years(built) if built else (None, None)
                result.monuments.append(
                    (
                        latitude,
                        longitude,
                        slug,
                        name,
                        kind_value,
                        built,
                        description,
                        site + 1,
                        years[0],
                        years[1],
                        _alt_names_db(alt_names),
                        created_db,
                        created_db,
                    )
                )
            ids[site].append((slug, monument_id))
    result.counts["monuments"] = monument_id
    return ids


def _write_sources(
    rng: random.Random,
    clock: _Clock,
    shape: Shape,
    write: Write,
    result: Generated,
    keep: bool,
    used_dates: set[str],
) -> list[str]:
    """Sources in key order; returns their keys, index = id - 1."""
    drafts = []
    for number in range(shape.sources):
        publisher = rng.choice(PUBLISHERS) if rng.random() < 0.85 else None
        published = None
        if rng.random() < 0.95:
            # A day after every event's (a source cannot report an event that begins
            # after it was published), sometimes approximate.
            day = _iso(LAST_DAY + dt.timedelta(days=1 + rng.randrange(365)))
            published = day + "~" if rng.random() < 0.1 else day
            used_dates.add(published)
        key = f"{_slugify(publisher or 'unattributed')}-{(published or 'undated')[:10]}-{number}"
        drafts.append((key, publisher, published))
    drafts.sort()
    types = _weighted(rng, SOURCE_TYPES, len(drafts))
    keys = []
    for (key, publisher, published), source_type in zip(drafts, types, strict=True):
        title = f"{rng.choice(TITLE_WORDS)} {rng.choice(PLACES)[0]}: {_text(rng, 20, 90)}"
        author = rng.choice(["Sarah El Deeb", "Kareem Fahim", "Anne Barnard", None, None])
        url = None
        if publisher is not None and rng.random() < 0.7:
            url = f"https://www.{_slugify(publisher)}.example/{key}"
        language = rng.choices(["en", "ar", "fr"], weights=[70, 20, 10])[0]
        note = _text(rng, 100, 500) if rng.random() < 0.1 else None
        _, created, created_db = clock.stamp()
        write(
            {
                "type": "source",
                "key": key,
                "title": title,
                "publisher": publisher,
                "author": author,
                "url": url,
                "language": language,
                "published": published,
                "source_type": source_type,
                "note": note,
                "created_at": created,
                "updated_at": created,
            }
        )
        if keep:
            span = _stored_bounds(published) if published is not None else (None, None)
            result.sources.append(
                (
                    key,
                    title,
                    publisher,
                    author,
                    url,
                    language,
                    published,
                    source_type,
                    note,
                    span[0],
                    span[1],
                    created_db,
                    created_db,
                )
            )
        keys.append(key)
    result.counts["sources"] = len(keys)
    return keys
