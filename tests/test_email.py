"""Emailing slips through a real SMTP server on 127.0.0.1 (aiosmtpd: STARTTLS and AUTH required).

Every message is read back with the standard library's parser; the attached slip's QR code is decoded back
to the member's payment link; the server refuses a recipient, answers 421, drops the line, and the sender is
killed between the server's answer and the books.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import email.utils
import os
import re
import signal
import subprocess

import pytest
from helpers import TREASURER, count
from mail_server import PASSWORD, USER, MailServer
from sqlalchemy import select

from treasurer import credentials
from treasurer.dues import add_classification, assess
from treasurer.mail_settings import save_mail_settings
from treasurer.members import MemberData, add_member, update_member
from treasurer.models import OutboxEntry, Slip
from treasurer.outbox import problems
from treasurer.slips import create_slips

SENDER = "IBEW Local 000 <treasurer@local000.example.org>"


def members(hall, n: int, email: bool = True) -> list[str]:
    add_classification(hall, "Journeyman Wireman", 4500, "monthly", dt.date(2025, 1, 1), 1850)
    numbers = []
    for i in range(n):
        number = str(1001 + i)
        add_member(hall, MemberData(number, f"First{i}", f"Last{i}", "Journeyman Wireman",
                                    email=f"member{number}@example.com" if email else "",
                                    join_date=dt.date(2020, 1, 1)))
        numbers.append(number)
    return numbers


@pytest.fixture
def server(tmp_path, monkeypatch):
    with MailServer(tmp_path) as srv:
        monkeypatch.setenv("SSL_CERT_FILE", str(srv.cert))      # the client trusts the test server's certificate
        yield srv


@pytest.fixture
def mail_hall(hall, server, gateway, monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-10-05")
    save_mail_settings(hall, "127.0.0.1", server.port, "starttls", SENDER, USER, "office@local000.example.org",
                       per_minute=0)
    credentials.store(credentials.MAIL_PASSWORD, PASSWORD)
    return hall


def slips_for(hall, gateway, n: int, email: bool = True) -> dict[str, str]:
    numbers = members(hall, n, email)
    assess(hall, "2026-10")
    outcomes, _ = create_slips(hall, gateway, "2026-10")
    assert len(outcomes) == len(numbers)
    return {o.member_number: o.url for o in outcomes}


def cli_in(hall, capsys):
    """``treasurer`` in this process on the hall's folder (as the ``cli`` fixture, for a hall already made)."""
    import io
    import sys

    from treasurer.cli import main

    def run(*args: str, expect: int | None = 0, stdin: str | None = None) -> tuple[int, str, str]:
        saved = sys.stdin
        if stdin is not None:
            sys.stdin = io.StringIO(stdin)
        try:
            code = main(["--data-dir", str(hall.data_path), *args])
        finally:
            sys.stdin = saved
        out, err = capsys.readouterr()
        if expect is not None:
            assert code == expect, f"exit {code}, stdout:\n{out}\nstderr:\n{err}"
        return code, out, err

    return run


def qr_links(pdf: bytes) -> list[str]:
    """Render the PDF's page with Qt's PDF module and read its QR code(s) with zxing-cpp."""
    import zxingcpp
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
    from PySide6.QtGui import QImage
    from PySide6.QtPdf import QPdfDocument

    from ui.slip_pdf import ensure_gui

    ensure_gui()
    data = QByteArray(pdf)
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    doc = QPdfDocument()
    doc.load(buffer)
    assert doc.pageCount() == 1
    size = doc.pagePointSize(0)
    image = doc.render(0, QSize(int(size.width() * 1.6), int(size.height() * 1.6)))
    white = QImage(image.size(), QImage.Format.Format_RGB32)
    white.fill(0xFFFFFF)
    from PySide6.QtGui import QPainter

    painter = QPainter(white)
    painter.drawImage(0, 0, image)
    painter.end()
    return [c.text for c in zxingcpp.read_barcodes(white.convertToFormat(QImage.Format.Format_Grayscale8))]


