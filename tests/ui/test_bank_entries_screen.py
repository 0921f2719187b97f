"""Bank lines other than deposits and payouts, added on the bank tab through its dialog and ticked off."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from helpers import PAT_PIN, SAM_PIN, count, officers, standard_hall
from treasurer.bank import bank_history, bank_status
from treasurer.deposits import create_batch, mark_deposited
from treasurer.dues import assess
from treasurer.payments import record_payment
from uitools import answer_next_dialog, press


def _deposited(hall) -> None:
    standard_hall(hall, members=2)
    officers(hall)
    assess(hall, "2026-10")
    day = dt.date(2026, 11, 2)
    record_payment(hall, "1001", 4500, "check", "1042", received_on=day)
    record_payment(hall, "1002", 2500, "cash", received_on=day)
    batch = create_batch(hall, day, "DT-1", [1, 2])                       # 70.00
    mark_deposited(hall, batch.batch_id, dt.date(2026, 11, 3))


def _bank_tab(make_window, hall):
    screen = make_window(hall).show_screen("Reconciliation")
    screen.tabs.setCurrentWidget(screen.bank)
    return screen.bank


def _tick(qtbot, tab, ref: str) -> None:
    for row in range(tab.items.proxy.rowCount()):
        if tab.items.proxy.record_at(row).ref == ref:
            tab.items.view.setCurrentIndex(tab.items.proxy.index(row, 1))
            qtbot.keyClick(tab.items.view, Qt.Key.Key_Space)
            return
    raise AssertionError(f"{ref} is not in the list")


def test_a_fee_added_through_the_dialog_is_ticked_and_the_statement_finishes_at_zero(hall, make_window, qtbot,
                                                                                       monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    _deposited(hall)
    tab = _bank_tab(make_window, hall)
    qtbot.keyClicks(tab.ending, "58.00")                                  # 70.00 deposited, 12.00 fee
    _tick(qtbot, tab, "deposit:1")
    assert tab.difference.text() == "-$12.00" and not tab.finish_button.isEnabled()
    entries_before = count(hall, "bank_entries")
    errors: list[str] = []

    def fill(dialog):
        assert dialog.direction.isEnabled() is False                       # a fee is always out
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)     # nothing typed: refused inline
        errors.append(dialog.error.text())
        qtbot.keyClicks(dialog.amount, "-12.00")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        errors.append(dialog.error.text())
        dialog.amount.clear()
        qtbot.keyClicks(dialog.amount, "12.001")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        errors.append(dialog.error.text())
        dialog.amount.clear()
        qtbot.keyClicks(dialog.amount, "12.00")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)     # no memo
        errors.append(dialog.error.text())
        assert dialog.isVisible()
        qtbot.keyClicks(dialog.memo, "monthly service fee")
        dialog.officer.setCurrentText("Pat Morales")
        qtbot.keyClicks(dialog.pin, "000000")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)     # a wrong PIN: refused, nothing saved
        errors.append(dialog.error.text())
        errors.append(count(hall, "bank_entries"))
        dialog.pin.clear()
        qtbot.keyClicks(dialog.pin, PAT_PIN)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, fill)
    qtbot.mouseClick(tab.add_entry_button, Qt.MouseButton.LeftButton)
    assert "Enter the amount" in errors[0]
    assert "without a sign" in errors[1]
    assert "more than two digits" in errors[2]
    assert "needs a memo" in errors[3]
    assert errors[4:] == ["The PIN for Pat Morales is not right.", entries_before]
    assert count(hall, "bank_entries") == entries_before + 1
    rows = {i.ref: i for i in tab.items.proxy.records()}
    assert set(rows) == {"deposit:1", "entry:1"}
    assert (rows["entry:1"].amount_cents, rows["entry:1"].kind) == (-1200, "fee")
    assert "Added bank fee of -$12.00" in tab.result_label.text()
    # The deposit ticked before the line was added is still ticked.
    assert [i.ref for i in tab.items.model.ticked_records()] == ["deposit:1"]
    assert tab.difference.text() == "-$12.00"

    _tick(qtbot, tab, "entry:1")
    assert tab.difference.text() == "$0.00" and tab.finish_button.isEnabled()
    answer_next_dialog(qtbot, press("Finish"), kind=QMessageBox)
    qtbot.mouseClick(tab.finish_button, Qt.MouseButton.LeftButton)
    (done,) = bank_history(hall)
    assert {(i.ref, i.amount_cents) for i in done.items} == {("deposit:1", 7000), ("entry:1", -1200)}
    assert bank_status(hall) is None and tab.items.model.rowCount() == 0


def test_other_takes_the_direction_from_the_dialog(hall, make_window, qtbot, monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    standard_hall(hall, members=1)
    officers(hall)
    tab = _bank_tab(make_window, hall)

    def fill(dialog):
        dialog.officer.setCurrentText("Sam Okafor")
        qtbot.keyClicks(dialog.pin, SAM_PIN)
        dialog.kind.setCurrentIndex(dialog.kind.findData("other"))
        assert dialog.direction.isEnabled()
        dialog.direction.setCurrentIndex(dialog.direction.findData(1))
        qtbot.keyClicks(dialog.amount, "3.50")
        qtbot.keyClicks(dialog.memo, "bank error in our favour")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, fill)
    qtbot.mouseClick(tab.add_entry_button, Qt.MouseButton.LeftButton)
    (item,) = tab.items.proxy.records()
    assert (item.ref, item.kind, item.amount_cents) == ("entry:1", "other", 350)
    kind_cell = tab.items.proxy.index(0, 2).data()               # tick, date, kind
    assert kind_cell == "Other"
