"""The outbox: sending each member's slip or reminder once, and what became of every message.

Every step is a new row in ``outbox`` (append-only, audited).  Before a message goes to the mail server a
'sending' row is committed; the server's answer is written after.  So a message is sent at most once per
slip and kind: one already 'sent', or whose try was cut off ('sending' with no answer, later marked
'unknown': it may have gone out) is never sent again by itself.  A temporary failure ('retry') is tried
again with backoff, in this run and the next; a refusal ('failed') is not, unless the member's address has
changed since, and it waits on the member's page and in Review.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from . import clock
from .audit import snapshot
from .errors import UserFacingError
from .hall import Hall
from .mail_message import Letter, build, message_id
from .mail_settings import MailSettings
from .mailer import MailServerUnreachable, MaybeSent, Refused, SenderRefused, Temporary
from .models import Member, OutboxEntry, Slip

OUTBOX_FIELDS = ("member_id", "slip_id", "kind", "attempt", "step", "address", "message_id", "answer", "at")
INTERRUPTED_AFTER = dt.timedelta(minutes=2)      # a 'sending' row older than this was cut off
INTERRUPTED = ("The program stopped while this message was being sent; it may have gone out, so it is not "
               "sent again by itself.")

Renderer = Callable[[int], bytes]          # slip id -> the slip as a PDF


@dataclasses.dataclass(frozen=True)
class Outgoing:
    member_id: int
    letter: Letter


@dataclasses.dataclass(frozen=True)
class NotSent:
    member_number: str
    member_name: str
    slip_id: int | None
    reason: str

    def __str__(self) -> str:
        slip = f" (slip {self.slip_id})" if self.slip_id else ""
        return f"{self.member_number} {self.member_name}{slip}: {self.reason}"


@dataclasses.dataclass
class Report:
    sent: list[Outgoing] = dataclasses.field(default_factory=list)
    would_send: list[Outgoing] = dataclasses.field(default_factory=list)      # --dry-run
    not_sent: list[NotSent] = dataclasses.field(default_factory=list)
    failed: list[NotSent] = dataclasses.field(default_factory=list)            # refused for good
    later: list[NotSent] = dataclasses.field(default_factory=list)             # temporary: next run retries
    unknown: list[NotSent] = dataclasses.field(default_factory=list)           # may have gone out
    stopped: str = ""                                                          # why the run stopped early
    cancelled: bool = False


@dataclasses.dataclass(frozen=True)
class State:
    """Where one message (slip, kind) stands in the outbox."""

    step: str | None          # the last step written, None when never tried
    attempts: int
    address: str
    answer: str
    at: str

    @property
    def done(self) -> bool:
        return self.step in ("sent", "sending", "unknown")


def states(session, slip_ids: Iterable[int], kinds: Iterable[str] | None = None) -> dict[tuple[int, str], State]:
    ids = list(set(slip_ids))
    found: dict[tuple[int, str], State] = {}
    for start in range(0, len(ids), 500):
        query = select(OutboxEntry).where(OutboxEntry.slip_id.in_(ids[start:start + 500])).order_by(OutboxEntry.id)
        if kinds is not None:
            query = query.where(OutboxEntry.kind.in_(list(kinds)))
        for row in session.scalars(query):
            key = (row.slip_id, row.kind)
            was = found.get(key)
            if was is not None and was.step == "sent":
                continue                              # once sent, it stays sent
            found[key] = State(row.step, max(row.attempt, was.attempts if was else 0), row.address, row.answer,
                               row.at)
    return found


def why_not(state: State | None, address: str) -> str:
    """Why a message is not to be sent now, or '' when it is."""
    if state is None or state.step is None or state.step == "retry":
        return ""
    when = state.at[:16].replace("T", " ")
    if state.step == "sent":
        return f"already sent to {state.address} on {when}"
    if state.step == "sending":
        return f"being sent since {when} (or cut off: it may have gone out)"
    if state.step == "unknown":
        return f"cut off while being sent on {when}: it may have gone out, so it is not sent again"
    if state.step == "failed" and state.address.casefold() == address.casefold():
        return f"refused by the mail server on {when} ({state.answer}); correct the member's email to send again"
    return ""


def _write(tx, row: OutboxEntry) -> OutboxEntry:
    tx.session.add(row)
    tx.session.flush()
    tx.audit(f"mail.{row.step}", "outbox", row.id, None, snapshot(row, OUTBOX_FIELDS))
    return row


def reconcile(hall: Hall, older_than: dt.timedelta = INTERRUPTED_AFTER) -> int:
    """Tries cut off between the server and the books ('sending' with no answer): marked 'unknown', never resent."""
    cutoff = (clock.now() - older_than).isoformat(timespec="microseconds")
    with hall.read() as s:
        if not s.scalar(select(OutboxEntry.id).where(OutboxEntry.step == "sending", OutboxEntry.at <= cutoff)
                        .limit(1)):
            return 0
    marked = 0
    with hall.write() as tx:
        rows = list(tx.session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)
                                       .where(OutboxEntry.slip_id.in_(
                                           select(OutboxEntry.slip_id).where(OutboxEntry.step == "sending")))))
        answered = {(r.slip_id, r.kind, r.attempt) for r in rows if r.step != "sending"}
        for r in rows:
            if r.step == "sending" and r.at <= cutoff and (r.slip_id, r.kind, r.attempt) not in answered:
                _write(tx, OutboxEntry(member_id=r.member_id, slip_id=r.slip_id, kind=r.kind, attempt=r.attempt,
                                       step="unknown", address=r.address, message_id=r.message_id,
                                       answer=INTERRUPTED, at=clock.stamp()))
                marked += 1
    return marked


def _claim(hall: Hall, item: Outgoing, msg_id: str) -> tuple[int, str]:
    """Commit the 'sending' row; (attempt, '') or (0, why the message is not to be sent after all)."""
    letter = item.letter
    try:
        with hall.write() as tx:
            slip = tx.session.get(Slip, letter.slip_id)
            member = tx.session.get(Member, item.member_id)
            if slip is None or slip.status != "open":
                return 0, f"the slip is {slip.status if slip else 'gone'} now"
            if member is None or member.email.strip().casefold() != letter.address.casefold():
                return 0, "the member's email address changed; run again to send to the new one"
            state = states(tx.session, [letter.slip_id], [letter.kind]).get((letter.slip_id, letter.kind))
            reason = why_not(state, letter.address)
            if reason:
                return 0, reason
            attempt = (state.attempts if state else 0) + 1
            _write(tx, OutboxEntry(member_id=item.member_id, slip_id=letter.slip_id, kind=letter.kind,
                                   attempt=attempt, step="sending", address=letter.address, message_id=msg_id,
                                   answer="", at=clock.stamp()))
            return attempt, ""
    except IntegrityError:         # another workstation claimed it in the same moment
        return 0, "being sent by another workstation"


def _answer(hall: Hall, item: Outgoing, attempt: int, step: str, msg_id: str, answer: str) -> None:
    letter = item.letter
    with hall.write() as tx:
        _write(tx, OutboxEntry(member_id=item.member_id, slip_id=letter.slip_id, kind=letter.kind, attempt=attempt,
                               step=step, address=letter.address, message_id=msg_id, answer=answer[:2000],
                               at=clock.stamp()))


class RateLimit:
    """At most ``per_minute`` messages a minute, evenly spaced (0: no limit)."""

    def __init__(self, per_minute: int, sleep=time.sleep, monotonic=time.monotonic):
        self.gap = 60.0 / per_minute if per_minute > 0 else 0.0
        self.sleep, self.monotonic = sleep, monotonic
        self.last: float | None = None

    def wait(self, cancelled: Callable[[], bool] | None = None) -> None:
        if self.gap and self.last is not None:
            while (left := self.last + self.gap - self.monotonic()) > 0:
                if cancelled is not None and cancelled():
                    return
                self.sleep(min(left, 0.25))
        self.last = self.monotonic()


@dataclasses.dataclass
class Sending:
    """How a run sends: the server, the slip's PDF, retries and their backoff, the rate."""

    mailer: object                     # treasurer.mailer.Mailer (or anything with connect/send/close)
    settings: MailSettings
    render: Renderer | None
    retries: int = 3                   # tries per message in one run
    backoff_seconds: float = 2.0       # 2 s, 4 s, 8 s...
    sleep: Callable[[float], None] = time.sleep


