"""/v1 checkout sessions, payment intents, charges, refunds, disputes, balance, payouts."""
from __future__ import annotations

from typing import Any

from aiohttp import web

from . import objects
from .crud import Args, apply_update, get_or_404, items_list, list_of, retriever
from .core import Sandbox
from .handlers import api
from .listing import paginate
from .wire import Params, invalid, merge_metadata, missing



# checkout sessions (created by payers through payment links)
def list_sessions(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    return list_of(core, "checkout.session", p, "/v1/checkout/sessions", "checkout.session",
                 payment_link=p.str("payment_link"), payment_intent=p.str("payment_intent"),
                 customer=p.str("customer"), status=p.str("status"))


def session_line_items(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    session = get_or_404(core, "checkout.session", a["id"], "checkout.session")
    return items_list(session, p, f"/v1/checkout/sessions/{session['id']}/line_items")


def expire_session(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    p.allow()
    return core.checkout.expire(get_or_404(core, "checkout.session", a["id"], "checkout.session"))


# payment intents
def create_intent(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    p.allow("amount", "currency", "payment_method", "confirm", "metadata", "customer", "description",
            "receipt_email", "payment_method_types", "automatic_payment_methods", "capture_method",
            "statement_descriptor", "statement_descriptor_suffix", "return_url", "off_session")
    amount = p.int("amount", required=True)
    assert amount is not None
    if amount < 50:
        raise invalid("Amount must be at least $0.50 usd", param="amount", code="amount_too_small")
    currency = (p.str("currency", required=True) or "").lower()
    customer = p.str("customer")
    if customer:
        get_or_404(core, "customer", customer, "customer")
    if p.str("capture_method", "automatic") != "automatic":
        raise invalid("The sandbox supports only capture_method=automatic.", param="capture_method")
    types = [str(t) for t in p.list("payment_method_types")] or ["card"]
    pi = objects.payment_intent(core.store.created(), amount, currency, payment_method_types=types,
                                metadata=p.metadata() or {}, customer=customer, description=p.str("description"),
                                receipt_email=p.str("receipt_email"))
    pm = p.str("payment_method")
    if pm:
        pi["status"] = "requires_confirmation"
        pi["_pm"] = pm
    core.store.add(pi)
    core.bus.emit("payment_intent.created", pi)
    if p.bool("confirm", False):
        if not pm:
            raise invalid("You must provide a payment_method to confirm this PaymentIntent.",
                          param="payment_method", code="parameter_missing")
        core.payments.confirm(pi, pm)
    return pi


def confirm_intent(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    p.allow("payment_method", "return_url", "receipt_email", "off_session", "payment_method_types")
    pi = get_or_404(core, "payment_intent", a["id"], "payment_intent")
    pm = p.str("payment_method") or pi.get("_pm")
    if not pm:
        raise invalid("You cannot confirm this PaymentIntent because it's missing a payment method.",
                      param="payment_method", code="payment_intent_unexpected_state")
    pi["_pm"] = pm
    core.payments.confirm(pi, pm)
    return pi


def update_intent(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    p.allow("metadata", "description", "receipt_email", "amount", "payment_method")
    pi = get_or_404(core, "payment_intent", a["id"], "payment_intent")
    changes: dict[str, Any] = {k: p.str(k) for k in ("description", "receipt_email") if k in p}
    if "amount" in p:
        if pi["status"] in ("succeeded", "processing", "canceled"):
            raise invalid(f"You cannot update the amount of a PaymentIntent with status {pi['status']}.",
                          param="amount", code="payment_intent_unexpected_state")
        changes["amount"] = p.int("amount")
    if "payment_method" in p:
        pi["_pm"] = p.str("payment_method")
        changes["status"] = "requires_confirmation" if pi["status"] == "requires_payment_method" else pi["status"]
    if "metadata" in p:
        changes["metadata"] = merge_metadata(pi["metadata"], p.metadata())
    return apply_update(core, pi, changes, "payment_intent.updated")


def cancel_intent(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    p.allow("cancellation_reason")
    pi = get_or_404(core, "payment_intent", a["id"], "payment_intent")
    return core.payments.cancel(pi, p.str("cancellation_reason"))


# charges
def update_charge(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    p.allow("metadata", "description", "receipt_email")
    ch = get_or_404(core, "charge", a["id"], "charge")
    changes: dict[str, Any] = {k: p.str(k) for k in ("description", "receipt_email") if k in p}
    if "metadata" in p:
        changes["metadata"] = merge_metadata(ch["metadata"], p.metadata())
    return apply_update(core, ch, changes, "charge.updated")


# refunds
def create_refund(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    p.allow("charge", "payment_intent", "amount", "reason", "metadata", "instructions_email")
    charge_id, pi_id = p.str("charge"), p.str("payment_intent")
    if charge_id and pi_id:
        raise invalid("You can only specify one of charge or payment_intent.", param="payment_intent")
    if pi_id:
        pi = core.payments.intent(pi_id)
        if not pi["latest_charge"] or pi["status"] != "succeeded":
            raise invalid(f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                          param="payment_intent", code="charge_not_refundable")
        charge_id = pi["latest_charge"]
    if not charge_id:
        raise invalid("One of the following params should be provided for this request: payment_intent or charge.",
                      param="charge", code="parameter_missing")
    ch = core.payments.charge(charge_id)
    return core.payments.refund(ch, p.int("amount"), p.str("reason"), p.metadata() or {})


def update_refund(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    p.allow("metadata")
    re = get_or_404(core, "refund", a["id"], "refund")
    if "metadata" not in p:
        return re
    previous = {"metadata": dict(re["metadata"])}
    re["metadata"] = merge_metadata(re["metadata"], p.metadata())
    core.bus.emit("refund.updated", re, previous)
    core.bus.emit("charge.refund.updated", re, previous)
    return re


def update_dispute(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    p.allow("metadata", "evidence", "submit")
    dp = get_or_404(core, "dispute", a["id"], "dispute")
    changes: dict[str, Any] = {}
    if "metadata" in p:
        changes["metadata"] = merge_metadata(dp["metadata"], p.metadata())
    if p.bool("submit", False) and dp["status"] == "needs_response":
        changes["status"] = "under_review"
    return apply_update(core, dp, changes, "charge.dispute.updated")


# balance
def list_balance_transactions(core: Sandbox, p: Params, a: Args) -> dict[str, Any]:
    payout = p.str("payout")
    items = list(core.store.all("balance_transaction"))
    if payout:
        po = core.store.get("payout", payout)
        if po is None:
            raise missing("payout", payout, "payout")
        items = [t for t in items if t.get("_payout") == payout]
    for key in ("type", "source", "currency"):
        value = p.str(key)
        if value:
            items = [t for t in items if t[key] == value]
    return paginate(items, p, "/v1/balance_transactions", core.store, "balance_transaction")


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/v1/checkout/sessions", api(list_sessions))
    r.add_get("/v1/checkout/sessions/{id}", api(retriever("checkout.session", "checkout.session")))
    r.add_get("/v1/checkout/sessions/{id}/line_items", api(session_line_items))
    r.add_post("/v1/checkout/sessions/{id}/expire", api(expire_session))
    r.add_post("/v1/payment_intents", api(create_intent))
    r.add_get("/v1/payment_intents", api(lambda c, p, a: list_of(c, "payment_intent", p, "/v1/payment_intents",
                                                              "payment_intent", customer=p.str("customer"))))
    r.add_get("/v1/payment_intents/{id}", api(retriever("payment_intent", "payment_intent")))
    r.add_post("/v1/payment_intents/{id}", api(update_intent))
    r.add_post("/v1/payment_intents/{id}/confirm", api(confirm_intent))
    r.add_post("/v1/payment_intents/{id}/cancel", api(cancel_intent))
    r.add_get("/v1/charges", api(lambda c, p, a: list_of(c, "charge", p, "/v1/charges", "charge",
                                                      payment_intent=p.str("payment_intent"),
                                                      customer=p.str("customer"))))
    r.add_get("/v1/charges/{id}", api(retriever("charge", "charge")))
    r.add_post("/v1/charges/{id}", api(update_charge))
    r.add_post("/v1/refunds", api(create_refund))
    r.add_get("/v1/refunds", api(lambda c, p, a: list_of(c, "refund", p, "/v1/refunds", "refund",
                                                      charge=p.str("charge"), payment_intent=p.str("payment_intent"))))
    r.add_get("/v1/refunds/{id}", api(retriever("refund", "refund")))
    r.add_post("/v1/refunds/{id}", api(update_refund))
    r.add_get("/v1/disputes", api(lambda c, p, a: list_of(c, "dispute", p, "/v1/disputes", "dispute",
                                                       charge=p.str("charge"), payment_intent=p.str("payment_intent"))))
    r.add_get("/v1/disputes/{id}", api(retriever("dispute", "dispute")))
    r.add_post("/v1/disputes/{id}", api(update_dispute))
    r.add_get("/v1/balance", api(lambda c, p, a: c.payments.balance()))
    r.add_get("/v1/balance_transactions", api(list_balance_transactions))
    r.add_get("/v1/balance_transactions/{id}", api(retriever("balance_transaction", "balance_transaction")))
    r.add_get("/v1/payouts", api(lambda c, p, a: list_of(c, "payout", p, "/v1/payouts", "payout",
                                                      status=p.str("status"))))
    r.add_get("/v1/payouts/{id}", api(retriever("payout", "payout")))
