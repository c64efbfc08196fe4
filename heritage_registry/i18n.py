"""The languages summaries are written in: English built in, every other one a catalogue.

English is the code's own words and needs nothing. Any other language is a gettext
catalogue, `heritage_registry/locales/<code>/LC_MESSAGES/heritage_registry.po`, read at
run time with Babel (imported only then, so that English costs nothing): its messages,
its plural forms (CLDR's plural rules, as the catalogue's `Plural-Forms` header says
them), and, from CLDR through the locale in its `Language` header (`ar_SY`), the month
names, the digits and the separators of numbers. Adding a language is adding a
catalogue (docs/adding-a-language.md); no code names a language but English.

Vocabulary values are messages with the vocabulary as their context
(`msgctxt "damage_level"`, `msgid "destroyed"`), their definitions with the context
`<vocabulary> definition`. Renderers ask the language in use (`current()`), which
`using(code)` sets for the duration of a rendering, so that the words functions the
templates call need no language argument. An unknown code raises
`heritage_registry.errors.UnknownLanguage`. This module imports nothing heavy: the CLI
lists `available()` in its help.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from heritage_registry.vocab import Vocabulary

DEFAULT = "en"
DOMAIN = "heritage_registry"
LOCALES = Path(__file__).resolve().parent / "locales"

# The CSS counter styles that number lists in each numbering system's digits.
_LIST_STYLES = {
    "latn": "decimal",
    "arab": "arabic-indic",
    "arabext": "persian",
    "deva": "devanagari",
    "beng": "bengali",
    "mymr": "myanmar",
}

# The digits of CLDR's numbering systems that a catalogue's locale may use by default;
# Babel gives a numbering system's symbols (separators) but writes only Latin digits.
_DIGITS = {
    "latn": "0123456789",
    "arab": "٠١٢٣٤٥٦٧٨٩",
    "arabext": "۰۱۲۳۴۵۶۷۸۹",
    "deva": "०१२३४५६७८९",
    "beng": "০১২৩৪৫৬৭৮৯",
    "mymr": "၀၁၂၃၄၅၆၇၈၉",
}


@functools.cache
def available() -> tuple[str, ...]:
    """The languages summaries can be written in: `en`, then each catalogue's, sorted."""
    found = sorted(
        path.parent.parent.name
        for path in LOCALES.glob(f"*/LC_MESSAGES/{DOMAIN}.po")
        if path.parent.parent.name != DEFAULT
    )
    return (DEFAULT, *found)


class Language:
    """A language's words for the summaries. This base is English: the code's own words."""

    code = DEFAULT
    direction = "ltr"

    @property
    def rtl(self) -> bool:
        return self.direction == "rtl"

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return singular if count == 1 else plural

    def pgettext(self, context: str, message: str) -> str:
        return message

    def digits(self, text: str) -> str:
        """`text` with its Latin digits written as the language writes digits."""
        return text

    @property
    def list_style(self) -> str:
        """The CSS `list-style-type` that numbers a list in the language's digits."""
        return "decimal"

    def number(self, value: int) -> str:
        """A whole number, as `str` writes it in English (no separators: counts, days)."""
        return str(value)

    def grouped(self, value: float) -> str:
        """A number rounded to a whole one, its thousands grouped: `1,500`."""
        return f"{value:,.0f}"

    def decimal(self, value: float, places: int) -> str:
        """A number with `places` decimals: `34.5514`."""
        return f"{value:.{places}f}"

    def month(self, number: int) -> str:
        """A month's name, 1 for January (`dates.MONTH_NAMES`, loaded only when asked)."""
        from heritage_registry.dates import MONTH_NAMES

        return MONTH_NAMES[number - 1]

    def month_short(self, number: int) -> str:
        """A month's name cut to three letters: `Mar`."""
        return self.month(number)[:3]

    def territory(self, code: str) -> str | None:
        """A country's name in the language (CLDR's), or None to keep the recorded one."""
        return None

    def term(self, value: Vocabulary) -> str:
        """A vocabulary value in words: `single source` for `single_source`."""
        return value.value.replace("_", " ")

    def definition(self, value: Vocabulary) -> str:
        return value.definition


ENGLISH = Language()


def _context_of(value: Vocabulary) -> str:
    from heritage_registry.vocab import VOCABULARIES

    return next(name for name, vocabulary in VOCABULARIES.items() if isinstance(value, vocabulary))


