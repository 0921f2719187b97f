"""A payer completing a payment link: the checkout session, its payment intent and the events;
and sessions left open (a declined card, a payer who walked away) expiring."""
from __future__ import annotations

from typing import Any

from . import objects
from .events import EventBus
from .payments import Payments
from .store import Store
from .wire import StripeError, invalid

METHODS = ("card", "us_bank_account")
CARD_OUTCOMES = {"succeeded": "pm_card_visa", "declined": "pm_card_chargeDeclined"}


def link_refusal(link: dict[str, Any]) -> str | None:
    """Why a payer cannot pay this link now, or None."""
    if not link["active"]:
        return link.get("inactive_message") or "This payment link has been deactivated."
    limits = (link.get("restrictions") or {}).get("completed_sessions")
    if limits and limits["count"] >= limits["limit"]:
        return link.get("inactive_message") or "This payment link has already been used the maximum number of times."
    return None


def link_amount(link: dict[str, Any]) -> int:
    return sum(li["amount_total"] for li in link["_line_items"])


class Checkout:
    def __init__(self, store: Store, bus: EventBus, payments: Payments) -> None:
        self.store = store
        self.bus = bus
        self.payments = payments

    def pay(self, link: dict[str, Any], *, method: str, outcome: str = "succeeded", email: str | None = None,
            client_reference_id: str | None = None, ach_plan: str | None = None) -> dict[str, Any]:
        """Pay `link` as a payer would; returns the checkout session.

        A declined card leaves the session open and unpaid. ACH completes the session unpaid and
        leaves the payment processing; `ach_plan` ('succeeded'/'failed') makes it settle by itself
        once the sandbox clock has moved past the settlement delay.
        """
        if method not in METHODS:
            raise invalid("method must be card or us_bank_account", param="method")
        refusal = link_refusal(link)
        if refusal:
            raise invalid(refusal, param="payment_link", code="payment_link_inactive")
        allowed = link.get("payment_method_types")
        if allowed and method not in allowed:
            raise invalid(f"This payment link does not accept {method}.", param="method")
        if ach_plan not in (None, "succeeded", "failed"):
            raise invalid("settle must be succeeded or failed", param="settle")
        if method == "card":
            if outcome not in CARD_OUTCOMES:
                raise invalid("outcome must be succeeded or declined", param="outcome")
            token = CARD_OUTCOMES[outcome]
        else:
            token = "pm_usBankAccount"
        pi_data = link["payment_intent_data"] or {}
        pi = objects.payment_intent(
            self.store.created(), link_amount(link), link["currency"], payment_method_types=[method],
            metadata=dict(pi_data.get("metadata") or {}), customer=None, description=pi_data.get("description"),
            receipt_email=email)
        self.store.add(pi)
        self.bus.emit("payment_intent.created", pi)
        session = objects.checkout_session(self.store.created(), link, payment_intent=pi["id"], method=method,
                                           email=email, client_reference_id=client_reference_id)
        self.store.add(session)
        try:
            self.payments.confirm(pi, token, email=email, plan=ach_plan)
        except StripeError as exc:
            if exc.status != 402:
                raise
            return session
        session["status"] = "complete"
        session["payment_status"] = "paid" if pi["status"] == "succeeded" else "unpaid"
        limits = (link.get("restrictions") or {}).get("completed_sessions")
        if limits:
            limits["count"] += 1
        self.bus.emit("checkout.session.completed", session)
        return session

    def expire(self, session: dict[str, Any]) -> dict[str, Any]:
        """Expire an open session (Stripe's `POST /v1/checkout/sessions/{id}/expire`, or its 24 hours ran out)."""
        if session["status"] != "open":
            raise invalid(f"Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session "
                          f"({session['id']}) has a status of {session['status']}.")
        session["status"] = "expired"
        self.bus.emit("checkout.session.expired", session)
        return session

    def expire_due(self) -> None:
        """Open sessions whose `expires_at` the (sandbox) clock has passed."""
        now = self.store.now()
        for session in self.store.all("checkout.session"):
            if session["status"] == "open" and session["expires_at"] <= now:
                self.expire(session)
