"""Alembic's environment: runs the registry's migrations on a given or configured database."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from heritage_registry.db import make_engine, resolve_url
from heritage_registry.models import metadata

config = context.config
target_metadata = metadata


def _url() -> str:
    given = context.get_x_argument(as_dictionary=True).get("db")
    return resolve_url(given or config.get_main_option("sqlalchemy.url") or None)


def _configure(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite alters tables by copying them; batch mode does that for us.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )


def run_migrations_offline() -> None:
    url = _url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_as_batch=sa.make_url(url).get_backend_name() == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: sa.Connection) -> None:
    _configure(connection)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # The caller may hand over a connection (the library, in its own transaction) or
    # an engine (pytest-alembic); alembic's command line hands over neither.
    given = config.attributes.get("connection")
    if isinstance(given, sa.Connection):
        _run(given)
        return
    engine = given if isinstance(given, sa.Engine) else make_engine(_url())
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # As heritage_registry.schema does: batch mode copies and drops tables,
                # which rows referring to them would forbid; checked before the commit.
                connection.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
            _run(connection)
            if sqlite and connection.exec_driver_sql("PRAGMA foreign_key_check").first():
                raise RuntimeError("the migration would break references; nothing was changed")
            connection.commit()
    finally:
        if given is None:
            engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
