"""The window's relay out of the box: ``auto`` by default (the Stripe CLI when installed, else webhooks when a
signing secret is set, else polling), one default port everywhere, each state and error a sentence of its own,
and the books' last event on the card whether or not this window's relay runs."""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from helpers import standard_hall

from sandbox.testing import control, pay
from treasurer import inbox
from treasurer.dues import assess
from treasurer.slips import create_slips
from treasurer.sync import CURSOR, catch_up
from ui.relay_runner import start_relay


def run_relay_loop(coro_factory):
    """On a plain asyncio loop, as the window's relay runs in its own thread."""
    return asyncio.run(coro_factory())


def started(hall, gateway, app_settings, qapp, sandbox=False):
    """Start the window's relay as the settings say; its (resolved mode, state, message), then stop it."""
    app_settings.relay_port = 0

    async def scenario():
        relay = await start_relay(hall, gateway, app_settings, sandbox=sandbox)
        try:
            status = relay.status()
            return relay.mode, relay.resolved_mode, status.state, status.message
        finally:
            await relay.stop()

    return run_relay_loop(scenario)


def test_the_window_defaults_to_auto_on_the_relays_port(app_settings):
    from relay.ports import DEFAULT_PORT
    from relay.service import Relay
    from treasurer.cli import build_parser
    from ui.settings import RELAY_MODES

    assert app_settings.relay_mode == "auto" and "auto" in RELAY_MODES
    assert app_settings.relay_port == DEFAULT_PORT == 8787
    assert build_parser().parse_args(["relay", "run"]).port == DEFAULT_PORT
    import inspect
    assert inspect.signature(Relay).parameters["port"].default == DEFAULT_PORT


def test_without_the_stripe_cli_or_a_secret_auto_polls_and_shows_no_error(hall, gateway, app_settings, qapp,
                                                                         monkeypatch):
    monkeypatch.setattr("relay.service.find_stripe_cli", lambda configured=None: None)   # no Stripe CLI here
    mode, resolved, state, message = started(hall, gateway, app_settings, qapp)
    assert (mode, resolved, state) == ("auto", "poll", "polling")
    assert message == "Polling Stripe's Events API."


def test_with_a_signing_secret_auto_receives_webhooks(hall, gateway, app_settings, qapp, monkeypatch):
    monkeypatch.setattr("relay.service.find_stripe_cli", lambda configured=None: None)
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_test_0123456789")
    mode, resolved, state, message = started(hall, gateway, app_settings, qapp)
    assert (mode, resolved, state) == ("auto", "webhook", "receiving")
    assert message.startswith("Receiving Stripe's webhooks on port ") and message.endswith(".")


def test_the_stripe_cli_when_installed(hall, gateway, app_settings, qapp, monkeypatch, tmp_path):
    """auto picks the CLI when one is found (a stand-in that prints its secret and waits)."""
    fake = tmp_path / "stripe"
    fake.write_text("#!/bin/sh\nif [ \"$2\" = \"--print-secret\" ]; then echo whsec_fake; exit 0; fi\nsleep 30\n")
    fake.chmod(0o755)
    monkeypatch.setattr("relay.service.find_stripe_cli", lambda configured=None: str(fake))
    mode, resolved, _state, _message = started(hall, gateway, app_settings, qapp)
    assert (mode, resolved) == ("auto", "cli")


@dataclasses.dataclass
class Status:
    state: str = "error"
    message: str = "the Stripe CLI was not found; install it or set its path in Settings"
    warning: str | None = "Catching up from Stripe failed: Stripe refused the request: No such event: 'evt_1'"
    last_event_at: str | None = None
    last_event_type: str | None = None
    held: int = 0
    failed: int = 0


class StubRelay:
    def __init__(self, status: Status):
        self.listeners, self.current = [], status

    def status(self):
        return self.current


