"""Stripe payouts reconciled with the ledger, against the offline sandbox over HTTP."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from helpers import PAT, SANDBOX_KEY, count, officers, raw, standard_hall
from sandbox.testing import control, pay
from treasurer import clock
from treasurer.dues import assess
from treasurer.errors import NotFound, ValidationError
from treasurer.members import MemberData, add_member
from treasurer.models import AuditEntry, Payment, Payout
from treasurer.recording import apply_refund
from treasurer.payouts import sync_payouts
from treasurer.reports import period_report_session
from treasurer.reconcile import open_discrepancy_count, reconcile, resolve_discrepancy
from treasurer.review import acknowledge_refund, open_items, resolve
from treasurer.slips import create_slips
from treasurer.sync import catch_up

DAY = 86400


@dataclasses.dataclass
class Month:
    hall: object
    gateway: object
    url: str
    intents: dict[str, str]     # member number -> payment intent
    charges: dict[str, str]     # member number -> charge
    payouts: list[dict]


def _pay(hall, gateway, url, member, method="card", record=True, period="2026-10"):
    (slip,), _ = create_slips(hall, gateway, period, [member], arrears=True)
    session = pay(url, slip.url.rsplit("/", 1)[1], method=method)
    pi = session["payment_intent"]
    if method == "us_bank_account":
        control(url, f"payment_intents/{pi}/settle")
    if record:
        catch_up(hall, gateway)
    intent = gateway.retrieve_payment_intent(pi)
    latest = intent["latest_charge"]
    return pi, latest if isinstance(latest, str) else latest["id"]


def _advance(url, days=3):
    control(url, "clock", advance_seconds=days * DAY)


def _review_all(hall):
    for item in open_items(hall):
        item_id = int(item.key.split(":")[1])
        if item.kind == "refund":
            acknowledge_refund(hall, item_id, "refund agreed with the member", **PAT)
        elif item.kind == "dispute":
            resolve(hall, item_id, "dispute handled", **PAT)


@pytest.fixture
def month(hall, gateway, sandbox_url) -> Month:
    """A month: five payments (one ACH), fees, a partial refund, a lost dispute, two payouts."""
    standard_hall(hall, members=6)
    officers(hall)
    for period in ("2026-09", "2026-10"):
        assess(hall, period)
    m = Month(hall, gateway, sandbox_url, {}, {}, [])
    for member in ("1001", "1002", "1003"):
        m.intents[member], m.charges[member] = _pay(hall, gateway, sandbox_url, member)
    _advance(sandbox_url)
    m.payouts.append(control(sandbox_url, "payouts"))
    control(sandbox_url, f"charges/{m.charges['1001']}/refund", amount=2000)
    dispute = control(sandbox_url, f"charges/{m.charges['1002']}/dispute", reason="fraudulent")
    control(sandbox_url, f"disputes/{dispute['id']}/close", outcome="lost")
    m.intents["1004"], m.charges["1004"] = _pay(hall, gateway, sandbox_url, "1004")
    m.intents["1005"], m.charges["1005"] = _pay(hall, gateway, sandbox_url, "1005", method="us_bank_account")
    catch_up(hall, gateway)
    _advance(sandbox_url)
    m.payouts.append(control(sandbox_url, "payouts"))
    return m


def _kinds(result):
    return sorted((d.kind, d.ref) for d in result.open_discrepancies)


def test_a_month_reconciles_to_the_cent(month):
    hall = month.hall
    _review_all(hall)
    synced = sync_payouts(hall, month.gateway)
    assert (synced.payouts_seen, synced.new_payouts) == (2, 2)
    result = reconcile(hall)
    assert result.discrepancies == () and result.ok
    first, second = result.payouts
    assert [p.state for p in result.payouts] == ["reconciled", "reconciled"]
    assert first.stripe_payout_id == month.payouts[0]["id"]
    # Three card payments of 90.00 each: 2.9% + 30c = 2.91 in fees each.
    assert (first.gross_cents, first.fee_cents, first.refund_cents, first.dispute_cents) == (27000, 873, 0, 0)
    assert first.net_cents == first.amount_cents == 27000 - 873 == month.payouts[0]["amount"]
    assert len(first.payment_ids) == 3
    # Second: a card and an ACH payment (0.8%: 72c), the partial refund, the lost dispute and its $15 fee.
    assert second.gross_cents == 18000 and second.refund_cents == -2000 and second.dispute_cents == -9000
    assert second.fee_cents == 291 + 72 + 1500
    assert second.net_cents == second.amount_cents == month.payouts[1]["amount"]
    assert second.net_cents == 18000 - 2000 - 9000 - (291 + 72 + 1500)
    assert result.total("fee_cents") == 873 + 1863
    assert open_discrepancy_count(hall) == 0
    # The books show gross dues, Stripe's fees (the hall's expense) and net deposits separately.
    with hall.read() as s:
        report = period_report_session(s, "all", dt.date(2000, 1, 1), dt.date(2100, 1, 1))
    assert report.stripe_gross_cents == 27000 + 18000 and report.fee_cents == 873 + 1863
    assert report.payouts_cents == first.amount_cents + second.amount_cents
    # Re-syncing stores nothing twice.
    again = sync_payouts(hall, month.gateway)
    assert (again.new_payouts, again.transactions_stored, again.status_changes) == (0, 0, ())
    assert count(hall, "balance_transactions") == (3 + 1) + (4 + 1)  # lines plus each payout's own
    # Every online payment was paid out: nothing was left to look for in the Stripe balance.
    assert count(hall, "balance_lines_seen") == 0 and result.in_balance == ()


def test_the_ledger_may_know_only_the_payment_intent(month, sandbox_url):
    """The charge's payment intent comes from the balance transaction's expanded source."""
    hall = month.hall
    _review_all(hall)
    pi, charge = _pay(hall, month.gateway, sandbox_url, "1006", record=False)
    with hall.write() as tx:  # recorded by hand from the payment intent alone: no charge id
        p = Payment(member_id=6, amount_cents=9000, method="card", status="completed", received_on=clock.today(),
                    reference=pi, recorded_by="tester", created_at=clock.stamp(), stripe_payment_intent_id=pi)
        tx.session.add(p)
        tx.session.flush()
        tx.audit("payment.record", "payment", p.id, None, {"amount_cents": 9000})
    _advance(sandbox_url)
    control(sandbox_url, "payouts")
    sync_payouts(hall, month.gateway)
    result = reconcile(hall)
    assert result.discrepancies == ()
    assert result.payouts[-1].payment_ids == (p.id,) and result.payouts[-1].state == "reconciled"
    rows = raw(hall).execute("SELECT charge_id, payment_intent_id FROM balance_transactions "
                             "WHERE type IN ('charge', 'payment')").fetchall()
    assert (charge, pi) in rows


def test_a_stripe_payment_missing_from_the_ledger(month, sandbox_url):
    hall = month.hall
    _review_all(hall)
    pi, charge = _pay(hall, month.gateway, sandbox_url, "1006", record=False)
    _advance(sandbox_url)
    control(sandbox_url, "payouts")
    sync_payouts(hall, month.gateway)
    result = reconcile(hall)
    (d,) = result.open_discrepancies
    assert d.kind == "missing_from_ledger" and charge in d.stripe_object and pi in d.stripe_object
    assert "books have no payment" in d.explanation and d.ledger_row is None and d.stripe_amount_cents == 9000
    assert [p.state for p in result.payouts] == ["reconciled", "reconciled", "unreconciled"]


def test_a_ledger_payment_stripe_does_not_know(month):
    hall = month.hall
    _review_all(hall)
    with hall.write() as tx:
        p = Payment(member_id=1, amount_cents=4500, method="card", status="completed",
                    received_on=clock.today() - dt.timedelta(days=20), reference="pi_ghost",
                    recorded_by="tester", created_at=clock.stamp(), stripe_payment_intent_id="pi_ghost")
        tx.session.add(p)
        tx.session.flush()
        tx.audit("payment.record", "payment", p.id, None, {"amount_cents": 4500})
        # Too recent to expect in a payout: not reported.
        tx.session.add(Payment(member_id=1, amount_cents=4500, method="card", status="completed",
                               received_on=clock.today() - dt.timedelta(days=2), reference="pi_recent",
                               recorded_by="tester", created_at=clock.stamp(), stripe_payment_intent_id="pi_recent"))
    sync_payouts(hall, month.gateway)
    (d,) = reconcile(hall).open_discrepancies
    assert (d.kind, d.ref, d.ledger_row, d.ledger_amount_cents) == ("unknown_to_stripe", f"payment:{p.id}",
                                                                   f"payment:{p.id}", 4500)
    assert "no Stripe payout contains it" in d.explanation and "pi_ghost" in d.explanation


def test_a_payment_still_in_the_stripe_balance_is_not_unknown_to_stripe(month, sandbox_url):
    """Payouts paused: ten days on, two payments' money is still in the Stripe balance, which is no discrepancy."""
    hall, gateway = month.hall, month.gateway
    _review_all(hall)
    add_member(hall, MemberData("1007", "First6", "Seventh", "Journeyman Wireman", join_date=dt.date(2020, 1, 1)))
    for period in ("2026-09", "2026-10"):
        assess(hall, period)
    _, charge = _pay(hall, gateway, sandbox_url, "1006")                   # recorded by the relay
    pi, _ = _pay(hall, gateway, sandbox_url, "1007", method="us_bank_account", record=False)
    with hall.read() as s:
        card = s.scalar(select(Payment).where(Payment.stripe_charge_id == charge))
    day = card.received_on
    with hall.write() as tx:  # the ACH payment typed in by hand from its payment intent alone
        ach = Payment(member_id=7, amount_cents=9000, method="us_bank_account", status="completed", received_on=day,
                      reference=pi, recorded_by="tester", created_at=clock.stamp(), stripe_payment_intent_id=pi)
        ghost = Payment(member_id=1, amount_cents=4500, method="card", status="completed",
                        received_on=day - dt.timedelta(days=20), reference="pi_ghost", recorded_by="tester",
                        created_at=clock.stamp(), stripe_payment_intent_id="pi_ghost")
        tx.session.add_all([ach, ghost])
        tx.session.flush()
    later = day + dt.timedelta(days=10)
    synced = sync_payouts(hall, gateway)
    result = reconcile(hall, today=later)
    # Only the payment Stripe has never seen is unknown to it; the two in the balance are not discrepancies.
    assert [(d.kind, d.ref) for d in result.open_discrepancies] == [("unknown_to_stripe", f"payment:{ghost.id}")]
    assert "pi_ghost" in result.open_discrepancies[0].explanation
    assert open_discrepancy_count(hall, today=later) == 1
    assert synced.balance_lines_stored == 2 and "2 seen in the Stripe balance, not yet paid out" in synced.summary()
    assert sorted((p.payment_id, p.amount_cents, p.stripe_amount_cents) for p in result.in_balance) == [
        (card.id, 9000, 9000), (ach.id, 9000, 9000)]
    assert result.in_balance_cents == 18000
    assert {p.stripe_object for p in result.in_balance} >= {charge}
    assert all(p.available_on is not None and p.received_on == day for p in result.in_balance)
    # Re-syncing stores nothing twice; the lines seen are never changed or deleted.
    again = sync_payouts(hall, gateway)
    assert again.balance_lines_stored == 0 and count(hall, "balance_lines_seen") == 2
    conn = raw(hall)
    with pytest.raises(Exception, match="never changed"):
        conn.execute("UPDATE balance_lines_seen SET amount_cents = 1")
    with pytest.raises(Exception, match="never deleted"):
        conn.execute("DELETE FROM balance_lines_seen")
    conn.close()
    # Once a payout carries them they reconcile as before, and the balance holds nothing of the books'.
    _advance(sandbox_url)
    po = control(sandbox_url, "payouts")
    sync_payouts(hall, gateway)
    result = reconcile(hall, today=later)
    assert result.in_balance == () and result.in_balance_cents == 0
    assert [(d.kind, d.ref) for d in result.open_discrepancies] == [("unknown_to_stripe", f"payment:{ghost.id}")]
    assert open_discrepancy_count(hall, today=later) == 1
    third = result.payouts[-1]
    assert third.stripe_payout_id == po["id"] and third.state == "reconciled"
    assert sorted(third.payment_ids) == [card.id, ach.id] and third.gross_cents == 18000
    assert count(hall, "balance_lines_seen") == 2


