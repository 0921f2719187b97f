"""The Members screen through its widgets: the roll, filters, add, import, the member page."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from helpers import count, standard_hall
from uitools import answer_next_dialog
from treasurer.dues import assess
from treasurer.payments import record_payment


def books(hall):
    standard_hall(hall, members=4)
    for month in ("2026-08", "2026-09", "2026-10"):
        assess(hall, month)
    record_payment(hall, "1002", 13500, "cash", received_on=dt.date(2026, 10, 5))
    return hall


def test_the_roll_shows_standing_and_filters_as_you_type(hall, make_window, qtbot, monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    window = make_window(hall)
    screen = window.show_screen("Members")
    proxy = screen.table.proxy
    assert proxy.rowCount() == 4
    first = proxy.records()[0]
    assert first.number == "1001" and first.balance_cents == 13500 and first.months_in_arrears == 3
    qtbot.keyClicks(screen.search, "last1")
    assert [r.number for r in proxy.records()] == ["1002"]
    screen.search.clear()
    screen.arrears_filter.setCurrentText("3+ months behind")
    assert sorted(r.number for r in proxy.records()) == ["1001", "1003", "1004"]
    screen.arrears_filter.setCurrentIndex(0)
    screen.status_filter.setCurrentText("Suspended")
    assert proxy.rowCount() == 0


def test_ctrl_f_focuses_the_search_box(hall, make_window, qtbot):
    books(hall)
    window = make_window(hall)
    window.show_screen("Dashboard")
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    screen = window.screens["Members"]
    assert window.current_screen() is screen
    qtbot.waitUntil(lambda: screen.search.hasFocus())


def test_add_a_member_through_the_dialog(hall, make_window, qtbot):
    books(hall)
    window = make_window(hall)
    screen = window.show_screen("Members")

    def fill(dialog):
        qtbot.keyClicks(dialog.number, "2001")
        qtbot.keyClicks(dialog.last, "Morales")
        qtbot.keyClicks(dialog.email, "not-an-email")
        assert dialog.classification.currentIndex() == -1          # chosen, never guessed
        assert dialog.status.currentText() == "Active" and dialog.status.currentData() == "active"
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
        assert dialog.isVisible() and "not an email address" in dialog.error.text()
        assert "classification" in dialog.error.text()
        dialog.email.clear()
        dialog.classification.setCurrentText("Journeyman Wireman")
        qtbot.keyClicks(dialog.first, "Ana")
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, fill)
    qtbot.mouseClick(screen.add_button, Qt.MouseButton.LeftButton)
    assert "2001" in [r.number for r in screen.table.proxy.records()]
    assert count(hall, "members") == 5


def test_import_with_an_error_shows_it_by_line_and_writes_nothing(hall, make_window, qtbot, tmp_path):
    books(hall)
    window = make_window(hall)
    screen = window.show_screen("Members")
    csv = tmp_path / "roll.csv"
    csv.write_text("Member #,First Name,Last Name,Class,Email\n"
                   "3001,Ana,Lopez,Journeyman Wireman,ana@example.org\n"
                   "3002,Bo,Chen,Plumber,bo@example.org\n", encoding="utf-8")
    before = count(hall, "audit_log")
    seen = []

    def check(dialog):
        dialog.load_file(csv)
        seen.append((dialog.problems.toPlainText(), dialog.import_button.isEnabled(), dialog.model.rowCount()))
        dialog.reject()

    answer_next_dialog(qtbot, check)
    qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
    problems, enabled, rows = seen[0]
    assert "line 3, column Class: unknown classification 'Plumber'" in problems
    assert not enabled and rows == 0          # no preview of changes until every line is right
    assert count(hall, "members") == 4 and count(hall, "audit_log") == before


def test_a_good_import_is_previewed_then_written(hall, make_window, qtbot, tmp_path):
    books(hall)
    window = make_window(hall)
    screen = window.show_screen("Members")
    csv = tmp_path / "roll.csv"
    csv.write_text("Member #,Name,Class\n3001,\"Lopez, Ana\",Journeyman Wireman\n", encoding="utf-8")

    def accept(dialog):
        dialog.load_file(csv)
        assert dialog.import_button.isEnabled()
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, accept)
    qtbot.mouseClick(screen.import_button, Qt.MouseButton.LeftButton)
    assert count(hall, "members") == 5
    assert "3001" in [r.number for r in screen.table.proxy.records()]


def test_the_member_page_shows_ledger_payments_and_history(hall, make_window, qtbot, monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    window = make_window(hall)
    screen = window.show_screen("Members")
    seen = {}

    def look(page):
        seen["ledger"] = [(l.description, l.balance_cents) for l in page.ledger.model.rows]
        seen["payments"] = [p.amount_cents for p in page.payments.model.rows]
        seen["history"] = [e.action for e in page.history.model.rows]
        seen["arrears"] = page.findChild(type(page.heading), "fact-months-in-arrears").text()
        page.reject()

    answer_next_dialog(qtbot, look)
    view = screen.table.view
    index = screen.table.proxy.index(1, 0)
    view.setCurrentIndex(index)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert seen["ledger"][-1] == ("Payment R000001 cash", 0)
    assert seen["payments"] == [13500]
    assert seen["history"] == ["member.add"]
    assert seen["arrears"] == "0"


def test_sort_and_column_widths_survive_a_restart(hall, make_window, qtbot):
    books(hall)
    window = make_window(hall)
    view = window.show_screen("Members").table.view
    view.sortByColumn(5, Qt.SortOrder.DescendingOrder)
    view.setColumnWidth(1, 321)
    window.close()
    again = make_window(hall)
    view2 = again.show_screen("Members").table.view
    header = view2.horizontalHeader()
    assert header.sortIndicatorSection() == 5 and header.sortIndicatorOrder() == Qt.SortOrder.DescendingOrder
    assert view2.columnWidth(1) == 321


def test_members_model_passes_the_model_tester(hall, qtmodeltester, monkeypatch):
    from ui import queries
    from ui.filter_proxy import RecordFilterProxy
    from ui.screens.members import member_columns
    from ui.table_model import RecordTableModel

    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    model = RecordTableModel(member_columns(lambda: "usd"))
    model.set_rows(queries.member_rows(hall))
    qtmodeltester.check(model)
    proxy = RecordFilterProxy(lambda r: r.search)
    proxy.setSourceModel(model)
    proxy.set_search("first2")
    qtmodeltester.check(proxy)


def test_ctrl_n_opens_the_new_member_dialog(hall, make_window, qtbot):
    books(hall)
    window = make_window(hall)
    window.show_screen("Dashboard")
    seen = answer_next_dialog(qtbot, lambda dialog: dialog.reject())
    qtbot.keyClick(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    assert seen and seen[0].objectName() == "member-dialog"
    assert window.current_screen() is window.screens["Members"]


def test_a_reload_keeps_the_row_you_were_on(hall, make_window, qtbot):
    books(hall)
    window = make_window(hall)
    screen = window.show_screen("Members")
    view = screen.table.view
    view.setCurrentIndex(screen.table.proxy.index(2, 0))
    window.refresh()
    assert view.current_record().number == "1003"
