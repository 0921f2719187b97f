"""The real Stripe CLI (`stripe listen`, npm @stripe/cli) connected to the sandbox, forwarding signed events."""
from __future__ import annotations

import asyncio
import os
import re
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import stripe
from aiohttp import web

from sandbox.testing import get, pay

REPO = Path(__file__).resolve().parents[2]
CLI = REPO / "node_modules" / ".bin" / "stripe"
API_KEY = "sk_test_sandbox_cli_0123456789"
EVENTS = "checkout.session.completed,payment_intent.succeeded"


@pytest.fixture
def cli_binary() -> Path:
    if not CLI.exists():
        message = f"Stripe CLI not installed at {CLI}; run `npm install` (npm package @stripe/cli)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return CLI


class AiohttpReceiver:
    """A small aiohttp app on its own loop and thread that records the webhooks the CLI forwards."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(10)

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append({"headers": dict(request.headers), "body": await request.read()})
        return web.Response(text="ok")

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/hooks", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}/hooks"  # type: ignore[union-attr]
        self._ready.set()
        self._loop.run_forever()

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


@pytest.fixture
def aiohttp_receiver() -> Iterator[AiohttpReceiver]:
    r = AiohttpReceiver()
    yield r
    r.close()


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(STRIPE_API_KEY=API_KEY, XDG_CONFIG_HOME=str(tmp_path), HOME=str(tmp_path),
               STRIPE_CLI_TELEMETRY_OPTOUT="1")
    return env


def test_print_secret(sandbox, cli_binary, tmp_path) -> None:
    out = subprocess.run([str(cli_binary), "listen", "--api-base", sandbox.base_url, "--print-secret",
                          "--skip-update"], env=_env(tmp_path), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert re.fullmatch(r"whsec_\w+", out.stdout.strip())


def test_stripe_listen_forwards_signed_events(sandbox, cli_binary, tmp_path, aiohttp_receiver, make_link) -> None:
    env = _env(tmp_path)
    secret = subprocess.run([str(cli_binary), "listen", "--api-base", sandbox.base_url, "--print-secret",
                             "--skip-update"], env=env, capture_output=True, text=True, timeout=60).stdout.strip()
    proc = subprocess.Popen(
        [str(cli_binary), "listen", "--api-base", sandbox.base_url, "--no-wss", "--skip-update",
         "--events", EVENTS, "--forward-to", aiohttp_receiver.url],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    stderr: list[str] = []
    try:
        ready = threading.Event()

        def read_stderr() -> None:
            assert proc.stderr is not None
            for line in proc.stderr:
                stderr.append(line)
                if "Ready!" in line:
                    ready.set()

        threading.Thread(target=read_stderr, daemon=True).start()
        assert ready.wait(30), "stripe listen never became ready:\n" + "".join(stderr)
        ready_line = next(line for line in stderr if "Ready!" in line)
        assert secret in ready_line  # `listen` and `--print-secret` agree on the secret

        link = make_link(4500, slip="CLI-1")
        session = pay(sandbox.base_url, link.id)
        deadline = time.monotonic() + 20
        while len(aiohttp_receiver.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        got = [stripe.Webhook.construct_event(r["body"], r["headers"]["Stripe-Signature"], secret)
               for r in aiohttp_receiver.received]
        assert sorted(e.type for e in got) == sorted(EVENTS.split(","))  # the CLI filters by --events
        completed = next(e for e in got if e.type == "checkout.session.completed")
        assert completed.data.object.id == session["id"]
        assert completed.data.object.metadata.slip_id == "CLI-1"
        # the CLI reported the local endpoint's answers back over the websocket
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            replies = [r for r in get(sandbox.base_url, "cli")["replies"] if r.get("type") == "webhook_response"]
            if len(replies) >= 2:
                break
            time.sleep(0.05)
        assert [r["status"] for r in replies][-2:] == [200, 200]
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
