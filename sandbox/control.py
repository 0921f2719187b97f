"""/_sandbox control endpoints: act as the payer, the bank, the card network, Stripe's dashboard and time."""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from aiohttp import web

from .core import Sandbox
from .handlers import CORE
from .store import public
from .wire import Params, StripeError, json_response, missing, read_params

ControlFn = Callable[[Sandbox, Params, web.Request], Awaitable[dict[str, Any]]]


def control(fn: ControlFn) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        core = request.app[CORE]
        try:
            core.refresh()
            result = await fn(core, Params(await read_params(request)), request)
        except StripeError as exc:
            return exc.response()
        return json_response(result)

    return handler


def _get(core: Sandbox, kind: str, ident: str) -> dict[str, Any]:
    obj = core.store.get(kind, ident)
    if obj is None:
        raise missing(kind, ident)
    return obj


async def pay(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    p.allow("method", "outcome", "email", "client_reference_id", "settle")
    link = _get(core, "payment_link", request.match_info["id"])
    method = p.str("method", "card") or "card"
    session = core.checkout.pay(link, method=method, outcome=p.str("outcome", "succeeded") or "succeeded",
                                email=p.str("email"), client_reference_id=p.str("client_reference_id"),
                                ach_plan=p.str("settle") if method == "us_bank_account" else None)
    return public(session)


async def settle(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    return public(core.payments.settle(_get(core, "payment_intent", request.match_info["id"])))


async def fail(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    return public(core.payments.fail(_get(core, "payment_intent", request.match_info["id"])))


async def refund(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    p.allow("amount", "reason", "metadata")
    ch = _get(core, "charge", request.match_info["id"])
    return public(core.payments.refund(ch, p.int("amount"), p.str("reason"), p.metadata() or {}))


async def dispute(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    p.allow("reason")
    ch = _get(core, "charge", request.match_info["id"])
    return public(core.payments.dispute(ch, p.str("reason", "fraudulent") or "fraudulent"))


async def close_dispute(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    p.allow("outcome")
    dp = _get(core, "dispute", request.match_info["id"])
    return public(core.payments.close_dispute(dp, p.str("outcome", required=True) or ""))


async def payout(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    p.allow("currency")
    return public(core.payments.payout(p.str("currency", "usd") or "usd"))


async def fail_payout(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    p.allow("failure_code")
    po = _get(core, "payout", request.match_info["id"])
    return public(core.failures.fail_payout(po, p.str("failure_code", "account_closed") or "account_closed"))


async def fail_refund(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    p.allow("failure_reason")
    re = _get(core, "refund", request.match_info["id"])
    reason = p.str("failure_reason", "expired_or_canceled_card") or "expired_or_canceled_card"
    return public(core.failures.fail_refund(re, reason))


async def expire_session(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    p.allow()
    return public(core.checkout.expire(_get(core, "checkout.session", request.match_info["id"])))


async def clock(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    p.allow("advance_seconds")
    step = p.int("advance_seconds", 0) or 0
    if step < 0:
        raise StripeError(400, "The sandbox clock only moves forward.", param="advance_seconds")
    core.store.clock_offset += step
    core.refresh()
    return {"now": core.store.now(), "offset_seconds": core.store.clock_offset}


async def faults(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    if request.method == "POST":
        core.faults.configure(p)
    return core.faults.as_json()


async def state(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    succeeded = sum(ch["amount"] for ch in core.store.all("charge") if ch["status"] == "succeeded")
    return {"counts": core.store.counts(), "succeeded_payments_cents": succeeded, "now": core.store.now(),
            "faults": core.faults.as_json()}


async def reset(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    core.reset()
    return {"reset": True}


async def flush(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    p.allow("timeout")
    done = await core.webhooks.flush(timeout=p.float("timeout", 10.0) or 10.0)
    return {"flushed": done}


async def deliveries(core: Sandbox, p: Params, request: web.Request) -> dict[str, Any]:
    return {"object": "list", "data": list(core.webhooks.log)}


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_post("/_sandbox/payment_links/{id}/pay", control(pay))
    r.add_post("/_sandbox/payment_intents/{id}/settle", control(settle))
    r.add_post("/_sandbox/payment_intents/{id}/fail", control(fail))
    r.add_post("/_sandbox/charges/{id}/refund", control(refund))
    r.add_post("/_sandbox/charges/{id}/dispute", control(dispute))
    r.add_post("/_sandbox/disputes/{id}/close", control(close_dispute))
    r.add_post("/_sandbox/payouts", control(payout))
    r.add_post("/_sandbox/payouts/{id}/fail", control(fail_payout))
    r.add_post("/_sandbox/refunds/{id}/fail", control(fail_refund))
    r.add_post("/_sandbox/checkout/sessions/{id}/expire", control(expire_session))
    r.add_post("/_sandbox/clock", control(clock))
    r.add_get("/_sandbox/faults", control(faults))
    r.add_post("/_sandbox/faults", control(faults))
    r.add_get("/_sandbox/state", control(state))
    r.add_post("/_sandbox/reset", control(reset))
    r.add_post("/_sandbox/webhooks/flush", control(flush))
    r.add_get("/_sandbox/webhooks/deliveries", control(deliveries))
