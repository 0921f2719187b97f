"""Payments, Dues, Review and Audit through their widgets, on a real hall."""

from __future__ import annotations

import csv
import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QMessageBox

from helpers import PAT_PIN, SAM_PIN, count, officers, raw, standard_hall
from treasurer.adjustments import request_adjustment
from treasurer.dues import assess
from treasurer.ledger import member_standing
from treasurer.members import find_member
from ui.dialogs.receipt_dialog import ReceiptDialog
from uitools import answer_next_dialog, press


def books(hall):
    standard_hall(hall, members=3)
    officers(hall)
    assess(hall, "2026-10")
    return hall


def balance(hall, number: str) -> int:
    with hall.read() as s:
        return member_standing(s, find_member(s, number).id, dt.date(2026, 11, 20)).balance_cents


def test_record_a_check_payment_asks_first_and_shows_a_receipt(hall, make_window, qtbot, monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    window = make_window(hall)
    screen = window.show_screen("Payments")
    receipts = []

    def fill_then_fix(dialog):
        qtbot.keyClicks(dialog.member, "1002")
        qtbot.keyClicks(dialog.amount, "45.00")
        dialog.method.setCurrentIndex(dialog.method.findData("check"))
        answer_next_dialog(qtbot, press("Record"), kind=QMessageBox)
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
        assert "needs the check number" in dialog.error.text() and dialog.isVisible()
        qtbot.keyClicks(dialog.reference, "1042")
        answer_next_dialog(qtbot, lambda receipt: (receipts.append(receipt.html), receipt.reject()), kind=ReceiptDialog)
        answer_next_dialog(qtbot, press("Record"), kind=QMessageBox)
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, fill_then_fix)
    qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)
    assert "Receipt R000001" in receipts[0] and "2026-10" in receipts[0]
    assert balance(hall, "1002") == 0
    assert [r.reference for r in screen.table.proxy.records()] == ["1042"]
    members = window.screens["Members"].table.model.rows
    assert next(r for r in members if r.number == "1002").balance_cents == 0   # every screen reloaded


def test_declining_the_confirmation_records_nothing(hall, make_window, qtbot):
    books(hall)
    screen = make_window(hall).show_screen("Payments")

    def fill(dialog):
        qtbot.keyClicks(dialog.member, "1001")
        qtbot.keyClicks(dialog.amount, "45")
        dialog.method.setCurrentIndex(dialog.method.findData("cash"))
        answer_next_dialog(qtbot, press("Cancel"), kind=QMessageBox)
        qtbot.mouseClick(dialog.record_button, Qt.MouseButton.LeftButton)
        dialog.reject()

    answer_next_dialog(qtbot, fill)
    qtbot.mouseClick(screen.record_button, Qt.MouseButton.LeftButton)
    assert count(hall, "payments") == 0


def test_payment_filters(hall, make_window, qtbot, monkeypatch):
    from treasurer.payments import record_payment

    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    record_payment(hall, "1001", 4500, "cash", received_on=dt.date(2026, 10, 3))
    record_payment(hall, "1002", 4500, "check", "77", received_on=dt.date(2026, 11, 3))
    screen = make_window(hall).show_screen("Payments")
    assert screen.table.proxy.rowCount() == 2
    screen.method_filter.setCurrentIndex(screen.method_filter.findData("check"))
    assert [r.member_number for r in screen.table.proxy.records()] == ["1002"]
    screen.method_filter.setCurrentIndex(0)
    screen.since.setDate(screen.since.date().fromString("2026-11-01", "yyyy-MM-dd"))
    assert [r.member_number for r in screen.table.proxy.records()] == ["1002"]
    screen.pending_only.setChecked(True)
    assert screen.table.proxy.rowCount() == 0


def test_assess_a_period_with_preview_and_summary(hall, make_window, qtbot):
    books(hall)
    screen = make_window(hall).show_screen("Dues")
    screen.tabs.setCurrentIndex(1)
    previews = []

    def assess_it(dialog):
        dialog.period.setCurrentText("2026-11")
        previews.append(dialog.preview.text())
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, assess_it)
    qtbot.mouseClick(screen.assess_button, Qt.MouseButton.LeftButton)
    assert previews == ["Assessing 2026-11 adds 3 charges totalling $135.00."]
    assert screen.result_label.text() == "Assessed 2026-11: 3 charges for $135.00."
    assert "2026-11" in [p.code for p in screen.periods.model.rows]
    assert count(hall, "charges") == 6


