"""The HTTP server: middleware (auth, request ids, rate-limit faults), lifecycle, thread and CLI runners."""
from __future__ import annotations

import asyncio
import base64
import contextlib
import re
import signal
import threading
from pathlib import Path
from typing import Any, Awaitable, Callable

from aiohttp import web

from . import api_catalog, api_events, api_payments, cli_proxy, control, payer
from .core import Sandbox
from .handlers import API_KEY, CORE, REQUEST_ID
from .store import random_token
from .webhooks import RetryPolicy
from .wire import StripeError

_KEY = re.compile(r"^(sk|rk)_test_[A-Za-z0-9_]+$")
LOOPBACK = ("127.0.0.1", "localhost")


def _api_key(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[len("Bearer "):].strip()
    if header.startswith("Basic "):
        try:
            return base64.b64decode(header[6:]).decode().split(":", 1)[0]
        except (ValueError, UnicodeDecodeError):
            return None
    return None


def _auth_error(key: str | None) -> StripeError:
    if not key:
        return StripeError(401, "You did not provide an API key. You need to provide your API key in the "
                                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').")
    shown = key[:8] + "*" * max(0, len(key) - 12) + key[-4:] if len(key) > 12 else key[:3] + "***"
    return StripeError(401, f"Invalid API Key provided: {shown}")


@web.middleware
async def stripe_middleware(request: web.Request,
                            handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    core = request.app[CORE]
    request_id = "req_" + random_token(14)
    request[REQUEST_ID] = request_id
    if request.method != "GET":
        request.app[DIRTY][0] = True
    try:
        if request.path.startswith("/v1/"):
            key = _api_key(request)
            if not key or not _KEY.match(key):
                raise _auth_error(key)
            request[API_KEY] = key
            if not request.path.startswith("/v1/stripecli/") and core.faults.rate_limited():
                raise StripeError(429, "Too many requests hit the API too quickly. We recommend an exponential "
                                       "backoff of your requests.", code="rate_limit")
        response = await handler(request)
    except StripeError as exc:
        response = exc.response()
    except web.HTTPNotFound:
        if not request.path.startswith(("/v1/", "/_sandbox/")):
            raise
        response = StripeError(404, f"Unrecognized request URL ({request.method}: {request.path}).").response()
    except web.HTTPMethodNotAllowed:
        response = StripeError(405, f"Unrecognized request URL ({request.method}: {request.path}).").response()
    if not response.prepared:
        response.headers["Request-Id"] = request_id
        response.headers.setdefault("Stripe-Version", "2026-10-28.endive")
    return response


DIRTY: web.AppKey[list[bool]] = web.AppKey("sandbox_dirty", list)


class SandboxServer:
    """An offline, stateful Stripe-compatible server on 127.0.0.1."""

    def __init__(self, state_file: str | Path | None = None, *, retry: RetryPolicy | None = None,
                 ach_settle_seconds: int = 3 * 86400) -> None:
        self.state_file = Path(state_file) if state_file else None
        self.core = Sandbox(retry=retry, ach_settle_seconds=ach_settle_seconds)
        self._runner: web.AppRunner | None = None
        self._ticker: asyncio.Task[None] | None = None
        self._port = 0
        self.app = web.Application(middlewares=[stripe_middleware])
        self.app[CORE] = self.core
        self.app[DIRTY] = [False]
        api_catalog.add_routes(self.app)
        api_payments.add_routes(self.app)
        api_events.add_routes(self.app)
        control.add_routes(self.app)
        payer.add_routes(self.app)
        self.cli = cli_proxy.CliHub(self.core)
        self.cli.add_routes(self.app)

    @property
    def base_url(self) -> str:
        if not self._port:
            raise RuntimeError("the sandbox server is not started")
        return f"http://127.0.0.1:{self._port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in LOOPBACK:
            raise ValueError("the sandbox binds 127.0.0.1 only")
        if self.state_file is not None:
            self.core.store.load(self.state_file)
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        server = site._server  # aiohttp exposes the bound port only here
        assert server is not None and server.sockets
        self._port = server.sockets[0].getsockname()[1]
        self.core.base_url = self.base_url
        self.core.rebase_links()
        await self.core.webhooks.start()
        self._ticker = asyncio.create_task(self._tick())

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            with contextlib.suppress(Exception):
                self.core.refresh()
                self.autosave()

    def autosave(self) -> None:
        if self.state_file is not None and self.app[DIRTY][0]:
            self.app[DIRTY][0] = False
            self.save()

    def save(self, path: str | Path | None = None) -> None:
        target = path or self.state_file
        if target is None:
            raise ValueError("no state file")
        self.core.store.save(target)

    async def stop(self) -> None:
        if self._ticker:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        await self.cli.close()
        await self.core.webhooks.stop()
        if self._runner:
            await self._runner.cleanup()
        if self.state_file is not None:
            self.save()


class SandboxThread:
    """Run a SandboxServer on its own event loop in a background thread (for sync code and tests)."""

    def __init__(self, port: int = 0, state_file: str | Path | None = None, **server_options: Any) -> None:
        self.port = port
        self.server = SandboxServer(state_file, **server_options)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def start(self) -> "SandboxThread":
        self._thread = threading.Thread(target=self._run, name="stripe-sandbox", daemon=True)
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.server.start(port=self.port))
        except BaseException as exc:  # report start-up failures to the caller's thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    def stop(self) -> None:
        if self._loop is None or self._thread is None:
            return
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)
        self._loop = None

    def __enter__(self) -> "SandboxThread":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve(port: int = 12111, state_file: str | None = None) -> None:
    """Run the sandbox in the foreground until SIGINT/SIGTERM; state is saved on exit if `state_file`."""

    async def main() -> None:
        server = SandboxServer(state_file)
        await server.start(port=port)
        print(f"Stripe sandbox listening on {server.base_url}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            await server.stop()
            if state_file:
                print(f"Sandbox state saved to {state_file}", flush=True)

    asyncio.run(main())
