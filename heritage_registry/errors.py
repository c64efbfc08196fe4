"""The library's domain exceptions, each with a one-line message that says what to fix.

The CLI turns every `RegistryError` into `Error: <message>` and exit status 1; library
users catch the specific class (`SiteNotFound`, `DuplicateSlug`, ...).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable

from pydantic import ValidationError

from heritage_registry.vocab import nearest


class RegistryError(Exception):
    """Base of every error the registry raises on purpose."""


class InvalidRecord(RegistryError, ValueError):
    """Input that the Create models refuse."""

    @classmethod
    def from_validation(cls, what: str, exc: ValidationError) -> InvalidRecord:
        """The error of a pydantic ValidationError of `what`, said in one line."""
        return cls(f"invalid {what}: {describe_validation_error(exc)}")


class NotFound(RegistryError, LookupError):
    """A slug, key or uid that names no record."""

    kind = "record"
    option = ""

    def __init__(self, name: str, candidates: Iterable[str] = (), *, scope: str = "") -> None:
        self.name = name
        known = list(candidates)
        # A unique completion (`ians` for `ians-2016-03-27`, a uid's first characters)
        # is a better guess than the closest spelling.
        completions = [candidate for candidate in known if candidate.startswith(name)]
        close = (
            completions
            if len(completions) == 1
            else difflib.get_close_matches(name, known, n=1, cutoff=0.6)
        )
        self.suggestion = close[0] if close else None
        where = f" in {scope}" if scope else ""
        hint = f"; did you mean {self.suggestion!r}?" if self.suggestion else ""
        super().__init__(f"no {self.kind} {name!r}{where}{hint}")


class SiteNotFound(NotFound):
    """No site has the slug given."""

    kind = "site"


class MonumentNotFound(NotFound):
    """The site has no monument of the slug given."""

    kind = "monument"


class SourceNotFound(NotFound):
    """No source has the key given."""

    kind = "source"


class EventNotFound(NotFound):
    """No event has the uid given, nor begins with it."""

    kind = "event"


class AmbiguousUid(RegistryError, LookupError):
    """A uid prefix that begins more than one event's uid."""

    def __init__(self, prefix: str, candidates: Iterable[str], *, more: bool = False) -> None:
        self.prefix = prefix
        self.candidates = list(candidates)
        shown = ", ".join(self.candidates) + (", ..." if more else "")
        count = f"more than {len(self.candidates)}" if more else str(len(self.candidates))
        super().__init__(
            f"uid prefix {prefix!r} is ambiguous: it begins {count} events' uids ({shown}); "
            "give more of the uid"
        )


class Duplicate(RegistryError):
    """A record whose slug, key or uid is already taken."""


class DuplicateSlug(Duplicate):
    """A site's slug, or a monument's within its site, already taken."""


class DuplicateKey(Duplicate):
    """A source's key already taken."""


class DuplicateUid(Duplicate):
    """An event's uid already taken."""


class QuoteNotFound(InvalidRecord):
    """A quote that is not in its source's stored text (`heritage_registry.texts`)."""

    def __init__(self, message: str, *, source: str, quote: str, suggestion: str | None) -> None:
        super().__init__(message)
        self.source = source
        self.quote = quote
        self.suggestion = suggestion


class Referenced(RegistryError):
    """A record that cannot be removed because other records refer to it."""


class SchemaError(RegistryError):
    """A database whose schema this version of the registry cannot use."""


_PATTERN_HINTS = {
    r"^[a-z0-9]+(?:-[a-z0-9]+)*$": (
        "; use lower-case letters, digits and single hyphens, e.g. temple-of-bel"
    ),
    r"^Q[1-9][0-9]*$": "; write a Wikidata item id such as Q5859",
}


