"""Every call to Stripe goes through here, with the official SDK.

Stripe's errors become ``GatewayError`` with a sentence a treasurer can act on.
Rate limits (which the SDK never retries) and network failures are retried
with exponential backoff.  Every create carries a deterministic idempotency key
from the caller, so a retry after a lost answer never makes two of anything.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from .errors import UserFacingError

if TYPE_CHECKING:
    import stripe

log = logging.getLogger(__name__)
T = TypeVar("T")
API_VERSION = "2026-10-28.endive"

# The events the app handles (the relay asks the Stripe CLI and the Events API for these).
HANDLED_EVENTS = (
    "checkout.session.completed", "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed", "checkout.session.expired", "payment_intent.succeeded",
    "payment_intent.payment_failed", "charge.refunded", "charge.refund.updated", "refund.created",
    "refund.updated", "refund.failed", "charge.dispute.created", "charge.dispute.closed",
    "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated", "payout.paid", "payout.failed",
    "payout.reconciliation_completed",
)


class GatewayError(UserFacingError):
    """Stripe could not do what was asked; ``retryable`` says whether trying later may help."""

    def __init__(self, message: str, *, retryable: bool = False, code: str | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.code = code


def explain(exc: stripe.StripeError) -> GatewayError:
    import stripe

    from . import credentials

    if isinstance(exc, stripe.AuthenticationError):
        return GatewayError("Stripe refused the API key: it is wrong, revoked or for another account. "
                            "Check the key in Settings.", code="authentication")
    if isinstance(exc, stripe.PermissionError):
        return GatewayError("The restricted Stripe key lacks a permission this needs "
                            f"({credentials.redact(exc.user_message or str(exc))}). See the README for the "
                            "permissions to grant.", code="permission")
    if isinstance(exc, stripe.RateLimitError):
        return GatewayError("Stripe is receiving too many requests; try again in a minute.", retryable=True,
                            code="rate_limited")
    if isinstance(exc, stripe.APIConnectionError):
        return GatewayError("Stripe cannot be reached: check the internet connection, then try again.",
                            retryable=True, code="network")
    if isinstance(exc, stripe.CardError):
        return GatewayError(f"The card was declined: {exc.user_message or 'no reason given'}.", code="card_declined")
    if isinstance(exc, stripe.IdempotencyError):
        return GatewayError("Stripe saw this request before with different details; nothing was changed. "
                            "Start the action again.", code="idempotency")
    if isinstance(exc, stripe.InvalidRequestError):
        message = credentials.redact(exc.user_message or str(exc.error.message if exc.error else exc))
        return GatewayError(f"Stripe refused the request: {message}", code=getattr(exc, "code", None) or "invalid")
    status = getattr(exc, "http_status", None) or 0
    return GatewayError("Stripe had a problem on its side; try again in a few minutes.",
                        retryable=status >= 500 or status == 0, code="api")


class Gateway:
    def __init__(self, api_key: str, api_base: str | None = None, *, retries: int = 4,
                 backoff_seconds: float = 0.5, sleep: Callable[[float], None] = time.sleep,
                 timeout_seconds: float | None = None):
        """``timeout_seconds``: how long one request may take (connecting and reading); default the SDK's 80 s.
        A caller that must not keep a person waiting on a stalled network (a counter payment) sets less."""
        # Stripe's SDK and the keyring (a tenth of a second each to load) come with the first gateway, not
        # with every module that names one.
        import stripe

        from . import credentials

        self.mode = credentials.key_mode(api_key)
        self._api_key = api_key
        self.restricted = credentials.is_restricted(api_key)
        self.api_base = api_base
        addresses = {"api": api_base} if api_base else None
        http = stripe.new_default_http_client(timeout=timeout_seconds) if timeout_seconds else None
        self._client = stripe.StripeClient(api_key, base_addresses=addresses, stripe_version=API_VERSION,
                                           max_network_retries=0, http_client=http)
        self._retries = retries
        self._backoff = backoff_seconds
        self._sleep = sleep

    @classmethod
    def from_environment(cls, api_base: str | None = None, **kwargs) -> Gateway:
        from . import credentials

        key = credentials.api_key()
        if not key:
            raise UserFacingError("No Stripe key is set: store one in Settings (kept in the system keyring) or "
                                  "set STRIPE_API_KEY for this session.")
        return cls(key, api_base or os.environ.get("TREASURER_STRIPE_API_BASE") or None, **kwargs)

    def key_for_stripe_cli(self) -> str:
        """The key, for the Stripe CLI's environment (never its command line, never a log)."""
        return self._api_key

    @property
    def describe(self) -> str:
        kind = "restricted key" if self.restricted else "secret key"
        return f"{self.mode} mode, {kind}" + (f", via {self.api_base}" if self.api_base else "")

    def _call(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        import stripe

        attempt = 0
        while True:
            try:
                return fn(*args, **kwargs)
            except stripe.StripeError as exc:
                error = explain(exc)
                if not error.retryable or attempt >= self._retries:
                    # The caller turns the error into a sentence for the treasurer; here, one for the log. A
                    # refusal (a forgotten cursor, an unknown id) is the caller's to handle: not a warning.
                    if error.retryable:
                        log.info("Stripe's %s did not succeed after %d tries (%s): %s", what, attempt + 1,
                                    error.code, error)
                    else:
                        log.info("Stripe refused %s (%s): %s", what, error.code, error)
                    raise error from None
                delay = self._backoff * (2 ** attempt) * (0.5 + random.random())
                log.info("stripe %s: %s, retrying in %.1fs", what, error.code, delay)
                self._sleep(delay)
                attempt += 1

    # Payment links --------------------------------------------------------------------------------------

    def create_payment_link(self, params: dict, idempotency_key: str) -> dict:
        link = self._call("payment_links.create", self._client.v1.payment_links.create, params,
                          options={"idempotency_key": idempotency_key})
        return link.to_dict()

    def deactivate_payment_link(self, link_id: str) -> dict:
        link = self._call("payment_links.update", self._client.v1.payment_links.update, link_id,
                          {"active": False})
        return link.to_dict()

    def retrieve_payment_link(self, link_id: str) -> dict:
        return self._call("payment_links.retrieve", self._client.v1.payment_links.retrieve, link_id).to_dict()

    # Payments, refunds ----------------------------------------------------------------------------------

    def retrieve_payment_intent(self, pi_id: str) -> dict:
        return self._call("payment_intents.retrieve", self._client.v1.payment_intents.retrieve, pi_id,
                          {"expand": ["latest_charge"]}).to_dict()

    def retrieve_charge(self, charge_id: str) -> dict:
        return self._call("charges.retrieve", self._client.v1.charges.retrieve, charge_id).to_dict()

    def retrieve_checkout_session(self, session_id: str) -> dict:
        return self._call("checkout.sessions.retrieve", self._client.v1.checkout.sessions.retrieve,
                          session_id).to_dict()

    def refunds_for_charge(self, charge_id: str) -> list[dict]:
        return list(self._pages("refunds.list", self._client.v1.refunds.list, {"charge": charge_id}))

    def retrieve_refund(self, refund_id: str) -> dict:
        return self._call("refunds.retrieve", self._client.v1.refunds.retrieve, refund_id).to_dict()

    def retrieve_dispute(self, dispute_id: str) -> dict:
        return self._call("disputes.retrieve", self._client.v1.disputes.retrieve, dispute_id).to_dict()

    def create_refund(self, payment_intent: str, amount_cents: int | None, reason: str,
                      idempotency_key: str, metadata: dict | None = None) -> dict:
        params: dict[str, Any] = {"payment_intent": payment_intent, "metadata": metadata or {}}
        if amount_cents is not None:
            params["amount"] = amount_cents
        if reason in ("duplicate", "fraudulent", "requested_by_customer"):
            params["reason"] = reason
        refund = self._call("refunds.create", self._client.v1.refunds.create, params,
                            options={"idempotency_key": idempotency_key})
        return refund.to_dict()

    # Webhook endpoints --------------------------------------------------------------------------------

    def replace_webhook_endpoint(self, url: str, events: tuple[str, ...] = HANDLED_EVENTS) -> str:
        """Register ``url`` for our events (dropping older registrations of it); returns the signing secret."""
        endpoints = self._client.v1.webhook_endpoints
        for endpoint in self._pages("webhook_endpoints.list", endpoints.list, {}):
            if endpoint.get("url") == url:
                self._call("webhook_endpoints.delete", endpoints.delete, endpoint["id"])
        created = self._call("webhook_endpoints.create", endpoints.create,
                             {"url": url, "enabled_events": list(events)})
        return created.secret

    # Lists ----------------------------------------------------------------------------------------------

    def _pages(self, what: str, lister: Callable, params: dict) -> Iterator[dict]:
        page = self._call(what, lister, {**params, "limit": 100})
        while True:
            for item in page.data:
                yield item.to_dict()
            if not page.has_more or not page.data:
                return
            if "ending_before" in params:
                params = {**params, "ending_before": page.data[0].id}
            else:
                params = {**params, "starting_after": page.data[-1].id}
            page = self._call(what, lister, {**params, "limit": 100})

    def events_after(self, event_id: str | None, types: tuple[str, ...] = HANDLED_EVENTS,
                     created_gte: int | None = None) -> Iterator[dict]:
        """Events newer than ``event_id``, oldest first (Stripe keeps 30 days)."""
        params: dict[str, Any] = {"types": list(types)}
        if created_gte is not None:
            params["created"] = {"gte": created_gte}
        if event_id:
            for page in self._event_pages_newer(event_id, params):
                yield from page
        else:
            yield from reversed(list(self._pages("events.list", self._client.v1.events.list, params)))

    def _event_pages_newer(self, event_id: str, params: dict) -> Iterator[list[dict]]:
        # With ending_before Stripe returns the page just newer than the cursor, newest first.
        cursor = event_id
        while True:
            page = self._call("events.list", self._client.v1.events.list,
                              {**params, "ending_before": cursor, "limit": 100})
            items = [item.to_dict() for item in page.data]
            if not items:
                return
            items.reverse()
            yield items
            if not page.has_more:
                return
            cursor = items[-1]["id"]

    def retrieve_event(self, event_id: str) -> dict:
        return self._call("events.retrieve", self._client.v1.events.retrieve, event_id).to_dict()

    def balance_transactions(self, payout: str | None = None, expand_source: bool = False,
                             created_gte: int | None = None) -> Iterator[dict]:
        params: dict[str, Any] = {"payout": payout} if payout else {}
        if created_gte is not None:
            params["created"] = {"gte": created_gte}
        if expand_source:  # the charge, refund or dispute itself: its payment_intent, without a call per line
            params["expand"] = ["data.source"]
        return self._pages("balance_transactions.list", self._client.v1.balance_transactions.list, params)

    def payouts(self, created_gte: int | None = None) -> Iterator[dict]:
        params = {"created": {"gte": created_gte}} if created_gte else {}
        return self._pages("payouts.list", self._client.v1.payouts.list, params)


class BadSignature(Exception):
    """A webhook whose signature does not verify (wrong secret, altered body, too old)."""


def verify_webhook(raw_body: bytes, signature_header: str | None, secrets: list[str],
                   tolerance_seconds: int = 300) -> None:
    """Check Stripe's signature over the exact raw bytes against every secret in force."""
    if not signature_header:
        raise BadSignature("no Stripe-Signature header")
    if not secrets:
        raise BadSignature("no webhook signing secret is configured")
    import stripe

    payload = raw_body.decode("utf-8")
    for secret in secrets:
        try:
            stripe.WebhookSignature.verify_header(payload, signature_header, secret, tolerance_seconds)
            return
        except stripe.SignatureVerificationError:
            continue
    raise BadSignature("the signature does not match (wrong secret, altered body or too old)")
