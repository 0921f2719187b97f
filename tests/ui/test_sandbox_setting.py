"""Settings' sandbox box counts at start-up: with a key stored and the box ticked, ``treasurer gui`` practises."""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtWidgets import QApplication

from treasurer import credentials
from treasurer.mail_settings import CATCHER_ENV
from treasurer.cli import main as cli_main
from uitools import SANDBOX_KEY


def start_gui_and_read_the_banner(hall) -> list[tuple[str, str]]:
    """``treasurer --data-dir D gui`` in this process; the window is closed as soon as it shows."""
    from ui.main_window import MainWindow

    seen: list[tuple[str, str]] = []
    before = set(QApplication.topLevelWidgets())      # only the window the command opens

    def close_windows():
        windows = [w for w in QApplication.topLevelWidgets()
                   if isinstance(w, MainWindow) and w.isVisible() and w not in before]
        if not windows:
            QTimer.singleShot(50, close_windows)
            return
        seen.extend((w.banner.property("mode"), w.banner.text()) for w in windows)
        for w in windows:
            w.close()

    saved_hook, app = sys.excepthook, QApplication.instance()
    QTimer.singleShot(50, close_windows)
    try:
        code = cli_main(["--data-dir", str(hall.data_path), "gui"])
    finally:
        sys.excepthook = saved_hook
        app.setQuitOnLastWindowClosed(True)
    assert code == 0
    # Sandbox mode's mail catcher went with the window: this process's later sends are not caught.
    assert CATCHER_ENV not in os.environ
    return seen


def a_key_is_stored(app_settings, monkeypatch, sandbox_url) -> None:
    credentials.store(credentials.SECRET_KEY, SANDBOX_KEY)         # a test-mode key in the (memory) keyring
    # Should the key be used, it talks to the test sandbox, never to Stripe.
    monkeypatch.setenv("TREASURER_STRIPE_API_BASE", sandbox_url)
    app_settings.relay_mode = "webhook"                              # no Stripe CLI needed
    app_settings.relay_port = 0


def tick_the_box_in_settings(hall, make_window, qtbot, tick: bool) -> None:
    window = make_window(hall)
    box = window.show_screen("Settings").sandbox
    if box.isChecked() != tick:
        # On the box itself: the row is as wide as the form, its middle is past the label.
        qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))
    assert box.isChecked() is tick
    window.close()


def test_ticked_with_a_key_stored_starts_in_the_sandbox(hall, make_window, qtbot, app_settings, monkeypatch,
                                                        sandbox_url):
    a_key_is_stored(app_settings, monkeypatch, sandbox_url)
    tick_the_box_in_settings(hall, make_window, qtbot, tick=True)
    assert app_settings.sandbox is True
    [(mode, text)] = start_gui_and_read_the_banner(hall)
    assert mode == "sandbox" and text.startswith("SANDBOX")


def test_unticked_with_a_key_stored_uses_the_key(hall, make_window, qtbot, app_settings, monkeypatch, sandbox_url):
    a_key_is_stored(app_settings, monkeypatch, sandbox_url)
    app_settings.sandbox = True                   # chosen earlier (say in the first-run wizard), now unticked
    tick_the_box_in_settings(hall, make_window, qtbot, tick=False)
    assert app_settings.sandbox is False
    [(mode, text)] = start_gui_and_read_the_banner(hall)
    assert mode == "test" and text.startswith("TEST MODE")


def test_opening_settings_saves_no_choice_and_a_key_is_used_by_default(hall, make_window, app_settings,
                                                                        monkeypatch, sandbox_url):
    a_key_is_stored(app_settings, monkeypatch, sandbox_url)
    window = make_window(hall)
    window.show_screen("Settings")
    window.close()
    assert "stripe/use_sandbox" not in app_settings.store.allKeys()
    [(mode, _)] = start_gui_and_read_the_banner(hall)
    assert mode == "test"


def test_saving_a_key_with_the_box_ticked_says_the_sandbox_is_still_used(hall, make_window, qtbot, app_settings):
    app_settings.sandbox = True
    screen = make_window(hall).show_screen("Settings")
    qtbot.keyClicks(screen.key, SANDBOX_KEY)
    screen.store_key()
    assert credentials.api_key() == SANDBOX_KEY
    assert "the next start still uses the offline sandbox: untick it" in screen.key_state.text()
