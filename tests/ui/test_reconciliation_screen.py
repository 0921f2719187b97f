"""The Reconciliation screen through its widgets: Stripe payouts (sandbox), deposits, the bank, reports."""

from __future__ import annotations

import types

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from helpers import SANDBOX_KEY, officers, standard_hall
from sandbox.testing import control
from test_reconcile import _advance, _pay, _review_all
from treasurer.dues import assess
from treasurer.reconcile import reconcile
from uitools import answer_next_dialog, press


def sandbox(url: str) -> types.SimpleNamespace:
    return types.SimpleNamespace(data_dir=None, database_url=None,
                                 stripe=types.SimpleNamespace(mode="sandbox", api_key=SANDBOX_KEY, api_base=url))


@pytest.fixture
def paid_out(hall, gateway, sandbox_url):
    """Two card payments paid out in one payout, then a partial refund left unreviewed in a second payout."""
    standard_hall(hall, members=3)
    officers(hall)
    for period in ("2026-09", "2026-10"):
        assess(hall, period)
    charges = {}
    for member in ("1001", "1002"):
        _, charges[member] = _pay(hall, gateway, sandbox_url, member)
    _advance(sandbox_url)
    first = control(sandbox_url, "payouts")
    return types.SimpleNamespace(hall=hall, gateway=gateway, url=sandbox_url, charges=charges, first=first)


def open_screen(make_window, hall, url):
    window = make_window(hall, sandbox(url))
    screen = window.show_screen("Reconciliation")
    return window, screen


def test_sync_payouts_through_the_button_shows_a_reconciled_payout(paid_out, make_window, qtbot):
    window, screen = open_screen(make_window, paid_out.hall, paid_out.url)
    tab = screen.payouts
    assert tab.table.model.rowCount() == 0 and "Sync from Stripe" in tab.totals.text()
    qtbot.mouseClick(tab.sync_button, Qt.MouseButton.LeftButton)
    assert "Synced 1 payouts from Stripe (1 new" in tab.result_label.text()
    (payout,) = tab.table.proxy.records()
    assert payout.stripe_payout_id == paid_out.first["id"] and payout.state == "reconciled"
    model, proxy = tab.table.model, tab.table.proxy
    row = {model.columns[c].title: proxy.index(0, c).data() for c in range(model.columnCount())}
    assert row["State"] == "reconciled" and row["Gross"] == "$180.00" and row["Fees"] == "$5.82"
    assert row["Net"] == row["Amount"] == "$174.18" and row["Payments"] == "2"
    # Selecting the payout lists its balance transactions, each matched to the member's payment.
    tab.table.view.setCurrentIndex(proxy.index(0, 0))
    ledger = [line for line in tab.lines.proxy.records() if line.kind == "charge"]
    assert len(ledger) == 2 and all(line.ledger_row for line in ledger)
    shown = {tab.lines.proxy.index(r, 6).data() for r in range(tab.lines.proxy.rowCount())}
    assert any("1001" in text for text in shown) and any("1002" in text for text in shown)
    assert "gross dues $180.00" in tab.totals.text() and "Stripe fees $5.82" in tab.totals.text()
    assert "net deposited $174.18" in tab.totals.text()
    assert tab.discrepancies.model.rowCount() == 0 and "none" in tab.discrepancies_title.text()
    # Filters: by state and by text.
    tab.state_filter.setCurrentIndex(tab.state_filter.findData("unreconciled"))
    assert tab.table.proxy.rowCount() == 0
    tab.state_filter.setCurrentIndex(0)
    qtbot.keyClicks(tab.search, paid_out.first["id"][-6:])
    assert tab.table.proxy.rowCount() == 1


def test_money_not_yet_paid_out_is_shown_as_such(paid_out, make_window, qtbot):
    _pay(paid_out.hall, paid_out.gateway, paid_out.url, "1003")       # after the payout: still in the balance
    window, screen = open_screen(make_window, paid_out.hall, paid_out.url)
    tab = screen.payouts
    assert not tab.in_balance.isVisibleTo(tab)
    qtbot.mouseClick(tab.sync_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.in_balance.isVisibleTo(tab))
    assert tab.in_balance.text() == "$90.00 in 1 payment is in the Stripe balance, not yet paid out."
    assert tab.discrepancies.model.rowCount() == 0


