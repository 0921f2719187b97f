"""Payment slips and their links, against the sandbox."""

import datetime as dt
import sqlite3

import pytest

from helpers import SANDBOX_KEY
from helpers import count, standard_hall
from sandbox.testing import control, state
from treasurer.dues import assess
from treasurer.errors import ValidationError
from treasurer.payments import record_payment
from treasurer.slips import create_slips, idempotency_key, list_slips, void_slip


@pytest.fixture
def books(hall):
    standard_hall(hall, members=3)
    for month in ("2026-08", "2026-09", "2026-10"):
        assess(hall, month)
    record_payment(hall, "1002", 9000, "cash", received_on=dt.date(2026, 9, 5))
    return hall


def test_one_slip_per_member_for_what_they_owe(books, gateway, sandbox_url):
    outcomes, notes = create_slips(books, gateway, "2026-10")
    assert [(o.member_number, o.amount_cents) for o in outcomes] == [("1001", 4500), ("1002", 4500), ("1003", 4500)]
    arrears, _ = create_slips(books, gateway, "2026-10", ["1001"], arrears=True)
    assert arrears[0].amount_cents == 13500 and not arrears[0].reused
    link = gateway.retrieve_payment_link(arrears[0].url.rsplit("/", 1)[1])
    assert link["metadata"] == {"slip_id": str(arrears[0].slip_id), "member_number": "1001",
                                "periods": "2026-08,2026-09,2026-10", "hall": books.setting("install_id")}
    assert link["restrictions"]["completed_sessions"]["limit"] == 1
    assert sorted(link["payment_method_types"]) == ["card", "us_bank_account"]
    # the first slip for 1001 was superseded and its link switched off
    first = next(s for s in list_slips(books) if s.id == outcomes[0].slip_id)
    assert first.status == "superseded"
    assert gateway.retrieve_payment_link(first.link_id)["active"] is False


def test_the_same_command_again_reuses_open_slips(books, gateway, sandbox_url):
    first, _ = create_slips(books, gateway, "2026-10")
    again, _ = create_slips(books, gateway, "2026-10")
    assert [o.slip_id for o in again] == [o.slip_id for o in first] and all(o.reused for o in again)
    assert state(sandbox_url)["counts"]["payment_link"] == 3


def test_a_lost_answer_is_mended_by_running_again(books, gateway, sandbox_url):
    """The slip row is written, the link call dies: the rerun gets the same link from Stripe."""
    control(sandbox_url, "faults", rate_limit=1.0)
    from treasurer.gateway import GatewayError
    with pytest.raises(GatewayError):
        create_slips(books, gateway, "2026-10", ["1003"])
    (slip,) = list_slips(books)
    assert slip.link_id is None and slip.status == "open"
    control(sandbox_url, "faults", rate_limit=0.0)
    (outcome,), _ = create_slips(books, gateway, "2026-10", ["1003"])
    assert outcome.slip_id == slip.id and outcome.url
    assert state(sandbox_url)["counts"]["payment_link"] == 1


def test_idempotency_keys_are_derived_from_the_slip(books):
    assert idempotency_key("abc", 7) == "treasurer-abc-slip-7-link" == idempotency_key("abc", 7)


def test_voiding_switches_the_link_off_and_a_paid_link_refuses_a_second_payment(books, gateway, sandbox_url):
    (a, b), _ = create_slips(books, gateway, "2026-10", ["1001", "1003"])
    void_slip(books, gateway, a.slip_id)
    assert gateway.retrieve_payment_link(a.url.rsplit("/", 1)[1])["active"] is False
    with pytest.raises(ValidationError, match="is void, not open"):
        void_slip(books, gateway, a.slip_id)
    link_b = b.url.rsplit("/", 1)[1]
    control(sandbox_url, f"payment_links/{link_b}/pay", method="card", outcome="succeeded")
    from sandbox.testing import ControlError
    with pytest.raises(ControlError):
        control(sandbox_url, f"payment_links/{link_b}/pay", method="card", outcome="succeeded")


