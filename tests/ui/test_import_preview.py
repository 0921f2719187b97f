"""The window's import shows what would change for each member, field by field, before anything is written."""

from __future__ import annotations

from PySide6.QtCore import Qt

from helpers import count, standard_hall
from treasurer.member_import import import_members_text
from treasurer.members import list_members
from ui.dialogs.import_dialog import ImportDialog

HEADER = "member_number,first_name,last_name,email,phone,classification,status,join_date\n"


def test_the_preview_lists_each_change_and_import_writes_only_those(hall, make_window, qtbot, tmp_path):
    standard_hall(hall, members=0)
    import_members_text(hall, HEADER + "1001,Ann,Lee,ann@example.org,,Journeyman Wireman,active,\n")
    window = make_window(hall)
    dialog = ImportDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    path = tmp_path / "roll.csv"
    path.write_text(HEADER + "1001,,,,555-0100,,,\n1002,Bob,Ray,,,Retiree,,\n", encoding="utf-8")
    before = count(hall, "audit_log")
    dialog.load_file(path)
    shown = [(dialog.proxy.index(r, 0).data(), dialog.proxy.index(r, 2).data()) for r in range(dialog.proxy.rowCount())]
    assert shown == [("1001", "phone: (empty) -> 555-0100"), ("1002", "new member")]
    assert dialog.verdict.text().startswith("2 members in the file (1 new, 1 changed, 0 unchanged); nothing is "
                                            "written until you press Import.")
    assert count(hall, "audit_log") == before and dialog.import_button.isEnabled()
    qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)
    ann, bob = list_members(hall)
    assert (ann.email, ann.phone, bob.last_name) == ("ann@example.org", "555-0100", "Ray")


def test_problems_are_listed_and_nothing_can_be_imported(hall, make_window, qtbot):
    standard_hall(hall, members=0)
    window = make_window(hall)
    dialog = ImportDialog(window.ctx, window)
    qtbot.addWidget(dialog)
    dialog.load_text(HEADER + "1001,(clear),Lee,,,Journeyman Wireman,,\n")
    assert not dialog.import_button.isEnabled() and dialog.proxy.rowCount() == 0
    assert "line 2, column first_name: the first name cannot be cleared" in dialog.problems.toPlainText()