def outbox_steps(hall) -> list[tuple[int, str, str]]:
    with hall.read() as s:
        return [(r.slip_id, r.kind, r.step) for r in s.scalars(select(OutboxEntry).order_by(OutboxEntry.id))]


@pytest.mark.slow
def test_two_hundred_slips_go_out_once_each_to_its_member_only_with_a_qr_for_their_link(
        mail_hall, gateway, server, capsys):
    links = slips_for(mail_hall, gateway, 200)
    cli = cli_in(mail_hall, capsys)
    _, out, err = cli("slips", "email", "2026-10")
    assert err.strip().splitlines()[-1] == "Sent 200 messages."
    assert len(server.received) == 200

    names = {number: (f"First{int(number) - 1001}", f"Last{int(number) - 1001}") for number in links}
    seen = set()
    for got in server.received:
        assert got.authenticated_as == USER
        msg = got.message
        (_to_name, to_addr), = email.utils.getaddresses([msg["To"]])
        number = to_addr.removeprefix("member").removesuffix("@example.com")
        assert got.rcpt_tos == [to_addr] and number in links and number not in seen
        seen.add(number)
        assert msg["Cc"] is None and msg["Bcc"] is None
        assert msg["From"] == SENDER and msg["Reply-To"] == "office@local000.example.org"
        assert email.utils.parsedate_to_datetime(msg["Date"]).tzinfo is not None
        assert msg["Message-ID"].startswith("<treasurer.") and msg["Message-ID"].endswith("@local000.example.org>")
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        for body in (text, html):
            assert links[number] in body and "$45.00" in body and "IBEW Local 000" in body
        assert "2026-10" in text and "Other ways to pay" in text
        # nothing that names another member
        raw = "\n".join([*(f"{k}: {v}" for k, v in msg.items()), text, html])
        others = [n for n in links if n != number and (f"member{n}@" in raw or
                                                       re.search(rf"\b{names[n][1]}\b", raw))]
        assert others == []
        (attachment,) = list(msg.iter_attachments())
        assert attachment.get_content_type() == "application/pdf"
        assert qr_links(attachment.get_content()) == [links[number]]
    assert len(seen) == 200

    _, out, err = cli("slips", "email", "2026-10")      # again: nothing goes out twice
    assert len(server.received) == 200
    assert err.strip().splitlines()[-1] == "Sent 0 messages; 200 not sent (listed above)."
    assert out.count("already sent to") == 200


def test_with_the_server_down_it_says_so_in_one_sentence_and_marks_nothing_sent(mail_hall, gateway, server,
                                                                                   capsys):
    slips_for(mail_hall, gateway, 3)
    server.stop()
    _code, _out, err = cli_in(mail_hall, capsys)("slips", "email", "2026-10", expect=1)
    assert err == (f"error: The mail server 127.0.0.1:{server.port} could not be reached (the connection was "
                   f"refused), so nothing was sent.\n")
    assert count(mail_hall, "outbox") == 0


def test_members_without_an_email_are_listed_as_not_sent_with_the_reason(mail_hall, gateway, server, capsys):
    slips_for(mail_hall, gateway, 2, email=False)
    _code, out, _err = cli_in(mail_hall, capsys)("slips", "email", "2026-10")
    assert "not sent: 1001 First0 Last0 (slip" in out and "no email address on the roll" in out
    assert server.received == [] and count(mail_hall, "outbox") == 0


def test_dry_run_sends_and_records_nothing(mail_hall, gateway, server, capsys):
    slips_for(mail_hall, gateway, 3)
    _, out, err = cli_in(mail_hall, capsys)("slips", "email", "2026-10", "--dry-run")
    assert out.count("would send: ") == 3 and "Would send 3 messages." in err
    assert server.received == [] and count(mail_hall, "outbox") == 0


