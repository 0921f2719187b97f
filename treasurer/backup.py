"""Consistent online copies of the hall's SQLite database: on demand, daily, and restoring one.

Every copy is checked before it is kept (SQLite's integrity check and the whole
audit chain); a restore checks the file the same way, refuses it while another
program has the books open, and keeps the database it replaces beside it.
PostgreSQL halls back up with the server's own tools (pg_dump).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import re
import shutil
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.exc import DBAPIError

from . import audit, audit_check
from .db import Database, explain, known_revision, newer_schema_message, open_database
from .errors import UserFacingError, ValidationError
from .private_files import private_umask, protect


@dataclasses.dataclass(frozen=True)
class BackupReport:
    path: Path
    size_bytes: int
    chain: audit.ChainReport
    books: audit_check.BooksReport


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
    with private_umask():               # the copy names every member and every payment: 0600
        src = sqlite3.connect(source)
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # a self-contained single file
        finally:
            dst.close()
            src.close()
    try:
        report = check_backup(partial)
    except NotVerified as exc:          # the live books differ from their log: the copy would too
        partial.unlink(missing_ok=True)
        raise UserFacingError(f"No backup was kept: the books do not verify: {exc.problem}") from None
    except UserFacingError as exc:
        partial.unlink(missing_ok=True)
        raise UserFacingError(f"No backup was kept: {exc}") from None
    protect(partial)
    partial.replace(target)
    return BackupReport(target, target.stat().st_size, report.chain, report)


class NotVerified(UserFacingError):
    """A readable hall database whose books do not verify; ``problem`` is the first thing found."""

    def __init__(self, path: Path, problem: str):
        super().__init__(f"The database in {path} does not verify: {problem}")
        self.problem = problem


def check_backup(path: str | Path) -> audit_check.BooksReport:
    """The whole check on a database file, or a ``UserFacingError`` naming the first problem.

    On a private, writable copy (the file itself is never touched, and a WAL-mode file needs to write to be
    read): SQLite's integrity check, the schema (a newer one is refused; an older one is brought up to date
    on the copy), then the audit chain and every row of the books against the log.
    """
    path = Path(path)
    if not path.is_file():
        raise UserFacingError(f"There is no file {path}.")
    with tempfile.TemporaryDirectory(prefix="treasurer-check-") as folder:
        copy = Path(folder) / "check.sqlite3"
        shutil.copyfile(path, copy)
        wal = path.with_name(path.name + "-wal")  # a live database's newest pages may still be in its WAL
        if wal.is_file():
            shutil.copyfile(wal, copy.with_name(copy.name + "-wal"))
        _integrity(copy, path)
        revision = _schema_of(copy)
        if revision is None:
            raise UserFacingError(f"{path} is not a Hall Treasurer database (it has no schema version).")
        if not known_revision(revision):
            raise UserFacingError(newer_schema_message(revision, f"The database in {path}"))
        try:
            db = open_database(f"sqlite:///{copy}")
        except UserFacingError as exc:
            raise UserFacingError(f"The database in {path} cannot be brought up to date: {exc}") from None
        try:
            with db.read() as session:
                report = audit_check.check(session)
        except DBAPIError as exc:
            raise UserFacingError(f"The database in {path} cannot be read: {explain(exc)}") from None
        finally:
            db.close()
    if not report.ok:
        raise NotVerified(path, report.first_problem)
    return report


def _integrity(copy: Path, original: Path) -> None:
    conn = sqlite3.connect(copy)
    try:
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
            conn.execute("SELECT 1 FROM audit_log LIMIT 1")
        except sqlite3.DatabaseError as exc:
            if "audit_log" in str(exc):
                raise UserFacingError(f"{original} is not a Hall Treasurer database (it has no audit log).") \
                    from None
            raise UserFacingError(f"{original} is not a readable database ({exc}).") from None
        if result != "ok":
            raise UserFacingError(f"{original} failed SQLite's integrity check: {result}.")
    finally:
        conn.close()


def _schema_of(path: Path) -> str | None:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        return None
    finally:
        conn.close()
    return row[0] if row else None


# Daily backups -----------------------------------------------------------------------------------------------

AUTO_NAME = re.compile(r"^treasurer-(\d{8}-\d{6})\.sqlite3$")
AUTO_STAMP = "%Y%m%d-%H%M%S"
DEFAULT_KEEP = 14


@dataclasses.dataclass(frozen=True)
class ScheduledBackup:
    """What ``backup_if_due`` did: made a copy (``made``), or said why not; old copies it removed."""

    made: BackupReport | None
    removed: tuple[Path, ...]
    latest: Path | None
    reason: str

    def __str__(self) -> str:
        return self.reason


def automatic_backups(folder: str | Path) -> list[tuple[dt.datetime, Path]]:
    """The daily copies in ``folder``, oldest first (other files there are never touched)."""
    folder = Path(folder)
    found = []
    if folder.is_dir():
        for path in folder.iterdir():
            match = AUTO_NAME.match(path.name)
            if match and path.is_file():
                try:
                    found.append((dt.datetime.strptime(match.group(1), AUTO_STAMP), path))
                except ValueError:
                    continue
    return sorted(found)


def backup_if_due(db: Database, folder: str | Path, keep: int = DEFAULT_KEEP,
                  now: dt.datetime | None = None) -> ScheduledBackup:
    """One checked copy a day in ``folder``, keeping the newest ``keep``; call it at start-up and on a timer.

    Due when no copy in the folder is stamped with today's date (``now``, local time by default). A copy
    that fails its check raises ``UserFacingError`` and nothing old is removed.
    """
    if keep < 1:
        raise ValidationError("Keep at least one daily backup.")
    if db.sqlite_path is None:
        return ScheduledBackup(None, (), None, "The books are on a database server: back them up with the "
                                               "server's own tools (pg_dump), not from the app.")
    now = (now or dt.datetime.now()).replace(tzinfo=None, microsecond=0)
    folder = Path(folder).expanduser()
    existing = automatic_backups(folder)
    if existing and existing[-1][0].date() >= now.date():
        latest = existing[-1][1]
        removed = _prune(existing, keep)
        return ScheduledBackup(None, removed, latest, f"Today's backup is already made ({latest.name}).")
    target = folder / f"treasurer-{now.strftime(AUTO_STAMP)}.sqlite3"
    report = backup_to(db, target)
    removed = _prune(automatic_backups(folder), keep)
    kept = min(keep, len(existing) + 1)
    return ScheduledBackup(report, removed, report.path,
                           f"Backed up to {report.path} ({report.chain}); keeping the last {kept} daily "
                           f"backups{f', removed {len(removed)} older' if removed else ''}.")


def _prune(existing: list[tuple[dt.datetime, Path]], keep: int) -> tuple[Path, ...]:
    old = [path for _, path in existing[:-keep]] if len(existing) > keep else []
    for path in old:
        path.unlink(missing_ok=True)
    return tuple(old)


# Restore ----------------------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class RestoreReport:
    path: Path              # the hall's database, now the restored copy
    kept_aside: Path | None  # the database it replaced, renamed with a timestamp
    chain: audit.ChainReport
    source: Path

    def __str__(self) -> str:
        aside = (f" The database it replaced is kept as {self.kept_aside}." if self.kept_aside
                 else " There was no database here before.")
        return f"Restored {self.source} into {self.path}; {self.chain}.{aside}"


def restore_from(db_url: str, source: str | Path, now: dt.datetime | None = None) -> RestoreReport:
    """Replace the hall's SQLite database with a checked backup, keeping the current one aside.

    Refused: a file that fails SQLite's integrity check or whose audit chain does not verify, a file
    from a newer version of the app, a PostgreSQL hall, and books another program has open (the window
    or a relay: SQLite cannot leave WAL mode while another connection exists, which is how it is seen).
    The restored copy is brought to this version's schema before it replaces anything.
    """
    probe = Database(db_url)
    target = probe.sqlite_path
    probe.close()
    if target is None:
        raise UserFacingError("Restoring from the app works on SQLite only; restore a PostgreSQL database "
                              "with the server's own tools (pg_restore or psql).")
    source = Path(source).expanduser().resolve()
    target = target.expanduser().resolve()
    if source == target:
        raise UserFacingError("The backup to restore cannot be the database itself.")
    check_backup(source)            # also refuses a backup from a newer version of the app
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = (now or dt.datetime.now()).strftime(AUTO_STAMP)

    # A working copy beside the database (same file system: the final step is a rename), upgraded to this
    # version's schema and checked again.
    partial = target.with_name(f"{target.name}.restoring-{stamp}")
    partial.unlink(missing_ok=True)
    try:
        with private_umask():
            shutil.copyfile(source, partial)
        protect(partial)
        upgraded = open_database(f"sqlite:///{partial}")
        upgraded.close()
        _single_file(partial)
        chain = check_backup(partial).chain
        _fsync(partial)
        with _exclusive(target):
            aside = None
            if target.exists():
                aside = _free_name(target.with_name(f"{target.name}.before-restore-{stamp}"))
                target.replace(aside)
                for suffix in ("-wal", "-shm", "-journal"):
                    extra = target.with_name(target.name + suffix)
                    if extra.exists():
                        extra.replace(aside.with_name(aside.name + suffix))
            partial.replace(target)
            _fsync_dir(target.parent)
    finally:
        for leftover in (partial, *(partial.with_name(partial.name + x) for x in ("-wal", "-shm", "-journal"))):
            leftover.unlink(missing_ok=True)
    return RestoreReport(target, aside, chain, source)


def _single_file(path: Path) -> None:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


class _exclusive:
    """Hold the current database exclusively while it is swapped; refuse if another program has it open."""

    def __init__(self, path: Path):
        self.path = path
        self.conn: sqlite3.Connection | None = None

    def __enter__(self):
        if not self.path.exists():
            return self
        conn = sqlite3.connect(self.path, timeout=1.0, isolation_level=None)
        try:
            # Leaving WAL mode needs every other connection closed: the cheap, reliable sign of use.
            mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
            if str(mode).lower() == "wal":
                raise sqlite3.OperationalError("database is locked")
            conn.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as exc:
            conn.close()
            if "locked" in str(exc) or "busy" in str(exc):
                raise UserFacingError(
                    f"The books in {self.path} are open in another program (the Hall Treasurer window or a "
                    f"relay); close it, then restore. Nothing was changed.") from None
            return self  # a damaged file (the reason to restore): nothing to hold, it is set aside as is
        except sqlite3.DatabaseError:
            conn.close()
            return self
        self.conn = conn
        return self

    def __exit__(self, *exc_info):
        if self.conn is not None:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            self.conn.close()
        return False


def _free_name(path: Path) -> Path:
    candidate, n = path, 1
    while candidate.exists():
        n += 1
        candidate = path.with_name(f"{path.name}-{n}")
    return candidate


def _fsync(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
