"""A past payment's receipt from the Payments screen: Receipt…, Enter, Ctrl+P and the context menu."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from helpers import count, standard_hall
from treasurer.dues import assess
from treasurer.payments import record_payment
from ui.dialogs.receipt_dialog import ReceiptDialog
from uitools import answer_next_dialog, press


def books(hall):
    standard_hall(hall, members=2)
    for month in ("2026-09", "2026-10", "2026-11"):
        assess(hall, month)
    first = record_payment(hall, "1001", 9000, "check", "1042", received_on=dt.date(2026, 10, 3))
    record_payment(hall, "1002", 4500, "cash", received_on=dt.date(2026, 11, 4))
    return first


def select_receipt(screen, receipt_no: str) -> None:
    row = next(i for i, r in enumerate(screen.table.proxy.records()) if r.receipt_no == receipt_no)
    screen.table.view.selectRow(row)
    screen.table.view.setFocus()


def capture(qtbot, into: list):
    return answer_next_dialog(qtbot, lambda d: (into.append((d.windowTitle(), d.html)), d.reject()),
                              kind=ReceiptDialog)


def test_receipt_button_reprints_what_the_payment_paid(hall, make_window, qtbot, monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    first = books(hall)
    hall_actor_entries = count(hall, "audit_log")
    screen = make_window(hall).show_screen("Payments")
    select_receipt(screen, first.receipt_no)
    shown = []
    capture(qtbot, shown)
    qtbot.mouseClick(screen.receipt_button, Qt.MouseButton.LeftButton)
    title, html = shown[0]
    assert title == "Receipt R000001 (copy)"
    assert "Receipt R000001 (copy)" in html and "$90.00" in html and "no. 1042" in html
    assert "2026-09" in html and "2026-10" in html and "2026-11</td>" not in html    # what it paid, oldest first
    assert "Balance on 2026-11-20" in html and "$45.00" in html                     # November still owed
    assert "Recorded by tester" in html
    assert count(hall, "audit_log") == hall_actor_entries                           # a reprint writes nothing


def test_enter_ctrl_p_and_the_context_menu_open_it_too(hall, make_window, qtbot, monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    window = make_window(hall)
    screen = window.show_screen("Payments")
    select_receipt(screen, "R000002")
    shown = []
    capture(qtbot, shown)
    qtbot.keyClick(screen.table.view, Qt.Key.Key_Return)
    window.activateWindow()                 # offscreen, a closed dialog does not hand activation back
    qtbot.waitUntil(window.isActiveWindow)
    capture(qtbot, shown)
    qtbot.keyClick(window, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    assert len(shown) == 2
    menu = screen.payment_menu()
    assert [a.text() for a in menu.actions()] == ["Receipt…", "Refund…"]
    capture(qtbot, shown)
    menu.actions()[0].trigger()
    assert [t for t, _ in shown] == ["Receipt R000002 (copy)"] * 3
    assert window.current_screen() is screen


def test_a_failed_bank_payment_says_it_paid_nothing(hall, make_window, qtbot, monkeypatch):
    from helpers import raw

    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    conn = raw(hall)
    member_id = conn.execute("SELECT id FROM members WHERE member_number = '1002'").fetchone()[0]
    conn.close()
    from treasurer import clock
    from treasurer.models import Payment

    with hall.write() as tx:
        payment = Payment(member_id=member_id, amount_cents=4500, method="us_bank_account", status="failed",
                          received_on=dt.date(2026, 11, 10), reference="", recorded_by="relay",
                          created_at=clock.stamp(), stripe_payment_intent_id="pi_failed_1")
        tx.session.add(payment)
        tx.session.flush()
        number = f"R{payment.id:06d}"
    screen = make_window(hall).show_screen("Payments")
    select_receipt(screen, number)
    shown = []
    capture(qtbot, shown)
    qtbot.mouseClick(screen.receipt_button, Qt.MouseButton.LeftButton)
    html = shown[0][1]
    assert "This bank payment failed: it paid nothing." in html and "Applied to" not in html
    assert "Recorded by relay" in html


def test_with_nothing_selected_it_says_so(hall, make_window, qtbot):
    books(hall)
    screen = make_window(hall).show_screen("Payments")
    screen.table.view.setCurrentIndex(screen.table.proxy.index(-1, -1))
    seen = answer_next_dialog(qtbot, press("OK"), kind=QMessageBox)
    qtbot.mouseClick(screen.receipt_button, Qt.MouseButton.LeftButton)
    assert seen[0].text() == "Select the payment whose receipt you want first."