def plan(hall: Hall, outgoing: Sequence[Outgoing], report: Report) -> list[Outgoing]:
    """The messages still to send; the rest go to ``report.not_sent`` with the reason."""
    with hall.read() as s:
        found = states(s, [o.letter.slip_id for o in outgoing])
    todo = []
    for item in outgoing:
        letter = item.letter
        reason = why_not(found.get((letter.slip_id, letter.kind)), letter.address)
        if reason:
            report.not_sent.append(NotSent(letter.member_number, letter.member_name, letter.slip_id, reason))
        else:
            todo.append(item)
    return todo


def deliver(hall: Hall, outgoing: Sequence[Outgoing], how: Sending, report: Report | None = None,
            progress: Callable[[int, int], bool] | None = None) -> Report:
    """Send each message once; ``progress(done, total)`` returning False stops between messages (Cancel)."""
    report = report or Report()
    reconcile(hall)
    todo = plan(hall, outgoing, report)
    if not todo:
        return report
    mailer = how.mailer
    mailer.connect()                    # the server down: one sentence, nothing written
    install_id = hall.setting("install_id")
    domain = how.settings.sender_address.rpartition("@")[2]
    rate = RateLimit(how.settings.per_minute, sleep=how.sleep)
    stop = [False]

    def cancelled() -> bool:
        return stop[0]

    try:
        for index, item in enumerate(todo):
            if progress is not None and progress(index, len(todo)) is False:
                report.cancelled = True
                report.stopped = f"Stopped after {index} of {len(todo)} messages; run it again to send the rest."
                break
            letter = item.letter
            msg_id = message_id(install_id, letter.slip_id, letter.kind, domain)
            pdf = how.render(letter.slip_id) if how.render is not None else None
            msg = build(letter, how.settings.sender, how.settings.reply_to, msg_id, clock.now(), pdf)
            outcome = _send_one(hall, item, msg, msg_id, how, rate, cancelled)
            if outcome is None:
                report.sent.append(item)
            elif isinstance(outcome, str):
                report.stopped = outcome
                report.later.append(NotSent(letter.member_number, letter.member_name, letter.slip_id, outcome))
                break
            else:
                getattr(report, outcome[0]).append(
                    NotSent(letter.member_number, letter.member_name, letter.slip_id, outcome[1]))
        else:
            if progress is not None:
                progress(len(todo), len(todo))
    finally:
        mailer.close()
    return report


