"""heritage-registry: record damage to cultural heritage sites, each statement cited.

    from heritage_registry import Registry
    reg = Registry.open("sqlite:///my.db")
    reg.add_site(slug="palmyra", name="Palmyra", country="SY")

The names below are imported on first use, so that `import heritage_registry` (and the
`registry --help` that imports it) stays fast: the database stack loads only when a
program needs it.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from heritage_registry.errors import (
        DatabaseUnusable,
        Duplicate,
        DuplicateKey,
        DuplicateSlug,
        DuplicateUid,
        EventNotFound,
        InvalidRecord,
        MissingDependency,
        MonumentNotFound,
        NoRegistry,
        NotFound,
        QuoteNotFound,
        Referenced,
        RegistryError,
        SchemaError,
        SiteNotFound,
        SourceNotFound,
        UnknownLanguage,
    )
    from heritage_registry.models import (
        AltName,
        ChangePublic,
        CitationCreate,
        CitationPublic,
        DamageEvent,
        DamageEventCreate,
        DamageEventPublic,
        Monument,
        MonumentCreate,
        MonumentPublic,
        Site,
        SiteCreate,
        SitePublic,
        Source,
        SourceCitation,
        SourceCreate,
        SourcePublic,
    )
    from heritage_registry.registry import Registry
    from heritage_registry.vocab import (
        Cause,
        Confidence,
        DamageLevel,
        MonumentKind,
        SiteKind,
        SourceType,
        Stance,
    )

_EXPORTS = {
    "heritage_registry.registry": ["Registry"],
    "heritage_registry.errors": [
        "DatabaseUnusable",
        "Duplicate",
        "DuplicateKey",
        "DuplicateSlug",
        "DuplicateUid",
        "EventNotFound",
        "InvalidRecord",
        "MissingDependency",
        "MonumentNotFound",
        "NoRegistry",
        "NotFound",
        "QuoteNotFound",
        "Referenced",
        "RegistryError",
        "SchemaError",
        "SiteNotFound",
        "SourceNotFound",
        "UnknownLanguage",
    ],
    "heritage_registry.models": [
        "AltName",
        "ChangePublic",
        "CitationCreate",
        "CitationPublic",
        "DamageEvent",
        "DamageEventCreate",
        "DamageEventPublic",
        "Monument",
        "MonumentCreate",
        "MonumentPublic",
        "Site",
        "SiteCreate",
        "SitePublic",
        "Source",
        "SourceCitation",
        "SourceCreate",
        "SourcePublic",
    ],
    "heritage_registry.vocab": [
        "Cause",
        "Confidence",
        "DamageLevel",
        "MonumentKind",
        "SiteKind",
        "SourceType",
        "Stance",
    ],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'heritage_registry' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
