"""Alembic environment of the vcc warehouse. vcc runs the migrations itself when it opens a
warehouse (flows/warehouse/store.py), passing the connection in ``config.attributes``."""

from alembic import context

from vcc.flows.warehouse.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("vcc's warehouse migrations run from vcc itself (flows/warehouse/store.py)")
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
