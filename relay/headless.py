"""``treasurer-relay``: the relay without a window, stopping cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from treasurer.gateway import Gateway
from treasurer.hall import Hall

from .service import Relay, RelayStatus

log = logging.getLogger("relay")


async def run(hall: Hall, gateway: Gateway | None, **options) -> int:
    relay = Relay(hall, gateway, **options)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    last: list[RelayStatus | None] = [None]

    def report(status: RelayStatus) -> None:
        previous = last[0]
        if previous is None or (previous.state, previous.message, previous.warning) != (
                status.state, status.message, status.warning):
            log.info("relay %s: %s%s", status.state, status.message,
                     f" | WARNING {status.warning}" if status.warning else "")
        last[0] = status

    relay.listeners.append(report)
    await relay.start()
    log.info("relay running (mode %s%s)", relay.mode,
             f", webhooks on http://{relay.host}:{relay.port}/stripe/webhook" if relay.receiver.port else "")
    print(f"relay ready on port {relay.port}", flush=True)
    try:
        await stop.wait()
    finally:
        log.info("stopping the relay")
        await relay.stop()
    return 0


def main(hall: Hall, gateway: Gateway | None, **options) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return asyncio.run(run(hall, gateway, **options))
