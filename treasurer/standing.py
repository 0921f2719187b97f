"""A member's standing, and how it is made from the rows of ``treasurer.ledger.standings``' three statements.

Apart from the ledger (and free of SQLAlchemy) so that the quick path of ``member show`` and ``arrears``
(``treasurer.member_quick``), which runs the same statements through the standard library, builds it with the
same code.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable


@dataclasses.dataclass(frozen=True)
class Standing:
    charged_cents: int
    credited_cents: int
    balance_cents: int          # positive: owed; negative: credit on account
    paid_through: str | None    # the last period fully paid, with everything before it
    months_in_arrears: int
    overdue_cents: int
    oldest_unpaid: str | None
    pending_cents: int = 0      # ACH not yet settled: shown, not counted

    @property
    def credit_cents(self) -> int:
        return max(0, -self.balance_cents)


def standings_from_rows(walked: Iterable[tuple], pending: Iterable[tuple], credits: Iterable[tuple],
                        member_ids: Iterable[int] = ()) -> dict[int, Standing]:
    """Each member's standing from the walk's rows (member_id, charged, credited, paid_through, oldest_unpaid,
    months_in_arrears, overdue_cents), the pending payments' (member_id, cents) and the credits' (member_id,
    credit); ``member_ids`` are given a standing even with nothing at all."""
    result: dict[int, Standing] = {}
    for mid, charged, credited, paid_through, oldest, months_behind, overdue_cents in walked:
        result[mid] = Standing(int(charged), int(credited), int(charged) - int(credited),
                               paid_through.split("|", 1)[1] if paid_through else None, int(months_behind or 0),
                               int(overdue_cents or 0), oldest.split("|", 1)[1] if oldest else None)
    # Members with credits or pending payments but nothing charged yet.
    pending = dict(pending)
    for mid, credited in credits:
        if mid not in result:
            result[mid] = Standing(0, int(credited), -int(credited), None, 0, 0, None)
    for mid in set(pending) | set(member_ids):
        base = result.get(mid) or Standing(0, 0, 0, None, 0, 0, None)
        result[mid] = dataclasses.replace(base, pending_cents=int(pending.get(mid, 0)))
    return result
