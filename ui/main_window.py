"""The main window: navigation on the left, one screen at a time, mode banner on top, status below."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from . import queries
from .chrome import ModeBanner, StatusBar, TrustBanner, trust_notices
from .context import AppContext
from .errors import guarded
from .look import icon
from .screens.base import Screen


def screen_classes() -> list[type[Screen]]:
    from .screens.audit import AuditScreen
    from .screens.dashboard import DashboardScreen
    from .screens.dues import DuesScreen
    from .screens.members import MembersScreen
    from .screens.payments import PaymentsScreen
    from .screens.reconciliation import ReconciliationScreen
    from .screens.review import ReviewScreen
    from .screens.settings_page import SettingsScreen
    from .screens.slips import SlipsScreen

    return [DashboardScreen, MembersScreen, DuesScreen, SlipsScreen, PaymentsScreen, ReviewScreen,
            ReconciliationScreen, AuditScreen, SettingsScreen]


class MainWindow(QMainWindow):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("main-window")
        self.setWindowTitle(f"Hall Treasurer — {ctx.hall.setting('hall_name')}")
        self.setWindowIcon(icon("app"))
        self.nav = QListWidget()
        self.nav.setObjectName("nav")
        self.nav.setIconSize(QSize(20, 20))
        self.nav.setFixedWidth(190)
        self.stack = QStackedWidget()
        self.screens: dict[str, Screen] = {}
        for cls in screen_classes():
            screen = cls(ctx, self)
            self.screens[cls.title] = screen
            self.stack.addWidget(screen)
            QListWidgetItem(icon(cls.icon_name), cls.title, self.nav)
            changed = getattr(screen, "changed", None)
            if changed is not None:
                changed.connect(self.refresh)
        self.nav.currentRowChanged.connect(self._show_row)
        self.screens["Members"].slips_requested.connect(
            lambda numbers: self.show_screen("Slips").create_slips(numbers))
        body = QWidget()
        row = QHBoxLayout(body)
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        row.addWidget(self.nav)
        row.addWidget(self.stack, 1)
        central = QWidget()
        column = QVBoxLayout(central)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.banner = ModeBanner(ctx.mode)
        column.addWidget(self.banner)
        self.trust_banner = TrustBanner()
        column.addWidget(self.trust_banner)
        column.addWidget(body, 1)
        self.setCentralWidget(central)
        self.status = StatusBar(self)
        self.setStatusBar(self.status)
        self._relay_refresh = QTimer(self)
        self._relay_refresh.setSingleShot(True)
        self._relay_refresh.setInterval(300)
        self._relay_refresh.timeout.connect(self.refresh)
        self._actions()
        self.set_relay(ctx.relay)
        self.refresh()
        self._restore()

    # Navigation -------------------------------------------------------------------------------------------

    def show_screen(self, title: str) -> Screen:
        self.nav.setCurrentRow(list(self.screens).index(title))
        return self.screens[title]

    def current_screen(self) -> Screen:
        widget = self.stack.currentWidget()
        assert isinstance(widget, Screen)
        return widget

    def _show_row(self, row: int) -> None:
        self.stack.setCurrentIndex(row)
        self.ctx.settings.last_page = list(self.screens)[row]

    def _actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self._action(file_menu, "Back up now…", None, lambda: self.show_screen("Settings").back_up_now())
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        edit_menu = menu.addMenu("&Edit")
        self._action(edit_menu, "&Find", QKeySequence.StandardKey.Find, self.find)
        self._action(edit_menu, "&Refresh", QKeySequence.StandardKey.Refresh, self.refresh)
        members = menu.addMenu("&Members")
        self._action(members, "&New member…", QKeySequence.StandardKey.New,
                     lambda: self.show_screen("Members").new_member(), icon_name="add")
        self._action(members, "&Import CSV…", None, lambda: self.show_screen("Members").import_csv(), "import")
        self._action(members, "&Suspend members in arrears…", None,
                     lambda: self.show_screen("Members").suspend_in_arrears())
        money = menu.addMenu("M&oney")
        self._action(money, "&Record payment…", QKeySequence("Ctrl+R"),
                     lambda: self.show_screen("Payments").record_payment(), icon_name="payments")
        self._action(money, "Create &slips…", QKeySequence("Ctrl+Shift+S"),
                     lambda: self.show_screen("Slips").create_slips(), icon_name="slips")
        self._action(money, "&Print…", QKeySequence.StandardKey.Print, self.print_current, icon_name="print")
        go = menu.addMenu("&Go")
        for i, title in enumerate(self.screens):
            self._action(go, title, QKeySequence(f"Ctrl+{i + 1}"), lambda t=title: self.show_screen(t))

    def _action(self, menu, text: str, shortcut, slot, icon_name: str | None = None) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def find(self) -> None:
        screen = self.current_screen()
        if screen.findChild(QWidget, "search") is None:
            screen = self.show_screen("Members")
        screen.focus_search()

    @guarded
    def print_current(self) -> None:
        printer = getattr(self.current_screen(), "print_current", None)
        if printer is None:
            printer = self.show_screen("Slips").print_current
        printer()

    # Data -------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Reload every screen from the database, and the status bar."""
        self.ctx.forget_cached()
        for screen in self.screens.values():
            screen.refresh()
        self.refresh_status()

    def refresh_status(self) -> None:
        self.status.show_relay(self.ctx.relay, self.ctx.hall)
        self.status.show_review_count(self.review_count())
        self.trust_banner.show_notices(trust_notices(self.ctx.hall))

    def review_count(self) -> int:
        review = self.screens.get("Review")
        count = getattr(review, "waiting_count", None)
        return count() if callable(count) else queries.pending_adjustment_count(self.ctx.hall)

    def set_relay(self, relay: Any | None) -> None:
        """Show this relay's health; its listeners refresh the window when something arrives."""
        self.ctx.relay = relay
        if relay is not None and hasattr(relay, "listeners"):
            relay.listeners.append(self._relay_changed)
        self.refresh_status()
        dashboard = self.screens.get("Dashboard")
        if dashboard is not None:
            dashboard.refresh_relay()

    def _relay_changed(self, *args) -> None:
        self.refresh_status()
        dashboard = self.screens.get("Dashboard")
        if dashboard is not None:
            dashboard.refresh_relay()
        self._relay_refresh.start()      # a burst of events reloads the books once

    # Window state -----------------------------------------------------------------------------------------

    def _restore(self) -> None:
        settings = self.ctx.settings
        if not settings.window_geometry.isEmpty():
            self.restoreGeometry(settings.window_geometry)
        else:
            self.resize(1280, 800)
        last = settings.last_page
        self.show_screen(last if last in self.screens else "Dashboard")

    def closeEvent(self, event) -> None:
        self.ctx.settings.window_geometry = self.saveGeometry()
        self.ctx.settings.sync()
        if self.ctx.relay is not None and self._relay_changed in getattr(self.ctx.relay, "listeners", []):
            self.ctx.relay.listeners.remove(self._relay_changed)
        super().closeEvent(event)
