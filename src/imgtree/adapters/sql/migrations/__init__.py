"""Alembic environment and revisions (a package so that installs always ship them)."""
