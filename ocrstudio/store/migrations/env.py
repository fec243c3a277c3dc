"""Alembic environment of a project database.

`ocrstudio.store.db.upgrade` passes its open connection in `config.attributes`; the
`alembic` command line (`alembic -c ocrstudio/store/alembic.ini -x db=PATH ...`, for
writing new revisions) gets an engine from `-x db=PATH` instead.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from ocrstudio.store.db import make_engine
from ocrstudio.store.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    # Batch mode: SQLite cannot ALTER most things, Alembic rebuilds the table instead.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    db = context.get_x_argument(as_dictionary=True).get("db")
    if not db:
        raise SystemExit("give the database with -x db=PATH/project.db")
    engine = make_engine(db)
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url="sqlite://", target_metadata=target_metadata, literal_binds=True, render_as_batch=True
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