def test_slips_never_lose_their_amount(books, gateway):
    create_slips(books, gateway, "2026-10", ["1001"])
    conn = sqlite3.connect(books.db.sqlite_path)
    with pytest.raises(sqlite3.IntegrityError, match="never changed"):
        conn.execute("UPDATE slips SET amount_cents = 1")
    with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
        conn.execute("DELETE FROM slips")
    conn.close()
    assert count(books, "slips") == 1


def test_the_slips_commands(cli, sandbox_url, monkeypatch):
    monkeypatch.setenv("STRIPE_API_KEY", SANDBOX_KEY)
    monkeypatch.setenv("TREASURER_STRIPE_API_BASE", sandbox_url)
    cli("init", "--hall-name", "IBEW Local 000")
    cli("classes", "add", "Journeyman Wireman", "--rate", "45.00", "--from", "2026-01-01")
    cli("members", "add", "1001", "--first", "Ann", "--last", "Lee", "--class", "Journeyman Wireman")
    cli("members", "add", "1002", "--first", "Bob", "--last", "Ray", "--class", "Journeyman Wireman")
    cli("dues", "assess", "2026-10")
    cli("dues", "assess", "2026-11")
    _, out, _ = cli("slips", "create", "2026-11", "--member", "1001", "--arrears")
    slip_id, number, amount, url = out.split()
    assert (number, amount) == ("1001", "90.00") and url.startswith(sandbox_url + "/pay/plink_")
    _, out, _ = cli("slips", "create", "2026-11")
    lines = [line.split() for line in out.strip().splitlines()]
    assert [(n, a) for _, n, a, _ in lines] == [("1001", "45.00"), ("1002", "45.00")]
    _, out, _ = cli("slips", "list", "--status", "superseded")
    assert slip_id in out.split()
    _, out, _ = cli("slips", "void", lines[1][0])
    assert out.startswith(f"Voided slip {lines[1][0]}")
    monkeypatch.delenv("STRIPE_API_KEY")
    _, _, err = cli("slips", "create", "2026-11", expect=1)
    assert "No Stripe key is set" in err


def test_slips_pdf_from_the_command_line(cli, sandbox_url, monkeypatch, tmp_path):
    """The same rendering as the window's, headless: one page per open slip, each QR the slip's link."""
    import subprocess

    import zxingcpp
    from PySide6.QtGui import QImage

    monkeypatch.setenv("STRIPE_API_KEY", SANDBOX_KEY)
    monkeypatch.setenv("TREASURER_STRIPE_API_BASE", sandbox_url)
    cli("init", "--hall-name", "IBEW Local 000", "--address", "1 Union Plaza")
    cli("classes", "add", "Journeyman Wireman", "--rate", "45.00", "--from", "2026-01-01")
    for number in ("1003", "1001", "1002"):
        cli("members", "add", number, "--first", "A", "--last", number, "--class", "Journeyman Wireman")
    cli("dues", "assess", "2026-11")
    _, out, _ = cli("slips", "create", "2026-11")
    urls = {line.split()[1]: line.split()[3] for line in out.strip().splitlines()}
    pdf = tmp_path / "slips.pdf"
    _, out, _ = cli("slips", "pdf", "--out", str(pdf))
    assert out.strip() == f"Wrote 3 slips on 3 pages to {pdf}."
    subprocess.run(["pdftoppm", "-r", "120", "-png", str(pdf), str(tmp_path / "page")], check=True, timeout=60)
    pages = sorted(tmp_path.glob("page-*.png"))
    decoded = [[c.text for c in zxingcpp.read_barcodes(QImage(str(p)).convertToFormat(QImage.Format.Format_Grayscale8))]
               for p in pages]
    assert decoded == [[urls["1001"]], [urls["1002"]], [urls["1003"]]]  # member-number order
    _, out, _ = cli("slips", "pdf", "--out", str(tmp_path / "three.pdf"), "--layout", "3up")
    assert out.strip().endswith("on 1 page to " + str(tmp_path / "three.pdf") + ".")
    _, _, err = cli("slips", "pdf", "--out", str(tmp_path / "x.pdf"), "--status", "paid", expect=1)
    assert "no paid slips" in err
