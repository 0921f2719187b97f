"""The relay inside the window: in a thread of its own with its own asyncio loop, so that receiving webhooks
(HTTP parsing, signature checks), polling and watching the Stripe CLI never take the UI thread.  The
window's own session (``run``) is a coroutine on Qt's event loop through qasync: it only waits.

The UI thread sees the relay through a ``WindowRelay``: the relay's last status, delivered by a queued Qt
signal and at most ``WindowRelay.EVERY`` seconds apart during a burst (the first change after a quiet spell
at once), and listeners called on the UI thread.  Nothing in the relay's thread touches a Qt object: it
emits the signal of one object made on the UI thread and living there for the whole session.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import qasync
from PySide6.QtWidgets import QApplication, QMessageBox

from treasurer.errors import UserFacingError
from treasurer.hall import Hall

from .settings import AppSettings
from .workers import call_on_ui_thread, ready_ui_thread_calls

if TYPE_CHECKING:        # the relay's modules load when it starts, after the window is on screen
    from relay.service import Relay, RelayStatus
    from treasurer.gateway import Gateway

log = logging.getLogger(__name__)
# Settings' choices (ui.settings.RELAY_MODES) as the relay's modes; "off" starts no relay.
RELAY_MODE_FOR_SETTING: dict[str, str | None] = {"auto": "auto", "cli": "cli", "polling": "poll", "webhook": "webhook",
                                                  "off": None}


async def start_relay(hall: Hall, gateway: Gateway | None, settings: AppSettings, sandbox: bool) -> Relay | None:
    """Start the relay as Settings say; a port already taken (a headless relay runs) falls back to polling.

    Cancelled half-way (the window closed while it started), what was started is stopped again.
    """
    from relay.service import Relay

    mode = RELAY_MODE_FOR_SETTING.get(settings.relay_mode, "auto")
    if gateway is None or mode is None:
        return None
    options: dict[str, Any] = {"port": settings.relay_port, "cli_path": settings.stripe_cli_path or None,
                               "poll_interval": 5.0 if sandbox else 60.0}
    relay = Relay(hall, gateway, mode=mode, **options)
    try:
        try:
            await relay.start()
        except OSError as exc:
            log.warning("The relay's port %s is taken (%s), perhaps by treasurer-relay: this window polls Stripe "
                        "instead.", settings.relay_port, exc)
            await relay.stop()
            relay = Relay(hall, gateway, mode="poll", **options)
            await relay.start()
            relay.explain(f"Port {settings.relay_port} is taken, perhaps by treasurer-relay, so this window polls "
                          f"Stripe's Events API instead.")
        if sandbox and relay.webhook_url:
            # The sandbox delivers webhooks like Stripe does; its secret lives in memory for this session.
            secret = await asyncio.get_running_loop().run_in_executor(
                None, gateway.replace_webhook_endpoint, relay.webhook_url)
            relay.add_webhook_secret(secret)
    except BaseException:
        await asyncio.shield(relay.stop())
        raise
    return relay


async def keep_daily_backups(hall: Hall, settings: AppSettings, every_seconds: float = 3600.0,
                             first_after: float = 60.0) -> None:
    """A checked copy a day in the backup folder while the window is open (a minute after start-up, then
    hourly checks): checking a big hall's copy takes the machine for a while, and start-up comes first."""
    from treasurer.backup import backup_if_due

    folder = settings.default_backup_folder(hall.data_path)
    if not folder:
        return
    loop = asyncio.get_running_loop()
    await asyncio.sleep(min(first_after, every_seconds))
    while True:
        try:
            done = await loop.run_in_executor(None, backup_if_due, hall.db, folder)
            log.info("daily backup: %s", done)
        except UserFacingError as exc:  # a failed copy is kept out of the folder; say so in the log
            log.warning("the daily backup failed: %s", exc)
        await asyncio.sleep(every_seconds)


# From the relay's thread to the UI thread ------------------------------------------------------------------

def _on_ui_thread(function: Callable[[Any], None], argument: Any) -> None:
    """``function(argument)`` on the UI thread (``ui.workers.call_on_ui_thread``); a failure is logged."""
    call_on_ui_thread(_logged, function, argument)