def _send_one(hall, item: Outgoing, msg, msg_id: str, how: Sending, rate: RateLimit, cancelled):
    """None when sent; (report list, reason) when not; a sentence when the server is gone and the run stops."""
    for tries in range(1, how.retries + 1):
        rate.wait(cancelled)
        attempt, reason = _claim(hall, item, msg_id)
        if not attempt:
            return ("not_sent", reason)
        try:
            answer = how.mailer.send(msg, item.letter.address)
        except Temporary as exc:
            _answer(hall, item, attempt, "retry", msg_id, str(exc))
            if tries == how.retries:
                return ("later", f"not accepted for now ({exc}); the next run tries again")
            how.sleep(how.backoff_seconds * 2 ** (tries - 1))
            continue
        except Refused as exc:
            _answer(hall, item, attempt, "failed", msg_id, str(exc))
            return ("failed", f"refused by the mail server ({exc})")
        except MaybeSent as exc:
            _answer(hall, item, attempt, "unknown", msg_id, f"{exc}; it may have gone out, so it is not sent "
                                                           f"again by itself")
            return ("unknown", f"{exc}; it may have gone out, so it is not sent again")
        except SenderRefused as exc:                   # the account's quota, a policy: every message would fail
            _answer(hall, item, attempt, "retry", msg_id, str(exc))
            return (f"The mail server refused to take mail from {how.settings.sender_address} ({exc}), so the "
                    f"rest were not sent; run it again later (a daily sending limit resets) or check the settings.")
        except MailServerUnreachable as exc:           # reconnecting failed: the server went away midway
            _answer(hall, item, attempt, "retry", msg_id, str(exc))
            return (f"The mail server {how.settings.where} could not be reached again, so the rest were not sent; "
                    f"run it again to send them.")
        except UserFacingError as exc:
            _answer(hall, item, attempt, "retry", msg_id, str(exc))
            raise
        _answer(hall, item, attempt, "sent", msg_id, answer)
        return None
    return ("later", "not accepted for now")


