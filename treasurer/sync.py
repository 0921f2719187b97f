"""Bringing Stripe's events into the books: processing stored events, and catching up from the Events API.

No asyncio here: the relay runs these in a worker thread; ``treasurer sync`` runs
them directly.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Iterator

from . import inbox, payment_links
from .errors import UserFacingError
from .gateway import Gateway, GatewayError
from .hall import Hall
from .recording import (
    Outcome,
    apply_refund,
    process,
    process_many,
    record_payment_intent,
)

log = logging.getLogger(__name__)
RETENTION_SECONDS = 30 * 86400
CURSOR, CURSOR_CREATED = "poll_cursor", "poll_cursor_created"
PAGE = 100


def process_events(hall: Hall, gateway: Gateway | None, event_ids: list[str]) -> dict[str, Outcome]:
    """Process events in order, in one transaction (``process_many``); fetch what a held event needs; retry held
    events once something was applied.

    Without a gateway nothing is fetched and no link is switched off (the relay
    does both in its network thread, see ``fetch`` and ``payment_links``).
    """
    results = process_many(hall, event_ids)
    if gateway is not None:
        for event_id, outcome in results.items():
            if outcome.outcome == "held" and outcome.needs:
                results[event_id] = _fetch_and_retry(hall, gateway, event_id, outcome)
    if any(r.outcome == "applied" for r in results.values()):
        for event_id in inbox.waiting(hall, ("held",)):
            results[event_id] = _process_one(hall, gateway, event_id)
    if gateway is not None:
        payment_links.close_links(hall, gateway, links_to_switch_off(results))
    return results


def links_to_switch_off(results: dict[str, Outcome]) -> list[str]:
    return [link for outcome in results.values() for link in outcome.deactivate_links]


def _process_one(hall: Hall, gateway: Gateway | None, event_id: str) -> Outcome:
    outcome = process(hall, event_id)
    if outcome.outcome == "held" and outcome.needs and gateway is not None:
        outcome = _fetch_and_retry(hall, gateway, event_id, outcome)
    return outcome


def _fetch_and_retry(hall: Hall, gateway: Gateway, event_id: str, outcome: Outcome) -> Outcome:
    try:
        fetched = fetch(gateway, outcome.needs)
    except UserFacingError as exc:
        log.info("fetching %s for %s failed: %s", outcome.needs, event_id, exc)
        return outcome
    unblocked, links = record_fetched(hall, fetched)
    return retry_with(hall, event_id, links) if unblocked else outcome


def retry_with(hall: Hall, event_id: str, links: tuple[str, ...]) -> Outcome:
    """Process a held event again once what it needed is recorded, keeping the links that recording closed."""
    outcome = process(hall, event_id)
    return dataclasses.replace(outcome, deactivate_links=(*links, *outcome.deactivate_links))


@dataclasses.dataclass
class Fetched:
    """What a held event needed, read from Stripe (network only; ``record_fetched`` writes it)."""
    kind: str                       # payment_intent | refunds
    objects: list[dict]


def fetch(gateway: Gateway, needs: str) -> Fetched:
    kind, ident = needs.split(":", 1)
    if kind == "payment_intent":
        return Fetched(kind, [gateway.retrieve_payment_intent(ident)])
    if kind == "refunds":
        return Fetched(kind, list(gateway.refunds_for_charge(ident)))
    return Fetched(kind, [])


def record_fetched(hall: Hall, fetched: Fetched) -> tuple[bool, tuple[str, ...]]:
    """Record what was fetched: (whether it may unblock the event that needed it, links it closed)."""
    if fetched.kind == "payment_intent" and fetched.objects:
        outcome = record_payment_intent(hall, fetched.objects[0])
        return outcome.outcome == "applied", outcome.deactivate_links
    if fetched.kind == "refunds":
        for refund in fetched.objects:
            with hall.write() as tx:
                apply_refund(tx, refund)
        return bool(fetched.objects), ()
    return False, ()


@dataclasses.dataclass
class CatchUp:
    seen: int = 0
    new: int = 0
    cursor: str | None = None
    since: int | None = None
    links: payment_links.ClosedLinks | None = None
    warnings: list[str] = dataclasses.field(default_factory=list)
    outcomes: dict[str, int] = dataclasses.field(default_factory=dict)

    def summary(self) -> str:
        done = ", ".join(f"{n} {k}" for k, n in sorted(self.outcomes.items())) or "nothing to process"
        text = f"Caught up: {self.seen} events from Stripe, {self.new} new ({done})."
        if self.links and self.links.closed:
            text += f" Switched off {self.links.closed} payment links of closed slips."
        if self.links and self.links.failed:
            text += (f" {len(self.links.failed)} payment links could not be switched off yet; "
                     f"they are retried on the next sync.")
        return text


def start_catch_up(hall: Hall, now: float | None = None) -> CatchUp:
    """Where to read from: after the cursor, or the last 30 days on the first run (with a warning past 30 days)."""
    now = now or time.time()
    report = CatchUp(cursor=inbox.get_state(hall, CURSOR))
    cursor_created = inbox.get_state(hall, CURSOR_CREATED)
    if report.cursor is None:
        report.since = int(now - RETENTION_SECONDS)
    elif cursor_created and now - int(cursor_created) > RETENTION_SECONDS:
        report.warnings.append(
            "The last event read from Stripe is more than 30 days old; Stripe keeps events for 30 days, so "
            "payments between then and now may be missing. Run 'treasurer reconcile' and check Stripe.")
    return report


def read_pages(gateway: Gateway, report: CatchUp, source: str = "poll") -> Iterator[list[inbox.Incoming]]:
    """Stripe's events after the report's cursor, oldest first, 100 at a time (network only)."""
    page: list[inbox.Incoming] = []
    for event in gateway.events_after(report.cursor, created_gte=report.since):
        page.append(inbox.from_object(event, source))
        if len(page) == PAGE:
            yield page
            page = []
    if page:
        yield page


def store_page(hall: Hall, page: list[inbox.Incoming], report: CatchUp) -> list[str]:
    """Store a page and move the cursor past it in one transaction; returns the ids that were new."""
    if not page:
        return []
    last = page[-1]
    fresh = inbox.store_many(hall, page, state={CURSOR: last.id, CURSOR_CREATED: str(last.created)})
    report.seen += len(page)
    new_ids = [e.id for e, is_new in zip(page, fresh) if is_new]
    report.new += len(new_ids)
    report.cursor = last.id
    return new_ids


def read_failed(hall: Hall, report: CatchUp, exc: GatewayError) -> None:
    """Stripe forgot the cursor's event: read by date next time instead of failing for ever."""
    # Stripe's code for it is resource_missing (GatewayError keeps Stripe's code, "invalid" when it gives none).
    if exc.code in ("invalid", "resource_missing") and report.cursor and "No such" in str(exc):
        report.warnings.append(f"Stripe no longer knows the last event read ({report.cursor}); reading by "
                               f"date instead.")
        inbox.set_state(hall, CURSOR, "")


def catch_up(hall: Hall, gateway: Gateway, source: str = "poll", now: float | None = None) -> CatchUp:
    """Store and process every event newer than the cursor, oldest first; the first run backfills 30 days.

    Ends by retrying the payment links that earlier runs could not switch off.
    """
    report = start_catch_up(hall, now)
    _process_pending(hall, gateway, report)
    try:
        for page in read_pages(gateway, report, source):
            count_outcomes(report, process_events(hall, gateway, store_page(hall, page, report)))
    except GatewayError as exc:
        read_failed(hall, report, exc)
        raise
    report.links = payment_links.close_links(hall, gateway)
    return report


def _process_pending(hall: Hall, gateway: Gateway, report: CatchUp) -> None:
    """Events stored but never processed (the process was killed between the two)."""
    while pending := inbox.waiting(hall, ("pending",), 500):
        count_outcomes(report, process_events(hall, gateway, pending))


def count_outcomes(report: CatchUp, results: dict[str, Outcome]) -> None:
    for outcome in results.values():
        report.outcomes[outcome.outcome] = report.outcomes.get(outcome.outcome, 0) + 1
