"""Review items that move money need an officer's PIN in the window: a wrong one is refused with a sentence
and nothing is saved; the right one does it, and the audit log names the officer."""

from __future__ import annotations

import datetime as dt
import json

from PySide6.QtCore import Qt

from helpers import PAT_PIN, SAM_PIN, count, officers, raw, standard_hall
from treasurer import clock
from treasurer.adjustments import request_adjustment
from treasurer.dues import assess
from treasurer.models import Payment
from treasurer.review import open_item
from uitools import answer_next_dialog


def books(hall):
    standard_hall(hall, members=2)
    officers(hall)
    assess(hall, "2026-10")
    return hall


def unmatched_payment(hall) -> int:
    """A Stripe payment the relay could not tie to a member: it waits in Review to be assigned."""
    with hall.write() as tx:
        payment = Payment(member_id=None, amount_cents=4500, method="card", status="completed",
                          received_on=dt.date(2026, 10, 3), reference="pi_unknown", recorded_by="relay",
                          created_at=clock.stamp(), stripe_payment_intent_id="pi_unknown")
        tx.session.add(payment)
        tx.session.flush()
        open_item(tx, "unmatched_payment", f"payment:{payment.id}", "A payment no slip names", 4500)
        return payment.id


def member_of(hall, payment_id: int) -> int | None:
    conn = raw(hall)
    try:
        return conn.execute("SELECT member_id FROM payments WHERE id = ?", (payment_id,)).fetchone()[0]
    finally:
        conn.close()


def test_assigning_an_unmatched_payment_needs_an_officers_pin(hall, make_window, qtbot):
    books(hall)
    payment_id = unmatched_payment(hall)
    window = make_window(hall)
    review = window.show_screen("Review")
    row = next(i for i, r in enumerate(review.table.proxy.records()) if r.kind == "unmatched_payment")
    review.table.view.selectRow(row)
    said = []

    def assign(dialog):
        assert dialog.pin.echoMode() == dialog.pin.EchoMode.Password
        qtbot.keyClicks(dialog.member, "1002")
        qtbot.keyClicks(dialog.resolution, "phoned the hall: it was theirs")
        dialog.officer.setCurrentText("Sam Okafor")
        qtbot.keyClicks(dialog.pin, PAT_PIN)                      # Pat's PIN in Sam's name
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        said.append(dialog.error.text())
        said.append(member_of(hall, payment_id))
        dialog.pin.clear()
        qtbot.keyClicks(dialog.pin, SAM_PIN)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, assign)
    qtbot.mouseClick(review.resolve_button, Qt.MouseButton.LeftButton)
    assert said == ["The PIN for Sam Okafor is not right.", None]
    assert member_of(hall, payment_id) == 2
    conn = raw(hall)
    try:
        resolved_by = conn.execute("SELECT resolved_by FROM review_items WHERE kind = 'unmatched_payment'").fetchone()
        after = json.loads(conn.execute("SELECT after_json FROM audit_log WHERE action = 'review.resolve' "
                                        "ORDER BY seq DESC LIMIT 1").fetchone()[0])
    finally:
        conn.close()
    assert resolved_by == ("Sam Okafor",) and after["by"] == "Sam Okafor"


def test_a_note_only_item_asks_for_no_pin(hall, make_window, qtbot):
    books(hall)
    with hall.write() as tx:
        open_item(tx, "held_event", "event:evt_1", "An event for a slip that does not exist was held")
    review = make_window(hall).show_screen("Review")
    review.table.view.selectRow(0)
    rows = []

    def resolve(dialog):
        rows.append(dialog.by)
        qtbot.keyClicks(dialog.resolution, "a test payment")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, resolve)
    qtbot.mouseClick(review.resolve_button, Qt.MouseButton.LeftButton)
    assert rows == [None] and count(hall, "review_items") == 1


def test_approving_with_a_wrong_pin_saves_nothing(hall, make_window, qtbot):
    books(hall)
    request_adjustment(hall, "1002", 1000, "waiver", "E-Board vote", "Pat Morales", pin=PAT_PIN)
    review = make_window(hall).show_screen("Review")
    review.table.view.selectRow(0)
    said = []

    def approve(dialog):
        qtbot.keyClicks(dialog.pin, "000000")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        said.append(dialog.error.text())
        said.append(count(hall, "adjustment_decisions"))
        dialog.reject()

    answer_next_dialog(qtbot, approve)
    qtbot.mouseClick(review.approve_button, Qt.MouseButton.LeftButton)
    assert said == ["The PIN for Sam Okafor is not right.", 0]
    assert review.table.proxy.rowCount() == 1


def test_an_officer_with_an_old_short_pin_is_asked_to_change_it(hall, make_window, qtbot):
    import base64
    import hashlib

    from PySide6.QtWidgets import QMessageBox

    from treasurer.models import Officer

    books(hall)
    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"1234", salt=salt, n=2**14, r=8, p=1, dklen=32)
    with hall.write() as tx:                   # books from before PINs had six digits
        tx.session.query(Officer).filter_by(name="Pat Morales").one().pin_hash = \
            f"scrypt${2**14}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    dues = make_window(hall).show_screen("Dues")
    told = []

    def request(dialog):
        qtbot.keyClicks(dialog.member, "1001")
        qtbot.keyClicks(dialog.amount, "10")
        qtbot.keyClicks(dialog.reason, "hardship")
        dialog.officer.setCurrentText("Pat Morales")
        qtbot.keyClicks(dialog.pin, "1234")
        answer_next_dialog(qtbot, lambda box: (told.append(box.text()), box.accept()), kind=QMessageBox)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, request)
    qtbot.mouseClick(dues.request_adjustment_button, Qt.MouseButton.LeftButton)
    assert count(hall, "adjustments") == 1
    assert told and told[0].startswith("Pat Morales's PIN is shorter than 6 digits; please change it")
