"""The demo's online payments, made for real in the offline Stripe sandbox and brought into the books as live ones are.

Slips and payment links are made through the gateway (as ``treasurer slips create`` does); members pay them on
the sandbox's payer side (a card, a bank debit); a refund made in Stripe's dashboard, a dispute and a payment
through a link that names no member on the roll happen in the sandbox too; payouts take the money to the bank.
The books learn all of it only through the production paths: the Events API catch-up (``treasurer sync``, the
relay's poller) and the payout sync (``treasurer reconcile``).

The story spans the last four days: the sandbox's clock starts four days back and is moved forward as the days
pass (Stripe makes card money available for a payout two days after the payment), ending at the present, so the
window's sandbox mode, reading the same state file afterwards, carries on from there. A sandbox already running
(the window's, or one that ``TREASURER_STRIPE_API_BASE`` names) cannot have its clock put back: there the story
starts at its present and leaves its clock three days ahead.

This is composition-root code: it alone starts or drives the sandbox (imported inside the functions that do).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import select

from .. import clock
from ..demo import BankSummary, DemoSummary, fill_bank_statement, fill_demo
from ..errors import UserFacingError
from ..gateway import Gateway
from ..hall import Hall
from ..ledger import standings
from ..models import Classification, Member
from ..payouts import sync_payouts
from ..periods import period_for_date
from ..reconcile import Reconciliation, reconcile
from ..slips import create_slips
from ..sync import catch_up

STORY_DAYS = 4          # the first payments this many days ago
SLIPS = 9               # slips made; all but one paid
REFUND_CENTS = 2000
OVERPAID_CENTS = 2000
MIN_SLIP_CENTS = 2500     # members owing at least this get a slip (not a few cents left over)


@dataclasses.dataclass(frozen=True)
class OnlineSummary:
    slips: int
    paid_online: int            # payments recorded from Stripe (the unmatched one included)
    payouts: int
    reconciled: int             # payouts that agree with the books to the cent
    discrepancies: tuple[str, ...]   # what reconciliation found, on purpose: one payout carries the unmatched payment
    refund: str                 # the dashboard refund waiting in Review
    dispute: str                # the dispute waiting in Review
    unmatched_cents: int        # the payment no member owns
    in_balance: int             # payments still in the Stripe balance, not yet paid out
    base_url: str

    def lines(self, money) -> list[str]:
        waiting = f"{self.in_balance} payment{'' if self.in_balance == 1 else 's'}"
        online = (f"Online, in the offline Stripe sandbox ({self.base_url}): {self.slips} payment slips with links, "
                  f"{self.paid_online} online payments, {self.payouts} payouts ({self.reconciled} reconciled), "
                  f"{waiting} still in the Stripe balance.")
        on_purpose = (f"On purpose: {len(self.discrepancies)} payout discrepancy ({', '.join(self.discrepancies)}): "
                      f"a payout carried the payment of {money(self.unmatched_cents)} no member owns; assign it in "
                      f"Review and the payout reconciles.")
        review = (f"Waiting in Review: refund {self.refund} (made in Stripe's dashboard), dispute {self.dispute}, "
                  f"the unmatched payment, an overpayment and the adjustments awaiting a second officer.")
        return [online, on_purpose, review]


@dataclasses.dataclass(frozen=True)
class Demo:
    books: DemoSummary
    online: OnlineSummary | None
    bank: BankSummary

    def lines(self, money) -> list[str]:
        b, bank = self.books, self.bank
        out = [f"{b.members} members, {b.charges} charges, {b.payments} payments."]
        out += self.online.lines(money) if self.online else []
        if b.open_batch is not None:
            out.append(f"Cash and checks: {b.deposits} deposits taken to the bank; {b.gathered} payments gathered "
                       f"in deposit {b.open_batch}, not yet taken.")
        if bank.statement_date is not None:
            out.append(f"Bank: {bank.statements_finished} statements reconciled; the statement of "
                       f"{bank.statement_date} half done ({bank.ticked} lines ticked, {bank.unticked} not yet).")
        out.append("Demo officers (name, role, PIN): " + "; ".join(f"{n}, {r}, {p}" for n, r, p in b.officers))
        return out


def make_demo(hall: Hall, folder: Path | None, members: int, months: int = 24, seed: int = 7, *,
              online: bool = True, sandbox_url: str | None = None, api_key: str | None = None) -> Demo:
    """The whole demo: the books (``treasurer.demo``), the online part, then the bank statement.

    With ``sandbox_url`` the online part runs on that sandbox, already running (the window's, or the one the
    environment names); else a sandbox is started with its state in ``folder``, on the window's usual port.
    """
    from . import SANDBOX_KEY

    if online and sandbox_url is None:
        if folder is None:
            raise UserFacingError("The demo's online part needs a data folder for the sandbox's state.")
        check_fresh(folder)
    books = fill_demo(hall, members, months, seed)
    summary = None
    if online and sandbox_url is not None:
        summary = fill_online(hall, sandbox_url, api_key or SANDBOX_KEY, seed)
    elif online:
        with demo_sandbox(folder) as url:
            summary = fill_online(hall, url, SANDBOX_KEY, seed)
    return Demo(books, summary, fill_bank_statement(hall))


def running_sandbox() -> tuple[str, str] | None:
    """(base URL, key) of a sandbox this session's commands talk to (``TREASURER_STRIPE_API_BASE`` on this computer
    and a test key), so that the demo's payments are where 'treasurer sync' and 'slips create' will look."""
    from urllib.parse import urlparse

    from .. import credentials

    base, key = os.environ.get("TREASURER_STRIPE_API_BASE"), credentials.api_key()
    if not base or not key or urlparse(base).hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    try:
        return (base, key) if credentials.key_mode(key) == "test" else None
    except UserFacingError:
        return None