def test_an_amount_that_differs(month, sandbox_url):
    hall = month.hall
    _review_all(hall)
    pi, _ = _pay(hall, month.gateway, sandbox_url, "1006", record=False)
    with hall.write() as tx:  # someone typed the online payment in by hand, for the wrong amount
        tx.session.add(Payment(member_id=6, amount_cents=8000, method="card", status="completed",
                               received_on=clock.today(), reference=pi, recorded_by="tester",
                               created_at=clock.stamp(), stripe_payment_intent_id=pi))
    _advance(sandbox_url)
    control(sandbox_url, "payouts")
    sync_payouts(hall, month.gateway)
    (d,) = reconcile(hall).open_discrepancies
    assert d.kind == "amount_differs" and (d.stripe_amount_cents, d.ledger_amount_cents) == (9000, 8000)
    assert "$90.00" in d.explanation and "$80.00" in d.explanation


def test_a_refund_not_yet_reviewed(month):
    hall = month.hall
    for item in open_items(hall):
        if item.kind == "dispute":
            resolve(hall, int(item.key.split(":")[1]), "handled", **PAT)
    sync_payouts(hall, month.gateway)
    (d,) = reconcile(hall).open_discrepancies
    assert d.kind == "refund_unreviewed" and d.ref.startswith("re_") and d.stripe_amount_cents == -2000
    assert "review item is still open" in d.explanation


