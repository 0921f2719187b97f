"""Starting the window's relay in its own thread from a test, as ``ui.relay_runner.run`` does."""

from __future__ import annotations

from collections.abc import Awaitable, Callable


def start_in_thread(qtbot, starting: Callable[[], Awaitable], timeout_ms: int = 30_000):
    """(the relay's thread, the relay as the window sees it); waits on the UI thread until it started."""
    from ui.relay_runner import RelayThread

    background = RelayThread().start()
    got: list = []
    background.start_relay(starting, lambda relay, error: got.append((relay, error)))
    try:
        qtbot.waitUntil(lambda: bool(got), timeout=timeout_ms)
    except BaseException:
        background.stop()
        raise
    relay, error = got[0]
    if error is not None:
        background.stop()
        raise error
    return background, relay
