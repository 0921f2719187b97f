"""A card refund that succeeded, was posted, and then failed: the posting is reversed once, and late events
describing an earlier stage never move a refund back."""

from __future__ import annotations

import datetime as dt
import json

from helpers import PAT, officers, standard_hall
from sqlalchemy import select

from sandbox.testing import fail_refund, pay
from treasurer import clock, inbox
from treasurer.dues import assess
from treasurer.ledger import member_standing, standings
from treasurer.models import Adjustment, DuesPeriod, Payment, Refund
from treasurer.refunds import refund_payment
from treasurer.review import open_items
from treasurer.slips import create_slips
from treasurer.sync import catch_up, process_events


def paid_by_card(hall, gateway, sandbox_url) -> Payment:
    standard_hall(hall, members=1)
    officers(hall)
    assess(hall, "2026-10")
    (slip,), _ = create_slips(hall, gateway, "2026-10")
    session = pay(sandbox_url, slip.url.rsplit("/", 1)[1])
    catch_up(hall, gateway)
    with hall.read() as s:
        return s.scalar(select(Payment).where(Payment.stripe_payment_intent_id == session["payment_intent"]))


def balance(hall, member_id) -> int:
    with hall.read() as s:
        return member_standing(s, member_id, clock.today()).balance_cents


def test_a_posted_refund_that_fails_is_reversed_once(hall, gateway, sandbox_url):
    payment = paid_by_card(hall, gateway, sandbox_url)
    refund = refund_payment(hall, gateway, payment.id, 2000, "requested_by_customer", "overpaid", **PAT)
    catch_up(hall, gateway)
    with hall.read() as s:
        row = s.scalar(select(Refund).where(Refund.stripe_refund_id == refund.stripe_refund_id))
    assert row.status == "succeeded" and row.adjustment_id is not None
    assert balance(hall, payment.member_id) == 2000            # the member owes again what was given back
    with hall.read() as s:                                      # and, once its grace is over, is behind
        grace = s.scalar(select(DuesPeriod.grace_ends_on).where(DuesPeriod.code == "2026-10"))
        behind = member_standing(s, payment.member_id, grace + dt.timedelta(days=1))
        assert (behind.paid_through, behind.months_in_arrears, behind.overdue_cents) == (None, 1, 2000)
        assert standings(s, grace + dt.timedelta(days=1))[payment.member_id] == behind

    fail_refund(sandbox_url, refund.stripe_refund_id)           # the card was closed: the money comes back
    catch_up(hall, gateway)
    catch_up(hall, gateway)                                      # and again: nothing more
    assert balance(hall, payment.member_id) == 0
    with hall.read() as s:
        (reversal,) = s.scalars(select(Adjustment).where(Adjustment.corrects_adjustment_id == row.adjustment_id))
        assert (reversal.kind, reversal.amount_cents) == ("correction", -2000)
        assert s.scalar(select(Refund.status).where(Refund.id == row.id)) == "failed"
    (item,) = [i for i in open_items(hall) if i.kind == "refund"]
    assert "reversed" in item.summary and item.amount_cents == 2000


def test_an_older_refund_event_arriving_late_does_not_undo_the_failure(hall, gateway, sandbox_url):
    payment = paid_by_card(hall, gateway, sandbox_url)
    refund = refund_payment(hall, gateway, payment.id, 2000, "requested_by_customer", **PAT)
    fail_refund(sandbox_url, refund.stripe_refund_id)
    by_type = {e["type"]: e for e in gateway.events_after(None)}
    for kind in ("refund.failed", "refund.created"):             # the failure first, its creation later
        event = inbox.parse(json.dumps(by_type[kind]), "webhook")
        inbox.store_many(hall, [event])
        process_events(hall, gateway, [event.id])
    with hall.read() as s:
        assert s.scalar(select(Refund.status).where(Refund.stripe_refund_id == refund.stripe_refund_id)) == "failed"
    assert balance(hall, payment.member_id) == 0                 # posted, reversed, and not posted again
    with hall.read() as s:
        assert [a.amount_cents for a in s.scalars(select(Adjustment).order_by(Adjustment.id))] == [2000, -2000]


def test_a_refund_needs_an_officers_pin_before_any_money_moves(hall, gateway, sandbox_url):
    import pytest

    from sandbox.testing import state
    from treasurer.errors import PermissionDenied

    payment = paid_by_card(hall, gateway, sandbox_url)
    with pytest.raises(PermissionDenied, match="PIN for Pat Morales is not right"):
        refund_payment(hall, gateway, payment.id, 2000, "requested_by_customer", officer="Pat Morales", pin="000000")
    assert not state(sandbox_url)["counts"].get("refund")        # Stripe was never asked
    with hall.read() as s:
        assert s.scalar(select(Refund)) is None
    refund_payment(hall, gateway, payment.id, 2000, "requested_by_customer", "overpaid", **PAT)
    with hall.read() as s:
        from treasurer.models import AuditEntry
        (request,) = s.scalars(select(AuditEntry).where(AuditEntry.action == "refund.request"))
    assert json.loads(request.after_json)["officer"] == "Pat Morales"
