"""Bringing Stripe's payouts and the balance transactions each one paid out into the books.

Re-syncing is idempotent: payouts and balance transactions are keyed by their
Stripe ids.  A payout's amount never changes (triggers); its status may move on
(a payout can fail after first showing paid), and each move is audited.

Money still in the Stripe balance: Stripe cannot list "the lines no payout has
taken", so while some online payment in the books is matched by no stored line,
the sync lists the recent balance transactions (from a little before the oldest
such payment, at most ``BALANCE_LOOKBACK_DAYS`` back, never before ``since``) and
stores in ``balance_lines_seen`` those that no synced payout carries.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import func, or_, select

from . import clock
from .gateway import Gateway
from .hall import Hall
from .models import BalanceLineSeen, BalanceTransaction, Payment, Payout

PAYOUT_FIELDS = ("stripe_payout_id", "amount_cents", "currency", "status", "failure_code", "arrival_date")
CHARGE_TYPES = ("charge", "payment")
REFUND_TYPES = ("refund", "payment_refund")
REFUND_FAILURE_TYPES = ("refund_failure",)                 # a failed refund gives the money back; source re_
PAYOUT_RETURN_TYPES = ("payout_failure", "payout_cancel")  # a failed payout's money back; source the po_
ONLINE_METHODS = ("card", "us_bank_account")
BALANCE_LOOKBACK_DAYS = 60   # how far back the balance is listed for payments no payout has carried
BALANCE_SLACK_SECONDS = 2 * 86400   # a payment's day (UTC) against its charge's creation time


@dataclasses.dataclass(frozen=True)
class PayoutSync:
    payouts_seen: int
    new_payouts: int
    status_changes: tuple[str, ...]    # "po_...: paid -> failed"
    transactions_stored: int
    awaiting: tuple[str, ...]          # payouts whose lines Stripe has not finished reconciling
    balance_lines_stored: int = 0      # lines newly seen in the Stripe balance, not yet in a synced payout

    def summary(self) -> str:
        text = (f"Synced {self.payouts_seen} payouts from Stripe ({self.new_payouts} new, "
                f"{self.transactions_stored} balance transactions stored")
        if self.balance_lines_stored:
            text += f", {self.balance_lines_stored} seen in the Stripe balance, not yet paid out"
        text += ")"
        if self.status_changes:
            text += "; status changed: " + ", ".join(self.status_changes)
        return text + "."


def sync_payouts(hall: Hall, gateway: Gateway, since: dt.date | None = None) -> PayoutSync:
    gte = int(dt.datetime.combine(since, dt.time(), dt.UTC).timestamp()) if since else None
    seen = new = stored = 0
    changes: list[str] = []
    awaiting: list[str] = []
    for payout in gateway.payouts(created_gte=gte):
        seen += 1
        created, change = _store_payout(hall, payout)
        new += created
        if change:
            changes.append(change)
        if _has_lines(hall, payout["id"]):
            continue
        if payout.get("reconciliation_status") != "completed":
            awaiting.append(payout["id"])
            continue
        lines = [_line(gateway, txn) for txn in gateway.balance_transactions(payout=payout["id"],
                                                                             expand_source=True)]
        stored += _store_lines(hall, payout["id"], lines)
    in_balance = _sync_balance(hall, gateway, gte)
    return PayoutSync(seen, new, tuple(changes), stored, tuple(awaiting), in_balance)


def _sync_balance(hall: Hall, gateway: Gateway, since_gte: int | None) -> int:
    """Store the balance transactions no synced payout carries yet, if some online payment is still unanswered."""
    oldest = _oldest_unanswered_payment(hall)
    if oldest is None:
        return 0
    floor = int(clock.now().timestamp()) - BALANCE_LOOKBACK_DAYS * 86400
    gte = max(int(dt.datetime.combine(oldest, dt.time(), dt.UTC).timestamp()) - BALANCE_SLACK_SECONDS, floor,
              since_gte or 0)
    lines = []
    for txn in gateway.balance_transactions(expand_source=True, created_gte=gte):
        if txn.get("type") == "payout":   # a payout's own line: the payout itself, synced above
            continue
        line = _line(gateway, txn)
        line.pop("description")
        line["available_on"] = int(txn["available_on"]) if txn.get("available_on") is not None else None
        lines.append(line)
    return _store_seen(hall, lines)


def _oldest_unanswered_payment(hall: Hall) -> dt.date | None:
    """The day of the oldest completed online payment that no stored charge line (paid out or seen) names."""
    def named_by(model) -> Any:
        is_charge = model.type.in_(CHARGE_TYPES)
        return or_(
            select(model.id).where(is_charge, model.charge_id == Payment.stripe_charge_id).exists(),
            select(model.id).where(is_charge, model.payment_intent_id == Payment.stripe_payment_intent_id).exists())
    with hall.read() as s:
        return s.scalar(select(func.min(Payment.received_on)).where(
            or_(Payment.stripe_charge_id.is_not(None), Payment.stripe_payment_intent_id.is_not(None)),
            Payment.status == "completed", Payment.method.in_(ONLINE_METHODS),
            ~named_by(BalanceTransaction), ~named_by(BalanceLineSeen)))


def _store_seen(hall: Hall, lines: list[dict]) -> int:
    if not lines:
        return 0
    ids = [line["stripe_txn_id"] for line in lines]
    with hall.write() as tx:
        known: set[str] = set()
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            known.update(tx.session.scalars(select(BalanceTransaction.stripe_txn_id).where(
                BalanceTransaction.stripe_txn_id.in_(chunk))))
            known.update(tx.session.scalars(select(BalanceLineSeen.stripe_txn_id).where(
                BalanceLineSeen.stripe_txn_id.in_(chunk))))
        fresh = [line for line in lines if line["stripe_txn_id"] not in known]
        if not fresh:
            return 0
        seen_at = clock.stamp()
        tx.session.add_all(BalanceLineSeen(seen_at=seen_at, **line) for line in fresh)
        tx.session.flush()
        tx.audit("balance.seen", "stripe_balance", "pending_payout", None, {
            "count": len(fresh), "amount_cents": sum(x["amount_cents"] for x in fresh),
            "fee_cents": sum(x["fee_cents"] for x in fresh), "net_cents": sum(x["net_cents"] for x in fresh),
            "transactions": [[x["stripe_txn_id"], x["type"], x["amount_cents"], x["fee_cents"]] for x in fresh]})
        return len(fresh)


def _store_payout(hall: Hall, obj: dict) -> tuple[bool, str | None]:
    status = str(obj.get("status") or "pending")
    with hall.write() as tx:
        row = tx.session.scalar(select(Payout).where(Payout.stripe_payout_id == obj["id"]))
        if row is None:
            row = Payout(stripe_payout_id=obj["id"], amount_cents=int(obj["amount"]),
                         currency=str(obj.get("currency") or ""), status=status, shown_paid=status == "paid",
                         failure_code=obj.get("failure_code"), created=int(obj.get("created") or 0),
                         arrival_date=_day(obj.get("arrival_date") or obj.get("created")), synced_at=clock.stamp())
            tx.session.add(row)
            tx.session.flush()
            tx.audit("payout.record", "payout", row.stripe_payout_id, None, _snapshot(row))
            return True, None
        if row.status == status:
            return False, None
        before = _snapshot(row)
        old = row.status
        row.status = status
        row.shown_paid = row.shown_paid or status == "paid"
        row.failure_code = obj.get("failure_code") or row.failure_code
        row.synced_at = clock.stamp()
        tx.session.flush()
        tx.audit("payout.status", "payout", row.stripe_payout_id, before, _snapshot(row))
        return False, f"{row.stripe_payout_id}: {old} -> {status}"


def _snapshot(row: Payout) -> dict:
    out = {name: getattr(row, name) for name in PAYOUT_FIELDS}
    out["arrival_date"] = row.arrival_date.isoformat()
    return out


def _day(stamp: Any) -> dt.date:
    return dt.datetime.fromtimestamp(int(stamp or 0), dt.UTC).date()


def _has_lines(hall: Hall, payout_id: str) -> bool:
    with hall.read() as s:
        return bool(s.scalar(select(func.count(BalanceTransaction.id)).join(
            Payout, BalanceTransaction.payout_id == Payout.id).where(Payout.stripe_payout_id == payout_id)))


def _line(gateway: Gateway, txn: dict) -> dict:
    """A balance transaction as stored: the charge and payment intent it concerns, resolved from its source."""
    source = txn.get("source")
    source_id = source.get("id") if isinstance(source, dict) else str(source or "")
    charge_id = intent_id = None
    kind = txn.get("type")
    if kind in CHARGE_TYPES:
        charge_id = source_id
        if isinstance(source, dict):
            intent_id = source.get("payment_intent")
        elif source_id:  # not expanded: one call for this charge
            intent_id = gateway.retrieve_charge(source_id).get("payment_intent")
    elif isinstance(source, dict) and kind != "payout":
        charge_id, intent_id = source.get("charge"), source.get("payment_intent")
    return dict(stripe_txn_id=txn["id"], type=str(kind or ""), reporting_category=str(txn.get("reporting_category") or ""),
                amount_cents=int(txn["amount"]), fee_cents=int(txn.get("fee") or 0), net_cents=int(txn["net"]),
                currency=str(txn.get("currency") or ""), source_id=source_id,
                charge_id=charge_id if isinstance(charge_id, str) else None,
                payment_intent_id=intent_id if isinstance(intent_id, str) else None,
                created=int(txn.get("created") or 0), description=str(txn.get("description") or ""))


def _store_lines(hall: Hall, payout_id: str, lines: list[dict]) -> int:
    with hall.write() as tx:
        payout = tx.session.scalar(select(Payout).where(Payout.stripe_payout_id == payout_id))
        known = set(tx.session.scalars(select(BalanceTransaction.stripe_txn_id).where(
            BalanceTransaction.stripe_txn_id.in_([line["stripe_txn_id"] for line in lines]))))
        fresh = [line for line in lines if line["stripe_txn_id"] not in known]
        if not fresh:
            return 0
        tx.session.add_all(BalanceTransaction(payout_id=payout.id, **line) for line in fresh)
        tx.session.flush()
        tx.audit("payout.transactions", "payout", payout_id, None, {
            "count": len(fresh), "amount_cents": sum(x["amount_cents"] for x in fresh),
            "fee_cents": sum(x["fee_cents"] for x in fresh), "net_cents": sum(x["net_cents"] for x in fresh),
            "transactions": [[x["stripe_txn_id"], x["type"], x["amount_cents"], x["fee_cents"]] for x in fresh]})
        return len(fresh)
