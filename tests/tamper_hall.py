"""A hall with at least one row in every table the audit log covers, built only through the app's own functions
(and the offline Stripe sandbox), for tests that then tamper with it behind the app's back.

Besides one row of each kind it keeps, where the app allows, a row that nothing else points to (an officer who
never acted, a member joined after the last assessment, an open slip, a pending adjustment, a deposit item never
taken out, a bank reconciliation still in progress), so that deleting it leaves no dangling reference.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from helpers import LEE_PIN, PAT, PAT_PIN, SAM_PIN, SANDBOX_KEY, officers, standard_hall
from sandbox.testing import control, pay
from treasurer.adjustments import decide, request_adjustment
from treasurer.bank import reconcile_bank, record_bank_entry
from treasurer.deposits import create_batch, mark_deposited, remove_payment
from treasurer.dues import assess
from treasurer.gateway import Gateway
from treasurer.hall import Hall, init_hall
from treasurer.members import MemberData, add_member
from treasurer.officers import add_officer
from treasurer.payments import record_payment
from treasurer.payouts import sync_payouts
from treasurer.periods import anchor_text, close_period
from treasurer.reconcile import reconcile, resolve_discrepancy
from treasurer.review import acknowledge_refund, open_items
from treasurer.slips import create_slips
from treasurer.sync import catch_up

DAY = dt.date(2026, 10, 5)
DAY_SECONDS = 86400


@dataclasses.dataclass
class Built:
    hall: Hall
    closing_anchor: str          # SEQ:HASH printed when 2026-09 was closed


def _pay_slip(hall: Hall, gateway: Gateway, url: str, member: str, period: str = "2026-10") -> str:
    """A slip for ``member``, paid by card in the sandbox and read back by a catch-up; the charge's id."""
    (slip,), _ = create_slips(hall, gateway, period, [member], arrears=True)
    session = pay(url, slip.url.rsplit("/", 1)[1], method="card")
    catch_up(hall, gateway)
    latest = gateway.retrieve_payment_intent(session["payment_intent"])["latest_charge"]
    return latest if isinstance(latest, str) else latest["id"]


def _email_slip(hall: Hall, member: str, period: str) -> None:
    import tempfile

    from sandbox.mail_catcher import MailCatcher
    from treasurer.mail_settings import save_mail_settings
    from treasurer.mailer import Mailer
    from treasurer.outbox import Sending, deliver
    from treasurer.slip_mail import slip_letters

    from treasurer.members import update_member

    update_member(hall, member, MemberData(member, "First2", "Last2", "Journeyman Wireman",
                                           email=f"member{member}@example.com", join_date=dt.date(2020, 1, 1)))
    with tempfile.TemporaryDirectory() as folder, MailCatcher(folder) as catcher:
        settings = save_mail_settings(hall, "127.0.0.1", catcher.port, "none", "IBEW Local 000 <hall@example.org>")
        outgoing, report = slip_letters(hall, period, [member])
        report = deliver(hall, outgoing, Sending(Mailer(settings, None), settings, None), report)
        assert len(report.sent) == 1 and len(catcher.messages()) == 1, report


def build(hall: Hall, sandbox_base_url: str) -> Built:
    control(sandbox_base_url, "reset")
    gateway = Gateway(SANDBOX_KEY, sandbox_base_url, backoff_seconds=0.01)

    # settings, classifications, dues_rates, members, officers
    init_hall(hall, "IBEW Local 000", "usd", address="1 Hall Street")
    standard_hall(hall, members=6)
    officers(hall)
    add_officer(hall, "Lee Chen", "trustee", LEE_PIN, vouchers=[("Pat Morales", PAT_PIN), ("Sam Okafor", SAM_PIN)])

    # dues_periods, charges
    assess(hall, "2026-09")
    assess(hall, "2026-10")
    add_member(hall, MemberData("1007", "Late", "Joiner", "Journeyman Wireman", join_date=dt.date(2026, 11, 1)))

    # payments at the counter; deposit_batches, deposit_items, deposit_removals
    check = record_payment(hall, "1001", 4500, "check", "1042", DAY).payment_id
    cash = record_payment(hall, "1002", 4500, "cash", "", DAY).payment_id
    money_order = record_payment(hall, "1003", 2250, "money_order", "MO-77", DAY).payment_id
    batch = create_batch(hall, DAY, "DEP-1", [check, cash, money_order]).batch_id
    remove_payment(hall, batch, money_order, "the member asked us to hold it", **PAT)
    mark_deposited(hall, batch, DAY)

    # adjustments, adjustment_decisions (one approved, one still pending)
    waiver = request_adjustment(hall, "1004", 1000, "waiver", "hardship in October", "Pat Morales", pin=PAT_PIN)
    decide(hall, waiver.id, "Sam Okafor", SAM_PIN, True, "agreed at the meeting")
    request_adjustment(hall, "1003", 500, "write_off", "small balance", "Sam Okafor", pin=SAM_PIN)

    # slips, link_closures, card payments, refunds, disputes, review_items, payouts, balance_transactions
    first = _pay_slip(hall, gateway, sandbox_base_url, "1005")
    second = _pay_slip(hall, gateway, sandbox_base_url, "1006")
    control(sandbox_base_url, "clock", advance_seconds=3 * DAY_SECONDS)
    control(sandbox_base_url, "payouts")
    control(sandbox_base_url, f"charges/{first}/refund", amount=1000)
    dispute = control(sandbox_base_url, f"charges/{second}/dispute", reason="fraudulent")
    control(sandbox_base_url, f"disputes/{dispute['id']}/close", outcome="lost")
    catch_up(hall, gateway)
    _pay_slip(hall, gateway, sandbox_base_url, "1004")       # money in, so the second payout is not negative
    _pay_slip(hall, gateway, sandbox_base_url, "1002")
    control(sandbox_base_url, "clock", advance_seconds=3 * DAY_SECONDS)
    control(sandbox_base_url, "payouts")
    sync_payouts(hall, gateway)
    # discrepancy_resolutions: the lost dispute, not yet looked at, is a discrepancy; the treasurer notes it
    (unreviewed,) = [d for d in reconcile(hall).open_discrepancies if d.kind == "dispute_unreviewed"]
    resolve_discrepancy(hall, unreviewed.key, "the member's bank took it back; we are writing to the member")
    (refund_item,) = [i for i in open_items(hall) if i.kind == "refund"]
    acknowledge_refund(hall, int(refund_item.key.split(":")[1]), "refund agreed with the member", **PAT)
    # balance_lines_seen: a payment in the Stripe balance that no payout has carried yet
    _pay_slip(hall, gateway, sandbox_base_url, "1001")
    sync_payouts(hall, gateway)
    # an open slip, never paid; outbox: emailed to its member, through a real SMTP server on 127.0.0.1
    create_slips(hall, gateway, "2026-10", ["1003"], arrears=True)
    _email_slip(hall, "1003", "2026-10")

    # bank_entries, bank_reconciliations, bank_cleared_items (and one reconciliation still in progress)
    fee = record_bank_entry(hall, dt.date(2026, 10, 30), "fee", -1200, "monthly service fee", **PAT)
    reconcile_bank(hall, dt.date(2026, 10, 31), 4500 + 4500 - 1200, tick=[f"deposit:{batch}", f"entry:{fee.id}"],
                   finish=True)
    reconcile_bank(hall, dt.date(2026, 11, 30), 7800)

    # period_closings, last: its anchor is what the trustees keep on paper
    closing = close_period(hall, "2026-09", "Pat Morales", "September books closed", PAT_PIN)
    return Built(hall, anchor_text(closing))
