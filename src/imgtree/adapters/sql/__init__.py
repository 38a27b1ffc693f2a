"""SQL adapters (SQLAlchemy 2 Core): SQLite for one host, Postgres for more.

    from imgtree.adapters.sql import create_engine_for, sql_uow_factory
    engine = create_engine_for("sqlite:///./var/imgtree.sqlite3")
    uow = sql_uow_factory(engine)

The schema is created and upgraded by Alembic: `imgtree.adapters.sql.migrate.upgrade(url)`.
"""

from imgtree.adapters.sql.rate_limit import SqlRateLimiter
from imgtree.adapters.sql.uow import SqlUnitOfWork, create_engine_for, sql_uow_factory

__all__ = ["SqlRateLimiter", "SqlUnitOfWork", "create_engine_for", "sql_uow_factory"]
