"""The gateway against the offline sandbox, through the official SDK."""

import socket

import pytest

from sandbox.testing import control, state
from treasurer.errors import UserFacingError
from treasurer.gateway import Gateway, GatewayError
from treasurer.credentials import key_mode

KEY = "sk_test_hall_treasurer_tests_0000"


def params(amount=4500, slip="1"):
    meta = {"slip_id": slip, "member_number": "1001", "periods": "2026-11"}
    return {"line_items": [{"price_data": {"currency": "usd", "unit_amount": amount,
                                           "product_data": {"name": "Dues 2026-11"}}, "quantity": 1}],
            "metadata": meta, "payment_intent_data": {"metadata": meta},
            "restrictions": {"completed_sessions": {"limit": 1}},
            "payment_method_types": ["card", "us_bank_account"]}


def test_a_retried_create_makes_one_link(gateway, sandbox_url):
    first = gateway.create_payment_link(params(), "slip-1-link")
    again = gateway.create_payment_link(params(), "slip-1-link")
    assert first["id"] == again["id"] and first["url"] == again["url"]
    assert state(sandbox_url)["counts"]["payment_link"] == 1
    assert first["metadata"]["slip_id"] == "1" and first["restrictions"]["completed_sessions"]["limit"] == 1
    with pytest.raises(GatewayError, match="saw this request before with different details") as err:
        gateway.create_payment_link(params(amount=9000), "slip-1-link")
    assert err.value.code == "idempotency"


def test_deactivate_and_pay_and_refund(gateway, sandbox_url):
    link = gateway.create_payment_link(params(), "slip-2-link")
    session = control(sandbox_url, f"payment_links/{link['id']}/pay", method="card", outcome="succeeded")
    pi = gateway.retrieve_payment_intent(session["payment_intent"])
    assert pi["status"] == "succeeded" and pi["metadata"]["slip_id"] == "1"
    partial = gateway.create_refund(pi["id"], 1000, "requested_by_customer", "refund-1")
    assert partial["amount"] == 1000 and partial["status"] == "succeeded"
    assert gateway.create_refund(pi["id"], 1000, "requested_by_customer", "refund-1")["id"] == partial["id"]
    rest = gateway.create_refund(pi["id"], None, "requested_by_customer", "refund-2")
    assert rest["amount"] == 3500
    with pytest.raises(GatewayError, match="Stripe refused the request"):
        gateway.create_refund(pi["id"], 100, "requested_by_customer", "refund-3")
    off = gateway.deactivate_payment_link(link["id"])
    assert off["active"] is False and gateway.retrieve_payment_link(link["id"])["active"] is False


def test_events_after_a_cursor_come_oldest_first(gateway, sandbox_url):
    link = gateway.create_payment_link(params(), "slip-3-link")
    control(sandbox_url, f"payment_links/{link['id']}/pay", method="card", outcome="succeeded")
    everything = list(gateway.events_after(None))
    assert everything and [e["created"] for e in everything] == sorted(e["created"] for e in everything)
    newer = list(gateway.events_after(everything[0]["id"]))
    assert [e["id"] for e in newer] == [e["id"] for e in everything[1:]]
    assert list(gateway.events_after(everything[-1]["id"])) == []


def test_a_wrong_key_reads_as_a_sentence(sandbox_url):
    bad = Gateway("sk_live_not_a_sandbox_key_000", sandbox_url)
    with pytest.raises(GatewayError, match="Stripe refused the API key") as err:
        bad.create_payment_link(params(), "x")
    assert err.value.code == "authentication" and "sk_live_not" not in str(err.value)


def test_rate_limits_are_retried_then_explained(gateway, sandbox_url):
    control(sandbox_url, "faults", rate_limit=0.3, seed=3)
    links = [gateway.create_payment_link(params(slip=str(i)), f"rl-{i}") for i in range(8)]
    assert len({link["id"] for link in links}) == 8  # retried through the 429s, one link each
    control(sandbox_url, "faults", rate_limit=1.0)
    with pytest.raises(GatewayError, match="too many requests") as err:
        gateway.create_payment_link(params(), "rl-x")
    assert err.value.retryable


def test_a_dead_port_says_stripe_cannot_be_reached():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    dead = Gateway(KEY, f"http://127.0.0.1:{port}", retries=1, backoff_seconds=0.01)
    with pytest.raises(GatewayError, match="Stripe cannot be reached") as err:
        dead.retrieve_payment_link("plink_123")
    assert err.value.code == "network"


@pytest.mark.parametrize("key, mode", [("sk_test_abcdef", "test"), ("rk_test_abcdef", "test"),
                                       ("sk_live_abcdef", "live"), ("rk_live_abcdef", "live")])
def test_key_modes(key, mode):
    assert key_mode(key) == mode


@pytest.mark.parametrize("key, says", [("pk_test_abcdef", "publishable"), ("whsec_abc", "does not look")])
def test_other_keys_are_refused(key, says):
    with pytest.raises(UserFacingError, match=says):
        key_mode(key)
