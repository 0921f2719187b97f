"""Waivers, hardship credits, write-offs and corrections, with a second officer's approval."""

from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import select

from .text_input import clean_name
from . import clock
from .audit import snapshot
from .errors import NotFound, PermissionDenied, ValidationError
from .hall import Hall
from .limits import check_amount
from .members import find_member
from .models import Adjustment, AdjustmentDecision, Member, Officer
from .officers import authenticate
from .payment_links import close_now, link_ids, settle_open_slips
from .periods import ensure_open_date

CREDIT_KINDS = ("waiver", "hardship_credit", "write_off")     # always lower what is owed
SIGNED_KINDS = ("correction",)                                  # either way, the officer says which
ADJUSTMENT_FIELDS = ("member_id", "kind", "amount_cents", "effective_on", "reason", "requested_by_id",
                     "corrects_adjustment_id", "payment_id", "needs_approval")


@dataclasses.dataclass(frozen=True)
class PendingAdjustment:
    id: int
    member_number: str
    member_name: str
    kind: str
    amount_cents: int
    reason: str
    requested_by: str
    created_at: str


def request_adjustment(hall: Hall, member_number: str, amount_cents: int, kind: str, reason: str,
                       officer_name: str, effective_on: dt.date | None = None, increase: bool = False,
                       corrects: int | None = None, *, pin: str) -> Adjustment:
    """Record a request, the requesting officer proven by their PIN; it changes nothing owed until a different
    officer approves it."""
    if kind not in CREDIT_KINDS + SIGNED_KINDS:
        raise ValidationError(f"The kind {kind!r} is not one of: {', '.join(CREDIT_KINDS + SIGNED_KINDS)}.")
    if amount_cents <= 0:
        raise ValidationError("The amount must be more than zero.")
    if increase and kind != "correction":
        raise ValidationError("Only a correction can increase what a member owes.")
    reason = clean_name(reason, "reason", required=False)
    if not reason:
        raise ValidationError("An adjustment needs a reason.")
    day = effective_on or clock.today()
    with hall.write() as tx:
        officer = authenticate(tx, officer_name, pin)
        check_amount(tx.session, amount_cents, "adjustment amount")
        member = find_member(tx.session, member_number)
        ensure_open_date(tx.session, day, "adjustment")
        if corrects is not None and tx.session.get(Adjustment, corrects) is None:
            raise NotFound(f"There is no adjustment {corrects} to correct.")
        adjustment = Adjustment(member_id=member.id, kind=kind, amount_cents=amount_cents if increase else -amount_cents,
                                effective_on=day, reason=reason.strip(), requested_by_id=officer.id,
                                corrects_adjustment_id=corrects, needs_approval=True, created_at=clock.stamp())
        tx.session.add(adjustment)
        tx.session.flush()
        tx.audit("adjustment.request", "adjustment", adjustment.id, None,
                 snapshot(adjustment, ADJUSTMENT_FIELDS) | {"officer": officer.name})
        return adjustment


def decide(hall: Hall, adjustment_id: int, officer_name: str, pin: str, approve: bool, note: str = "",
           gateway=None) -> tuple[tuple[int, str], ...]:
    """Approve or deny; an approval supersedes the member's open slips (links off after commit: at once with
    ``gateway``, else by the link-closure queue).  Returns (slip id, status) of each slip it closed."""
    links: list[str] = []
    closed: tuple[tuple[int, str], ...] = ()
    with hall.write() as tx:
        adjustment = tx.session.get(Adjustment, adjustment_id)
        if adjustment is None:
            raise NotFound(f"There is no adjustment {adjustment_id}.")
        officer = authenticate(tx, officer_name, pin)
        if not adjustment.needs_approval:
            raise ValidationError(f"Adjustment {adjustment_id} does not need approval.")
        decided = tx.session.scalar(select(AdjustmentDecision).where(AdjustmentDecision.adjustment_id == adjustment_id))
        if decided:
            raise ValidationError(f"Adjustment {adjustment_id} was already {decided.decision}.")
        if adjustment.requested_by_id == officer.id:
            raise PermissionDenied(f"{officer.name} requested adjustment {adjustment_id}; a different officer "
                                   f"must approve or deny it.")
        if approve:
            ensure_open_date(tx.session, adjustment.effective_on, "adjustment")
            check_amount(tx.session, adjustment.amount_cents, "adjustment amount")
        row = AdjustmentDecision(adjustment_id=adjustment_id, decision="approved" if approve else "denied",
                                 officer_id=officer.id, note=clean_name(note, "note", required=False),
                                 at=clock.stamp())
        tx.session.add(row)
        tx.session.flush()
        tx.audit(f"adjustment.{row.decision}", "adjustment", adjustment_id, None,
                 {"officer": officer.name, "note": row.note})
        if approve:
            settled = settle_open_slips(tx, [adjustment.member_id], f"adjustment {adjustment_id} approved")
            links, closed = link_ids(settled), tuple((slip.id, slip.status) for slip in settled)
    close_now(hall, gateway, links)
    return closed


def pending_adjustments(hall: Hall) -> list[PendingAdjustment]:
    decided = select(AdjustmentDecision.adjustment_id)
    with hall.read() as s:
        rows = s.execute(
            select(Adjustment, Member, Officer).join(Member, Adjustment.member_id == Member.id)
            .join(Officer, Adjustment.requested_by_id == Officer.id)
            .where(Adjustment.needs_approval.is_(True), Adjustment.id.not_in(decided)).order_by(Adjustment.id))
        return [PendingAdjustment(a.id, m.member_number, f"{m.first_name} {m.last_name}", a.kind, a.amount_cents,
                                  a.reason, o.name, a.created_at) for a, m, o in rows]
