"""Switching off the payment links of slips that are paid, superseded, void or expired, until Stripe confirms.

A link is switched off in Stripe first and recorded here after; when the call
fails (no network), the slip's status has still moved on and its link is found
again by ``links_to_close`` and retried on the next sync or relay catch-up.
Meanwhile the link's limit of one completed payment protects a paid slip, and a
payment through a superseded link is recorded once, credited like any other and
put in Review ('stale_slip_payment').

The one slip rule: a slip is open only for exactly what its member owes.  Whatever
changes what a member owes (a counter payment, an approved adjustment, a new
assessment, a refund) calls ``settle_open_slips`` in its own write transaction: the
member's open slips become 'superseded' (or 'paid', for a counter payment that
paid everything the slip asked for), audited, and their links join the queue
above.  No network call happens inside the transaction; a caller with a gateway
switches the links off after commit (``close_links``), otherwise the next sync or
relay catch-up does.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import clock
from .errors import UserFacingError
from .gateway import Gateway
from .hall import Hall, Tx
from .audit import snapshot
from .models import Adjustment, LinkClosure, Payment, Slip

log = logging.getLogger(__name__)
CLOSED_SLIP_STATUSES = ("paid", "superseded", "void", "expired")
SLIP_FIELDS = ("member_id", "periods", "covers", "amount_cents", "currency", "status", "link_id", "url", "pay_by")


@dataclasses.dataclass
class ClosedLinks:
    closed: int = 0
    failed: list[str] = dataclasses.field(default_factory=list)   # "plink_...: why"


def links_to_close(session: Session, limit: int | None = None) -> list[str]:
    """Links of closed slips that Stripe has not yet confirmed inactive, oldest slip first."""
    query = (select(Slip.link_id)
             .outerjoin(LinkClosure, LinkClosure.link_id == Slip.link_id)
             .where(Slip.status.in_(CLOSED_SLIP_STATUSES), Slip.link_id.is_not(None), LinkClosure.id.is_(None))
             .order_by(Slip.id).limit(limit))
    return list(session.scalars(query))


def settle_open_slips(tx: Tx, member_ids: Iterable[int], why: str, payment: Payment | None = None) -> list[Slip]:
    """The members' open slips no longer say what they owe: each becomes 'superseded', audited with ``why``.

    With ``payment`` (money received, already flushed), a slip whose whole amount that payment covers becomes
    'paid' instead (the member paid what the slip asked; oldest slip first when there are several).  Returns
    the slips it closed; their links (``link_ids``) are in the closure queue from now on, so a caller without
    a gateway leaves them to the next sync or relay catch-up.
    """
    wanted = sorted({m for m in member_ids if m is not None})
    if not wanted:
        return []
    slips = list(tx.session.scalars(select(Slip).where(Slip.member_id.in_(wanted), Slip.status == "open")
                                    .order_by(Slip.id)))
    left = payment.amount_cents if payment is not None and payment.status == "completed" else 0
    for slip in slips:
        status = "superseded"
        if payment is not None and payment.member_id == slip.member_id and 0 < slip.amount_cents <= left:
            status, left = "paid", left - slip.amount_cents
        before = snapshot(slip, SLIP_FIELDS)
        slip.status = status
        tx.session.flush()
        tx.audit(f"slip.{status}", "slip", slip.id, before, snapshot(slip, SLIP_FIELDS) | {"why": why})
    return slips


def link_ids(slips: Iterable[Slip]) -> list[str]:
    return [slip.link_id for slip in slips if slip.link_id]


def close_now(hall: Hall, gateway: Gateway | None, link_ids: Iterable[str]) -> ClosedLinks | None:
    """After commit: switch links off at once when a gateway is at hand (a failure stays in the queue).

    Once Stripe cannot be reached the rest are not tried: they wait in the queue, and the caller (a counter
    payment, an assessment of the whole roll) does not wait on Stripe once per link."""
    wanted = list(link_ids)
    if gateway is None or not wanted:
        return None
    try:
        done, failed = switch_off(gateway, wanted, give_up_when_unreachable=True)
        return ClosedLinks(record_closed(hall, done), failed)
    except UserFacingError as exc:  # the money is recorded; the queue retries the links
        log.warning("%s not switched off in Stripe now (%s); the next sync will do it.",
                    _links_phrase(wanted), str(exc).rstrip("."))
        return ClosedLinks(0, [f"{link}: {exc}" for link in wanted])


def _links_phrase(links: list[str]) -> str:
    return f"Payment link {links[0]}" if len(links) == 1 else f"{len(links)} payment links"


def link_states(hall: Hall, slip_ids: Iterable[int]) -> dict[int, str]:
    """Each slip's link: 'off' (Stripe confirmed it inactive), 'queued' (still to switch off) or 'none'."""
    wanted = list(slip_ids)
    if not wanted:
        return {}
    with hall.read() as s:
        rows = s.execute(select(Slip.id, Slip.link_id, LinkClosure.id)
                         .outerjoin(LinkClosure, LinkClosure.link_id == Slip.link_id)
                         .where(Slip.id.in_(wanted))).all()
    return {slip_id: "none" if link_id is None else "off" if closure is not None else "queued"
            for slip_id, link_id, closure in rows}