@contextlib.contextmanager
def demo_sandbox(data_dir: Path, days_back: int = STORY_DAYS) -> Iterator[str]:
    """The sandbox the window's sandbox mode uses for this data folder, its clock set ``days_back`` days back.

    Refuses a folder that already has sandbox state: the demo fills a fresh hall only.
    """
    from sandbox.server import SandboxThread
    from sandbox.store import Store

    from . import _start_sandbox

    state = check_fresh(data_dir)
    state.parent.mkdir(parents=True, exist_ok=True)
    store = Store()
    store.clock_offset = int(_story_start(days_back) - time.time())
    store.save(state)
    sandbox = _start_sandbox(SandboxThread, state)
    try:
        yield sandbox.base_url
    finally:
        sandbox.stop()


def check_fresh(data_dir: Path) -> Path:
    """The sandbox's state file for the folder, refused if it is there already."""
    from . import SANDBOX_STATE

    state = Path(data_dir) / SANDBOX_STATE
    if state.exists():
        raise UserFacingError(f"This data folder already has an offline Stripe sandbox ({state}); the demo fills a "
                              f"fresh hall only (use --data-dir with an empty folder).")
    return state


def _story_start(days_back: int) -> int:
    """10:00 UTC on the day ``days_back`` days before the books' today."""
    day = clock.today() - dt.timedelta(days=days_back)
    return int(dt.datetime.combine(day, dt.time(10), dt.UTC).timestamp())


class _Story:
    """The sandbox's clock and payer side (its control endpoints), and the books catching up after each step."""

    def __init__(self, hall: Hall, gateway: Gateway, base_url: str):
        from sandbox import testing

        self.hall, self.gateway, self.url, self.control = hall, gateway, base_url, testing
        self.start = self.now()

    def now(self) -> int:
        return int(self.control.control(self.url, "clock", advance_seconds=0)["now"])

    def day(self, n: int) -> None:
        """Move the sandbox's clock to 10:00 UTC on day ``n`` of the story (never back)."""
        start_day = dt.datetime.fromtimestamp(self.start, dt.UTC).date()
        target = int(dt.datetime.combine(start_day + dt.timedelta(days=n), dt.time(10), dt.UTC).timestamp())
        self.advance_to(target)

    def advance_to(self, target: int) -> None:
        step = target - self.now()
        if step > 0:
            self.control.control(self.url, "clock", advance_seconds=step)

    def pay(self, link_url: str, method: str = "card", email: str | None = None) -> str:
        """A payer pays the link; a bank debit clears at once. Returns the charge."""
        extra = {"email": email} if email else {}
        session = self.control.pay(self.url, link_url.rsplit("/", 1)[1], method=method, **extra)
        intent = session["payment_intent"]
        if method == "us_bank_account":
            self.control.control(self.url, f"payment_intents/{intent}/settle")
        latest = self.gateway.retrieve_payment_intent(intent)["latest_charge"]
        return latest if isinstance(latest, str) else latest["id"]

    def link(self, number: str, amount_cents: int, key: str) -> str:
        """A link made by hand (as in Stripe's dashboard) naming a member number; returns its URL."""
        currency = self.hall.currency
        name = "Union dues"
        made = self.gateway.create_payment_link({
            "line_items": [{"price_data": {"currency": currency, "unit_amount": amount_cents,
                                           "product_data": {"name": name}}, "quantity": 1}],
            "metadata": {"member_number": number}, "payment_intent_data": {"metadata": {"member_number": number}},
        }, key)
        return made["url"]

    def catch_up(self) -> None:
        # The poller's "now" is the books' (and so the sandbox's) clock: events of the story's days are recent.
        catch_up(self.hall, self.gateway, now=clock.now().timestamp())


