"""Reconciling the bank account with its statement, as GnuCash and KMyMoney do.

The treasurer enters the statement's date and ending balance and ticks the
deposits it shows (cash/check batches and Stripe payouts alike), and the other
lines it shows (fees, interest, checks and transfers out), recorded as bank
entries signed as they move the balance.  The
difference is ending balance - (opening balance + ticked items); the
reconciliation can be finished only at zero, and is then locked (a trigger)
with each cleared item recorded once.  Until then it is saved in progress and
can be resumed.  Opening balance = the previous finished one's ending balance.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .text_input import clean_name
from . import clock
from .deposits import live_item
from .errors import ValidationError
from .hall import Hall, setting_in
from .limits import check_amount
from .models import (BANK_ENTRY_KINDS, BankClearedItem, BankEntry, BankReconciliation, DepositBatch, DepositItem,
                     Payment, Payout)
from .money import format_cents
from .officers import authenticate
from .periods import ensure_open_date


@dataclasses.dataclass(frozen=True)
class BankItem:
    ref: str                 # deposit:3 | payout:po_... | entry:7
    kind: str                # deposit | payout | fee | interest | withdrawal | transfer_in | other
    day: dt.date
    description: str
    amount_cents: int
    ticked: bool


@dataclasses.dataclass(frozen=True)
class BankStatement:
    reconciliation_id: int
    status: str              # in_progress | finished
    statement_date: dt.date
    opening_balance_cents: int
    ending_balance_cents: int
    items: tuple[BankItem, ...]      # uncleared items, ticked or not (for a finished one: what it cleared)

    @property
    def cleared_cents(self) -> int:
        return sum(i.amount_cents for i in self.items if i.ticked)

    @property
    def cleared_balance_cents(self) -> int:
        return self.opening_balance_cents + self.cleared_cents

    @property
    def difference_cents(self) -> int:
        return self.ending_balance_cents - self.cleared_balance_cents

    @property
    def can_finish(self) -> bool:
        return self.status == "in_progress" and self.difference_cents == 0


def uncleared_items(s: Session) -> list[tuple[str, str, dt.date, str, int]]:
    """Deposited batches, paid payouts and bank entries that no finished reconciliation has cleared.

    A batch's amount is its live payments: those taken out before it was deposited are not counted.
    """
    cleared = set(s.scalars(select(BankClearedItem.item_ref)))
    out = []
    totals = s.execute(select(DepositBatch.id, DepositBatch.deposited_on, DepositBatch.bank_reference,
                              func.count(), func.sum(Payment.amount_cents))
                       .join(DepositItem, DepositItem.batch_id == DepositBatch.id)
                       .join(Payment, DepositItem.payment_id == Payment.id)
                       .where(DepositBatch.status == "deposited", live_item()).group_by(DepositBatch.id))
    for bid, day, reference, n, cents in totals:
        out.append((f"deposit:{bid}", "deposit", day, f"Deposit {bid} ({n} items, ref {reference})", int(cents)))
    for p in s.scalars(select(Payout).where(Payout.status == "paid")):
        out.append((f"payout:{p.stripe_payout_id}", "payout", p.arrival_date, f"Stripe payout {p.stripe_payout_id}",
                    p.amount_cents))
    for e in s.scalars(select(BankEntry)):
        out.append(_entry_item(e))
    return sorted((x for x in out if x[0] not in cleared), key=lambda x: (x[2], x[0]))


def _entry_item(e: BankEntry) -> tuple[str, str, dt.date, str, int]:
    return (f"entry:{e.id}", e.kind, e.entry_date, f"{ENTRY_KIND_NAMES[e.kind]}: {e.memo}", e.amount_cents)


ENTRY_KIND_NAMES = {"fee": "Bank fee", "interest": "Interest", "withdrawal": "Withdrawal",
                    "transfer_in": "Transfer in", "other": "Other"}
# The sign each kind must have (+1 adds to the bank balance, -1 takes from it); "other" may be either.
ENTRY_SIGNS = {"fee": -1, "withdrawal": -1, "interest": 1, "transfer_in": 1}
_A_KIND = {"fee": "A bank fee", "withdrawal": "A withdrawal", "interest": "Interest", "transfer_in": "A transfer in"}


def record_bank_entry(hall: Hall, day: dt.date, kind: str, amount_cents: int, memo: str, *, officer: str,
                      pin: str) -> BankEntry:
    """Record a statement line other than a deposit or payout, signed as it moves the bank balance.

    A fee or withdrawal is negative, interest or a transfer in positive, "other" either.  Never changed
    afterwards: a mistake is corrected by an entry of the opposite amount (kind "other") saying so.
    An officer records it with their PIN.  On any error nothing is written.
    """
    if kind not in BANK_ENTRY_KINDS:
        raise ValidationError(f"The kind {kind!r} is not one of: {', '.join(BANK_ENTRY_KINDS)}.")
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        raise ValidationError(f"The date {day!r} is not a date (YYYY-MM-DD).")
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise ValidationError(f"The amount {amount_cents!r} is not a whole number of cents.")
    if amount_cents == 0:
        raise ValidationError("The amount must not be zero.")
    sign = ENTRY_SIGNS.get(kind)
    if sign is not None and (amount_cents > 0) != (sign > 0):
        raise ValidationError(
            f"{_A_KIND[kind]} {'adds to' if sign > 0 else 'takes from'} the bank balance, so its amount must be "
            f"{'positive' if sign > 0 else 'negative'}; got {format_cents(amount_cents)}. For a line the other "
            f"way round use the kind 'other'.")
    text = clean_name(memo or "", "memo", required=False)
    if not text:
        raise ValidationError("A bank entry needs a memo saying what the line on the statement is.")
    if day > clock.today():
        raise ValidationError(f"The entry date {day.isoformat()} is in the future.")
    with hall.write() as tx:
        who = authenticate(tx, officer, pin).name
        check_amount(tx.session, amount_cents, "bank entry amount")
        ensure_open_date(tx.session, day, "entry")
        entry = BankEntry(entry_date=day, kind=kind, amount_cents=amount_cents, memo=text, created_by=who,
                          created_at=clock.stamp())
        tx.session.add(entry)
        tx.session.flush()
        tx.audit("bank.entry", "bank_entry", entry.id, None,
                 {"entry_date": day.isoformat(), "kind": kind, "amount_cents": amount_cents, "memo": text,
                  "officer": who})
        return entry


def _current(s: Session) -> BankReconciliation | None:
    return s.scalar(select(BankReconciliation).where(BankReconciliation.status == "in_progress"))


def _last_finished(s: Session) -> BankReconciliation | None:
    return s.scalar(select(BankReconciliation).where(BankReconciliation.status == "finished")
                    .order_by(BankReconciliation.statement_date.desc(), BankReconciliation.id.desc()).limit(1))


def _view(s: Session, rec: BankReconciliation) -> BankStatement:
    if rec.status == "finished":
        rows = s.execute(select(BankClearedItem.item_ref, BankClearedItem.amount_cents).where(
            BankClearedItem.reconciliation_id == rec.id).order_by(BankClearedItem.id)).all()
        ids = [int(ref.split(":", 1)[1]) for ref, _ in rows if ref.startswith("entry:")]
        entries = {f"entry:{e.id}": e for e in s.scalars(select(BankEntry).where(BankEntry.id.in_(ids)))} \
            if ids else {}
        items = tuple(BankItem(*_entry_item(entries[ref])[:4], cents, True) if ref in entries else
                      BankItem(ref, ref.split(":")[0], rec.statement_date, ref, cents, True) for ref, cents in rows)
    else:
        ticked = set(json.loads(rec.ticked))
        items = tuple(BankItem(ref, kind, day, text, cents, ref in ticked)
                      for ref, kind, day, text, cents in uncleared_items(s))
    return BankStatement(rec.id, rec.status, rec.statement_date, rec.opening_balance_cents,
                         rec.ending_balance_cents, items)


def bank_status(hall: Hall) -> BankStatement | None:
    """The reconciliation in progress, or None."""
    with hall.read() as s:
        rec = _current(s)
        return _view(s, rec) if rec else None


def bank_history(hall: Hall) -> list[BankStatement]:
    with hall.read() as s:
        return [_view(s, r) for r in s.scalars(select(BankReconciliation).where(
            BankReconciliation.status == "finished").order_by(BankReconciliation.statement_date))]


def reconcile_bank(hall: Hall, statement_date: dt.date | None = None, ending_balance_cents: int | None = None,
                   tick: Iterable[str] = (), untick: Iterable[str] = (), finish: bool = False) -> BankStatement:
    """Start or resume the reconciliation, apply ticks, save it; finish it only at a zero difference.

    On any error nothing is saved.
    """
    tick, untick = [t.strip() for t in tick], [t.strip() for t in untick]
    with hall.write() as tx:
        s = tx.session
        rec = _current(s)
        last = _last_finished(s)
        if statement_date is not None and last is not None and statement_date <= last.statement_date:
            raise ValidationError(f"The statement date {statement_date.isoformat()} is not after the last "
                                  f"finished reconciliation's ({last.statement_date.isoformat()}).")
        if rec is None:
            if statement_date is None or ending_balance_cents is None:
                raise ValidationError("Starting a bank reconciliation needs the statement's date and ending "
                                      "balance.")
            rec = BankReconciliation(statement_date=statement_date, ending_balance_cents=ending_balance_cents,
                                     opening_balance_cents=last.ending_balance_cents if last else 0, ticked="[]",
                                     status="in_progress", created_at=clock.stamp())
            s.add(rec)
            s.flush()
            tx.audit("bank.start", "bank_reconciliation", rec.id, None,
                     {"statement_date": statement_date.isoformat(), "ending_balance_cents": ending_balance_cents,
                      "opening_balance_cents": rec.opening_balance_cents})
        before = {"statement_date": rec.statement_date.isoformat(), "ending_balance_cents": rec.ending_balance_cents,
                  "ticked": json.loads(rec.ticked)}
        if statement_date is not None:
            rec.statement_date = statement_date
        if ending_balance_cents is not None:
            rec.ending_balance_cents = ending_balance_cents
        available = {ref for ref, *_ in uncleared_items(s)}
        unknown = [ref for ref in tick + untick if ref not in available]
        if unknown:
            raise ValidationError(f"Not an uncleared deposit, payout or bank entry: {', '.join(unknown)} "
                                  f"('treasurer bank status' lists them); nothing was saved.")
        ticked = [ref for ref in json.loads(rec.ticked) if ref in available and ref not in untick]
        ticked += [ref for ref in tick if ref not in ticked]
        rec.ticked = json.dumps(ticked)
        s.flush()
        after = {"statement_date": rec.statement_date.isoformat(), "ending_balance_cents": rec.ending_balance_cents,
                 "ticked": ticked}
        if after != before:
            tx.audit("bank.save", "bank_reconciliation", rec.id, before, after)
        view = _view(s, rec)
        if finish:
            if view.difference_cents != 0:
                cur = setting_in(s, "currency")
                raise ValidationError(
                    f"The difference is {format_cents(view.difference_cents, cur)} (statement "
                    f"{format_cents(view.ending_balance_cents, cur)}, cleared "
                    f"{format_cents(view.cleared_balance_cents, cur)}); a reconciliation finishes only at zero. "
                    f"Nothing was saved.")
            s.add_all(BankClearedItem(reconciliation_id=rec.id, item_ref=i.ref, amount_cents=i.amount_cents)
                      for i in view.items if i.ticked)
            rec.status = "finished"
            rec.finished_at = clock.stamp()
            rec.finished_by = tx.actor
            s.flush()
            tx.audit("bank.finish", "bank_reconciliation", rec.id, None,
                     {"statement_date": rec.statement_date.isoformat(), "opening_balance_cents":
                      rec.opening_balance_cents, "ending_balance_cents": rec.ending_balance_cents,
                      "cleared": [[i.ref, i.amount_cents] for i in view.items if i.ticked]})
            view = _view(s, rec)
        return view