def test_a_dispute_not_yet_reviewed(month):
    hall = month.hall
    for item in open_items(hall):
        if item.kind == "refund":
            acknowledge_refund(hall, int(item.key.split(":")[1]), "agreed", **PAT)
    sync_payouts(hall, month.gateway)
    (d,) = reconcile(hall).open_discrepancies
    assert d.kind == "dispute_unreviewed" and d.ref.startswith("dp_") and "lost" in d.explanation


def test_a_payout_that_failed_after_showing_paid(month, stripe_sandbox):
    hall = month.hall
    _review_all(hall)
    sync_payouts(hall, month.gateway)
    po = month.payouts[1]["id"]
    # Stripe's side: the bank sent the payout back days after it showed paid.
    stored = stripe_sandbox.server.core.store.get("payout", po)
    stored.update(status="failed", failure_code="account_closed")
    synced = sync_payouts(hall, month.gateway)
    assert synced.status_changes == (f"{po}: paid -> failed",)
    (d,) = reconcile(hall).open_discrepancies
    assert (d.kind, d.ref) == ("payout_failed", po)
    assert "did not reach the bank" in d.explanation and "account_closed" in d.explanation
    with hall.read() as s:
        row = s.scalar(select(Payout).where(Payout.stripe_payout_id == po))
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "payout.status"))
    assert row.status == "failed" and row.shown_paid and '"failed"' in entry.after_json
    # The amount can never change behind the app's back.
    conn = raw(hall)
    with pytest.raises(Exception, match="never changed"):
        conn.execute("UPDATE payouts SET amount_cents = 1 WHERE stripe_payout_id = ?", (po,))
    with pytest.raises(Exception, match="never"):
        conn.execute("DELETE FROM balance_transactions")
    conn.close()


