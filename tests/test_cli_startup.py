"""A command loads what it uses (issue 12): 'treasurer --version' loads none of the books; 'treasurer member
show' and 'treasurer arrears' read a SQLite hall without SQLAlchemy or the models (treasurer.member_quick), and
where they go the normal way they load the books but not the migrations, Stripe's SDK, the keyring, the relay,
the sandbox or Qt.

Shape, not time: the time is bench/bench_cli.py's to measure."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

import pytest

from treasurer import cli as treasurer_cli
from treasurer.db import HEAD_REVISION, head_revision

# Loaded by the commands that need them, never at start-up.
NEVER_AT_START = {"alembic", "stripe", "keyring", "relay", "sandbox", "PySide6", "ui", "reportlab", "aiohttp"}
THE_BOOKS = {"sqlalchemy", "treasurer.models", "treasurer.db", "treasurer.hall"}

LOADED = """
import json, sys
from treasurer.cli import main
try:
    code = main(sys.argv[1:])
except SystemExit as exit:
    code = exit.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""


def loaded(*args: str) -> set[str]:
    """The modules a real ``treasurer ARGS`` process has loaded when it is done."""
    done = subprocess.run([sys.executable, "-c", LOADED, *args], capture_output=True, text=True, timeout=120,
                          check=False)
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stderr
    return set(report["modules"])


def tops(modules: set[str]) -> set[str]:
    return modules | {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_version_and_help_load_none_of_the_books(args):
    modules = loaded(*args)
    too_soon = (NEVER_AT_START | THE_BOOKS) & tops(modules)
    assert not too_soon
    commands = {name for name in modules if name.startswith("treasurer.cli.") and name != "treasurer.cli.common"}
    assert not commands


def test_a_command_help_loads_its_own_module_only():
    modules = loaded("member", "--help")
    assert "treasurer.cli.member" in modules
    others = {"treasurer.cli.members", "treasurer.cli.relay", "treasurer.cli.stripe", "treasurer.cli.books",
              "treasurer.cli.reports"} & modules
    assert not others
    too_soon = NEVER_AT_START & tops(modules)
    assert not too_soon


def test_member_show_and_arrears_read_a_sqlite_hall_without_sqlalchemy(tmp_path):
    data_dir = _small_hall(tmp_path)
    for args in (["member", "show", "1001"], ["arrears"]):
        modules = loaded("--data-dir", data_dir, *args)
        assert not (NEVER_AT_START | THE_BOOKS) & tops(modules), args
        assert "treasurer.member_quick" in modules


def test_member_show_the_quick_path_cannot_answer_opens_the_books_without_the_migrations(tmp_path):
    """An unknown member number: the normal path answers (with its sentence), loading the books but not alembic,
    Stripe's SDK or the relay."""
    data_dir = _small_hall(tmp_path)
    done = subprocess.run([sys.executable, "-c", LOADED, "--data-dir", data_dir, "member", "show", "999"],
                          capture_output=True, text=True, timeout=120, check=False)
    assert "error: There is no member number '999'." in done.stderr
    modules = set(json.loads(done.stderr.strip().splitlines()[-1])["modules"])
    assert THE_BOOKS <= modules
    too_soon = NEVER_AT_START & tops(modules)
    assert not too_soon


def _small_hall(tmp_path) -> str:
    data_dir = str(tmp_path / "hall")
    for args in (["init", "--hall-name", "IBEW Local 000"],
                 ["classes", "add", "Journeyman", "--rate", "45.00", "--from", "2026-01-01"],
                 ["members", "add", "1001", "--first", "Ann", "--last", "Lee", "--class", "Journeyman"]):
        assert treasurer_cli.main(["--data-dir", data_dir, *args]) == 0
    return data_dir


def test_the_command_table_says_what_the_modules_register():
    """'treasurer --help' lists the table without loading the modules: it must match them, name, help and all."""
    full = _commands(treasurer_cli.build_parser())
    listed = _commands(treasurer_cli.build_parser(["--help"]))
    assert listed == full
    full_tree = _parsers(treasurer_cli.build_parser())
    for name in full_tree:
        # 'treasurer NAME ...' loads the table's module for NAME: it must bring the whole of NAME.
        alone = _parsers(treasurer_cli.build_parser([name, "--help"]))[name]
        assert _paths(alone) == _paths(full_tree[name]), name


def test_the_command_word_is_found_after_global_options():
    assert treasurer_cli.chosen_command(["member", "show", "1"]) == "member"
    assert treasurer_cli.chosen_command(["--data-dir", "member", "arrears"]) == "arrears"
    assert treasurer_cli.chosen_command(["--data-dir=books", "--database-url", "sqlite://", "pay", "1"]) == "pay"
    assert treasurer_cli.chosen_command(["--data-d", "x", "review"]) == "review"
    assert treasurer_cli.chosen_command(["--version"]) is None
    assert treasurer_cli.chosen_command([]) is None
    # Commands are matched whatever their case: 'Member Show' loads the member commands too.
    args = treasurer_cli.build_parser(["Member", "Show", "1001"]).parse_args(["Member", "Show", "1001"])
    assert args.func.__module__ == "treasurer.cli.member" and args.member_number == "1001"


def test_a_command_module_missing_from_the_installation_leaves_the_others_working(monkeypatch):
    monkeypatch.setattr(treasurer_cli, "COMMANDS", (*treasurer_cli.COMMANDS, ("fax", "fax", "fax the slips")))
    assert "fax" not in _parsers(treasurer_cli.build_parser(["--help"]))
    assert "fax" not in _parsers(treasurer_cli.build_parser())
    args = treasurer_cli.build_parser(["member", "show", "1001"]).parse_args(["member", "show", "1001"])
    assert args.func.__module__ == "treasurer.cli.member"


def test_the_head_revision_known_without_alembic_is_alembic_s_head():
    """A new migration changes treasurer.db.HEAD_REVISION too (else the books would not be upgraded)."""
    assert HEAD_REVISION == head_revision()


def _parsers(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def _commands(parser: argparse.ArgumentParser) -> list[tuple[str, str]]:
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return [(choice.dest, choice.help) for choice in action._choices_actions]


def _paths(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> set[tuple]:
    """Every command path under the parser, with the options of each and the function it runs."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    func = parser.get_default("func")
    found = {(path, tuple(o for a in parser._actions for o in a.option_strings or [a.dest]),
              func and f"{func.__module__}.{func.__name__}")}
    for action in subs:
        for name, child in action.choices.items():
            found |= _paths(child, (*path, name))
    return found