def test_a_refused_recipient_fails_for_good_shows_as_a_problem_and_is_resent_only_to_a_new_address(
        mail_hall, gateway, server, capsys):
    slips_for(mail_hall, gateway, 3)
    server.handler.on_rcpt = lambda address, n: "550 5.1.1 No such user" if address.startswith("member1002") else None
    _code, out, _err = cli_in(mail_hall, capsys)("slips", "email", "2026-10", expect=1)
    assert "refused: 1002 First1 Last1" in out and "550 5.1.1 No such user" in out
    assert sorted(r.rcpt_tos[0] for r in server.received) == ["member1001@example.com", "member1003@example.com"]
    (problem,) = problems(mail_hall)
    assert problem.member_number == "1002" and problem.step == "failed" and "550" in problem.summary

    from treasurer.review import open_items

    assert any(i.kind == "mail_failed" and "1002" in i.summary for i in open_items(mail_hall))
    _code, out, _err = cli_in(mail_hall, capsys)("review", "list", "--kind", "mail_failed")   # as in the window
    assert f"mail:{problem.outbox_id}" in out and "Email not delivered" in out and "1002 First1 Last1" in out
    _code, out, _err = cli_in(mail_hall, capsys)("review", "show", f"mail:{problem.outbox_id}")
    assert "550 5.1.1 No such user" in out and "member1002@example.com" in out
    _code, _out, err = cli_in(mail_hall, capsys)("review", "resolve", f"mail:{problem.outbox_id}", "--note", "x",
                                                  expect=1)
    assert "clears itself" in err

    cli_in(mail_hall, capsys)("slips", "email", "2026-10")            # same address: not tried again
    assert len(server.received) == 2
    update_member(mail_hall, "1002", MemberData("1002", "First1", "Last1", "Journeyman Wireman",
                                                email="first1@example.net", join_date=dt.date(2020, 1, 1)))
    assert problems(mail_hall) == []
    server.handler.on_rcpt = None
    cli_in(mail_hall, capsys)("slips", "email", "2026-10")
    assert [r.rcpt_tos for r in server.received[2:]] == [["first1@example.net"]]


def test_a_421_and_a_dropped_line_are_retried_with_backoff_and_each_member_gets_one_message(
        mail_hall, gateway, server, capsys):
    slips_for(mail_hall, gateway, 4)
    tries: dict[str, int] = {}

    def flaky(address: str, n: int):
        tries[address] = tries.get(address, 0) + 1
        if address.startswith("member1002") and tries[address] == 1:
            return "421 4.3.2 Service shutting down, try later"
        if address.startswith("member1003") and tries[address] == 1:
            return "DROP"                                   # the line drops before the message is handed over
        if address.startswith("member1004") and tries[address] <= 2:
            return "451 4.7.1 Greylisted, try again"
        return None

    server.handler.on_rcpt = flaky
    cli_in(mail_hall, capsys)("slips", "email", "2026-10")
    assert sorted(r.rcpt_tos[0] for r in server.received) == [f"member{n}@example.com" for n in
                                                              ("1001", "1002", "1003", "1004")]
    steps = outbox_steps(mail_hall)
    assert [s for s in steps if s[2] == "sent"].__len__() == 4
    assert sum(1 for s in steps if s[2] == "retry") == 4
    assert problems(mail_hall) == []


def test_a_line_dropped_while_the_server_takes_the_message_is_never_sent_again(mail_hall, gateway, server,
                                                                               capsys):
    slips_for(mail_hall, gateway, 3)
    server.handler.on_data = lambda rcpts, n: "DROP" if rcpts == ["member1002@example.com"] else None
    _code, out, _err = cli_in(mail_hall, capsys)("slips", "email", "2026-10", expect=1)
    assert "maybe sent: 1002" in out
    server.handler.on_data = None
    cli_in(mail_hall, capsys)("slips", "email", "2026-10")
    assert sorted(r.rcpt_tos[0] for r in server.received) == ["member1001@example.com", "member1003@example.com"]
    (problem,) = problems(mail_hall)
    assert problem.step == "unknown" and problem.member_number == "1002"


