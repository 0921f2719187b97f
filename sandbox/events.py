"""Events: created for each state change, stored, and handed to the delivery sinks."""
from __future__ import annotations

import contextvars
from typing import Any, Callable

from . import objects
from .store import Store, public

# (request id, idempotency key) of the API request being handled, for `event.request`.
REQUEST: contextvars.ContextVar[tuple[str | None, str | None]] = contextvars.ContextVar(
    "sandbox_request", default=(None, None)
)

EVENT_RETENTION_SECONDS = 30 * 86400

Sink = Callable[[dict[str, Any]], None]


def endpoint_wants(endpoint: dict[str, Any], event_type: str) -> bool:
    if endpoint.get("status") != "enabled":
        return False
    wanted = endpoint.get("enabled_events") or []
    return "*" in wanted or event_type in wanted


class EventBus:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.sinks: list[Sink] = []

    def emit(self, type: str, obj: dict[str, Any], previous_attributes: dict[str, Any] | None = None) -> dict[str, Any]:
        request_id, idem = REQUEST.get()
        ev = objects.event(self.store.created(), type, public(obj), previous_attributes, request_id, idem)
        endpoints = [e["id"] for e in self.store.all("webhook_endpoint") if endpoint_wants(e, type)]
        ev["pending_webhooks"] = len(endpoints)
        # Per-endpoint delivery state: pending | delivered | failed
        ev["_deliveries"] = {we: "pending" for we in endpoints}
        self.store.add(ev)
        for sink in self.sinks:
            sink(ev)
        return ev

    def mark(self, event_id: str, endpoint_id: str, outcome: str) -> None:
        ev = self.store.get("event", event_id)
        if ev is None or endpoint_id not in ev["_deliveries"]:
            return
        before = ev["_deliveries"][endpoint_id]
        if before == "delivered":
            return
        ev["_deliveries"][endpoint_id] = outcome
        if outcome == "delivered":
            ev["pending_webhooks"] = max(0, ev["pending_webhooks"] - 1)


def delivery_success(ev: dict[str, Any]) -> bool:
    return all(state == "delivered" for state in ev.get("_deliveries", {}).values())
