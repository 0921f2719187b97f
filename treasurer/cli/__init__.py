"""The ``treasurer`` command: the GUI with no subcommand, the CLI with one.

This is the composition root: the only place in ``treasurer`` that may start the
GUI, the relay or the sandbox, and it imports them inside the command that
needs them.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import ImportFailed, UserFacingError
from ..private_files import private_umask
from . import common

# Every command: (name, the module that registers it, its one-line help), in the order 'treasurer --help' lists
# them.  Only the chosen command's module is imported (with the parts of the books it needs), so that
# 'treasurer --version' or 'treasurer member show' does not load the relay, Stripe, the PDF writer and the
# migrations first; the others are listed by name and help alone.  tests/test_cli_startup.py checks that this
# table says what the modules register.
COMMANDS = (
    ("init", "books", "start the books for a hall"),
    ("settings", "books", "show or change the hall's settings"),
    ("officers", "books", "the officers who approve adjustments and close periods"),
    ("classes", "books", "member classifications and their dues rates"),
    ("dues", "books", "assess dues for a period"),
    ("periods", "books", "close and reopen dues periods"),
    ("demo", "books", "fill a fresh hall with realistic made-up books"),
    ("backup", "books", "make a consistent copy of the database and check it"),
    ("restore", "books", "replace the books with a checked backup, keeping the current database aside"),
    ("members", "members", "the member roll"),
    ("member", "member", "one member"),
    ("arrears", "arrears", "members behind on dues, oldest first"),
    ("pay", "money", "record a payment received at the hall"),
    ("receipt", "money", "print a copy of a past payment's receipt"),
    ("adjust", "money", "request a waiver, hardship credit, write-off or correction"),
    ("approve", "money", "approve a requested adjustment (a different officer, with a PIN)"),
    ("deny", "money", "deny a requested adjustment (a different officer, with a PIN)"),
    ("adjustments", "money", "requested adjustments"),
    ("audit", "records", "the append-only audit log"),
    ("slips", "stripe", "payment slips and their Stripe payment links"),
    ("sandbox", "stripe", "the offline Stripe sandbox"),
    ("email", "mail", "the hall's mail server, and what was emailed to members"),
    ("reminders", "mail", "reminding members whose slip is unpaid after its pay-by date"),
    ("relay", "relay", "the relay that brings Stripe's events into the books"),
    ("sync", "relay", "one catch-up from Stripe's Events API, then exit"),
    ("reconcile", "reports", ("sync Stripe payouts and reconcile them with the books (exit 1 on any open "
                              "discrepancy)")),
    ("discrepancy", "reports", "differences between Stripe and the books"),
    ("deposits", "reports", "bank deposits of cash, checks and money orders"),
    ("bank", "reports", "reconcile the bank account with its statement"),
    ("report", "reports", "reports for the treasurer, the trustees and the international"),
    ("review", "review", ("what waits for a person: unmatched payments, refunds, disputes, held events, "
                          "adjustments awaiting approval")),
)
# Options of the top-level parser that take a value (argparse also accepts them shortened, or with '=').
_VALUED_OPTIONS = ("--data-dir", "--database-url")


def command_modules() -> list[str]:
    """The command modules this installation has, in the table's order (one that is missing is left out:
    its commands are not offered, and every other command still works)."""
    names = dict.fromkeys(module for _, module, _ in COMMANDS)
    return [name for name in names if importlib.util.find_spec(f"{__name__}.{name}") is not None]


def chosen_command(argv: Sequence[str]) -> str | None:
    """The command word in ``argv``: the first word that is neither an option nor a global option's value."""
    words = iter(argv)
    for word in words:
        if word == "--":
            return next(words, None)
        if not word.startswith("-") or word == "-":
            return word
        if "=" not in word and len(word) > 2 and any(opt.startswith(word) for opt in _VALUED_OPTIONS):
            next(words, None)
    return None


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The whole command tree; given ``argv``, only the module of the command it names is imported, and the
    other commands are there by name and help (enough for 'treasurer --help' and "did you mean ...?")."""
    parser = common.Parser(
        prog="treasurer", description="Hall Treasurer: dues, payments and payment slips for a union hall.",
        parents=[common.global_options(suppress=False)])
    parser.add_argument("--version", action="version", version=f"Hall Treasurer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    available = command_modules()
    wanted = set(available)
    if argv is not None:
        chosen = (chosen_command(argv) or "").casefold()     # 'Member' is 'member' (common.Parser)
        wanted = {module for name, module, _ in COMMANDS if name.casefold() == chosen} & wanted
    for name, module, summary in COMMANDS:
        if module not in available or name in commands.choices:
            continue
        if module in wanted:
            importlib.import_module(f"{__name__}.{module}").register(commands)
        else:
            commands.add_parser(name, help=summary, add_help=False)
    gui = commands.add_parser("gui", help="open the desktop application (the default with no command)",
                              parents=[common.global_options()], formatter_class=common.HelpFormatter,
                              epilog="examples:\n  treasurer gui\n  treasurer gui --sandbox   # try Stripe "
                                     "payments offline")
    gui.add_argument("--sandbox", action="store_true", help="use the offline Stripe sandbox even if a key is set")
    gui.set_defaults(func=run_gui)
    return parser


SANDBOX_KEY = "sk_test_sandbox_local_0000"
SANDBOX_PORT = 12111
SANDBOX_STATE = "sandbox-state.json"       # in the hall's folder: the window's sandbox mode and the demo share it


def run_gui(args: argparse.Namespace) -> int:
    """The window; with no Stripe key, ``--sandbox`` or Settings' sandbox box ticked, against the offline sandbox."""
    import os
    import types

    from .. import config, credentials

    try:
        from ui.app import main as gui_main
        from ui.settings import AppSettings
    except ImportError as exc:
        raise UserFacingError(f"The desktop application cannot start: {exc}. "
                              "Every command still works; see 'treasurer --help'.") from None
    key = credentials.api_key()
    if key and not getattr(args, "sandbox", False) and not AppSettings().sandbox:
        base = os.environ.get("TREASURER_STRIPE_API_BASE") or None
        args.stripe = types.SimpleNamespace(mode=credentials.key_mode(key), api_key=key, api_base=base)
        return gui_main(args)
    state = config.data_dir(getattr(args, "data_dir", None)) / SANDBOX_STATE
    running: list = []          # the sandbox and the mail catcher, once started
    closed: list = []           # once the window is gone nothing starts (a timer can fire after the loop ends)

    def start_sandbox() -> str | None:
        """The offline sandbox and sandbox mode's mail catcher (its mail stays on this computer), started when the
        window first needs Stripe (after its first paint: aiohttp's import and the sandbox's state take a while)."""
        if closed:
            return None
        if not running:
            from sandbox.server import SandboxThread

            from .mail import start_mail_catcher

            running.append(_start_sandbox(SandboxThread, state))
            running.append(start_mail_catcher(args))
        return running[0].base_url

    args.stripe = types.SimpleNamespace(mode="sandbox", api_key=SANDBOX_KEY, api_base=None, start=start_sandbox)
    try:
        return gui_main(args)
    finally:
        from ..mail_settings import CATCHER_ENV

        closed.append(True)
        for started in reversed(running):
            started.stop()
        os.environ.pop(CATCHER_ENV, None)     # this process's later sends (a test's, a script's) are not caught


