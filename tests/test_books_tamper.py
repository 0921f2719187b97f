"""Tampering with the books behind the app's back is found by 'audit verify', on SQLite and on PostgreSQL.

One hall per database, built through the app's own functions with at least one row in every table the audit
log covers (``audit_rows.COVERED``).  Then, for each table in turn, a plain database connection (no app, no
listeners) changes an amount, changes a status, inserts a copied row and deletes a row, dropping the table's
append-only triggers when they refuse and putting them back exactly as they were.  Each time the check must
fail and name that table and that row, saying what differs; each tamper is then undone and the books must
verify clean again, so the next case starts from an untouched hall.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Boolean, Date, Integer, String, Table, Text, UniqueConstraint, func, select
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import DBAPIError

from helpers import LEE_PIN, PAT, PAT_PIN, SAM_PIN, pin_works, run_treasurer
from tamper_hall import Built, build
from test_postgres import _server_url, raw_engine
from treasurer import audit_check, audit_rows
from treasurer.bank import record_bank_entry
from treasurer.errors import PermissionDenied
from treasurer.hall import Hall, open_hall
from treasurer.models import (BANK_RECONCILIATION_STATUSES, DEPOSIT_STATUSES, MEMBER_STATUSES, PAYMENT_STATUSES,
                              SLIP_STATUSES, Base)
from treasurer.officers import check_officer_pin
from treasurer.periods import anchor_text, close_period

COVERED = audit_rows.COVERED

# A status other than the row's own, for each table that has one (the first that differs is used).
STATUSES = {
    "members": MEMBER_STATUSES, "payments": PAYMENT_STATUSES, "slips": SLIP_STATUSES,
    "deposit_batches": DEPOSIT_STATUSES, "bank_reconciliations": BANK_RECONCILIATION_STATUSES,
    "refunds": ("succeeded", "failed"), "disputes": ("lost", "won"), "payouts": ("paid", "failed"),
}


# The hall, once per database ----------------------------------------------------------------------------------

@dataclasses.dataclass
class Books:
    hall: Hall
    url: str
    engine: sa.Engine           # a plain connection: what someone going behind the app's back would use
    folder: Path                # the hall's data folder (the SQLite file is in it)
    closing_anchor: str         # September's, printed when the build closed it

    @property
    def is_pg(self) -> bool:
        return self.url.startswith("postgresql")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def books(request, tmp_path_factory, stripe_sandbox) -> Iterator[Books]:
    """One hall per database for the whole module (building it takes seconds; every case undoes its tamper).

    Like ``test_postgres.db_url`` (a fresh SQLite file; a fresh PostgreSQL database when
    TREASURER_TEST_POSTGRES_URL names a server), but module-scoped.
    """
    folder = tmp_path_factory.mktemp(f"tamper-{request.param}") / "hall"
    admin, name = None, None
    if request.param == "sqlite":
        url = f"sqlite:///{folder / 'treasurer.sqlite3'}"
    else:
        server = _server_url()
        if not server:
            pytest.skip("no PostgreSQL server: set TREASURER_TEST_POSTGRES_URL=postgresql+psycopg://user@host/postgres")
        name = f"treasurer_tamper_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = make_url(server).set(database=name).render_as_string(hide_password=False)
    hall = open_hall(str(folder), url, actor="tester")
    engine = raw_engine(url)
    try:
        built: Built = build(hall, stripe_sandbox.base_url)
        yield Books(hall, url, engine, folder, built.closing_anchor)
    finally:
        engine.dispose()
        hall.close()
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.dispose()


def check(books: Books, expect: tuple[audit_check.Anchor, ...] = ()) -> audit_check.BooksReport:
    return audit_check.check_hall(books.hall, expect)


# Triggers and foreign keys, dropped and put back exactly ------------------------------------------------------

def triggers(conn: Connection, table: str) -> list[tuple[str, str]]:
    """The table's own triggers as (name, the statement that makes it)."""
    if conn.dialect.name == "postgresql":
        rows = conn.execute(sa.text("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger "
                                    "WHERE tgrelid = CAST(:t AS regclass) AND NOT tgisinternal ORDER BY tgname"),
                            {"t": table})
    else:
        rows = conn.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = :t "
                                    "ORDER BY name"), {"t": table})
    return [tuple(row) for row in rows]


