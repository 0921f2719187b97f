"""Starting the desktop application: ``treasurer`` with no command calls ``main(args)``."""

from __future__ import annotations

import argparse
import os
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import qFormatLogMessage, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from treasurer.errors import UserFacingError
from treasurer.hall import Hall, open_hall

from .context import AppContext, gateway_for, stripe_from_args
from .errors import install_excepthook, show_error
from .look import apply_style
from .settings import APPLICATION, ORGANISATION, AppSettings

if TYPE_CHECKING:
    from .main_window import MainWindow


def application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY") and sys.platform.startswith("linux"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName(ORGANISATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("Hall Treasurer")
    apply_style(app)
    quiet_offscreen_size_hints(app)
    return app


SIZE_HINTS_WARNING = "This plugin does not support propagateSizeHints()"
_message_filter: list = []      # [our handler, the one it replaced], once installed


def quiet_offscreen_size_hints(app: QApplication) -> None:
    """Under the offscreen platform (tests, screenshots, a headless run) drop Qt's one warning that means nothing.

    Qt tells the platform each time a window's minimum or maximum size changes (a layout settling when a
    screen or dialog is shown); the offscreen plugin has no window manager to tell, and says
    "This plugin does not support propagateSizeHints()" every time. Every other message goes on as before.
    """
    if _message_filter or app.platformName() != "offscreen":
        return

    def handler(mode, context, message: str) -> None:
        if message == SIZE_HINTS_WARNING:
            return
        previous = _message_filter[1]
        if previous is not None:
            previous(mode, context, message)
        else:
            sys.stderr.write(qFormatLogMessage(mode, context, message) + "\n")

    _message_filter.extend([handler, None])
    _message_filter[1] = qInstallMessageHandler(handler)


def create_window(hall: Hall, args: Any, settings: AppSettings | None = None, relay: Any | None = None
                  ) -> MainWindow:
    """The main window for an open, initialised hall (tests and the composition root call this)."""
    from .main_window import MainWindow

    stripe = stripe_from_args(args, hall)
    ctx = AppContext(hall, settings or AppSettings(), stripe, gateway_for(stripe), relay)
    return MainWindow(ctx)


# Python's thread switch interval in the app (its default is 5 ms): a thread that wants the GIL (the UI thread,
# woken for an event) gets it within about this long while the relay's threads run Python.
UI_SWITCH_INTERVAL = 0.001


def collect_on_ui_thread(app):
    """Python's cyclic garbage collector runs in whatever thread happens to allocate (the relay's, a pool
    thread); a Qt object collected there is destroyed off the UI thread, and its timers then fire on freed
    memory. So automatic collection is off and the UI thread collects, a generation at a time.

    Collections are small and often (every 0.2 s; an older generation after four of the one below), so none
    takes long. A full collection looks at every object (on a 5,000-member hall with its screens open, some
    150,000: 60 to 100 ms, a visible stall if it comes during a burst of relay events). So what survives a
    full collection, or a collection in a quiet moment after work (a screen built, a burst over), is frozen
    (``gc.freeze``: no later collection looks at it again, and the next full one only at what came since),
    and a thorough collection (everything, frozen or not, then frozen again) runs only in
    a quiet moment: at the first quiet moment after start-up, then at most every ``THOROUGH_EVERY`` seconds
    (and, quiet or not, after three times as long). Frozen objects are still freed when nothing refers to them;
    only cycles among them wait for the next thorough collection.
    """
    return _UiThreadCollector(app)


