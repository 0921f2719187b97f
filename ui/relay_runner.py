"""The relay inside the window: on Qt's event loop through qasync, so nothing it waits for freezes the window."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import qasync
from PySide6.QtWidgets import QApplication, QMessageBox

from treasurer.errors import UserFacingError
from treasurer.hall import Hall

from .settings import AppSettings

if TYPE_CHECKING:        # the relay's modules load when it starts, after the window is on screen
    from relay.service import Relay
    from treasurer.gateway import Gateway

log = logging.getLogger(__name__)
# Settings' choices (ui.settings.RELAY_MODES) as the relay's modes; "off" starts no relay.
RELAY_MODE_FOR_SETTING: dict[str, str | None] = {"auto": "auto", "cli": "cli", "polling": "poll", "webhook": "webhook",
                                                  "off": None}


async def start_relay(hall: Hall, gateway: Gateway | None, settings: AppSettings, sandbox: bool) -> Relay | None:
    """Start the relay as Settings say; a port already taken (a headless relay runs) falls back to polling."""
    from relay.service import Relay

    mode = RELAY_MODE_FOR_SETTING.get(settings.relay_mode, "auto")
    if gateway is None or mode is None:
        return None
    options: dict[str, Any] = dict(port=settings.relay_port, cli_path=settings.stripe_cli_path or None,
                                   poll_interval=5.0 if sandbox else 60.0)
    relay = Relay(hall, gateway, mode=mode, **options)
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


def run(app: QApplication, hall: Hall, connect_stripe: Callable[[], Gateway | None], settings: AppSettings,
        sandbox: bool, make_window: Callable[[], Any]) -> int:
    """Show the window, then connect Stripe and start the relay, until the last window closes; then stop the
    relay cleanly."""
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    app.setQuitOnLastWindowClosed(False)

    async def session() -> None:
        # The window first, the relay after: starting it (a port, the Stripe CLI, a first catch-up) must not
        # keep the treasurer waiting for the books.
        window = make_window()
        done = asyncio.Event()
        app.lastWindowClosed.connect(done.set)
        window.show()
        await asyncio.sleep(0.05)          # the window paints before Stripe's SDK loads
        relay = gateway = None
        try:
            gateway = connect_stripe()
        except Exception as exc:  # noqa: BLE001 - the window stays open; say why Stripe is not connected
            from .errors import show_error

            show_error(window, exc)
        try:
            relay = await start_relay(hall, gateway, settings, sandbox)
        except UserFacingError as exc:
            QMessageBox.warning(None, "Hall Treasurer", f"The relay did not start: {exc}")
        if relay is not None and not done.is_set():
            window.set_relay(relay)
        backups = asyncio.ensure_future(keep_daily_backups(hall, settings))
        await done.wait()
        backups.cancel()
        if relay is not None:
            await relay.stop()

    with loop:
        loop.run_until_complete(session())
    return 0
