"""Checks of the arguments the registry's methods take: a record given as a `*Create` or
as fields, the reason for a change, an event's date against its sources', and the lists'
vocabulary filters, date windows and pages.

Shared by `registry` and the modules it delegates to (`reads`, `additions`,
`corrections`, `removals`, `merges`), which `registry` imports: here, so that none
imports another for them. Each refuses a bad argument with an `InvalidRecord` that says
what to give instead.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError

from heritage_registry import dates
from heritage_registry.errors import InvalidRecord, unknown_value
from heritage_registry.models import NOTE_MAX, no_controls, reported_too_early
from heritage_registry.vocab import Vocabulary

CreateT = TypeVar("CreateT", bound=BaseModel)
VocabT = TypeVar("VocabT", bound=Vocabulary)


def validate(
    model: type[CreateT],
    given: CreateT | Mapping[str, Any] | None,
    fields: Mapping[str, Any],
    what: str,
) -> CreateT:
    """Validate input given as a `*Create` instance or as keyword fields."""
    if isinstance(given, model):
        if fields:
            raise InvalidRecord(f"invalid {what}: give a {model.__name__} or fields, not both")
        return given
    data = dict(given or {}) | dict(fields)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecord.from_validation(what, exc) from None


def check_reason(reason: str, doing: str = "a correction") -> None:
    """Refuse a correction, retraction, merge or removal (`doing`) without a reason, or
    with one too long or holding control characters."""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidRecord(f"{doing} needs a reason: say why, e.g. reason='a later report'")
    if len(reason) > NOTE_MAX:
        raise InvalidRecord(f"reason: too long; at most {NOTE_MAX} characters")
    try:
        no_controls(reason.strip())
    except ValueError as exc:
        raise InvalidRecord(f"reason: {exc}") from None


def refuse_too_early(what: str, occurred: str, source: str, published: str | None) -> None:
    """Refuse an event dated after a source that reports it was published (`models`)."""
    problem = reported_too_early(occurred, source, published)
    if problem is not None:
        raise InvalidRecord(f"invalid {what}: {problem}")


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
