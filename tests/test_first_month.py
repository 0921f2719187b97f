"""A hall's first month, as the README's "Your first month" tells it: every step a `treasurer` command in its own
process, on a fresh data folder, against the offline Stripe sandbox started as `treasurer sandbox serve`.

A roll of 300 members imported from `docs/first-month/roll.csv`, dues assessed, 300 slips made and printed,
cash and checks at the counter, card payments through the slips' links, a refund made in Stripe's dashboard and
acknowledged in Review, the deposit, the payout reconciled, the month closed with its anchor, the anchor checked
and the trustees' packet.  The money is checked at each step.

Also here: a counter payment (`pay`), an approval (`approve`) and an assessment (`dues assess`) switch the
member's open slip's payment link off at once when Stripe answers, and through the link-closure queue (the
next `treasurer sync`) when it does not.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import selectors
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import (
    PAT_PIN,
    SAM_PIN,
    SANDBOX_KEY,
    TREASURER,
    officers,
    run_treasurer,
    standard_hall,
)
from sqlalchemy import select

from sandbox.testing import ControlError, control, pay
from treasurer.adjustments import request_adjustment
from treasurer.dues import assess
from treasurer.gateway import Gateway
from treasurer.hall import open_hall
from treasurer.ledger import standings
from treasurer.models import Member
from treasurer.slips import create_slips

ROLL = Path(__file__).resolve().parent.parent / "docs" / "first-month" / "roll.csv"
RATES = {"Journeyman Wireman": 5200, "Apprentice": 3100, "Retiree": 1200}
DAY = 86400
PAT_NEW_PIN, SAM_NEW_PIN = "135790", "246801"       # the walk-through's PINs


def cents(text: str) -> int:
    """'$14,055.00' or '14055.00' or '-$52.00' in cents."""
    sign = -1 if text.strip().startswith("-") else 1
    return sign * int(Decimal(re.sub(r"[^0-9.]", "", text)) * 100)


def card_fee(amount: int) -> int:
    """The sandbox's (Stripe's US standard) card fee: 2.9 % + 30c, rounded half up."""
    return (amount * 29 + 500) // 1000 + 30


class Hall:
    """One hall's data folder, driven only through `treasurer` processes (plus reads of its books)."""

    def __init__(self, data_dir: Path, env: dict[str, str]):
        self.data_dir = data_dir
        self.env = env

    def __call__(self, *args: str, stdin: str | None = None, expect: int = 0) -> subprocess.CompletedProcess:
        done = run_treasurer(*args, data_dir=self.data_dir, stdin=stdin, env=self.env)
        assert done.returncode == expect, (f"treasurer {' '.join(args)}: exit {done.returncode}\n"
                                           f"stdout:\n{done.stdout[-3000:]}\nstderr:\n{done.stderr[-3000:]}")
        assert "Traceback" not in done.stderr and "Fatal Python error" not in done.stderr, done.stderr
        return done

    def balances(self) -> dict[str, int]:
        """Every member's balance (cents owed), read from the books as the window does."""
        hall = open_hall(str(self.data_dir), actor="test reader")
        try:
            with hall.read() as s:
                numbers = dict(s.execute(select(Member.id, Member.member_number)).all())
                return {numbers[i]: st.balance_cents for i, st in standings(s, today()).items()}
        finally:
            hall.close()


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


@pytest.fixture
def sandbox_process(tmp_path):
    """`treasurer sandbox serve --port 0`, as the README starts it; its base URL."""
    log = (tmp_path / "sandbox.log").open("w")       # a file: a pipe nobody reads could fill and stall it
    proc = subprocess.Popen([str(TREASURER), "sandbox", "serve", "--port", "0"], stdout=subprocess.PIPE,
                            stderr=log, text=True)
    try:
        sel = selectors.DefaultSelector()
        sel.register(proc.stdout, selectors.EVENT_READ)
        assert sel.select(timeout=60), "the sandbox did not start within 60 s"
        line = proc.stdout.readline()
        found = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        assert found, f"unexpected first line from the sandbox: {line!r}; {(tmp_path / 'sandbox.log').read_text()}"
        yield found.group(1)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def link_of(url: str) -> str:
    return url.rsplit("/", 1)[1]


