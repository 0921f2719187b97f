"""Which slips go out by email, and which members are reminded: the letters, before anything is sent.

A slip goes out when it is open, has its payment link, and its member has an email address.  A reminder
goes out for an open slip N days after its pay-by date (the hall's schedule, ``mail_settings``); only the
latest reminder due is sent, each once.  A slip that is paid or replaced is no longer open, so nobody is
reminded of what they have paid, and a replacement slip is emailed only when the slips are emailed again.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .errors import ValidationError
from .hall import Hall
from .mail_message import Letter
from .mail_settings import ReminderSchedule, check_address
from .members import find_member
from .models import Member, Slip
from .outbox import NotSent, Outgoing, Report, states, why_not
from .periods import parse_period


def _letter(slip: Slip, kind: str, settings: dict[str, str]) -> Letter:
    m = slip.member
    return Letter(slip.id, kind, m.member_number, f"{m.first_name} {m.last_name}".strip(), m.email.strip(),
                  settings["hall_name"], settings["hall_address"], slip.periods, slip.covers, slip.amount_cents,
                  slip.currency, slip.pay_by, slip.url or "")


def _reachable(slip: Slip, report: Report) -> bool:
    m = slip.member
    name = f"{m.first_name} {m.last_name}".strip()
    if not m.email.strip():
        report.not_sent.append(NotSent(m.member_number, name, slip.id, "no email address on the roll"))
        return False
    try:
        check_address(m.email.strip(), "member's email")
    except ValidationError:
        report.not_sent.append(NotSent(m.member_number, name, slip.id,
                                       f"the email address {m.email.strip()!r} is not a valid address"))
        return False
    if not m.email.strip().isascii():
        report.not_sent.append(NotSent(m.member_number, name, slip.id, f"the email address {m.email.strip()!r} has "
                                       "letters beyond plain ASCII, which mail servers do not all take"))
        return False
    if not slip.url:
        report.not_sent.append(NotSent(m.member_number, name, slip.id,
                                       "the slip has no payment link yet; run 'treasurer slips create' again"))
        return False
    return True


def slip_letters(hall: Hall, code: str, member_numbers: list[str] | None = None
                 ) -> tuple[list[Outgoing], Report]:
    """Each open slip for the period (its periods include it), one message per slip; who is left out and why."""
    span = parse_period(code)
    settings = hall.settings()
    report = Report()
    with hall.read() as s:
        ids = [find_member(s, n).id for n in member_numbers] if member_numbers else None
        query = (select(Slip).join(Member, Member.id == Slip.member_id).options(joinedload(Slip.member))
                 .where(Slip.status == "open").order_by(Member.member_number, Slip.id))
        if ids is not None:
            query = query.where(Slip.member_id.in_(ids))
        slips = [x for x in s.scalars(query) if span.code in x.periods.split(",")]
    if ids is not None:
        with_slip = {x.member_id for x in slips}
        with hall.read() as s:
            for number in member_numbers or []:
                member = find_member(s, number)
                if member.id not in with_slip:
                    report.not_sent.append(NotSent(member.member_number,
                                                   f"{member.first_name} {member.last_name}".strip(), None,
                                                   f"no open slip for {span.code}"))
    outgoing = [Outgoing(x.member_id, _letter(x, "slip", settings)) for x in slips if _reachable(x, report)]
    return outgoing, report


def reminder_number(schedule: ReminderSchedule, days_late: int) -> int:
    """The latest reminder due ``days_late`` days after the pay-by date (0: none yet)."""
    number = 0
    for k in range(1, schedule.most + 1):
        if schedule.day_of(k) <= days_late:
            number = k
    return number


def reminder_letters(hall: Hall, schedule: ReminderSchedule, today: dt.date) -> tuple[list[Outgoing], Report]:
    """The reminders due today: per open slip past its pay-by date, the latest one due, if not sent yet."""
    settings = hall.settings()
    report = Report()
    if schedule.most <= 0:
        return [], report
    first = schedule.day_of(1)
    with hall.read() as s:
        slips = list(s.scalars(
            select(Slip).join(Member, Member.id == Slip.member_id).options(joinedload(Slip.member))
            .where(Slip.status == "open", Slip.pay_by <= today - dt.timedelta(days=first),
                   Member.status != "deceased")
            .order_by(Member.member_number, Slip.id)))
        found = states(s, [x.id for x in slips])
    outgoing = []
    for slip in slips:
        number = reminder_number(schedule, (today - slip.pay_by).days)
        if not number:
            continue
        later = [found.get((slip.id, f"reminder-{k}")) for k in range(number + 1, schedule.most + 1)]
        if any(state is not None and state.step in ("sent", "sending", "unknown") for state in later):
            continue
        kind = f"reminder-{number}"
        if why_not(found.get((slip.id, kind)), slip.member.email.strip()):
            continue                   # already sent (or refused, or cut off): not news for today's list
        if _reachable(slip, report):
            outgoing.append(Outgoing(slip.member_id, _letter(slip, kind, settings)))
    return outgoing, report
