"""Checks of the arguments the registry's lists take: vocabulary filters, date windows, pages.

Shared by `registry` (sites, monuments, sources, history) and `reads` (events), which
`registry` imports: here, so that neither imports the other for them. Each refuses a
bad argument with an `InvalidRecord` that says what to give instead.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

import sqlalchemy as sa

from heritage_registry import dates
from heritage_registry.errors import InvalidRecord, unknown_value
from heritage_registry.vocab import Vocabulary

VocabT = TypeVar("VocabT", bound=Vocabulary)


def vocabulary_filter(
    vocabulary: type[VocabT], value: VocabT | str | None, what: str
) -> VocabT | None:
    """A list filter's vocabulary value, or an error that lists the choices."""
    if value is None:
        return None
    try:
        return vocabulary(value)
    except ValueError:
        raise InvalidRecord(
            f"invalid filter: {unknown_value(what, value, vocabulary.values())}"
        ) from None


def date_window(since: str | None, until: str | None) -> tuple[dt.date | None, dt.date | None]:
    """The first and last days the EDTF `since` and `until` may reach, None where not given."""
    try:
        start = dates.bounds(since).earliest if since else None
        end = dates.bounds(until).latest if until else None
    except dates.EdtfError as exc:
        raise InvalidRecord(f"invalid date filter: {exc}") from None
    if start is not None and end is not None and start > end:
        # Nothing could be listed: the window is the wrong way round, not empty.
        raise InvalidRecord(
            f"invalid date filter: since {since!r} starts after until {until!r} ends; "
            "give the earlier date as since"
        )
    return start, end


def check_page(limit: int | None, offset: int) -> None:
    """Refuse a negative or non-integer `limit` or `offset` of a list."""
    for name, value in (("limit", limit), ("offset", offset)):
        if value is None and name == "limit":
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidRecord(f"invalid {name}: {value!r}; give a whole number, 0 or more")


PagedT = TypeVar("PagedT", bound=sa.sql.expression.GenerativeSelect)


def paged(query: PagedT, limit: int | None, offset: int) -> PagedT:
    """`query` cut to `limit` rows after the first `offset`, as a list's page is."""
    return query.limit(limit).offset(offset or None)
