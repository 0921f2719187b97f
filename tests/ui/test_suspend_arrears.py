"""Suspending members in arrears in bulk from the Members screen: months, a preview of exactly who, a question."""

from __future__ import annotations

import datetime as dt
import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from helpers import count, raw, standard_hall
from treasurer.dues import assess
from treasurer.members import change_status
from treasurer.payments import record_payment
from uitools import answer_next_dialog, press


def books(hall):
    standard_hall(hall, members=4)
    for month in ("2026-08", "2026-09", "2026-10"):
        assess(hall, month)
    record_payment(hall, "1002", 13500, "cash", received_on=dt.date(2026, 10, 5))      # paid up
    record_payment(hall, "1003", 4500, "cash", received_on=dt.date(2026, 10, 6))       # 2 months behind
    change_status(hall, "1004", "withdrawn", "moved away")                              # behind, not active
    return hall


def statuses(hall) -> dict[str, str]:
    conn = raw(hall)
    try:
        return dict(conn.execute("SELECT member_number, status FROM members").fetchall())
    finally:
        conn.close()


def status_audits(hall) -> list[tuple[str, str, str]]:
    conn = raw(hall)
    try:
        rows = conn.execute("SELECT m.member_number, a.before_json, a.after_json FROM audit_log a "
                            "JOIN members m ON CAST(m.id AS TEXT) = a.entity_id "
                            "WHERE a.action = 'member.status' ORDER BY a.seq").fetchall()
    finally:
        conn.close()
    return [(number, json.loads(before)["reason"], json.loads(after)["status"]) for number, before, after in rows]


def shown_names(dialog) -> list[str]:
    """Each row as "number  name — N months behind, $X overdue", read from the table's cells."""
    t = dialog.names
    rows = [[t.item(r, c).text() for c in range(4)] for r in range(t.rowCount())]
    assert all(t.item(r, 3).textAlignment() & Qt.AlignmentFlag.AlignRight for r in range(t.rowCount()))
    return [f"{n}  {name} — {months} month{'s' if months != '1' else ''} behind, {owed} overdue"
            for n, name, months, owed in rows]


def test_preview_then_confirm_suspends_exactly_those_shown(hall, make_window, qtbot, monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    screen = make_window(hall).show_screen("Members")
    entries = count(hall, "audit_log")
    seen = {}

    def run(dialog):
        dialog.months.setValue(2)
        qtbot.waitUntil(lambda: dialog.summary.text().startswith("2 active members are 2+"), timeout=10_000)
        seen["two"] = shown_names(dialog)
        dialog.months.setValue(4)
        qtbot.waitUntil(lambda: dialog.summary.text().startswith("No active member"), timeout=10_000)
        seen["four_enabled"] = dialog.ok_button.isEnabled()
        dialog.months.setValue(3)
        qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=10_000)
        seen["three"] = (dialog.summary.text(), shown_names(dialog), dialog.ok_button.text())
        seen["written_while_previewing"] = count(hall, "audit_log") - entries
        answer_next_dialog(qtbot, lambda box: (seen.setdefault("question", box.text()), press("Cancel")(box)),
                           kind=QMessageBox)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        seen["after_cancel"] = (dialog.isVisible(), count(hall, "audit_log") - entries)
        answer_next_dialog(qtbot, press("Suspend 1 member"), kind=QMessageBox)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, run)
    qtbot.mouseClick(screen.suspend_button, Qt.MouseButton.LeftButton)
    assert seen["two"] == ["1001  Last0, First0 — 3 months behind, $135.00 overdue",
                           "1003  Last2, First2 — 2 months behind, $90.00 overdue"]
    assert seen["four_enabled"] is False
    assert seen["three"] == ("1 active member is 3+ months behind and would be suspended:",
                             ["1001  Last0, First0 — 3 months behind, $135.00 overdue"], "Suspend 1 member…")
    assert seen["written_while_previewing"] == 0
    assert seen["question"].startswith("Suspend 1 member 3+ months behind (Last0, First0)?")
    assert seen["after_cancel"] == (True, 0)
    assert statuses(hall) == {"1001": "suspended", "1002": "active", "1003": "active", "1004": "withdrawn"}
    assert status_audits(hall)[-1] == ("1001", "in arrears 3+ months", "suspended")
    assert count(hall, "audit_log") == entries + 1
    assert next(r for r in screen.table.model.rows if r.number == "1001").status == "suspended"   # reloaded
    assert screen.result_label.text() == "Suspended 1 member 3+ months in arrears."


def test_cancel_suspends_nobody(hall, make_window, qtbot, monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    screen = make_window(hall).show_screen("Members")
    entries = count(hall, "audit_log")

    def look_then_cancel(dialog):
        dialog.months.setValue(1)
        qtbot.waitUntil(dialog.ok_button.isEnabled, timeout=10_000)
        dialog.reject()

    answer_next_dialog(qtbot, look_then_cancel)
    qtbot.mouseClick(screen.suspend_button, Qt.MouseButton.LeftButton)
    assert count(hall, "audit_log") == entries
    assert statuses(hall)["1001"] == "active" and screen.result_label.text() == ""


def test_the_members_menu_opens_it(hall, make_window, qtbot, monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    window = make_window(hall)
    window.show_screen("Dashboard")
    action = next(a for menu in window.menuBar().actions() if menu.text() == "&Members"
                  for a in menu.menu().actions() if a.text().startswith("&Suspend"))
    seen = answer_next_dialog(qtbot, lambda d: d.reject())
    action.trigger()
    assert window.current_screen() is window.screens["Members"]
    assert seen and seen[0].objectName() == "suspend-arrears-dialog"
