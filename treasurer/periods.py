"""Dues periods (``2026-12``, ``2026-Q4``), their dates, and closing them."""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from .text_input import clean_name
from . import audit, clock
from .errors import PeriodClosed, ValidationError
from .hall import Hall, Tx
from .models import DuesPeriod, PeriodClosing
from .officers import authenticate

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
_QUARTER = re.compile(r"^(\d{4})-[Qq]([1-4])$")


@dataclasses.dataclass(frozen=True)
class PeriodSpan:
    code: str
    frequency: str
    starts_on: dt.date
    ends_on: dt.date

    @property
    def months(self) -> int:
        return 1 if self.frequency == "monthly" else 3


def parse_period(code: str) -> PeriodSpan:
    text = code.strip()
    if m := _MONTH.match(text):
        year, month = int(m[1]), int(m[2])
        if not 1 <= month <= 12:
            raise ValidationError(f"The period {code!r} has no month {month}; use YYYY-MM, e.g. 2026-12.")
        last = calendar.monthrange(year, month)[1]
        return PeriodSpan(f"{year:04d}-{month:02d}", "monthly", dt.date(year, month, 1), dt.date(year, month, last))
    if m := _QUARTER.match(text):
        year, quarter = int(m[1]), int(m[2])
        first = 3 * (quarter - 1) + 1
        last = calendar.monthrange(year, first + 2)[1]
        return PeriodSpan(f"{year:04d}-Q{quarter}", "quarterly", dt.date(year, first, 1),
                          dt.date(year, first + 2, last))
    raise ValidationError(f"The period {code!r} is not a month (2026-12) or a quarter (2026-Q4).")


def period_for_date(day: dt.date, frequency: str) -> PeriodSpan:
    if frequency == "monthly":
        return parse_period(f"{day.year}-{day.month:02d}")
    return parse_period(f"{day.year}-Q{(day.month - 1) // 3 + 1}")


def next_period(span: PeriodSpan) -> PeriodSpan:
    return period_for_date(span.ends_on + dt.timedelta(days=1), span.frequency)


def _clamped(day_of_month: int, start: dt.date) -> dt.date:
    last = calendar.monthrange(start.year, start.month)[1]
    return start.replace(day=max(1, min(day_of_month, last)))


def get_or_create_period(tx: Tx, code: str, due_day: int = 1, grace_day: int = 15) -> DuesPeriod:
    span = parse_period(code)
    period = tx.session.scalar(select(DuesPeriod).where(DuesPeriod.code == span.code))
    if period:
        return period
    period = DuesPeriod(code=span.code, frequency=span.frequency, starts_on=span.starts_on, ends_on=span.ends_on,
                        due_on=_clamped(due_day, span.starts_on), grace_ends_on=_clamped(grace_day, span.starts_on))
    tx.session.add(period)
    tx.session.flush()
    tx.audit("period.create", "period", period.code, None,
             {"due_on": period.due_on.isoformat(), "grace_ends_on": period.grace_ends_on.isoformat()})
    return period


def is_closed(session: Session, period_id: int) -> bool:
    last = session.scalar(
        select(PeriodClosing.action).where(PeriodClosing.period_id == period_id)
        .order_by(PeriodClosing.id.desc()).limit(1)
    )
    return last == "close"


def closed_period_containing(session: Session, day: dt.date) -> DuesPeriod | None:
    """The closed period (of either frequency) a date falls in, if any."""
    candidates = session.scalars(
        select(DuesPeriod).where(DuesPeriod.starts_on <= day, DuesPeriod.ends_on >= day)
    )
    for period in candidates:
        if is_closed(session, period.id):
            return period
    return None


def ensure_open_date(session: Session, day: dt.date, what: str) -> None:
    period = closed_period_containing(session, day)
    if period is not None:
        raise PeriodClosed(
            f"The {what} date {day.isoformat()} falls in period {period.code}, which is closed; "
            f"use a date in an open period."
        )


def close_period(hall: Hall, code: str, officer_name: str, note: str, pin: str) -> PeriodClosing:
    """Close ``code``, the officer proven by their PIN; the closing records the audit chain's anchor."""
    return _set_closed(hall, code, officer_name, note, "close", pin)


def reopen_period(hall: Hall, code: str, officer_name: str, reason: str, pin: str) -> PeriodClosing:
    if not reason.strip():
        raise ValidationError("Reopening a closed period needs a reason.")
    return _set_closed(hall, code, officer_name, reason, "reopen", pin)


def _set_closed(hall: Hall, code: str, officer_name: str, note: str, action: str, pin: str) -> PeriodClosing:
    span = parse_period(code)
    with hall.write() as tx:
        officer = authenticate(tx, officer_name, pin)
        period = tx.session.scalar(select(DuesPeriod).where(DuesPeriod.code == span.code))
        if period is None:
            raise ValidationError(f"Period {span.code} has not been assessed, so there is nothing to {action}.")
        closed = is_closed(tx.session, period.id)
        if action == "close" and closed:
            raise ValidationError(f"Period {span.code} is already closed.")
        if action == "reopen" and not closed:
            raise ValidationError(f"Period {span.code} is not closed.")
        row = PeriodClosing(period_id=period.id, action=action, officer_id=officer.id,
                            note=clean_name(note, "note", required=False),
                            at=clock.stamp())
        record = {"officer": officer.name, "note": row.note}
        if action == "close":
            # The chain's head just before the closing's own entry: kept on paper by the trustees, it lets
            # 'audit verify --expect SEQ:HASH' catch a log cut off or re-hashed after this point.
            tx.flush_audit()
            row.anchor_seq, row.anchor_hash = audit.head(tx.session)
            record |= {"anchor_seq": row.anchor_seq, "anchor_hash": row.anchor_hash}
        tx.session.add(row)
        tx.session.flush()
        tx.audit(f"period.{action}", "period", span.code, None, record)
        return row


def anchor_text(closing: PeriodClosing) -> str:
    """``SEQ:HASH``, as the trustees write it down and 'audit verify --expect' takes it."""
    return audit.anchor_text(closing.anchor_seq, closing.anchor_hash)