class _UiThreadCollector:
    THOROUGH_EVERY = 600.0      # seconds, in a quiet moment (or three times as long, quiet or not)
    INTERVAL_MS = 200           # small collections often: the longest one is the stall
    OLDER_AFTER = 4             # an older generation after this many collections of the one below

    def __init__(self, app):
        import gc
        import time

        from PySide6.QtCore import QTimer

        self._gc, self._clock = gc, time.monotonic
        gc.disable()
        self._thorough_at = self._clock()        # the first quiet moment after start-up
        self._unfrozen = 0                       # collections since the last freeze
        self.timer = QTimer(app)
        # A lambda, not the bound method: the connection then keeps this object alive (main() keeps no
        # reference to it), where a bound method's object would be let go.
        self.timer.timeout.connect(lambda: self.collect())
        self.timer.start(self.INTERVAL_MS)

    def collect(self) -> None:
        gc = self._gc
        counts = gc.get_count()
        thresholds = (gc.get_threshold()[0], self.OLDER_AFTER, self.OLDER_AFTER)
        now = self._clock()
        if now >= self._thorough_at + 2 * self.THOROUGH_EVERY:
            self.thorough()                          # never quiet for half an hour: a thorough one anyway
            return
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                self._unfrozen += 1
                if generation == 2:
                    self._freeze()
                return
        if now >= self._thorough_at:                 # nothing due: a quiet moment
            self.thorough()
        elif self._unfrozen:                         # a quiet moment after work (a screen built, a burst):
            gc.collect()                             # what it left is collected and frozen now, not looked
            self._freeze()                           # at again by the collections of the next burst

    def _freeze(self) -> None:
        self._gc.freeze()
        self._unfrozen = 0

    def thorough(self) -> None:
        gc = self._gc
        gc.unfreeze()
        gc.collect()
        self._freeze()
        self._thorough_at = self._clock() + self.THOROUGH_EVERY

    def stop(self) -> None:
        """No more collections here (tests): everything is thawed and collected once more, on this thread, and
        Python's automatic collection is back on; the timer (and with it this object) goes."""
        self.timer.stop()
        self._gc.unfreeze()
        self._gc.collect()
        self._gc.enable()
        self.timer.deleteLater()


def read_ahead(hall: Hall, settings: AppSettings) -> dict[str, Future]:
    """The Dashboard's figures read in a thread while the relay starts and the window is built (start-up)."""
    if settings.last_page not in ("", "Dashboard"):
        return {}
    from .dashboard_data import dashboard

    pool = ThreadPoolExecutor(1, thread_name_prefix="read-ahead")
    try:
        return {"Dashboard": pool.submit(dashboard, hall)}
    finally:
        pool.shutdown(wait=False)


def start_sandbox(args: Any) -> bool:
    """Sandbox mode's sandbox, when the composition root left it to start later (``args.stripe.start``): started
    now, and its address put in ``args.stripe``.  False when there is nothing to start."""
    given = getattr(args, "stripe", None)
    start = getattr(given, "start", None)
    if start is None or getattr(given, "api_base", None):
        return False
    given.api_base = start()
    return bool(given.api_base)


def main(args: argparse.Namespace) -> int:
    app = application()
    collect_on_ui_thread(app)
    sys.setswitchinterval(UI_SWITCH_INTERVAL)
    try:
        hall = open_hall(getattr(args, "data_dir", None), getattr(args, "database_url", None))
    except UserFacingError as exc:
        QMessageBox.critical(None, "Hall Treasurer", str(exc))
        return 1
    install_excepthook(hall.data_path)
    settings = AppSettings()
    first_figures: dict[str, Future] = {}
    try:
        if not hall.initialised:
            from .wizard import FirstRunWizard

            start_sandbox(args)              # the wizard's demo pays into the sandbox

            wizard = FirstRunWizard(hall, settings, stripe=getattr(args, "stripe", None))
            if not wizard.exec() or not hall.initialised:
                return 0
        # Read while the keyring is asked, the relay starts and the window's modules load.
        first_figures = read_ahead(hall, settings)
        stripe = stripe_from_args(args, hall)
    except Exception as exc:  # noqa: BLE001 - the window could not open: say why in a sentence
        show_error(None, exc)
        hall.close()
        return 1
    from .main_window import MainWindow
    from .relay_runner import run

    ctx = AppContext(hall, settings, stripe, None, None)

    def make_window():
        window = MainWindow(ctx, preloaded=first_figures)
        window.read_roll_ahead()
        return window

    def connect_stripe():
        # After the window is on screen: loading Stripe's SDK (and starting sandbox mode's sandbox) takes a while
        # and nothing on show needs it.
        if ctx.stripe.mode == "sandbox" and ctx.stripe.api_base is None:
            if not start_sandbox(args):
                return None          # the window closed first: no sandbox, and never Stripe itself
            ctx.stripe = stripe_from_args(args, hall)
        ctx.gateway = gateway_for(ctx.stripe)
        return ctx.gateway

    try:
        return run(app, hall, connect_stripe, settings, stripe.mode == "sandbox", make_window)
    finally:
        from PySide6.QtCore import QThreadPool

        QThreadPool.globalInstance().waitForDone(10_000)     # reads in the background finish before the books close
        hall.close()
