"""The dashboard's numbers: this month's money, arrears by age, twelve months of expected vs collected."""

from __future__ import annotations

import dataclasses
import datetime as dt

from treasurer import clock
from treasurer.hall import Hall

from . import queries

BUCKETS = (("1 month", 1, 1), ("2 months", 2, 2), ("3–5 months", 3, 5), ("6+ months", 6, 10**6))


@dataclasses.dataclass(frozen=True)
class Dashboard:
    month: dt.date
    expected_cents: int
    collected_cents: int
    collected_by_method: dict[str, int]
    pending_cents: int
    outstanding_cents: int
    members_owing: int
    arrears: list[tuple[str, int, int]]          # (bucket, members, overdue cents)
    months: list[dt.date]                        # the last 12 months, oldest first
    expected_by_month: list[int]
    collected_by_month: list[int]

    @property
    def collection_rate(self) -> float | None:
        return self.collected_cents / self.expected_cents if self.expected_cents else None


def month_start(day: dt.date, back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def dashboard(hall: Hall, today: dt.date | None = None, rows: list[queries.MemberRow] | None = None) -> Dashboard:
    today = today or clock.today()
    this_month = month_start(today)
    months = [month_start(today, back) for back in range(11, -1, -1)]
    expected, collected, pending = queries.month_totals(hall, months[0])
    rows = rows if rows is not None else queries.member_rows(hall, today)
    arrears = []
    for label, low, high in BUCKETS:
        inside = [r for r in rows if low <= r.months_in_arrears <= high]
        arrears.append((label, len(inside), sum(r.standing.overdue_cents for r in inside)))
    by_method = collected.get(this_month, {})
    return Dashboard(
        this_month, expected.get(this_month, 0), sum(by_method.values()), dict(by_method), pending,
        sum(r.balance_cents for r in rows if r.balance_cents > 0), sum(1 for r in rows if r.balance_cents > 0),
        arrears, months, [expected.get(m, 0) for m in months],
        [sum(collected.get(m, {}).values()) for m in months])