class Catalogue(Language):
    """A language read from its gettext catalogue with Babel."""

    def __init__(self, code: str) -> None:
        from babel import Locale
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po
        from babel.support import Translations

        path = LOCALES / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        with path.open("rb") as po:
            catalog = read_po(po, domain=DOMAIN)
        # Translated messages only: an empty msgstr falls back to English, as gettext does.
        self.messages: frozenset[tuple[str | None, str]] = frozenset(
            (message.context, message.id if isinstance(message.id, str) else message.id[0])
            for message in catalog
            if message.id and message.string and all(message.string)
        )
        self.missing: set[tuple[str | None, str]] = set()
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        self._translations = Translations(compiled, domain=DOMAIN)
        self.code = code
        self.locale = catalog.locale or Locale.parse(code)
        self.direction = "rtl" if self.locale.character_order == "right-to-left" else "ltr"
        system = self.locale.default_numbering_system or "latn"
        self._numbering = system if system in _DIGITS else "latn"
        self._digit_table = str.maketrans("0123456789", _DIGITS[self._numbering])
        self._months: dict[int, str] = dict(self.locale.months["format"]["wide"])
        self._months_short: dict[int, str] = dict(self.locale.months["stand-alone"]["wide"])

    def _seen(self, context: str | None, message: str) -> None:
        if (context, message) not in self.messages:
            self.missing.add((context, message))

    def gettext(self, message: str) -> str:
        self._seen(None, message)
        return self._translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        self._seen(None, singular)
        return self._translations.ngettext(singular, plural, count)

    def pgettext(self, context: str, message: str) -> str:
        self._seen(context, message)
        return str(self._translations.pgettext(context, message))

    def digits(self, text: str) -> str:
        return text.translate(self._digit_table)

    @property
    def list_style(self) -> str:
        return _LIST_STYLES[self._numbering]

    def number(self, value: int) -> str:
        return self.digits(str(value))

    def _format(self, value: float, pattern: str) -> str:
        from babel.numbers import format_decimal

        written = format_decimal(
            value, pattern, locale=self.locale, numbering_system=self._numbering
        )
        return self.digits(written)

    def grouped(self, value: float) -> str:
        return self._format(round(value), "#,##0")

    def decimal(self, value: float, places: int) -> str:
        return self._format(value, "0." + "0" * places if places else "0")

    def month(self, number: int) -> str:
        return self._months[number]

    def month_short(self, number: int) -> str:
        # Arabic (like many languages) has no abbreviated month names in CLDR.
        return self._months_short[number]

    def territory(self, code: str) -> str | None:
        name = self.locale.territories.get(code)
        return str(name) if name else None

    def term(self, value: Vocabulary) -> str:
        return self.pgettext(_context_of(value), value.value)

    def definition(self, value: Vocabulary) -> str:
        context = f"{_context_of(value)} definition"
        self._seen(context, value.value)
        translated = str(self._translations.pgettext(context, value.value))
        return value.definition if translated == value.value else translated


@functools.cache
def language(code: str | None = None) -> Language:
    """The language `code` (default English); raises `UnknownLanguage` for one not shipped."""
    if code is None or code == DEFAULT:
        return ENGLISH
    if code not in available():
        from heritage_registry.errors import UnknownLanguage

        raise UnknownLanguage(code, available())
    return Catalogue(code)


_CURRENT: contextvars.ContextVar[Language] = contextvars.ContextVar("language", default=ENGLISH)


def current() -> Language:
    """The language of the rendering under way (English outside any `using`)."""
    return _CURRENT.get()


@contextlib.contextmanager
def using(code: str | None) -> Iterator[Language]:
    """Render in `code` within the block; raises `UnknownLanguage` before it starts."""
    token = _CURRENT.set(language(code))
    try:
        yield _CURRENT.get()
    finally:
        _CURRENT.reset(token)


# The shorthands the renderers use, each in the language in use.


def _(message: str) -> str:
    return _CURRENT.get().gettext(message)


def n_(singular: str, plural: str, count: int, **values: Any) -> str:
    """`{count}` and `values` put into the form of the message that agrees with `count`."""
    lang = _CURRENT.get()
    return lang.ngettext(singular, plural, count).format(count=lang.number(count), **values)


def term(value: Vocabulary) -> str:
    """A vocabulary value's label in the current language."""
    return _CURRENT.get().term(value)


def num(value: int) -> str:
    """A number as the current language writes it (its digits and separators)."""
    return _CURRENT.get().number(value)
