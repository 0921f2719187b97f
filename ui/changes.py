"""What changed in the books since the window last looked: read from the audit log, not guessed.

Every write goes through ``Hall.write``, whose last audit entry lists every row the transaction wrote
(``rows_json``: ``[[table, key, snapshot], ...]``).  Reading the entries after the last ``seq`` the window
saw gives the payments that arrived or changed and the members they touched, so the screens update those
rows instead of reloading everything.  A write the screens cannot follow row by row (a new classification,
a rate, a period, a setting, a bulk write of thousands of rows) asks for a full reload instead.
"""

from __future__ import annotations

import dataclasses
import json

from sqlalchemy import func, select

from treasurer.hall import Hall
from treasurer.models import AuditEntry

# Tables whose rows the screens follow one by one; a row of any other covered table reloads everything.
FOLLOWED = frozenset({"payments", "charges", "adjustments", "adjustment_decisions", "members", "review_items",
                      "slips", "refunds", "disputes", "link_closures"})
TOO_MANY_ROWS = 20_000     # past this, reloading is cheaper than following each row
# Settings the screens show (names, money's currency, the dues calendar); the relay's and Stripe's own
# bookkeeping kept in settings (cursors, endpoints) changes nothing on show.
SHOWN_SETTINGS = frozenset({"hall_name", "hall_address", "currency", "treasurer_name", "due_day", "grace_day",
                            "amount_ceiling"})


@dataclasses.dataclass(frozen=True)
class Changes:
    seq: int                                    # the last audit entry read
    payment_ids: frozenset[int] = frozenset()
    member_ids: frozenset[int] = frozenset()    # members whose standing or details may have changed
    tables: frozenset[str] = frozenset()        # every covered table written
    everything: bool = False                    # follow nothing: reload every screen

    @property
    def empty(self) -> bool:
        return not self.tables and not self.everything


def head(hall: Hall) -> int:
    """The newest audit entry's ``seq`` (0 for empty books)."""
    with hall.read() as s:
        return int(s.scalar(select(func.coalesce(func.max(AuditEntry.seq), 0))) or 0)


def changes_since(hall: Hall, seq: int) -> Changes:
    """The rows written after audit entry ``seq``, as ids the screens can update."""
    with hall.read() as s:
        entries = s.execute(select(AuditEntry.seq, AuditEntry.rows_json, AuditEntry.before_json)
                            .where(AuditEntry.seq > seq).order_by(AuditEntry.seq)).all()
    last = entries[-1][0] if entries else seq
    payments: set[int] = set()
    members: set[int] = set()
    tables: set[str] = set()
    everything = False
    count = 0
    for _, rows_json, before_json in entries:
        if before_json and '"member_id"' in before_json:
            before = json.loads(before_json)     # a row moved from one member to another: both are touched
            if isinstance(before, dict) and before.get("member_id") is not None:
                members.add(int(before["member_id"]))
        if not rows_json:
            continue
        rows = json.loads(rows_json)
        count += len(rows)
        if count > TOO_MANY_ROWS:
            everything = True
            break
        for table, key, snapshot in rows:
            tables.add(table)
            if table == "settings" and key not in SHOWN_SETTINGS:
                continue
            if table not in FOLLOWED:
                everything = True
                continue
            if table == "members":
                members.add(int(key))
            elif table == "payments":
                payments.add(int(key))
            if table == "adjustment_decisions":
                everything = True           # names an adjustment, not a member: rare, reload
            elif snapshot is not None and snapshot.get("member_id") is not None:
                members.add(int(snapshot["member_id"]))
            elif snapshot is None and table in ("payments", "charges", "adjustments"):
                everything = True           # a deleted money row (never by the app): its member is unknown
    return Changes(last, frozenset(payments), frozenset(members), frozenset(tables), everything)
