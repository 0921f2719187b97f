"""The relay: the webhook receiver, the Stripe CLI and the Events API poller feeding one inbox."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Callable

from treasurer import credentials, inbox
from treasurer.errors import UserFacingError
from treasurer.gateway import HANDLED_EVENTS, Gateway
from treasurer.hall import Hall

from .ports import DEFAULT_PORT
from .ingest import Ingest
from .receiver import PATH, Receiver
from .stripe_cli import StripeCli, find_stripe_cli

log = logging.getLogger(__name__)
MODES = ("auto", "webhook", "cli", "poll")
LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclasses.dataclass(frozen=True)
class RelayStatus:
    mode: str
    state: str                  # listening | polling | webhook | receiving | starting | stopped | error
    message: str
    last_event_at: str | None = None
    last_event_type: str | None = None
    held: int = 0
    failed: int = 0
    warning: str | None = None
    counts: dict = dataclasses.field(default_factory=dict)


class Relay:
    SECRETS_KEPT_SECONDS = 1.0          # a signing secret removed from the keyring is refused after this

    def __init__(self, hall: Hall, gateway: Gateway | None, *, mode: str = "auto", host: str = "127.0.0.1",
                 port: int = DEFAULT_PORT, public: bool = False, cli_path: str | None = None,
                 poll_interval: float = 60.0, gap_seconds: float = 600.0, cli_options: dict | None = None):
        if mode not in MODES:
            raise UserFacingError(f"The relay mode {mode!r} is not one of: {', '.join(MODES)}.")
        if host not in LOOPBACK and not public:
            raise UserFacingError(f"The webhook receiver listens on this computer only (127.0.0.1); to listen on "
                                  f"{host} start it with --public, behind a firewall.")
        if gateway is None and mode in ("cli", "poll"):
            raise UserFacingError(f"The relay's {mode} mode needs a Stripe key.")
        self.hall, self.gateway, self.mode = hall, gateway, mode
        self.host, self.port, self.public = host, port, public
        self.cli_path, self.poll_interval, self.gap_seconds = cli_path, poll_interval, gap_seconds
        self.cli_options = cli_options or {}
        self.listeners: list[Callable[[RelayStatus], None]] = []
        self.ingest = Ingest(hall, gateway, self._processed)
        self._cli_secret: list[str] = []
        self._session_secrets: list[str] = []
        self._kept_secrets: list[str] | None = None
        self._secrets_read_at = 0.0
        self.receiver = Receiver(self.ingest, self._signing_secrets,
                                 lambda: self._cli_secret,
                                 None if gateway is None else gateway.mode == "live", self._received)
        self.cli: StripeCli | None = None
        self._poller: asyncio.Task | None = None
        self._state, self._message, self._warning = "stopped", "The relay is not running.", None
        # What ``auto`` chose at start: cli | webhook | poll (the mode itself for the other modes).
        self.resolved_mode: str | None = None
        # A relay gap stays on show until the listener delivers again; a later quiet catch-up does not clear it.
        self._gap: str | None = None
        self._last_arrival = time.monotonic()
        # Deliveries by way in (cli, webhook), duplicates included: which way actually carries events.
        self.deliveries: collections.Counter[str] = collections.Counter()
        self._counts: dict[str, int] = {}
        self._last: tuple[str | None, str | None] = (None, None)
        self._refreshing: asyncio.Task | None = None

    # Life -----------------------------------------------------------------------------------------------

    async def start(self) -> None:
        await self.ingest.start()
        uses_receiver = self.mode in ("auto", "webhook", "cli")
        if uses_receiver:
            await self.receiver.start(self.host, self.port)
            self.port = self.receiver.port
            if self.public:
                log.warning("the webhook receiver is listening on %s:%s, beyond this computer", self.host, self.port)
        # auto: the Stripe CLI when installed, else the webhook receiver when a signing secret is set, else
        # polling; the Events API is read in every mode that has a key (the backstop, and the CLI's catch-up).
        binary = find_stripe_cli(self.cli_path) if self.mode in ("auto", "cli") else None
        if self.mode == "cli" and binary is None:
            self._set("error", "The Stripe CLI was not found. Install it, set its path in Settings, or choose "
                               "Automatic.")
        if binary and self.gateway is not None:
            self.resolved_mode = "cli"
            self.cli = StripeCli(binary, self.gateway.key_for_stripe_cli(), f"http://127.0.0.1:{self.port}{PATH}", HANDLED_EVENTS,
                                 api_base=self.gateway.api_base, on_state=self._cli_state,
                                 on_secret=self._on_cli_secret, on_started=self._after_cli_start,
                                 **self.cli_options)
            await self.cli.start()
        elif self.mode == "webhook" or (self.mode == "auto" and self.gateway is None):
            self.resolved_mode = "webhook"
            self._set("webhook", f"Webhooks only, on port {self.port}.")
        elif self.mode == "auto" and self._signing_secrets():
            self.resolved_mode = "webhook"
            self._set("receiving", self._receiving_message())
        if self.gateway is not None and self.mode in ("auto", "poll", "cli"):
            self._poller = asyncio.create_task(self._poll_loop(), name="events-poller")
            if self.mode == "poll" or (self.mode == "auto" and self.resolved_mode is None):
                self.resolved_mode = "poll"
                self._set("polling", "Polling Stripe's Events API.")
        self.resolved_mode = self.resolved_mode or self.mode
        await self.refresh_counts()

    async def stop(self) -> None:
        if self._refreshing:
            self._refreshing.cancel()
        if self._poller:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
        if self.cli:
            await self.cli.stop()
        await self.receiver.stop()
        await self.ingest.stop()
        self._set("stopped", "The relay is stopped.")

    def explain(self, message: str) -> None:
        """Say, as the current state's sentence, why the relay runs as it does (a port taken: polling instead)."""
        self._set(self._state, message)

    def add_webhook_secret(self, secret: str) -> None:
        """A signing secret for this session only (kept in memory, never stored)."""
        self._session_secrets.append(secret)
        if self.mode == "auto" and self.cli is None and self.receiver.port and self._state == "polling":
            self.resolved_mode = "webhook"     # auto: a signing secret now set, so webhooks are received
            self._set("receiving", self._receiving_message())

    def _signing_secrets(self, fresh: bool = False) -> list[str]:
        """The signing secrets from the keyring, kept at most ``SECRETS_KEPT_SECONDS`` (a read can take
        milliseconds, and webhooks come in bursts), so a secret removed from the keyring stops working within that
        time; ``fresh`` reads it again at once, for a webhook the kept secrets refuse (a secret just rolled)."""
        now = time.monotonic()
        if fresh or self._kept_secrets is None or now - self._secrets_read_at > self.SECRETS_KEPT_SECONDS:
            self._kept_secrets = credentials.webhook_secrets()
            self._secrets_read_at = now
        return self._kept_secrets + self._session_secrets

    def _receiving_message(self) -> str:
        return (f"Receiving Stripe's webhooks on port {self.port}; the Events API is read as a backstop."
                if self.gateway is not None else f"Receiving Stripe's webhooks on port {self.port}.")

    @property
    def webhook_url(self) -> str | None:
        return f"http://127.0.0.1:{self.port}{PATH}" if self.receiver.port else None

    async def catch_up(self) -> None:
        if self.gateway is None:
            return
        try:
            report = await self.ingest.catch_up()
        except UserFacingError as exc:
            self._warning = f"Catching up from Stripe failed: {_sentence(str(exc))}"
            log.warning("%s", self._warning)
            self._notify()
            return
        for warning in report.warnings:
            log.warning("%s", warning)
        self._warning = report.warnings[0] if report.warnings else None
        if report.new and self.mode != "poll" and time.monotonic() - self._last_arrival > self.gap_seconds:
            self._gap = (f"Relay gap: Stripe had {report.new} events that never arrived by "
                         f"{'the Stripe CLI' if self.cli else 'webhook'}; they were read from the Events API.")
            log.warning("%s", self._gap)
        await self.refresh_counts()

    # Internals ------------------------------------------------------------------------------------------

    async def _poll_loop(self) -> None:
        while True:
            await self.catch_up()
            await asyncio.sleep(self.poll_interval)

    async def _after_cli_start(self) -> None:
        await self.catch_up()

    def _on_cli_secret(self, secret: str) -> None:
        self._cli_secret = [secret]

    def _cli_state(self, state: str, message: str) -> None:
        self._set({"starting": "starting", "listening": "listening", "restarting": "error",
                   "error": "error", "stopped": "stopped"}.get(state, state), message)

    def _received(self, event, new: bool) -> None:
        self._last_arrival = time.monotonic()
        if self._gap is not None:
            self._gap = None
            self._notify()
        self.deliveries[event.source] += 1

    def _processed(self, results) -> None:
        # Many chunks can finish in a burst: one refresh at a time is enough.
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.get_running_loop().create_task(self.refresh_counts())

    async def refresh_counts(self) -> None:
        counts, latest = await self.ingest.run_in_ledger_thread(_snapshot, self.hall)
        self._counts = counts
        self._last = latest
        self._notify()

    def _set(self, state: str, message: str) -> None:
        self._state, self._message = state, _sentence(message)
        log.info("relay: %s (%s)", state, message)
        self._notify()

    def _notify(self) -> None:
        status = self.status()
        for listener in list(self.listeners):
            try:
                listener(status)
            except Exception:
                log.exception("a relay listener failed")

    def status(self) -> RelayStatus:
        return RelayStatus(self.mode, self._state, self._message, self._last[0], self._last[1],
                           self._counts.get("held", 0), self._counts.get("failed", 0), self._warning or self._gap,
                           dict(self._counts))


def _sentence(text: str) -> str:
    """``text`` as a sentence of its own: a capital first letter and a full stop."""
    text = " ".join(str(text).split())
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


def _snapshot(hall: Hall) -> tuple[dict[str, int], tuple[str | None, str | None]]:
    counts = inbox.counts(hall)
    event = inbox.latest(hall)
    if event is None:
        return counts, (None, None)
    try:
        when = dt.datetime.fromtimestamp(event.created, dt.UTC).isoformat(timespec="seconds")
    except (OverflowError, OSError, ValueError):
        when = None
    return counts, (when, event.type)
