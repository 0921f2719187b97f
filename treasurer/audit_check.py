"""The whole check behind ``treasurer audit verify``: the chain, anchors kept outside the file, and the books
against the log.

The chain alone proves that the log was not edited; it says nothing of the tables.  Here every row of every
table the log covers (``audit_rows.COVERED``) must equal the latest snapshot the log holds for it, every row
must have one, and no row the log knows may be gone.  Anchors (``SEQ:HASH`` pairs the trustees wrote down,
such as the one printed when a period closes) catch a log that was cut short or rewritten from its start.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import audit, audit_rows
from .errors import ValidationError
from .models import AuditEntry

ROWS_JSON = audit.AUDIT_COLUMNS.index("rows_json")


@dataclasses.dataclass(frozen=True)
class Difference:
    """One row that does not agree with the log: ``table``, the row's key, and what is wrong."""

    table: str
    row: str
    problem: str

    def __str__(self) -> str:
        return f"{self.table} row {self.row}: {self.problem}"


@dataclasses.dataclass(frozen=True)
class Anchor:
    seq: int
    hash: str

    def __str__(self) -> str:
        return audit.anchor_text(self.seq, self.hash)


def parse_anchor(text: str) -> Anchor:
    """``SEQ:HASH`` as printed by ``audit verify`` and by closing a period."""
    seq, sep, digest = text.strip().partition(":")
    digest = digest.strip().lower()
    if not sep or not seq.strip().isascii() or not seq.strip().isdigit() or len(digest) != 64 \
            or any(c not in "0123456789abcdef" for c in digest):
        raise ValidationError(f"The anchor {text!r} is not of the form SEQ:HASH (an entry number, a colon and "
                              f"the 64-character hash printed with it).")
    return Anchor(int(seq), digest)


@dataclasses.dataclass(frozen=True)
class BooksReport:
    chain: audit.ChainReport
    anchor_problems: tuple[str, ...]
    differences: tuple[Difference, ...]
    rows_checked: int
    compared: bool          # False when a broken chain made the log's snapshots untrustworthy

    @property
    def ok(self) -> bool:
        return self.chain.ok and not self.anchor_problems and not self.differences and self.compared

    @property
    def first_problem(self) -> str:
        if not self.chain.ok:
            return str(self.chain)
        if self.anchor_problems:
            return self.anchor_problems[0]
        if self.differences:
            return str(self.differences[0])
        return ""

    def lines(self, most: int | None = None) -> list[str]:
        """What a treasurer or a trustee reads: the chain's line, then each problem."""
        out = [f"audit chain OK: {self.chain.entries} entries, head {self.chain.head}" if self.chain.ok
               else str(self.chain)]
        out += [f"anchor: {problem}" for problem in self.anchor_problems]
        if not self.compared:
            out.append("The books were not compared with the log, since the log itself does not hold.")
        elif not self.differences:
            out.append(f"books OK: {self.rows_checked} rows in {len(audit_rows.COVERED)} tables agree with "
                       f"the audit log.")
        else:
            count = len(self.differences)
            out.append(f"books DIFFER from the audit log: {count} row{'s' if count != 1 else ''}.")
            shown = self.differences if most is None else self.differences[:most]
            out += [f"  {difference}" for difference in shown]
            if len(shown) < count:
                out.append(f"  ... and {count - len(shown)} more.")
        return out


def check_hall(hall, expect: Iterable[Anchor] = ()) -> BooksReport:
    """The whole check on a hall's books, read at one moment (the app may go on writing meanwhile)."""
    with hall.db.snapshot() as session:
        return check(session, expect)


def check(session: Session, expect: Iterable[Anchor] = ()) -> BooksReport:
    """The chain, the anchors and every covered row, read in ``session``'s transaction, which must see the
    database at one moment (``Database.snapshot``)."""
    latest: dict[tuple[str, str], tuple[int, dict | None]] = {}

    def collect(entry: Sequence) -> None:
        seq = entry[0]
        for table, key, snap in json.loads(entry[ROWS_JSON]):
            latest[table, key] = (seq, snap)

    chain = audit.verify(session, on_entry=collect)
    anchors = tuple(_check_anchors(session, expect))
    if not chain.ok:
        return BooksReport(chain, anchors, (), 0, compared=False)
    differences, checked = compare(session, latest)
    return BooksReport(chain, anchors, tuple(differences), checked, compared=True)


def compare(session: Session, latest: dict[tuple[str, str], tuple[int, dict | None]]
            ) -> tuple[list[Difference], int]:
    differences: list[Difference] = []
    checked = 0
    for name in audit_rows.COVERED:
        for ident, snap in audit_rows.reader(name).rows(session):
            checked += 1
            logged = latest.pop((name, ident), None)
            if logged is None:
                differences.append(Difference(name, ident, "is not in the audit log: it was written behind "
                                                           "the app's back."))
            elif logged[1] is None:
                differences.append(Difference(name, ident, f"was deleted in audit entry {logged[0]}, yet it "
                                                           f"is there."))
            elif logged[1] != snap:
                differences.append(Difference(name, ident, _what_differs(snap, logged[1], logged[0])))
    for (name, ident), (seq, snap) in sorted(latest.items(), key=lambda item: item[1][0]):
        if snap is not None:
            differences.append(Difference(name, ident, f"is gone: audit entry {seq} recorded it, and the "
                                                        f"books no longer have it."))
    return differences, checked


def _what_differs(found: dict, logged: dict, seq: int) -> str:
    parts = []
    for column in sorted(set(found) | set(logged)):
        here, there = found.get(column, "(no such column)"), logged.get(column, "(no such column)")
        if here != there:
            parts.append(f"{column} is {_show(here)}, the log has {_show(there)}")
    return "; ".join(parts) + f" (audit entry {seq})."


def _show(value) -> str:
    text = json.dumps(value, ensure_ascii=False, default=lambda v: f"blob:{v.hex()}" if isinstance(v, bytes) else str(v))
    return text if len(text) <= 60 else text[:57] + "..."


def _check_anchors(session: Session, expect: Iterable[Anchor]) -> Iterable[str]:
    for anchor in expect:
        found = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == anchor.seq))
        if found is None:
            count, _ = audit.head(session)
            yield (f"entry {anchor.seq} is not in the log, which ends at entry {count}: entries were cut off "
                   f"after the anchor was written down.")
        elif found != anchor.hash:
            yield (f"entry {anchor.seq} has the hash {found}, not {anchor.hash} as written down: the log was "
                   f"rewritten up to that entry.")
