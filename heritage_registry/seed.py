"""The seed: the five source articles' accounts of damage, shipped with the package.

The records live in `seeds/*.toml`, one TOML table per record, so that a reviewer can
check each against its article in a minute. Loading validates every record with the
same Create models as the CLI and merges them in one transaction: a second load adds
nothing and changes nothing.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from heritage_registry.additions import MergeReport
from heritage_registry.errors import InvalidRecord
from heritage_registry.models import DamageEventCreate, MonumentCreate, SiteCreate, SourceCreate
from heritage_registry.registry import Registry
from heritage_registry.resources import seeds_path
from heritage_registry.vocab import ChangeHow

SeedReport = MergeReport

# Fields that exist only in the seed files: the article a source was drawn from, so that
# the tests can check every quote against it.
SEED_ONLY_FIELDS = frozenset({"article"})

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass(frozen=True)
class Seed:
    """The seed's records, validated, plus the article file behind each source key."""

    sites: list[SiteCreate]
    monuments: list[MonumentCreate]
    sources: list[SourceCreate]
    events: list[DamageEventCreate]
    articles: dict[str, str]


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise InvalidRecord(f"the seed file {path} is missing; reinstall the package") from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidRecord(f"the seed file {path} is not valid TOML: {exc}") from None


def _records(
    model: type[ModelT], path: Path, table: str, entries: list[Mapping[str, Any]]
) -> list[ModelT]:
    records: list[ModelT] = []
    for number, entry in enumerate(entries, start=1):
        fields = {key: value for key, value in entry.items() if key not in SEED_ONLY_FIELDS}
        try:
            records.append(model.model_validate(fields))
        except ValidationError as exc:
            where = f"{path.name}, [[{table}]] number {number}"
            raise InvalidRecord.from_validation(f"seed record ({where})", exc) from None
    return records


def read_seed(folder: Path | None = None) -> Seed:
    """Read and validate the seed files (default: the ones shipped with the package)."""
    folder = folder or seeds_path()
    sources_file, sites_file, events_file = (
        folder / "sources.toml",
        folder / "sites.toml",
        folder / "events.toml",
    )
    sources = _read(sources_file).get("source", [])
    places = _read(sites_file)
    return Seed(
        sites=_records(SiteCreate, sites_file, "site", places.get("site", [])),
        monuments=_records(MonumentCreate, sites_file, "monument", places.get("monument", [])),
        sources=_records(SourceCreate, sources_file, "source", sources),
        events=_records(
            DamageEventCreate, events_file, "event", _read(events_file).get("event", [])
        ),
        articles={entry["key"]: entry["article"] for entry in sources if "article" in entry},
    )


def load_seed(
    registry: Registry, folder: Path | None = None, *, by: str | None = None
) -> SeedReport:
    """Merge the seed into `registry`: what it lacks is added, what it holds is kept.

    History records what it adds as come from the seed, by `by` (else the
    operating-system user), however the registry was opened.
    """
    seed = read_seed(folder)
    return Registry(registry.engine, how=ChangeHow.SEED).merge(
        sites=seed.sites,
        monuments=seed.monuments,
        sources=seed.sources,
        events=seed.events,
        by=by,
    )