def _stripe_gives_back(stripe_sandbox, txn_type: str, category: str, source: str, amount: int) -> dict:
    """Stripe's side of a failure: a balance transaction returning ``amount`` to the balance (the next payout's).

    Made in the in-process sandbox's store, as the payout failure above is: the sandbox has no control for it.
    """
    from sandbox import objects

    store = stripe_sandbox.server.core.store
    created = store.created()
    return store.add(objects.balance_transaction(
        created, amount=amount, fee=0, fee_details=[], currency="usd", source=source, type=txn_type,
        reporting_category=category, available_on=created, status="available", description=None))


def _failed_payout_returned(month, stripe_sandbox, sandbox_url) -> tuple[str, str]:
    """Payout 2 fails after showing paid; its money and a new payment go out in payout 3."""
    failed = month.payouts[1]
    txn = _stripe_gives_back(stripe_sandbox, "payout_failure", "payout_reversal", failed["id"], failed["amount"])
    stripe_sandbox.server.core.store.get("payout", failed["id"]).update(
        status="failed", failure_code="account_closed", failure_balance_transaction=txn["id"])
    _pay(month.hall, month.gateway, sandbox_url, "1006")
    _advance(sandbox_url)
    again = control(sandbox_url, "payouts")
    assert again["amount"] == failed["amount"] + 9000 - 291
    return failed["id"], again["id"]


