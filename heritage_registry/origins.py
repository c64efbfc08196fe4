"""Origins: who speaks in a citation, so that corroboration counts independent voices.

A citation without `via` is its publisher's own voice (a source with no publisher
recorded is a voice of its own, never assumed to be another's). A citation with `via`
relays someone ("a military source told AFP", "SANA said"): citations with the same
`via`, case and space folded, are one voice whatever their publishers, so two papers
repeating one army statement corroborate nothing (DOMAIN.md, "Origin"). Corroboration
also needs two publications: one article quoting two voices is still one report.
"""

from __future__ import annotations


def _folded(text: str) -> str:
    return " ".join(text.casefold().split())


def publication(publisher: str | None, source_key: str) -> str:
    """The publication a citation appeared in: its publisher, else its source."""
    if publisher and publisher.strip():
        return "publisher:" + _folded(publisher)
    return "source:" + source_key


def origin(publisher: str | None, source_key: str, via: str | None = None) -> str:
    """The voice a citation carries: whom it relays, else its publication's own."""
    if via and via.strip():
        return "via:" + _folded(via)
    return publication(publisher, source_key)
