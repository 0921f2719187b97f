"""Consistent online copies of the hall's SQLite database."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

from . import audit
from .db import Database
from .errors import UserFacingError


@dataclasses.dataclass(frozen=True)
class BackupReport:
    path: Path
    size_bytes: int
    chain: audit.ChainReport


def backup_to(db: Database, target: str | Path) -> BackupReport:
    """Copy with SQLite's backup API (safe while others write), then prove the copy opens and verifies."""
    source = db.sqlite_path
    if source is None:
        raise UserFacingError("Backups from the app work on SQLite only; back up PostgreSQL with pg_dump.")
    target = Path(target).expanduser().resolve()
    if target == source.resolve():
        raise UserFacingError("The backup file cannot be the database itself.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(partial)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
    finally:
        dst.close()
        src.close()
    report = check_backup(partial)
    partial.replace(target)
    return BackupReport(target, target.stat().st_size, report)


def check_backup(path: str | Path) -> audit.ChainReport:
    """Refuse a file that is not an intact hall database with an intact audit chain."""
    path = Path(path)
    if not path.is_file():
        raise UserFacingError(f"There is no file {path}.")
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        except sqlite3.DatabaseError as exc:
            raise UserFacingError(f"{path} is not a readable database ({exc}).") from None
        if result != "ok":
            raise UserFacingError(f"{path} failed SQLite's integrity check: {result}.")
        try:
            rows = conn.execute(f"SELECT {', '.join(audit.AUDIT_COLUMNS)} FROM audit_log ORDER BY seq")
            report = audit.verify_rows(rows)
        except sqlite3.DatabaseError:
            raise UserFacingError(f"{path} is not a Hall Treasurer database (it has no audit log).") from None
    finally:
        conn.close()
    if not report.ok:
        raise UserFacingError(f"The database in {path} does not verify: {report}.")
    return report
