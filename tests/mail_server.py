"""A real SMTP server on 127.0.0.1 for the email tests (aiosmtpd): STARTTLS with its own certificate, AUTH,
and ways to misbehave (refuse a recipient, answer 421, drop the connection, stop the sender) on cue."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Self

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

USER, PASSWORD = "local000@example.org", "app-password-1234"


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (the client trusts it through SSL_CERT_FILE)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclasses.dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    authenticated_as: str | None

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=email.policy.default)


class Handler:
    """Keeps what arrives; ``on_rcpt`` / ``on_data`` may answer otherwise (a code and text) or drop the line."""

    def __init__(self):
        self.received: list[Received] = []
        self.lock = threading.Lock()
        self.on_rcpt: Callable[[str, int], str | None] | None = None     # (address, count so far) -> answer
        self.on_data: Callable[[list[str], int], str | None] | None = None
        self.after_data: Callable[[Received], None] | None = None        # runs once a message is kept

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.on_rcpt is not None:
            answer = self.on_rcpt(address, len(self.received))
            if answer == "DROP":
                server.transport.close()
                return "421 dropped"
            if answer:
                return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.on_data is not None:
            answer = self.on_data(list(envelope.rcpt_tos), len(self.received))
            if answer == "DROP":
                server.transport.close()
                return "421 dropped"
            if answer:
                return answer
        got = Received(envelope.mail_from, list(envelope.rcpt_tos), bytes(envelope.original_content),
                       USER if session.authenticated else None)
        with self.lock:
            self.received.append(got)
        if self.after_data is not None:
            self.after_data(got)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt_tos]


def _authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER and \
        auth_data.password.decode() == PASSWORD
    return AuthResult(success=ok, handled=False)


class MailServer:
    """``with MailServer(tmp_path) as server``: STARTTLS required, AUTH required (USER, PASSWORD)."""

    def __init__(self, folder: Path, tls: bool = True, auth: bool = True):
        self.handler = Handler()
        self.port = free_port()
        self.cert, key = make_certificate(folder)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        kwargs = {"tls_context": context, "require_starttls": True} if tls else {}
        if auth:
            kwargs.update(authenticator=_authenticator, auth_required=True, auth_require_tls=tls)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     data_size_limit=20_000_000, **kwargs)

    def __enter__(self) -> Self:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        if not self.down:
            self.controller.stop()

    down = False

    def stop(self) -> None:
        """The server goes away (for good: a test that needs it back starts another)."""
        self.controller.stop()
        self.down = True

    @property
    def received(self) -> list[Received]:
        return self.handler.received
