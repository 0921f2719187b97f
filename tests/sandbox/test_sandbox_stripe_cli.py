"""The real Stripe CLI (`stripe listen`, npm @stripe/cli) connected to the sandbox, forwarding signed events."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path
from collections import Counter
from typing import Any, Iterator

import pytest
import stripe
from aiohttp import web

from sandbox.testing import ControlError, control, get, pay

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


def stop(proc: subprocess.Popen) -> None:
    """Stop `stripe listen` and what it started: the npm wrapper (node) runs the Go binary as a child, which a
    signal to the wrapper alone leaves running, still connected."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


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
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
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
        stop(proc)


# Faults on the CLI path -----------------------------------------------------------------------------------


@contextlib.contextmanager
def listening(base_url: str, cli_binary: Path, tmp_path: Path, forward_to: str) -> Iterator[subprocess.Popen]:
    """`stripe listen` connected to the sandbox and forwarding to `forward_to`, until the block ends."""
    proc = subprocess.Popen(
        [str(cli_binary), "listen", "--api-base", base_url, "--no-wss", "--skip-update",
         "--events", EVENTS, "--forward-to", forward_to],
        env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    stderr: list[str] = []
    ready = threading.Event()

    def read_stderr() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            stderr.append(line)
            if "Ready!" in line:
                ready.set()

    threading.Thread(target=read_stderr, daemon=True).start()
    try:
        assert ready.wait(60), "stripe listen never became ready:\n" + "".join(stderr)
        wait(lambda: get(base_url, "cli")["connections"] == 1, "the CLI's websocket")
        yield proc
    finally:
        stop(proc)


def wait(predicate: Any, what: str, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def cli_log(base_url: str, after: int) -> list[dict[str, Any]]:
    """What the sandbox made of each event for the CLI (copies 0, 1 or 2), once all of it is on the socket."""
    status = wait(lambda: (s := get(base_url, "cli"))["pending"] == 0 and s, "the CLI queue to drain")
    return [entry for entry in status["log"] if entry["seq"] > after]


def last_seq(base_url: str) -> int:
    log = get(base_url, "cli")["log"]
    return log[-1]["seq"] if log else 0


def received_ids(receiver: AiohttpReceiver) -> Counter[str]:
    return Counter(json.loads(r["body"])["id"] for r in list(receiver.received))


def forwarded(entries: list[dict[str, Any]]) -> Counter[str]:
    """What the CLI should forward of these: each event of an --events type, as many times as it was sent."""
    wanted = EVENTS.split(",")
    return Counter({e["event"]: e["copies"] for e in entries if e["type"] in wanted and e["copies"]})


def test_cli_faults_drop_everything_then_reset(sandbox, cli_binary, tmp_path, aiohttp_receiver, make_link) -> None:
    with listening(sandbox.base_url, cli_binary, tmp_path, aiohttp_receiver.url):
        control(sandbox.base_url, "faults", drop=1.0)
        after = last_seq(sandbox.base_url)
        sent_before = get(sandbox.base_url, "cli")["sent"]
        for i in range(3):
            pay(sandbox.base_url, make_link(4500, slip=f"DROP-{i}").id)
        dropped = cli_log(sandbox.base_url, after)
        assert len({e["type"] for e in dropped} & set(EVENTS.split(","))) == 2
        assert {e["copies"] for e in dropped} == {0}
        assert get(sandbox.base_url, "cli")["sent"] == sent_before  # nothing went out on the socket
        # Faults reset: the same CLI, still connected, gets everything again, once.
        control(sandbox.base_url, "reset")
        assert get(sandbox.base_url, "faults")["cli"] is True
        after = last_seq(sandbox.base_url)
        pay(sandbox.base_url, make_link(4500, slip="AFTER").id)
        entries = cli_log(sandbox.base_url, after)
        assert {e["copies"] for e in entries} == {1}
        expected = forwarded(entries)
        assert len(expected) == 2
        wait(lambda: received_ids(aiohttp_receiver) == expected, "the CLI to forward the payment after the reset")
    # only the payment made after the reset was ever forwarded
    assert received_ids(aiohttp_receiver) == expected


def test_cli_faults_duplicate_sends_each_event_twice(sandbox, cli_binary, tmp_path, aiohttp_receiver,
                                                      make_link) -> None:
    with listening(sandbox.base_url, cli_binary, tmp_path, aiohttp_receiver.url):
        control(sandbox.base_url, "faults", duplicate=1.0, shuffle=True, seed=3)
        after = last_seq(sandbox.base_url)
        for i in range(3):
            pay(sandbox.base_url, make_link(4500, slip=f"DUP-{i}").id)
        entries = cli_log(sandbox.base_url, after)
        assert {e["copies"] for e in entries} == {2}
        expected = forwarded(entries)
        assert len(expected) == 6 and set(expected.values()) == {2}
        wait(lambda: received_ids(aiohttp_receiver) == expected, "the CLI to forward every event twice")
        wait(lambda: len([r for r in get(sandbox.base_url, "cli")["replies"]
                          if r.get("type") == "webhook_response"]) >= 12, "the CLI's answers")


def test_cli_faults_seed_reproduces_the_pattern(sandbox, cli_binary, tmp_path, aiohttp_receiver, make_link) -> None:
    links = [make_link(4500, slip=f"SEED-{i}") for i in range(8)]
    with listening(sandbox.base_url, cli_binary, tmp_path, aiohttp_receiver.url):
        patterns, expected = [], Counter()
        for half in (links[:4], links[4:]):
            control(sandbox.base_url, "faults", drop=0.4, duplicate=0.4, seed=2026)  # same settings: reseeded
            after = last_seq(sandbox.base_url)
            for link in half:
                pay(sandbox.base_url, link.id)
            entries = cli_log(sandbox.base_url, after)
            patterns.append([(e["type"], e["copies"]) for e in entries])
            expected += forwarded(entries)
        assert patterns[0] == patterns[1]
        assert {copies for _, copies in patterns[0]} == {0, 1, 2}  # the seed drops some, doubles some
        wait(lambda: received_ids(aiohttp_receiver) == expected, "the CLI to forward what was not dropped")
        # A different seed gives another pattern.
        control(sandbox.base_url, "faults", drop=0.4, duplicate=0.4, seed=7)
        after = last_seq(sandbox.base_url)
        for i in range(4):
            pay(sandbox.base_url, make_link(4500, slip=f"OTHER-{i}").id)
        assert [(e["type"], e["copies"]) for e in cli_log(sandbox.base_url, after)] != patterns[0]


def test_cli_faults_can_be_switched_off_for_the_cli(sandbox, cli_binary, tmp_path, aiohttp_receiver,
                                                    make_link) -> None:
    with pytest.raises(ControlError) as err:
        control(sandbox.base_url, "faults", cli="sometimes")
    assert err.value.status == 400
    with listening(sandbox.base_url, cli_binary, tmp_path, aiohttp_receiver.url):
        control(sandbox.base_url, "faults", drop=1.0, duplicate=1.0, cli=False)
        assert get(sandbox.base_url, "faults")["cli"] is False
        after = last_seq(sandbox.base_url)
        pay(sandbox.base_url, make_link(4500, slip="NOFAULT").id)
        entries = cli_log(sandbox.base_url, after)
        assert entries and {e["copies"] for e in entries} == {1}
        expected = forwarded(entries)
        wait(lambda: received_ids(aiohttp_receiver) == expected, "the CLI to forward every event once")