def _start_sandbox(factory, state):
    """The usual port keeps printed links valid from one session to the next; any port if it is taken."""
    try:
        return factory(port=SANDBOX_PORT, state_file=state).start()
    except OSError:
        return factory(port=0, state_file=state).start()


def main(argv: Sequence[str] | None = None) -> int:
    # Everything this process creates (the books, SQLite's -wal/-shm, backups, exports, logs) is born
    # readable by its owner alone; the umask is put back on return (tests run commands in-process).
    with private_umask():
        return _run(argv)


def _run(argv: Sequence[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    func = getattr(args, "func", run_gui)
    if getattr(args, "command", None) not in (None, "gui", "relay"):    # those two set up their own log
        _warnings_to_stderr()
    try:
        return func(args) or 0
    except ImportFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except UserFacingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into head, less...: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or an environment problem: a sentence here, the details in the log
        if _database_error(exc):
            from ..db import explain

            print(f"error: {explain(exc)} Nothing was saved from the failed step.", file=sys.stderr)
            return 1
        import traceback

        log = common.write_crash_log(args, traceback.format_exc())
        print(f"error: something went wrong that Hall Treasurer did not expect ({exc.__class__.__name__}: "
              f"{str(exc).splitlines()[0] if str(exc) else 'no details'}). Nothing was saved from the "
              f"failed step. Details are in {log}.", file=sys.stderr)
        return 2


def _warnings_to_stderr() -> None:
    """The core's warnings (a payment link Stripe could not switch off now) as 'warning: ...' lines."""
    import logging

    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("warning: %(message)s"))
    logger = logging.getLogger("treasurer")
    if not any(getattr(h, "treasurer_cli", False) for h in logger.handlers):   # main() runs again in tests
        handler.treasurer_cli = True
        logger.addHandler(handler)


def _database_error(exc: Exception) -> bool:
    """A database driver's error (SQLAlchemy is only loaded by the commands that open the books)."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.DBAPIError)


def relay_main(argv: Sequence[str] | None = None) -> int:
    """``treasurer-relay [--data-dir DIR] [--mode ...] [--port ...]``: the same as ``treasurer relay run``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return main(["relay", "run", *argv])     # main runs under private_umask


if __name__ == "__main__":  # pragma: no cover
    import logging

    logging.basicConfig(level=logging.INFO)
    sys.exit(main())
