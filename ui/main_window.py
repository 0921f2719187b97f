"""The main window: navigation on the left, one screen at a time, mode banner on top, status below."""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator, Mapping
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
from shiboken6 import isValid

from . import changes as book_changes
from . import queries
from .chrome import ModeBanner, StatusBar, TrustBanner, trust_notices
from .context import AppContext
from .errors import guarded
from .look import icon
from .screens.base import Screen

# The screens in the navigation's order: (title, icon, module under ui.screens, class).  A screen's module is
# imported when the screen is first shown, so start-up loads only the Dashboard's.
SCREENS = (
    ("Dashboard", "dashboard", "dashboard", "DashboardScreen"),
    ("Members", "members", "members", "MembersScreen"),
    ("Dues", "dues", "dues", "DuesScreen"),
    ("Slips", "slips", "slips", "SlipsScreen"),
    ("Payments", "payments", "payments", "PaymentsScreen"),
    ("Review", "review", "review", "ReviewScreen"),
    ("Reconciliation", "reconciliation", "reconciliation", "ReconciliationScreen"),
    ("Audit", "audit", "audit", "AuditScreen"),
    ("Settings", "settings", "settings_page", "SettingsScreen"),
)


def screen_class(title: str) -> type[Screen]:
    for name, _, module, cls in SCREENS:
        if name == title:
            return getattr(importlib.import_module(f"ui.screens.{module}"), cls)
    raise KeyError(title)


def screen_classes() -> list[type[Screen]]:
    return [screen_class(title) for title, *_ in SCREENS]


class Screens(Mapping):
    """The window's screens by title, built and loaded the first time anyone asks for one."""

    def __init__(self, window: MainWindow):
        self._window = window

    def __getitem__(self, title: str) -> Screen:
        if title not in self._window.classes:
            raise KeyError(title)
        return self._window.screen(title)

    def __iter__(self) -> Iterator[str]:
        return iter(self._window.classes)

    def __len__(self) -> int:
        return len(self._window.classes)

    def __contains__(self, title: object) -> bool:
        return title in self._window.classes        # without building it


