"""Which tables the audit log covers, and the full snapshot of each row it keeps.

Every write transaction records, on its last audit entry, a snapshot of every row
it inserted, changed or deleted in these tables (``rows_json``).  ``audit verify``
then compares the books with the latest snapshot of each row, so an edit made
behind the app's back (a changed amount, an inserted or deleted row, a copied PIN
hash) is found even though the chain itself is intact.

Rows are caught where SQLAlchemy writes them, not where the app's functions
decide to audit: the unit of work's flush (ORM objects) and the ORM-enabled
``insert()`` statements (which must return the primary key first).  A bulk
UPDATE or DELETE on a covered table is refused: money rows are never changed that
way, and such a statement could not say which rows it touched.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Boolean, Connection, Date, DateTime, Table, event, inspect
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import ORMExecuteState, Session

from . import models as m

COVERED_MODELS = (
    m.Setting, m.Officer, m.Classification, m.DuesRate, m.Member, m.DuesPeriod, m.PeriodClosing, m.Charge,
    m.Payment, m.Adjustment, m.AdjustmentDecision, m.Slip, m.Refund, m.Dispute, m.ReviewItem, m.Payout,
    m.LinkClosure, m.BalanceTransaction, m.BalanceLineSeen, m.DiscrepancyResolution, m.DepositBatch,
    m.DepositItem, m.DepositRemoval, m.BankReconciliation, m.BankClearedItem, m.BankEntry,
    m.OutboxEntry,
)
COVERED: dict[str, Table] = {model.__table__.name: model.__table__ for model in COVERED_MODELS}
# Not covered: the raw Stripe inbox (stripe_events: Stripe's own copies, kept verbatim), the relay's cursor
# (relay_state) and the audit log itself.

# Kept in the log only as a digest: the log must not help anyone guess a PIN, yet a hash copied from another
# officer must still show.
SECRET_COLUMNS = {("officers", "pin_hash")}

_KEY = "audit_rows"


def key_column(table: Table):
    (column,) = table.primary_key.columns
    return column


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value


def _boolean(value: Any) -> Any:
    return bool(value) if value in (0, 1) else value     # SQLite keeps 0/1; anything else shows as it is


def _lenient_text(data: bytes) -> str:
    return data.decode("utf-8", "backslashreplace")


def _digest(value: Any) -> Any:
    return None if value is None else "sha256:" + hashlib.sha256(str(value).encode()).hexdigest()


class Reader:
    """Reads a covered table's rows straight from the driver and turns them into snapshots.

    The same reader makes the snapshots written with each change and those the check compares them to, on
    SQLite and PostgreSQL alike: dates as ISO text, booleans as booleans, secrets as digests.  A value the
    column's type cannot hold (text in a date column, written behind the app's back) is kept as stored, so
    it shows as a difference rather than stopping the check.
    """

    def __init__(self, table: Table):
        self.name = table.name
        self.columns = [c.name for c in table.columns]
        self.key = key_column(table).name
        self.key_index = self.columns.index(self.key)
        self.convert = []
        for i, column in enumerate(table.columns):
            if (table.name, column.name) in SECRET_COLUMNS:
                self.convert.append((i, _digest))
            elif isinstance(column.type, (Date, DateTime)):
                self.convert.append((i, _iso))
            elif isinstance(column.type, Boolean):
                self.convert.append((i, _boolean))
        quoted = ", ".join(f'"{c}"' for c in self.columns)
        self.select = f'SELECT {quoted} FROM "{self.name}"'

    def snapshot(self, values: Sequence) -> dict:
        if self.convert:
            values = list(values)
            for i, convert in self.convert:
                values[i] = convert(values[i])
        # A BLOB where the app never writes one stays bytes: it differs from any snapshot, and shows as such.
        return dict(zip(self.columns, values))

    def rows(self, session: Session | Connection, keys: Sequence | None = None) -> list[tuple[str, dict]]:
        """``(key, snapshot)`` for every row, or for the rows with these keys."""
        conn = session.connection() if isinstance(session, Session) else session
        try:
            return list(self._rows(conn, keys))
        except OperationalError as exc:
            if conn.dialect.name != "sqlite" or "decode" not in str(exc):
                raise
        # Text that is not UTF-8 (written behind the app's back): read it as it is, so it shows as a difference.
        raw = conn.connection.dbapi_connection
        raw.text_factory = _lenient_text
        try:
            return list(self._rows(conn, keys))
        finally:
            raw.text_factory = str

    def _rows(self, conn: Connection, keys: Sequence | None) -> Iterator[tuple[str, dict]]:
        if keys is None:
            batches = [conn.exec_driver_sql(f'{self.select} ORDER BY "{self.key}"').fetchall()]
        else:
            batches = (conn.exec_driver_sql(f'{self.select} WHERE "{self.key}" IN '
                                            f'({", ".join(["?" if conn.dialect.paramstyle == "qmark" else "%s"] * len(chunk))})',
                                            tuple(chunk)).fetchall()
                       for chunk in (keys[i:i + 500] for i in range(0, len(keys), 500)))
        for batch in batches:
            for values in batch:
                yield row_key(values[self.key_index]), self.snapshot(values)


@functools.cache
def reader(name: str) -> Reader:
    return Reader(COVERED[name])


def row_key(value: Any) -> str:
    return str(value)


# Catching the rows a transaction writes ------------------------------------------------------------------------

def install(factory) -> None:
    """Watch the sessions ``factory`` makes (the writers)."""
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "do_orm_execute", _on_execute)


def _touched(session: Session) -> dict[str, set]:
    return session.info.setdefault(_KEY, {})


def _after_flush(session: Session, _context) -> None:
    for obj in (*session.new, *session.dirty, *session.deleted):
        mapper = inspect(obj).mapper
        table = mapper.local_table
        if table.name in COVERED:
            # Keys are assigned by now, though the new objects are not yet marked persistent.
            (ident,) = mapper.primary_key_from_instance(obj)
            _touched(session).setdefault(table.name, set()).add(ident)


def _on_execute(state: ORMExecuteState):
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    table = getattr(state.statement, "table", None)
    if table is None or table.name not in COVERED:
        return None
    if not state.is_insert:
        raise RuntimeError(f"A bulk UPDATE or DELETE on {table.name}, which the audit log covers: change its "
                           f"rows through the ORM so that each is recorded.")
    described = state.statement.returning_column_descriptions
    if not described or described[0]["name"] != key_column(table).name:
        raise RuntimeError(f"An INSERT into {table.name}, which the audit log covers, must return "
                           f"{key_column(table).name} first so that each new row is recorded.")
    frozen = state.invoke_statement().freeze()
    ids = [row[0] for row in frozen().all()]
    _touched(state.session).setdefault(table.name, set()).update(ids)
    return frozen()


def pending(session: Session) -> bool:
    return bool(session.info.get(_KEY))


def take_snapshots(session: Session) -> str | None:
    """The rows this transaction wrote, read back as stored, as ``rows_json`` (None if it wrote none).

    ``[[table, key, snapshot or null for a deleted row], ...]``, sorted, one entry per row.
    """
    session.flush()
    touched = session.info.pop(_KEY, None)
    if not touched:
        return None
    out = []
    for name in sorted(touched):
        ids = sorted(touched[name], key=row_key)
        found = dict(reader(name).rows(session, ids))
        out.extend([name, row_key(ident), found.get(row_key(ident))] for ident in ids)
    return json.dumps(out, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