def foreign_keys_to(conn: Connection, table: str) -> list[tuple[str, str, str]]:
    """PostgreSQL's foreign keys that point at ``table`` as (child table, name, definition)."""
    rows = conn.execute(sa.text("SELECT CAST(conrelid AS regclass)::text, conname, pg_get_constraintdef(oid) "
                                "FROM pg_constraint WHERE contype = 'f' AND confrelid = CAST(:t AS regclass) "
                                "ORDER BY 1, 2"), {"t": table})
    return [tuple(row) for row in rows]


def behind_the_apps_back(books: Books, table: str, change: Callable[[Connection], None]) -> list[str]:
    """Run ``change`` in one transaction of a plain connection.  If the table's triggers refuse it, drop them,
    make the change, and put them back exactly as they were.  Returns the names of the triggers that had to go."""
    try:
        with books.engine.begin() as conn:
            change(conn)
        return []
    except DBAPIError:
        pass                    # refused (an append-only trigger): the tamperer drops the guards first
    with books.engine.begin() as conn:
        saved = triggers(conn, table)
    assert saved, f"a change to {table} was refused, though the table has no trigger"
    try:
        with books.engine.begin() as conn:
            for name, _ in saved:
                conn.exec_driver_sql(f"DROP TRIGGER {name}" + (f" ON {table}" if books.is_pg else ""))
            change(conn)
    finally:
        with books.engine.begin() as conn:
            for name, sql in saved:
                if name not in {n for n, _ in triggers(conn, table)}:
                    conn.exec_driver_sql(sql)
    with books.engine.begin() as conn:
        assert triggers(conn, table) == saved, f"{table}'s triggers were not put back as they were"
    return [name for name, _ in saved]


@contextlib.contextmanager
def foreign_keys_loosened(books: Books, table: str) -> Iterator[None]:
    """On PostgreSQL, the foreign keys pointing at ``table`` dropped (so a row others refer to can be deleted),
    and added back as they were.  A plain SQLite connection does not enforce foreign keys."""
    if not books.is_pg:
        yield
        return
    with books.engine.begin() as conn:
        saved = foreign_keys_to(conn, table)
        for child, name, _ in saved:
            conn.exec_driver_sql(f'ALTER TABLE {child} DROP CONSTRAINT "{name}"')
    try:
        yield
    finally:
        with books.engine.begin() as conn:
            for child, name, definition in saved:
                conn.exec_driver_sql(f'ALTER TABLE {child} ADD CONSTRAINT "{name}" {definition}')
            assert foreign_keys_to(conn, table) == saved


# Choosing rows, columns and values ----------------------------------------------------------------------------

def key_of(table: Table):
    return audit_rows.key_column(table)


def read_row(conn: Connection, table: Table, ident) -> dict:
    return dict(conn.execute(select(table).where(key_of(table) == ident)).mappings().one())


def newest_key(conn: Connection, table: Table, where=None):
    query = select(key_of(table)).order_by(key_of(table).desc()).limit(1)
    if where is not None:
        query = query.where(where)
    return conn.execute(query).scalar_one()


def referenced(conn: Connection, table: Table, ident) -> bool:
    """Whether a row of any table points at this one."""
    for other in Base.metadata.tables.values():
        for fk in other.foreign_keys:
            if fk.column.table is table and conn.execute(
                    select(func.count()).select_from(other).where(fk.parent == ident)).scalar_one():
                return True
    return False


def row_to_delete(conn: Connection, table: Table) -> tuple[object, bool]:
    """The newest row nothing refers to, else the newest row; and whether others refer to it."""
    keys = conn.execute(select(key_of(table)).order_by(key_of(table).desc())).scalars().all()
    for ident in keys:
        if not referenced(conn, table, ident):
            return ident, False
    return keys[0], True


def in_check_constraint(table: Table, column) -> bool:
    return any(isinstance(c, sa.CheckConstraint) and re.search(rf"\b{column.name}\b", str(c.sqltext))
               for c in table.constraints)


def unique_sets(table: Table) -> set[tuple[str, ...]]:
    sets = {tuple(c.name for c in con.columns) for con in table.constraints if isinstance(con, UniqueConstraint)}
    sets |= {(c.name,) for c in table.columns if c.unique}
    sets |= {tuple(c.name for c in ix.columns) for ix in table.indexes if ix.unique}
    return sets


def uniquely_kept(table: Table, column) -> bool:
    return any(column.name in cols for cols in unique_sets(table))


