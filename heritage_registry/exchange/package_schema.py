"""The data package's tables: each CSV file's columns, as a Frictionless Table Schema.

A `Table` is one file of the package (`sites.csv`, ...): its fields with their types and
descriptions, the vocabularies as `enum` constraints, and its primary and foreign keys;
`Table.resource()` is its entry in `datapackage.json`. `TABLES` lists them in the order
they are written and imported (a record after those it names). The columns are the
fields of each kind's JSON Lines record (`exchange.records`), less what the registry
derives; `citations.csv` and `history.csv` add a `number` for a row's place.
`source_texts.csv` gives what each source keeps of the text it was read from, its
provenance only (`SOURCE_TEXTS`): a published dataset must not republish the articles
themselves, often under copyright; exported with them, it has a `text` column as well
(`SOURCE_TEXTS_WITH_TEXT`, `source_texts(with_texts=True)`).

`DESCRIPTOR` is the descriptor's file name and `VERSION` the package format's version.
The format as a whole, written and read, is `exchange.datapackage`.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from heritage_registry.models import SLUG_PATTERN
from heritage_registry.vocab import (
    Cause,
    ChangeAction,
    ChangeHow,
    DamageLevel,
    MonumentKind,
    RecordType,
    SiteKind,
    SourceType,
    Stance,
    Vocabulary,
)

DESCRIPTOR = "datapackage.json"
# The package format's version, in the descriptor's `heritage_registry` property.
VERSION = 1

_EDTF = (
    "An EDTF date (Library of Congress Extended Date/Time Format, ISO 8601-2), as said: "
    "2015-05-23, 2015-02, 2015-04~ (about), 2015-05-23/2016-03-25, ../2015-04, 12XX."
)
_RECORDED = "When it was recorded in the registry, ISO 8601 in UTC."
_UID = "A uuid that names the event for good, across exports and imports."
_SLUG: dict[str, Any] = {"pattern": SLUG_PATTERN[1:-1], "maxLength": 64}


def _field(
    name: str,
    kind: str,
    description: str,
    *,
    required: bool = False,
    fmt: str | None = None,
    **constraints: Any,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"name": name, "type": kind, "description": description}
    if fmt is not None:
        spec["format"] = fmt
    if required:
        constraints["required"] = True
    if constraints:
        spec["constraints"] = constraints
    return spec


def _vocabulary(
    name: str, vocabulary: type[Vocabulary], description: str, *, required: bool = False
) -> dict[str, Any]:
    values = vocabulary.values()
    return _field(name, "string", description, required=required, enum=values)


_LOCATION = [
    _field("latitude", "number", "WGS84 latitude, in degrees.", minimum=-90, maximum=90),
    _field("longitude", "number", "WGS84 longitude, in degrees.", minimum=-180, maximum=180),
]
_ALT_NAMES = _field(
    "alt_names",
    "array",
    'Other names, each with its language: JSON, [{"name": "تدمر", "lang": "ar"}].',
)


@dataclass(frozen=True)
class Table:
    """One CSV table of the package: its resource name, fields and keys."""

    name: str
    title: str
    description: str
    fields: list[dict[str, Any]]
    primary_key: list[str]
    foreign_keys: list[dict[str, Any]] = field(default_factory=list)

    @property
    def path(self) -> str:
        return f"{self.name}.csv"

    @property
    def columns(self) -> list[str]:
        return [spec["name"] for spec in self.fields]

    @functools.cached_property
    def kinds(self) -> dict[str, str]:
        """Each column's Frictionless type."""
        return {spec["name"]: spec["type"] for spec in self.fields}

    @functools.cached_property
    def texts(self) -> frozenset[str]:
        """The required columns of free text (no vocabulary, no format)."""
        return frozenset(
            spec["name"]
            for spec in self.fields
            if spec["type"] == "string"
            and "format" not in spec
            and spec.get("constraints", {}).get("required")
            and "enum" not in spec["constraints"]
        )

    def resource(self) -> dict[str, Any]:
        """The table's resource in `datapackage.json`."""
        schema: dict[str, Any] = {
            "fields": self.fields,
            "missingValues": [""],
            "primaryKey": self.primary_key,
        }
        if self.foreign_keys:
            schema["foreignKeys"] = self.foreign_keys
        return {
            "name": self.name,
            "path": self.path,
            "profile": "tabular-data-resource",
            "title": self.title,
            "description": self.description,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "schema": schema,
        }