def test_sync_without_stripe_says_so(hall, make_window, qtbot):
    standard_hall(hall, members=1)
    screen = make_window(hall).show_screen("Reconciliation")
    seen = answer_next_dialog(qtbot, press("OK"), kind=QMessageBox)
    qtbot.mouseClick(screen.payouts.sync_button, Qt.MouseButton.LeftButton)
    assert seen and "Payment links need Stripe" in seen[0].text()


def test_resolve_a_discrepancy_with_a_note_through_the_dialog(paid_out, make_window, qtbot):
    hall, url = paid_out.hall, paid_out.url
    control(url, f"charges/{paid_out.charges['1001']}/refund", amount=2000)
    from treasurer.sync import catch_up

    _pay(hall, paid_out.gateway, url, "1003")          # money in the balance for the refund to come out of
    catch_up(hall, paid_out.gateway)
    _advance(url)
    control(url, "payouts")
    window, screen = open_screen(make_window, hall, url)
    tab = screen.payouts
    qtbot.mouseClick(tab.sync_button, Qt.MouseButton.LeftButton)
    (d,) = [x for x in tab.discrepancies.proxy.records()]
    assert d.kind == "refund_unreviewed" and not d.resolved
    assert "1 open of 1" in tab.discrepancies_title.text()
    states = {p.state for p in tab.table.proxy.records()}
    assert states == {"reconciled", "unreconciled"}
    tab.discrepancies.view.setCurrentIndex(tab.discrepancies.proxy.index(0, 0))
    assert tab.resolve_button.isEnabled()

    def fill(dialog):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)      # no note: refused inline
        assert "needs a note" in dialog.error.text() and dialog.isVisible()
        qtbot.keyClicks(dialog.resolution, "refund agreed with the member at the meeting")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, fill)
    qtbot.mouseClick(tab.resolve_button, Qt.MouseButton.LeftButton)
    (after,) = reconcile(hall).discrepancies
    assert after.resolution == "refund agreed with the member at the meeting"
    (shown,) = tab.discrepancies.proxy.records()
    assert shown.resolved and "Resolved" in tab.result_label.text()
    assert {p.state for p in tab.table.proxy.records()} == {"reconciled", "explained"}
    assert not tab.resolve_button.isEnabled()
    tab.open_only.setChecked(True)
    assert tab.discrepancies.proxy.rowCount() == 0


# Deposits --------------------------------------------------------------------------------------------------

def at_the_hall(hall):
    """A check, a money order and cash received at the hall, and one card payment (never deposited by hand)."""
    import datetime as dt

    from treasurer.payments import record_payment

    standard_hall(hall, members=4)
    officers(hall)
    assess(hall, "2026-10")
    day = dt.date(2026, 11, 2)
    record_payment(hall, "1001", 4500, "check", "1042", received_on=day)
    record_payment(hall, "1002", 4500, "money_order", "MO-7781", received_on=day)
    record_payment(hall, "1003", 2500, "cash", received_on=day)
    record_payment(hall, "1004", 4500, "card", "ch_x", received_on=day)


def tick_rows(qtbot, table, receipts):
    """Tick by keyboard: select a row, press Space."""
    for row in range(table.proxy.rowCount()):
        if table.proxy.record_at(row).receipt_no in receipts:
            table.view.setCurrentIndex(table.proxy.index(row, 1))
            qtbot.keyClick(table.view, Qt.Key.Key_Space)


def pdf_pages(path) -> int:
    import subprocess

    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in out.splitlines() if line.startswith("Pages:")))


