"""Bank deposits of cash, checks and money orders: a batch, its deposit slip, and marking it deposited.

A batch's contents are its items minus the removed ones (``deposit_removals``):
before it is deposited, a payment can be taken out of it (with a reason), or the
whole batch voided (every payment taken out with one reason); nothing is updated or
deleted.  A payment is in at most one live batch, checked here inside the write
transaction (writers are serialised); a removed payment may go into another batch.
A deposited batch is locked (a trigger, and refused here with a sentence).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io

from sqlalchemy import func, select

from .text_input import clean_name
from . import clock
from .errors import NotFound, ValidationError
from .hall import Hall
from .models import DepositBatch, DepositItem, DepositRemoval, Member, Payment
from .officers import authenticate
from .money import format_cents, plain_cents
from .payments import receipt_number

DEPOSIT_METHODS = ("cash", "check", "money_order")


@dataclasses.dataclass(frozen=True)
class SlipLine:
    payment_id: int
    receipt_no: str
    member_number: str
    member_name: str
    method: str
    check_number: str          # the check or money order number; empty for cash
    received_on: dt.date
    amount_cents: int


@dataclasses.dataclass(frozen=True)
class RemovedLine:
    line: SlipLine
    reason: str
    removed_by: str
    removed_at: str


@dataclasses.dataclass(frozen=True)
class DepositSlip:
    batch_id: int
    deposit_date: dt.date
    bank_reference: str
    status: str                # open | deposited
    deposited_on: dt.date | None
    lines: tuple[SlipLine, ...]                  # the live payments: what goes to the bank
    removed: tuple[RemovedLine, ...] = ()        # payments taken out before it was deposited

    @property
    def void(self) -> bool:
        """An open batch whose every payment was taken out."""
        return self.status == "open" and not self.lines and bool(self.removed)

    def subtotal(self, method: str) -> int:
        return sum(line.amount_cents for line in self.lines if line.method == method)

    @property
    def cash_cents(self) -> int:
        return self.subtotal("cash")

    @property
    def checks(self) -> tuple[SlipLine, ...]:
        return tuple(line for line in self.lines if line.method != "cash")

    @property
    def total_cents(self) -> int:
        return sum(line.amount_cents for line in self.lines)


@dataclasses.dataclass(frozen=True)
class BatchSummary:
    batch_id: int
    deposit_date: dt.date
    bank_reference: str
    status: str
    deposited_on: dt.date | None
    item_count: int            # live payments (removed ones not counted)
    total_cents: int
    removed_count: int = 0

    @property
    def void(self) -> bool:
        """An open batch whose every payment was taken out: it reads as void."""
        return self.status == "open" and self.item_count == 0 and self.removed_count > 0

    @property
    def state(self) -> str:
        return "void" if self.void else self.status


def live_item():
    """The condition for a deposit item still in its batch (not removed); bank and reports use it too."""
    return DepositItem.id.not_in(select(DepositRemoval.item_id))


def _lines(session, payment_ids=None, batch_id: int | None = None) -> list[SlipLine]:
    query = (select(Payment, Member.member_number, Member.first_name, Member.last_name)
             .join(Member, Payment.member_id == Member.id, isouter=True).order_by(Payment.method, Payment.id))
    if batch_id is not None:
        query = query.join(DepositItem, DepositItem.payment_id == Payment.id).where(
            DepositItem.batch_id == batch_id, live_item())
    elif payment_ids is not None:
        query = query.where(Payment.id.in_(payment_ids))
    return [_line(p, number, first, last) for p, number, first, last in session.execute(query)]


def _line(p: Payment, number, first, last) -> SlipLine:
    return SlipLine(p.id, receipt_number(p.id), number or "", f"{first or ''} {last or ''}".strip(), p.method,
                    "" if p.method == "cash" else p.reference, p.received_on, p.amount_cents)


def _removed(session, batch_id: int) -> list[RemovedLine]:
    query = (select(Payment, Member.member_number, Member.first_name, Member.last_name, DepositRemoval)
             .join(Member, Payment.member_id == Member.id, isouter=True)
             .join(DepositItem, DepositItem.payment_id == Payment.id)
             .join(DepositRemoval, DepositRemoval.item_id == DepositItem.id)
             .where(DepositItem.batch_id == batch_id).order_by(DepositRemoval.id))
    return [RemovedLine(_line(p, number, first, last), r.reason, r.removed_by, r.removed_at)
            for p, number, first, last, r in session.execute(query)]


def undeposited_payments(hall: Hall) -> list[SlipLine]:
    """Completed cash, check and money-order payments in no batch yet."""
    with hall.read() as s:
        return _lines(s, _undeposited_ids(s))


def _undeposited_ids(s) -> list[int]:
    return list(s.scalars(select(Payment.id).where(
        Payment.method.in_(DEPOSIT_METHODS), Payment.status == "completed",
        Payment.id.not_in(select(DepositItem.payment_id).where(live_item()))).order_by(Payment.id)))


def create_batch(hall: Hall, deposit_date: dt.date, bank_reference: str, payment_ids: list[int] | None = None,
                 all_undeposited: bool = False) -> DepositSlip:
    reference = bank_reference.strip()
    if not reference:
        raise ValidationError("A deposit needs the bank's reference (the deposit ticket or receipt number).")
    if bool(payment_ids) == all_undeposited:
        raise ValidationError("Name the payments to deposit, or ask for all undeposited ones (not both).")
    with hall.write() as tx:
        s = tx.session
        if all_undeposited:
            ids = _undeposited_ids(s)
            if not ids:
                raise ValidationError("There are no undeposited cash, check or money-order payments.")
        else:
            ids = list(dict.fromkeys(payment_ids or []))
            if len(ids) != len(payment_ids or []):
                raise ValidationError("A payment is named twice; nothing was deposited.")
            _check_depositable(s, ids)
        batch = DepositBatch(deposit_date=deposit_date, bank_reference=reference, status="open",
                             created_by=tx.actor, created_at=clock.stamp())
        s.add(batch)
        s.flush()
        s.add_all(DepositItem(batch_id=batch.id, payment_id=pid) for pid in ids)
        s.flush()
        lines = _lines(s, batch_id=batch.id)
        tx.audit("deposit.create", "deposit_batch", batch.id, None,
                 {"deposit_date": deposit_date.isoformat(), "bank_reference": reference, "payment_ids": ids,
                  "total_cents": sum(line.amount_cents for line in lines)})
        return DepositSlip(batch.id, deposit_date, reference, "open", None, tuple(lines))


def _check_depositable(s, ids: list[int]) -> None:
    rows = {p.id: p for p in s.scalars(select(Payment).where(Payment.id.in_(ids)))}
    taken = dict(s.execute(select(DepositItem.payment_id, DepositItem.batch_id).where(
        DepositItem.payment_id.in_(ids), live_item())).all())
    problems = []
    for pid in ids:
        p = rows.get(pid)
        if p is None:
            problems.append(f"there is no payment {pid}")
        elif p.method not in DEPOSIT_METHODS:
            problems.append(f"payment {pid} was paid by {p.method.replace('_', ' ')}, not cash, check or money order")
        elif p.status != "completed":
            problems.append(f"payment {pid} is {p.status}")
        elif pid in taken:
            problems.append(f"payment {pid} is already in deposit {taken[pid]} (a payment is in one batch at a "
                            f"time; take it out of deposit {taken[pid]} first)")
    if problems:
        raise ValidationError("Nothing was deposited: " + "; ".join(problems) + ".")


def _batch(s, batch_id: int) -> DepositBatch:
    batch = s.get(DepositBatch, batch_id)
    if batch is None:
        raise NotFound(f"There is no deposit {batch_id}.")
    return batch


def deposit_slip(hall: Hall, batch_id: int) -> DepositSlip:
    with hall.read() as s:
        b = _batch(s, batch_id)
        return _slip(s, b)


def _slip(s, b: DepositBatch) -> DepositSlip:
    return DepositSlip(b.id, b.deposit_date, b.bank_reference, b.status, b.deposited_on,
                       tuple(_lines(s, batch_id=b.id)), tuple(_removed(s, b.id)))


def list_batches(hall: Hall) -> list[BatchSummary]:
    with hall.read() as s:
        totals = {bid: (n, cents) for bid, n, cents in s.execute(
            select(DepositItem.batch_id, func.count(), func.sum(Payment.amount_cents))
            .join(Payment, DepositItem.payment_id == Payment.id).where(live_item()).group_by(DepositItem.batch_id))}
        removed = dict(s.execute(select(DepositItem.batch_id, func.count())
                                 .join(DepositRemoval, DepositRemoval.item_id == DepositItem.id)
                                 .group_by(DepositItem.batch_id)).all())
        return [BatchSummary(b.id, b.deposit_date, b.bank_reference, b.status, b.deposited_on,
                             totals.get(b.id, (0, 0))[0], int(totals.get(b.id, (0, 0))[1] or 0),
                             int(removed.get(b.id, 0)))
                for b in s.scalars(select(DepositBatch).order_by(DepositBatch.id))]


def _open_batch(s, batch_id: int, doing: str) -> DepositBatch:
    batch = _batch(s, batch_id)
    if batch.status == "deposited":
        raise ValidationError(f"Deposited batches are locked: deposit {batch_id} was marked deposited on "
                              f"{batch.deposited_on.isoformat()}, so {doing}. Nothing was changed.")
    return batch


def _reason(reason: str) -> str:
    text = clean_name(reason or "", "reason", required=False)
    if not text:
        raise ValidationError("A reason is needed (for example 'the member asked us to hold the check'); "
                              "nothing was changed.")
    return text


def remove_payment(hall: Hall, batch_id: int, payment_id: int, reason: str, *, officer: str,
                   pin: str) -> DepositSlip:
    """Take a payment out of an open batch (a new deposit_removals row, audited), an officer doing it with
    their PIN; the payment may then go into another batch."""
    text = _reason(reason)
    with hall.write() as tx:
        s = tx.session
        who = authenticate(tx, officer, pin).name
        batch = _open_batch(s, batch_id, "no payment can be taken out of it")
        item = s.scalar(select(DepositItem).where(DepositItem.batch_id == batch_id,
                                                  DepositItem.payment_id == payment_id, live_item()))
        if item is None:
            gone = s.scalar(select(DepositItem.id).where(DepositItem.batch_id == batch_id,
                                                         DepositItem.payment_id == payment_id))
            raise ValidationError(
                f"Payment {payment_id} ({receipt_number(payment_id)}) "
                + ("was already taken out of" if gone else "is not in") + f" deposit {batch_id}; nothing was changed.")
        cents = s.scalar(select(Payment.amount_cents).where(Payment.id == payment_id))
        s.add(DepositRemoval(item_id=item.id, reason=text, removed_by=who, removed_at=clock.stamp()))
        s.flush()
        tx.audit("deposit.remove", "deposit_batch", batch.id, {"payment_id": payment_id},
                 {"removed_payment_id": payment_id, "amount_cents": cents, "reason": text, "officer": who})
        return _slip(s, batch)


def void_batch(hall: Hall, batch_id: int, reason: str, *, officer: str, pin: str) -> DepositSlip:
    """Take every payment out of an open batch with one reason, in one transaction, an officer doing it with
    their PIN; the batch reads as void."""
    text = _reason(reason)
    with hall.write() as tx:
        s = tx.session
        who = authenticate(tx, officer, pin).name
        batch = _open_batch(s, batch_id, "it cannot be voided")
        items = list(s.scalars(select(DepositItem).where(DepositItem.batch_id == batch_id, live_item())
                               .order_by(DepositItem.id)))
        if not items:
            raise ValidationError(f"Deposit {batch_id} has no payments left in it; it is already void. "
                                  f"Nothing was changed.")
        stamp = clock.stamp()
        s.add_all(DepositRemoval(item_id=i.id, reason=text, removed_by=who, removed_at=stamp) for i in items)
        s.flush()
        ids = [i.payment_id for i in items]
        cents = s.scalar(select(func.sum(Payment.amount_cents)).where(Payment.id.in_(ids)))
        tx.audit("deposit.void", "deposit_batch", batch.id, {"payment_ids": ids},
                 {"removed_payment_ids": ids, "amount_cents": int(cents or 0), "reason": text, "officer": who})
        return _slip(s, batch)


def mark_deposited(hall: Hall, batch_id: int, deposited_on: dt.date) -> DepositSlip:
    if deposited_on > clock.today():
        raise ValidationError(f"The deposit date {deposited_on.isoformat()} is in the future.")
    with hall.write() as tx:
        batch = _batch(tx.session, batch_id)
        if batch.status == "deposited":
            raise ValidationError(f"Deposit {batch_id} was already marked deposited on "
                                  f"{batch.deposited_on.isoformat()}.")
        if not tx.session.scalar(select(func.count()).select_from(DepositItem).where(
                DepositItem.batch_id == batch_id, live_item())):
            raise ValidationError(f"Deposit {batch_id} has no payments in it (every one was taken out: it is void); "
                                  f"there is nothing to mark deposited.")
        batch.status = "deposited"
        batch.deposited_on = deposited_on
        tx.session.flush()
        tx.audit("deposit.deposited", "deposit_batch", batch.id, {"status": "open"},
                 {"status": "deposited", "deposited_on": deposited_on.isoformat()})
    return deposit_slip(hall, batch_id)


# Renderings for the command line (the GUI prints its own PDF from DepositSlip) ----------------------------

def slip_text(slip: DepositSlip, hall_name: str, currency: str) -> str:
    def money(cents: int) -> str:
        return format_cents(cents, currency)

    out = [f"DEPOSIT SLIP  {hall_name}", f"Deposit {slip.batch_id}  date {slip.deposit_date.isoformat()}  "
           f"bank reference {slip.bank_reference}  ({'void' if slip.void else slip.status}"
           + (f" {slip.deposited_on.isoformat()})" if slip.deposited_on else ")"), ""]
    out.append(f"{'Receipt':9} {'Member':10} {'Name':24} {'Kind':12} {'Number':12} {'Amount':>12}")
    for line in slip.checks:
        out.append(f"{line.receipt_no:9} {line.member_number:10} {line.member_name[:24]:24} "
                   f"{line.method.replace('_', ' '):12} {line.check_number[:12]:12} {money(line.amount_cents):>12}")
    out.append("")
    out.append(f"{'Checks':20} {len([x for x in slip.lines if x.method == 'check']):4}  "
               f"{money(slip.subtotal('check')):>12}")
    out.append(f"{'Money orders':20} {len([x for x in slip.lines if x.method == 'money_order']):4}  "
               f"{money(slip.subtotal('money_order')):>12}")
    out.append(f"{'Cash':20} {len([x for x in slip.lines if x.method == 'cash']):4}  {money(slip.cash_cents):>12}")
    out.append(f"{'TOTAL DEPOSIT':20} {len(slip.lines):4}  {money(slip.total_cents):>12}")
    return "\n".join(out) + "\n"


def removed_text(slip: DepositSlip, currency: str) -> str:
    """The payments taken out of the batch before it was deposited, with who, when and why."""
    if not slip.removed:
        return ""
    out = ["", f"Taken out before deposit ({len(slip.removed)}; not on the slip):"]
    for r in slip.removed:
        out.append(f"  {r.line.receipt_no} {r.line.member_number} {r.line.method.replace('_', ' ')} "
                   + (f"{r.line.check_number} " if r.line.check_number else "") +
                   f"{format_cents(r.line.amount_cents, currency)}  by {r.removed_by} {r.removed_at[:10]}: {r.reason}")
    return "\n".join(out) + "\n"


def slip_csv(slip: DepositSlip) -> str:
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["deposit", "receipt", "member_number", "member_name", "method", "number", "received_on", "amount"])
    for line in slip.lines:
        w.writerow([slip.batch_id, line.receipt_no, line.member_number, line.member_name, line.method,
                    line.check_number, line.received_on.isoformat(), plain_cents(line.amount_cents)])
    w.writerow([slip.batch_id, "", "", "TOTAL", "", "", "", plain_cents(slip.total_cents)])
    return buf.getvalue()
