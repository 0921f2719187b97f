"""Officers in Settings: the list, adding one, changing a PIN, deactivating one who left."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from helpers import count, officers, pin_works, raw
from uitools import answer_next_dialog, press


def audit_tail(hall) -> tuple[str, dict]:
    conn = raw(hall)
    try:
        action, after = conn.execute("SELECT action, after_json FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    finally:
        conn.close()
    return action, json.loads(after)


def select_officer(screen, name: str) -> None:
    row = next(i for i, r in enumerate(screen.officers.proxy.records()) if r.name == name)
    screen.officers.view.selectRow(row)


def test_the_list_shows_name_role_and_active(hall, make_window):
    officers(hall)
    screen = make_window(hall).show_screen("Settings")
    model = screen.officers.model
    assert [(r.name, r.role, r.active) for r in screen.officers.proxy.records()] == [
        ("Pat Morales", "treasurer", True), ("Sam Okafor", "president", True)]
    assert [model.headerData(i, Qt.Orientation.Horizontal) for i in range(3)] == ["Name", "Role", "Active"]


def test_add_an_officer_with_a_pin_typed_twice(hall, make_window, qtbot):
    officers(hall)
    screen = make_window(hall).show_screen("Settings")
    errors = []

    def add(dialog):
        qtbot.keyClicks(dialog.name, "Lee Chan")
        dialog.role.setCurrentIndex(dialog.role.findData("trustee"))
        qtbot.keyClicks(dialog.pin, "4321")
        qtbot.keyClicks(dialog.pin_again, "4322")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        errors.append(dialog.error.text())
        dialog.pin_again.clear()
        qtbot.keyClicks(dialog.pin_again, "4321")
        dialog.voucher.setCurrentIndex(dialog.voucher.findText("Sam Okafor"))
        qtbot.keyClicks(dialog.voucher_pin, "0000")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        errors.append(dialog.error.text())
        dialog.voucher_pin.clear()
        qtbot.keyClicks(dialog.voucher_pin, "5678")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, add)
    qtbot.mouseClick(screen.add_officer_button, Qt.MouseButton.LeftButton)
    assert errors == ["The two PINs are not the same; type the PIN again in both boxes.",
                      "The PIN for Sam Okafor is not right."]
    assert ("Lee Chan", "trustee", True) in [(r.name, r.role, r.active) for r in screen.officers.model.rows]
    assert pin_works(hall, "Lee Chan", "4321")
    assert audit_tail(hall) == ("officer.add", {"name": "Lee Chan", "role": "trustee", "vouched_by": "Sam Okafor"})
    assert screen.officers_result.text() == "Added Lee Chan."


def test_change_a_pin_with_the_old_one_or_another_officers(hall, make_window, qtbot):
    officers(hall)
    screen = make_window(hall).show_screen("Settings")
    select_officer(screen, "Pat Morales")
    errors, vouchers = [], []

    def with_old_pin(dialog):
        vouchers.append([dialog.voucher.itemText(i) for i in range(dialog.voucher.count())])
        qtbot.keyClicks(dialog.vouching_pin, "1111")
        qtbot.keyClicks(dialog.new_pin, "24680")
        qtbot.keyClicks(dialog.new_pin_again, "24680")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        errors.append(dialog.error.text())
        dialog.vouching_pin.clear()
        qtbot.keyClicks(dialog.vouching_pin, "1234")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, with_old_pin)
    qtbot.mouseClick(screen.change_pin_button, Qt.MouseButton.LeftButton)
    assert vouchers == [["Pat Morales (the old PIN)", "Sam Okafor"]]
    assert errors == ["The old PIN for Pat Morales is not right."]
    assert pin_works(hall, "Pat Morales", "24680") and not pin_works(hall, "Pat Morales", "1234")
    assert audit_tail(hall) == ("officer.pin_change", {"name": "Pat Morales", "vouched_by": "Pat Morales"})

    def forgotten(dialog):
        dialog.voucher.setCurrentIndex(dialog.voucher.findData("Sam Okafor"))
        qtbot.keyClicks(dialog.vouching_pin, "5678")
        qtbot.keyClicks(dialog.new_pin, "1357")
        qtbot.keyClicks(dialog.new_pin_again, "1357")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, forgotten)
    qtbot.mouseClick(screen.change_pin_button, Qt.MouseButton.LeftButton)
    assert pin_works(hall, "Pat Morales", "1357")
    assert audit_tail(hall) == ("officer.pin_change", {"name": "Pat Morales", "vouched_by": "Sam Okafor"})
    assert screen.officers_result.text() == "The PIN for Pat Morales is changed."


def test_deactivate_asks_then_the_officer_can_no_longer_vouch(hall, make_window, qtbot):
    officers(hall)
    window = make_window(hall)
    screen = window.show_screen("Settings")
    select_officer(screen, "Pat Morales")
    questions, declined = [], []

    def decline_first(dialog):
        qtbot.keyClicks(dialog.pin, "5678")
        answer_next_dialog(qtbot, lambda box: (questions.append(box.text()), press("Cancel")(box)), kind=QMessageBox)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        declined.append(count(hall, "audit_log"))
        answer_next_dialog(qtbot, press("Deactivate"), kind=QMessageBox)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    before = count(hall, "audit_log")
    answer_next_dialog(qtbot, decline_first)
    qtbot.mouseClick(screen.deactivate_button, Qt.MouseButton.LeftButton)
    assert questions[0].startswith("Deactivate Pat Morales?") and "Sam Okafor" in questions[0]
    assert declined == [before]                                    # the first answer was Cancel: nothing written
    assert audit_tail(hall) == ("officer.deactivate", {"name": "Pat Morales", "active": False, "by": "Sam Okafor"})
    assert [(r.name, r.active) for r in screen.officers.proxy.records()] == [("Pat Morales", False),
                                                                            ("Sam Okafor", True)]
    # Pat is no longer offered where an officer acts, e.g. closing a period.
    from ui.dialogs.officer_pin import officer_combo

    combo = officer_combo(window.ctx)
    assert [combo.itemText(i) for i in range(combo.count())] == ["Sam Okafor"]

    # Sam is now the last active officer: the dialog says so and nothing is written.
    select_officer(screen, "Sam Okafor")
    said = []

    def last_one(dialog):
        said.append(dialog.error.text())
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        said.append(dialog.error.text())
        dialog.reject()

    entries = count(hall, "audit_log")
    answer_next_dialog(qtbot, last_one)
    qtbot.mouseClick(screen.deactivate_button, Qt.MouseButton.LeftButton)
    assert said == ["Sam Okafor is the last active officer; add another officer before deactivating them."] * 2
    assert count(hall, "audit_log") == entries


def test_deactivate_with_no_selection_says_what_to_do(hall, make_window, qtbot):
    officers(hall)
    screen = make_window(hall).show_screen("Settings")
    screen.officers.view.setCurrentIndex(screen.officers.proxy.index(-1, -1))
    seen = answer_next_dialog(qtbot, press("OK"), kind=QMessageBox)
    qtbot.mouseClick(screen.deactivate_button, Qt.MouseButton.LeftButton)
    assert seen[0].text() == "Select the officer to deactivate first."


def test_an_officer_who_returns_is_reactivated_on_another_officers_word(hall, make_window, qtbot):
    from treasurer.officers import deactivate_officer

    officers(hall)
    deactivate_officer(hall, "Pat Morales", "Sam Okafor", "5678")
    screen = make_window(hall).show_screen("Settings")
    select_officer(screen, "Sam Okafor")
    seen = answer_next_dialog(qtbot, press("OK"), kind=QMessageBox)
    qtbot.mouseClick(screen.reactivate_button, Qt.MouseButton.LeftButton)
    assert seen[0].text() == "Sam Okafor is already active."
    select_officer(screen, "Pat Morales")
    questions = []

    def vouch(dialog):
        qtbot.keyClicks(dialog.pin, "5678")
        answer_next_dialog(qtbot, lambda box: (questions.append(box.text()), press("Reactivate")(box)),
                           kind=QMessageBox)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, vouch)
    qtbot.mouseClick(screen.reactivate_button, Qt.MouseButton.LeftButton)
    assert questions[0].startswith("Reactivate Pat Morales?") and "Sam Okafor" in questions[0]
    assert audit_tail(hall) == ("officer.reactivate", {"name": "Pat Morales", "active": True, "by": "Sam Okafor"})
    assert pin_works(hall, "Pat Morales", "1234")                  # the old PIN works again
    assert screen.officers_result.text() == "Pat Morales is active again."