def _logged(function: Callable[[Any], None], argument: Any) -> None:
    try:
        function(argument)
    except Exception:
        log.exception("a call from the relay's thread failed")


class WindowRelay:
    """The relay as the UI thread sees it: ``status()`` and ``listeners`` (called on the UI thread).

    The relay's own listeners run in its thread; this one passes each status on, coalesced: the first at
    once, then at most one every ``EVERY`` seconds while they keep coming (a burst of webhooks changes the
    counts many times a second, and each notice makes the window read what changed).
    """

    EVERY = 0.25

    def __init__(self, relay: Relay, loop: asyncio.AbstractEventLoop, status: RelayStatus):
        self.relay = relay
        self.listeners: list[Callable[[Any], None]] = []
        self._status = status
        self._loop = loop
        # In the relay's thread only:
        self._latest: RelayStatus | None = None
        self._sent_at = 0.0
        self._scheduled = False

    # The relay's properties the window and tests read (plain values, set while it starts).
    @property
    def mode(self) -> str:
        return self.relay.mode

    @property
    def resolved_mode(self) -> str | None:
        return self.relay.resolved_mode

    @property
    def webhook_url(self) -> str | None:
        return self.relay.webhook_url

    @property
    def port(self) -> int:
        return self.relay.port

    def status(self) -> RelayStatus:
        return self._status

    # In the relay's thread ---------------------------------------------------------------------------------

    def from_relay(self, status: RelayStatus) -> None:
        """The relay's listener (its thread): pass the newest status on, at most every ``EVERY`` seconds."""
        self._latest = status
        if self._scheduled:
            return
        wait = self._sent_at + self.EVERY - time.monotonic()
        if wait <= 0:
            self._send()
        else:
            self._scheduled = True
            self._loop.call_later(wait, self._send)

    def _send(self) -> None:
        self._scheduled = False
        self._sent_at = time.monotonic()
        status, self._latest = self._latest, None
        if status is not None:
            _on_ui_thread(self._receive, status)

    # On the UI thread --------------------------------------------------------------------------------------

    def _receive(self, status: RelayStatus) -> None:
        self._status = status
        for listener in list(self.listeners):
            try:
                listener(status)
            except Exception:
                log.exception("a relay listener failed")