def test_a_failed_payouts_money_paid_out_again_is_matched(month, stripe_sandbox, sandbox_url):
    hall = month.hall
    _review_all(hall)
    sync_payouts(hall, month.gateway)
    failed, again = _failed_payout_returned(month, stripe_sandbox, sandbox_url)
    synced = sync_payouts(hall, month.gateway)
    assert synced.status_changes == (f"{failed}: paid -> failed",)
    result = reconcile(hall)
    # Only the failed payout itself is open; the payout that carries its money back reconciles.
    (d,) = result.open_discrepancies
    assert (d.kind, d.ref) == ("payout_failed", failed) and f"paid it out again in {again}" in d.explanation
    assert open_discrepancy_count(hall) == 1
    first, second, third = result.payouts
    assert [p.state for p in result.payouts] == ["reconciled", "unreconciled", "reconciled"]
    assert third.stripe_payout_id == again and third.net_cents == third.amount_cents
    assert (third.gross_cents, third.fee_cents, third.other_cents) == (9000, 291, second.amount_cents)
    (back,) = [line for line in third.lines if line.kind == "payout_failure"]
    assert (back.source_id, back.amount_cents, back.ledger_row) == (failed, second.amount_cents, f"payout:{failed}")
    # Paid out once, not twice: the failed payout counts in no total.
    assert result.total("net_cents") == first.net_cents + third.net_cents
    resolve_discrepancy(hall, d.key, "bank account replaced; Stripe paid it again")
    result = reconcile(hall)
    assert result.ok and [p.state for p in result.payouts] == ["reconciled", "explained", "reconciled"]


def test_money_back_from_a_payout_the_books_do_not_have(month, stripe_sandbox, sandbox_url):
    hall = month.hall
    _review_all(hall)
    failed, again = _failed_payout_returned(month, stripe_sandbox, sandbox_url)
    since = dt.datetime.fromtimestamp(stripe_sandbox.server.core.store.get("payout", again)["created"], dt.UTC)
    sync_payouts(hall, month.gateway, since=since.date())   # only the newest payout
    (d,) = reconcile(hall).open_discrepancies
    assert (d.kind, d.payout, d.stripe_amount_cents) == ("missing_from_ledger", again, month.payouts[1]["amount"])
    assert failed in d.explanation and "no such payout" in d.explanation
    # The whole history: the payout was first seen failed (never shown paid), so nothing is left to explain.
    sync_payouts(hall, month.gateway)
    result = reconcile(hall)
    assert result.ok and [p.state for p in result.payouts] == ["reconciled", "failed", "reconciled"]


