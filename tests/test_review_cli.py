"""``treasurer review`` and ``treasurer reconcile`` through the command line, in separate processes, against the
offline sandbox: every kind of review item listed, shown and settled with the window's rules and PINs."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from helpers import PAT_PIN, SAM_PIN, SANDBOX_KEY, officers, run_treasurer, standard_hall
from sandbox.testing import control, pay
from treasurer.adjustments import request_adjustment
from treasurer.dues import assess
from treasurer.ledger import member_standing
from treasurer.models import AuditEntry, Member, ReviewItem
from treasurer.slips import create_slips
from treasurer.sync import catch_up

DAY = 86400


@dataclasses.dataclass
class Books:
    hall: object
    gateway: object
    url: str
    dir: object

    def cli(self, *args: str, stdin: str | None = None):
        return run_treasurer(*args, data_dir=self.dir, stdin=stdin,
                             env={"STRIPE_API_KEY": SANDBOX_KEY, "TREASURER_STRIPE_API_BASE": self.url})

    def items(self, kind: str | None = None, open_only: bool = True) -> list[ReviewItem]:
        with self.hall.read() as s:
            query = select(ReviewItem).order_by(ReviewItem.id)
            if open_only:
                query = query.where(ReviewItem.resolved_at.is_(None))
            if kind:
                query = query.where(ReviewItem.kind == kind)
            rows = list(s.scalars(query))
            for r in rows:
                s.expunge(r)
            return rows

    def audit_actions(self) -> list[str]:
        with self.hall.read() as s:
            return list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)))

    def balance(self, number: str) -> int:
        with self.hall.read() as s:
            member = s.scalar(select(Member).where(Member.member_number == number))
            from treasurer import clock
            return member_standing(s, member.id, clock.today()).balance_cents


def _pay_slip(b: Books, member: str) -> str:
    (slip,), _ = create_slips(b.hall, b.gateway, "2026-10", [member], arrears=True)
    session = pay(b.url, slip.url.rsplit("/", 1)[1])
    catch_up(b.hall, b.gateway)
    intent = b.gateway.retrieve_payment_intent(session["payment_intent"])
    latest = intent["latest_charge"]
    return latest if isinstance(latest, str) else latest["id"]


def _stray(b: Books, number: str, amount: int, key: str) -> None:
    """A payment through a link that is no slip: for a number not on the roll it is unmatched."""
    link = b.gateway.create_payment_link({
        "line_items": [{"price_data": {"currency": "usd", "unit_amount": amount,
                                       "product_data": {"name": "Dues"}}, "quantity": 1}],
        "metadata": {"member_number": number}, "payment_intent_data": {"metadata": {"member_number": number}},
    }, key)
    pay(b.url, link["id"])
    catch_up(b.hall, b.gateway)


@pytest.fixture
def books(hall, gateway, sandbox_url) -> Books:
    """A refund made in Stripe's dashboard, a lost dispute, an unmatched payment, a credit, an adjustment."""
    standard_hall(hall, members=4)
    officers(hall)
    assess(hall, "2026-10")
    b = Books(hall, gateway, sandbox_url, hall.data_path)
    charge1 = _pay_slip(b, "1001")
    charge2 = _pay_slip(b, "1002")
    control(sandbox_url, f"charges/{charge1}/refund", amount=2000)
    dispute = control(sandbox_url, f"charges/{charge2}/dispute", reason="fraudulent")
    control(sandbox_url, f"disputes/{dispute['id']}/close", outcome="lost")
    _stray(b, "7777", 4500, "stray-7777")
    _stray(b, "1003", 10000, "stray-1003")      # $100 against $45 owed: a credit
    request_adjustment(hall, "1004", 1000, "waiver", "hardship", "Pat Morales", pin=PAT_PIN)
    catch_up(hall, gateway)
    control(sandbox_url, "clock", advance_seconds=3 * DAY)
    control(sandbox_url, "payouts")
    return b


def test_review_list_shows_every_kind_with_amount_and_member(books):
    done = books.cli("review", "list")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for label in ("Unmatched payment", "Refund", "Dispute", "Credit", "Awaiting approval"):
        assert label in out, out
    (unmatched,) = books.items("unmatched_payment")
    line = next(x for x in out.splitlines() if x.lstrip().startswith(f"{unmatched.id} "))
    assert "$45.00" in line and "no member" in line
    refund_line = next(x for x in out.splitlines() if "Refund" in x)
    assert "$20.00" in refund_line and "1001 First0 Last0" in refund_line     # the member the refund touches
    assert "adjustment:" in out and "hardship" in out
    only = books.cli("review", "list", "--kind", "Dispute")                   # choices are case-insensitive
    assert only.returncode == 0 and "Refund" not in only.stdout and "Dispute" in only.stdout


