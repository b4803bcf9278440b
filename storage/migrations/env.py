"""Alembic environment: migrations run on a connection handed over by Tidtam.

``Database.migrate`` passes its connection in ``config.attributes``; the
``alembic`` command line is not used, so there is no ini file and no URL here.
"""

from __future__ import annotations

from alembic import context

from storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `tidtam init` (Database.migrate)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,  # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
