"""Talking to the hall's mail server (SMTP): connecting, and what each answer means for the message.

A server's answer sorts a message three ways: sent (250), try again later (4xx, 421, a connection lost
before the message was handed over) or refused for good (5xx).  A connection lost while the server was
taking the message itself may or may not have delivered it: ``MaybeSent``, never sent again by itself.
"""

from __future__ import annotations

import email.policy
import smtplib
import socket
import ssl
from email.message import EmailMessage

from .errors import UserFacingError
from .mail_settings import MailSettings

TIMEOUT_SECONDS = 30.0


class MailServerUnreachable(UserFacingError):
    """No connection to the mail server, or it would not let us in: a sentence for the treasurer."""


class Temporary(Exception):
    """The server said try later (4xx) or the connection dropped before the message was handed over."""


class Refused(Exception):
    """The server refused the message for good (5xx): a wrong or closed address, a policy."""


class SenderRefused(Exception):
    """A 5xx about the sender or the account, not the recipient (a daily quota, a policy): stop, try later."""


class MaybeSent(Exception):
    """The connection dropped while the server was taking the message: it may have gone out."""


def _answer(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {' '.join(text.split())}".strip()


def _why(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return "the name is not known"
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused"
    if isinstance(exc, (TimeoutError, socket.timeout)):
        return "it did not answer in time"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"its certificate could not be trusted ({exc.verify_message})"
    if isinstance(exc, ssl.SSLError):
        return f"the secure connection failed ({exc.reason or exc})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"it answered {_answer(exc.smtp_code, exc.smtp_error)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return "it closed the connection"
    return str(exc) or exc.__class__.__name__


class Mailer:
    """One connection to the mail server, opened when first needed and again after the server drops it."""

    def __init__(self, settings: MailSettings, password: str | None, timeout: float = TIMEOUT_SECONDS):
        self.settings = settings
        self.password = password
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def connect(self) -> None:
        if self._smtp is not None:
            return
        s = self.settings
        if not s.configured:
            raise MailServerUnreachable("Email is not set up yet, so nothing was sent: run 'treasurer email "
                                        "setup' (or fill in the mail section of Settings) first.")
        smtp = None
        try:
            context = ssl.create_default_context()
            if s.security == "tls":
                smtp = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            smtp.ehlo()
            if s.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise MailServerUnreachable(f"The mail server {s.where} does not offer STARTTLS, so nothing "
                                                f"was sent: choose security 'tls' (usually port 465) or ask the "
                                                f"provider.")
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.user:
                if not self.password:
                    raise MailServerUnreachable("The mail server needs a password and none is saved, so nothing "
                                                "was sent: run 'treasurer email setup ... --user U "
                                                "--password-stdin' or set TREASURER_SMTP_PASSWORD.")
                smtp.login(s.user, self.password)
        except MailServerUnreachable:
            self._drop(smtp)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            self._drop(smtp)
            raise MailServerUnreachable(f"The mail server {s.where} refused the user name or password "
                                        f"({_answer(exc.smtp_code, exc.smtp_error)}), so nothing was sent; with "
                                        f"Gmail or Microsoft 365 use an app password.") from None
        except (OSError, smtplib.SMTPException) as exc:
            self._drop(smtp)
            raise MailServerUnreachable(f"The mail server {s.where} could not be reached ({_why(exc)}), so "
                                        f"nothing was sent.") from None
        self._smtp = smtp

    @staticmethod
    def _drop(smtp) -> None:
        if smtp is not None:
            try:
                smtp.close()
            except OSError:
                pass

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._drop(self._smtp)
            self._smtp = None

    def send(self, msg: EmailMessage, to: str) -> str:
        """Hand one message to the server for one recipient; the server's answer, or an exception saying why not."""
        self.connect()
        smtp = self._smtp
        assert smtp is not None
        data = msg.as_bytes(policy=email.policy.SMTP)
        phase = "envelope"
        try:
            code, text = smtp.mail(self.settings.sender_address)
            if code != 250:
                self._refuse(code, text, "mail")
            code, text = smtp.rcpt(to)
            if code not in (250, 251):
                self._refuse(code, text, "rcpt")
            phase = "data"
            code, text = smtp.data(data)
        except UnicodeEncodeError:                 # an address beyond ASCII: this server cannot take it
            self._reset()
            raise Refused("the address has letters beyond plain ASCII") from None
        except smtplib.SMTPDataError as exc:       # DATA itself refused: the message was not handed over
            self._refuse(exc.smtp_code, exc.smtp_error, "data")
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop(smtp)
            self._smtp = None
            if phase == "data":
                raise MaybeSent(f"the connection was lost while the server was taking the message "
                                f"({_why(exc)})") from None
            raise Temporary(f"the connection was lost ({_why(exc)})") from None
        if code != 250:
            self._refuse(code, text, "data")
        return _answer(code, text)

    def _refuse(self, code: int, text, phase: str) -> None:
        answer = _answer(code, text)
        if code == 421 or code < 0:           # the server is closing the connection
            self._drop(self._smtp)
            self._smtp = None
            raise Temporary(answer)
        self._reset()
        if 400 <= code < 500:
            raise Temporary(answer)
        # Only a recipient refused at RCPT is that member's problem (no such mailbox); a refusal of the sender or
        # of every message (a daily quota: Gmail's 5.4.5, a policy) is the hall's, and would refuse them all.
        if phase != "rcpt" or " 5.4.5" in answer or "quota" in answer.casefold():
            raise SenderRefused(answer)
        raise Refused(answer)

    def _reset(self) -> None:
        try:
            self._smtp.rset()
        except (OSError, smtplib.SMTPException):
            self._drop(self._smtp)
            self._smtp = None

    def send_trial(self, msg: EmailMessage, to: str) -> str:
        """A test message: any failure is a sentence."""
        try:
            return self.send(msg, to)
        except (Temporary, MaybeSent) as exc:
            raise UserFacingError(f"The test message to {to} was not accepted for now: {exc}. Try again in a "
                                  f"minute.") from None
        except SenderRefused as exc:
            raise UserFacingError(f"The mail server refused to take mail from {self.settings.sender_address}: "
                                  f"{exc}.") from None
        except Refused as exc:
            raise UserFacingError(f"The mail server refused the test message to {to}: {exc}.") from None
        finally:
            self.close()
