"""The Slips screen: create links in the background (cancellable), save a PDF whose QR codes decode, void."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFileDialog, QMessageBox, QProgressDialog

from helpers import standard_hall
from test_slip_pdf import decode_pages
from treasurer.dues import assess
from treasurer.slips import list_slips
from uitools import answer_next_dialog, press, sandbox_args


def books(hall, members=4):
    standard_hall(hall, members=members)
    assess(hall, "2026-10")
    return hall


def create_all(qtbot, screen, period="2026-10"):
    def choose(dialog):
        dialog.period.setCurrentText(period)
        dialog.who_all.setChecked(True)
        assert dialog.create_button.isEnabled(), dialog.plan.text()
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, choose)
    qtbot.mouseClick(screen.create_button, Qt.MouseButton.LeftButton)


def test_create_slips_then_save_them_as_a_pdf_whose_codes_decode(hall, make_window, qtbot, sandbox_url, tmp_path):
    books(hall)
    window = make_window(hall, sandbox_args(sandbox_url))
    assert window.banner.text().startswith("SANDBOX")
    screen = window.show_screen("Slips")
    create_all(qtbot, screen)
    assert "4 new payment links, 0 reused" in screen.result_label.text()
    assert screen.table.proxy.rowCount() == 4 and all(r.url for r in screen.table.proxy.records())

    out = tmp_path / "out" / "slips.pdf"
    out.parent.mkdir()

    def save_as(dialog):
        assert isinstance(dialog, QFileDialog)
        dialog.selectFile(str(out))
        dialog.accept()

    screen.layout_choice.setCurrentIndex(1)          # three per page
    answer_next_dialog(qtbot, save_as)
    qtbot.mouseClick(screen.pdf_button, Qt.MouseButton.LeftButton)
    assert "on 2 pages" in screen.result_label.text()
    urls = [s.url for s in sorted(list_slips(hall, "open"), key=lambda s: s.member.member_number)]
    assert decode_pages(out, tmp_path) == [sorted(urls[:3]), [urls[3]]]


def test_creating_again_reuses_every_link(hall, make_window, qtbot, sandbox_url):
    books(hall)
    screen = make_window(hall, sandbox_args(sandbox_url)).show_screen("Slips")
    create_all(qtbot, screen)
    create_all(qtbot, screen)
    assert "0 new payment links, 4 reused" in screen.result_label.text()
    assert len(list_slips(hall)) == 4


def test_cancelling_stops_between_members_and_a_rerun_finishes(hall, make_window, qtbot, sandbox_url):
    books(hall, members=40)
    screen = make_window(hall, sandbox_args(sandbox_url)).show_screen("Slips")

    def cancel_once_started(progress):
        if progress.value() >= 2:
            press("Cancel")(progress)
        else:
            QTimer.singleShot(2, lambda: cancel_once_started(progress))

    def choose_then_cancel(dialog):
        dialog.who_all.setChecked(True)
        answer_next_dialog(qtbot, cancel_once_started, kind=QProgressDialog)
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, choose_then_cancel)
    qtbot.mouseClick(screen.create_button, Qt.MouseButton.LeftButton)
    made = list_slips(hall)
    assert screen.result_label.text().startswith("Stopped:")
    assert 0 < len(made) < 40 and all(s.url for s in made)       # every slip written has its link
    create_all(qtbot, screen)
    assert len(list_slips(hall)) == 40 and all(s.url for s in list_slips(hall))


def test_void_asks_first_and_switches_the_link_off(hall, make_window, qtbot, sandbox_url, gateway):
    books(hall)
    screen = make_window(hall, sandbox_args(sandbox_url)).show_screen("Slips")
    create_all(qtbot, screen)
    screen.table.view.selectRow(0)
    first = screen.table.view.selected_records()[0]
    answer_next_dialog(qtbot, press("Cancel"), kind=QMessageBox)
    qtbot.mouseClick(screen.void_button, Qt.MouseButton.LeftButton)
    assert {s.status for s in list_slips(hall)} == {"open"}
    screen.table.view.selectRow(0)
    answer_next_dialog(qtbot, press("Void"), kind=QMessageBox)
    qtbot.mouseClick(screen.void_button, Qt.MouseButton.LeftButton)
    assert next(s for s in list_slips(hall) if s.id == first.id).status == "void"
    assert gateway.retrieve_payment_link(first.link_id)["active"] is False


def test_without_stripe_creating_slips_explains_what_is_needed(hall, make_window, qtbot):
    books(hall)
    screen = make_window(hall).show_screen("Slips")
    seen = answer_next_dialog(qtbot, press("OK"), kind=QMessageBox)
    qtbot.mouseClick(screen.create_button, Qt.MouseButton.LeftButton)
    assert "store a Stripe key in Settings" in seen[0].text()


def test_slip_model_passes_the_model_tester(hall, qtmodeltester, sandbox_url, gateway):
    from treasurer.slips import create_slips
    from ui import queries
    from ui.screens.slips import slip_columns
    from ui.table_model import RecordTableModel

    books(hall)
    create_slips(hall, gateway, "2026-10")
    model = RecordTableModel(slip_columns(lambda: "usd"))
    model.set_rows(queries.slip_rows(hall))
    qtmodeltester.check(model)


def test_print_through_the_print_dialog(hall, make_window, qtbot, sandbox_url, tmp_path):
    from PySide6.QtPrintSupport import QPrintDialog
    from PySide6.QtWidgets import QComboBox, QLineEdit

    books(hall)
    screen = make_window(hall, sandbox_args(sandbox_url)).show_screen("Slips")
    create_all(qtbot, screen)
    out = tmp_path / "printed.pdf"

    def to_file(dialog):
        # Qt's own print dialog (no native one offscreen): choose "Print to File (PDF)" and a file name.
        printers = dialog.findChild(QComboBox, "printers")
        printers.setCurrentIndex(printers.findText("Print to File (PDF)"))
        dialog.findChild(QLineEdit, "filename").setText(str(out))
        dialog.accept()

    answer_next_dialog(qtbot, to_file, kind=QPrintDialog)
    qtbot.mouseClick(screen.print_button, Qt.MouseButton.LeftButton)
    assert screen.result_label.text() == "Printed 4 pages."
    urls = sorted(s.url for s in list_slips(hall, "open"))
    assert sorted(u for page in decode_pages(out, tmp_path) for u in page) == urls


def test_slips_for_the_members_selected_on_the_members_screen(hall, make_window, qtbot, sandbox_url):
    from PySide6.QtCore import QItemSelectionModel

    books(hall)
    window = make_window(hall, sandbox_args(sandbox_url))
    members = window.show_screen("Members")
    view = members.table.view
    for row in (1, 3):
        view.selectionModel().select(members.table.proxy.index(row, 0),
                                     QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows)
    chosen = []

    def check(dialog):
        chosen.append((dialog.who_some.isChecked(), dialog.numbers.text()))
        qtbot.mouseClick(dialog.create_button, Qt.MouseButton.LeftButton)

    answer_next_dialog(qtbot, check)
    qtbot.mouseClick(members.slips_button, Qt.MouseButton.LeftButton)
    assert chosen == [(True, "1002, 1004")]
    assert window.current_screen() is window.screens["Slips"]
    assert sorted(s.member.member_number for s in list_slips(hall)) == ["1002", "1004"]
