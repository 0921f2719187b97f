"""ui.app.main: opens the window on an existing hall and returns when it closes."""

from __future__ import annotations

import sys
import types

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from treasurer.hall import init_hall, open_hall


def test_main_opens_the_window_and_returns_zero(tmp_path, qapp):
    from ui.app import main
    from ui.main_window import MainWindow

    hall = open_hall(str(tmp_path / "books"), actor="tester")
    init_hall(hall, "IBEW Local 7", "usd")
    hall.close()
    seen = []

    def close_windows():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(50, close_windows)
            return
        seen.extend(w.banner.property("mode") for w in windows)
        for w in windows:
            w.close()

    saved = sys.excepthook
    QTimer.singleShot(50, close_windows)
    try:
        code = main(types.SimpleNamespace(data_dir=str(tmp_path / "books"), database_url=None))
    finally:
        sys.excepthook = saved
    assert code == 0 and seen == ["none"]        # no key in the (memory) keyring: no Stripe
