"""The window's relay runs in a thread of its own: a burst of signed webhooks is received there, the window
hears of it on the UI thread a few times a second, shows every payment, and closes cleanly afterwards."""

from __future__ import annotations

import asyncio
import threading
import time

from helpers import paid_session_event, standard_hall
from relay_thread import start_in_thread
from uitools import no_stripe

from sandbox.webhooks import sign
from ui.app import create_window

SECRET = "whsec_windowRelayThreadTest0000000"
BURST = 40


def signed_bodies(numbers: list[str], run: str) -> list[tuple[bytes, str]]:
    bodies = [paid_session_event(run, i, {"member_number": number}) for i, number in enumerate(numbers)]
    return [(raw, sign(raw, SECRET)) for raw in bodies]


def fire(url: str, bodies: list[tuple[bytes, str]], statuses: list[int]) -> None:
    """In a thread of the test's own (Stripe's side): 8 connections, as fast as they go."""
    import aiohttp

    async def send() -> None:
        todo = iter(bodies)
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=8)) as session:
            async def worker() -> None:
                for raw, signature in todo:
                    async with session.post(url, data=raw, headers={
                            "Content-Type": "application/json", "Stripe-Signature": signature}) as answer:
                        statuses.append(answer.status)

            await asyncio.gather(*(worker() for _ in range(8)))

    asyncio.run(send())


def test_a_burst_of_webhooks_lands_in_the_window_and_the_window_closes_cleanly(hall, app_settings, qtbot):
    from relay.service import Relay

    numbers = standard_hall(hall, members=BURST)
    ui_thread = threading.get_ident()
    relay_threads: set[int] = set()
    notices_in_relay: list[float] = []

    async def starting():
        relay = Relay(hall, None, mode="webhook", port=0)
        relay.listeners.append(lambda status: (relay_threads.add(threading.get_ident()),
                                               notices_in_relay.append(time.monotonic())))
        await relay.start()
        relay.add_webhook_secret(SECRET)
        return relay

    background, relay = start_in_thread(qtbot, starting)
    try:
        window = create_window(hall, no_stripe(), app_settings, relay)
        qtbot.addWidget(window)
        window.show()
        payments = window.show_screen("Payments")
        notices_on_ui: list[tuple[int, float]] = []
        relay.listeners.append(lambda status: notices_on_ui.append((threading.get_ident(), time.monotonic())))
        assert not payments.table.model.rows
        statuses: list[int] = []
        sender = threading.Thread(target=fire, args=(relay.webhook_url, signed_bodies(numbers, "t"), statuses))
        started = time.monotonic()
        sender.start()

        def shown() -> int:
            return sum(1 for r in payments.table.model.rows if r.stripe_id.startswith("pi_t_"))

        qtbot.waitUntil(lambda: shown() == BURST, timeout=60_000)
        sender.join(30)
        assert statuses == [200] * BURST
        assert {r.member_number for r in payments.table.model.rows} == set(numbers)
        elapsed = time.monotonic() - started
        # The relay's loop is not the UI thread; its notices reach the window on the UI thread, coalesced.
        assert relay_threads and ui_thread not in relay_threads
        assert notices_on_ui and {ident for ident, _ in notices_on_ui} == {ui_thread}
        during = [at for _, at in notices_on_ui if at >= started]
        assert len(during) <= elapsed / relay.EVERY + 2
        assert len(during) <= len([at for at in notices_in_relay if at >= started])
        window.close()
        assert window._relay_changed not in relay.listeners     # a closed window hears no more
    finally:
        background.stop(timeout=20)
    assert not background.running
    assert relay.relay.status().state == "stopped"
    assert not relay.listeners                     # the window's references were let go on the UI thread


def test_the_window_starts_its_relay_in_a_thread_and_closing_the_window_stops_it(hall, gateway, sandbox_url,
                                                                                 qapp, app_settings):
    """``ui.relay_runner.run``: the window on show, the relay started in its thread (in sandbox mode with the
    sandbox's webhook endpoint registered), the window closed: ``run`` returns, the relay stopped, its thread
    ended, its port free again."""
    import socket

    from PySide6.QtCore import QTimer
    from uitools import sandbox_args

    from ui.relay_runner import run

    app_settings.relay_mode = "webhook"
    app_settings.relay_port = 0
    windows, seen = [], []

    def make_window():
        windows.append(create_window(hall, sandbox_args(sandbox_url), app_settings))
        return windows[0]

    def close_when_running(remaining: int = 1500) -> None:
        relay = windows[0].ctx.relay if windows else None
        if relay is None and remaining > 0:
            QTimer.singleShot(20, lambda: close_when_running(remaining - 1))
            return
        seen.append((relay, threading.current_thread() is threading.main_thread(),
                     windows[0].status.relay_label.text()))
        windows[0].close()

    QTimer.singleShot(20, close_when_running)
    assert run(qapp, hall, lambda: gateway, app_settings, True, make_window) == 0
    (relay, on_ui_thread, label), = seen
    assert relay is not None and on_ui_thread and label == "Relay: webhook only"
    assert relay.relay._session_secrets                  # the sandbox's endpoint registered, its secret kept
    assert relay.relay.status().state == "stopped"
    assert not [t for t in threading.enumerate() if t.name == "relay" or t.name.startswith(("relay-", "asyncio_"))]
    with socket.socket() as s:                           # the receiver's port is free again
        s.bind(("127.0.0.1", relay.port))


def test_the_stripe_cli_runs_from_the_relays_thread_and_stops_with_the_window(hall, gateway, sandbox_url, qapp,
                                                                             app_settings, tmp_path, monkeypatch):
    """Supervising the Stripe CLI (a subprocess) from the relay's own loop: it starts, it is listening, and
    closing the window stops it (no CLI process left behind, ``run`` returns)."""
    import os
    import signal

    from PySide6.QtCore import QTimer
    from uitools import sandbox_args

    from ui.relay_runner import run

    pid_file = tmp_path / "cli.pid"
    fake = tmp_path / "stripe"
    fake.write_text("#!/bin/sh\ncase \"$*\" in *--print-secret*) echo whsec_fake; exit 0;; esac\n"
                    f"echo $$ > {pid_file}\necho 'Ready! You are using Stripe API Version' >&2\nexec sleep 60\n")
    fake.chmod(0o755)
    monkeypatch.setattr("relay.service.find_stripe_cli", lambda configured=None: str(fake))
    app_settings.relay_mode = "cli"
    app_settings.relay_port = 0
    windows, seen = [], []

    def make_window():
        windows.append(create_window(hall, sandbox_args(sandbox_url), app_settings))
        return windows[0]

    def close_when_listening(remaining: int = 1500) -> None:
        relay = windows[0].ctx.relay if windows else None
        if (relay is None or relay.status().state != "listening") and remaining > 0:
            QTimer.singleShot(20, lambda: close_when_listening(remaining - 1))
            return
        seen.append((relay.status().state, windows[0].status.relay_label.text()))
        windows[0].close()

    QTimer.singleShot(20, close_when_listening)
    started = time.monotonic()
    assert run(qapp, hall, lambda: gateway, app_settings, True, make_window) == 0
    assert seen == [("listening", "Relay: listening via CLI")]
    assert time.monotonic() - started < 30
    pid = int(pid_file.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        pass
    else:
        os.kill(pid, signal.SIGKILL)
        raise AssertionError("the Stripe CLI was left running")