def test_a_new_rate_keeps_the_old_one(hall, make_window, qtbot):
    books(hall)
    screen = make_window(hall).show_screen("Dues")

    def new_rate(dialog):
        dialog.classification.setCurrentText("Journeyman Wireman")
        qtbot.keyClicks(dialog.rate, "48.00")
        dialog.start.setDate(dialog.start.date().fromString("2027-01-01", "yyyy-MM-dd"))
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, new_rate)
    qtbot.mouseClick(screen.new_rate_button, Qt.MouseButton.LeftButton)
    rates = [(r.amount_cents, r.effective_from.isoformat()) for r in screen.rates.model.rows
             if r.classification == "Journeyman Wireman"]
    assert sorted(rates) == [(4500, "2025-01-01"), (4800, "2027-01-01")]


def test_close_a_period_needs_the_officers_pin(hall, make_window, qtbot):
    books(hall)
    screen = make_window(hall).show_screen("Dues")
    errors = []

    def close_it(dialog):
        dialog.period.setCurrentText("2026-10")
        dialog.officer.setCurrentText("Pat Morales")
        qtbot.keyClicks(dialog.pin, "999999")
        qtbot.keyClicks(dialog.note_text, "closed at the November meeting")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        errors.append(dialog.error.text())
        errors.append(count(hall, "period_closings"))                 # nothing saved
        dialog.pin.clear()
        qtbot.keyClicks(dialog.pin, PAT_PIN)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, close_it)
    qtbot.mouseClick(screen.close_period_button, Qt.MouseButton.LeftButton)
    assert errors == ["The PIN for Pat Morales is not right.", 0]
    assert next(p for p in screen.periods.model.rows if p.code == "2026-10").closed
    conn = raw(hall)
    try:
        seq, digest = conn.execute("SELECT anchor_seq, anchor_hash FROM period_closings").fetchone()
    finally:
        conn.close()
    assert screen.result_label.text().startswith(f"Closed 2026-10. Anchor {seq}:{digest}: give it to the trustees")


def test_request_in_dues_then_approve_in_review_with_a_second_officer(hall, make_window, qtbot, monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    window = make_window(hall)
    dues = window.show_screen("Dues")
    dues.tabs.setCurrentIndex(2)

    def request(dialog):
        qtbot.keyClicks(dialog.member, "1003")
        dialog.kind.setCurrentIndex(dialog.kind.findData("hardship_credit"))
        qtbot.keyClicks(dialog.amount, "45")
        qtbot.keyClicks(dialog.reason, "Out of work after injury")
        dialog.officer.setCurrentText("Pat Morales")
        assert dialog.pin.echoMode() == dialog.pin.EchoMode.Password
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)       # no PIN: refused
        said.append(dialog.error.text())
        qtbot.keyClicks(dialog.pin, SAM_PIN)                                 # Sam's PIN in Pat's name: refused
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        said.append(dialog.error.text())
        said.append(count(hall, "adjustments"))
        dialog.pin.clear()
        qtbot.keyClicks(dialog.pin, PAT_PIN)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    said = []
    answer_next_dialog(qtbot, request)
    qtbot.mouseClick(dues.request_adjustment_button, Qt.MouseButton.LeftButton)
    assert said == ["The PIN for Pat Morales is not right."] * 2 + [0]
    assert window.status.review_label.text() == "Review: 1 item waiting"
    assert balance(hall, "1003") == 4500

    review = window.show_screen("Review")
    assert review.table.proxy.rowCount() == 1
    review.table.view.selectRow(0)
    offered = []

    def approve(dialog):
        offered.append([dialog.officer.itemText(i) for i in range(dialog.officer.count())])
        qtbot.keyClicks(dialog.pin, SAM_PIN)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, approve)
    qtbot.mouseClick(review.approve_button, Qt.MouseButton.LeftButton)
    assert offered == [["Sam Okafor"]]                  # the requester cannot approve their own request
    assert balance(hall, "1003") == 0
    assert review.table.proxy.rowCount() == 0
    assert window.status.review_label.text() == "Review: nothing waiting"
    assert next(a for a in dues.adjustments.model.rows).state == "approved"


