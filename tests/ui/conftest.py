"""Fixtures for the desktop application's tests: settings in a temp folder, windows on a real hall."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from PySide6.QtCore import QSettings

from treasurer.hall import Hall


@pytest.fixture(autouse=True)
def collect_on_the_ui_thread(qapp):
    """Python's cyclic garbage collection runs in whichever thread allocates at the time (a sandbox's or a pool
    thread here); a window collected there is destroyed off the UI thread and its live timers then fire on a
    freed object (a segfault in QTimerInfoList::activateTimers). As the app does (ui.app.collect_on_ui_thread),
    the tests collect only on the UI thread."""
    from ui.app import collect_on_ui_thread

    collector = collect_on_ui_thread(qapp)
    yield
    collector.stop()


@pytest.fixture(autouse=True)
def temp_qsettings(tmp_path, qapp):
    """Every test gets its own QSettings folder: nothing leaks between tests or into the developer's."""
    folder = tmp_path / "qsettings"
    folder.mkdir()
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder


@pytest.fixture
def app_settings(temp_qsettings):
    from ui.settings import AppSettings

    return AppSettings()


@pytest.fixture
def make_window(qtbot, app_settings) -> Callable:
    from ui.app import create_window
    from uitools import no_stripe

    def make(hall: Hall, args=None):
        window = create_window(hall, args or no_stripe(), app_settings)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        return window

    return make


