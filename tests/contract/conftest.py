"""The database fixtures of the repository contract, for the other SQL-only modules here."""

from tests.contract.test_repositories import (  # noqa: F401  (fixtures)
    pg_session_engine,
    sql,
    sqlite_template,
)
