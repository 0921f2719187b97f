import sqlite3

import pytest
from helpers import run_treasurer

from treasurer import audit, clock
from treasurer.arrears import members_in_arrears
from treasurer.demo import fill_demo
from treasurer.ledger import standings


def test_a_demo_hall_has_arrears_every_method_and_a_sound_chain(tmp_path, monkeypatch):
    from treasurer.hall import open_hall
    # Mid-month: on the 1st to the 20th the demo's members have not all paid the new month yet.
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-24")
    hall = open_hall(str(tmp_path / "demo"), actor="demo")
    summary = fill_demo(hall, members=150, months=12)
    assert summary.members == 150 and summary.charges > 150 * 8 and summary.payments > 100
    behind = members_in_arrears(hall, 3)
    assert behind and all(a.standing.months_in_arrears >= 3 for a in behind)
    with hall.read() as s:
        methods = {m for (m,) in s.execute(__import__("sqlalchemy").text("SELECT DISTINCT method FROM payments"))}
        assert {"cash", "check", "card", "us_bank_account"} <= methods
        table = standings(s, clock.today())
        assert audit.verify(s).ok
    assert any(st.balance_cents < 0 for st in table.values())  # some overpaid
    assert sum(1 for st in table.values() if st.balance_cents == 0) > 50
    hall.close()


def test_demo_refuses_a_hall_with_members(cli):
    cli("demo", "--members", "20", "--months", "3", "--offline")
    _, _, err = cli("demo", "--members", "20", expect=1)
    assert "already has members" in err


# The whole demo, as its own process on a fresh folder: every screen has something to show. -----------------

DEMO_DAY = "2026-11-24"


@pytest.fixture(scope="module")
def demo_hall(tmp_path_factory):
    """``treasurer demo`` run once as a treasurer would, on a fresh data folder (the books' date pinned)."""
    folder = tmp_path_factory.mktemp("demo-hall")
    done = run_treasurer("demo", "--members", "80", "--months", "12", data_dir=folder,
                         env={"TREASURER_TODAY": DEMO_DAY})
    assert done.returncode == 0, done.stdout + done.stderr
    return folder, done.stdout


def _rows(folder, query: str) -> list[tuple]:
    conn = sqlite3.connect(folder / "treasurer.sqlite3")
    try:
        return conn.execute(query).fetchall()
    finally:
        conn.close()


def _cli(folder, *args: str, env: dict | None = None):
    return run_treasurer(*args, data_dir=folder, env={"TREASURER_TODAY": DEMO_DAY, **(env or {})})


def test_the_demo_says_what_it_made(demo_hall):
    _, out = demo_hall
    assert "2 payouts (1 reconciled)" in out
    assert "On purpose: 1 payout discrepancy (payment_unassigned:payment:" in out
    assert "Waiting in Review: refund re_" in out and "dispute dp_" in out
    assert "gathered in deposit" in out and "lines ticked" in out and "Demo officers" in out


def test_payouts_one_reconciled_one_with_the_unmatched_payment(demo_hall):
    folder, _ = demo_hall
    done = _cli(folder, "reconcile", "--no-sync")
    assert done.returncode == 1, done.stdout + done.stderr       # on purpose: a payout carries an unowned payment
    out = done.stdout
    assert "2 payouts: 1 reconciled, 0 explained, 1 unreconciled; 1 discrepancy open." in out, out
    assert out.count(" RECONCILED ") == 1 and out.count(" UNRECONCILED ") == 1
    assert "payment_unassigned:payment:" in out and "Online payments no member owns: 1, $52.00" in out
    assert "in the Stripe balance, not yet paid out" in out
    # Everything came from Stripe through the sync: payouts with their balance transactions, charges and fees.
    assert _rows(folder, "SELECT count(*), min(status), max(status) FROM payouts") == [(2, "paid", "paid")]
    assert _rows(folder, "SELECT count(DISTINCT payout_id) FROM balance_transactions") == [(2,)]
    assert _rows(folder, "SELECT count(*) FROM stripe_events")[0][0] >= 10