class RelayThread:
    """A thread with its own asyncio loop for the relay (and the daily backups) while the window is open.

    Made, started and stopped on the UI thread.  ``stop`` stops the relay cleanly (what was acknowledged is
    in the books), cancels the rest and waits for the thread to end.
    """

    STOP_SECONDS = 30.0

    def __init__(self, name: str = "relay"):
        ready_ui_thread_calls()                  # made here, on the UI thread, for the relay's thread
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = threading.Event()
        self.relays: list[WindowRelay] = []      # started in this thread (the window's: one)
        self._tasks: set[asyncio.Task] = set()   # what was submitted (the relay starting, the backups)
        self._stopping = False

    def start(self) -> RelayThread:
        self._thread.start()
        self._started.wait()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.call_soon(self._started.set)
        try:
            self.loop.run_forever()
        finally:
            try:
                self.loop.run_until_complete(self.loop.shutdown_asyncgens())
                self.loop.run_until_complete(self.loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                self.loop.close()

    def submit(self, coroutine: Awaitable) -> concurrent.futures.Future:
        """Run ``coroutine`` on the relay's loop; its future (results are for the caller to hand over)."""
        return asyncio.run_coroutine_threadsafe(self._tracked(coroutine), self.loop)

    async def _tracked(self, coroutine: Awaitable) -> Any:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            return await coroutine
        finally:
            self._tasks.discard(task)

    def start_relay(self, starting: Callable[[], Awaitable[Relay | None]],
                    on_started: Callable[[WindowRelay | None, BaseException | None], None]) -> None:
        """Start a relay in this thread (``starting()`` makes and starts it there); ``on_started(relay, error)``
        is called on the UI thread with the relay as the window sees it (None: Settings say no relay)."""

        async def begin() -> None:
            try:
                relay = await starting()
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # noqa: BLE001 - told on the UI thread
                _on_ui_thread(lambda error: on_started(None, error), exc)
                return
            if relay is None:
                _on_ui_thread(lambda _: on_started(None, None), None)
                return
            if self._stopping:                   # started just as the window closed
                await relay.stop()
                return
            handle = WindowRelay(relay, self.loop, relay.status())
            relay.listeners.append(handle.from_relay)
            self.relays.append(handle)
            _on_ui_thread(lambda h: on_started(h, None), handle)

        self.submit(begin())

    def stop(self, timeout: float | None = None) -> None:
        """Stop every relay started here, cancel the rest, end the thread (from the UI thread)."""
        timeout = self.STOP_SECONDS if timeout is None else timeout
        if not self._thread.is_alive():
            return
        try:
            self.submit(self._shutdown()).result(timeout)
        except (concurrent.futures.TimeoutError, TimeoutError):
            log.warning("the relay did not stop within %.0f s", timeout)
        except Exception:
            log.exception("stopping the relay failed")
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("the relay's thread did not end within %.0f s", timeout)
        for handle in self.relays:
            handle.listeners.clear()         # on the UI thread: the window's references go here

    async def _shutdown(self) -> None:
        """The relays stop in their own order first (the receiver, the CLI, the poller, then the books'
        thread once what was acknowledged is written); then what else was submitted is cancelled (a relay
        still starting stops itself: ``start_relay``), then anything left."""
        self._stopping = True
        for handle in self.relays:
            with contextlib.suppress(ValueError):
                handle.relay.listeners.remove(handle.from_relay)
            try:
                await handle.relay.stop()
            except Exception:
                log.exception("stopping the relay failed")
        current = asyncio.current_task()
        for tasks in (list(self._tasks - {current}),
                      [task for task in asyncio.all_tasks() if task is not current and task not in self._tasks]):
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


def run(app: QApplication, hall: Hall, connect_stripe: Callable[[], Gateway | None], settings: AppSettings,
        sandbox: bool, make_window: Callable[[], Any]) -> int:
    """Show the window, then connect Stripe and start the relay in its thread, until the last window closes;
    then stop the relay cleanly and end its thread.

    Two event loops: the window's session is a coroutine on Qt's own loop (qasync), which only waits (for
    Stripe's SDK to load in a pool thread, for the window to close) and so never holds the UI thread; the relay's
    work (webhooks, signatures, polling, the Stripe CLI) runs on the relay thread's loop."""
    from shiboken6 import isValid

    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    app.setQuitOnLastWindowClosed(False)
    background = RelayThread().start()

    def started(relay: WindowRelay | None, error: BaseException | None) -> None:
        if error is not None:
            if not isinstance(error, UserFacingError):
                log.error("the relay did not start", exc_info=error)
            QMessageBox.warning(None, "Hall Treasurer", f"The relay did not start: {error}")
        if relay is not None and not done.is_set() and isValid(window):
            window.set_relay(relay)

    async def session() -> None:
        # The window first, the relay after: starting it (a port, the Stripe CLI, a first catch-up) must not
        # keep the treasurer waiting for the books.
        nonlocal window
        window = make_window()
        app.lastWindowClosed.connect(done.set)
        window.show()
        background.submit(keep_daily_backups(hall, settings))
        await asyncio.sleep(0.05)                 # the window paints first
        gateway = None
        try:
            # Stripe's SDK loads (and sandbox mode's sandbox starts) in a pool thread: the window stays live.
            gateway = await loop.run_in_executor(None, connect_stripe)
        except Exception as exc:  # noqa: BLE001 - the window stays open; say why Stripe is not connected
            from .errors import show_error

            show_error(window, exc)
        if not done.is_set():
            background.start_relay(lambda: start_relay(hall, gateway, settings, sandbox), started)
            await done.wait()

    window: Any = None
    done = asyncio.Event()
    try:
        with loop:
            loop.run_until_complete(session())
    finally:
        background.stop()
    return 0