def test_a_refund_that_failed_gives_the_money_back(month, stripe_sandbox, sandbox_url):
    hall = month.hall
    _review_all(hall)
    sync_payouts(hall, month.gateway)
    (refund,) = month.gateway.refunds_for_charge(month.charges["1001"])
    # Stripe's side: the card refund fails days later and its 20.00 comes back into the balance.
    stripe_sandbox.server.core.store.get("refund", refund["id"]).update(status="failed",
                                                                          failure_reason="expired_or_canceled_card")
    _stripe_gives_back(stripe_sandbox, "refund_failure", "refund_failure", refund["id"], 2000)
    _pay(hall, month.gateway, sandbox_url, "1006")
    _advance(sandbox_url)
    po = control(sandbox_url, "payouts")["id"]
    sync_payouts(hall, month.gateway)
    # The books still show the refund as succeeded.
    (d,) = reconcile(hall).open_discrepancies
    assert (d.kind, d.payout, d.stripe_amount_cents) == ("status_differs", po, 2000)
    assert refund["id"] in d.explanation and "succeeded" in d.explanation and d.ledger_row.startswith("refund:")
    # The refund.failed event, applied as the relay applies it: the line now matches the refund.
    with hall.write() as tx:
        apply_refund(tx, month.gateway.retrieve_refund(refund["id"]))
    # It had been posted when acknowledged, so the books reversed that and ask the treasurer to look.
    (item,) = [i for i in open_items(hall) if i.kind == "refund"]
    assert "reversed" in item.summary
    _review_all(hall)
    result = reconcile(hall)
    assert result.ok and [p.state for p in result.payouts] == ["reconciled"] * 3
    third = result.payouts[2]
    assert third.refund_cents == 2000 and third.net_cents == third.amount_cents == 9000 - 291 + 2000
    (back,) = [line for line in third.lines if line.kind == "refund_failure"]
    assert back.source_id == refund["id"] and back.ledger_row == d.ledger_row


def test_the_dashboard_count_is_the_reconciliations_count(month, stripe_sandbox, sandbox_url):
    """open_discrepancy_count reads only what disagrees; it must count exactly what reconcile() lists."""
    hall, gateway = month.hall, month.gateway   # the refund and the dispute are left unreviewed
    sync_payouts(hall, gateway)
    store = stripe_sandbox.server.core.store
    failed = month.payouts[0]
    _stripe_gives_back(stripe_sandbox, "payout_failure", "payout_reversal", failed["id"], failed["amount"])
    store.get("payout", failed["id"]).update(status="failed", failure_code="no_account")
    (refund,) = gateway.refunds_for_charge(month.charges["1001"])
    _stripe_gives_back(stripe_sandbox, "refund_failure", "refund_failure", refund["id"], 2000)
    _stripe_gives_back(stripe_sandbox, "adjustment", "other_adjustment", "", 500)
    pi, _ = _pay(hall, gateway, sandbox_url, "1006", record=False)
    with hall.write() as tx:
        tx.session.add_all([  # typed in by hand: the wrong amount, and a payment Stripe never saw
            Payment(member_id=6, amount_cents=8000, method="card", status="completed", received_on=clock.today(),
                    reference=pi, recorded_by="tester", created_at=clock.stamp(), stripe_payment_intent_id=pi),
            Payment(member_id=1, amount_cents=4500, method="card", status="completed",
                    received_on=clock.today() - dt.timedelta(days=20), reference="ch_ghost", recorded_by="tester",
                    created_at=clock.stamp(), stripe_charge_id="ch_ghost"),
            Payment(member_id=2, amount_cents=4500, method="us_bank_account", status="completed",
                    received_on=clock.today() - dt.timedelta(days=2), reference="pi_recent", recorded_by="tester",
                    created_at=clock.stamp(), stripe_payment_intent_id="pi_recent")])
    _advance(sandbox_url)
    control(sandbox_url, "payouts")
    sync_payouts(hall, gateway)
    result = reconcile(hall)
    assert sorted({d.kind for d in result.open_discrepancies}) == [
        "amount_differs", "dispute_unreviewed", "missing_from_ledger", "payout_failed", "refund_unreviewed",
        "status_differs", "unknown_to_stripe"]
    assert open_discrepancy_count(hall) == len(result.open_discrepancies) == 7
    for d in result.open_discrepancies[:3]:
        resolve_discrepancy(hall, d.key, "looked into")
        assert open_discrepancy_count(hall) == len(reconcile(hall).open_discrepancies)
    assert open_discrepancy_count(hall) == 4
    # Further on, more ledger payments are old enough to expect in a payout: both see the same.
    later = clock.today() + dt.timedelta(days=30)
    assert open_discrepancy_count(hall, today=later) == len(reconcile(hall, today=later).open_discrepancies) == 5


