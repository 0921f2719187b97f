"""Bringing Stripe's events into the books: processing stored events, and catching up from the Events API.

No asyncio here: the relay runs these in a worker thread; ``treasurer sync`` runs
them directly.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time

from . import inbox
from .errors import UserFacingError
from .gateway import Gateway, GatewayError
from .hall import Hall
from .recording import Outcome, apply_refund, process, record_payment_intent

log = logging.getLogger(__name__)
RETENTION_SECONDS = 30 * 86400
CURSOR, CURSOR_CREATED = "poll_cursor", "poll_cursor_created"


def process_events(hall: Hall, gateway: Gateway | None, event_ids: list[str]) -> dict[str, Outcome]:
    """Process events in order; fetch what a held event needs; retry held events once something was applied."""
    results: dict[str, Outcome] = {}
    for event_id in event_ids:
        results[event_id] = _process_one(hall, gateway, event_id)
    if any(r.outcome == "applied" for r in results.values()):
        for event_id in inbox.waiting(hall, ("held",)):
            results[event_id] = _process_one(hall, gateway, event_id)
    return results


def _process_one(hall: Hall, gateway: Gateway | None, event_id: str) -> Outcome:
    outcome = process(hall, event_id)
    if outcome.outcome == "held" and outcome.needs and gateway is not None:
        try:
            fetched = _fetch(hall, gateway, outcome.needs)
        except UserFacingError as exc:
            log.info("fetching %s for %s failed: %s", outcome.needs, event_id, exc)
            fetched = False
        if fetched:
            outcome = process(hall, event_id)
    if gateway is not None:
        for link_id in outcome.deactivate_links:
            try:
                gateway.deactivate_payment_link(link_id)
            except UserFacingError as exc:  # the link's limit of one payment already protects the member
                log.warning("could not deactivate %s: %s", link_id, exc)
    return outcome


def _fetch(hall: Hall, gateway: Gateway, needs: str) -> bool:
    kind, ident = needs.split(":", 1)
    if kind == "payment_intent":
        return record_payment_intent(hall, gateway.retrieve_payment_intent(ident)).outcome == "applied"
    if kind == "refunds":
        refunds = gateway.refunds_for_charge(ident)
        for refund in refunds:
            with hall.write() as tx:
                apply_refund(tx, refund)
        return bool(refunds)
    return False


@dataclasses.dataclass
class CatchUp:
    seen: int = 0
    new: int = 0
    cursor: str | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)
    outcomes: dict[str, int] = dataclasses.field(default_factory=dict)

    def summary(self) -> str:
        done = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items())) or "nothing to process"
        return f"Caught up: {self.seen} events from Stripe, {self.new} new ({done})."


def catch_up(hall: Hall, gateway: Gateway, source: str = "poll", now: float | None = None) -> CatchUp:
    """Store and process every event newer than the cursor, oldest first; the first run backfills 30 days."""
    now = now or time.time()
    report = CatchUp(cursor=inbox.get_state(hall, CURSOR))
    cursor_created = inbox.get_state(hall, CURSOR_CREATED)
    since = None
    if report.cursor is None:
        since = int(now - RETENTION_SECONDS)
    elif cursor_created and now - int(cursor_created) > RETENTION_SECONDS:
        report.warnings.append(
            f"The last event read from Stripe is more than 30 days old; Stripe keeps events for 30 days, so "
            f"payments between then and now may be missing. Run 'treasurer reconcile' and check Stripe.")
    _process_pending(hall, gateway, report)
    batch: list[inbox.Incoming] = []
    try:
        events = gateway.events_after(report.cursor, created_gte=since)
        for event in events:
            batch.append(inbox.parse(json.dumps(event), source))
            if len(batch) == 100:
                _store_batch(hall, gateway, batch, report)
                batch = []
    except GatewayError as exc:
        if exc.code == "invalid" and report.cursor and "No such" in str(exc):
            report.warnings.append(f"Stripe no longer knows the last event read ({report.cursor}); reading by "
                                   f"date instead.")
            inbox.set_state(hall, CURSOR, "")
        _store_batch(hall, gateway, batch, report)
        raise
    _store_batch(hall, gateway, batch, report)
    return report


def _store_batch(hall: Hall, gateway: Gateway, batch: list[inbox.Incoming], report: CatchUp) -> None:
    if not batch:
        return
    last = batch[-1]
    fresh = inbox.store_many(hall, batch, state={CURSOR: last.id, CURSOR_CREATED: str(last.created)})
    report.seen += len(batch)
    new_ids = [e.id for e, is_new in zip(batch, fresh) if is_new]
    report.new += len(new_ids)
    report.cursor = last.id
    _count(report, process_events(hall, gateway, new_ids))


def _process_pending(hall: Hall, gateway: Gateway, report: CatchUp) -> None:
    """Events stored but never processed (the process was killed between the two)."""
    while pending := inbox.waiting(hall, ("pending",), 500):
        _count(report, process_events(hall, gateway, pending))


def _count(report: CatchUp, results: dict[str, Outcome]) -> None:
    for outcome in results.values():
        report.outcomes[outcome.outcome] = report.outcomes.get(outcome.outcome, 0) + 1
