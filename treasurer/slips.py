"""Payment slips: what a member owes, a Stripe payment link for exactly that, and the link's life.

A slip row is committed before its link is created, and the link's idempotency
key is derived from the slip, so a crash or a lost answer between the two is
mended by running the same command again: Stripe answers with the same link.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from . import clock, member_reads
from .audit import snapshot
from .dues import ASSESSED_STATUSES
from .errors import NotFound, ValidationError
from .gateway import Gateway
from .hall import Hall
from .ledger import allocate, load_entries
from .member_sheet import SlipHistory, slip_histories
from .members import find_member
from .models import Charge, DuesPeriod, Member, Slip
from .payment_links import SLIP_FIELDS, close_links, record_closed_in
from .periods import parse_period

MAX_LINE_ITEMS = 20  # Stripe's limit per payment link


@dataclasses.dataclass(frozen=True)
class Owed:
    member_id: int
    member_number: str
    name: str
    lines: list[tuple[str, int]]   # (period, cents still owed), oldest first

    @property
    def amount_cents(self) -> int:
        return sum(c for _, c in self.lines)

    @property
    def periods(self) -> str:
        return ",".join(p for p, _ in self.lines)


@dataclasses.dataclass(frozen=True)
class SlipOutcome:
    slip_id: int
    member_number: str
    amount_cents: int
    url: str
    reused: bool


def owed(session: Session, code: str, arrears: bool, member_ids: list[int] | None) -> tuple[list[Owed], list[str]]:
    """What each member owes for the period (or all arrears up to it), and why some were left out."""
    span = parse_period(code)
    query = select(Member).order_by(Member.member_number)
    query = query.where(Member.id.in_(member_ids)) if member_ids is not None else query.where(
        Member.status.in_(ASSESSED_STATUSES))
    members = list(session.scalars(query))
    debits, credits, pending = load_entries(session, [m.id for m in members])
    charge_periods = dict(session.execute(
        select(Charge.id, DuesPeriod.code).join(DuesPeriod, Charge.period_id == DuesPeriod.id)
        .where(Charge.member_id.in_([m.id for m in members]))).all())
    result, notes = [], []
    for m in members:
        if pending.get(m.id):
            notes.append(f"{m.member_number}: a bank payment is still pending; no slip until it settles")
            continue
        _, unpaid = allocate(debits[m.id], credits[m.id])
        lines = []
        for debit in sorted(debits[m.id], key=lambda d: d.sort_key):
            left = unpaid[debit.key]
            if not left:
                continue
            kind, ident = debit.key.split(":")
            label = charge_periods[int(ident)] if kind == "charge" else f"adjustment {ident}"
            if label == span.code or (arrears and debit.day <= span.ends_on):
                lines.append((label, left))
        if lines:
            result.append(Owed(m.id, m.member_number, f"{m.first_name} {m.last_name}".strip(), lines))
        elif member_ids is not None:
            notes.append(f"{m.member_number}: owes nothing for {span.code}{' or before' if arrears else ''}")
    return result, notes


def link_params(hall_name: str, install_id: str, currency: str, slip: Slip, owed_: Owed) -> dict:
    metadata = {"slip_id": str(slip.id), "member_number": owed_.member_number, "periods": slip.periods,
                "hall": install_id}
    lines = owed_.lines
    if len(lines) > MAX_LINE_ITEMS:
        lines = [(f"{lines[0][0]} to {lines[-1][0]}", owed_.amount_cents)]
    items = [{"price_data": {"currency": currency, "unit_amount": cents,
                             "product_data": {"name": f"{hall_name} dues {label}".strip()}},
              "quantity": 1} for label, cents in lines]
    return {
        "line_items": items,
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata,
                                "description": f"Dues {slip.periods} for member {owed_.member_number}"},
        "restrictions": {"completed_sessions": {"limit": 1}},
        "payment_method_types": ["card", "us_bank_account"],
        "inactive_message": "This slip has been paid or replaced. Please use your latest slip or contact the hall.",
    }


def idempotency_key(install_id: str, slip_id: int) -> str:
    return f"treasurer-{install_id}-slip-{slip_id}-link"


def pay_by(session: Session, code: str, today: dt.date) -> dt.date:
    grace = session.scalar(select(DuesPeriod.grace_ends_on).where(DuesPeriod.code == parse_period(code).code))
    return grace if grace and grace >= today else today + dt.timedelta(days=14)


def create_slips(hall: Hall, gateway: Gateway, code: str, member_numbers: list[str] | None = None,
                 arrears: bool = False, progress: Callable[[int, int], bool] | None = None
                 ) -> tuple[list[SlipOutcome], list[str]]:
    """A slip and link per member; ``progress(done, total)`` returning False stops cleanly between members."""
    settings = hall.settings()
    install_id = settings["install_id"]
    if not install_id:
        raise ValidationError("The hall has no id yet: run 'treasurer init' again with its name.")
    with hall.read() as s:
        ids = [find_member(s, n).id for n in member_numbers] if member_numbers else None
        plan, notes = owed(s, code, arrears, ids)
        due = pay_by(s, code, clock.today())
    # Links of slips superseded since (a counter payment, an adjustment...) go off first; a failure stays queued.
    queued = close_links(hall, gateway)
    if queued.failed:
        notes.append(f"{len(queued.failed)} old payment links could not be switched off yet; the next sync retries.")
    outcomes = []
    for index, item in enumerate(plan):
        if progress is not None and progress(index, len(plan)) is False:
            notes.append(f"Stopped after {index} of {len(plan)} members; run the command again to finish.")
            break
        outcomes.append(_slip_for(hall, gateway, item, arrears, due, settings))
    if progress is not None:
        progress(len(outcomes), len(plan))
    return outcomes, notes


def _slip_for(hall: Hall, gateway: Gateway, item: Owed, arrears: bool, due: dt.date, settings: dict) -> SlipOutcome:
    with hall.read() as s:
        open_slips = list(s.scalars(select(Slip).where(Slip.member_id == item.member_id, Slip.status == "open")))
    same = next((x for x in open_slips if x.amount_cents == item.amount_cents and x.periods == item.periods), None)
    closed = [old.link_id for old in open_slips if old is not same and old.link_id]
    for link_id in closed:
        gateway.deactivate_payment_link(link_id)
    with hall.write() as tx:
        for old in open_slips:
            if old is not same:
                _set_status(tx, tx.session.get(Slip, old.id), "superseded")
        record_closed_in(tx, closed)
        if same is None:
            slip = Slip(member_id=item.member_id, periods=item.periods, covers="arrears" if arrears else "period",
                        amount_cents=item.amount_cents, currency=settings["currency"], status="open", pay_by=due,
                        created_at=clock.stamp())
            tx.session.add(slip)
            tx.session.flush()
            tx.audit("slip.create", "slip", slip.id, None, snapshot(slip, SLIP_FIELDS))
        else:
            slip = tx.session.get(Slip, same.id)
    if slip.link_id:
        return SlipOutcome(slip.id, item.member_number, slip.amount_cents, slip.url, True)
    link = gateway.create_payment_link(
        link_params(settings["hall_name"], settings["install_id"], settings["currency"], slip, item),
        idempotency_key(settings["install_id"], slip.id))
    with hall.write() as tx:
        row = tx.session.get(Slip, slip.id)
        before = snapshot(row, SLIP_FIELDS)
        row.link_id, row.url = link["id"], link["url"]
        tx.session.flush()
        tx.audit("slip.link", "slip", row.id, before, snapshot(row, SLIP_FIELDS))
    return SlipOutcome(slip.id, item.member_number, slip.amount_cents, link["url"], same is not None)


def _set_status(tx, slip: Slip, status: str) -> None:
    before = snapshot(slip, SLIP_FIELDS)
    slip.status = status
    tx.session.flush()
    tx.audit(f"slip.{status}", "slip", slip.id, before, snapshot(slip, SLIP_FIELDS))


def void_slip(hall: Hall, gateway: Gateway | None, slip_id: int) -> Slip:
    with hall.read() as s:
        slip = s.get(Slip, slip_id)
        if slip is None:
            raise NotFound(f"There is no slip {slip_id}.")
        if slip.status != "open":
            raise ValidationError(f"Slip {slip_id} is {slip.status}, not open; only an open slip can be voided.")
    if slip.link_id:
        if gateway is None:
            raise ValidationError("Voiding this slip needs Stripe, to switch its payment link off.")
        gateway.deactivate_payment_link(slip.link_id)
    with hall.write() as tx:
        row = tx.session.get(Slip, slip_id)
        _set_status(tx, row, "void")
        if row.link_id:
            record_closed_in(tx, [row.link_id])
        return row


def list_slips(hall: Hall, status: str | None = None) -> list[Slip]:
    with hall.read() as s:
        query = select(Slip).options(joinedload(Slip.member)).order_by(Slip.id)
        if status:
            query = query.where(Slip.status == status)
        return list(s.scalars(query))


def member_slips(hall: Hall, member_number: str) -> list[SlipHistory]:
    """The member's slips, newest first, each with its status, when it changed and why (from the audit log).

    The same statements 'treasurer member show' runs without SQLAlchemy (treasurer.member_quick)."""
    with hall.read() as s:
        mid = {"member_id": find_member(s, member_number).id}
        slips = s.execute(member_reads.slips(), mid).all()
        if not slips:
            return []
        return slip_histories(slips, s.execute(member_reads.slip_changes(), mid).all(),
                              s.scalars(member_reads.closed_links(), mid).all())
