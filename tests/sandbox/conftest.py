"""Fixtures for the sandbox tests: one server per session (reset before each test), an SDK client,
and a tiny webhook receiver."""
from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator

import pytest
import stripe

from sandbox import SandboxThread
from sandbox.testing import control
from sandbox.webhooks import RetryPolicy

API_KEY = "sk_test_sandbox_tests_0000000000"
FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "stripe" / "fixtures3.json"


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[SandboxThread]:
    with SandboxThread(port=0, retry=RetryPolicy(attempts=3, backoff_seconds=0.05, timeout_seconds=2)) as sb:
        yield sb


@pytest.fixture
def sandbox(sandbox_server: SandboxThread) -> SandboxThread:
    """The shared sandbox, emptied (objects, events, endpoints, faults, clock) for this test."""
    control(sandbox_server.base_url, "reset")
    return sandbox_server


@pytest.fixture
def stripe_client(sandbox: SandboxThread) -> stripe.StripeClient:
    return stripe.StripeClient(API_KEY, base_addresses={"api": sandbox.base_url})


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records what arrives and answers scripted statuses."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # answered in order, then 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body, "path": self.path})
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/webhooks"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self.thread.start()

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests]

    def wait_for(self, n: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= n:
                break
            time.sleep(0.02)
        return self.events()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture(scope="session")
def stripe_fixtures() -> dict[str, Any]:
    return json.loads(FIXTURES.read_text())["resources"]


def _make_link(client: stripe.StripeClient, amount: int = 4500, *, slip: str = "SLIP-1", limit: int | None = 1,
               **extra: Any) -> Any:
    params: dict[str, Any] = {
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": amount,
                                       "product_data": {"name": "Monthly dues"}}, "quantity": 1}],
        "metadata": {"slip_id": slip},
        "payment_intent_data": {"metadata": {"slip_id": slip, "member": "M-7"}},
        **extra,
    }
    if limit is not None:
        params["restrictions"] = {"completed_sessions": {"limit": limit}}
    return client.v1.payment_links.create(params)


@pytest.fixture
def make_link(stripe_client: stripe.StripeClient) -> Any:
    """make_link(amount=4500, slip="SLIP-1", limit=1, **params) -> a payment link like the app prints."""
    return lambda *args, **kwargs: _make_link(stripe_client, *args, **kwargs)
