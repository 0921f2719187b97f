"""Money movements: payments, ACH settlement, refunds, disputes, payouts and the balance they leave."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import objects
from .events import EventBus
from .fees import DISPUTE_FEE, fee_details, processing_fee
from .store import Store, new_id, public
from .wire import StripeError, invalid, missing

DAY = 86400
AVAILABLE_AFTER_DAYS = 2


@dataclass(frozen=True)
class TestMethod:
    method: str  # "card" or "us_bank_account"
    brand: str = "visa"
    last4: str = "4242"
    decline: tuple[str, str, str] | None = None  # (code, decline_code, message)


_DECLINED = ("card_declined", "generic_decline", "Your card was declined.")
TEST_METHODS: dict[str, TestMethod] = {
    "pm_card_visa": TestMethod("card"),
    "pm_card_mastercard": TestMethod("card", "mastercard", "4444"),
    "pm_card_amex": TestMethod("card", "amex", "8431"),
    "pm_card_chargeDeclined": TestMethod("card", "visa", "0002", _DECLINED),
    "pm_card_visa_chargeDeclined": TestMethod("card", "visa", "0002", _DECLINED),
    "pm_card_chargeDeclinedInsufficientFunds": TestMethod(
        "card", "visa", "9995", ("card_declined", "insufficient_funds", "Your card has insufficient funds.")),
    "pm_usBankAccount": TestMethod("us_bank_account", "", "6789"),
}


def restate_refund(ch: dict[str, Any], re: dict[str, Any]) -> None:
    """Bring the charge's embedded copy of a refund up to date after the refund changed."""
    ch["refunds"]["data"] = [public(re) if r["id"] == re["id"] else r for r in ch["refunds"]["data"]]


