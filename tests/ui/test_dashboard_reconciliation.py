"""The dashboard counts open discrepancies with Stripe, without holding up the window."""

from __future__ import annotations

import datetime as dt

from helpers import standard_hall
from treasurer import clock
from treasurer.models import Payment


def test_the_dashboard_shows_open_discrepancies(hall, make_window, qtbot):
    standard_hall(hall, members=1)
    window = make_window(hall)
    label = window.show_screen("Dashboard").reconciliation   # counted when the window opened
    qtbot.waitUntil(lambda: "no open discrepancies" in label.text(), timeout=10_000)
    with hall.write() as tx:  # a card payment the books hold but no Stripe payout ever carried
        tx.session.add(Payment(member_id=1, amount_cents=4500, method="card", status="completed",
                      received_on=clock.today() - dt.timedelta(days=30), reference="pi_lost", recorded_by="t",
                      created_at=clock.stamp(), stripe_payment_intent_id="pi_lost"))
    window.refresh()
    qtbot.waitUntil(lambda: "1 open discrepancy" in label.text(), timeout=10_000)
