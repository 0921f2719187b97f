"""The append-only, hash-chained audit log.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's own
canonical content (sequence number included), so an edited, deleted, inserted
or reordered row breaks the chain from that row on.  Triggers installed by the
first migration refuse UPDATE and DELETE on the table; the chain catches what is
done behind the database's back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from . import clock
from .models import AuditEntry

GENESIS = "0" * 64
# One encoder for every entry (json.dumps with options builds a new one per call): the same text as
# json.dumps(..., separators=(",", ":"), ensure_ascii=False).
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def canonical_json(value: Any) -> str | None:
    if value is None:
        return None
    return _CANONICAL(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# The same text as json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
# default=_json_default), from one encoder.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                              default=_json_default).encode


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, entity_type: str,
               entity_id: str, before_json: str | None, after_json: str | None,
               rows_json: str | None = None) -> str:
    fields = [seq, at, actor, action, entity_type, entity_id, before_json, after_json]
    if rows_json is not None:  # entries written before 0009 carry no row snapshots and hash as they did
        fields.append(rows_json)
    content = _ENCODE(fields)
    return hashlib.sha256((prev_hash + "\n" + content).encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class Change:
    action: str
    entity_type: str
    entity_id: str | int
    before: dict | None = None
    after: dict | None = None
    rows_json: str | None = None    # full snapshots of the rows this change's transaction wrote


def record(session: Session, actor: str, change: Change) -> None:
    record_many(session, actor, [change])


def record_many(session: Session, actor: str, changes: Sequence[Change]) -> None:
    """Append entries in the caller's transaction (which holds the write lock)."""
    if not changes:
        return
    seq, prev = head(session)
    at = clock.stamp()
    rows = []
    for change in changes:
        seq += 1
        before = canonical_json(change.before)
        after = canonical_json(change.after)
        entity_id = str(change.entity_id)
        digest = entry_hash(prev, seq, at, actor, change.action, change.entity_type, entity_id, before, after,
                            change.rows_json)
        rows.append(
            dict(seq=seq, at=at, actor=actor, action=change.action, entity_type=change.entity_type,
                 entity_id=entity_id, before_json=before, after_json=after, rows_json=change.rows_json,
                 prev_hash=prev, hash=digest)
        )
        prev = digest
    # One executemany for them all, on the session's connection (the ORM's bulk insert splits the rows into many
    # statements wherever rows_json is None on some and not on others); on SQLite straight to the driver (text and
    # integers only: nothing for SQLAlchemy to convert).
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql(_SQLITE_INSERT, [tuple(row[c] for c in AUDIT_COLUMNS) for row in rows])
    else:
        conn.execute(insert(AuditEntry.__table__), rows)


@dataclasses.dataclass(frozen=True)
class ChainReport:
    ok: bool
    entries: int
    head: str
    broken_seq: int | None = None
    problem: str = ""
    expected: str = ""
    found: str = ""

    def __str__(self) -> str:
        if self.ok:
            return f"audit chain OK: {self.entries} entries, head {self.head}"
        return (f"audit chain BROKEN at entry {self.broken_seq}: {self.problem} "
                f"(expected {self.expected}, found {self.found})")


AUDIT_COLUMNS = ("seq", "at", "actor", "action", "entity_type", "entity_id", "before_json", "after_json",
                 "rows_json", "prev_hash", "hash")


_SQLITE_INSERT = (f"INSERT INTO audit_log ({', '.join(AUDIT_COLUMNS)}) "
                  f"VALUES ({', '.join('?' * len(AUDIT_COLUMNS))})")


def verify(session: Session, batch: int = 5000,
           on_entry: Callable[[Sequence], None] | None = None) -> ChainReport:
    """Walk the whole chain; report the first entry that does not hold."""
    # Straight from the driver: the ORM's row objects cost more than the hashing on a long log.
    cursor = session.connection().exec_driver_sql(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit_log ORDER BY seq")
    return verify_rows(_batches(cursor, batch), on_entry)


def _batches(cursor, size: int) -> Iterable[Sequence]:
    while rows := cursor.fetchmany(size):
        yield from rows


def anchor_text(seq: int, digest: str) -> str:
    """An anchor: an entry's number and hash as ``SEQ:HASH``, the form closing a period prints, the trustees keep
    and 'treasurer audit verify --expect' takes."""
    return f"{seq}:{digest}"


def head(session: Session) -> tuple[int, str]:
    """The chain's newest entry as (seq, hash); (0, GENESIS) for an empty log."""
    row = session.execute(select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def verify_rows(rows: Iterable[Sequence], on_entry: Callable[[Sequence], None] | None = None) -> ChainReport:
    """Check rows of ``AUDIT_COLUMNS`` in sequence order (from any connection).

    ``on_entry`` sees each entry that carries row snapshots, once its hash holds (the books check collects
    them there).
    """
    prev = GENESIS
    expected_seq = 1
    count = 0
    for row in rows:
        seq, at, actor, action, entity_type, entity_id, before, after, rows_json, prev_hash, stored = row
        if seq != expected_seq:
            return ChainReport(False, count, prev, seq, "an entry is missing before it",
                               f"entry {expected_seq}", f"entry {seq}")
        if prev_hash != prev:
            return ChainReport(False, count, prev, seq, "it does not follow the entry before it", prev, prev_hash)
        digest = entry_hash(prev, seq, at, actor, action, entity_type, entity_id, before, after, rows_json)
        if digest != stored:
            return ChainReport(False, count, prev, seq, "its content was changed after it was written",
                               digest, stored)
        if on_entry is not None and rows_json:
            on_entry(row)
        prev = stored
        expected_seq += 1
        count += 1
    return ChainReport(True, count, prev)


def latest(session: Session, limit: int = 50, entity_type: str | None = None,
           entity_id: str | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if entity_type:
        query = query.where(AuditEntry.entity_type == entity_type)
    if entity_id is not None:
        query = query.where(AuditEntry.entity_id == str(entity_id))
    return list(session.scalars(query))


def snapshot(obj: Any, fields: Iterable[str]) -> dict:
    """The audited view of a row: the named columns, dates as ISO strings."""
    out = {}
    for name in fields:
        value = getattr(obj, name)
        out[name] = value.isoformat() if isinstance(value, (dt.date, dt.datetime)) else value
    return out
