"""The local webhook receiver: ``POST /stripe/webhook`` on 127.0.0.1.

Verifies the signature over the raw bytes, refuses an event from the other
mode (test vs live), stores the event durably, and only then answers 200.
A redelivered event answers 200 and changes nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from aiohttp import web

from treasurer import inbox
from treasurer.gateway import BadSignature, verify_webhook

from .ingest import Ingest

log = logging.getLogger(__name__)
MAX_BODY = 512 * 1024
PATH = "/stripe/webhook"


class Receiver:
    def __init__(self, ingest: Ingest, secrets: Callable[..., list[str]], cli_secrets: Callable[[], list[str]],
                 livemode: bool | None, on_received: Callable[[inbox.Incoming, bool], None] | None = None):
        self.ingest = ingest
        self.secrets = secrets
        self.cli_secrets = cli_secrets
        self.livemode = livemode
        self.on_received = on_received
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY + 1024)
        app.router.add_post(PATH, self.handle)
        return app

    async def start(self, host: str, port: int) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def handle(self, request: web.Request) -> web.Response:
        if request.content_length is not None and request.content_length > MAX_BODY:
            return _answer(413, "the body is larger than 512 KiB")
        if request.content_type != "application/json":
            return _answer(415, "Stripe sends application/json")
        raw = await _read_body(request)
        if raw is None:
            return _answer(413, "the body is larger than 512 KiB")
        header = request.headers.get("Stripe-Signature")
        cli = self.cli_secrets()
        try:
            try:
                verify_webhook(raw, header, cli + self.secrets())
            except BadSignature:
                verify_webhook(raw, header, cli + self.secrets(fresh=True))   # a secret changed since
        except (BadSignature, UnicodeDecodeError) as exc:
            log.warning("refused a webhook from %s: %s", request.remote, exc)
            return _answer(400, "signature verification failed")
        source = "webhook"
        if cli:
            try:
                verify_webhook(raw, header, cli)
                source = "cli"
            except BadSignature:
                pass
        try:
            event = inbox.parse(raw, source)
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("refused a signed webhook that is not a Stripe event: %s", exc)
            return _answer(400, f"not a Stripe event: {exc}")
        if self.livemode is not None and event.livemode != self.livemode:
            log.warning("refused %s: livemode %s does not match the key", event.id, event.livemode)
            return _answer(400, "the event's livemode does not match this installation's key")
        try:
            new = await self.ingest.store(event)
        except Exception:
            return _answer(500, "could not store the event; Stripe will send it again")
        if self.on_received:
            self.on_received(event, new)
        return web.json_response({"received": True, "duplicate": not new})


async def _read_body(request: web.Request) -> bytes | None:
    """The whole body, however it arrives (in pieces, chunked); None past the size limit."""
    parts, size = [], 0
    while chunk := await request.content.read(64 * 1024):
        size += len(chunk)
        if size > MAX_BODY:
            return None
        parts.append(chunk)
    return b"".join(parts)


def _answer(status: int, message: str) -> web.Response:
    return web.Response(status=status, text=json.dumps({"error": message}), content_type="application/json")
