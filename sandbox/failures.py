"""Money the bank sends back: a payout or a refund that fails after Stripe sent it.

Either way Stripe gives the money back to the balance with a balance transaction of its own
(`payout_failure`, `refund_failure`) that the next payout sweeps up like any other available line.
"""
from __future__ import annotations

from typing import Any

from . import objects
from .events import EventBus
from .payments import restate_refund
from .store import Store
from .wire import invalid, missing

# Stripe's payout failure codes and the messages it gives with them.
PAYOUT_FAILURES: dict[str, str] = {
    "account_closed": "The bank account has been closed.",
    "account_frozen": "The bank account has been frozen.",
    "bank_account_restricted": "The bank account has restrictions on either the type, or the number, of payouts "
                               "allowed. This normally indicates that the bank account is a savings or other "
                               "non-checking account.",
    "bank_ownership_changed": "The destination bank account is no longer valid because its branch has changed "
                              "ownership.",
    "could_not_process": "The bank could not process this payout.",
    "debit_not_authorized": "Debit transactions are not approved on the bank account. (Stripe requires bank "
                            "accounts to be set up for both credit and debit payouts.)",
    "declined": "The bank has declined this transfer. Please contact the bank before retrying.",
    "incorrect_account_holder_name": "Your bank notified us that the bank account holder name on file is "
                                     "incorrect.",
    "insufficient_funds": "Your Stripe account has insufficient funds to cover the payout.",
    "invalid_account_number": "The routing number seems correct, but the account number is invalid.",
    "invalid_currency": "The bank was unable to process this payout because of its currency. This is probably "
                        "because the bank account cannot accept payments in that currency.",
    "no_account": "The bank account details on file are probably incorrect. No bank account could be located "
                  "with those details.",
}
REFUND_FAILURE_REASONS = ("lost_or_stolen_card", "expired_or_canceled_card", "charge_for_pending_refund_disputed",
                          "insufficient_funds", "declined", "merchant_request", "unknown")
FAILABLE_PAYOUT = ("pending", "in_transit", "paid")
FAILABLE_REFUND = ("pending", "succeeded")


class Failures:
    def __init__(self, store: Store, bus: EventBus) -> None:
        self.store = store
        self.bus = bus

    def _give_back(self, amount: int, currency: str, source: str, type: str, category: str,
                   description: str) -> dict[str, Any]:
        created = self.store.created()
        txn = objects.balance_transaction(
            created, amount=amount, fee=0, fee_details=[], currency=currency, source=source, type=type,
            reporting_category=category, available_on=created, status="available", description=description)
        return self.store.add(txn)

    def fail_payout(self, po: dict[str, Any], code: str = "account_closed") -> dict[str, Any]:
        """The bank returned a payout (possibly days after it showed paid)."""
        if code not in PAYOUT_FAILURES:
            raise invalid(f"Invalid failure_code: must be one of {', '.join(sorted(PAYOUT_FAILURES))}",
                          param="failure_code")
        if po["status"] not in FAILABLE_PAYOUT:
            raise invalid(f"Payout {po['id']} is already {po['status']}; only a pending, in transit or paid "
                          f"payout can fail.")
        txn = self._give_back(po["amount"], po["currency"], po["id"], "payout_failure", "payout_reversal",
                              "STRIPE PAYOUT FAILURE")
        previous = {k: po[k] for k in ("status", "failure_balance_transaction", "failure_code", "failure_message")}
        po.update(status="failed", failure_code=code, failure_message=PAYOUT_FAILURES[code],
                  failure_balance_transaction=txn["id"])
        self.bus.emit("payout.updated", po, previous)
        self.bus.emit("payout.failed", po, previous)
        return po

    def fail_refund(self, re: dict[str, Any], reason: str = "expired_or_canceled_card") -> dict[str, Any]:
        """The payer's bank refused a refund: the money comes back and the charge is unrefunded by it."""
        if reason not in REFUND_FAILURE_REASONS:
            raise invalid(f"Invalid failure_reason: must be one of {', '.join(REFUND_FAILURE_REASONS)}",
                          param="failure_reason")
        if re["status"] not in FAILABLE_REFUND:
            raise invalid(f"Refund {re['id']} is {re['status']}; only a pending or succeeded refund can fail.")
        ch = self.store.get("charge", re["charge"])
        if ch is None:
            raise missing("charge", re["charge"], "charge")
        txn = self._give_back(re["amount"], re["currency"], re["id"], "refund_failure", "refund_failure",
                              f"REFUND FAILURE ({re['id']})")
        previous = {"status": re["status"]}
        re.update(status="failed", failure_reason=reason, failure_balance_transaction=txn["id"])
        re.pop("_settle_at", None)
        ch["amount_refunded"] -= re["amount"]
        ch["refunded"] = ch["amount_refunded"] == ch["amount"]
        restate_refund(ch, re)
        self.bus.emit("refund.updated", re, previous)
        self.bus.emit("charge.refund.updated", re, previous)
        self.bus.emit("refund.failed", re, previous)
        return re
