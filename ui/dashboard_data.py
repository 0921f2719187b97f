"""The dashboard's numbers: this month's money, arrears by age, twelve months of expected vs collected."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import case, func, select

from treasurer import clock
from treasurer.hall import Hall
from treasurer.ledger import standing_totals_select

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


def arrears_figures(hall: Hall, today: dt.date) -> tuple[int, int, list[tuple[str, int, int]]]:
    """(outstanding cents, members owing, arrears by bucket): SQL aggregates over every member's standing
    (``standing_totals_select``: the figures of ``treasurer.ledger.standings``, walking only members behind)."""
    st = standing_totals_select(today).subquery("standing")
    balance = st.c.charged - st.c.credited
    owing = balance > 0
    columns = [func.coalesce(func.sum(case((owing, balance), else_=0)), 0), func.count(case((owing, 1)))]
    for _, low, high in BUCKETS:
        inside = st.c.months_in_arrears.between(low, high)
        columns += [func.count(case((inside, 1))), func.coalesce(func.sum(case((inside, st.c.overdue_cents),
                                                                               else_=0)), 0)]
    with hall.read() as s:
        values = [int(v or 0) for v in s.execute(select(*columns)).one()]
    buckets = [(label, values[2 + 2 * i], values[3 + 2 * i]) for i, (label, _, _) in enumerate(BUCKETS)]
    return values[0], values[1], buckets


def dashboard(hall: Hall, today: dt.date | None = None) -> Dashboard:
    """The dashboard's figures: a handful of SQL aggregates, no loop over members (safe off the UI thread)."""
    today = today or clock.today()
    this_month = month_start(today)
    months = [month_start(today, back) for back in range(11, -1, -1)]
    expected, collected, pending = queries.month_totals(hall, months[0])
    outstanding, owing, arrears = arrears_figures(hall, today)
    by_method = collected.get(this_month, {})
    return Dashboard(
        this_month, expected.get(this_month, 0), sum(by_method.values()), dict(by_method), pending,
        outstanding, owing, arrears, months, [expected.get(m, 0) for m in months],
        [sum(collected.get(m, {}).values()) for m in months])
