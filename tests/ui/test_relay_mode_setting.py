"""Settings' relay mode is the mode the window's relay starts in; Off starts none."""

from __future__ import annotations

import asyncio

from ui.relay_runner import start_relay


def started_mode(hall, gateway, app_settings, qapp, choice: str):
    app_settings.relay_mode = choice
    app_settings.relay_port = 0
    async def scenario():
        relay = await start_relay(hall, gateway, app_settings, sandbox=True)
        if relay is None:
            return None
        mode = relay.mode
        await relay.stop()
        return mode

    return asyncio.run(scenario())       # a plain asyncio loop, as in the relay's thread


def test_polling_in_settings_polls(hall, gateway, app_settings, qapp):
    assert started_mode(hall, gateway, app_settings, qapp, "polling") == "poll"


def test_webhook_in_settings_is_webhook_only(hall, gateway, app_settings, qapp):
    assert started_mode(hall, gateway, app_settings, qapp, "webhook") == "webhook"


def test_off_in_settings_starts_no_relay(hall, gateway, app_settings, qapp):
    assert started_mode(hall, gateway, app_settings, qapp, "off") is None
