"""Dashboard numbers and chart, relay health, Settings, the first-run wizard, the error hook."""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from helpers import raw, standard_hall
from treasurer import credentials
from treasurer.dues import assess
from treasurer.hall import open_hall
from treasurer.payments import record_payment
from uitools import answer_next_dialog, press


def books(hall):
    standard_hall(hall, members=3)
    for month in ("2026-08", "2026-09", "2026-10", "2026-11"):
        assess(hall, month)
    record_payment(hall, "1001", 4500, "check", "12", received_on=dt.date(2026, 11, 2))
    record_payment(hall, "1002", 4500, "cash", received_on=dt.date(2026, 11, 3))
    return hall


def test_dashboard_shows_this_months_money_arrears_and_a_year_of_bars(hall, make_window, monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    books(hall)
    screen = make_window(hall).show_screen("Dashboard")
    d = screen.data
    assert (d.expected_cents, d.collected_cents) == (13500, 9000)
    assert d.collected_by_method == {"check": 4500, "cash": 4500}
    assert screen.values["rate"].text() == "67%"
    assert screen.values["outstanding"].text() == "$450.00"
    assert [(label, n) for label, n, _ in d.arrears] == [("1 month", 0), ("2 months", 0), ("3–5 months", 3),
                                                          ("6+ months", 0)]
    series = screen.chart.series()[0]
    assert [s.label() for s in series.barSets()] == ["Expected", "Collected"]
    assert series.barSets()[0].count() == 12 and series.barSets()[1].at(11) == 90.0


@dataclasses.dataclass
class FakeStatus:
    mode: str = "cli"
    state: str = "listening"
    last_event_at: dt.datetime | None = None
    last_event_type: str | None = None
    held: int = 0
    failed: int = 0
    message: str = ""


class StubRelay:
    """Stands in for relay.service.Relay (not written yet): only its status() and listeners."""

    def __init__(self):
        self.listeners = []
        self.current = FakeStatus()

    def status(self):
        return self.current

    def announce(self, **changes):
        self.current = dataclasses.replace(self.current, **changes)
        for listener in list(self.listeners):
            listener()


def test_status_bar_and_dashboard_follow_the_relay(hall, make_window, qtbot):
    books(hall)
    window = make_window(hall)
    assert window.status.relay_label.text() == "Relay: stopped"
    relay = StubRelay()
    window.set_relay(relay)
    assert window.status.relay_label.text() == "Relay: listening via CLI"
    record_payment(hall, "1003", 4500, "cash")
    relay.announce(last_event_at=dt.datetime(2026, 11, 20, 9, 30), last_event_type="checkout.session.completed",
                   state="polling")
    assert window.status.relay_label.text() == "Relay: polling"
    assert window.status.event_label.text() == "Last event: checkout.session.completed at 2026-11-20 09:30"
    assert window.screens["Dashboard"].relay_state.text() == "Polling"
    members = window.screens["Members"].table.model
    qtbot.waitUntil(lambda: next(r for r in members.rows if r.number == "1003").standing.credited_cents == 4500)


def test_mode_banner_says_live_plainly(hall, make_window):
    import types

    books(hall)
    args = types.SimpleNamespace(stripe=types.SimpleNamespace(mode="live", api_key="rk_" + "live_abcdefgh",
                                                              api_base=None))
    window = make_window(hall, args)
    assert window.banner.text().startswith("LIVE") and window.banner.property("mode") == "live"


def test_settings_save_hall_details_and_the_key_goes_to_the_keyring_only(hall, make_window, qtbot,
                                                                         memory_keyring, temp_qsettings):
    books(hall)
    screen = make_window(hall).show_screen("Settings")
    screen.hall_name.clear()
    qtbot.keyClicks(screen.hall_name, "IBEW Local 1")
    screen.hall_address.setPlainText("2 Union Sq")
    screen.findChild(type(screen.backup_button), "save-hall").click()
    assert hall.setting("hall_name") == "IBEW Local 1" and hall.setting("hall_address") == "2 Union Sq"
    qtbot.keyClicks(screen.key, "sk_test_abcdefghijkl")
    screen.findChild(type(screen.backup_button), "store-key").click()
    assert credentials.api_key() == "sk_test_abcdefghijkl"
    assert "TEST mode secret key" in screen.key_state.text()
    stored = "".join(p.read_text() for p in temp_qsettings.rglob("*.ini"))
    assert "sk_test_abcdefghijkl" not in stored
    assert "sk_test_abcdefghijkl" not in hall.db.sqlite_path.read_bytes().decode("latin-1")


def test_back_up_now(hall, make_window, qtbot, tmp_path):
    books(hall)
    screen = make_window(hall).show_screen("Settings")
    screen.backup_folder.setText(str(tmp_path / "copies"))
    qtbot.mouseClick(screen.backup_button, Qt.MouseButton.LeftButton)
    assert "the copy opens, its audit chain checks out" in screen.backup_result.text()
    assert len(list((tmp_path / "copies").glob("treasurer-*.sqlite3"))) == 1


def test_back_up_now_refuses_books_changed_behind_the_apps_back(hall, make_window, qtbot, tmp_path):
    books(hall)
    conn = raw(hall)
    conn.execute("UPDATE members SET last_name = 'Mallory' WHERE id = 1")
    conn.commit()
    conn.close()
    screen = make_window(hall).show_screen("Settings")
    screen.backup_folder.setText(str(tmp_path / "copies"))
    said = []

    def read_and_close(box):
        said.append(box.text())
        box.accept()

    answer_next_dialog(qtbot, read_and_close, timeout_ms=30_000, kind=QMessageBox)
    qtbot.mouseClick(screen.backup_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(said), timeout=10_000)
    assert said[0].startswith("No backup was kept: the books do not verify: members row 1: last_name is "
                              "\"Mallory\", the log has "), said[0]
    assert not list((tmp_path / "copies").glob("treasurer-*"))      # no copy kept, not even a partial one


def test_first_run_wizard_starts_the_books_with_demo_data(tmp_path, qtbot, app_settings, monkeypatch):
    from ui.wizard import FirstRunWizard

    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")
    hall = open_hall(str(tmp_path / "new"), actor="tester")
    assert not hall.initialised
    wizard = FirstRunWizard(hall, app_settings)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.keyClicks(wizard.hall_page.name, "IBEW Local 42")
    wizard.hall_page.address.setPlainText("42 Main St")
    wizard.next()
    wizard.stripe_page.later.setChecked(True)
    wizard.next()
    wizard.books_page.demo.setChecked(True)
    wizard.books_page.members.setValue(25)
    wizard.accept()
    assert hall.initialised and hall.setting("hall_address") == "42 Main St"
    from ui import queries
    assert len(queries.member_rows(hall)) == 25
    hall.close()


def test_an_unexpected_error_shows_a_sentence_and_logs_the_traceback(hall, qtbot, tmp_path):
    from ui.errors import install_excepthook

    saved = sys.excepthook
    install_excepthook(tmp_path)
    try:
        seen = answer_next_dialog(qtbot, press("OK"), kind=QMessageBox)
        try:
            raise ZeroDivisionError("boom")
        except ZeroDivisionError:
            sys.excepthook(*sys.exc_info())
    finally:
        sys.excepthook = saved
    assert "did not expect (ZeroDivisionError)" in seen[0].text() and "Traceback" not in seen[0].text()
    assert "ZeroDivisionError: boom" in (tmp_path / "logs" / "treasurer-errors.log").read_text()
