"""Country codes (ISO 3166-1 alpha-2), and the code a typed country name most likely means.

Sites record their country by its two-letter code (`SY`, `IQ`). A name typed in its
place (`Iraq`, `syria`, `Syrian Arab Republic`) is refused, never converted: the message
suggests the code, read from the names in the `iso3166` dependency.
"""

from __future__ import annotations

import difflib

from iso3166 import Country, countries, countries_by_alpha2, countries_by_alpha3

# Names in common use that ISO 3166 spells otherwise, or that are not its names at all.
_ALIASES = {
    "BRITAIN": "GB",
    "GREAT BRITAIN": "GB",
    "ENGLAND": "GB",
    "UK": "GB",
    "USA": "US",
    "AMERICA": "US",
    "TURKEY": "TR",
    "CZECH REPUBLIC": "CZ",
    "IVORY COAST": "CI",
    "LAOS": "LA",
    "BURMA": "MM",
    "HOLLAND": "NL",
    "VATICAN": "VA",
}
_MOST = 3
# A beginning shorter than this (`S`) is too short to be a name.
_SHORTEST = 3


def _key(text: str) -> str:
    return " ".join(text.replace(",", " ").split()).upper()


def suggestions(text: str) -> list[Country]:
    """The countries a name (or an alpha-3 code) most likely means, best first; at most 3.

    An exact name, an alpha-3 code or a common alias is one country; a name's beginning
    (`Syria`, `Iran`) or its whole words (`Britain`) may be several; a misspelling is
    matched by difflib.
    """
    key = _key(text)
    if not key:
        return []
    names = {_key(country.name): country for country in countries}
    names |= {_key(country.apolitical_name): country for country in countries}
    if key in names:
        return [names[key]]
    if key in countries_by_alpha3:
        return [countries_by_alpha3[key]]
    if key in _ALIASES:
        return [countries_by_alpha2[_ALIASES[key]]]
    starting: list[Country] = []
    if len(key) >= _SHORTEST:
        starting = [country for name, country in names.items() if name.startswith(key)]
        if not starting:
            starting = [c for name, c in names.items() if f" {key} " in f" {name} "]
    if not starting:
        close = difflib.get_close_matches(key, list(names), n=_MOST, cutoff=0.75)
        starting = [names[name] for name in close]
    found: list[Country] = []
    for country in starting:
        if country not in found:
            found.append(country)
    return found[:_MOST]


def not_a_code(text: str) -> str:
    """The refusal of a country that is not an alpha-2 code, with the code it may mean."""
    found = suggestions(text)
    if not found:
        return f"{text!r} is not an ISO 3166-1 alpha-2 country code; write e.g. SY, IQ"
    named = " or ".join(f"{country.alpha2} ({country.name})" for country in found)
    return f"{text!r} is not an ISO 3166-1 alpha-2 country code; did you mean {named}?"
