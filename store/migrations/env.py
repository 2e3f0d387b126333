"""Alembic environment: uses the engine handed over by store.db (no ini file)."""

from alembic import context

from store.models import Base

config = context.config
engine = config.attributes["engine"]

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            # Several processes may open a fresh database at once (zwgk crawl, crawl workers, the
            # scheduler): one migrates, the others wait here, then find the migrations applied.
            connection.exec_driver_sql("SELECT pg_advisory_xact_lock(7246011)")
        context.run_migrations()
    connection.commit()
