"""Mentions: the monuments a quote names without the event being theirs.

"The advance towards the Temple of Bel is slowed by hidden mines" is evidence about the
site (the mines), not damage to the temple; the citation mentions the temple, so that the
temple's summary can point at it without its worst level being touched (DOMAIN.md).
A mention names a monument of the event's own site, other than the event's monument.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from heritage_registry.errors import InvalidRecord, MonumentNotFound


def check(
    mentions: Sequence[str], monuments: Collection[str], *, site: str, monument: str | None
) -> None:
    """Refuse a mention of no monument of `site`, or of the event's own `monument`."""
    for slug in mentions:
        if slug == monument:
            raise InvalidRecord(
                f"mentions: {slug!r} is the event's own monument; a mention names another "
                "monument of the site, so leave it out"
            )
        if slug not in monuments:
            found = MonumentNotFound(slug, monuments, scope=f"site {site!r}")
            raise InvalidRecord(f"mentions: {found}")
