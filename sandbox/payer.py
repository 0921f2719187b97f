"""The payer's side of a payment link: the page a phone shows after scanning the printed QR code."""
from __future__ import annotations

import html
from typing import Any

from aiohttp import web

from .checkout import link_amount, link_refusal
from .handlers import CORE
from .wire import StripeError

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:30rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.3rem} .amount{font-size:2rem;font-weight:bold;margin:.5rem 0 1rem}
button{display:block;width:100%;padding:.8rem;margin:.5rem 0;font-size:1rem;border-radius:.4rem;border:1px solid #635bff;
background:#635bff;color:#fff} button.alt{background:#fff;color:#635bff}
input{width:100%;padding:.5rem;font-size:1rem;box-sizing:border-box} .note{color:#666;font-size:.85rem}
.box{border:1px solid #ddd;border-radius:.5rem;padding:1rem} .bad{color:#b00020}
"""

ACTIONS = {
    "card": ("card", "succeeded", None),
    "card_declined": ("card", "declined", None),
    "ach": ("us_bank_account", "succeeded", "succeeded"),
    "ach_fails": ("us_bank_account", "succeeded", "failed"),
}


def _money(cents: int, currency: str) -> str:
    symbol = "$" if currency == "usd" else currency.upper() + " "
    return f"{symbol}{cents // 100:,}.{cents % 100:02d}"


def _page(title: str, body: str, status: int = 200) -> web.Response:
    doc = (f"<!doctype html><html lang=en><head><meta charset=utf-8>"
           f"<meta name=viewport content='width=device-width,initial-scale=1'><title>{html.escape(title)}</title>"
           f"<style>{_STYLE}</style></head><body>{body}"
           f"<p class=note>Stripe sandbox (test mode): no real money moves.</p></body></html>")
    return web.Response(text=doc, content_type="text/html", status=status)


def _closed(link: dict[str, Any], reason: str) -> web.Response:
    return _page("Payment link unavailable",
                 f"<div class=box><h1>This link can no longer be paid</h1><p class=bad>{html.escape(reason)}</p></div>",
                 status=410)


def _link(request: web.Request) -> dict[str, Any]:
    link = request.app[CORE].store.get("payment_link", request.match_info["id"])
    if link is None:
        raise web.HTTPNotFound(text="No such payment link", content_type="text/plain")
    return link


async def show(request: web.Request) -> web.Response:
    link = _link(request)
    refusal = link_refusal(link)
    if refusal:
        return _closed(link, refusal)
    crid = request.query.get("client_reference_id", "")
    email = request.query.get("prefilled_email", "")
    items = "".join(f"<li>{html.escape(li['description'] or '')} &times; {li['quantity']}: "
                    f"{_money(li['amount_total'], li['currency'])}</li>" for li in link["_line_items"])
    methods = link.get("payment_method_types") or ["card", "us_bank_account"]
    buttons = []
    if "card" in methods:
        buttons.append("<button name=action value=card>Pay by card (test card 4242 4242 4242 4242)</button>")
        buttons.append("<button class=alt name=action value=card_declined>Pay with a card that gets declined "
                       "(4000 0000 0000 0002)</button>")
    if "us_bank_account" in methods:
        buttons.append("<button class=alt name=action value=ach>Pay by bank account (ACH, settles later)</button>")
        buttons.append("<button class=alt name=action value=ach_fails>Pay by bank account (ACH, fails later)</button>")
    title = link["_line_items"][0]["description"] or "your payment"
    body = (f"<div class=box><h1>Pay {html.escape(title)}</h1>"
            f"<ul>{items}</ul><div class=amount>{_money(link_amount(link), link['currency'])}</div>"
            f"<form method=post><input type=hidden name=client_reference_id value='{html.escape(crid, quote=True)}'>"
            f"<label>Email<br><input type=email name=email value='{html.escape(email, quote=True)}'></label>"
            f"{''.join(buttons)}</form></div>")
    return _page("Pay", body)


async def submit(request: web.Request) -> web.Response:
    core = request.app[CORE]
    link = _link(request)
    form = await request.post()
    action = str(form.get("action", "card"))
    if action not in ACTIONS:
        return _page("Payment", "<h1 class=bad>Unknown payment choice.</h1>", status=400)
    method, outcome, plan = ACTIONS[action]
    refusal = link_refusal(link)
    if refusal:
        return _closed(link, refusal)
    crid = str(form.get("client_reference_id", "")) or request.query.get("client_reference_id") or None
    try:
        session = core.checkout.pay(link, method=method, outcome=outcome, email=str(form.get("email", "")) or None,
                                    client_reference_id=crid, ach_plan=plan)
    except StripeError as exc:
        return _page("Payment", f"<h1 class=bad>{html.escape(exc.message)}</h1>", status=400)
    amount = _money(session["amount_total"], session["currency"])
    if session["status"] != "complete":
        return _page("Card declined", f"<div class=box><h1 class=bad>Your card was declined.</h1>"
                                      f"<p>Nothing was charged. <a href=''>Try again</a>.</p></div>", status=402)
    if session["payment_status"] == "paid":
        text = f"<h1>Thank you!</h1><p>Your payment of {amount} was received.</p>"
    else:
        text = (f"<h1>Thank you!</h1><p>Your bank payment of {amount} is processing; "
                f"it usually takes a few business days.</p>")
    return _page("Thank you", f"<div class=box>{text}<p class=note>Reference {html.escape(session['id'])}</p></div>")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/pay/{id}", show)
    app.router.add_post("/pay/{id}", submit)