def fill_online(hall: Hall, base_url: str, api_key: str, seed: int = 7) -> OnlineSummary | None:
    """The story, against a running sandbox whose clock is at its first day (``demo_sandbox`` sets it so).

    None, with nothing done, when no member owes a month's dues (a hall of a handful of members).
    """
    rng = random.Random(seed)
    gateway = Gateway(api_key, base_url, backoff_seconds=0.05)
    story = _Story(hall, gateway, base_url)
    today = clock.today()
    code = period_for_date(today, "monthly").code
    owing = _owing_members(hall, today, rng)
    if not owing:
        return None     # a hall too small for anyone to owe a month: no online part
    outcomes, _notes = create_slips(hall, gateway, code, owing, arrears=True)
    slips = {o.member_number: o for o in outcomes}
    numbers = [n for n in owing if n in slips]
    # One slip is left open; of the others, one is paid on the last day, two on day 1 and the rest on day 0.
    payers = numbers[:-1] if len(numbers) > 1 else numbers
    late = payers.pop() if len(payers) >= 3 else None
    split = len(payers) - min(2, len(payers) // 2)
    first, second = payers[:split], payers[split:]
    charges: list[str] = []
    methods = ["us_bank_account" if i == 1 else "card" for i in range(len(first))]   # the second by bank debit
    methods += ["card"] * len(second)

    # Day 0: the first members pay their slips (one by bank debit); the first pays $20 more besides, a credit.
    for number, method in zip(first, methods):
        charges.append(story.pay(slips[number].url, method))
    story.pay(story.link(numbers[0], OVERPAID_CENTS, f"demo-extra-{numbers[0]}"))
    story.catch_up()
    # Day 1: two more slips, and someone pays $52.00 through a link naming a member number not on the roll.
    story.day(1)
    for number in second:
        charges.append(story.pay(slips[number].url, "card"))
    unmatched_cents = 5200
    story.pay(story.link("99999", unmatched_cents, "demo-stray-99999"), email="r.newhire@example.org")
    story.catch_up()
    # Day 2: Stripe pays out day 0's money; day 3: day 1's (the unmatched payment with it).
    story.day(2)
    story.control.control(base_url, "payouts")
    story.day(3)
    story.control.control(base_url, "payouts")
    # Day 3, later: a refund made in Stripe's dashboard, a member's bank disputes a payment, one more slip paid.
    cards = [charge for charge, method in zip(charges, methods) if method == "card"]
    refund = story.control.control(base_url, f"charges/{cards[0]}/refund", amount=REFUND_CENTS,
                                   reason="requested_by_customer")
    dispute = story.control.control(base_url, f"charges/{charges[-1]}/dispute", reason="fraudulent")
    if late is not None:
        story.pay(slips[late].url, "card")
    story.catch_up()
    # Today: the books catch up once more and the payouts are synced and reconciled, as 'treasurer reconcile' does.
    story.advance_to(int(clock.now().timestamp()))
    story.catch_up()
    sync_payouts(hall, gateway)
    result = reconcile(hall)
    return _summary(len(outcomes), result, refund["id"], dispute["id"], unmatched_cents, base_url, hall)


def _owing_members(hall: Hall, today: dt.date, rng: random.Random) -> list[str]:
    """Monthly-paying active members who owe a month or so (up to three), a few picked at random (the seed's)."""
    with hall.read() as s:
        table = standings(s, today)
        rows = s.execute(select(Member.id, Member.member_number).join(
            Classification, Member.classification_id == Classification.id).where(
            Member.status == "active", Classification.frequency == "monthly").order_by(Member.member_number)).all()
    candidates = [number for member_id, number in rows
                  if (st := table.get(member_id)) is not None and st.balance_cents >= MIN_SLIP_CENTS
                  and st.months_in_arrears <= 3]
    return sorted(rng.sample(candidates, min(SLIPS, len(candidates))))


def _summary(slips: int, result: Reconciliation, refund: str, dispute: str, unmatched_cents: int, base_url: str,
             hall: Hall) -> OnlineSummary:
    from sqlalchemy import func

    from ..models import Payment

    with hall.read() as s:
        online = s.scalar(select(func.count()).select_from(Payment).where(Payment.stripe_payment_intent_id.is_not(None)))
    return OnlineSummary(slips, int(online or 0), len(result.payouts),
                         sum(p.state == "reconciled" for p in result.payouts),
                         tuple(d.key for d in result.open_discrepancies), refund, dispute, unmatched_cents,
                         len(result.in_balance), base_url)