def test_a_deposit_batch_from_ticked_payments_its_slip_pdf_and_marking_it(hall, make_window, qtbot, tmp_path,
                                                                          monkeypatch):
    from PySide6.QtWidgets import QFileDialog

    from treasurer.deposits import deposit_slip, list_batches

    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    at_the_hall(hall)
    screen = make_window(hall).show_screen("Reconciliation")
    screen.tabs.setCurrentWidget(screen.deposits)
    tab = screen.deposits
    assert [x.method for x in tab.undeposited.proxy.records()] == ["check", "money_order", "cash"]
    assert not tab.new_button.isEnabled()
    tick_rows(qtbot, tab.undeposited, {"R000001", "R000003"})
    assert tab.ticked_label.text().startswith("2 of 3 ticked · $70.00") and tab.new_button.isEnabled()

    def fill(dialog):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)       # no reference: refused inline
        assert "bank's reference" in dialog.error.text()
        qtbot.keyClicks(dialog.reference, "DT-5521")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, fill)
    qtbot.mouseClick(tab.new_button, Qt.MouseButton.LeftButton)
    (batch,) = list_batches(hall)
    assert (batch.bank_reference, batch.item_count, batch.total_cents, batch.status) == ("DT-5521", 2, 7000, "open")
    assert [x.receipt_no for x in tab.undeposited.proxy.records()] == ["R000002"]
    assert tab.batches.view.current_record().batch_id == batch.batch_id and "Deposit 1 created" in \
        tab.result_label.text()

    out = tmp_path / "deposit-1.pdf"

    def save_as(dialog):
        assert isinstance(dialog, QFileDialog)
        dialog.selectFile(str(out))
        dialog.accept()

    def in_preview(dialog):
        assert dialog.objectName() == "deposit-slip-dialog"
        answer_next_dialog(qtbot, save_as, kind=QFileDialog)
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert "Saved 1 page" in dialog.result.text()
        dialog.reject()

    answer_next_dialog(qtbot, in_preview)
    qtbot.mouseClick(tab.slip_button, Qt.MouseButton.LeftButton)
    assert out.exists() and pdf_pages(out) == 1
    import subprocess

    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True, text=True).stdout
    assert "DEPOSIT SLIP" in text and "1042" in text and "$70.00" in text and "DT-5521" in text

    # Marking it deposited asks first; Cancel changes nothing, then it is marked.
    def mark(dialog, answer):
        answer_next_dialog(qtbot, press(answer), kind=QMessageBox)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        if dialog.isVisible():
            dialog.reject()

    answer_next_dialog(qtbot, lambda d: mark(d, "Cancel"))
    qtbot.mouseClick(tab.mark_button, Qt.MouseButton.LeftButton)
    assert deposit_slip(hall, batch.batch_id).status == "open"
    answer_next_dialog(qtbot, lambda d: mark(d, "Mark deposited"))
    qtbot.mouseClick(tab.mark_button, Qt.MouseButton.LeftButton)
    slip = deposit_slip(hall, batch.batch_id)
    assert slip.status == "deposited" and str(slip.deposited_on) == "2026-11-20"
    assert tab.batches.view.current_record().status == "deposited" and not tab.mark_button.isEnabled()


# Bank ------------------------------------------------------------------------------------------------------

