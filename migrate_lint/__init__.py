"""migrate-lint: a safety linter for Alembic and Flask-Migrate revision histories."""

__version__ = "0.1.0"
