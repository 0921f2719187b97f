"""The page a payer's phone opens from the printed QR code."""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request

from sandbox.testing import state


def fetch(url: str, form: dict[str, str] | None = None) -> tuple[int, str]:
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=data)) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_page_shows_amount_and_choices(make_link) -> None:
    link = make_link(4500, payment_method_types=["card", "us_bank_account"])
    status, page = fetch(link.url + "?client_reference_id=M-7&prefilled_email=a%40b.org")
    assert status == 200
    assert "$45.00" in page and "Monthly dues" in page
    assert "value='M-7'" in page and "a@b.org" in page
    for action in ("card", "card_declined", "ach", "ach_fails"):
        assert f"value={action}>" in page


def test_paying_by_card_from_the_page(stripe_client, make_link) -> None:
    link = make_link(4500, slip="QR-1")
    status, page = fetch(link.url, {"action": "card", "email": "m@example.org", "client_reference_id": "M-9"})
    assert status == 200 and "Thank you" in page and "$45.00" in page
    session = stripe_client.v1.checkout.sessions.list({"payment_link": link.id}).data[0]
    assert session.payment_status == "paid" and session.client_reference_id == "M-9"
    assert session.customer_details.email == "m@example.org"
    # the link is used up now: a clear page, and no second payment
    status, page = fetch(link.url)
    assert status == 410 and "can no longer be paid" in page
    status, _ = fetch(link.url, {"action": "card"})
    assert status == 410
    assert len(stripe_client.v1.charges.list().data) == 1


def test_query_client_reference_id_is_kept(stripe_client, make_link) -> None:
    link = make_link()
    fetch(link.url + "?client_reference_id=REF-5", {"action": "card"})
    assert stripe_client.v1.checkout.sessions.list().data[0].client_reference_id == "REF-5"


def test_declined_card_from_the_page(stripe_client, sandbox, make_link) -> None:
    link = make_link()
    status, page = fetch(link.url, {"action": "card_declined"})
    assert status == 402 and "declined" in page
    assert state(sandbox.base_url)["succeeded_payments_cents"] == 0
    assert fetch(link.url)[0] == 200  # still payable


def test_ach_from_the_page_settles_or_fails_later(stripe_client, sandbox, make_link) -> None:
    from sandbox.testing import control

    ok, bad = make_link(10000, slip="A"), make_link(20000, slip="B")
    status, page = fetch(ok.url, {"action": "ach"})
    assert status == 200 and "processing" in page
    fetch(bad.url, {"action": "ach_fails"})
    assert state(sandbox.base_url)["succeeded_payments_cents"] == 0
    control(sandbox.base_url, "clock", advance_seconds=4 * 86400)
    assert state(sandbox.base_url)["succeeded_payments_cents"] == 10000
    kinds = [e.type for e in stripe_client.v1.events.list({"type": "checkout.session.async_payment_*"}).data]
    assert sorted(kinds) == ["checkout.session.async_payment_failed", "checkout.session.async_payment_succeeded"]


def test_deactivated_link_page(stripe_client, make_link) -> None:
    link = make_link(limit=None)
    stripe_client.v1.payment_links.update(link.id, {"active": False, "inactive_message": "Dues for May are closed."})
    status, page = fetch(link.url)
    assert status == 410 and "Dues for May are closed." in page
    assert fetch(link.url, {"action": "card"})[0] == 410


def test_unknown_link_is_404(sandbox) -> None:
    assert fetch(f"{sandbox.base_url}/pay/plink_nope")[0] == 404
