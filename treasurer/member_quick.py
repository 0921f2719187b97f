"""One member's sheet read from a SQLite hall with the standard library alone: ``treasurer member show`` answers
in a tenth of a second instead of loading SQLAlchemy and the models first (half a second on a small machine).

The SQL is not written here: it is what the normal path's SQLAlchemy Core expressions compile to for SQLite
(``treasurer.member_reads``, generated into ``treasurer.member_reads_sqlite``), and the member's standing is
``treasurer.ledger.standings``' own query.  Whatever this cannot answer it leaves to the normal path by
returning None: books at another schema revision, books not started, a member number not on the roll, any
error from SQLite (a locked, damaged or missing database); the normal path then answers, or says what is wrong.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from .member_reads_sqlite import DEFAULT_CURRENCY, QUERIES, SCHEMA_REVISION
from .member_sheet import Sheet, ledger_lines, slip_histories

BUSY_TIMEOUT_S = 15.0       # as treasurer.db waits for a writer


def sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL (None for any other database, or a URL with options)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or url == prefix:
        return None
    return Path(url[len(prefix):])


def read_sheet(path: Path, member_number: str, today: dt.date) -> Sheet | None:
    """The member's sheet, or None when the normal path must answer (see the module's note)."""
    if not path.is_file():
        return None
    try:
        # The normal path opens read-write too (it may migrate); this path only reads.
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        conn.execute("BEGIN")       # one snapshot for every query below
        try:
            return _read(conn, member_number.strip(), today)
        finally:
            conn.execute("COMMIT")
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _rows(conn: sqlite3.Connection, name: str, **given) -> list[tuple]:
    sql, fixed = QUERIES[name]
    return conn.execute(sql, {**fixed, **given}).fetchall()


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text is not None else None


def _read(conn: sqlite3.Connection, number: str, today: dt.date) -> Sheet | None:
    # As treasurer.db.up_to_date: books at another revision are the normal path's to migrate or refuse.
    if conn.execute("SELECT version_num FROM alembic_version").fetchall() != [(SCHEMA_REVISION,)]:
        return None
    settings = dict(_rows(conn, "settings"))
    if not settings.get("hall_name"):
        return None
    found = _rows(conn, "member", member_number=number)
    if len(found) != 1:
        return None
    member_id, member_number, first, last, status, classification = found[0]
    mid = {"member_id": member_id}
    lines = ledger_lines(
        [(_day(start), code, cents) for start, code, cents in _rows(conn, "charges", **mid)],
        [(pid, method, ref, st, _day(day), cents) for pid, method, ref, st, day, cents in _rows(conn, "payments", **mid)],
        [(aid, kind, cents, _day(day), reason) for aid, kind, cents, day, reason in _rows(conn, "adjustments", **mid)],
        {aid for (aid,) in _rows(conn, "effective", **mid)},
        dict(_rows(conn, "decisions", **mid)))
    standing = _standing(conn, member_id, today)
    slips = slip_histories(
        [(*row[:8], _day(row[8])) for row in _rows(conn, "slips", **mid)],
        _rows(conn, "slip_changes", **mid),
        [sid for (sid,) in _rows(conn, "closed_links", **mid)])
    return Sheet(member_number, first, last, status, classification, settings.get("currency", DEFAULT_CURRENCY), lines,
                 *standing, slips)


def _standing(conn: sqlite3.Connection, member_id: int, today: dt.date) -> tuple[int, str | None, int, int]:
    """(balance, paid through, months in arrears, pending) as ``ledger.standings`` makes them of its rows."""
    given = {"member_id": member_id, "today": today.isoformat()}
    walked = _rows(conn, "standing", **given)
    if walked:
        _, charged, credited, paid_through, _, months, _ = walked[0]
        balance = int(charged) - int(credited)
        paid_through = paid_through.split("|", 1)[1] if paid_through else None
        months = int(months or 0)
    else:
        credited = sum(int(credit) for _, credit in _rows(conn, "credits", **given))
        balance, paid_through, months = -credited, None, 0
    pending = sum(int(cents) for _, cents in _rows(conn, "pending", **given))
    return balance, paid_through, months, pending
