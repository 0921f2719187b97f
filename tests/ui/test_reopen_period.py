"""Reopening a closed period from the Dues screen: officer, PIN, a required reason, a confirmation."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from helpers import PAT_PIN, SAM_PIN, count, officers, raw, standard_hall
from treasurer.dues import assess
from treasurer.periods import close_period
from uitools import answer_next_dialog, press


def closed_books(hall):
    standard_hall(hall, members=2)
    officers(hall)
    assess(hall, "2026-10")
    assess(hall, "2026-11")
    close_period(hall, "2026-10", "Pat Morales", "closed at the November meeting", PAT_PIN)
    return hall


def closings(hall) -> list[tuple[str, str, str]]:
    conn = raw(hall)
    try:
        return conn.execute("SELECT p.code, c.action, c.note FROM period_closings c "
                            "JOIN dues_periods p ON p.id = c.period_id ORDER BY c.id").fetchall()
    finally:
        conn.close()


def last_audit(hall) -> tuple[str, str, str, dict]:
    conn = raw(hall)
    try:
        action, kind, ident, after = conn.execute(
            "SELECT action, entity_type, entity_id, after_json FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return action, kind, ident, json.loads(after)


def open_reopen_dialog(qtbot, screen, respond):
    seen = answer_next_dialog(qtbot, respond)
    qtbot.mouseClick(screen.reopen_period_button, Qt.MouseButton.LeftButton)
    return seen


def test_reopen_needs_a_reason_and_the_pin_then_asks_and_records_it(hall, make_window, qtbot):
    closed_books(hall)
    screen = make_window(hall).show_screen("Dues")
    screen.tabs.setCurrentIndex(1)
    errors, offered, questions = [], [], []

    def reopen(dialog):
        offered.append([dialog.period.itemText(i) for i in range(dialog.period.count())])
        dialog.officer.setCurrentText("Sam Okafor")
        qtbot.keyClicks(dialog.pin, SAM_PIN)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)        # no reason yet
        errors.append(dialog.error.text())
        qtbot.keyClicks(dialog.reason, "a check dated in October was found")
        dialog.pin.clear()
        qtbot.keyClicks(dialog.pin, "0000")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)        # wrong PIN: no question asked
        errors.append(dialog.error.text())
        dialog.pin.clear()
        qtbot.keyClicks(dialog.pin, SAM_PIN)
        answer_next_dialog(qtbot, lambda box: (questions.append(box.text()), press("Reopen")(box)),
                           kind=QMessageBox)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    open_reopen_dialog(qtbot, screen, reopen)
    assert offered == [["2026-10"]]                       # only closed periods are offered
    assert errors == ["Reopening a closed period needs a reason.", "The PIN for Sam Okafor is not right."]
    conn = raw(hall)
    try:                                       # the wrong PIN counts, as anywhere, and is in the log
        assert conn.execute("SELECT count(*) FROM audit_log WHERE action = 'officer.pin_wrong'").fetchone()[0] == 1
    finally:
        conn.close()
    assert questions and questions[0].startswith("Reopen 2026-10?") and "Sam Okafor" in questions[0]
    assert closings(hall)[-1] == ("2026-10", "reopen", "a check dated in October was found")
    assert last_audit(hall) == ("period.reopen", "period", "2026-10",
                                {"officer": "Sam Okafor", "note": "a check dated in October was found"})
    assert not next(p for p in screen.periods.model.rows if p.code == "2026-10").closed
    assert screen.result_label.text().startswith("Reopened 2026-10")


def test_declining_the_question_reopens_nothing(hall, make_window, qtbot):
    closed_books(hall)
    screen = make_window(hall).show_screen("Dues")
    before = count(hall, "audit_log")
    still_open = []

    def reopen_then_decline(dialog):
        dialog.officer.setCurrentText("Pat Morales")
        qtbot.keyClicks(dialog.pin, PAT_PIN)
        qtbot.keyClicks(dialog.reason, "mistake")
        answer_next_dialog(qtbot, press("Cancel"), kind=QMessageBox)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        still_open.append(dialog.isVisible())
        dialog.reject()

    open_reopen_dialog(qtbot, screen, reopen_then_decline)
    assert still_open == [True]
    assert [c[1] for c in closings(hall)] == ["close"]
    assert count(hall, "audit_log") == before
    assert next(p for p in screen.periods.model.rows if p.code == "2026-10").closed


def test_with_nothing_closed_the_screen_says_so(hall, make_window, qtbot):
    standard_hall(hall, members=1)
    officers(hall)
    assess(hall, "2026-10")
    screen = make_window(hall).show_screen("Dues")
    seen = open_reopen_dialog(qtbot, screen, press("OK"))
    assert isinstance(seen[0], QMessageBox) and seen[0].text() == "No period is closed, so there is nothing to reopen."
    assert count(hall, "period_closings") == 0
