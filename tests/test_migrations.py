"""The alembic migrations, on SQLite and PostgreSQL.

pytest-alembic's built-in tests (single head, upgrade, model matches DDL, up/down
consistency) run on each engine, alongside `alembic check` and the registry's own
create-and-migrate behaviour.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from pytest_alembic import tests as builtin
from pytest_alembic.plugin.fixtures import create_alembic_fixture
from pytest_alembic.runner import MigrationContext

from heritage_registry import Registry, SchemaError, schema
from heritage_registry.db import make_engine
from tests.helpers import dump


@pytest.fixture
def alembic_engine(db_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


alembic_runner = create_alembic_fixture(schema.alembic_config())


def test_single_head_revision(alembic_runner: MigrationContext) -> None:
    builtin.test_single_head_revision(alembic_runner)


def test_the_shipped_revisions_read_from_the_files_are_alembics() -> None:
    scripts = schema.script_directory()
    assert schema.shipped_revisions() == {
        script.revision: script.down_revision for script in scripts.walk_revisions()
    }
    assert schema.head_revision() == scripts.get_current_head()


def test_the_revision_read_by_one_query_is_alembics(db_url: str) -> None:
    from alembic.runtime.migration import MigrationContext as Context

    engine = make_engine(db_url)
    try:
        for revision in [None, *reversed([rev.revision for rev in schema.history()])]:
            if revision is not None:
                schema.upgrade(engine, revision)
            with engine.connect() as connection:
                expected = Context.configure(connection).get_current_revision()
            assert schema.current_revision(engine) == expected == revision
    finally:
        engine.dispose()


def test_a_reading_command_loads_no_migration_machinery(tmp_path: Path) -> None:
    """The schema check of every command is one query: alembic, mako and the edtf
    grammar are not imported by a command that neither migrates nor parses a date."""
    url = f"sqlite:///{tmp_path / 'registry.db'}"
    Registry.open(url).close()
    code = (
        "import sys; from heritage_registry.cli import main; "
        f"sys.argv = ['registry', '--db', {url!r}, 'list', 'sites']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & "
        "{'alembic', 'mako', 'edtf', 'pyparsing', 'langcodes'}), file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_upgrade(alembic_runner: MigrationContext) -> None:
    builtin.test_upgrade(alembic_runner)


def test_model_definitions_match_ddl(alembic_runner: MigrationContext) -> None:
    builtin.test_model_definitions_match_ddl(alembic_runner)


def test_up_down_consistency(alembic_runner: MigrationContext) -> None:
    builtin.test_up_down_consistency(alembic_runner)


def test_alembic_check_finds_no_difference(alembic_engine: sa.Engine) -> None:
    schema.upgrade(alembic_engine)
    with alembic_engine.begin() as connection:
        command.check(schema.alembic_config(connection))


def test_open_creates_and_migrates_a_new_database(db_url: str) -> None:
    with Registry.open(db_url) as reg:
        assert reg.schema_revision() == schema.head_revision()
        assert reg.counts() == {
            "sites": 0,
            "monuments": 0,
            "sources": 0,
            "events": 0,
            "citations": 0,
            "changes": 0,
        }


def test_open_without_migrate_leaves_a_new_database_empty(db_url: str) -> None:
    with Registry.open(db_url, migrate=False) as reg:
        assert reg.schema_revision() is None
        assert sa.inspect(reg.engine).get_table_names() == []


def test_reopening_and_upgrading_again_keeps_every_record(registry: Registry) -> None:
    registry.add_site(slug="palmyra", name="Palmyra", country="SY")
    registry.add_source(key="s1", title="A report", publisher="P")
    registry.add_event(
        site="palmyra",
        cause="explosives",
        damage_level="destroyed",
        occurred="2015-08",
        source="s1",
        quote="blown up",
    )
    before = dump(registry.engine)
    assert schema.ensure_current(registry.engine) is False
    schema.upgrade(registry.engine, "head")
    assert dump(registry.engine) == before


def test_a_database_from_a_newer_version_is_refused(alembic_engine: sa.Engine) -> None:
    schema.upgrade(alembic_engine)
    with alembic_engine.begin() as connection:
        connection.execute(sa.text("UPDATE alembic_version SET version_num = 'ffffffffffff'"))
    with pytest.raises(SchemaError, match="does not know; upgrade the package"):
        schema.ensure_current(alembic_engine)


def test_unknown_revision_names_the_known_ones(alembic_engine: sa.Engine) -> None:
    with pytest.raises(
        SchemaError,
        match=(
            "unknown schema revision 'nope'; "
            "choose one of: 0008, 0007, 0006, 0005, 0004, 0003, 0002, 0001, head, base"
        ),
    ):
        schema.upgrade(alembic_engine, "nope")


def test_history_lists_every_revision_newest_first() -> None:
    revisions = schema.history()
    assert revisions[0].is_head
    assert revisions[-1].down_revision is None
    assert [rev.revision for rev in revisions][-1] == "0001"
