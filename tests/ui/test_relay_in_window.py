"""A payment made in the sandbox reaches the open window through the relay in its own thread, without a
restart."""

from __future__ import annotations

import asyncio
import time

from helpers import standard_hall
from relay_thread import start_in_thread
from uitools import sandbox_args

from sandbox.testing import pay
from treasurer.dues import assess
from treasurer.slips import create_slips
from ui.app import create_window
from ui.relay_runner import start_relay


def test_a_sandbox_payment_lands_in_the_open_window(hall, gateway, sandbox_url, qapp, app_settings, qtbot):
    standard_hall(hall, members=2)
    for month in ("2026-09", "2026-10"):
        assess(hall, month)
    (slip,), _ = create_slips(hall, gateway, "2026-10", ["1001"], arrears=True)
    app_settings.relay_mode = "webhook"
    app_settings.relay_port = 0
    background, relay = start_in_thread(qtbot, lambda: start_relay(hall, gateway, app_settings, sandbox=True))
    try:
        window = create_window(hall, sandbox_args(sandbox_url), app_settings, relay)
        qtbot.addWidget(window)
        window.show()
        members = window.show_screen("Members").table.proxy

        def balance() -> int:
            return next(r for r in members.records() if r.number == "1001").balance_cents

        assert balance() == 9000
        assert window.status.relay_label.text() == "Relay: webhook only"
        # The UI thread waits on the sandbox here: the relay in its own thread receives the webhook meanwhile.
        pay(sandbox_url, slip.url.rsplit("/", 1)[1])
        qtbot.waitUntil(lambda: balance() == 0, timeout=20_000)
        row = next(r for r in members.records() if r.number == "1001")
        assert row.standing.paid_through == "2026-10"
        qtbot.waitUntil(lambda: window.status.event_label.text() != "Last event: none yet", timeout=5_000)
        window.close()
    finally:
        background.stop()
    assert not background.running
    assert relay.status().state == "stopped" or relay.relay.status().state == "stopped"


def test_the_open_window_keeps_a_daily_backup(hall, app_settings, tmp_path):
    from ui.relay_runner import keep_daily_backups

    app_settings.backup_folder = str(tmp_path / "daily")

    async def scenario() -> None:
        task = asyncio.ensure_future(keep_daily_backups(hall, app_settings, every_seconds=0.05))
        started = time.monotonic()
        while not list((tmp_path / "daily").glob("*.sqlite3")) and time.monotonic() - started < 20:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # several more checks the same day: still one copy
        task.cancel()

    asyncio.run(scenario())
    copies = list((tmp_path / "daily").glob("*.sqlite3"))
    assert len(copies) == 1