def test_review_show_each_kind(books):
    for item in books.items():
        done = books.cli("review", "show", str(item.id))
        assert done.returncode == 0, done.stderr
        assert f"Review item {item.id}" in done.stdout and item.summary in done.stdout
        assert "settle it: treasurer review" in done.stdout
    (unmatched,) = books.items("unmatched_payment")
    shown = books.cli("review", "show", str(unmatched.id)).stdout
    assert "amount: $45.00" in shown and "member: no member" in shown and "review assign" in shown
    adjustment = books.cli("review", "list").stdout.split("adjustment:")[1].split()[0]
    shown = books.cli("review", "show", f"adjustment:{adjustment}")
    assert shown.returncode == 0 and "1004" in shown.stdout and "Pat Morales" in shown.stdout
    missing = books.cli("review", "show", "9999")
    assert missing.returncode == 1 and "There is no review item 9999" in missing.stderr
    bad = books.cli("review", "show", "twelve")
    assert bad.returncode == 1 and "is not a review item" in bad.stderr


def test_assign_an_unmatched_payment_with_a_pin(books):
    (item,) = books.items("unmatched_payment")
    before = books.audit_actions()
    wrong = books.cli("review", "assign", str(item.id), "1003", "--note", "phoned", "--officer", "Pat Morales",
                      "--pin-stdin", stdin="000000\n")
    assert wrong.returncode == 1 and "error: The PIN for Pat Morales is not right." in wrong.stderr
    assert books.items("unmatched_payment") and "payment.assign" not in books.audit_actions()
    assert [a for a in books.audit_actions()[len(before):] if a != "officer.pin_wrong"] == []
    refused = books.cli("review", "resolve", str(item.id), "--note", "it was hers")
    assert refused.returncode == 1 and "review assign" in refused.stderr
    balance = books.balance("1003")
    done = books.cli("review", "assign", str(item.id), "1003", "--note", "phoned the hall: it was hers",
                     "--officer", "Pat Morales", "--pin-stdin", stdin=f"{PAT_PIN}\n")
    assert done.returncode == 0, done.stderr
    assert "assigned to member 1003 by Pat Morales" in done.stdout
    assert books.items("unmatched_payment") == [] and books.balance("1003") == balance - 4500
    assert "payment.assign" in books.audit_actions()
    (closed,) = books.items("unmatched_payment", open_only=False)
    assert closed.resolved_by == "Pat Morales" and "phoned the hall" in closed.resolution


def test_acknowledge_a_dashboard_refund_with_a_pin(books):
    (item,) = books.items("refund")
    no_officer = books.cli("review", "resolve", str(item.id), "--note", "agreed with the member")
    assert no_officer.returncode == 1 and "an officer must do it with their PIN; nothing was changed." in \
        no_officer.stderr
    wrong = books.cli("review", "resolve", str(item.id), "--note", "agreed", "--officer", "Pat Morales",
                      "--pin-stdin", stdin="999999\n")
    assert wrong.returncode == 1 and "The PIN for Pat Morales is not right." in wrong.stderr
    assert books.items("refund") and books.balance("1001") == 0
    done = books.cli("review", "resolve", str(item.id), "--note", "agreed with the member", "--officer",
                     "Pat Morales", "--pin-stdin", stdin=f"{PAT_PIN}\n")
    assert done.returncode == 0, done.stderr
    assert books.items("refund") == [] and books.balance("1001") == 2000     # owes again what was given back
    assert "adjustment.post" in books.audit_actions() and "review.resolve" in books.audit_actions()


def test_resolve_a_lost_dispute_with_a_pin(books):
    lost = next(i for i in books.items("dispute") if i.ref.endswith(":lost"))
    wrong = books.cli("review", "resolve", str(lost.id), "--note", "member told", "--officer", "Sam Okafor",
                      "--pin-stdin", stdin=f"{PAT_PIN}\n")
    assert wrong.returncode == 1 and "The PIN for Sam Okafor is not right." in wrong.stderr
    assert books.balance("1002") == 0
    done = books.cli("review", "resolve", str(lost.id), "--note", "member told; owes again", "--officer",
                     "Sam Okafor", "--pin-stdin", stdin=f"{SAM_PIN}\n")
    assert done.returncode == 0, done.stderr
    assert books.balance("1002") == 4500
    again = books.cli("review", "resolve", str(lost.id), "--note", "twice", "--officer", "Sam Okafor",
                      "--pin-stdin", stdin=f"{SAM_PIN}\n")
    assert again.returncode == 1 and "already resolved by Sam Okafor" in again.stderr


def test_a_credit_is_resolved_with_a_note_alone_and_an_adjustment_is_decided(books):
    (credit,) = books.items("overpayment")
    no_note = books.cli("review", "resolve", str(credit.id))
    assert no_note.returncode == 1 and "needs a note" in no_note.stderr
    done = books.cli("review", "resolve", str(credit.id), "--note", "credit kept for next month")
    assert done.returncode == 0, done.stderr
    assert books.items("overpayment") == []
    assert "item(s)" not in done.stdout and re.search(r"\d+ items? still waits? for review\.|Nothing else",
                                                      done.stdout), done.stdout
    adjustment = books.cli("review", "list").stdout.split("adjustment:")[1].split()[0]
    own = books.cli("review", "resolve", f"adjustment:{adjustment}", "--approve", "--officer", "Pat Morales",
                    "--pin-stdin", stdin=f"{PAT_PIN}\n")
    assert own.returncode == 1 and books.balance("1004") == 4500                 # not the requester
    ok = books.cli("review", "resolve", f"adjustment:{adjustment}", "--approve", "--officer", "Sam Okafor",
                   "--pin-stdin", stdin=f"{SAM_PIN}\n")
    assert ok.returncode == 0, ok.stderr
    assert books.balance("1004") == 3500 and "adjustment:" not in books.cli("review", "list").stdout