def available_on(created: int) -> int:
    """Midnight UTC, two days after the day of `created`."""
    return (created // DAY + AVAILABLE_AFTER_DAYS) * DAY


class Payments:
    def __init__(self, store: Store, bus: EventBus, ach_settle_seconds: int = 3 * DAY) -> None:
        self.store = store
        self.bus = bus
        self.ach_settle_seconds = ach_settle_seconds

    # lookups
    def _get(self, kind: str, ident: str, label: str, param: str = "id") -> dict[str, Any]:
        obj = self.store.get(kind, ident)
        if obj is None:
            raise missing(label, ident, param)
        return obj

    def charge(self, ident: str, param: str = "charge") -> dict[str, Any]:
        return self._get("charge", ident, "charge", param)

    def intent(self, ident: str, param: str = "payment_intent") -> dict[str, Any]:
        return self._get("payment_intent", ident, "payment_intent", param)

    # payment intents
    def confirm(self, pi: dict[str, Any], pm_token: str, *, email: str | None = None,
                plan: str | None = None) -> dict[str, Any]:
        """Confirm `pi` with a test payment method. Returns the charge; raises 402 on a decline."""
        if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
            raise invalid(
                f"You cannot confirm this PaymentIntent because it has a status of {pi['status']}.",
                param=None, code="payment_intent_unexpected_state")
        test = TEST_METHODS.get(pm_token)
        if test is None:
            raise missing("PaymentMethod", pm_token, "payment_method")
        pm_id = new_id("pm_")
        if test.method not in pi["payment_method_types"]:
            pi["payment_method_types"] = pi["payment_method_types"] + [test.method]
        if test.decline:
            ch = self._record_charge(pi, test, pm_id, "failed", email, (test.decline[0], test.decline[2]))
            self.store.add(ch)
            err = {"type": "card_error", "code": test.decline[0], "decline_code": test.decline[1],
                   "message": test.decline[2], "charge": ch["id"], "payment_method": {"id": pm_id, "object": "payment_method", "type": "card"}}
            pi.update(status="requires_payment_method", latest_charge=ch["id"], payment_method=None, last_payment_error=err)
            self.bus.emit("charge.failed", ch)
            self.bus.emit("payment_intent.payment_failed", pi)
            raise StripeError(402, test.decline[2], type="card_error", code=test.decline[0],
                              extra={"decline_code": test.decline[1], "charge": ch["id"], "payment_intent": public(pi)})
        if test.method == "us_bank_account":
            ch = self._record_charge(pi, test, pm_id, "pending", email, None)
            self.store.add(ch)
            pi.update(status="processing", latest_charge=ch["id"], payment_method=pm_id, last_payment_error=None)
            if plan is not None:
                pi["_ach_plan"] = plan
                pi["_ach_settle_at"] = self.store.now() + self.ach_settle_seconds
            self.bus.emit("charge.pending", ch)
            self.bus.emit("payment_intent.processing", pi)
            return ch
        ch = self._record_charge(pi, test, pm_id, "succeeded", email, None)
        self.store.add(ch)
        self._book_charge(ch, test.method)
        pi.update(status="succeeded", latest_charge=ch["id"], payment_method=pm_id, amount_received=pi["amount"],
                  last_payment_error=None)
        self.bus.emit("charge.succeeded", ch)
        self.bus.emit("payment_intent.succeeded", pi)
        return ch

    def _record_charge(self, pi: dict[str, Any], test: TestMethod, pm_id: str, status: str, email: str | None,
                       failure: tuple[str, str] | None) -> dict[str, Any]:
        return objects.charge(self.store.created(), pi, method=test.method, payment_method=pm_id, status=status,
                              email=email or pi.get("receipt_email"), failure=failure,
                              card_brand=test.brand or "visa", last4=test.last4)

    def _book_charge(self, ch: dict[str, Any], method: str) -> None:
        created = self.store.created()
        fee = processing_fee(ch["amount"], method)
        txn = objects.balance_transaction(
            created, amount=ch["amount"], fee=fee, fee_details=fee_details(fee, ch["currency"]),
            currency=ch["currency"], source=ch["id"], type="charge" if method == "card" else "payment",
            reporting_category="charge", available_on=available_on(created), status="pending",
            description=ch["description"])
        self.store.add(txn)
        ch["balance_transaction"] = txn["id"]

    def settle(self, pi: dict[str, Any]) -> dict[str, Any]:
        if pi["status"] != "processing":
            raise invalid(f"PaymentIntent {pi['id']} is not processing (status {pi['status']}).",
                          code="payment_intent_unexpected_state")
        ch = self.charge(pi["latest_charge"])
        ch.update(status="succeeded", paid=True, amount_captured=ch["amount"])
        self._book_charge(ch, "us_bank_account")
        pi.update(status="succeeded", amount_received=pi["amount"])
        pi.pop("_ach_plan", None)
        self.bus.emit("charge.succeeded", ch)
        self.bus.emit("payment_intent.succeeded", pi)
        self._session_async(pi, succeeded=True)
        return pi

    def fail(self, pi: dict[str, Any]) -> dict[str, Any]:
        if pi["status"] != "processing":
            raise invalid(f"PaymentIntent {pi['id']} is not processing (status {pi['status']}).",
                          code="payment_intent_unexpected_state")
        ch = self.charge(pi["latest_charge"])
        ch.update(status="failed", paid=False, failure_code="insufficient_funds",
                  failure_message="The customer's account has insufficient funds to cover this payment.")
        err = {"type": "invalid_request_error", "code": "payment_method_provider_decline",
               "message": ch["failure_message"], "charge": ch["id"]}
        pi.update(status="requires_payment_method", last_payment_error=err, payment_method=None)
        pi.pop("_ach_plan", None)
        self.bus.emit("charge.failed", ch)
        self.bus.emit("payment_intent.payment_failed", pi)
        self._session_async(pi, succeeded=False)
        return pi

    def _session_async(self, pi: dict[str, Any], succeeded: bool) -> None:
        for session in self.store.all("checkout.session"):
            if session["payment_intent"] == pi["id"]:
                if succeeded:
                    previous = {"payment_status": session["payment_status"]}
                    session["payment_status"] = "paid"
                    self.bus.emit("checkout.session.async_payment_succeeded", session, previous)
                else:
                    self.bus.emit("checkout.session.async_payment_failed", session)

    def cancel(self, pi: dict[str, Any], reason: str | None) -> dict[str, Any]:
        if pi["status"] in ("succeeded", "canceled", "processing"):
            raise invalid(
                f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. "
                "Only a PaymentIntent with one of the following statuses may be canceled: requires_payment_method, "
                "requires_capture, requires_confirmation, requires_action.",
                code="payment_intent_unexpected_state")
        pi.update(status="canceled", canceled_at=self.store.now(), cancellation_reason=reason or "requested_by_customer")
        self.bus.emit("payment_intent.canceled", pi)
        return pi

    # refunds
    def refund(self, ch: dict[str, Any], amount: int | None, reason: str | None,
               metadata: dict[str, str]) -> dict[str, Any]:
        if ch["status"] != "succeeded":
            raise invalid(f"Charge {ch['id']} has not succeeded and cannot be refunded.", param="charge",
                          code="charge_not_refundable")
        remaining = ch["amount"] - ch["amount_refunded"]
        if ch["disputed"]:
            raise invalid(f"Charge {ch['id']} has been charged back; it cannot be refunded.",
                          code="charge_disputed", param="charge")
        if remaining <= 0:
            raise invalid(f"Charge {ch['id']} has already been refunded.", code="charge_already_refunded")
        amount = remaining if amount is None else amount
        if amount <= 0:
            raise invalid("Refund amount must be positive.", param="amount")
        if amount > remaining:
            raise invalid(
                f"Refund amount (${amount / 100:.2f}) is greater than unrefunded amount on charge (${remaining / 100:.2f})",
                param="amount", code="amount_too_large")
        if reason not in (None, "duplicate", "fraudulent", "requested_by_customer"):
            raise invalid(f"Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer",
                          param="reason")
        created = self.store.created()
        # Card refunds succeed at once; bank (ACH) refunds stay pending until the bank confirms them.
        ach = ch["payment_method_details"]["type"] == "us_bank_account"
        re = objects.refund(created, ch, amount, reason=reason, metadata=metadata,
                            status="pending" if ach else "succeeded")
        if ach:
            re["_settle_at"] = created + self.ach_settle_seconds
        txn = objects.balance_transaction(
            created, amount=-amount, fee=0, fee_details=[], currency=ch["currency"], source=re["id"], type="refund",
            reporting_category="refund", available_on=created, status="available",
            description="REFUND FOR CHARGE" + (f" ({ch['description']})" if ch["description"] else ""))
        self.store.add(txn)
        re["balance_transaction"] = txn["id"]
        self.store.add(re)
        previous = {"amount_refunded": ch["amount_refunded"], "refunded": ch["refunded"],
                    "refunds": {"data": list(ch["refunds"]["data"]), "total_count": ch["refunds"]["total_count"]}}
        ch["amount_refunded"] += amount
        ch["refunded"] = ch["amount_refunded"] == ch["amount"]
        ch["refunds"]["data"] = [public(re)] + ch["refunds"]["data"]
        ch["refunds"]["total_count"] += 1
        self.bus.emit("charge.refunded", ch, previous)
        self.bus.emit("refund.created", re)
        return re

    # disputes
    def dispute(self, ch: dict[str, Any], reason: str = "fraudulent") -> dict[str, Any]:
        if ch["status"] != "succeeded":
            raise invalid(f"Charge {ch['id']} has not succeeded; it cannot be disputed.", param="charge")
        if ch["disputed"]:
            raise invalid(f"Charge {ch['id']} is already disputed.", param="charge")
        amount = ch["amount"] - ch["amount_refunded"]
        if amount <= 0:
            raise invalid(f"Charge {ch['id']} is fully refunded; it cannot be disputed.", param="charge")
        created = self.store.created()
        dp = objects.dispute(created, ch, amount, reason)
        txn = objects.balance_transaction(
            created, amount=-amount, fee=DISPUTE_FEE,
            fee_details=fee_details(DISPUTE_FEE, ch["currency"], "Dispute fee"), currency=ch["currency"],
            source=dp["id"], type="adjustment", reporting_category="dispute", available_on=created,
            status="available", description=f"Chargeback withdrawal for {ch['id']}")
        self.store.add(txn)
        dp["balance_transactions"] = [public(txn)]
        self.store.add(dp)
        ch["disputed"] = True
        self.bus.emit("charge.dispute.created", dp)
        self.bus.emit("charge.dispute.funds_withdrawn", dp)
        return dp

    def close_dispute(self, dp: dict[str, Any], outcome: str) -> dict[str, Any]:
        if outcome not in ("won", "lost"):
            raise invalid("outcome must be won or lost", param="outcome")
        if dp["status"] in ("won", "lost"):
            raise invalid(f"Dispute {dp['id']} is already closed ({dp['status']}).")
        previous = {"status": dp["status"]}
        dp["status"] = outcome
        if outcome == "won":
            created = self.store.created()
            txn = objects.balance_transaction(
                created, amount=dp["amount"], fee=-DISPUTE_FEE,
                fee_details=fee_details(-DISPUTE_FEE, dp["currency"], "Dispute fee refund"), currency=dp["currency"],
                source=dp["id"], type="adjustment", reporting_category="dispute_reversal", available_on=created,
                status="available", description=f"Chargeback reversal for {dp['charge']}")
            self.store.add(txn)
            dp["balance_transactions"] = dp["balance_transactions"] + [public(txn)]
        self.bus.emit("charge.dispute.closed", dp, previous)
        if outcome == "won":
            self.bus.emit("charge.dispute.funds_reinstated", dp)
        return dp

    # balance and payouts
    def refresh(self) -> None:
        """Apply what the passing of (sandbox) time does: funds become available, planned ACH outcomes land."""
        now = self.store.now()
        for txn in self.store.all("balance_transaction"):
            if txn["status"] == "pending" and txn["available_on"] <= now:
                txn["status"] = "available"
        for re in self.store.all("refund"):
            if re["status"] == "pending" and re.get("_settle_at", now + 1) <= now:
                re["status"] = "succeeded"
                ch = self.store.get("charge", re["charge"])
                if ch is not None:
                    restate_refund(ch, re)
                self.bus.emit("refund.updated", re, {"status": "pending"})
                self.bus.emit("charge.refund.updated", re, {"status": "pending"})
        for pi in self.store.all("payment_intent"):
            plan = pi.get("_ach_plan")
            if plan and pi["status"] == "processing" and pi.get("_ach_settle_at", now + 1) <= now:
                if plan == "succeeded":
                    self.settle(pi)
                else:
                    self.fail(pi)

    def balance(self) -> dict[str, Any]:
        available: dict[str, int] = {}
        pending: dict[str, int] = {}
        for txn in self.store.all("balance_transaction"):
            bucket = available if txn["status"] == "available" else pending
            bucket[txn["currency"]] = bucket.get(txn["currency"], 0) + txn["net"]
        currencies = sorted(set(available) | set(pending) | {"usd"})
        return {
            "object": "balance", "livemode": False,
            "available": [{"amount": available.get(c, 0), "currency": c, "source_types": {"card": available.get(c, 0)}} for c in currencies],
            "pending": [{"amount": pending.get(c, 0), "currency": c, "source_types": {"card": pending.get(c, 0)}} for c in currencies],
            "connect_reserved": [{"amount": 0, "currency": c} for c in currencies],
        }

    def payout(self, currency: str = "usd") -> dict[str, Any]:
        """An automatic payout of everything available that no payout has taken yet."""
        included = [t for t in self.store.all("balance_transaction")
                    if t["status"] == "available" and t["currency"] == currency and not t.get("_payout")]
        amount = sum(t["net"] for t in included)
        if amount <= 0:
            raise invalid(f"No available {currency} balance to pay out (available: {amount}).", code="balance_insufficient")
        created = self.store.created()
        po = objects.payout(created, amount, currency)
        txn = objects.balance_transaction(
            created, amount=-amount, fee=0, fee_details=[], currency=currency, source=po["id"], type="payout",
            reporting_category="payout", available_on=created, status="available", description="STRIPE PAYOUT")
        self.store.add(txn)
        for t in included + [txn]:
            t["_payout"] = po["id"]
        po["balance_transaction"] = txn["id"]
        self.store.add(po)
        self.bus.emit("payout.created", po)
        previous = {"status": po["status"]}
        po.update(status="paid", trace_id={"status": "supported", "value": "SANDBOX" + po["id"][-10:].upper()})
        self.bus.emit("payout.paid", po, previous)
        previous = {"reconciliation_status": po["reconciliation_status"]}
        po["reconciliation_status"] = "completed"
        self.bus.emit("payout.reconciliation_completed", po, previous)
        return po
