"""Opening the database: engine, sessions, migrations.

The SQLite specifics (WAL, foreign keys, ``synchronous=FULL``, busy timeout and
``BEGIN IMMEDIATE`` for writes) and the PostgreSQL ones (ISO dates, a
transaction-scoped advisory lock for writers and for migrations) live here and
nowhere else, so that the rest of the core runs unchanged on either.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from . import audit_rows
from .errors import UserFacingError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")
# The newest migration's revision: books already there open without loading alembic (a fifth of a second
# saved on every command). A new migration changes it too; tests/test_cli_startup.py checks it is alembic's head.
HEAD_REVISION = "0011"
BUSY_TIMEOUT_MS = 15_000
_WRITE = "treasurer_write"
# Every writer on PostgreSQL holds this transaction-scoped advisory lock (one key for the whole hall).
WRITE_LOCK_KEY = 7362001
MIGRATE_LOCK_KEY = 7362002


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    if make_url(url).get_backend_name() == "postgresql":
        # READ COMMITTED explicitly: lock_for_write relies on it.
        engine = create_engine(url, pool_pre_ping=True, isolation_level="READ COMMITTED")
        _configure_postgresql(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # The ledger sorts and prints dates cast to text: make that text ISO (YYYY-MM-DD) whatever the
        # server's DateStyle.
        autocommit = dbapi_conn.autocommit
        dbapi_conn.autocommit = True
        cur = dbapi_conn.cursor()
        cur.execute("SET DateStyle TO ISO, YMD")
        cur.close()
        dbapi_conn.autocommit = autocommit


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own
        # transaction handling would defer the write lock).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Writers take the lock up front so that two processes cannot both read
        # the audit chain's head and fork it; readers stay concurrent under WAL.
        immediate = conn.get_execution_options().get(_WRITE, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def lock_for_write(session: Session) -> None:
    """Serialise writers on databases where BEGIN IMMEDIATE does not exist.

    On PostgreSQL the lock is the transaction's first statement and the isolation
    level stays READ COMMITTED, so every statement after it sees what the previous
    writer committed: the audit chain's head, and the inbox's check-then-insert of
    event ids (``inbox.store_many``), are therefore race-free across processes and
    workstations. (Under REPEATABLE READ the snapshot would predate the wait.)
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})"))


class Database:
    """A hall's database: ``read()`` and ``write()`` give sessions in one transaction."""

    def __init__(self, url: str):
        self.url = url
        self.engine = make_engine(url)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(
            self.engine.execution_options(**{_WRITE: True}), expire_on_commit=False
        )
        audit_rows.install(self._reader)
        audit_rows.install(self._writer)

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            yield session
            _refuse_unaudited(session)

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[Session]:
        """A read that sees the whole database at one moment, however long it takes: what a check comparing
        tables with each other needs.  A SQLite read transaction already is one; PostgreSQL's READ COMMITTED
        is not (each statement would see the writes committed meanwhile), so it reads in REPEATABLE READ."""
        if self.engine.dialect.name != "postgresql":
            with self.read() as session:
                yield session
            return
        engine = self.engine.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with Session(engine) as session, session.begin():
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: commits when the block ends, rolls everything back on error."""
        with self._writer() as session, session.begin():
            lock_for_write(session)
            yield session
            _refuse_unaudited(session)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        database = self.engine.url.database
        return Path(database) if database and database != ":memory:" else None


def _refuse_unaudited(session: Session) -> None:
    """Rows the audit log covers are written through ``Hall.write``, which records their snapshots."""
    session.flush()
    if audit_rows.pending(session):
        raise RuntimeError("Rows the audit log covers were written outside Hall.write; nothing was saved.")


def alembic_config(url: str) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def schema_revision(db: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def known_revision(revision: str | None) -> bool:
    """True for no schema yet and for every schema revision this program has a migration for."""
    if revision is None:
        return True
    from alembic.script import ScriptDirectory

    try:
        return ScriptDirectory.from_config(alembic_config("sqlite://")).get_revision(revision) is not None
    except Exception:  # alembic raises for a revision it has never heard of
        return False


def newer_schema_message(revision: str | None, what: str = "This database") -> str:
    return (f"{what} was last opened by a newer version of Hall Treasurer (schema {revision}); "
            f"install that version or newer to open it.")


def up_to_date(db: Database) -> bool:
    """The books are at this program's newest schema: one query, nothing to migrate, alembic not loaded."""
    try:
        with db.engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    except DBAPIError:      # no schema yet, or not a database at all: migrate() finds out which
        return False
    return stored == [HEAD_REVISION]


def migrate(db: Database) -> None:
    """Bring the schema to the newest revision; refuse a database newer than this program."""
    if up_to_date(db):
        return
    from alembic import command

    cfg = alembic_config(db.url)
    current = schema_revision(db)
    if not known_revision(current):
        raise UserFacingError(newer_schema_message(current))
    # Two programs opening the books at once (the window and a relay after an update, two workstations):
    # one migrates, the others wait for it and then find nothing left to do. SQLite: BEGIN IMMEDIATE;
    # PostgreSQL (DDL runs inside the transaction): an advisory lock.
    with db.engine.execution_options(**{_WRITE: True}).begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text(f"SELECT pg_advisory_xact_lock({MIGRATE_LOCK_KEY})"))
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def open_database(url: str, *, upgrade: bool = True) -> Database:
    db = Database(url)
    if upgrade:
        try:
            migrate(db)
        except DBAPIError as exc:
            db.close()
            raise UserFacingError(explain(exc, db)) from None
    return db


def explain(exc: DBAPIError, db: Database | None = None) -> str:
    """A database driver's error as a sentence for the treasurer."""
    text = str(exc.orig) if exc.orig is not None else str(exc)
    where = f" ({db.sqlite_path})" if db is not None and db.sqlite_path else ""
    if "file is not a database" in text or "malformed" in text:
        return (f"The database file{where} is damaged or is not a Hall Treasurer database; "
                f"restore the latest backup.")
    if "locked" in text or "busy" in text:
        return "The database is busy with another program's work; try again in a moment."
    if "unable to open" in text or "readonly" in text:
        return f"The database{where} cannot be opened for writing; check the folder's permissions."
    if "could not connect" in text or "Connection refused" in text:
        return "The database server cannot be reached; check that it is running and the address is right."
    return f"The database refused the change: {text.splitlines()[0]}"
