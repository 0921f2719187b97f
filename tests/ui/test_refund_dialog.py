"""Refunding an online payment from the Payments screen, through the gateway to the sandbox."""

from __future__ import annotations

import types

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QPushButton

from helpers import PAT_PIN, SANDBOX_KEY, officers, standard_hall
from sandbox.testing import pay
from treasurer import clock
from treasurer.dues import assess
from treasurer.ledger import member_standing
from treasurer.slips import create_slips
from treasurer.sync import catch_up
from uitools import answer_next_dialog

from ui.dialogs.refund_dialog import RefundDialog


def balance(hall) -> int:
    with hall.read() as s:
        return member_standing(s, 1, clock.today()).balance_cents


def test_refund_a_card_payment_from_the_payments_screen(hall, gateway, sandbox_url, make_window, qtbot):
    standard_hall(hall, members=1)
    officers(hall)
    assess(hall, "2026-10")
    (slip,), _ = create_slips(hall, gateway, "2026-10", ["1001"])
    pay(sandbox_url, slip.url.rsplit("/", 1)[1])
    catch_up(hall, gateway)
    assert balance(hall) == 0
    args = types.SimpleNamespace(data_dir=None, database_url=None, stripe=types.SimpleNamespace(
        mode="sandbox", api_key=SANDBOX_KEY, api_base=sandbox_url))
    window = make_window(hall, args)
    screen = window.show_screen("Payments")
    view = screen.table.view
    view.setCurrentIndex(screen.table.proxy.index(0, 0))
    seen: dict = {}

    def fill(dialog):
        seen["explain"] = dialog.explain.text()
        dialog.amount.setText("60.00")                       # more than was paid: refused in the dialog
        seen["too_much"] = (dialog.error.text(), dialog.ok.isEnabled())
        dialog.amount.setText("20.00")
        dialog.note.setText("member overpaid at the counter too")
        dialog.officer.setCurrentText("Pat Morales")
        assert dialog.pin.echoMode() == dialog.pin.EchoMode.Password
        qtbot.keyClicks(dialog.pin, "000000")
        qtbot.mouseClick(dialog.findChild(QPushButton, "refund-confirm"), Qt.MouseButton.LeftButton)
        seen["wrong_pin"] = (dialog.error.text(), dialog.isVisible(), balance(hall))
        dialog.pin.clear()
        qtbot.keyClicks(dialog.pin, PAT_PIN)
        qtbot.mouseClick(dialog.findChild(QPushButton, "refund-confirm"), Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, fill, kind=RefundDialog)
    qtbot.mouseClick(screen.refund_button, Qt.MouseButton.LeftButton)
    assert "$45.00 back" in seen["explain"] and "owed again" in seen["explain"]
    assert "At most $45.00" in seen["too_much"][0] and seen["too_much"][1] is False
    assert seen["wrong_pin"] == ("The PIN for Pat Morales is not right.", True, 0)   # nothing refunded
    assert balance(hall) == 2000                             # the sandbox refunds cards at once: posted
    catch_up(hall, gateway)                                  # Stripe's own events for it change nothing
    assert balance(hall) == 2000