def record_closed_in(tx: Tx, link_ids: Iterable[str]) -> int:
    """Record links Stripe answered inactive (in the caller's transaction); a link recorded before is skipped."""
    wanted = set(link_ids)
    if not wanted:
        return 0
    slips = dict(tx.session.execute(select(Slip.link_id, Slip.id).where(Slip.link_id.in_(wanted))).all())
    known = set(tx.session.scalars(select(LinkClosure.link_id).where(LinkClosure.link_id.in_(wanted))))
    added = 0
    for link_id in sorted(wanted - known):
        if link_id in slips:
            tx.session.add(LinkClosure(link_id=link_id, slip_id=slips[link_id], closed_at=clock.stamp()))
            added += 1
    tx.session.flush()
    return added


def record_closed(hall: Hall, link_ids: Iterable[str]) -> int:
    wanted = list(link_ids)
    if not wanted:  # no write transaction (and its lock) for nothing: this runs after every processed batch
        return 0
    with hall.write() as tx:
        return record_closed_in(tx, wanted)


def posted_since(session: Session) -> dict[int, list[int]]:
    """Open slips (by member) older than an adjustment posted without approval for that member.

    Refunds acknowledged and disputes lost in Review post such adjustments (treasurer/review.py); the queue
    supersedes the slips they left open, so a slip never stays open for what the member no longer owes.
    """
    rows = session.execute(
        select(Slip.member_id, Adjustment.id).join(Adjustment, Adjustment.member_id == Slip.member_id)
        .where(Slip.status == "open", Adjustment.needs_approval.is_(False), Adjustment.created_at > Slip.created_at)
        .order_by(Adjustment.id)).all()
    found: dict[int, list[int]] = {}
    for member_id, adjustment_id in rows:
        if adjustment_id not in found.setdefault(member_id, []):
            found[member_id].append(adjustment_id)
    return found


def supersede_outdated(hall: Hall) -> int:
    """Supersede the open slips that an adjustment posted since has made wrong; how many were closed."""
    with hall.read() as s:
        if not posted_since(s):
            return 0
    closed = 0
    with hall.write() as tx:
        for member_id, adjustments in posted_since(tx.session).items():
            why = f"adjustment {', '.join(map(str, adjustments))} posted"
            closed += len(settle_open_slips(tx, [member_id], why))
    return closed


def still_to_close(hall: Hall) -> list[str]:
    supersede_outdated(hall)
    with hall.read() as s:
        return links_to_close(s)


def switch_off(gateway: Gateway, link_ids: Iterable[str], give_up_when_unreachable: bool = False
               ) -> tuple[list[str], list[str]]:
    """Deactivate each link in Stripe (network only); returns (switched off, failures as sentences).

    ``give_up_when_unreachable``: after a failure that trying later may mend (no network, Stripe down, rate
    limited) the links left are not tried and are reported failed with the same reason."""
    done, failed = [], []
    wanted = list(link_ids)
    for n, link_id in enumerate(wanted):
        try:
            gateway.deactivate_payment_link(link_id)
        except UserFacingError as exc:
            log.warning("Payment link %s was not switched off in Stripe (%s); it stays queued for the next sync.",
                        link_id, str(exc).rstrip("."))
            failed.append(f"{link_id}: {exc}")
            if give_up_when_unreachable and getattr(exc, "retryable", False):
                failed.extend(f"{left}: {exc}" for left in wanted[n + 1:])
                break
        else:
            done.append(link_id)
    return done, failed


def close_links(hall: Hall, gateway: Gateway, link_ids: Iterable[str] | None = None) -> ClosedLinks:
    """Switch off the given links (default: every link still to close) and record those Stripe confirmed."""
    done, failed = switch_off(gateway, still_to_close(hall) if link_ids is None else link_ids)
    return ClosedLinks(record_closed(hall, done), failed)