class MainWindow(QMainWindow):
    """Screens are built when first shown and loaded then; later changes reach them row by row.

    After a write in this window (``refresh``) the screen on show reloads and the others reload when next
    shown.  After relay events the audit log says which payments and members changed (``ui.changes``): the
    screens that can follow rows fetch those off the UI thread and update them in place; the others reload
    when next shown, or at once, in the background where they can, when they are on show.
    """

    RELAY_DELAY_MS = 250        # a burst of events is gathered this long, then followed once
    ROLL_AFTER_MS = 500         # the member roll is read ahead this long after start-up

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, preloaded: dict[str, Any] | None = None):
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
        self.classes: dict[str, str] = {title: icon_name for title, icon_name, *_ in SCREENS}   # title: icon
        self.screens = Screens(self)
        self._built: dict[str, Screen] = {}
        self._stale: set[str] = set()
        self._preloaded = dict(preloaded or {})       # title -> a future of the screen's first data
        self._seq = book_changes.head(ctx.hall)       # the audit entry the loaded screens reflect
        self._following = False                       # a relay follow-up is running in the background
        self._follow_again = False
        self._closed = False
        self._generation = 0                          # counts refreshes after writes
        self._last_reload = 0.0
        for title, icon_name in self.classes.items():
            self.stack.addWidget(QWidget())           # a placeholder until the screen is first shown
            QListWidgetItem(icon(icon_name), title, self.nav)
        self.nav.currentRowChanged.connect(self._show_row)
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
        self._relay_refresh.setInterval(self.RELAY_DELAY_MS)
        self._relay_refresh.timeout.connect(self.follow_changes)
        self._actions()
        self.set_relay(ctx.relay)
        self._restore()
        self._preloaded.clear()          # read for the first screen only: later they would be out of date

    def read_roll_ahead(self) -> None:
        """Read the member roll in the background once the window is up, so Members opens at once."""
        if "Members" in self._built:
            return
        from .workers import run_in_background

        hall, generation = self.ctx.hall, self.ctx.roll_generation

        def keep(rows, error) -> None:
            if error is None and isValid(self) and not self._closed:
                self.ctx.keep_member_rows(rows, generation)

        def start() -> None:
            if isValid(self) and not self._closed and "Members" not in self._built:
                run_in_background(lambda: queries.member_rows(hall), keep)

        QTimer.singleShot(self.ROLL_AFTER_MS, start)     # once the window has painted: it comes first

    # Navigation -------------------------------------------------------------------------------------------

    def show_screen(self, title: str) -> Screen:
        self.nav.setCurrentRow(list(self.classes).index(title))
        return self.screen(title)

    def current_screen(self) -> Screen:
        widget = self.stack.currentWidget()
        assert isinstance(widget, Screen)
        return widget

    def screen(self, title: str) -> Screen:
        """The screen called ``title``, built and loaded (reloaded if the books changed since) first if need be."""
        screen = self._built.get(title)
        if screen is None:
            screen = self._build(title)
            self._stale.add(title)
        if title in self._stale:
            self._stale.discard(title)
            self._load(title, screen)
        return screen

    def _build(self, title: str) -> Screen:
        index = list(self.classes).index(title)
        screen = screen_class(title)(self.ctx, self)
        self._built[title] = screen
        placeholder = self.stack.widget(index)
        current = self.stack.currentIndex()
        self.stack.insertWidget(index, screen)
        self.stack.removeWidget(placeholder)
        placeholder.deleteLater()
        if current == index:
            self.stack.setCurrentIndex(index)
        changed = getattr(screen, "changed", None)
        if changed is not None:
            changed.connect(self.refresh)
        if title == "Members":
            screen.slips_requested.connect(lambda numbers: self.show_screen("Slips").create_slips(numbers))
        if title == "Dashboard":
            screen.refresh_relay()
        return screen

    def _load(self, title: str, screen: Screen) -> None:
        future = self._preloaded.pop(title, None)
        show = getattr(screen, "show_data", None)
        if future is not None and show is not None and future.exception() is None:
            show(future.result())      # read while the window was being built
        else:
            screen.refresh()           # (an early read that failed is read again here, where errors show)

    def _show_row(self, row: int) -> None:
        if row < 0:
            return
        title = list(self.classes)[row]
        self.screen(title)
        self.stack.setCurrentIndex(row)
        self.ctx.settings.last_page = title

    def _actions(self) -> None:
        menu = self.menuBar()
        file_menu = menu.addMenu("&File")
        self._action(file_menu, "Back up now…", None, lambda: self.show_screen("Settings").back_up_now())
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close)
        edit_menu = menu.addMenu("&Edit")
        self._action(edit_menu, "&Find", QKeySequence.StandardKey.Find, self.find)
        self._action(edit_menu, "&Refresh", QKeySequence.StandardKey.Refresh, self.reload)
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
        """After a write in this window: every screen built so far shows the books as they are now.

        The audit log says what the write changed: screens that follow rows update those rows, the others
        reload.  Nothing in the log (a key in the keyring, a setting of this computer): they all reload.
        """
        self._generation += 1                      # follow-ups running in the background are out of date
        found = book_changes.changes_since(self.ctx.hall, self._seq)
        if found.empty:
            self.reload()
            return
        followers = {} if found.everything else self._followers()
        shows = {title: follow(found) for title, follow in followers.items()}
        self._take(found, set(shows), reload_now=True)
        for title, show in shows.items():
            self._show_followed(title, show)
        self.refresh_status()

    def reload(self) -> None:
        """Every screen built so far read again from the books (Edit > Refresh)."""
        self._generation += 1
        self._seq = book_changes.head(self.ctx.hall)
        self.ctx.forget_cached()
        self._stale.update(self._built)
        for title in list(self._built):
            self.screen(title)
        self.refresh_status()

    def follow_changes(self) -> None:
        """Bring the screens up to date with what was written since they loaded (relay events, another relay).

        In pool threads: reading what changed, then each screen's changed rows, each on its own (the Members
        rows do not wait for the Dashboard's figures).  Here, on the UI thread: only putting them on show.
        One follow-up at a time; events arriving meanwhile start another after it.
        """
        if self._following:
            self._follow_again = True
            return
        self._following = True
        self._follow_again = False
        hall, since, generation = self.ctx.hall, self._seq, self._generation
        followers = self._followers()
        pending: set[str] = set()

        def finished() -> None:
            self._following = False
            if self._follow_again:
                self._relay_refresh.start()

        def shown(title: str, show, error) -> None:
            pending.discard(title)
            if not isValid(self) or self._closed:
                return
            if generation != self._generation:
                self._follow_again = True            # a write's refresh came first: read again from there
            elif error is not None:
                self._stale.add(title)               # could not follow: it reloads
            else:
                self._show_followed(title, show)
            if not pending:
                finished()

        def read(found, error) -> None:
            if not isValid(self) or self._closed:
                return                               # the window closed meanwhile
            if generation != self._generation:
                self._follow_again = True
                finished()
                return
            if error is not None or found is None:
                self._following = False
                self.reload()                        # could not read the log: read everything again
                return
            if found.empty or found.everything:
                self._take(found, set(), reload_now=False)
                finished()
                return
            self._take(found, set(followers), reload_now=False)
            if not followers:
                finished()
                return
            pending.update(followers)
            for title, follow in followers.items():
                run_in_background(lambda follow=follow: follow(found),
                                  lambda show, error, title=title: shown(title, show, error))

        from .workers import run_in_background

        run_in_background(lambda: book_changes.changes_since(hall, since), read)

    def _followers(self) -> dict[str, Any]:
        """What reads the changed rows for each screen that can follow them (called in a pool thread)."""
        followers = {title: screen.follow for title, screen in self._built.items()
                     if callable(getattr(screen, "follow", None)) and title not in self._stale}
        ctx, hall = self.ctx, self.ctx.hall
        if "Members" not in followers and ctx.has_member_rows:      # the roll read ahead: kept current too
            def roll(found: book_changes.Changes):
                rows = queries.member_rows(hall, member_ids=found.member_ids) if found.member_ids else []
                return lambda: ctx.update_member_rows(rows)
            followers["(roll)"] = roll
        if "Review" not in self._built:
            def review(found: book_changes.Changes):
                waiting = queries.pending_review_count(hall)
                return lambda: self.status.show_review_count(waiting)
            followers["(review count)"] = review
        return followers

    def _show_followed(self, title: str, show: Any) -> None:
        if show is not None and (title.startswith("(") or (title in self._built and title not in self._stale)):
            show()                                   # the rows that changed, in place

    def _take(self, found: book_changes.Changes, followed: set[str], reload_now: bool) -> None:
        """What changed, short of the rows the followers bring: the log read so far, the kept roll, the
        screens that must reload (now, or when shown; the one on show at once)."""
        self._seq = max(self._seq, found.seq)
        if found.empty:
            pass
        elif found.everything or ("Members" in followed and "(roll)" not in followed):
            self.ctx.forget_cached()
        for title in self._built:
            if title not in followed and not found.empty and (
                    found.everything or not callable(getattr(self._built[title], "follow", None))):
                self._stale.add(title)
        if reload_now:
            for title in [t for t in self._built if t in self._stale]:
                self.screen(title)
        else:
            current = self.stack.currentIndex()
            title = list(self.classes)[current] if 0 <= current < len(self.classes) else None
            if title in self._stale and title in self._built:
                self._reload_on_show(title)
        if found.everything or ("Review" in self._built and "Review" in self._stale):
            self.status.show_review_count(self.review_count())

    def _reload_on_show(self, title: str) -> None:
        """The screen on show cannot follow rows: it reloads, at most once a second during a burst."""
        now = time.monotonic()
        if now - self._last_reload < 1.0:
            self._follow_again = True
            return
        self._last_reload = now
        self.screen(title)

    def refresh_status(self) -> None:
        self.status.show_relay(self.ctx.relay, self.ctx.hall)
        self.status.show_review_count(self.review_count())
        self.trust_banner.show_notices(trust_notices(self.ctx.hall))

    def review_count(self) -> int:
        review = self._built.get("Review")
        count = getattr(review, "waiting_count", None)
        if callable(count) and "Review" not in self._stale:
            return count()
        return queries.pending_review_count(self.ctx.hall)

    def set_relay(self, relay: Any | None) -> None:
        """Show this relay's health; its listeners bring the window up to date when something arrives."""
        self.ctx.relay = relay
        if relay is not None and hasattr(relay, "listeners"):
            relay.listeners.append(self._relay_changed)
        self.refresh_status()
        dashboard = self._built.get("Dashboard")
        if dashboard is not None:
            dashboard.refresh_relay()

    def _relay_changed(self, *args) -> None:
        self.status.show_relay(self.ctx.relay, self.ctx.hall)
        dashboard = self._built.get("Dashboard")
        if dashboard is not None:
            dashboard.refresh_relay()
        if not self._relay_refresh.isActive():
            self._relay_refresh.start()      # a burst of events is followed once, at most RELAY_DELAY_MS late

    # Window state -----------------------------------------------------------------------------------------

    def _restore(self) -> None:
        settings = self.ctx.settings
        if not settings.window_geometry.isEmpty():
            self.restoreGeometry(settings.window_geometry)
        else:
            self.resize(1280, 800)
        last = settings.last_page
        self.show_screen(last if last in self.classes else "Dashboard")

    def closeEvent(self, event) -> None:
        self._closed = True
        self._relay_refresh.stop()
        self.ctx.settings.window_geometry = self.saveGeometry()
        self.ctx.settings.sync()
        if self.ctx.relay is not None and self._relay_changed in getattr(self.ctx.relay, "listeners", []):
            self.ctx.relay.listeners.remove(self._relay_changed)
        super().closeEvent(event)
