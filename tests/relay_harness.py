"""Running the real relay (its own asyncio loop in a thread) against the sandbox, for sync tests."""

from __future__ import annotations

import asyncio
import threading
import time

import stripe

from relay.service import Relay
from treasurer import credentials
from treasurer.gateway import HANDLED_EVENTS


class RelayThread:
    def __init__(self, hall, gateway, **options):
        self.hall, self.gateway, self.options = hall, gateway, options
        self.loop = asyncio.new_event_loop()
        self.relay: Relay | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> RelayThread:
        self._thread.start()
        self.relay = Relay(self.hall, self.gateway, **self.options)
        asyncio.run_coroutine_threadsafe(self.relay.start(), self.loop).result(60)
        return self

    def __exit__(self, *exc) -> None:
        asyncio.run_coroutine_threadsafe(self.relay.stop(), self.loop).result(60)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    def call(self, coro_fn, *args, timeout: float = 120):
        return asyncio.run_coroutine_threadsafe(coro_fn(*args), self.loop).result(timeout)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.relay.port}/stripe/webhook"


def register_endpoint(sandbox_url: str, api_key: str, url: str) -> str:
    """Register the receiver with the sandbox like a Stripe dashboard would; store the secret in the keyring."""
    client = stripe.StripeClient(api_key, base_addresses={"api": sandbox_url})
    endpoint = client.v1.webhook_endpoints.create({"url": url, "enabled_events": list(HANDLED_EVENTS)})
    credentials.store(credentials.WEBHOOK_SECRET, endpoint.secret)
    return endpoint.secret


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.05, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")
