"""Small stdlib helpers for driving a running sandbox from tests and scripts."""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any


class ControlError(Exception):
    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status}: {body}")
        self.status = status
        self.body = body


def _request(base_url: str, path: str, body: bytes | None, http_method: str) -> dict[str, Any]:
    url = f"{base_url.rstrip('/')}/_sandbox/{path.lstrip('/')}"
    req = urllib.request.Request(url, data=body, method=http_method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        raise ControlError(exc.code, json.loads(exc.read() or b"{}")) from None


def control(base_url: str, path: str, **data: Any) -> dict[str, Any]:
    """POST `data` as JSON to `/_sandbox/<path>`; returns the JSON answer, raises ControlError on 4xx/5xx."""
    return _request(base_url, path, json.dumps(data).encode(), "POST")


def get(base_url: str, path: str) -> dict[str, Any]:
    """GET `/_sandbox/<path>` (e.g. "state", "faults", "webhooks/deliveries")."""
    return _request(base_url, path, None, "GET")


def state(base_url: str) -> dict[str, Any]:
    return get(base_url, "state")


def flush(base_url: str, timeout: float = 10.0) -> bool:
    """Wait until pending webhook deliveries (and their retries) are done."""
    return bool(control(base_url, "webhooks/flush", timeout=timeout)["flushed"])


def pay(base_url: str, link_id: str, method: str = "card", outcome: str = "succeeded", **extra: Any) -> dict[str, Any]:
    """Pay a payment link as a payer would; returns the checkout session."""
    return control(base_url, f"payment_links/{link_id}/pay", method=method, outcome=outcome, **extra)


def fail_payout(base_url: str, payout_id: str, failure_code: str | None = None) -> dict[str, Any]:
    """The bank returns a payout (default `account_closed`); returns the failed payout."""
    extra = {} if failure_code is None else {"failure_code": failure_code}
    return control(base_url, f"payouts/{payout_id}/fail", **extra)


def fail_refund(base_url: str, refund_id: str, failure_reason: str | None = None) -> dict[str, Any]:
    """The payer's bank refuses a refund (default `expired_or_canceled_card`); returns the failed refund."""
    extra = {} if failure_reason is None else {"failure_reason": failure_reason}
    return control(base_url, f"refunds/{refund_id}/fail", **extra)


def expire_session(base_url: str, session_id: str) -> dict[str, Any]:
    """Expire an open checkout session now; returns the expired session."""
    return control(base_url, f"checkout/sessions/{session_id}/expire")