def other_column(table: Table, conn: Connection | None = None):
    """A plain, non-key column to edit: free text first, then a date, a short text, a reference (to a row that
    has another to point at), a number."""
    def plain(column) -> bool:
        return (not column.primary_key and not uniquely_kept(table, column) and not in_check_constraint(table, column)
                and (table.name, column.name) not in audit_rows.SECRET_COLUMNS
                and not (column.foreign_keys and conn is not None and _parent_rows(conn, column) < 2))

    candidates = [c for c in table.columns if plain(c)]
    for wanted in (lambda c: isinstance(c.type, Text), lambda c: isinstance(c.type, Date),
                   lambda c: isinstance(c.type, String) and not c.foreign_keys, lambda c: bool(c.foreign_keys),
                   lambda c: True):
        for column in candidates:
            if wanted(column):
                return column
    raise AssertionError(f"{table.name} has no column to change")


def _parent_rows(conn: Connection, column) -> int:
    (fk,) = column.foreign_keys
    return conn.execute(select(func.count()).select_from(fk.column.table)).scalar_one()


def value_column(table: Table, conn: Connection | None = None):
    """(a): an amount where the table has one, else its status, else some other non-key column."""
    cents = [c for c in table.columns if c.name.endswith("_cents")]
    if cents:
        return cents[0]
    if "status" in table.c:
        return table.c.status
    return other_column(table, conn)


def changed(conn: Connection, table: Table, column, value):
    """A different value of the same kind, one the column's constraints accept."""
    if column.name == "status":
        return next(s for s in STATUSES[table.name] if s != value)
    if column.name.endswith("_cents"):
        return value + 100 if value + 100 != 0 else value + 200
    if column.foreign_keys:
        (fk,) = column.foreign_keys
        return conn.execute(select(fk.column).where(fk.column != value).order_by(fk.column).limit(1)).scalar_one()
    if isinstance(column.type, Boolean):
        return not value
    if isinstance(column.type, Date):
        return value + dt.timedelta(days=1)
    if isinstance(column.type, Integer):
        return value + 1
    length = getattr(column.type, "length", None)
    if length is None or len(value) + 9 <= length:
        return value + " (edited)"
    return value[:-1] + ("X" if value[-1:] != "X" else "Y")


def free(conn: Connection, table: Table, values: dict, cols: tuple[str, ...]) -> bool:
    if any(values[c] is None for c in cols):
        return True
    return not conn.execute(select(func.count()).select_from(table).where(
        *[table.c[c] == values[c] for c in cols])).scalar_one()


def make_unique(conn: Connection, table: Table, values: dict) -> dict:
    """Adjust a copied row's values so that every unique column (or set of columns) is free."""
    for cols in sorted(unique_sets(table)):
        if free(conn, table, values, cols):
            continue
        columns = [table.c[c] for c in cols]
        order = ([c for c in columns if isinstance(c.type, String) and not c.foreign_keys
                  and not in_check_constraint(table, c)]
                 + [c for c in columns if isinstance(c.type, Date)] + [c for c in columns if c.foreign_keys])
        assert order, f"no way to make a copy of a {table.name} row unique in {cols}"
        column = order[0]
        if isinstance(column.type, String):
            tag, length = "~copy", column.type.length or 255
            values[column.name] = values[column.name][:length - len(tag)] + tag
        elif isinstance(column.type, Date):
            while not free(conn, table, values, cols):
                values[column.name] += dt.timedelta(days=1)
        else:
            (fk,) = column.foreign_keys
            for candidate in conn.execute(select(fk.column).order_by(fk.column)).scalars():
                values[column.name] = candidate
                if free(conn, table, values, cols):
                    break
            else:
                assert column.nullable, f"every {fk.column.table.name} row is taken in {table.name}.{column.name}"
                values[column.name] = None
        assert free(conn, table, values, cols), (table.name, cols, values)
    return values


# The cases -------------------------------------------------------------------------------------------------------

def cases() -> list:
    out = []
    for name, table in COVERED.items():
        out.append(pytest.param(name, "value", id=f"{name}-value"))
        if "status" in table.c and value_column(table).name != "status":
            out.append(pytest.param(name, "status", id=f"{name}-status"))
        out.append(pytest.param(name, "insert", id=f"{name}-insert"))
        out.append(pytest.param(name, "delete", id=f"{name}-delete"))
    return out


def test_every_covered_table_has_rows_and_the_books_verify(books):
    with books.engine.connect() as conn:
        empty = [name for name, table in COVERED.items()
                 if not conn.execute(select(func.count()).select_from(table)).scalar_one()]
    assert empty == [], f"the hall has no rows in: {', '.join(empty)}"
    report = check(books)
    assert report.ok, report.lines()
    assert report.rows_checked >= len(COVERED)


