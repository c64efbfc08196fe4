"""Per-site damage summaries: what happened to a site, in whose words, where sources
disagree and what detail they add.

    from heritage_registry import Registry
    from heritage_registry.summary import build_summary, render, write_all

    reg = Registry.open()
    summary = build_summary(reg, "palmyra")      # a typed SiteSummary (pydantic)
    print(render(summary, "text"))               # or "markdown", "json", "html"
    write_all(reg, "summaries/", "html")         # one file per site, plus index.html
    print(render(summary, "html", lang="ar"))    # in Arabic, right to left (heritage_registry.i18n)

The JSON form follows `heritage_registry/schemas/summary.schema.json` (`schema_path()`).
See `heritage_registry.summary.model` for how worst levels (recorded and claimed), the
period, the counts (retracted and merged events are counted nowhere), the conflicts, what
sources add and mentions are defined.
"""

from __future__ import annotations

from pathlib import Path

from heritage_registry.summary.humandate import describe
from heritage_registry.summary.model import (
    Addition,
    CitationClaim,
    CitationSummary,
    Claim,
    ClaimedBy,
    Conflict,
    Counts,
    EventSummary,
    IndexEntry,
    MonumentSummary,
    Period,
    SiteInfo,
    SiteSummary,
    SourceSummary,
    SourceTextSummary,
    WorstClaimed,
    build_summary,
    summarize,
)
from heritage_registry.summary.render import (
    EXTENSIONS,
    FORMATS,
    Format,
    render,
    render_index,
    site_filename,
    write_all,
)


def schema_path() -> Path:
    """The JSON Schema (draft 2020-12) that every JSON summary validates against."""
    return Path(__file__).resolve().parent.parent / "schemas" / "summary.schema.json"


__all__ = [
    "EXTENSIONS",
    "FORMATS",
    "Addition",
    "CitationClaim",
    "CitationSummary",
    "Claim",
    "ClaimedBy",
    "Conflict",
    "Counts",
    "EventSummary",
    "Format",
    "IndexEntry",
    "MonumentSummary",
    "Period",
    "SiteInfo",
    "SiteSummary",
    "SourceSummary",
    "SourceTextSummary",
    "WorstClaimed",
    "build_summary",
    "describe",
    "render",
    "render_index",
    "schema_path",
    "site_filename",
    "summarize",
    "write_all",
]
