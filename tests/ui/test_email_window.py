"""Email from the window, in sandbox mode: the mail settings, "Email slips...", "Send reminders...", and the
sandbox's "Sent mail" viewer showing what each member got.  The treasurer's answers to the period question,
the confirmation and the closing message box are given by replacing those dialogs; the sending itself (the
progress dialog's pool thread, the outbox, SMTP to the catcher, the PDF) runs for real."""

from __future__ import annotations

import email
import email.policy

import pytest
from PySide6.QtCore import Qt
from test_email import slips_for
from uitools import sandbox_args

from sandbox.mail_catcher import MailCatcher
from treasurer import credentials
from treasurer.mail_settings import (
    CATCHER_ENV,
    SANDBOX_MAIL_FOLDER,
    mail_settings,
    reminder_schedule,
)


@pytest.fixture
def catcher(hall, monkeypatch):
    with MailCatcher(hall.data_path / SANDBOX_MAIL_FOLDER) as c:
        monkeypatch.setenv(CATCHER_ENV, f"127.0.0.1:{c.port}")
        yield c


@pytest.fixture
def answers(monkeypatch):
    """The treasurer picks the first period offered, says Send, and reads the message box."""
    import ui.mail_actions as actions

    said: list[str] = []
    monkeypatch.setattr(actions.QInputDialog, "getItem", staticmethod(lambda parent, title, label, items, *a:
                                                                      (items[0], True)))
    monkeypatch.setattr(actions, "confirm", lambda *a, **k: True)
    monkeypatch.setattr(actions.QMessageBox, "information", staticmethod(lambda parent, title, text: said.append(text)))
    monkeypatch.setattr(actions, "show_sent_mail", lambda parent, ctx: said.append("(sent mail shown)"))
    return said


def test_email_slips_and_reminders_from_the_window_land_in_sandbox_sent_mail(
        hall, gateway, sandbox_url, catcher, answers, make_window, qtbot, monkeypatch):
    monkeypatch.setenv("TREASURER_TODAY", "2026-10-05")
    links = slips_for(hall, gateway, 3)
    window = make_window(hall, sandbox_args(sandbox_url))
    slips = window.show_screen("Slips")
    assert slips.sent_mail_button.isVisible()
    qtbot.mouseClick(slips.email_button, Qt.MouseButton.LeftButton)
    assert answers[0].startswith("Sent 3 messages. Sandbox mode: nothing left this computer")
    assert answers[1] == "(sent mail shown)"
    assert slips.result_label.text() == "Emailed 3 slips."
    kept = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in catcher.messages()]
    assert sorted(m["To"].addresses[0].addr_spec for m in kept) == [f"member{n}@example.com" for n in links]

    monkeypatch.setenv("TREASURER_TODAY", "2026-10-22")      # a week past the pay-by date
    dashboard = window.show_screen("Dashboard")
    qtbot.mouseClick(dashboard.remind_button, Qt.MouseButton.LeftButton)
    assert answers[2].startswith("Sent 3 messages.")
    assert len(catcher.messages()) == 6

    from ui.dialogs.sent_mail import SentMailDialog

    viewer = SentMailDialog(window.ctx, window)
    qtbot.addWidget(viewer)
    assert viewer.list.count() == 6
    viewer.list.setCurrentRow(0)                              # the newest: a reminder
    shown = viewer.view.toPlainText()
    assert "Reminder:" in shown and "This is reminder 1" in shown
    number = next(n for n in links if f"member{n}@example.com" in shown)
    assert links[number] in shown and "slip-" in shown        # the link and the attached slip


def test_the_mail_section_saves_settings_keeps_the_password_in_the_keyring_and_sends_a_test(
        hall, catcher, make_window, qtbot):
    window = make_window(hall)
    section = window.show_screen("Settings").mail_section
    section.host.setText("smtp.example.org")
    section.security.setCurrentIndex(section.security.findData("starttls"))
    section.port.setValue(587)
    section.sender.setText("IBEW Local 000 <treasurer@local000.example.org>")
    section.user.setText("treasurer@local000.example.org")
    section.password.setText("app-password")
    section.days.setText("5,15")
    section.most.setValue(3)
    qtbot.mouseClick(section.save_button, Qt.MouseButton.LeftButton)
    assert section.result.text().startswith("Saved.")
    s = mail_settings(hall)
    assert (s.host, s.port, s.security, s.user) == ("smtp.example.org", 587, "starttls",
                                                    "treasurer@local000.example.org")
    assert credentials.mail_password() == "app-password" and section.password.text() == ""
    assert reminder_schedule(hall).days == (5, 15) and reminder_schedule(hall).most == 3

    section.test_to.setText("me@example.org")                  # sandbox: the test goes to the catcher
    qtbot.mouseClick(section.test_button, Qt.MouseButton.LeftButton)
    assert section.result.text().startswith("Sent a test message to me@example.org")
    (kept,) = catcher.messages()
    assert b"test email from Hall Treasurer" in kept.read_bytes()


def test_a_refused_email_shows_on_the_members_page_and_in_review(hall, gateway, tmp_path, make_window, qtbot,
                                                                  monkeypatch):
    from mail_server import PASSWORD, USER, MailServer

    from treasurer.mail_settings import save_mail_settings
    from treasurer.mailer import Mailer
    from treasurer.outbox import Sending, deliver
    from treasurer.slip_mail import slip_letters
    from ui.screens.member_page import MemberPage

    monkeypatch.setenv("TREASURER_TODAY", "2026-10-05")
    slips_for(hall, gateway, 2)
    with MailServer(tmp_path) as server:
        monkeypatch.setenv("SSL_CERT_FILE", str(server.cert))
        server.handler.on_rcpt = lambda address, n: "550 5.1.1 No such mailbox" if "1002" in address else None
        settings = save_mail_settings(hall, "127.0.0.1", server.port, "starttls", "Local 000 <t@local000.example.org>",
                                      USER, per_minute=0)
        outgoing, report = slip_letters(hall, "2026-10")
        deliver(hall, outgoing, Sending(Mailer(settings, PASSWORD), settings, None), report)
    assert len(report.sent) == 1 and len(report.failed) == 1

    window = make_window(hall)
    review = window.show_screen("Review")
    (item,) = [r for r in review.table.proxy.records() if r.kind == "mail_failed"]
    assert item.member_number == "1002" and "550 5.1.1 No such mailbox" in item.detail
    page = MemberPage(window.ctx, "1002", window)
    qtbot.addWidget(page)
    assert not page.mail_problems.isHidden() and "was refused by the mail server" in page.mail_problems.text()
    other = MemberPage(window.ctx, "1001", window)
    qtbot.addWidget(other)
    assert other.mail_problems.isHidden()