def test_killed_between_the_servers_answer_and_the_books_the_message_is_not_sent_twice(
        mail_hall, gateway, server, tmp_path):
    slips_for(mail_hall, gateway, 5)
    env = dict(os.environ, TREASURER_SMTP_PASSWORD=PASSWORD)
    proc = subprocess.Popen([str(TREASURER), "--data-dir", str(mail_hall.data_path), "slips", "email", "2026-10"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def kill_at_third(got):
        if len(server.received) == 3:
            os.kill(proc.pid, signal.SIGKILL)             # the server has the message; the books never hear

    server.handler.after_data = kill_at_third
    proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL
    server.handler.after_data = None
    assert len(server.received) == 3
    steps = outbox_steps(mail_hall)
    assert [s[2] for s in steps] == ["sending", "sent", "sending", "sent", "sending"]

    again = subprocess.run([str(TREASURER), "--data-dir", str(mail_hall.data_path), "slips", "email", "2026-10"],
                           env=env, capture_output=True, text=True, timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    assert len(server.received) == 5
    assert sorted(r.rcpt_tos[0] for r in server.received) == [f"member{1001 + i}@example.com" for i in range(5)]
    assert "being sent since" in again.stdout             # the cut-off one: not sent again

    from treasurer.outbox import reconcile

    assert reconcile(mail_hall, older_than=dt.timedelta(0)) == 1
    (problem,) = problems(mail_hall)
    assert problem.step == "unknown" and problem.member_number == "1003"


def test_a_slip_superseded_after_it_was_emailed_gets_its_replacement_only_when_asked_again(
        mail_hall, gateway, server, capsys):
    slips_for(mail_hall, gateway, 2)
    cli = cli_in(mail_hall, capsys)
    cli("slips", "email", "2026-10")
    assert len(server.received) == 2
    from treasurer.payments import record_payment

    record_payment(mail_hall, "1001", 1000, "cash")          # part of it: the slip is superseded
    (new,), _ = create_slips(mail_hall, gateway, "2026-10", ["1001"])
    assert len(server.received) == 2
    cli("slips", "email", "2026-10")
    assert len(server.received) == 3 and server.received[2].rcpt_tos == ["member1001@example.com"]
    assert new.url in server.received[2].message.get_body(("plain",)).get_content()
    with mail_hall.read() as s:
        assert s.get(Slip, new.slip_id).status == "open"


def test_the_outbox_is_append_only(mail_hall, gateway, server, capsys):
    slips_for(mail_hall, gateway, 1)
    cli_in(mail_hall, capsys)("slips", "email", "2026-10")
    from helpers import raw

    conn = raw(mail_hall)
    try:
        for sql in ("UPDATE outbox SET step = 'retry'", "DELETE FROM outbox"):
            with pytest.raises(Exception, match="outbox is never"):
                conn.execute(sql)
    finally:
        conn.close()
    _code, out, _err = cli_in(mail_hall, capsys)("audit", "verify")
    assert "OK" in out


def test_in_sandbox_mode_mail_goes_to_the_catcher_and_is_kept_as_each_member_would_see_it(
        hall, gateway, tmp_path, capsys, monkeypatch):
    from sandbox.mail_catcher import MailCatcher
    from treasurer.mail_settings import CATCHER_ENV

    monkeypatch.setenv("TREASURER_TODAY", "2026-10-05")
    links = slips_for(hall, gateway, 3)                      # no mail settings at all: sandbox needs none
    with MailCatcher(tmp_path / "caught") as catcher:
        monkeypatch.setenv(CATCHER_ENV, f"127.0.0.1:{catcher.port}")
        _, _, err = cli_in(hall, capsys)("slips", "email", "2026-10")
        assert "Sent 3 messages." in err
        kept = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in catcher.messages()]
    assert sorted(m["To"].addresses[0].addr_spec for m in kept) == [f"member{n}@example.com" for n in links]
    for m in kept:
        number = m["To"].addresses[0].addr_spec.removeprefix("member").removesuffix("@example.com")
        assert links[number] in m.get_body(("plain",)).get_content()
        assert m["From"] == "IBEW Local 000 <treasurer@sandbox.invalid>"
    assert count(hall, "outbox") == 6                        # 'sending' and 'sent' for each


def test_a_daily_quota_refusal_stops_the_run_without_blaming_the_members_and_the_next_run_sends_the_rest(
        mail_hall, gateway, server, capsys):
    slips_for(mail_hall, gateway, 4)
    server.handler.on_data = lambda rcpts, n: "550 5.4.5 Daily user sending quota exceeded." if n >= 2 else None
    _, _, err = cli_in(mail_hall, capsys)("slips", "email", "2026-10", expect=1)
    assert err.strip().splitlines()[-1] == (
        "error: The mail server refused to take mail from treasurer@local000.example.org (550 5.4.5 Daily user "
        "sending quota exceeded.), so the rest were not sent; run it again later (a daily sending limit resets) "
        "or check the settings.")
    assert len(server.received) == 2 and problems(mail_hall) == []
    server.handler.on_data = None
    cli_in(mail_hall, capsys)("slips", "email", "2026-10")
    assert sorted(r.rcpt_tos[0] for r in server.received) == [f"member{1001 + i}@example.com" for i in range(4)]


def test_cancel_stops_between_messages_and_the_rate_spaces_them(mail_hall, gateway, server):
    import time

    from treasurer.mail_settings import mail_settings, save_rate
    from treasurer.mailer import Mailer
    from treasurer.outbox import Sending, deliver
    from treasurer.slip_mail import slip_letters

    slips_for(mail_hall, gateway, 5)
    save_rate(mail_hall, 300)                                # one message every 0.2 s
    settings = mail_settings(mail_hall)
    arrivals: list[float] = []
    server.handler.after_data = lambda got: arrivals.append(time.monotonic())

    outgoing, report = slip_letters(mail_hall, "2026-10")
    report = deliver(mail_hall, outgoing, Sending(Mailer(settings, PASSWORD), settings, None), report,
                     progress=lambda done, total: done < 3)  # Cancel pressed once three have gone
    assert report.cancelled and len(report.sent) == 3 and len(server.received) == 3
    assert report.stopped == "Stopped after 3 of 5 messages; run it again to send the rest."
    # Three messages at 300 a minute span at least two gaps of 0.2 s (measured where they arrive: some jitter).
    assert arrivals[2] - arrivals[0] >= 0.35, arrivals

    outgoing, report = slip_letters(mail_hall, "2026-10")
    report = deliver(mail_hall, outgoing, Sending(Mailer(settings, PASSWORD), settings, None), report)
    assert len(report.sent) == 2 and len(server.received) == 5 and len(report.not_sent) == 3


def test_email_setup_keeps_the_password_in_the_keyring_and_test_sends_through_starttls_and_auth(
        hall, server, capsys, memory_keyring):
    cli = cli_in(hall, capsys)
    _, out, _ = cli("email", "setup", "--host", "127.0.0.1", "--port", str(server.port), "--security", "starttls",
                    "--from", SENDER, "--user", USER, "--password-stdin", stdin=PASSWORD + "\n")
    assert out.startswith(f"Saved: mail goes through 127.0.0.1:{server.port} (starttls)")
    assert memory_keyring.store[("treasurer", "smtp_password")] == PASSWORD
    with hall.read() as s:                                    # never in the books
        from treasurer.models import AuditEntry, Setting

        assert not [v for v in s.scalars(select(Setting.value)) if PASSWORD in v]
        assert not [e for e in s.scalars(select(AuditEntry.after_json)) if e and PASSWORD in e]
    _, out, _ = cli("email", "test", "me@example.org")
    assert out.startswith("Sent a test message to me@example.org through 127.0.0.1:")
    (got,) = server.received
    assert got.authenticated_as == USER and got.rcpt_tos == ["me@example.org"]
    assert got.message["Subject"] == "IBEW Local 000: test email from Hall Treasurer"
    _, out, _ = cli("email", "show")
    assert "password:   saved" in out and "reminders:  7 days, 21 days after the pay-by date, at most 2" in out

    memory_keyring.store[("treasurer", "smtp_password")] = "wrong"
    _, _, err = cli("email", "test", "me@example.org", expect=1)
    assert err.startswith(f"error: The mail server 127.0.0.1:{server.port} refused the user name or password")


@pytest.mark.parametrize(("args", "said"), [
    (["--host", "smtp.example.org", "--security", "none", "--from", SENDER],
     "error: Mail without encryption is allowed only to a server on this computer (127.0.0.1)"),
    (["--host", "smtp.example.org", "--security", "starttls", "--from", "not an address"],
     "error: The sender 'not an address' is not an email address"),
    (["--host", "smtp example.org", "--security", "tls", "--from", SENDER],
     "error: The mail server 'smtp example.org' is not a host name"),
    (["--host", "smtp.example.org", "--security", "tls", "--from", SENDER, "--port", "70000"],
     "error: The port 70000 is not between 1 and 65535."),
])
def test_email_setup_refuses_bad_settings_in_a_sentence_and_changes_nothing(hall, capsys, args, said):
    _, _, err = cli_in(hall, capsys)("email", "setup", *args, expect=1)
    assert err.startswith(said)
    from treasurer.mail_settings import mail_settings

    assert mail_settings(hall).host == ""


def test_names_beyond_ascii_are_encoded_and_an_address_beyond_ascii_is_listed_not_sent(mail_hall, gateway, server,
                                                                                       capsys):
    links = slips_for(mail_hall, gateway, 2)
    update_member(mail_hall, "1001", MemberData("1001", "José", "Núñez", "Journeyman Wireman",
                                                email="member1001@example.com", join_date=dt.date(2020, 1, 1)))
    update_member(mail_hall, "1002", MemberData("1002", "Zoë", "Brontë", "Journeyman Wireman",
                                                email="zoë@exämple.com", join_date=dt.date(2020, 1, 1)))
    _, out, _ = cli_in(mail_hall, capsys)("slips", "email", "2026-10")
    assert "not sent: 1002 Zoë Brontë" in out and "beyond plain ASCII" in out
    (got,) = server.received
    msg = got.message
    assert msg["To"].addresses[0].display_name == "José Núñez"
    assert "Dear José Núñez," in msg.get_body(("plain",)).get_content()
    assert links["1001"] in msg.get_body(("html",)).get_content()


def test_the_window_in_sandbox_mode_starts_a_catcher_in_the_data_folder(tmp_path, monkeypatch):
    import smtplib
    import types

    from treasurer.cli.mail import start_mail_catcher
    from treasurer.mail_settings import CATCHER_ENV, catcher_address

    monkeypatch.setenv(CATCHER_ENV, "")                      # put back (unset) after the test
    catcher = start_mail_catcher(types.SimpleNamespace(data_dir=str(tmp_path / "hall")))
    try:
        assert catcher_address() == ("127.0.0.1", catcher.port)
        with smtplib.SMTP("127.0.0.1", catcher.port, timeout=10) as smtp:
            smtp.sendmail("a@example.org", ["b@example.org"], b"Subject: hi\r\n\r\n.leading dot\r\n")
        (kept,) = (tmp_path / "hall" / "sandbox-mail").glob("*.eml")
        assert kept.read_bytes() == b"Subject: hi\r\n\r\n.leading dot\r\n"
        assert kept.stat().st_mode & 0o077 == 0                 # members' mail: the owner's alone
    finally:
        catcher.stop()
