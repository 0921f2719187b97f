"""Reminders follow the hall's schedule as the clock moves forward, stop at payment, and never reach a payer.

The books' clock is moved with TREASURER_TODAY (treasurer/clock.py); mail goes to a real SMTP server on
127.0.0.1 (tests/mail_server.py) and online payments through the offline Stripe sandbox.
"""

from __future__ import annotations

import pytest
from test_email import cli_in, mail_hall, server, slips_for  # noqa: F401  (fixtures shared with the slips' tests)

from sandbox.testing import pay
from treasurer import sync
from treasurer.mail_settings import reminder_schedule, save_reminder_schedule
from treasurer.payments import record_payment
from treasurer.slip_mail import reminder_number


def reminded(smtp, since: int = 0) -> list[tuple[str, str]]:
    """(member number, which reminder) for each message the server took since ``since``."""
    found = []
    for got in smtp.received[since:]:
        msg = got.message
        number = got.rcpt_tos[0].removeprefix("member").removesuffix("@example.com")
        text = msg.get_body(("plain",)).get_content()
        which = "reminder 1" if "This is reminder 1" in text else "reminder 2" if "This is reminder 2" in text \
            else "slip"
        found.append((number, which))
    return sorted(found)


def test_reminders_follow_the_schedule_stop_at_payment_and_never_reach_a_payer(
        mail_hall, gateway, sandbox_url, server, capsys, monkeypatch):  # noqa: F811
    links = slips_for(mail_hall, gateway, 4)               # made 2026-10-05, pay by 2026-10-15
    cli = cli_in(mail_hall, capsys)
    day = lambda text: monkeypatch.setenv("TREASURER_TODAY", text)

    day("2026-10-21")                                        # 6 days late: nothing yet
    _, _, err = cli("reminders", "send")
    assert err == "No reminders are due today.\n" and server.received == []

    record_payment(mail_hall, "1001", 4500, "cash")          # 1001 pays at the counter

    day("2026-10-22")                                        # 7 days late: the first reminder
    _, out, _ = cli("reminders", "send", "--dry-run")
    assert out.count("would send: ") == 3 and "1001" not in out and server.received == []
    cli("reminders", "send")
    assert reminded(server) == [("1002", "reminder 1"), ("1003", "reminder 1"), ("1004", "reminder 1")]
    for got in server.received:
        number = got.rcpt_tos[0].removeprefix("member").removesuffix("@example.com")
        assert links[number] in got.message.get_body(("plain",)).get_content()
    cli("reminders", "send")                                 # again the same day: nothing twice
    assert len(server.received) == 3

    pay(sandbox_url, links["1002"].rsplit("/", 1)[1])        # 1002 pays online; the payment lands
    sync.catch_up(mail_hall, gateway)

    for text in ("2026-10-23", "2026-11-04"):                # between the reminders: nothing
        day(text)
        cli("reminders", "send")
    assert len(server.received) == 3

    day("2026-11-05")                                        # 21 days late: the second, to those still unpaid
    cli("reminders", "send")
    assert reminded(server, 3) == [("1003", "reminder 2"), ("1004", "reminder 2")]

    record_payment(mail_hall, "1003", 2000, "check", "88")   # part of it: the slip is superseded, no more
    for text in ("2026-11-06", "2026-12-01", "2027-01-15"):  # at most two reminders a slip
        day(text)
        cli("reminders", "send")
    assert len(server.received) == 5
    for got in server.received:
        assert got.rcpt_tos != ["member1001@example.com"]     # the counter payer: never reminded
    assert [r.rcpt_tos for r in server.received if r.rcpt_tos == ["member1002@example.com"]] == [
        ["member1002@example.com"]]                           # the online payer: only the one before paying


def test_a_late_first_run_sends_only_the_latest_reminder_due(mail_hall, gateway, server, capsys,  # noqa: F811
                                                             monkeypatch):
    slips_for(mail_hall, gateway, 2)
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-20")     # 36 days late, never reminded
    cli_in(mail_hall, capsys)("reminders", "send")
    assert reminded(server) == [("1001", "reminder 2"), ("1002", "reminder 2")]
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-21")
    cli_in(mail_hall, capsys)("reminders", "send")
    assert len(server.received) == 2


def test_the_schedule_is_a_hall_setting(mail_hall, capsys):  # noqa: F811
    cli = cli_in(mail_hall, capsys)
    _, out, _ = cli("reminders", "schedule")
    assert out == "Reminders go out 7, 21 days after a slip's pay-by date, at most 2 a slip.\n"
    cli("reminders", "schedule", "--days", "5,10,30", "--most", "4")
    s = reminder_schedule(mail_hall)
    assert s.days == (5, 10, 30) and s.most == 4
    assert [reminder_number(s, d) for d in (4, 5, 9, 10, 29, 30, 49, 50)] == [0, 1, 1, 2, 2, 3, 3, 4]
    _, _, err = cli("reminders", "schedule", "--days", "21,7", expect=1)
    assert err.startswith("error: The reminder days '21,7' must be 1 or more and each later")
    assert reminder_schedule(mail_hall).days == (5, 10, 30)
    with pytest.raises(Exception, match="between 0"):
        save_reminder_schedule(mail_hall, most=99)