def test_review_has_a_refund_a_dispute_an_unmatched_payment_and_a_credit(demo_hall):
    folder, _ = demo_hall
    kinds = dict(_rows(folder, "SELECT kind, count(*) FROM review_items WHERE resolved_at IS NULL GROUP BY kind"))
    assert kinds == {"refund": 1, "dispute": 1, "unmatched_payment": 1, "overpayment": 1}, kinds
    (refund,) = _rows(folder, "SELECT stripe_refund_id, amount_cents, status FROM refunds")
    assert refund[0].startswith("re_") and refund[1:] == (2000, "succeeded")
    (dispute,) = _rows(folder, "SELECT stripe_dispute_id, status FROM disputes")
    assert dispute[0].startswith("dp_") and dispute[1] == "needs_response"
    # The unmatched payment: online, completed, no member.
    assert _rows(folder, "SELECT amount_cents, method FROM payments WHERE member_id IS NULL AND status = 'completed' "
                         "AND stripe_charge_id IS NOT NULL") == [(5200, "card")]
    listed = _cli(folder, "review", "list")
    assert listed.returncode == 0, listed.stderr
    for label in ("Refund", "Dispute", "Unmatched payment", "Credit", "Awaiting approval"):
        assert label in listed.stdout
    online = dict(_rows(folder, "SELECT method, count(*) FROM payments WHERE stripe_payment_intent_id IS NOT NULL "
                                "GROUP BY method"))
    assert online["card"] >= 3 and online["us_bank_account"] == 1
    slips = dict(_rows(folder, "SELECT status, count(*) FROM slips GROUP BY status"))
    assert slips["paid"] >= 3 and slips["open"] >= 1


def test_cash_and_checks_in_a_batch_and_a_statement_partly_ticked(demo_hall):
    folder, _ = demo_hall
    (open_batch,) = _rows(folder, "SELECT id FROM deposit_batches WHERE status = 'open'")
    methods = {m for (m,) in _rows(folder, f"SELECT DISTINCT p.method FROM deposit_items i JOIN payments p ON "
                                           f"p.id = i.payment_id WHERE i.batch_id = {open_batch[0]}")}
    assert {"cash", "check"} <= methods
    assert _rows(folder, "SELECT count(*) FROM deposit_batches WHERE status = 'deposited'")[0][0] >= 6
    status = _cli(folder, "bank", "status")
    assert status.returncode == 0, status.stderr
    assert "(in progress)" in status.stdout and "[x] deposit:" in status.stdout and "[x] payout:" in status.stdout
    assert "[ ] payout:" in status.stdout and "[ ] entry:" in status.stdout
    assert _rows(folder, "SELECT count(*) FROM bank_reconciliations WHERE status = 'finished'")[0][0] >= 1


def test_the_demo_books_verify_and_the_sandbox_kept_the_same_stripe_account(demo_hall):
    from sandbox.server import SandboxThread

    folder, _ = demo_hall
    verified = _cli(folder, "audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    # The window's sandbox mode reads the same state file: Stripe there knows exactly what the books know.
    with SandboxThread(port=0, state_file=folder / "sandbox-state.json") as sb:
        done = _cli(folder, "reconcile", env={"STRIPE_API_KEY": "sk_test_sandbox_local_0000",
                                              "TREASURER_STRIPE_API_BASE": sb.base_url})
    assert done.returncode == 1, done.stdout + done.stderr
    assert "2 payouts: 1 reconciled, 0 explained, 1 unreconciled; 1 discrepancy open." in done.stdout


def test_the_demo_is_the_same_each_time(demo_hall, tmp_path):
    folder, _ = demo_hall
    again = run_treasurer("demo", "--members", "80", "--months", "12", data_dir=tmp_path / "again",
                          env={"TREASURER_TODAY": DEMO_DAY})
    assert again.returncode == 0, again.stderr
    query = ("SELECT m.member_number, p.amount_cents, p.method FROM payments p LEFT JOIN members m ON "
             "m.id = p.member_id ORDER BY p.id")
    assert _rows(folder, query) == _rows(tmp_path / "again", query)


def test_with_a_sandbox_already_named_the_demo_pays_there(tmp_path, sandbox_url, gateway):
    """'treasurer sandbox serve' running and named in the environment: the demo's payments go to that one, where
    'treasurer sync' and 'slips create' will look, and no sandbox of its own is started."""
    from helpers import SANDBOX_KEY

    done = run_treasurer("demo", "--members", "60", "--months", "6", data_dir=tmp_path / "hall",
                         env={"STRIPE_API_KEY": SANDBOX_KEY, "TREASURER_STRIPE_API_BASE": sandbox_url})
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"offline Stripe sandbox ({sandbox_url})" in done.stdout
    assert not (tmp_path / "hall" / "sandbox-state.json").exists()
    assert len(list(gateway.payouts())) == 2
