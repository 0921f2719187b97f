"""Officers in Settings: the list, adding one, changing a PIN, deactivating one who left."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from helpers import PAT_PIN, SAM_PIN, LEE_PIN, count, officers, pin_works, raw
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


def test_add_an_officer_with_a_pin_typed_twice_and_two_officers_vouching(hall, make_window, qtbot):
    officers(hall)
    screen = make_window(hall).show_screen("Settings")
    errors = []

    def add(dialog):
        qtbot.keyClicks(dialog.name, "Lee Chan")
        dialog.role.setCurrentIndex(dialog.role.findData("trustee"))
        qtbot.keyClicks(dialog.pin, "432100")
        qtbot.keyClicks(dialog.pin_again, "432199")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        errors.append(dialog.error.text())
        dialog.pin_again.clear()
        qtbot.keyClicks(dialog.pin_again, "432100")
        # Dual control: two rows, two different officers.
        assert dialog.voucher_pin.echoMode() == dialog.voucher_pin.EchoMode.Password
        dialog.voucher.setCurrentIndex(dialog.voucher.findText("Pat Morales"))
        dialog.second_voucher.setCurrentIndex(dialog.second_voucher.findText("Pat Morales"))
        qtbot.keyClicks(dialog.voucher_pin, PAT_PIN)
        qtbot.keyClicks(dialog.second_voucher_pin, PAT_PIN)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        errors.append(dialog.error.text())
        dialog.second_voucher.setCurrentIndex(dialog.second_voucher.findText("Sam Okafor"))
        dialog.second_voucher_pin.clear()
        qtbot.keyClicks(dialog.second_voucher_pin, "000000")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        errors.append(dialog.error.text())
        errors.append(count(hall, "officers"))
        dialog.second_voucher_pin.clear()
        qtbot.keyClicks(dialog.second_voucher_pin, SAM_PIN)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, add)
    qtbot.mouseClick(screen.add_officer_button, Qt.MouseButton.LeftButton)
    assert errors == ["The two PINs are not the same; type the PIN again in both boxes.",
                      "The officers who vouch for adding Lee Chan must be different people; nothing was saved.",
                      "The PIN for Sam Okafor is not right.", 2]
    assert ("Lee Chan", "trustee", True) in [(r.name, r.role, r.active) for r in screen.officers.model.rows]
    assert pin_works(hall, "Lee Chan", "432100")
    assert audit_tail(hall) == ("officer.add", {"name": "Lee Chan", "role": "trustee",
                                                "vouched_by": ["Pat Morales", "Sam Okafor"]})
    assert screen.officers_result.text() == "Added Lee Chan."


def test_with_one_officer_that_one_vouches(hall, make_window, qtbot):
    from treasurer.officers import add_officer

    add_officer(hall, "Pat Morales", "treasurer", PAT_PIN)
    screen = make_window(hall).show_screen("Settings")
    rows = []

    def add(dialog):
        rows.append(len(dialog.vouchers))
        qtbot.keyClicks(dialog.name, "Sam Okafor")
        qtbot.keyClicks(dialog.pin, SAM_PIN)
        qtbot.keyClicks(dialog.pin_again, SAM_PIN)
        qtbot.keyClicks(dialog.voucher_pin, PAT_PIN)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, add)
    qtbot.mouseClick(screen.add_officer_button, Qt.MouseButton.LeftButton)
    assert rows == [1] and pin_works(hall, "Sam Okafor", SAM_PIN)


def test_change_a_pin_with_the_old_one_or_two_other_officers(hall, make_window, qtbot):
    from treasurer.officers import add_officer

    officers(hall)
    screen = make_window(hall).show_screen("Settings")
    select_officer(screen, "Pat Morales")
    errors = []

    def with_old_pin(dialog):
        assert not dialog.form.isRowVisible(dialog.vouchers[0].pin) and dialog.form.isRowVisible(dialog.old_pin)
        qtbot.keyClicks(dialog.old_pin, "111111")
        qtbot.keyClicks(dialog.new_pin, "246800")
        qtbot.keyClicks(dialog.new_pin_again, "246800")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        errors.append(dialog.error.text())
        dialog.old_pin.clear()
        qtbot.keyClicks(dialog.old_pin, PAT_PIN)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, with_old_pin)
    qtbot.mouseClick(screen.change_pin_button, Qt.MouseButton.LeftButton)
    assert errors == ["The old PIN for Pat Morales is not right."]
    assert pin_works(hall, "Pat Morales", "246800") and not pin_works(hall, "Pat Morales", PAT_PIN)
    assert audit_tail(hall) == ("officer.pin_change", {"name": "Pat Morales", "vouched_by": "Pat Morales"})

    said = []

    def sam_alone(dialog):                     # only Sam besides Pat: Sam alone cannot reset Pat's PIN
        dialog.way.setCurrentIndex(dialog.way.findData("reset"))
        qtbot.keyClicks(dialog.vouchers[0].pin, SAM_PIN)
        qtbot.keyClicks(dialog.vouchers[1].pin, SAM_PIN)
        qtbot.keyClicks(dialog.new_pin, "135790")
        qtbot.keyClicks(dialog.new_pin_again, "135790")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
        said.append(dialog.error.text())
        dialog.reject()

    answer_next_dialog(qtbot, sam_alone)
    qtbot.mouseClick(screen.change_pin_button, Qt.MouseButton.LeftButton)
    assert "Sam Okafor alone cannot reset Pat Morales's PIN" in said[0]
    assert pin_works(hall, "Pat Morales", "246800")

    add_officer(hall, "Lee Chen", "trustee", LEE_PIN, vouchers=[("Pat Morales", "246800"), ("Sam Okafor", SAM_PIN)])

    def forgotten(dialog):
        dialog.way.setCurrentIndex(dialog.way.findData("reset"))
        assert dialog.form.isRowVisible(dialog.vouchers[1].pin) and not dialog.form.isRowVisible(dialog.old_pin)
        dialog.vouchers[0].officer.setCurrentText("Sam Okafor")
        dialog.vouchers[1].officer.setCurrentText("Lee Chen")
        qtbot.keyClicks(dialog.vouchers[0].pin, SAM_PIN)
        qtbot.keyClicks(dialog.vouchers[1].pin, LEE_PIN)
        qtbot.keyClicks(dialog.new_pin, "135790")
        qtbot.keyClicks(dialog.new_pin_again, "135790")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    screen.refresh_officers()
    select_officer(screen, "Pat Morales")
    answer_next_dialog(qtbot, forgotten)
    qtbot.mouseClick(screen.change_pin_button, Qt.MouseButton.LeftButton)
    assert pin_works(hall, "Pat Morales", "135790")
    assert audit_tail(hall) == ("officer.pin_change", {"name": "Pat Morales", "vouched_by": ["Sam Okafor", "Lee Chen"]})
    assert screen.officers_result.text() == "The PIN for Pat Morales is changed."


def test_deactivate_asks_then_the_officer_can_no_longer_vouch(hall, make_window, qtbot):
    officers(hall)
    window = make_window(hall)
    screen = window.show_screen("Settings")
    select_officer(screen, "Pat Morales")
    questions, declined = [], []

    def decline_first(dialog):
        qtbot.keyClicks(dialog.pin, SAM_PIN)
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
    assert audit_tail(hall) == ("officer.deactivate", {"name": "Pat Morales", "active": False, "by": "Sam Okafor",
                                                       "dual_control": False})
    assert "Dual control is not in force" in screen.officers_result.text()
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
    deactivate_officer(hall, "Pat Morales", "Sam Okafor", SAM_PIN)
    screen = make_window(hall).show_screen("Settings")
    select_officer(screen, "Sam Okafor")
    seen = answer_next_dialog(qtbot, press("OK"), kind=QMessageBox)
    qtbot.mouseClick(screen.reactivate_button, Qt.MouseButton.LeftButton)
    assert seen[0].text() == "Sam Okafor is already active."
    select_officer(screen, "Pat Morales")
    questions = []

    def vouch(dialog):
        qtbot.keyClicks(dialog.pin, SAM_PIN)
        answer_next_dialog(qtbot, lambda box: (questions.append(box.text()), press("Reactivate")(box)),
                           kind=QMessageBox)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, vouch)
    qtbot.mouseClick(screen.reactivate_button, Qt.MouseButton.LeftButton)
    assert questions[0].startswith("Reactivate Pat Morales?") and "Sam Okafor" in questions[0]
    assert audit_tail(hall) == ("officer.reactivate", {"name": "Pat Morales", "active": True, "by": "Sam Okafor"})
    assert pin_works(hall, "Pat Morales", PAT_PIN)                 # the old PIN works again
    assert screen.officers_result.text() == "Pat Morales is active again."


def test_reactivating_while_dual_control_is_in_force_takes_two_and_may_give_a_new_pin(hall, make_window, qtbot):
    from treasurer.officers import add_officer, deactivate_officer

    officers(hall)
    add_officer(hall, "Lee Chen", "trustee", LEE_PIN, vouchers=[("Pat Morales", PAT_PIN), ("Sam Okafor", SAM_PIN)])
    deactivate_officer(hall, "Lee Chen", "Pat Morales", PAT_PIN)
    screen = make_window(hall).show_screen("Settings")
    select_officer(screen, "Lee Chen")
    errors = []

    def vouch(dialog):
        assert len(dialog.vouchers) == 2
        dialog.voucher.setCurrentText("Pat Morales")
        dialog.second_voucher.setCurrentText("Sam Okafor")
        qtbot.keyClicks(dialog.pin, PAT_PIN)
        qtbot.keyClicks(dialog.second_pin, "000000")
        qtbot.keyClicks(dialog.new_pin, "975310")
        qtbot.keyClicks(dialog.new_pin_again, "975310")
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)      # a wrong PIN: no question asked
        errors.append(dialog.error.text())
        dialog.second_pin.clear()
        qtbot.keyClicks(dialog.second_pin, SAM_PIN)
        answer_next_dialog(qtbot, press("Reactivate"), kind=QMessageBox)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, vouch)
    qtbot.mouseClick(screen.reactivate_button, Qt.MouseButton.LeftButton)
    assert errors == ["The PIN for Sam Okafor is not right."]
    assert audit_tail(hall) == ("officer.reactivate", {"name": "Lee Chen", "active": True,
                                                       "by": ["Pat Morales", "Sam Okafor"], "new_pin": True})
    assert pin_works(hall, "Lee Chen", "975310")
