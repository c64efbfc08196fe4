"""Duplicates: the same statement cited twice, and (later) the same incident recorded twice.

A citation is identified by its source, its quote (white space folded) and where in the
source it stands: citing that again on one event would count one statement twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from heritage_registry.errors import InvalidRecord


class _Cited(Protocol):
    @property
    def source(self) -> str: ...
    @property
    def quote(self) -> str: ...
    @property
    def location(self) -> str | None: ...


def citation_identity(citation: _Cited) -> tuple[str, str, str]:
    """What makes two citations one: source, quote with white space folded, location."""
    return (
        citation.source,
        " ".join(citation.quote.split()),
        " ".join((citation.location or "").split()),
    )


def refuse_repeated_citations(citations: Sequence[_Cited]) -> None:
    """Refuse a citation that repeats an earlier one of the same event, naming that one
    (by its place among the event's citations, stored ones first)."""
    seen: dict[tuple[str, str, str], int] = {}
    for number, citation in enumerate(citations, start=1):
        identity = citation_identity(citation)
        earlier = seen.get(identity)
        if earlier is not None:
            where = f" at {citation.location}" if citation.location else ""
            raise InvalidRecord(
                f"the event cites source {citation.source!r}{where} with this quote already "
                f"(citation {earlier}); cite another passage, or leave it out"
            )
        seen[identity] = number
