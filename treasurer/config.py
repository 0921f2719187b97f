"""Where the hall's data lives."""

from __future__ import annotations

import os
from pathlib import Path

from .private_files import make_private_dir

APP_NAME = "HallTreasurer"
DB_FILENAME = "treasurer.sqlite3"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """``--data-dir``, else ``TREASURER_HOME``, else the platform's user data directory (created 0700)."""
    chosen = explicit or os.environ.get("TREASURER_HOME")
    if chosen:
        return make_private_dir(Path(chosen))
    # Loaded only when no folder is named: a hundredth of a second off every other command.
    import platformdirs

    return make_private_dir(Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)))


def database_url(data_path: Path, explicit: str | None = None) -> str:
    """``--database-url``, else ``TREASURER_DATABASE_URL``, else SQLite in the data directory."""
    url = explicit or os.environ.get("TREASURER_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{data_path / DB_FILENAME}"
