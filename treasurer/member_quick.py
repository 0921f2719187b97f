"""One member's sheet, and the list of members in arrears, read from a SQLite hall with the standard library alone:
``treasurer member show`` answers in a tenth of a second instead of loading SQLAlchemy and the models first (half
a second on a small machine), and ``treasurer arrears`` in half the time.

The SQL is not written here: it is what the normal path's SQLAlchemy Core expressions compile to for SQLite
(``treasurer.member_reads``, generated into ``treasurer.member_reads_sqlite``), and the member's standing is
``treasurer.ledger.standings``' own query.  Whatever this cannot answer it leaves to the normal path by
returning None: books at another schema revision, books not started, a member number not on the roll, any
error from SQLite (a locked, damaged or missing database); the normal path then answers, or says what is wrong.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from .arrears_list import Arrear, in_arrears
from .member_reads_sqlite import DEFAULT_CURRENCY, QUERIES, SCHEMA_REVISION
from .member_sheet import Sheet, ledger_lines, slip_histories
from .standing import Standing, standings_from_rows

BUSY_TIMEOUT_S = 15.0       # as treasurer.db waits for a writer
T = TypeVar("T")


def sqlite_file(url: str) -> Path | None:
    """The file of a plain ``sqlite:///PATH`` URL (None for any other database, or a URL with options)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or "?" in url or url == prefix:
        return None
    return Path(url[len(prefix):])


def read_sheet(path: Path, member_number: str, today: dt.date) -> Sheet | None:
    """The member's sheet, or None when the normal path must answer (see the module's note)."""
    return _reading(path, lambda conn: _sheet(conn, member_number.strip(), today))


def read_arrears(path: Path, min_months: int, today: dt.date) -> tuple[str, list[Arrear]] | None:
    """(the hall's currency, members ``min_months`` or more behind as ``treasurer.arrears`` lists them), or None
    when the normal path must answer."""
    def read(conn: sqlite3.Connection) -> tuple[str, list[Arrear]] | None:
        currency = _currency_if_started(conn)
        if currency is None:
            return None
        day = today.isoformat()
        # As treasurer.arrears: who is behind by the quick totals, then each of them walked in full.
        table: dict[int, Standing] = {}
        for (mid,) in _rows(conn, "behind", today=day, min_months=max(1, min_months)):
            table[mid] = _standing(conn, mid, day)
        return currency, in_arrears(_rows(conn, "roll"), table, min_months)

    return _reading(path, read)


def _reading(path: Path, read: Callable[[sqlite3.Connection], T | None]) -> T | None:
    """``read(conn)`` in one read transaction; None for anything SQLite refuses (locked, damaged, missing)."""
    if not path.is_file():
        return None
    try:
        # The normal path opens read-write too (it may migrate); this path only reads.
        conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        conn.execute("BEGIN")       # one snapshot for every query
        try:
            return read(conn)
        finally:
            conn.execute("COMMIT")
    except sqlite3.Error:
        return None
    finally:
        conn.close()


def _currency_if_started(conn: sqlite3.Connection) -> str | None:
    """The hall's currency; None for books at another schema revision (as ``treasurer.db.up_to_date``: the
    normal path's to migrate or refuse) or not started (the normal path says so)."""
    if conn.execute("SELECT version_num FROM alembic_version").fetchall() != [(SCHEMA_REVISION,)]:
        return None
    settings = dict(_rows(conn, "settings"))
    if not settings.get("hall_name"):
        return None
    return settings.get("currency", DEFAULT_CURRENCY)


def _rows(conn: sqlite3.Connection, name: str, **given) -> list[tuple]:
    sql, fixed = QUERIES[name]
    return conn.execute(sql, {**fixed, **given}).fetchall()


def _day(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text is not None else None


def _sheet(conn: sqlite3.Connection, number: str, today: dt.date) -> Sheet | None:
    currency = _currency_if_started(conn)
    if currency is None:
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
    standing = _standing(conn, member_id, today.isoformat())
    slips = slip_histories(
        [(*row[:8], _day(row[8])) for row in _rows(conn, "slips", **mid)],
        _rows(conn, "slip_changes", **mid),
        [sid for (sid,) in _rows(conn, "closed_links", **mid)])
    return Sheet(member_number, first, last, status, classification, currency, lines, standing.balance_cents,
                 standing.paid_through, standing.months_in_arrears, standing.pending_cents, slips)


def _standing(conn: sqlite3.Connection, member_id: int, day: str) -> Standing:
    """``treasurer.ledger.standings`` for one member, from its own three statements' rows, built as it builds it."""
    given = {"member_id": member_id, "today": day}
    return standings_from_rows(_rows(conn, "standing", **given), _rows(conn, "pending", **given),
                               _rows(conn, "credits", **given), [member_id])[member_id]