def test_reconcile_fails_while_a_payout_carries_a_payment_no_member_owns(books):
    done = books.cli("reconcile")
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert " RECONCILED " not in out and "UNRECONCILED" in out
    assert "payment_unassigned:payment:" in out and "no member owns" in out
    assert "Online payments no member owns: 1, $45.00" in out
    assert "Open review items that touch money:" in out and "$20.00" in out
    key = next(line.split()[0] for line in out.splitlines() if line.startswith("payment_unassigned:"))
    from treasurer.reconcile import open_discrepancy_count, reconcile
    assert open_discrepancy_count(books.hall) == len(reconcile(books.hall).open_discrepancies) == 3
    note = books.cli("discrepancy", "resolve", key, "--note", "we will look")
    assert note.returncode == 1 and "not settled with a note" in note.stderr
    # Every review item settled: the payout reconciles and reconcile exits 0.
    (item,) = books.items("unmatched_payment")
    assert books.cli("review", "assign", str(item.id), "1003", "--note", "hers", "--officer", "Pat Morales",
                     "--pin-stdin", stdin=f"{PAT_PIN}\n").returncode == 0
    for other in books.items():
        args = ["--officer", "Pat Morales", "--pin-stdin"] if other.kind in ("refund", "dispute") else []
        assert books.cli("review", "resolve", str(other.id), "--note", "handled", *args,
                         stdin=f"{PAT_PIN}\n").returncode == 0
    done = books.cli("reconcile")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no member owns" not in done.stdout and "touch money" not in done.stdout


def test_every_review_command_has_an_example_and_help_for_each_option():
    import subprocess
    import sys
    from pathlib import Path

    exe = Path(sys.executable).with_name("treasurer")
    for command in ("list", "show", "resolve", "assign"):
        text = subprocess.run([str(exe), "review", command, "--help"], capture_output=True, text=True).stdout
        assert "examples:" in text and f"treasurer review {command}" in text
    text = subprocess.run([str(exe), "review", "--help"], capture_output=True, text=True).stdout
    assert "examples:" in text


from test_postgres import db_url  # noqa: E402,F401  (SQLite, and PostgreSQL when TREASURER_TEST_POSTGRES_URL is set)


def test_reconcile_and_assign_on_each_database(db_url, gateway, sandbox_url, tmp_path):  # noqa: F811
    """The count the dashboard runs in the database agrees with the reconciliation, on SQLite and PostgreSQL."""
    from treasurer.hall import init_hall, open_hall
    from treasurer.payouts import sync_payouts
    from treasurer.reconcile import open_discrepancy_count, reconcile

    hall = open_hall(str(tmp_path / "hall"), db_url, actor="tester")
    try:
        init_hall(hall, "IBEW Local 000", "usd")
        standard_hall(hall, members=2)
        officers(hall)
        assess(hall, "2026-10")
        b = Books(hall, gateway, sandbox_url, tmp_path / "hall")
        _pay_slip(b, "1001")
        _stray(b, "7777", 4500, "stray-pg")
        control(sandbox_url, "clock", advance_seconds=3 * DAY)
        control(sandbox_url, "payouts")
        sync_payouts(hall, gateway)
        result = reconcile(hall)
        assert [d.kind for d in result.open_discrepancies] == ["payment_unassigned"]
        assert open_discrepancy_count(hall) == 1 and [u.amount_cents for u in result.unassigned_in_payouts] == [4500]
        # The only thing wrong is a paid-out payment no member owns: the old reconcile said RECONCILED, exit 0.
        told = b.cli("--database-url", db_url, "reconcile", "--no-sync")
        assert told.returncode == 1 and " RECONCILED " not in told.stdout and "UNRECONCILED" in told.stdout
        assert "Online payments no member owns: 1, $45.00" in told.stdout
        assert "Not reconciled: 1 paid-out payment is owned by no member." in told.stdout
        (item,) = b.items("unmatched_payment")
        done = b.cli("--database-url", db_url, "review", "assign", str(item.id), "1002", "--note", "his",
                     "--officer", "Pat Morales", "--pin-stdin", stdin=f"{PAT_PIN}\n")
        assert done.returncode == 0, done.stderr
        assert reconcile(hall).ok and open_discrepancy_count(hall) == 0 and reconcile(hall).unassigned == ()
        told = b.cli("--database-url", db_url, "reconcile", "--no-sync")
        assert told.returncode == 0 and " RECONCILED " in told.stdout, told.stdout + told.stderr
    finally:
        hall.close()
