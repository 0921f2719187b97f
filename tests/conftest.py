"""Shared fixtures: a scratch hall on a real SQLite file, and the real command line."""

from __future__ import annotations

import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from treasurer.cli import main as cli_main  # noqa: E402
from treasurer.hall import Hall, init_hall, open_hall  # noqa: E402



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