def test_each_state_and_error_is_a_sentence_of_its_own(hall, make_window):
    from ui.relay_status import relay_view

    view = relay_view(StubRelay(Status()))
    assert view.messages == ("The Stripe CLI was not found; install it or set its path in Settings.",
                             "Catching up from Stripe failed: Stripe refused the request: No such event: 'evt_1'.")
    assert "Settings Catching" not in view.message and "Settings. Catching" in view.message
    window = make_window(hall)
    window.set_relay(StubRelay(Status()))
    detail = window.show_screen("Dashboard").relay_detail.text().splitlines()
    assert "The Stripe CLI was not found; install it or set its path in Settings." in detail
    assert "Catching up from Stripe failed: Stripe refused the request: No such event: 'evt_1'." in detail


def _events_in_the_books(hall, gateway, sandbox_url) -> int:
    standard_hall(hall, members=2)
    assess(hall, "2026-10")
    (slip,), _ = create_slips(hall, gateway, "2026-10", ["1001"], arrears=True)
    pay(sandbox_url, slip.url.rsplit("/", 1)[1])
    catch_up(hall, gateway)                      # as treasurer sync or a headless relay would
    return sum(inbox.counts(hall).values())


def test_the_card_shows_the_books_last_event_with_no_relay_in_this_window(hall, gateway, sandbox_url,
                                                                        make_window):
    assert _events_in_the_books(hall, gateway, sandbox_url) > 0
    latest = inbox.latest(hall)
    window = make_window(hall)                   # no relay in this window
    dashboard = window.show_screen("Dashboard")
    dashboard.refresh()
    first = dashboard.relay_detail.text().splitlines()[0]
    assert first != "Last event: none yet." and first.startswith(f"Last event: {latest.type} at ")
    assert window.status.event_label.text().startswith(f"Last event: {latest.type} at ")
    assert "The relay is not running in this window" in dashboard.relay_detail.text()


def test_a_cursor_stripe_forgot_is_a_sentence_and_the_catch_up_goes_on(hall, gateway, sandbox_url, qapp,
                                                                      app_settings, caplog, monkeypatch):
    """A reset sandbox (or events past 30 days): the stored cursor is unknown to Stripe."""
    _events_in_the_books(hall, gateway, sandbox_url)
    inbox.set_state(hall, CURSOR, "evt_forgotten_by_stripe")
    monkeypatch.setattr("relay.service.find_stripe_cli", lambda configured=None: None)
    app_settings.relay_mode = "polling"
    app_settings.relay_port = 0

    warnings: list[str | None] = []

    async def scenario():
        relay = await start_relay(hall, gateway, app_settings, sandbox=False)
        relay.listeners.append(lambda status: warnings.append(status.warning))
        try:
            await relay.catch_up()
            return relay.status()
        finally:
            await relay.stop()

    with caplog.at_level(logging.WARNING):
        status = run_relay_loop(scenario)
    said = "Stripe no longer knows the last event read (evt_forgotten_by_stripe); reading by date instead."
    assert status.state == "polling"       # the sentence is the card's warning until a clean catch-up
    assert not [w for w in warnings if w and w.startswith("Catching up from Stripe failed")]
    assert [r.getMessage() for r in caplog.records if "evt_forgotten" in r.getMessage()] == [said]
    assert not [r for r in caplog.records if "events.list failed" in r.getMessage()]
    assert not [r for r in caplog.records if "Catching up from Stripe failed" in r.getMessage()]
    assert inbox.get_state(hall, CURSOR) not in ("", "evt_forgotten_by_stripe")     # read by date: moved on
    control(sandbox_url, "reset")


def test_a_port_taken_by_a_headless_relay_is_said_and_the_window_polls(hall, gateway, app_settings, qapp,
                                                                       monkeypatch):
    import socket

    monkeypatch.setattr("relay.service.find_stripe_cli", lambda configured=None: None)
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    try:
        app_settings.relay_port = port = taken.getsockname()[1]

        async def scenario():
            relay = await start_relay(hall, gateway, app_settings, sandbox=False)
            try:
                return relay.mode, relay.status()
            finally:
                await relay.stop()

        mode, status = run_relay_loop(scenario)
    finally:
        taken.close()
    assert mode == "poll" and status.state == "polling"
    assert status.message == (f"Port {port} is taken, perhaps by treasurer-relay, so this window polls Stripe's "
                              f"Events API instead.")
