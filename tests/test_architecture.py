"""The shape of the code: layers enforced by import-linter, migrations matching the models."""

import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from treasurer.db import open_database
from treasurer.models import Base

REPO = Path(__file__).resolve().parents[1]


def test_layers_hold():
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--no-cache"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Contracts: 3 kept, 0 broken." in done.stdout


def test_migrations_build_exactly_the_models(tmp_path):
    db = open_database(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    db.close()
    assert diff == []