@dataclasses.dataclass
class Tampered:
    key: str
    column: str | None
    undo: Callable[[Connection], None]


def _tamper_value(conn: Connection, table: Table, column) -> Tampered:
    ident = newest_key(conn, table, column.is_not(None))
    before = read_row(conn, table, ident)[column.name]
    after = changed(conn, table, column, before)
    conn.execute(table.update().where(key_of(table) == ident).values({column.name: after}))
    assert read_row(conn, table, ident)[column.name] == after

    def undo(c: Connection) -> None:
        c.execute(table.update().where(key_of(table) == ident).values({column.name: before}))
    return Tampered(audit_rows.row_key(ident), column.name, undo)


def _tamper_insert(conn: Connection, table: Table) -> Tampered:
    original = read_row(conn, table, newest_key(conn, table))
    key = key_of(table)
    copy = dict(original)
    if isinstance(key.type, Integer):
        copy[key.name] = conn.execute(select(func.max(key))).scalar_one() + 1000
    else:
        copy[key.name] = f"{original[key.name]}_copy"
    copy = make_unique(conn, table, copy)
    conn.execute(table.insert().values(copy))

    def undo(c: Connection) -> None:
        c.execute(table.delete().where(key == copy[key.name]))
    return Tampered(audit_rows.row_key(copy[key.name]), None, undo)


def _tamper_delete(conn: Connection, table: Table, ident) -> Tampered:
    original = read_row(conn, table, ident)
    conn.execute(table.delete().where(key_of(table) == ident))

    def undo(c: Connection) -> None:
        c.execute(table.insert().values(original))
    return Tampered(audit_rows.row_key(ident), None, undo)


@pytest.mark.parametrize("name, case", cases())
def test_a_tampered_table_is_named(books, name, case):
    table = COVERED[name]
    tampered: list[Tampered] = []
    loosen = contextlib.nullcontext()
    if case == "delete":
        with books.engine.connect() as conn:
            ident, others_refer = row_to_delete(conn, table)
        if others_refer:
            loosen = foreign_keys_loosened(books, name)

    def tamper(conn: Connection) -> None:
        tampered.clear()
        if case == "value":
            tampered.append(_tamper_value(conn, table, value_column(table, conn)))
        elif case == "status":
            tampered.append(_tamper_value(conn, table, table.c.status))
        elif case == "insert":
            tampered.append(_tamper_insert(conn, table))
        else:
            tampered.append(_tamper_delete(conn, table, ident))

    with loosen:
        behind_the_apps_back(books, name, tamper)
        (done,) = tampered
        try:
            report = check(books)
        finally:
            behind_the_apps_back(books, name, done.undo)

    assert not report.ok, f"{name} {case}: the check found nothing"
    assert report.chain.ok       # the chain alone cannot see it: only the books against the log do
    assert [(d.table, d.row) for d in report.differences] == [(name, done.key)], report.lines()
    (difference,) = report.differences
    if case in ("value", "status"):
        assert f"{done.column} is " in difference.problem and ", the log has " in difference.problem, \
            difference.problem
    elif case == "insert":
        assert "is not in the audit log" in difference.problem, difference.problem
    else:
        assert "is gone" in difference.problem, difference.problem
    assert str(difference).startswith(f"{name} row {done.key}: ")
    undone = check(books)
    assert undone.ok, ["the tamper was not undone"] + undone.lines()


# Through the real command ------------------------------------------------------------------------------------

def verify_command(books: Books, *args: str):
    database = ("--database-url", books.url) if books.is_pg else ()
    return run_treasurer(*database, "audit", "verify", *args, data_dir=books.folder)


def test_the_command_names_a_changed_payment_and_passes_untouched_books(books):
    """``treasurer audit verify`` as its own process (on PostgreSQL given --database-url)."""
    clean = verify_command(books)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "audit chain OK" in clean.stdout and "books OK" in clean.stdout

    payments = COVERED["payments"]
    tampered: list[Tampered] = []
    dropped = behind_the_apps_back(books, "payments",
                                   lambda conn: tampered.append(_tamper_value(conn, payments, payments.c.amount_cents)))
    assert dropped == ["payments_frozen", "payments_no_delete"]      # the amount guard had to go
    try:
        found = verify_command(books)
    finally:
        behind_the_apps_back(books, "payments", tampered[-1].undo)
    assert found.returncode == 1, found.stdout + found.stderr
    assert "audit chain OK" in found.stdout           # the chain holds; the books do not
    assert "books DIFFER from the audit log: 1 row." in found.stdout
    assert f"payments row {tampered[-1].key}: amount_cents is " in found.stdout

    again = verify_command(books)
    assert again.returncode == 0 and "books OK" in again.stdout, again.stdout + again.stderr


