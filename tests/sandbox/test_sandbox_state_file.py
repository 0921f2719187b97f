"""State saved to a JSON file survives a restart (on another port)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import stripe

from sandbox import SandboxThread
from sandbox.testing import control, pay, state

KEY = "sk_test_state_file_0123456789"


def test_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "sandbox-state.json"
    with SandboxThread(state_file=path) as first:
        client = stripe.StripeClient(KEY, base_addresses={"api": first.base_url})
        link = client.v1.payment_links.create({"line_items": [{"price_data": {
            "currency": "usd", "unit_amount": 4500, "product_data": {"name": "Dues"}}, "quantity": 1}],
            "restrictions": {"completed_sessions": {"limit": 1}}}, options={"idempotency_key": "link-1"})
        session = pay(first.base_url, link.id)
        control(first.base_url, "clock", advance_seconds=23 * 3600)  # under the 24 h idempotency window
        before = state(first.base_url)
        events_before = [e.id for e in client.v1.events.list({"limit": 100}).data]
    assert json.loads(path.read_text())["objects"]["payment_link"]

    with SandboxThread(state_file=path) as second:
        client = stripe.StripeClient(KEY, base_addresses={"api": second.base_url})
        after = state(second.base_url)
        assert after["counts"] == before["counts"]
        assert after["succeeded_payments_cents"] == 4500
        assert after["now"] >= before["now"]  # the clock offset is kept
        again = client.v1.payment_links.retrieve(link.id)
        assert again.url == f"{second.base_url}/pay/{link.id}"  # links point at the running server
        assert again.restrictions.completed_sessions.count == 1
        assert client.v1.checkout.sessions.retrieve(session["id"]).payment_status == "paid"
        assert [e.id for e in client.v1.events.list({"limit": 100}).data] == events_before
        # an idempotent retry after the restart still answers the original link
        replay = client.v1.payment_links.create({"line_items": [{"price_data": {
            "currency": "usd", "unit_amount": 4500, "product_data": {"name": "Dues"}}, "quantity": 1}],
            "restrictions": {"completed_sessions": {"limit": 1}}}, options={"idempotency_key": "link-1"})
        assert replay.id == link.id and replay.url == again.url
        new = client.v1.customers.create({"email": "after@restart.org"})
        assert client.v1.customers.list().data[0].id == new.id


def test_python_dash_m_sandbox_serves_and_saves_on_sigterm(tmp_path: Path) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    path = tmp_path / "state.json"
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", str(port), "--state", str(path)],
                            cwd=repo, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert f"http://127.0.0.1:{port}" in line
        client = stripe.StripeClient(KEY, base_addresses={"api": f"http://127.0.0.1:{port}"})
        client.v1.customers.create({"email": "kept@example.org"})
    finally:
        proc.terminate()
        proc.wait(15)
    assert proc.returncode == 0
    saved = json.loads(path.read_text())
    assert [c["email"] for c in saved["objects"]["customer"].values()] == ["kept@example.org"]


def test_only_loopback(tmp_path: Path) -> None:
    import asyncio

    from sandbox import SandboxServer

    with pytest.raises(ValueError):
        asyncio.run(SandboxServer().start(host="0.0.0.0"))
