"""pandas DataFrames of events and their citations, for notebooks and analysis scripts.

`Registry.events_frame(...)` and `Registry.citations_frame(...)` build them from
`Registry.iter_events`, a page of events at a time, so that memory holds the frame and
one page, never every event as a Python object as well. The two frames join on `uid`:

    events = reg.events_frame(site="palmyra")
    citations = reg.citations_frame(site="palmyra")
    events.merge(citations, on="uid", suffixes=("", "_citation"))

Dates are real datetime64 columns. `earliest` and `latest` are calendar dates at second
resolution (`datetime64[s]`, which holds every year from 1 to 9999, as EDTF bounds may
need; pandas' nanosecond default ends in 2262), NaT where a bound is open or unknown;
the times a record was recorded, changed, retracted or merged are UTC
(`datetime64[us, UTC]`). Vocabulary values are their plain strings (`destroyed`).

pandas is an optional dependency (`pip install 'heritage-registry[pandas]'`); without
it these raise `MissingDependency`, saying so. It is imported here only when a frame is
asked for, so that `import heritage_registry` never loads it.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Iterable, Sequence
from typing import Any

from heritage_registry.errors import MissingDependency
from heritage_registry.models import DamageEventPublic

# The columns of each frame, in order: the fields of the Public models, less the nested
# citations (an event counts them in `citations`; their rows are the other frame's).
EVENT_COLUMNS = (
    "uid",
    "site",
    "monument",
    "cause",
    "damage_level",
    "occurred",
    "earliest",
    "latest",
    "confidence",
    "actor",
    "description",
    "citations",
    "retracted_at",
    "retraction_reason",
    "merged_into",
    "merged_at",
    "merge_reason",
    "recorded_at",
    "updated_at",
)
CITATION_COLUMNS = (
    "uid",
    "source",
    "stance",
    "quote",
    "location",
    "claimed_occurred",
    "claimed_level",
    "date_resolution",
    "via",
    "mentions",
    "recorded_at",
)
DATE_COLUMNS = frozenset({"earliest", "latest"})
TIME_COLUMNS = frozenset({"retracted_at", "merged_at", "recorded_at", "updated_at"})


def require_pandas(feature: str) -> Any:
    """The pandas module, or `MissingDependency` naming `feature` and the extra to install."""
    try:
        return importlib.import_module("pandas")
    except ImportError:
        raise MissingDependency(feature, "pandas", "pandas") from None


def _plain(value: Any) -> Any:
    """A vocabulary member as its string; anything else as it is."""
    return getattr(value, "value", value)


def _utc_naive(value: dt.datetime | None) -> dt.datetime | None:
    """`value` in UTC without its zone: numpy's datetime64 has none to hold."""
    if value is None:
        return None
    return value.astimezone(dt.UTC).replace(tzinfo=None)


def _frame(
    pandas: Any, columns: Sequence[str], data: dict[str, list[Any]], *, ints: Iterable[str] = ()
) -> Any:
    """A DataFrame of `data`'s lists, with the date and time columns as datetime64."""
    import numpy

    built: dict[str, Any] = {}
    for name in columns:
        values = data[name]
        if name in DATE_COLUMNS:
            days = numpy.array(values, dtype="datetime64[D]")
            built[name] = pandas.Series(days.astype("datetime64[s]"), dtype="datetime64[s]")
        elif name in TIME_COLUMNS:
            stamps = numpy.array([_utc_naive(value) for value in values], dtype="datetime64[us]")
            built[name] = pandas.Series(stamps, dtype="datetime64[us]").dt.tz_localize("UTC")
        elif name in ints:
            built[name] = pandas.Series(values, dtype="int64")
        else:
            built[name] = pandas.Series(values, dtype=object if name == "mentions" else None)
    return pandas.DataFrame(built, columns=list(columns))


def events_frame(pandas: Any, events: Iterable[DamageEventPublic]) -> Any:
    """One row per event, in the order given, with the columns of `EVENT_COLUMNS`."""
    data: dict[str, list[Any]] = {name: [] for name in EVENT_COLUMNS}
    for event in events:
        for name in EVENT_COLUMNS:
            value = len(event.citations) if name == "citations" else getattr(event, name)
            data[name].append(_plain(value))
    return _frame(pandas, EVENT_COLUMNS, data, ints=("citations",))


def citations_frame(pandas: Any, events: Iterable[DamageEventPublic]) -> Any:
    """One row per citation of the events given, in their order, then citation order."""
    data: dict[str, list[Any]] = {name: [] for name in CITATION_COLUMNS}
    for event in events:
        for citation in event.citations:
            data["uid"].append(event.uid)
            for name in CITATION_COLUMNS[1:]:
                value = getattr(citation, name)
                data[name].append(list(value) if name == "mentions" else _plain(value))
    return _frame(pandas, CITATION_COLUMNS, data)
