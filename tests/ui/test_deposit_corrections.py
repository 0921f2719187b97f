"""The Deposits tab: taking a payment out of an open batch, and voiding a batch, through the widgets."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from helpers import PAT_PIN, count
from test_reconciliation_screen import at_the_hall
from treasurer.deposits import create_batch, deposit_slip, list_batches, mark_deposited
from uitools import answer_next_dialog, press


def _tab(make_window, hall):
    screen = make_window(hall).show_screen("Reconciliation")
    screen.tabs.setCurrentWidget(screen.deposits)
    return screen.deposits


def _select(tab, batch_id):
    tab._select_batch(batch_id)
    assert tab.batches.view.current_record().batch_id == batch_id


def _status(tab, batch_id):
    proxy = tab.batches.proxy
    col = next(c for c in range(tab.batches.model.columnCount()) if tab.batches.model.columns[c].title == "Status")
    row = next(r for r in range(proxy.rowCount()) if proxy.record_at(r).batch_id == batch_id)
    return proxy.index(row, col).data()


def test_remove_a_payment_asks_the_reason_and_confirms(hall, make_window, qtbot, monkeypatch):
    import datetime as dt

    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    at_the_hall(hall)
    create_batch(hall, dt.date(2026, 11, 3), "DT-1", [1, 2, 3])          # check, money order, cash: $115.00
    tab = _tab(make_window, hall)
    assert tab.undeposited.proxy.rowCount() == 0
    _select(tab, 1)
    assert tab.remove_button.isEnabled() and tab.void_button.isEnabled()

    def choose(dialog, answer):
        assert dialog.objectName() == "deposit-remove-dialog" and dialog.payment.count() == 3
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)     # no reason: refused inline
        assert "Say why" in dialog.error.text()
        dialog.payment.setCurrentIndex(dialog.payment.findData(2))
        qtbot.keyClicks(dialog.reason, "member asked us to hold it")
        dialog.officer.setCurrentText("Pat Morales")
        qtbot.keyClicks(dialog.pin, "000000")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)     # a wrong PIN: said before the question
        assert dialog.error.text() == "The PIN for Pat Morales is not right."
        assert count(hall, "deposit_removals") == 0
        dialog.pin.clear()
        qtbot.keyClicks(dialog.pin, PAT_PIN)
        seen = answer_next_dialog(qtbot, press(answer), kind=QMessageBox)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        assert seen and "R000002" in seen[0].text()
        if dialog.isVisible():
            dialog.reject()

    # Cancel at the confirmation changes nothing.
    answer_next_dialog(qtbot, lambda d: choose(d, "Cancel"))
    qtbot.mouseClick(tab.remove_button, Qt.MouseButton.LeftButton)
    assert deposit_slip(hall, 1).total_cents == 11500 and deposit_slip(hall, 1).removed == ()

    answer_next_dialog(qtbot, lambda d: choose(d, "Remove payment"))
    qtbot.mouseClick(tab.remove_button, Qt.MouseButton.LeftButton)
    slip = deposit_slip(hall, 1)
    assert slip.total_cents == 7000 and [r.reason for r in slip.removed] == ["member asked us to hold it"]
    assert [r.removed_by for r in slip.removed] == ["Pat Morales"]
    # The lists refresh: the money order is undeposited again, the batch shows 2 items.
    assert [x.receipt_no for x in tab.undeposited.proxy.records()] == ["R000002"]
    batch = tab.batches.view.current_record()
    assert (batch.batch_id, batch.item_count, batch.total_cents) == (1, 2, 7000)
    assert "R000002 ($45.00) taken out of deposit 1" in tab.result_label.text()


def test_void_a_batch_and_a_deposited_batch_cannot_be_corrected(hall, make_window, qtbot, monkeypatch):
    import datetime as dt

    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    at_the_hall(hall)
    create_batch(hall, dt.date(2026, 11, 3), "DT-1", [1, 3])
    create_batch(hall, dt.date(2026, 11, 3), "DT-2", [2])
    mark_deposited(hall, 2, dt.date(2026, 11, 4))
    tab = _tab(make_window, hall)
    _select(tab, 2)
    assert not tab.remove_button.isEnabled() and not tab.void_button.isEnabled()
    tab.void()                                                            # as a shortcut would: refused, said
    assert "Deposited batches are locked" in tab.result_label.text()
    _select(tab, 1)

    def void(dialog):
        assert dialog.objectName() == "deposit-void-dialog"
        qtbot.keyClicks(dialog.reason, "batch made by mistake")
        dialog.officer.setCurrentText("Pat Morales")
        qtbot.keyClicks(dialog.pin, PAT_PIN)
        answer_next_dialog(qtbot, press("Void batch"), kind=QMessageBox)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, void)
    qtbot.mouseClick(tab.void_button, Qt.MouseButton.LeftButton)
    assert [(b.batch_id, b.state) for b in list_batches(hall)] == [(1, "void"), (2, "deposited")]
    assert _status(tab, 1).startswith("Void") and "Deposit 1 is void" in tab.result_label.text()
    assert sorted(x.receipt_no for x in tab.undeposited.proxy.records()) == ["R000001", "R000003"]
    assert tab.batches.view.current_record().batch_id == 1
    assert not tab.remove_button.isEnabled() and not tab.void_button.isEnabled() and not tab.mark_button.isEnabled()