# Values of another kind, which only SQLite lets a text column hold --------------------------------------------

@pytest.mark.parametrize("stored", [b"\x00\xff", "CAST(X'FF' AS TEXT)"], ids=["blob", "not-utf8"])
def test_a_text_column_holding_bytes_is_named(books, stored):
    if books.is_pg:
        pytest.skip("PostgreSQL refuses both values in a text column")
    members = COVERED["members"]
    with books.engine.connect() as conn:
        ident = newest_key(conn, members)
        notes = read_row(conn, members, ident)["notes"]
    value = sa.literal_column(stored) if isinstance(stored, str) else stored
    behind_the_apps_back(books, "members", lambda conn: conn.execute(
        members.update().where(members.c.id == ident).values(notes=value)))
    try:
        report = check(books)
    finally:
        behind_the_apps_back(books, "members", lambda conn: conn.execute(
            members.update().where(members.c.id == ident).values(notes=notes)))
    assert [(d.table, d.row) for d in report.differences] == [("members", str(ident))], report.lines()
    assert "notes is " in report.differences[0].problem


# A PIN hash copied from another officer ---------------------------------------------------------------------

def test_a_pin_hash_copied_from_another_officer_is_found(books):
    officers = COVERED["officers"]
    with books.engine.connect() as conn:
        rows = {r.name: r for r in conn.execute(select(officers.c.id, officers.c.name, officers.c.pin_hash))}
    lee, sam = rows["Lee Chen"], rows["Sam Okafor"]

    def copy(conn):
        conn.execute(officers.update().where(officers.c.id == lee.id).values(pin_hash=sam.pin_hash))

    def back(conn):
        conn.execute(officers.update().where(officers.c.id == lee.id).values(pin_hash=lee.pin_hash))

    behind_the_apps_back(books, "officers", copy)
    try:
        assert pin_works(books.hall, "Lee Chen", SAM_PIN)         # Sam could now act as Lee
        report = check(books)
    finally:
        behind_the_apps_back(books, "officers", back)
    assert [(d.table, d.row) for d in report.differences] == [("officers", str(lee.id))], report.lines()
    assert "pin_hash is " in report.differences[0].problem
    # The log shows the hashes only as digests: it does not hand out what a PIN could be guessed from.
    assert sam.pin_hash not in report.differences[0].problem
    with books.engine.connect() as conn:
        logged = conn.execute(sa.text("SELECT rows_json FROM audit_log WHERE rows_json IS NOT NULL")).scalars().all()
    assert logged and not any(sam.pin_hash in text or lee.pin_hash in text for text in logged)
    assert check(books).ok


def test_a_lockout_lifted_behind_the_apps_back_is_found(books):
    """Five wrong PINs lock Lee out (audited); clearing locked_until by hand would let someone go on guessing."""
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            check_officer_pin(books.hall, "Lee Chen", "000000")
    with pytest.raises(PermissionDenied, match="locked out"):
        check_officer_pin(books.hall, "Lee Chen", LEE_PIN)
    officers = COVERED["officers"]
    with books.engine.connect() as conn:
        lee = conn.execute(select(officers).where(officers.c.name == "Lee Chen")).one()
    assert lee.locked_until and lee.lockouts == 1

    behind_the_apps_back(books, "officers", lambda conn: conn.execute(
        officers.update().where(officers.c.id == lee.id).values(locked_until=None)))
    try:
        assert check_officer_pin(books.hall, "Lee Chen", LEE_PIN) == "Lee Chen"     # the lockout is gone
        report = check(books)
    finally:
        behind_the_apps_back(books, "officers", lambda conn: conn.execute(
            officers.update().where(officers.c.id == lee.id).values(locked_until=lee.locked_until)))
    assert [(d.table, d.row) for d in report.differences] == [("officers", str(lee.id))], report.lines()
    assert f'locked_until is null, the log has "{lee.locked_until}"' in report.differences[0].problem
    assert check(books).ok


# The newest audit entries cut off ----------------------------------------------------------------------------

CUT = 2         # the closing's own entry and the one its anchor names


