"""Sandbox mode's mail server: an SMTP server on 127.0.0.1 that delivers nothing and keeps everything.

Each message it takes is written to a folder as ``NNNNNN.eml`` (exactly the bytes the app sent), so the
window can show what was "sent", as each member would see it, in this session and the next.  Enough SMTP
for a client such as Python's smtplib: HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT; no TLS, no AUTH
(the app allows unencrypted mail only to 127.0.0.1).
"""

from __future__ import annotations

import socketserver
import threading
from pathlib import Path
from typing import Self

MAX_BYTES = 30_000_000


class _Session(socketserver.StreamRequestHandler):
    timeout = 60

    def _say(self, line: str) -> None:
        self.wfile.write(line.encode("ascii") + b"\r\n")
        self.wfile.flush()

    def handle(self) -> None:
        catcher: MailCatcher = self.server.catcher       # type: ignore[attr-defined]
        self._say("220 127.0.0.1 Hall Treasurer sandbox mail catcher: nothing leaves this computer")
        sender, recipients = None, []
        while True:
            raw = self.rfile.readline(4096)
            if not raw:
                return
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line[:4].upper()
            if verb == "EHLO":
                self._say("250-127.0.0.1")
                self._say(f"250-SIZE {MAX_BYTES}")
                self._say("250 8BITMIME")
            elif verb == "HELO":
                self._say("250 127.0.0.1")
            elif verb == "MAIL":
                sender, recipients = line.partition(":")[2].strip(), []
                self._say("250 OK")
            elif verb == "RCPT":
                if sender is None:
                    self._say("503 MAIL first")
                    continue
                recipients.append(line.partition(":")[2].strip().strip("<>"))
                self._say("250 OK")
            elif verb == "DATA":
                if not recipients:
                    self._say("503 RCPT first")
                    continue
                self._say("354 End data with <CR><LF>.<CR><LF>")
                data = self._read_data()
                if data is None:
                    return
                name = catcher.keep(data)
                self._say(f"250 Kept as {name} (sandbox: not delivered)")
                sender, recipients = None, []
            elif verb == "RSET":
                sender, recipients = None, []
                self._say("250 OK")
            elif verb == "NOOP":
                self._say("250 OK")
            elif verb == "QUIT":
                self._say("221 Bye")
                return
            else:
                self._say("502 Command not implemented")

    def _read_data(self) -> bytes | None:
        lines, size = [], 0
        while True:
            raw = self.rfile.readline(MAX_BYTES)
            if not raw:
                return None
            if raw in (b".\r\n", b".\n"):
                return b"".join(lines)
            if raw.startswith(b".."):
                raw = raw[1:]
            size += len(raw)
            if size <= MAX_BYTES:
                lines.append(raw)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class MailCatcher:
    """``MailCatcher(folder).start()``; ``port`` once started; ``stop()`` when the app closes."""

    def __init__(self, folder: str | Path, port: int = 0, host: str = "127.0.0.1"):
        self.folder = Path(folder)
        self._address = (host, port)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    def start(self) -> MailCatcher:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._server = _Server(self._address, _Session)
        self._server.catcher = self                      # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, name="mail-catcher", daemon=True)
        self._thread.start()
        return self

    def keep(self, data: bytes) -> str:
        with self._lock:
            taken = [int(p.stem) for p in self.folder.glob("*.eml") if p.stem.isdigit()]
            name = f"{(max(taken) + 1) if taken else 1:06d}.eml"
            path = self.folder / name
            path.touch(mode=0o600)
            path.write_bytes(data)
        return name

    def messages(self) -> list[Path]:
        return sorted(self.folder.glob("*.eml"))

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(folder: str | Path, port: int) -> None:
    """``treasurer email catch``: run until stopped (Ctrl+C)."""
    catcher = MailCatcher(folder, port).start()
    print(f"Catching mail on 127.0.0.1:{catcher.port}; messages go to {catcher.folder}. Ctrl+C to stop.",
          flush=True)
    try:
        threading.Event().wait()
    finally:
        catcher.stop()
