"""The project's outer shape: the CLI loads, every command is documented, the schema migrates."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import inspect

from pipeline.adapters.db.models import Base
from pipeline.entrypoints.cli import build_parser
from tests.conftest import REPO


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[union-attr]


def test_every_command_is_documented_in_the_readme():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    missing = [c for c in _commands() if f"pipeline {c}" not in readme]
    assert not missing, f"commands not in README.md: {missing}"


def test_cli_help_runs():
    out = subprocess.run([sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "parse" in out.stdout


def test_migrations_build_the_models(db):
    engine = db.kw["bind"]
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables


def test_the_migrations_build_exactly_the_models(db):
    """Alembic's own comparison finds nothing between the migrated schema and the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with db.kw["bind"].connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == []


def test_the_head_known_without_alembic_is_alembics_head(db, settings):  # type: ignore[no-untyped-def]
    """A command skips Alembic when the database is at head_revision(): that must be Alembic's own head, and a
    database behind it is still brought up to date."""
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from pipeline.adapters.db.session import alembic_config, at_head, head_revision, open_database

    assert ScriptDirectory.from_config(alembic_config(settings.db_url)).get_current_head() == head_revision()
    engine = db.kw["bind"]
    assert at_head(engine)
    with engine.begin() as conn:
        conn.execute(text("DROP INDEX ix_task_reminded"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    assert not at_head(engine)
    open_database(settings).kw["bind"].dispose()  # 0010 again
    assert at_head(engine)
    assert "ix_task_reminded" in {i["name"] for i in inspect(engine).get_indexes("task")}