def test_resolving_a_discrepancy_keeps_it_visible(month):
    hall = month.hall
    for item in open_items(hall):
        if item.kind == "dispute":
            resolve(hall, int(item.key.split(":")[1]), "handled", **PAT)
    sync_payouts(hall, month.gateway)
    (d,) = reconcile(hall).open_discrepancies
    with pytest.raises(ValidationError, match="needs a note"):
        resolve_discrepancy(hall, d.key, "  ")
    with pytest.raises(NotFound):
        resolve_discrepancy(hall, "amount_differs:txn_nothing", "note")
    before = count(hall, "audit_log")
    done = resolve_discrepancy(hall, d.key, "acknowledged in the app on Monday")
    assert done.resolved and count(hall, "audit_log") == before + 1
    result = reconcile(hall)
    assert result.ok and open_discrepancy_count(hall) == 0
    (still,) = result.discrepancies
    assert still.resolved and still.resolution == "acknowledged in the app on Monday"
    assert [p.state for p in result.payouts] == ["reconciled", "explained"]
    with pytest.raises(ValidationError, match="already resolved"):
        resolve_discrepancy(hall, d.key, "again")


def test_cli_reconcile_exits_non_zero_on_a_discrepancy(cli, sandbox_url, monkeypatch):
    monkeypatch.setenv("STRIPE_API_KEY", SANDBOX_KEY)
    monkeypatch.setenv("TREASURER_STRIPE_API_BASE", sandbox_url)
    cli("init", "--hall-name", "IBEW Local 000")
    from treasurer.gateway import Gateway
    from treasurer.hall import open_hall

    hall = open_hall(str(cli.data_dir), actor="tester")
    gateway = Gateway(SANDBOX_KEY, sandbox_url, backoff_seconds=0.01)
    standard_hall(hall, members=2)
    assess(hall, "2026-10")
    _pay(hall, gateway, sandbox_url, "1001")
    _pay(hall, gateway, sandbox_url, "1002", record=False)
    _advance(sandbox_url)
    po = control(sandbox_url, "payouts")["id"]
    hall.close()
    code, out, err = cli("reconcile", expect=1)
    assert "1 discrepancy" in out and "missing_from_ledger" in out and po in out and "UNRECONCILED" in out
    key = next(line.split()[0] for line in out.splitlines() if line.startswith("missing_from_ledger:"))
    cli("discrepancy", "resolve", key, "--note", "a walk-in member paid online; entered next week")
    code, out, _ = cli("reconcile", "--since", "2020-01-01")
    assert "explained" in out and "resolved" in out and "Stripe balance" not in out
    cli("reconcile", "--since", "yesterday", expect=1)
    # A November payment no payout has carried yet: said, and no discrepancy.
    hall = open_hall(str(cli.data_dir), actor="tester")
    assess(hall, "2026-11")
    _pay(hall, gateway, sandbox_url, "1001", period="2026-11")
    hall.close()
    code, out, _ = cli("reconcile", "--since", "2020-01-01")
    assert "$45.00 in 1 payment is in the Stripe balance, not yet paid out (not a discrepancy)." in out
