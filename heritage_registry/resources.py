"""Where the files that ship beside the code are: the alembic migrations and the seed.

In the repository they are the top-level `migrations/` and `seeds/` folders; the wheel
carries them inside the package as `heritage_registry/_data/`, so that `pip install .`
gives a working registry without the source tree.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def _locate(name: str) -> Path:
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"the registry's {name}/ folder is missing; reinstall the package")


def migrations_path() -> Path:
    """The folder of alembic migrations, in the checkout or the installed package."""
    return _locate("migrations")


def seeds_path() -> Path:
    """The folder of the shipped seed, in the checkout or the installed package."""
    return _locate("seeds")