def test_a_bank_reconciliation_cannot_finish_with_a_difference_and_finishes_at_zero(hall, make_window, qtbot,
                                                                                     monkeypatch):
    import datetime as dt

    from treasurer.bank import bank_history, bank_status
    from treasurer.deposits import create_batch, mark_deposited

    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    at_the_hall(hall)
    first = create_batch(hall, dt.date(2026, 11, 3), "DT-1", [1, 3])          # 70.00
    second = create_batch(hall, dt.date(2026, 11, 4), "DT-2", [2])            # 45.00
    for batch in (first, second):
        mark_deposited(hall, batch.batch_id, dt.date(2026, 11, 5))
    screen = make_window(hall).show_screen("Reconciliation")
    screen.tabs.setCurrentWidget(screen.bank)
    tab = screen.bank
    assert [i.ref for i in tab.items.proxy.records()] == ["deposit:1", "deposit:2"]
    assert tab.opening_label.text() == "$0.00" and not tab.finish_button.isEnabled()
    tab.statement_date.setDate(tab.statement_date.date().addDays(-1))
    qtbot.keyClicks(tab.ending, "100.00")
    tab.items.view.setCurrentIndex(tab.items.proxy.index(0, 1))
    qtbot.keyClick(tab.items.view, Qt.Key.Key_Space)
    qtbot.keyClick(tab.items.view, Qt.Key.Key_Down)
    qtbot.keyClick(tab.items.view, Qt.Key.Key_Space)
    assert tab.cleared_label.text().startswith("$115.00") and tab.difference.text() == "-$15.00"
    assert not tab.finish_button.isEnabled()
    tab.finish()                                                              # even called directly: refused
    assert "only when the difference is zero" in tab.result_label.text() and bank_history(hall) == []

    # Postpone saves the ticks; a new window resumes them.
    qtbot.mouseClick(tab.postpone_button, Qt.MouseButton.LeftButton)
    saved = bank_status(hall)
    assert saved is not None and saved.difference_cents == -1500 and {i.ref for i in saved.items if i.ticked} == {
        "deposit:1", "deposit:2"}
    again = make_window(hall).show_screen("Reconciliation")
    again.tabs.setCurrentWidget(again.bank)
    assert again.bank.ending.text() == "100.00" and again.bank.difference.text() == "-$15.00"
    assert len(again.bank.items.model.ticked_records()) == 2

    # At zero it finishes, after asking.
    tab.ending.setText("115.00")
    assert tab.difference.text() == "$0.00" and tab.finish_button.isEnabled()
    answer_next_dialog(qtbot, press("Cancel"), kind=QMessageBox)
    qtbot.mouseClick(tab.finish_button, Qt.MouseButton.LeftButton)
    assert bank_history(hall) == []
    answer_next_dialog(qtbot, press("Finish"), kind=QMessageBox)
    qtbot.mouseClick(tab.finish_button, Qt.MouseButton.LeftButton)
    (done,) = bank_history(hall)
    assert done.ending_balance_cents == 11500 and {i.ref for i in done.items} == {"deposit:1", "deposit:2"}
    assert bank_status(hall) is None and tab.items.model.rowCount() == 0
    assert tab.history.model.rowCount() == 1 and tab.opening_label.text() == "$115.00"
    assert tab.ending.text() == "" and "Finished" in tab.result_label.text()


# Reports ---------------------------------------------------------------------------------------------------

def test_a_period_report_shown_exported_to_csv_and_the_trustees_packet(hall, make_window, qtbot, tmp_path,
                                                                       monkeypatch):
    import csv

    from PySide6.QtWidgets import QFileDialog

    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    at_the_hall(hall)
    screen = make_window(hall).show_screen("Reconciliation")
    screen.tabs.setCurrentWidget(screen.reports)
    tab = screen.reports
    assert tab.period.currentText() == "2026-10"              # the newest dues period
    tab.period.setCurrentText("2026-11")
    qtbot.mouseClick(tab.show_button, Qt.MouseButton.LeftButton)
    shown = {f.label: f.value for f in tab.figures.proxy.records()}
    assert shown["Check"] == "$45.00" and shown["Money order"] == "$45.00" and shown["Cash"] == "$25.00"
    assert shown["Card"] == "$45.00" and shown["Total collected"] == "$160.00"
    assert "Stripe fees (the hall's expense)" in shown and "Period report 2026-11" in tab.title.text()
    tab.period.setCurrentText("2026-10")
    qtbot.mouseClick(tab.show_button, Qt.MouseButton.LeftButton)
    shown = {f.label: f.value for f in tab.figures.proxy.records()}
    assert shown["Members assessed"] == "4" and shown["Amount assessed"] == "$180.00"
    assert [f.group for f in tab.figures.proxy.records()][:3] == ["Dues", "Dues", "Dues"]   # in report order
    assert sum(r.assessed for r in tab.pc.proxy.records()) == 4

    out = tmp_path / "period.csv"

    def save_as(dialog):
        assert isinstance(dialog, QFileDialog)
        dialog.selectFile(str(out))
        dialog.accept()

    answer_next_dialog(qtbot, save_as)
    qtbot.mouseClick(tab.export_period, Qt.MouseButton.LeftButton)
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0] == ["period", "item", "value"] and ["2026-10", "amount assessed", "180.00"] in rows
    assert str(out) in tab.result_label.text()

    folder = tmp_path / "packet"

    def build(dialog):
        dialog.folder.setText(str(folder))
        answer_next_dialog(qtbot, press("OK"), kind=QMessageBox, timeout_ms=30000)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, build)
    qtbot.mouseClick(tab.packet_button, Qt.MouseButton.LeftButton)
    assert (folder / "packet.pdf").exists() and (folder / "README.txt").exists()
    assert f"written to {folder}" in tab.result_label.text() and "Audit chain verified" in tab.result_label.text()
