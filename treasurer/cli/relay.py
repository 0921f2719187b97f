"""Commands for the relay: run it headless, see its state, retry events, catch up once."""

from __future__ import annotations

import datetime as dt
import time

from relay.ports import DEFAULT_PORT   # a constant only: nothing of the relay is started here

from .. import inbox
from ..errors import NotFound
from ..models import StripeEvent
from ..sync import CURSOR_CREATED, catch_up, process_events
from .common import add_command, group, hall_from
from .stripe import gateway_for


def register(commands) -> None:
    relay = group(commands, "relay", "the relay that brings Stripe's events into the books")
    p = add_command(relay, "run", cmd_run, "run the relay without a window (Ctrl+C stops it)",
                    epilog="examples:\n  treasurer relay run\n  treasurer relay run --mode poll --poll-interval 300")
    p.add_argument("--mode", default="auto", choices=("auto", "webhook", "cli", "poll"),
                   help="auto (the default): the Stripe CLI when installed, else the webhook receiver when a "
                        "signing secret is set, else polling Stripe's Events API")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"the webhook receiver's port (default {DEFAULT_PORT}, as the window's)")
    p.add_argument("--host", default="127.0.0.1", help="the address to listen on (default: this computer only)")
    p.add_argument("--public", action="store_true", help="allow listening beyond this computer (warns)")
    p.add_argument("--stripe-cli", metavar="PATH", help="the stripe program (default: found on PATH)")
    p.add_argument("--poll-interval", type=float, default=60.0, metavar="SECONDS",
                   help="when polling, how long to wait between asks to Stripe (default 60 seconds)")
    add_command(relay, "status", cmd_status, "the relay's state: events by outcome, held, failed, cursor age",
                epilog="example: treasurer relay status")
    p = add_command(relay, "retry", cmd_retry, "process stored events again (the audit log shows it)",
                    epilog="examples:\n  treasurer relay retry --failed\n"
                           "  treasurer relay retry evt_1QxY2zAbCdEfGh   # one stored event")
    p.add_argument("event_id", nargs="?",
                   help="the id of one stored Stripe event to process again (evt_...)")
    p.add_argument("--failed", action="store_true", help="every failed and held event")
    add_command(commands, "sync", cmd_sync, "one catch-up from Stripe's Events API, then exit",
                epilog="example: treasurer sync")


def cmd_run(args) -> int:
    from relay.headless import main as relay_main

    hall = hall_from(args)
    try:
        gateway = gateway_for(hall)
    except Exception:
        if args.mode != "webhook":
            raise
        gateway = None
    return relay_main(hall, gateway, mode=args.mode, host=args.host, port=args.port, public=args.public,
                      cli_path=args.stripe_cli, poll_interval=args.poll_interval)


def cmd_status(args) -> int:
    hall = hall_from(args)
    counts = inbox.counts(hall)
    last = inbox.latest(hall)
    cursor = inbox.get_state(hall, "poll_cursor")
    cursor_created = inbox.get_state(hall, CURSOR_CREATED)
    received = inbox.get_state(hall, "last_event_at")
    print(f"events: {sum(counts.values())} ({', '.join(f'{n} {k}' for k, n in sorted(counts.items())) or 'none'})")
    print(f"held: {counts.get('held', 0)}  failed: {counts.get('failed', 0)}  pending: {counts.get('pending', 0)}")
    if last is not None:
        when = dt.datetime.fromtimestamp(last.created, dt.UTC).isoformat(timespec="seconds")
        print(f"last event: {last.type} {last.id} at {when} (via {last.source}); last received {received}")
    else:
        print("last event: none yet")
    if cursor and cursor_created:
        age = int(time.time()) - int(cursor_created)
        print(f"polling cursor: {cursor}, {age // 3600} h {age % 3600 // 60} min old"
              + ("  WARNING: older than Stripe's 30-day retention" if age > 30 * 86400 else ""))
    else:
        print("polling cursor: none (the first catch-up reads the last 30 days)")
    return 0


def cmd_retry(args) -> int:
    hall = hall_from(args)
    if args.failed:
        ids = inbox.waiting(hall, ("failed", "held"), 100_000)
    elif args.event_id:
        with hall.read() as s:
            if s.get(StripeEvent, args.event_id) is None:
                raise NotFound(f"There is no stored event {args.event_id}.")
        ids = [args.event_id]
        _reset(hall, ids)
    else:
        raise NotFound("Name an event id, or use --failed.")
    try:
        gateway = gateway_for(hall)
    except Exception:
        gateway = None
    results = process_events(hall, gateway, ids)
    for event_id, outcome in results.items():
        print(f"{event_id} {outcome.outcome}: {outcome.detail}")
    if not results:
        print("No failed or held events.")
    return 0


def _reset(hall, ids: list[str]) -> None:
    """A retry of one event that was failed or held goes through processing again (audited)."""
    with hall.write() as tx:
        for event_id in ids:
            event = tx.session.get(StripeEvent, event_id)
            if event.outcome in ("failed", "held"):
                tx.audit("event.retry", "stripe_event", event_id, {"outcome": event.outcome}, {"outcome": "pending"})
                event.outcome = "pending"


def cmd_sync(args) -> int:
    hall = hall_from(args)
    report = catch_up(hall, gateway_for(hall))
    print(report.summary())
    for warning in report.warnings:
        print(f"warning: {warning}")
    return 0
