"""The sandbox's moving parts wired together (one instance per server)."""
from __future__ import annotations

from .checkout import Checkout
from .events import EventBus
from .failures import Failures
from .faults import Faults
from .payments import Payments
from .store import Store
from .webhooks import RetryPolicy, WebhookDispatcher


class Sandbox:
    def __init__(self, *, retry: RetryPolicy | None = None, ach_settle_seconds: int = 3 * 86400) -> None:
        self.store = Store()
        self.bus = EventBus(self.store)
        self.faults = Faults()
        self.webhooks = WebhookDispatcher(self.store, self.bus, self.faults, retry or RetryPolicy())
        self.payments = Payments(self.store, self.bus, ach_settle_seconds)
        self.checkout = Checkout(self.store, self.bus, self.payments)
        self.failures = Failures(self.store, self.bus)
        self.base_url = ""

    def refresh(self) -> None:
        """Apply what the passing of (sandbox) time does: funds, ACH outcomes, sessions running out."""
        self.payments.refresh()
        self.checkout.expire_due()

    def rebase_links(self) -> None:
        """Point payment link URLs at this server (after loading state saved by another run)."""
        for link in self.store.all("payment_link"):
            link["url"] = f"{self.base_url}/pay/{link['id']}"
        for saved in self.store.idempotency.values():
            body = saved.get("body") or {}
            if body.get("object") == "payment_link":
                body["url"] = f"{self.base_url}/pay/{body['id']}"

    def reset(self) -> None:
        secrets = self.store.cli_secrets
        self.store.load_json({})
        self.store.cli_secrets = secrets
        self.faults.reset()
        self.webhooks.reset()
