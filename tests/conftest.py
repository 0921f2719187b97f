"""Shared fixtures: a scratch hall on a real SQLite file, and the real command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring  # noqa: E402
import keyring.backend  # noqa: E402
import keyring.errors  # noqa: E402
import pytest  # noqa: E402

from treasurer.cli import main as cli_main  # noqa: E402
from treasurer.hall import Hall, init_hall, open_hall  # noqa: E402



class MemoryKeyring(keyring.backend.KeyringBackend):
    """The OS keyring's stand-in for tests: a developer's real keychain is never touched."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        if self.store.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(username)


@pytest.fixture(autouse=True)
def memory_keyring(monkeypatch) -> MemoryKeyring:
    for name in ("STRIPE_API_KEY", "STRIPE_WEBHOOK_SECRET", "TREASURER_STRIPE_API_BASE", "TREASURER_HOME",
                 "TREASURER_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def hall(tmp_path) -> Hall:
    hall = open_hall(str(tmp_path / "hall"), actor="tester")
    init_hall(hall, "IBEW Local 000", "usd")
    yield hall
    hall.close()


class Cli:
    """Runs ``treasurer`` in this process against one data directory."""

    def __init__(self, data_dir: Path, capsys):
        self.data_dir = data_dir
        self.capsys = capsys

    def __call__(self, *args: str, expect: int | None = 0, stdin: str | None = None) -> tuple[int, str, str]:
        import io

        saved = sys.stdin
        if stdin is not None:
            sys.stdin = io.StringIO(stdin)
        try:
            code = cli_main(["--data-dir", str(self.data_dir), *args])
        finally:
            sys.stdin = saved
        out, err = self.capsys.readouterr()
        if expect is not None:
            assert code == expect, f"exit {code}, stdout:\n{out}\nstderr:\n{err}"
        return code, out, err


@pytest.fixture
def cli(tmp_path, capsys) -> Cli:
    return Cli(tmp_path / "cli-hall", capsys)


@pytest.fixture(scope="session")
def stripe_sandbox():
    """One offline Stripe sandbox for the session (the tests reset it)."""
    from sandbox import SandboxThread
    from sandbox.webhooks import RetryPolicy

    retry = RetryPolicy(attempts=3, backoff_seconds=0.05, timeout_seconds=5, concurrency=8)
    with SandboxThread(port=0, retry=retry) as sb:
        yield sb


@pytest.fixture
def sandbox_url(stripe_sandbox) -> str:
    from sandbox.testing import control

    control(stripe_sandbox.base_url, "reset")
    return stripe_sandbox.base_url


from helpers import SANDBOX_KEY  # noqa: E402


@pytest.fixture
def gateway(sandbox_url):
    from treasurer.gateway import Gateway

    return Gateway(SANDBOX_KEY, sandbox_url, backoff_seconds=0.01)