def test_verify_the_audit_chain_and_see_a_forgery(hall, make_window, qtbot):
    books(hall)
    screen = make_window(hall).show_screen("Audit")
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    assert screen.verdict.text().startswith("The books are honest: the audit chain's ")
    assert screen.verdict.objectName() == "inline-ok"
    # A rate lowered behind the app's back: the chain holds, the books do not.
    conn = raw(hall)
    conn.execute("UPDATE dues_rates SET amount_cents = 100 WHERE id = 1")
    conn.commit()
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    text = screen.verdict.text()
    assert text.startswith("The chain is intact, but 1 row of the books differs from the audit log"), text
    assert "dues_rates row 1: amount_cents is 100, the log has 4500" in text
    assert screen.verdict.objectName() == "inline-error"

    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    triggers = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_log'")]
    for name in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("UPDATE audit_log SET actor='mallory' WHERE seq=3")
    conn.close()
    qtbot.mouseClick(screen.verify_button, Qt.MouseButton.LeftButton)
    assert screen.verdict.text().startswith("The audit chain is BROKEN at entry 3")


def test_audit_export_writes_every_matching_entry(hall, make_window, qtbot, tmp_path):
    books(hall)
    screen = make_window(hall).show_screen("Audit")
    out = tmp_path / "audit.csv"

    def save_as(dialog):
        assert isinstance(dialog, QFileDialog)
        dialog.selectFile(str(out))
        dialog.accept()

    screen.entity.setCurrentText("charge")
    assert {r.entity_type for r in screen.table.proxy.records()} == {"charge"}
    answer_next_dialog(qtbot, save_as)
    qtbot.mouseClick(screen.export_button, Qt.MouseButton.LeftButton)
    rows = list(csv.reader(out.open(encoding="utf-8")))
    assert rows[0][:3] == ["seq", "at", "actor"] and len(rows) == 4 and {r[4] for r in rows[1:]} == {"charge"}


def test_every_table_model_passes_the_model_tester(hall, qtmodeltester, monkeypatch):
    from treasurer.payments import record_payment
    from ui import queries
    from ui.review_items import review_items
    from ui.screens.payments import payment_columns
    from ui.table_model import Column, RecordTableModel

    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    record_payment(hall, "1001", 4500, "cash", received_on=dt.date(2026, 10, 3))
    request_adjustment(hall, "1002", 1000, "waiver", "test", "Pat Morales", pin=PAT_PIN)
    model = RecordTableModel(payment_columns(lambda: "usd"))
    model.set_rows(queries.payment_rows(hall))
    qtmodeltester.check(model)
    generic = [Column("a", lambda r: repr(r)[:20])]
    for rows in (queries.period_rows(hall), queries.rate_rows(hall), queries.adjustment_rows(hall),
                 review_items(hall), queries.audit_rows(hall)[0]):
        m = RecordTableModel(generic)
        m.set_rows(rows)
        qtmodeltester.check(m)


def test_a_receipt_prints_to_pdf(hall, qtbot, tmp_path, monkeypatch):
    from PySide6.QtPrintSupport import QPrinter

    from treasurer.payments import record_payment

    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    receipt = record_payment(hall, "1001", 4500, "check", "501", received_on=dt.date(2026, 11, 2))
    dialog = ReceiptDialog(hall, receipt)
    qtbot.addWidget(dialog)
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setOutputFileName(str(tmp_path / "receipt.pdf"))
    dialog.print_to(printer)
    assert (tmp_path / "receipt.pdf").read_bytes().startswith(b"%PDF")
    assert "Applied to" in dialog.html and "$45.00" in dialog.html


def test_items_the_relay_raised_are_resolved_with_a_note_in_the_same_list(hall, make_window, qtbot):
    from treasurer.review import open_item

    books(hall)
    request_adjustment(hall, "1002", 1000, "waiver", "E-Board vote", "Pat Morales", pin=PAT_PIN)
    with hall.write() as tx:
        open_item(tx, "held_event", "event:evt_123", "An event for a slip that does not exist was held", 4500)
    window = make_window(hall)
    review = window.show_screen("Review")
    assert sorted(r.kind for r in review.table.model.rows) == ["adjustment", "held_event"]
    assert window.status.review_label.text() == "Review: 2 items waiting"
    row = next(i for i, r in enumerate(review.table.proxy.records()) if r.kind == "held_event")
    review.table.view.selectRow(row)
    assert review.resolve_button.isEnabled() and not review.approve_button.isEnabled()
    errors = []

    def resolve(dialog):
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        errors.append(dialog.error.text())
        qtbot.keyClicks(dialog.resolution, "checked in Stripe: a test payment")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, resolve)
    qtbot.mouseClick(review.resolve_button, Qt.MouseButton.LeftButton)
    assert errors == ["Resolving a review item needs a note saying what was done."]
    assert [r.kind for r in review.table.model.rows] == ["adjustment"]
    assert window.status.review_label.text() == "Review: 1 item waiting"
