"""A payment made in the sandbox reaches the open window through the relay on Qt's loop, without a restart."""

from __future__ import annotations

import asyncio
import time

import qasync

from helpers import standard_hall
from sandbox.testing import pay
from treasurer.dues import assess
from treasurer.slips import create_slips
from ui.app import create_window
from ui.relay_runner import start_relay


def sandbox_args(sandbox_url: str):
    import types

    from helpers import SANDBOX_KEY
    return types.SimpleNamespace(data_dir=None, database_url=None, stripe=types.SimpleNamespace(
        mode="sandbox", api_key=SANDBOX_KEY, api_base=sandbox_url))



def test_a_sandbox_payment_lands_in_the_open_window(hall, gateway, sandbox_url, qapp, app_settings, qtbot):
    standard_hall(hall, members=2)
    for month in ("2026-09", "2026-10"):
        assess(hall, month)
    (slip,), _ = create_slips(hall, gateway, "2026-10", ["1001"], arrears=True)
    app_settings.relay_mode = "webhook"
    app_settings.relay_port = 0
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    qapp.setQuitOnLastWindowClosed(False)  # as ui.relay_runner.run does: closing must not stop the loop

    async def scenario() -> None:
        relay = await start_relay(hall, gateway, app_settings, sandbox=True)
        window = create_window(hall, sandbox_args(sandbox_url), app_settings, relay)
        qtbot.addWidget(window)
        window.show()
        members = window.show_screen("Members").table.proxy
        row = next(r for r in members.records() if r.number == "1001")
        assert row.balance_cents == 9000
        assert window.status.relay_label.text() == "Relay: webhook only"
        started = time.monotonic()
        await loop.run_in_executor(None, pay, sandbox_url, slip.url.rsplit("/", 1)[1])
        while time.monotonic() - started < 20:
            row = next(r for r in members.records() if r.number == "1001")
            if row.balance_cents == 0:
                break
            await asyncio.sleep(0.1)   # the window keeps painting meanwhile: nothing blocks the loop
        assert row.balance_cents == 0 and row.standing.paid_through == "2026-10"
        assert window.status.event_label.text() != "Last event: none yet"
        window.close()
        await relay.stop()

    try:
        loop.run_until_complete(scenario())
    finally:
        qapp.setQuitOnLastWindowClosed(True)
        asyncio.set_event_loop(None)
        loop.close()


def test_the_open_window_keeps_a_daily_backup(hall, qapp, app_settings, tmp_path):
    from ui.relay_runner import keep_daily_backups

    app_settings.backup_folder = str(tmp_path / "daily")
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)

    async def scenario() -> None:
        task = asyncio.ensure_future(keep_daily_backups(hall, app_settings, every_seconds=0.05))
        started = time.monotonic()
        while not list((tmp_path / "daily").glob("*.sqlite3")) and time.monotonic() - started < 20:
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)  # several more checks the same day: still one copy
        task.cancel()

    try:
        loop.run_until_complete(scenario())
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    copies = list((tmp_path / "daily").glob("*.sqlite3"))
    assert len(copies) == 1
