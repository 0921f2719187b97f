"""Screens that read right (issue 11, item 8): no clipped header, slips' periods as the slip prints them,
and no keyring button where there is no keyring."""

from __future__ import annotations

import keyring
from keyring.backends import fail

from helpers import standard_hall
from ui import fmt
from ui.table_view import SORT_ARROW_ROOM, RecordTableView


def test_no_table_header_is_narrower_than_its_title(hall, make_window):
    standard_hall(hall, members=2)
    window = make_window(hall)
    checked = 0
    for title in window.screens:
        window.show_screen(title)
        for view in window.findChildren(RecordTableView):
            header = view.horizontalHeader()
            model = view.model()
            for section in range(header.count() - 1):              # the last one stretches
                text = str(model.headerData(section, header.orientation()))
                need = header.fontMetrics().horizontalAdvance(text) + 2 * SORT_ARROW_ROOM
                assert header.sectionSize(section) >= need, (view.objectName(), text)
                checked += 1
    assert checked > 50


def test_a_slip_covering_many_periods_reads_as_the_printed_slip():
    assert fmt.periods("2026-06,2026-07,2026-08,2026-09,2026-10,2026-11") == "2026-06 to 2026-11 (6 periods)"
    assert fmt.periods("2026-10,2026-11") == "2026-10, 2026-11"


def test_without_a_keyring_the_key_cannot_be_typed_or_saved(hall, make_window):
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        screen = make_window(hall).show_screen("Settings")
        assert "no system keyring" in screen.key_state.text()
        assert not screen.store_button.isEnabled() and not screen.key.isEnabled()
    finally:
        keyring.set_keyring(previous)
    screen = make_window(hall).show_screen("Settings")
    assert screen.store_button.isEnabled() and screen.key.isEnabled()


def test_a_refund_in_review_names_the_member_whose_payment_it_was(hall, make_window, gateway, sandbox_url):
    from sandbox.testing import pay
    from treasurer import sync
    from treasurer.dues import assess
    from treasurer.slips import create_slips

    standard_hall(hall, members=2)
    assess(hall, "2026-10")
    (slip,), _ = create_slips(hall, gateway, "2026-10", ["1002"])
    pay(sandbox_url, slip.url.rsplit("/", 1)[1])
    sync.catch_up(hall, gateway)
    with hall.read() as s:
        from sqlalchemy import select

        from treasurer.models import Payment
        intent = s.scalar(select(Payment.stripe_payment_intent_id).where(Payment.member_id.is_not(None)))
    gateway.create_refund(intent, 1500, "requested_by_customer", "dashboard-refund-1")   # made in Stripe
    sync.catch_up(hall, gateway)
    screen = make_window(hall).show_screen("Review")
    rows = [r for r in screen.table.proxy.records() if r.kind == "refund"]
    assert [(r.member_number, r.member_name) for r in rows] == [("1002", "Last1, First1")]


def test_the_dashboard_chart_says_months_and_thousands_plainly(tmp_path, make_window, monkeypatch):
    from PySide6.QtCore import Qt

    from treasurer.demo import fill_demo
    from treasurer.hall import open_hall

    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    hall = open_hall(str(tmp_path / "demo"), actor="demo")
    fill_demo(hall, members=60, months=3)
    chart = make_window(hall).show_screen("Dashboard").chart
    (months,) = chart.axes(Qt.Orientation.Horizontal)
    (money,) = chart.axes(Qt.Orientation.Vertical)
    assert months.categories()[-1] == "Nov 2026"
    assert money.labelFormat() == "$%.1fk"                       # $2.5k, not $2500
    hall.close()


def test_the_review_screen_shows_the_selected_items_details_in_full(hall, make_window):
    import datetime as dt

    from helpers import PAT_PIN, officers
    from treasurer.adjustments import request_adjustment

    standard_hall(hall, members=1)
    officers(hall)
    reason = "Out of work since the spring after an injury on the Route 9 bridge job; the E-Board agreed " * 2
    request_adjustment(hall, "1001", 2600, "hardship_credit", reason, "Pat Morales", dt.date(2025, 3, 3),
                       pin=PAT_PIN)
    screen = make_window(hall).show_screen("Review")
    screen.table.view.selectRow(0)
    assert screen.details.text().endswith(reason.strip()) and screen.details.wordWrap()
