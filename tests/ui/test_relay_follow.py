"""Payments arriving through the relay reach every open screen row by row, read off the UI thread."""

from __future__ import annotations

from helpers import standard_hall
from relay_thread import start_in_thread
from uitools import sandbox_args

from sandbox.testing import pay
from treasurer.dues import assess
from treasurer.slips import create_slips
from ui.app import create_window
from ui.relay_runner import start_relay


def test_a_relay_payment_updates_the_rows_it_touched_on_every_open_screen(hall, gateway, sandbox_url, qapp,
                                                                          app_settings, qtbot):
    standard_hall(hall, members=3)
    for month in ("2026-09", "2026-10"):
        assess(hall, month)
    (slip,), _ = create_slips(hall, gateway, "2026-10", ["1001"], arrears=True)
    app_settings.relay_mode = "webhook"
    app_settings.relay_port = 0
    background, relay = start_in_thread(qtbot, lambda: start_relay(hall, gateway, app_settings, sandbox=True))
    try:
        window = create_window(hall, sandbox_args(sandbox_url), app_settings, relay)
        qtbot.addWidget(window)
        window.show()
        dashboard = window.show_screen("Dashboard")
        members = window.show_screen("Members").table.model
        payments = window.show_screen("Payments")          # on show while the payment arrives
        owed = dashboard.data.outstanding_cents
        untouched = next(r for r in members.rows if r.number == "1002")
        assert not payments.table.model.rows
        pay(sandbox_url, slip.url.rsplit("/", 1)[1])
        qtbot.waitUntil(lambda: bool(payments.table.model.rows and dashboard.data.outstanding_cents < owed
                                     and next(r for r in members.rows if r.number == "1001").balance_cents == 0),
                        timeout=20_000)
        (row,) = payments.table.model.rows
        assert (row.member_number, row.amount_cents, row.method) == ("1001", 9000, "card")
        assert "1 payments shown" in payments.total_label.text()
        assert dashboard.data.outstanding_cents == owed - 9000
        assert dashboard.values["outstanding"].text() == f"${(owed - 9000) / 100:,.2f}"
        member = next(r for r in members.rows if r.number == "1001")
        assert member.balance_cents == 0 and member.standing.paid_through == "2026-10"
        # Row by row, not a reload: the member the payment did not touch is the very same row object.
        assert next(r for r in members.rows if r.number == "1002") is untouched
        window.close()
    finally:
        background.stop()
