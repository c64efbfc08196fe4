"""The data package's metadata: what its `datapackage.json` says of the package as a whole.

`PackageMetadata` holds the title, description, version, licence, contributors,
suggested citation and keywords, read from a small TOML file (`PackageMetadata.from_toml`)
and overridden by options (`PackageMetadata.replace`); `licence` and `contributor` make
a Frictionless licence and contributor from what a person writes (`CC-BY-4.0`, `Ana Lopez
<ana@example.org>`), and refuse what they cannot (`BadMetadata`). `descriptor` is the
whole `datapackage.json`: these metadata, and the tables' resources
(`exchange.package_schema`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from heritage_registry import __version__
from heritage_registry.errors import RegistryError
from heritage_registry.exchange.package_schema import TABLES, VERSION, Table

DEFAULT_TITLE = "heritage-registry export"
DEFAULT_DESCRIPTION = (
    "Damage to cultural heritage sites as recorded in heritage-registry: the sites, their "
    "monuments, the sources, the damage events, each source's citation of an event (its "
    "verbatim quote, supporting or disputing it), and the history of every record."
)

# Licences by SPDX id, as `--licence` takes them: the name, and its page and title.
LICENCES = {
    "CC-BY-4.0": (
        "https://creativecommons.org/licenses/by/4.0/",
        "Creative Commons Attribution 4.0",
    ),
    "CC-BY-SA-4.0": (
        "https://creativecommons.org/licenses/by-sa/4.0/",
        "Creative Commons Attribution Share-Alike 4.0",
    ),
    "CC-BY-NC-4.0": (
        "https://creativecommons.org/licenses/by-nc/4.0/",
        "Creative Commons Attribution Non-Commercial 4.0",
    ),
    "CC0-1.0": ("https://creativecommons.org/publicdomain/zero/1.0/", "CC0 1.0"),
    "ODbL-1.0": (
        "https://opendatacommons.org/licenses/odbl/1-0/",
        "Open Data Commons Open Database License 1.0",
    ),
    "ODC-By-1.0": (
        "https://opendatacommons.org/licenses/by/1-0/",
        "Open Data Commons Attribution License 1.0",
    ),
    "PDDL-1.0": (
        "https://opendatacommons.org/licenses/pddl/1-0/",
        "Open Data Commons Public Domain Dedication and License 1.0",
    ),
}
_LICENCE_KEYS = ("name", "path", "title")
_CONTRIBUTOR_KEYS = ("title", "email", "path", "role", "organization")
# `Ana Lopez <ana@example.org>`: a contributor's name and, in angle brackets, email.
_NAMED = re.compile(r"\s*(?P<title>[^<>]*?)\s*(?:<(?P<email>[^<>\s]+)>)?\s*")


class BadMetadata(RegistryError):
    """A metadata file or option the package cannot be described with; the message says
    which file, key or option, and what to give instead."""


def licence(given: str | Mapping[str, Any]) -> dict[str, str]:
    """A licence from an SPDX id (`CC-BY-4.0`), a URL, or a table of name, path and title."""
    if isinstance(given, str):
        text = given.strip()
        if not text:
            raise BadMetadata("licence: empty; give an SPDX id such as CC-BY-4.0, or a URL")
        if text.startswith(("http://", "https://")):
            return {"path": text}
        known = next((key for key in LICENCES if key.lower() == text.lower()), None)
        if known is None:
            return {"name": text}
        path, title = LICENCES[known]
        return {"name": known, "path": path, "title": title}
    unknown = sorted(set(given) - set(_LICENCE_KEYS))
    if unknown:
        raise BadMetadata(
            f"licence: unknown key {unknown[0]!r}; a licence has {', '.join(_LICENCE_KEYS)}"
        )
    shown = {key: given[key] for key in _LICENCE_KEYS if key in given}
    if not all(isinstance(value, str) and value.strip() for value in shown.values()):
        raise BadMetadata("licence: its name, path and title are text")
    if "name" not in shown and "path" not in shown:
        raise BadMetadata("licence: give its name (an SPDX id) or its path (a URL)")
    return shown


def contributor(given: str | Mapping[str, Any]) -> dict[str, str]:
    """A contributor from `Name <email>`, or a table of title, email, path, role, organization."""
    if isinstance(given, str):
        match = _NAMED.fullmatch(given)
        if match is None or not match["title"]:
            raise BadMetadata(
                f"contributor {given!r}: write a name, and an email in angle brackets if "
                "you like: 'Ana Lopez <ana@example.org>'"
            )
        person = {"title": match["title"]}
        if match["email"]:
            person["email"] = match["email"]
        return person
    unknown = sorted(set(given) - set(_CONTRIBUTOR_KEYS))
    if unknown:
        raise BadMetadata(
            f"contributor: unknown key {unknown[0]!r}; a contributor has "
            + ", ".join(_CONTRIBUTOR_KEYS)
        )
    if not isinstance(given.get("title"), str) or not given["title"].strip():
        raise BadMetadata("contributor: give each one a title (the name)")
    if not all(isinstance(value, str) for value in given.values()):
        raise BadMetadata(f"contributor {given['title']!r}: its values are text")
    return {key: given[key] for key in _CONTRIBUTOR_KEYS if key in given}


@dataclass(frozen=True)
class PackageMetadata:
    """What `datapackage.json` says of the package as a whole.

    `licence` is a Frictionless licence (`licence("CC-BY-4.0")`), `contributors` are
    Frictionless contributors (`contributor("Ana Lopez <ana@example.org>")`), and
    `citation` the suggested citation: made from the contributors, title, version and
    date when not given.
    """

    title: str = DEFAULT_TITLE
    description: str = DEFAULT_DESCRIPTION
    version: str | None = None
    licence: dict[str, str] | None = None
    contributors: tuple[dict[str, str], ...] = ()
    citation: str | None = None
    keywords: tuple[str, ...] = ()

    @classmethod
    def from_toml(cls, path: str | Path) -> PackageMetadata:
        """Read the metadata from a TOML file of top-level keys, any of: title,
        description, version, licence, contributors, citation, keywords."""
        shown = str(path)
        try:
            with Path(path).open("rb") as stream:
                data = tomllib.load(stream)
        except tomllib.TOMLDecodeError as exc:
            raise BadMetadata(f"{shown} is not valid TOML: {exc}") from None
        except OSError as exc:
            raise BadMetadata(f"cannot read {shown}: {exc.strerror or exc}") from None
        try:
            return cls.from_mapping(data)
        except BadMetadata as exc:
            raise BadMetadata(f"{shown}: {exc}") from None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PackageMetadata:
        """The metadata from a mapping of the keys `from_toml` reads."""
        keys = [item.name for item in dataclasses.fields(cls)]
        for key in data:
            if key not in keys:
                close = difflib.get_close_matches(key, keys, n=1, cutoff=0.6)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise BadMetadata(f"unknown key {key!r}; {hint}the keys are: {', '.join(keys)}")
        values: dict[str, Any] = {}
        for key in ("title", "description", "version", "citation"):
            if key in data:
                if not isinstance(data[key], str) or not data[key].strip():
                    raise BadMetadata(f"{key}: give it as text")
                values[key] = data[key].strip()
        if "licence" in data:
            if not isinstance(data["licence"], str | dict):
                raise BadMetadata("licence: give an SPDX id, a URL, or a table")
            values["licence"] = licence(data["licence"])
        if "contributors" in data:
            people = data["contributors"]
            if not isinstance(people, list) or not all(
                isinstance(person, str | dict) for person in people
            ):
                raise BadMetadata("contributors: give a list of names or of tables")
            values["contributors"] = tuple(contributor(person) for person in people)
        if "keywords" in data:
            words = data["keywords"]
            if not isinstance(words, list) or not all(isinstance(word, str) for word in words):
                raise BadMetadata("keywords: give a list of words")
            values["keywords"] = tuple(words)
        return cls(**values)

    def replace(self, **changes: Any) -> PackageMetadata:
        """These metadata with `changes` (None values left out), as options override a file."""
        return dataclasses.replace(
            self, **{key: value for key, value in changes.items() if value is not None}
        )

    def suggested_citation(self, created: dt.datetime) -> str:
        """The citation given, or one made of the contributors, title, version and year."""
        if self.citation:
            return self.citation
        names = "; ".join(person["title"] for person in self.contributors)
        version = f", version {self.version}" if self.version else ""
        made = f"{self.title}{version} ({created.year}). Data package exported from "
        made += f"heritage-registry {__version__} on {created.date().isoformat()}."
        return f"{names}. {made}" if names else made


def _name(title: str) -> str:
    """The package's `name`: its title in lower-case letters, digits and hyphens."""
    name = "-".join(re.findall(r"[a-z0-9]+", title.lower()))
    return name or "heritage-registry-export"


def descriptor(
    metadata: PackageMetadata,
    *,
    created: dt.datetime,
    schema_revision: str | None,
    counts: Mapping[str, int],
    tables: Sequence[Table] = TABLES,
) -> dict[str, Any]:
    """The `datapackage.json` of a package of the registry's tables (`tables`), as a mapping."""
    stamp = created.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    citation = metadata.suggested_citation(created)
    package: dict[str, Any] = {
        "profile": "tabular-data-package",
        "name": _name(metadata.title),
        "title": metadata.title,
        "description": f"{metadata.description}\n\nSuggested citation: {citation}",
        "citation": citation,
    }
    if metadata.version:
        package["version"] = metadata.version
    package["created"] = stamp
    if metadata.licence:
        package["licenses"] = [metadata.licence]
    if metadata.contributors:
        package["contributors"] = list(metadata.contributors)
    if metadata.keywords:
        package["keywords"] = list(metadata.keywords)
    package["heritage_registry"] = {
        "format": "heritage-registry-datapackage",
        "version": VERSION,
        "exported_by": f"heritage-registry {__version__}",
        "schema_revision": schema_revision,
        "counts": dict(counts),
    }
    package["resources"] = [table.resource() for table in tables]
    return package