@pytest.mark.slow
def test_a_halls_first_month_from_a_fresh_folder(tmp_path, sandbox_process):
    url = sandbox_process
    env = {"STRIPE_API_KEY": SANDBOX_KEY, "TREASURER_STRIPE_API_BASE": url, "PYTHONFAULTHANDLER": "1"}
    t = Hall(tmp_path / "first-month-hall", env)
    stripe = Gateway(SANDBOX_KEY, url, backoff_seconds=0.01)
    period = today().strftime("%Y-%m")
    roll = list(csv.DictReader(ROLL.open(newline="")))
    owed = {row["Member #"]: RATES[row["Classification"]] for row in roll}
    assert len(roll) == 300

    # 1. The books, the officers (the second vouched for by the first), the classifications and their rates.
    done = t("init", "--hall-name", "IBEW Local 1042", "--address", "12 Main St, Springfield")
    assert done.stdout.startswith("Started the books for IBEW Local 1042")
    assert t("officers", "add", "Pat Morales", "--role", "treasurer", "--pin-stdin",
             stdin=f"{PAT_NEW_PIN}\n").stdout.strip() == "Added Pat Morales (treasurer)."
    assert t("officers", "add", "Sam Okafor", "--role", "president", "--vouched-by", "Pat Morales", "--pin-stdin",
             stdin=f"{SAM_NEW_PIN}\n{PAT_NEW_PIN}\n").stdout.strip() == "Added Sam Okafor (president)."
    start = f"{today().year}-01-01"
    t("classes", "add", "Journeyman Wireman", "--rate", "52.00", "--per-capita", "18.50", "--from", start)
    t("classes", "add", "Apprentice", "--rate", "31.00", "--per-capita", "18.50", "--from", start)
    t("classes", "add", "Retiree", "--rate", "12.00", "--from", start)

    # 2. The roll: previewed (nothing written), then imported.
    preview = t("members", "import", str(ROLL), "--preview").stdout
    assert "Nothing was written. Importing this file would add 300, change 0 and leave 0 unchanged." in preview
    assert t("members", "import", str(ROLL)).stdout.strip() == "Imported: 300 added, 0 updated, 0 unchanged."

    # 3. The month's dues: 240 journeymen, 45 apprentices, 15 retirees (retired members are assessed).
    total = sum(owed.values())
    assert total == 240 * 5200 + 45 * 3100 + 15 * 1200 == 1_405_500
    assert t("dues", "assess", period).stdout.strip() == f"Assessed {period}: 300 charges, total $14,055.00."
    assert t.balances() == owed

    # 4. A slip and payment link per member, printed three to a page.
    lines = t("slips", "create", period).stdout.splitlines()
    slips = {}
    for line in lines:
        slip_id, number, amount, link = line.split()
        slips[number] = (int(slip_id), cents(amount), link)
    assert len(slips) == 300 and {n: s[1] for n, s in slips.items()} == owed
    pdf = tmp_path / "slips.pdf"
    done = t("slips", "pdf", "--out", str(pdf), "--layout", "3up")
    assert done.stdout.strip() == f"Wrote 300 slips on 100 pages to {pdf}." and done.stderr == ""
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 100_000

    # 5. At the counter: cash and a check paying the whole slip, a partial payment, a retiree's check.
    done = t("pay", "100001", "52.00", "--method", "cash").stdout
    assert "Receipt R000001: $52.00 cash from" in done and "New balance: $0.00; paid through " + period in done
    assert f"Slip {slips['100001'][0]} is paid; its payment link is switched off." in done
    done = t("pay", "100002", "52.00", "--method", "check", "--ref", "1042").stdout
    assert "$52.00 check" in done and f"Slip {slips['100002'][0]} is paid" in done
    done = t("pay", "100005", "20.00", "--method", "cash").stdout      # an apprentice: $31.00 owed
    assert "New balance: $11.00; paid through nothing yet." in done
    assert f"Slip {slips['100005'][0]} is superseded; its payment link is switched off." in done
    t("pay", "100020", "12.00", "--method", "check", "--ref", "311")  # a retiree
    counter = {"100001": 5200, "100002": 5200, "100005": 2000, "100020": 1200}
    for number in counter:     # switched off in Stripe at once: a paid slip's link takes no more money
        assert stripe.retrieve_payment_link(link_of(slips[number][2]))["active"] is False
    with pytest.raises(ControlError):
        pay(url, link_of(slips["100001"][2]))

    # 6. Members scan their slips and pay by card; one card is declined.  'treasurer sync' brings them in.
    online = [n for n in sorted(slips) if "100101" <= n <= "100140"]
    for number in online:
        pay(url, link_of(slips[number][2]))
    declined = pay(url, link_of(slips["100150"][2]), outcome="declined")
    assert declined["status"] == "open"
    done = t("sync").stdout
    assert re.search(r"Caught up: \d+ events from Stripe, \d+ new", done), done
    paid = counter | {n: owed[n] for n in online}
    expected = {n: owed[n] - paid.get(n, 0) for n in owed}
    assert t.balances() == expected
    shown = t("member", "show", "100101").stdout
    assert "Balance: $0.00 (owes nothing)." in shown and "Paid: paid online; link switched off" in shown
    gross = sum(owed[n] for n in online)

    # 7. A refund made in Stripe's dashboard waits in Review until an officer acknowledges it with a PIN.
    # (The member's ledger names the payment intent; Stripe's dashboard refunds its charge.)
    intent = stripe.retrieve_payment_intent(re.search(r"card (pi_\w+)", shown).group(1))
    charge = intent["latest_charge"] if isinstance(intent["latest_charge"], str) else intent["latest_charge"]["id"]
    control(url, f"charges/{charge}/refund", amount=owed["100101"])
    t("sync")
    listed = t("review", "list").stdout
    (item_line,) = [x for x in listed.splitlines() if "Refund" in x]
    item = item_line.split()[0]
    assert item == "1" and "$52.00" in item_line and "100101" in item_line     # the README says 'review resolve 1'
    assert t.balances()["100101"] == 0                  # not posted until acknowledged
    done = t("review", "resolve", item, "--note", "refunded at the member's request; will pay at the hall",
             "--officer", "Pat Morales", "--pin-stdin", stdin=f"{PAT_NEW_PIN}\n").stdout
    assert f"Review item {item} (refund) resolved by Pat Morales" in done
    assert t("review", "list").stdout.strip() == "Nothing waits for review."
    expected["100101"] = owed["100101"]
    assert t.balances() == expected
    assert "Balance: $52.00 (owes $52.00)." in t("member", "show", "100101").stdout

    # 8. The cash and checks go to the bank in one deposit.
    done = t("deposits", "new", "--date", today().isoformat(), "--ref", "DEP-1", "--all-undeposited").stdout
    assert re.search(r"Checks\s+2\s+\$64\.00", done) and re.search(r"Cash\s+2\s+\$72\.00", done), done
    assert re.search(r"TOTAL DEPOSIT\s+4\s+\$136\.00", done), done
    batch = re.search(r"Deposit (\d+)", done).group(1)
    assert batch == "1"
    assert "now locked" in t("deposits", "mark", batch, "--deposited-on", today().isoformat()).stdout

    # 9. Two days on, Stripe pays out the card money (less fees and the refund); reconciled to the cent.
    control(url, "clock", advance_seconds=3 * DAY)
    payout = control(url, "payouts")
    fees = sum(card_fee(owed[n]) for n in online)
    assert payout["amount"] == gross - fees - owed["100101"]
    assert (gross, fees, payout["amount"]) == (187_400, 6_642, 175_558)      # the README's figures
    done = t("reconcile").stdout
    (line,) = [x for x in done.splitlines() if x.startswith(payout["id"])]
    assert "RECONCILED" in line and f"payments {len(online)}" in line, done
    assert f"gross ${gross / 100:,.2f}" in line and f"fees ${fees / 100:,.2f}" in line
    assert f"net ${payout['amount'] / 100:,.2f}" in line and "refunds -$52.00" in line
    assert "1 payouts: 1 reconciled, 0 explained, 0 unreconciled; 0 discrepancies open." in done

    # 10. Who is behind (after the grace day, the 15th, everyone who still owes), and the month's figures.
    behind = t("arrears").stdout
    if today().day > 15:
        assert re.search(r"\b100150\b", behind) and not re.search(r"\b100001\b", behind)
        assert re.search(r"\b100101\b", behind)                    # refunded: behind again
    else:
        assert "No member is 1 or more months in arrears." in behind
    report = dict(re.split(r"\s{2,}", x.strip(), maxsplit=1) for x in t("report", "period", period).stdout
                  .splitlines() if x.strip())
    counted = gross + sum(counter.values())
    assert cents(report["amount assessed"]) == total
    assert cents(report["collected: card"]) == gross
    assert cents(report["collected: cash"]) == 7200 and cents(report["collected: check"]) == 6400
    assert cents(report["collected: total"]) == counted
    assert cents(report["Stripe fees"]) == fees and cents(report["refunds"]) == owed["100101"]
    # The refund took its payment back, so member 100101's month is outstanding (and overdue) again.
    assert cents(report["outstanding on the period's dues"]) == total - counted + owed["100101"] == 1_209_700
    assert cents(report["cash and check deposits"]) == 13600
    assert sum(expected.values()) == total - counted + owed["100101"]       # the refund is owed again

    # 11. The month closed by the president, with the audit log's anchor for the trustees; the anchor checked.
    done = t("periods", "close", period, "--officer", "Sam Okafor", "--note", "deposit and payout reconciled",
             "--pin-stdin", stdin=f"{SAM_NEW_PIN}\n").stdout
    anchor = re.search(r"Anchor: (\d+:[0-9a-f]{64})", done).group(1)
    verified = t("audit", "verify", "--expect", anchor).stdout
    assert verified.startswith("audit chain OK") and "agree with the audit log" in verified
    refused = t("pay", "100003", "52.00", "--method", "cash", expect=1)   # the month is closed
    assert "which is closed" in refused.stderr

    # 12. The trustees' packet for the month.
    first = today().replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    out = tmp_path / "packet"
    done = t("report", "packet", "--from", first.isoformat(), "--to", last.isoformat(), "--out", str(out)).stdout
    assert "Audit chain OK" in done and "0 open discrepancies, 0 open review items." in done
    assert (out / "packet.pdf").read_bytes()[:5] == b"%PDF-"
    assert anchor in (out / "anchors.csv").read_text()
    if dt.datetime.fromtimestamp(payout["arrival_date"], dt.UTC).date() <= last:  # else next month's packet has it
        (row,) = [r for r in csv.DictReader((out / "payouts.csv").open()) if r["payout"] == payout["id"]]
        assert row["state"] == "reconciled" and cents(row["net"]) == payout["amount"], row
    assert t.balances() == expected