def _location(loc: tuple[int | str, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        else:
            parts.append(("." if parts else "") + item)
    return "".join(parts)


def _shorten(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def unknown_value(what: str, given: object, values: Iterable[str]) -> str:
    """`unknown kind 'templ'; did you mean 'temple'? choose one of: ...`, for a vocabulary."""
    choices = list(values)
    close = nearest(given, choices) if isinstance(given, str) else None
    hint = f"did you mean {close!r}? " if close else ""
    return f"unknown {what} {given!r}; {hint}choose one of: {', '.join(choices)}"


def describe_validation_error(exc: ValidationError) -> str:
    """One line for the first problem pydantic found, naming the field and the fix."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    field = _location(first["loc"]) or "value"
    kind = first["type"]
    given = first.get("input")
    if kind == "enum":
        values = re.findall(r"'([^']*)'", first.get("ctx", {}).get("expected", ""))
        leaf = str(first["loc"][-1]) if first["loc"] else field
        message = unknown_value(leaf.replace("_", " "), given, values)
    elif kind == "string_pattern_mismatch":
        hint = _PATTERN_HINTS.get(str(first.get("ctx", {}).get("pattern", "")), "")
        message = f"{field}: {_shorten(given)} is not valid{hint}"
    elif kind == "value_error":
        prefix = f"{field}: " if first["loc"] else ""
        message = prefix + first["msg"].removeprefix("Value error, ")
    elif kind == "extra_forbidden":
        message = f"{field}: unknown field; remove it"
    elif kind == "missing":
        message = f"{field}: required; give a value"
    elif kind in ("string_too_long", "too_long"):
        limit = first.get("ctx", {}).get("max_length")
        unit = "characters" if kind == "string_too_long" else "items"
        message = f"{field}: too long; at most {limit} {unit}"
    else:
        message = f"{field}: {first['msg'][0].lower()}{first['msg'][1:]} (got {_shorten(given)})"
    more = len(errors) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return message


class DatabaseUnusable(RegistryError):
    """A database that cannot be used as named: a bad URL, an engine or file it cannot read."""


class NoRegistry(DatabaseUnusable):
    """A reading command pointed at a place that holds no registry."""


class CannotWrite(RegistryError, OSError):
    """A file or folder that cannot be written; nothing of it was left behind.

    `path` is the file (or folder) as given, `reason` what stopped the write, `state`
    what was written (if that needs saying) and `fix` what to do about it; the message
    is `cannot write PATH: REASON; [STATE; ]FIX`. An `OSError` too, as what it replaces.
    """

    def __init__(self, path: str, reason: str, fix: str, *, state: str = "") -> None:
        self.path = path
        self.reason = reason
        self.fix = fix
        self.state = state
        super().__init__(str(self))

    def __str__(self) -> str:
        # OSError's own str would show its arguments as a tuple.
        state = f"{self.state}; " if self.state else ""
        return f"cannot write {self.path}: {self.reason}; {state}{self.fix}"


class ImportInterrupted(RegistryError):
    """An import the database stopped part way (a full disk): what is in, and how to finish.

    `written` records of `total` were committed, in whole batches in the file's order;
    importing the same file again adds the rest, as records already present are kept.
    """

    def __init__(self, message: str, *, written: int, total: int) -> None:
        self.written = written
        self.total = total
        super().__init__(message)


class MissingDependency(RegistryError, ImportError):
    """An optional package a feature needs is not installed; the message names the extra.

    `events_frame` needs pandas: `pip install 'heritage-registry[pandas]'`.
    """

    def __init__(self, feature: str, package: str, extra: str) -> None:
        self.feature = feature
        self.package = package
        self.extra = extra
        super().__init__(f"{feature} needs {package}: pip install 'heritage-registry[{extra}]'")


class UnknownLanguage(RegistryError, ValueError):
    """A language no summary catalogue is shipped for (`heritage_registry.i18n`)."""

    def __init__(self, code: str, available: Iterable[str]) -> None:
        self.code = code
        super().__init__(f"no summaries in language {code!r}; choose one of {', '.join(available)}")
