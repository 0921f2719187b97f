"""Commands that talk to Stripe (through the gateway) or run the offline sandbox."""

from __future__ import annotations

import logging
import os
import sys

from .. import credentials
from ..errors import UserFacingError
from ..gateway import Gateway
from ..hall import Hall
from ..models import SLIP_STATUSES
from ..money import plain_cents
from ..slips import create_slips, list_slips, void_slip
from .common import add_command, group, hall_from, money

log = logging.getLogger(__name__)
QUICK_TIMEOUT_SECONDS = 5.0     # a switch-off at the counter: past this, the link-closure queue does it


def gateway_for(hall: Hall, **kwargs) -> Gateway:
    base = os.environ.get("TREASURER_STRIPE_API_BASE") or hall.setting("stripe_api_base") or None
    return Gateway.from_environment(api_base=base, **kwargs)


def gateway_if_configured(hall: Hall) -> Gateway | None:
    """A gateway for switching payment links off at once, or None when no Stripe key is configured (keyring or
    STRIPE_API_KEY): then the link-closure queue does it at the next sync or relay catch-up.

    One quick try (one retry, a short backoff, 5 s a request): the money is already recorded, and a link Stripe
    did not confirm stays in the queue, so a counter payment never waits long on an unreachable Stripe."""
    try:
        if not credentials.api_key():
            return None
    except UserFacingError as exc:      # an unreadable keyring: the queue switches the links off later
        log.warning("no Stripe key for switching payment links off now: %s", exc)
        return None
    return gateway_for(hall, retries=1, backoff_seconds=0.25, timeout_seconds=QUICK_TIMEOUT_SECONDS)


def report_links(hall: Hall, slips) -> None:
    """Say what became of the payment links of the slips a change closed: off now, or at the next sync."""
    from ..payment_links import link_states

    states = link_states(hall, [slip_id for slip_id, _ in slips])
    for slip_id, status in slips:
        state = states.get(slip_id, "none")
        link = {"off": "; its payment link is switched off",
                "queued": "; its payment link will be switched off at the next 'treasurer sync' (or by the relay)",
                "none": ""}[state]
        print(f"Slip {slip_id} is {status}{link}.")


def register(commands) -> None:
    slips = group(commands, "slips", "payment slips and their Stripe payment links")
    p = add_command(slips, "create", cmd_create, "make (or reuse) a slip and payment link per member",
                    epilog="examples:\n  treasurer slips create 2026-12\n"
                           "  treasurer slips create 2026-12 --member 100042 --arrears")
    p.add_argument("period", help="the period the slips are for (2026-12 or 2026-Q4)")
    p.add_argument("--member", action="append", dest="members", metavar="NUMBER",
                   help="only this member (repeat for several); default: every member who owes, active or "
                        "retired (those who are assessed)")
    p.add_argument("--arrears", action="store_true", help="cover everything owed up to the period")
    p = add_command(slips, "list", cmd_list, "list slips",
                    epilog="examples:\n  treasurer slips list\n  treasurer slips list --status open")
    p.add_argument("--status", choices=SLIP_STATUSES,
                   help="only slips in this state: " + ", ".join(SLIP_STATUSES) + " (default: every slip)")
    p = add_command(slips, "void", cmd_void, "void a slip and switch its payment link off",
                    epilog="example: treasurer slips void 314")
    p.add_argument("slip_id", type=int, help="the slip's number, as 'treasurer slips list' shows it")

    p = add_command(slips, "pdf", cmd_pdf, "print slips to a PDF file (one per slip, in member-number order)",
                    epilog="example: treasurer slips pdf --out slips-2026-12.pdf --layout 3up")
    p.add_argument("--out", required=True, metavar="FILE", help="the PDF file to write")
    p.add_argument("--status", default="open", choices=SLIP_STATUSES,
                   help="which slips to print: " + ", ".join(SLIP_STATUSES) + " (default open)")
    p.add_argument("--layout", default="1up", choices=("1up", "3up"),
                   help="1up: one slip a page (the default); 3up: three slips a page, to cut apart")
    p.add_argument("--paper", default="letter", choices=("letter", "a4"), help="paper size (default letter)")
    from .mail import add_slips_email    # 'slips email': the email commands' module sends them

    add_slips_email(slips)

    sandbox = group(commands, "sandbox", "the offline Stripe sandbox")
    p = add_command(sandbox, "serve", cmd_sandbox_serve, "run the sandbox on 127.0.0.1 until stopped",
                    epilog="example: treasurer sandbox serve --port 12111 --state sandbox-state.json")
    p.add_argument("--port", type=int, default=12111, help="the port to listen on (default 12111)")
    p.add_argument("--state", metavar="FILE", help="load state from and save it to this JSON file")


def cmd_create(args) -> int:
    hall = hall_from(args)
    gateway = gateway_for(hall)
    outcomes, notes = create_slips(hall, gateway, args.period, args.members, args.arrears)
    for o in outcomes:
        print(f"{o.slip_id} {o.member_number} {plain_cents(o.amount_cents)} {o.url}")
    for note in notes:
        print(note, file=sys.stderr)
    if not outcomes and not notes:
        print(f"No member owes anything for {args.period}; no slip was made.", file=sys.stderr)
    return 0


def cmd_list(args) -> int:
    hall = hall_from(args)
    for s in list_slips(hall, args.status):
        print(f"{s.id:6} {s.member.member_number:10} {money(hall, s.amount_cents):>11} {s.status:10} "
              f"{s.periods:20} {s.url or '(no link yet)'}")
    return 0


def cmd_void(args) -> int:
    hall = hall_from(args)
    slip = void_slip(hall, gateway_for(hall), args.slip_id)
    print(f"Voided slip {slip.id}; its payment link no longer takes payments.")
    return 0


def cmd_pdf(args) -> int:
    from ui.slip_pdf import render_slips_pdf

    hall = hall_from(args)
    chosen = sorted(list_slips(hall, args.status), key=lambda s: (s.member.member_number, s.id))
    if not chosen:
        print(f"There are no {args.status} slips to print.", file=sys.stderr)
        return 1
    pages = render_slips_pdf(hall, chosen, args.out, args.layout, args.paper)
    print(f"Wrote {len(chosen)} slip{'s' if len(chosen) != 1 else ''} on {pages} page{'s' if pages != 1 else ''} "
          f"to {args.out}.")
    return 0


def cmd_sandbox_serve(args) -> int:
    from sandbox.server import serve

    serve(port=args.port, state_file=args.state)
    return 0