def _refers(fields: list[str], resource: str, to: list[str]) -> dict[str, Any]:
    return {"fields": fields, "reference": {"resource": resource, "fields": to}}


SITES = Table(
    "sites",
    "Sites",
    "Places: an archaeological site, a historic city, a museum.",
    [
        _field("slug", "string", "The site's stable name, e.g. palmyra.", required=True, **_SLUG),
        _field("name", "string", "The site's name.", required=True),
        _field("country", "string", "ISO 3166-1 alpha-2 code.", required=True, pattern="[A-Z]{2}"),
        _vocabulary("kind", SiteKind, "What kind of place it is.", required=True),
        *_LOCATION,
        _field(
            "location_precision_m", "number", "How precise the location is, in metres.", minimum=0
        ),
        _field("unesco_whc_id", "integer", "UNESCO World Heritage Centre id.", minimum=1),
        _field("wikidata_qid", "string", "Wikidata item, e.g. Q5859.", pattern="Q[1-9][0-9]*"),
        _field("description", "string", "What the site is."),
        _ALT_NAMES,
        _field("created_at", "datetime", _RECORDED),
        _field("updated_at", "datetime", "When it was last changed, ISO 8601 in UTC."),
    ],
    ["slug"],
)
MONUMENTS = Table(
    "monuments",
    "Monuments",
    "Parts of a site that can be damaged on their own; a slug is unique within its site.",
    [
        _field("site", "string", "The slug of the monument's site.", required=True, **_SLUG),
        _field("slug", "string", "The monument's stable name within its site.", required=True),
        _field("name", "string", "The monument's name.", required=True),
        _vocabulary("kind", MonumentKind, "What kind of monument it is.", required=True),
        _field("built", "string", "When it was built. " + _EDTF),
        *_LOCATION,
        _field("description", "string", "What the monument is."),
        _ALT_NAMES,
        _field("created_at", "datetime", _RECORDED),
        _field("updated_at", "datetime", "When it was last changed, ISO 8601 in UTC."),
    ],
    ["site", "slug"],
    [_refers(["site"], "sites", ["slug"])],
)
SOURCES = Table(
    "sources",
    "Sources",
    "Documents: news reports, official statements, perpetrators' claims, assessments.",
    [
        _field("key", "string", "The source's stable name.", required=True, **_SLUG),
        _field("title", "string", "The document's title.", required=True),
        _field("publisher", "string", "Who published it."),
        _field("author", "string", "Who wrote it."),
        _field("url", "string", "Where it was published."),
        _field("language", "string", "Its language, a BCP 47 tag."),
        _field("published", "string", "When it was published. " + _EDTF),
        _vocabulary("source_type", SourceType, "What kind of document it is.", required=True),
        _field("note", "string", "A note on the source."),
        _field("created_at", "datetime", _RECORDED),
        _field("updated_at", "datetime", "When it was last changed, ISO 8601 in UTC."),
    ],
    ["key"],
)
_TEXT_FIELDS = [
    _field("source", "string", "The key of the source.", required=True, **_SLUG),
    _field(
        "sha256",
        "string",
        "The SHA-256 of the text (its UTF-8), or of the original where that is not text.",
        required=True,
        pattern="[0-9a-f]{64}",
    ),
    _field(
        "characters",
        "integer",
        "The text's length in characters; empty where only an original's hash is kept.",
        minimum=0,
    ),
    _field("retrieved", "date", "When it was retrieved.", required=True),
    _field("url", "string", "Where it was retrieved from."),
    _field("archived_url", "string", "Where an archived copy of it is."),
    _field("attached_at", "datetime", "When it was attached to the source, ISO 8601 in UTC."),
]
_TEXT_DESCRIPTION = (
    "What a source keeps of the text it was read from: its SHA-256, when and where it was "
    "retrieved, or only the hash of an original that is not text (a PDF, a video)."
)
SOURCE_TEXTS = Table(
    "source_texts",
    "Sources' texts",
    _TEXT_DESCRIPTION + " The texts themselves are not in the package.",
    _TEXT_FIELDS,
    ["source"],
    [_refers(["source"], "sources", ["key"])],
)
SOURCE_TEXTS_WITH_TEXT = Table(
    "source_texts",
    "Sources' texts",
    _TEXT_DESCRIPTION + " `text` is the text itself, empty where only a hash is kept.",
    [
        *_TEXT_FIELDS,
        _field(
            "text",
            "string",
            "The text the source was read from, line breaks as \\n; empty where only an "
            "original's hash is kept.",
        ),
    ],
    ["source"],
    [_refers(["source"], "sources", ["key"])],
)
EVENTS = Table(
    "events",
    "Damage events",
    "One thing that happened to a site, or to one monument of it; every event has at "
    "least one citation (citations.csv), unless it was merged into another.",
    [
        _field("uid", "string", _UID, required=True, fmt="uuid"),
        _field("site", "string", "The slug of the event's site.", required=True),
        _field(
            "monument",
            "string",
            "The slug of the monument it happened to, of the same site; empty when the "
            "source speaks of the site or of parts it does not name.",
        ),
        _vocabulary("cause", Cause, "What was done.", required=True),
        _vocabulary(
            "damage_level", DamageLevel, "How badly it was damaged, worst first.", required=True
        ),
        _field("occurred", "string", "When it happened. " + _EDTF, required=True),
        _field("actor", "string", "Who did it."),
        _field("description", "string", "What happened."),
        _field("retracted_at", "datetime", "When it was withdrawn, if it was."),
        _field("retraction_reason", "string", "Why it was withdrawn."),
        _field(
            "merged_into",
            "string",
            "The uid of the event it was merged into (a duplicate), if it was.",
            fmt="uuid",
        ),
        _field("merged_at", "datetime", "When it was merged."),
        _field("merge_reason", "string", "Why it was merged."),
        _field("recorded_at", "datetime", _RECORDED),
        _field("updated_at", "datetime", "When it was last changed, ISO 8601 in UTC."),
    ],
    ["uid"],
    [_refers(["site"], "sites", ["slug"]), _refers(["merged_into"], "", ["uid"])],
)
CITATIONS = Table(
    "citations",
    "Citations",
    "One source's statement about one event: the verbatim quote, and whether the source "
    "supports or disputes it.",
    [
        _field("event", "string", "The uid of the event cited.", required=True, fmt="uuid"),
        _field(
            "number",
            "integer",
            "Its place among the event's citations, 1 first.",
            required=True,
            minimum=1,
        ),
        _field("source", "string", "The key of the source.", required=True),
        _field("quote", "string", "The source's words, verbatim.", required=True),
        _field("location", "string", "Where in the source the quote stands."),
        _vocabulary("stance", Stance, "Whether the source supports or disputes the event."),
        _field("claimed_occurred", "string", "The date the source claims, if another. " + _EDTF),
        _vocabulary(
            "claimed_level", DamageLevel, "The damage level the source claims, if another."
        ),
        _field("date_resolution", "string", "How a relative date in the source was resolved."),
        _field("via", "string", "Whom the source relays, if anyone."),
        _field(
            "mentions",
            "array",
            "Slugs of monuments of the site the quote names, the event not attributed to "
            'them: JSON, ["temple-of-bel"].',
        ),
        _field("recorded_at", "datetime", _RECORDED),
        _field(
            "text_start",
            "integer",
            "Where the quote starts in the source's text, if it was found there.",
            minimum=0,
        ),
        _field("text_end", "integer", "Where the quote ends in the source's text.", minimum=0),
    ],
    ["event", "number"],
    [_refers(["event"], "events", ["uid"]), _refers(["source"], "sources", ["key"])],
)
HISTORY = Table(
    "history",
    "History",
    "Every change made to a record, in the order they were made.",
    [
        _field("number", "integer", "Its place in the history, 1 first.", required=True),
        _vocabulary("record_type", RecordType, "The kind of record changed.", required=True),
        _field(
            "record",
            "string",
            "The record: a site's slug, SITE/SLUG for a monument, a source's key, an event's uid.",
            required=True,
        ),
        _vocabulary("action", ChangeAction, "What was done.", required=True),
        _field("reason", "string", "Why."),
        _field("changed_by", "string", "Who made the change.", required=True),
        _vocabulary("how", ChangeHow, "Through what it was made.", required=True),
        _field("old", "object", "The record before, as JSON."),
        _field("new", "object", "The record after, as JSON (none for a removal)."),
        _field("changed_at", "datetime", "When, ISO 8601 in UTC.", required=True),
    ],
    ["number"],
)

TABLES = (SITES, MONUMENTS, SOURCES, SOURCE_TEXTS, EVENTS, CITATIONS, HISTORY)


def tables(*, with_texts: bool = False) -> tuple[Table, ...]:
    """The package's tables, `source_texts.csv` with the texts themselves or without."""
    if not with_texts:
        return TABLES
    return tuple(SOURCE_TEXTS_WITH_TEXT if table is SOURCE_TEXTS else table for table in TABLES)