# What the window and the CLI show -----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Problem:
    """A message the server refused, or one cut off while being sent, for a slip still open."""

    outbox_id: int
    member_id: int
    member_number: str
    member_name: str
    slip_id: int
    kind: str
    address: str
    step: str                # failed | unknown
    answer: str
    at: str

    @property
    def what(self) -> str:
        return "slip" if self.kind == "slip" else self.kind.replace("-", " ")

    @property
    def summary(self) -> str:
        if self.step == "failed":
            return (f"The {self.what} email to member {self.member_number} ({self.member_name}) at {self.address} "
                    f"was refused by the mail server: {self.answer}. Correct the member's email and send again.")
        return (f"The {self.what} email to member {self.member_number} ({self.member_name}) at {self.address} "
                f"was cut off while being sent; it may have gone out, so it is not sent again by itself.")


def problems(hall: Hall, member_id: int | None = None) -> list[Problem]:
    with hall.read() as s:
        query = (select(OutboxEntry, Member).join(Member, Member.id == OutboxEntry.member_id)
                 .join(Slip, Slip.id == OutboxEntry.slip_id).where(Slip.status == "open")
                 .order_by(OutboxEntry.id))
        if member_id is not None:
            query = query.where(OutboxEntry.member_id == member_id)
        last: dict[tuple[int, str], tuple[OutboxEntry, Member]] = {}
        sent: set[tuple[int, str]] = set()
        for row, member in s.execute(query).all():
            last[(row.slip_id, row.kind)] = (row, member)
            if row.step == "sent":
                sent.add((row.slip_id, row.kind))
    found = []
    for key, (row, member) in last.items():
        if key in sent or row.step not in ("failed", "unknown"):
            continue
        if row.step == "failed" and member.email.strip().casefold() != row.address.casefold():
            continue              # the address was corrected since: the next run sends it
        found.append(Problem(row.id, member.id, member.member_number, f"{member.first_name} {member.last_name}",
                             row.slip_id, row.kind, row.address, row.step, row.answer, row.at))
    return found


@dataclasses.dataclass(frozen=True)
class Mail:
    """One message in the outbox, as a list shows it: its last step."""

    slip_id: int
    kind: str
    member_number: str
    address: str
    step: str
    attempts: int
    answer: str
    at: str


def outbox_list(hall: Hall, member_number: str | None = None) -> list[Mail]:
    with hall.read() as s:
        query = (select(OutboxEntry, Member.member_number).join(Member, Member.id == OutboxEntry.member_id)
                 .order_by(OutboxEntry.id))
        if member_number is not None:
            query = query.where(Member.member_number == member_number)
        last: dict[tuple[int, str], Mail] = {}
        for row, number in s.execute(query).all():
            key = (row.slip_id, row.kind)
            if key in last and last[key].step == "sent":
                continue
            last[key] = Mail(row.slip_id, row.kind, number, row.address, row.step, row.attempt, row.answer, row.at)
    return sorted(last.values(), key=lambda m: m.at)