def test_the_newest_audit_entries_cut_off(books):
    """October is closed (the app prints the chain's anchor, which the trustees write down); then the newest
    entries, the closing's among them, are deleted from the log."""
    log = sa.table("audit_log", *[sa.column(c) for c in ("seq", "at", "actor", "action", "entity_type", "entity_id",
                                                         "before_json", "after_json", "rows_json", "prev_hash",
                                                         "hash")])
    closing = close_period(books.hall, "2026-10", "Pat Morales", "October books closed", PAT_PIN)
    older, newest = books.closing_anchor, anchor_text(closing)      # September's, October's
    anchor = audit_check.parse_anchor(newest)
    before = check(books, (audit_check.parse_anchor(older), anchor))
    assert before.ok, before.lines()
    kept = verify_command(books, "--expect", older, "--expect", newest)
    assert kept.returncode == 0, kept.stdout + kept.stderr
    last = before.chain.entries
    assert anchor.seq == last - 1             # the head just before the closing's own entry: both are cut

    with books.engine.connect() as conn:
        removed = [dict(r) for r in conn.execute(select(log).where(log.c.seq > last - CUT)).mappings()]
    assert len(removed) == CUT and any(r["rows_json"] for r in removed)
    dropped = behind_the_apps_back(books, "audit_log",
                                   lambda conn: conn.execute(log.delete().where(log.c.seq > last - CUT)))
    assert "audit_log_no_delete" in dropped
    try:
        cut = check(books)
        with_anchors = verify_command(books, "--expect", older, "--expect", newest)
    finally:
        with books.engine.begin() as conn:
            conn.execute(log.insert(), removed)
    # The chain that is left is a valid chain ...
    assert cut.chain.ok and cut.chain.entries == last - CUT
    # ... but the books no longer match it: what the cut entries wrote is in no snapshot the log still has.
    assert not cut.ok and cut.differences, cut.lines()
    written = {(t, k) for r in removed if r["rows_json"] for t, k, _ in json.loads(r["rows_json"])}
    assert {(d.table, d.row) for d in cut.differences} <= written
    assert ("period_closings", str(closing.id)) in {(d.table, d.row) for d in cut.differences}
    assert all("is not in the audit log" in d.problem for d in cut.differences if d.table == "period_closings")
    # The newest anchor kept on paper names the cut; September's, older than the cut, still holds.
    assert with_anchors.returncode == 1, with_anchors.stdout + with_anchors.stderr
    anchor_lines = [line for line in with_anchors.stdout.splitlines() if line.startswith("anchor: ")]
    assert anchor_lines == [f"anchor: entry {anchor.seq} is not in the log, which ends at entry {last - CUT}: "
                            f"entries were cut off after the anchor was written down."], with_anchors.stdout
    assert "books DIFFER from the audit log" in with_anchors.stdout
    assert check(books, (anchor,)).ok


# No tamper at all: the app writing while the check reads ------------------------------------------------------

def test_an_app_write_during_the_check_is_not_called_tampering(books):
    """The log is read first, then the tables one by one.  A bank entry the app records after the log was read
    but before bank_entries is read must not look like a row written behind the app's back.

    On PostgreSQL the check is held between the two with a table lock on bank_cleared_items (read just before
    bank_entries; recording a bank entry does not touch it).  A SQLite reader is one snapshot from its first
    read, and nothing can hold it half way."""
    if not books.is_pg:
        pytest.skip("a SQLite read transaction is one snapshot (WAL); the race needs PostgreSQL's READ COMMITTED")
    reports: list[audit_check.BooksReport] = []
    with books.engine.connect() as lock:
        lock.exec_driver_sql("LOCK TABLE bank_cleared_items IN ACCESS EXCLUSIVE MODE")
        reader = threading.Thread(target=lambda: reports.append(check(books)))
        reader.start()
        waiting = "SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'bank_cleared_items'::regclass"
        deadline = time.monotonic() + 20
        with books.engine.connect() as watch:
            while not watch.exec_driver_sql(waiting).scalar_one():
                assert time.monotonic() < deadline, "the check never reached bank_cleared_items"
                time.sleep(0.02)
        writer = threading.Thread(target=record_bank_entry, args=(books.hall, dt.date(2026, 11, 15), "interest", 31,
                                                                  "November interest"), kwargs=PAT)
        writer.start()
        writer.join(20)
        blocked = writer.is_alive()
        lock.rollback()
    writer.join(30)
    reader.join(30)
    assert not blocked, "recording a bank entry waited for bank_cleared_items: hold another table"
    (report,) = reports
    assert check(books).ok                      # the books and the log agree, before and after the write
    assert report.ok, report.lines()