# --- The counter, an approval and an assessment switch links off at once when Stripe answers -------------------


def _dead_port() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def _cli(hall, url: str | None, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {"STRIPE_API_KEY": SANDBOX_KEY, "TREASURER_STRIPE_API_BASE": url} if url else {}
    done = run_treasurer(*args, data_dir=hall.data_path, stdin=stdin, env=env)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done


def _active(gateway, slip) -> bool:
    return gateway.retrieve_payment_link(link_of(slip.url))["active"]


def test_a_counter_payment_switches_the_link_off_at_once_when_stripe_answers(hall, gateway, sandbox_url):
    standard_hall(hall, members=2)
    assess(hall, "2026-10")
    (slip,), _ = create_slips(hall, gateway, "2026-10", ["1001"])
    assert _active(gateway, slip)
    done = _cli(hall, sandbox_url, "pay", "1001", "45.00", "--method", "cash")
    assert not _active(gateway, slip)                        # the sandbox shows it inactive, before any sync
    assert f"Slip {slip.slip_id} is paid; its payment link is switched off." in done.stdout
    with pytest.raises(ControlError):
        pay(sandbox_url, link_of(slip.url))


def test_without_stripe_the_link_is_queued_and_switched_off_at_the_next_sync(hall, gateway, sandbox_url):
    standard_hall(hall, members=3)
    assess(hall, "2026-10")
    (paid, partial), _ = create_slips(hall, gateway, "2026-10", ["1001", "1002"])
    done = _cli(hall, _dead_port(), "pay", "1001", "45.00", "--method", "cash")     # Stripe unreachable
    assert (f"Slip {paid.slip_id} is paid; its payment link will be switched off at the next 'treasurer sync'"
            in done.stdout)
    done = _cli(hall, None, "pay", "1002", "10.00", "--method", "cash")            # no Stripe key at all
    assert f"Slip {partial.slip_id} is superseded; its payment link will be switched off" in done.stdout
    assert _active(gateway, paid) and _active(gateway, partial)
    _cli(hall, sandbox_url, "sync")
    assert not _active(gateway, paid) and not _active(gateway, partial)


def test_an_approval_and_an_assessment_switch_links_off_at_once(hall, gateway, sandbox_url):
    standard_hall(hall, members=3)
    officers(hall)
    assess(hall, "2026-10")
    (one, two, three), _ = create_slips(hall, gateway, "2026-10")
    waiver = request_adjustment(hall, "1001", 1000, "waiver", "hardship", "Pat Morales", pin=PAT_PIN)
    done = _cli(hall, sandbox_url, "approve", str(waiver.id), "--officer", "Sam Okafor", "--pin-stdin",
                stdin=f"{SAM_PIN}\n")
    assert f"Slip {one.slip_id} is superseded; its payment link is switched off." in done.stdout
    assert not _active(gateway, one) and _active(gateway, two)
    done = _cli(hall, sandbox_url, "dues", "assess", "2026-11")
    assert "2 open slips no longer say what their members owe and were superseded; their payment links are " \
           "switched off." in done.stdout
    assert not _active(gateway, two) and not _active(gateway, three)


def test_an_assessment_with_stripe_unreachable_leaves_the_links_to_the_queue_without_waiting(
        hall, gateway, sandbox_url):
    standard_hall(hall, members=30)
    assess(hall, "2026-10")
    outcomes, _ = create_slips(hall, gateway, "2026-10")
    done = _cli(hall, _dead_port(), "dues", "assess", "2026-11")
    assert "30 open slips no longer say what their members owe and were superseded; 30 of their payment links " \
           "will be switched off at the next 'treasurer sync'" in done.stdout
    assert all(_active(gateway, o) for o in outcomes)
    _cli(hall, sandbox_url, "sync")
    assert not any(_active(gateway, o) for o in outcomes)



def test_an_approval_in_review_switches_the_link_off_at_once(hall, gateway, sandbox_url):
    standard_hall(hall, members=2)
    officers(hall)
    assess(hall, "2026-10")
    (slip, other), _ = create_slips(hall, gateway, "2026-10")
    waiver = request_adjustment(hall, "1002", 1000, "waiver", "hardship", "Pat Morales", pin=PAT_PIN)
    done = _cli(hall, sandbox_url, "review", "resolve", f"adjustment:{waiver.id}", "--approve", "--officer",
                "Sam Okafor", "--pin-stdin", stdin=f"{SAM_PIN}\n")
    assert f"Slip {other.slip_id} is superseded; its payment link is switched off." in done.stdout
    assert not _active(gateway, other) and _active(gateway, slip)


def test_a_stalled_network_does_not_hold_the_counter(hall, gateway, sandbox_url):
    """Stripe's address answers the connection and then says nothing (a captive portal, a dead proxy): the
    payment is recorded and the link queued after the quick gateway's short timeout, not the SDK's 80 s twice."""
    import socket

    standard_hall(hall, members=1)
    assess(hall, "2026-10")
    (slip,), _ = create_slips(hall, gateway, "2026-10")
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)                       # connections complete in the kernel; nothing ever answers
        stalled = f"http://127.0.0.1:{silent.getsockname()[1]}"
        done = run_treasurer("pay", "1001", "45.00", "--method", "cash", data_dir=hall.data_path,
                             env={"STRIPE_API_KEY": SANDBOX_KEY, "TREASURER_STRIPE_API_BASE": stalled})
    assert done.returncode == 0, done.stderr
    assert "Receipt R000001" in done.stdout
    assert f"Slip {slip.slip_id} is paid; its payment link will be switched off at the next" in done.stdout
    assert "Stripe cannot be reached" in done.stderr and "Traceback" not in done.stderr
    _cli(hall, sandbox_url, "sync")
    assert not _active(gateway, slip)
