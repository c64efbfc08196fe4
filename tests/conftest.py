"""Shared fixtures: a registry on SQLite and, where a server is named, on PostgreSQL.

PostgreSQL tests read the server's URL from REGISTRY_TEST_POSTGRES_URL (an account that
may create databases, e.g. postgresql://postgres@127.0.0.1:5432/postgres). The run
creates one scratch database, empties its schema before each test, and drops it at the
end. Without the variable those tests skip and say why; `.ci/run` always sets it.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings

from heritage_registry import Registry, schema
from heritage_registry.db import make_engine, resolve_url
from heritage_registry.models import metadata

POSTGRES_ENV = "REGISTRY_TEST_POSTGRES_URL"
ARTICLES = Path(__file__).resolve().parent.parent.parent / "shared" / "articles"


@pytest.fixture(scope="session")
def postgres_scratch_url() -> Iterator[str]:
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(
            f"{POSTGRES_ENV} is not set; set it to a PostgreSQL URL that may create databases "
            "(e.g. postgresql://postgres@127.0.0.1:5432/postgres) to run the PostgreSQL tests"
        )
    admin_url = sa.make_url(resolve_url(server))
    name = f"heritage_registry_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield admin_url.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


@pytest.fixture
def postgres_url(postgres_scratch_url: str) -> str:
    """The scratch database with an empty public schema."""
    engine = make_engine(postgres_scratch_url)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE")
            connection.exec_driver_sql("CREATE SCHEMA public")
    finally:
        engine.dispose()
    return postgres_scratch_url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """An empty database of each engine, by URL."""
    fixture = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    url: str = request.getfixturevalue(fixture)
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run, copied for each test that needs one."""
    path = tmp_path_factory.mktemp("template") / "registry.db"
    engine = make_engine(f"sqlite:///{path}")
    try:
        schema.upgrade(engine)
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def migrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database at the current schema, on each engine.

    Migrating takes most of a test's time, so SQLite copies a migrated template and
    PostgreSQL empties the tables of a schema already at head.
    """
    if request.param == "sqlite":
        target = tmp_path / "registry.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        return f"sqlite:///{target}"
    return _empty_postgres(request.getfixturevalue("postgres_scratch_url"))


@pytest.fixture
def fresh_registry(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], Registry]]:
    """Make new, empty registries inside one test (as a property test's examples need).

    `fresh_registry("sqlite")` copies the migrated template; `fresh_registry("postgresql")`
    empties the scratch database, so only one PostgreSQL registry is live at a time.
    """
    opened: list[Registry] = []

    def make(engine: str) -> Registry:
        if engine == "sqlite":
            target = tmp_path / f"{uuid.uuid4().hex}.db"
            shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
            url = f"sqlite:///{target}"
        else:
            for reg in opened:
                if reg.engine.dialect.name == "postgresql":
                    reg.close()
            url = _empty_postgres(request.getfixturevalue("postgres_scratch_url"))
        reg = Registry.open(url)
        opened.append(reg)
        return reg

    yield make
    for reg in opened:
        reg.close()


def _empty_postgres(url: str) -> str:
    """Bring the scratch database to the current schema with no rows."""
    engine = make_engine(url)
    try:
        if schema.current_revision(engine) == schema.head_revision():
            names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
            with engine.begin() as connection:
                connection.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        else:
            with engine.begin() as connection:
                connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                connection.exec_driver_sql("CREATE SCHEMA public")
            schema.upgrade(engine)
    finally:
        engine.dispose()
    return url


@pytest.fixture
def registry(migrated_url: str) -> Iterator[Registry]:
    """A new, migrated, empty registry on each engine."""
    reg = Registry.open(migrated_url)
    try:
        yield reg
    finally:
        reg.close()


@pytest.fixture
def articles() -> Path:
    if not ARTICLES.is_dir():
        pytest.skip(f"the source articles are not at {ARTICLES} (shared/ beside the project)")
    return ARTICLES


# Property tests run a small number of examples by default so that the suite stays quick;
# HYPOTHESIS_PROFILE=thorough runs many more.
settings.register_profile(
    "default",
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "thorough",
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
