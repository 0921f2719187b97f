"""The ``treasurer`` command: the GUI with no subcommand, the CLI with one.

This is the composition root: the only place in ``treasurer`` that may start the
GUI, the relay or the sandbox, and it imports them inside the command that
needs them.
"""

from __future__ import annotations

import argparse
import logging
import sys
import traceback
from collections.abc import Sequence

from sqlalchemy.exc import DBAPIError

from .. import __version__
from ..db import explain
from ..errors import ImportFailed, UserFacingError
from ..private_files import private_umask
from . import books, common, members, money, records, relay, reports, stripe
from . import review as review_commands

COMMAND_MODULES = (books, members, money, records, stripe, relay, reports, review_commands)


def build_parser() -> argparse.ArgumentParser:
    parser = common.Parser(
        prog="treasurer", description="Hall Treasurer: dues, payments and payment slips for a union hall.",
        parents=[common.global_options(suppress=False)])
    parser.add_argument("--version", action="version", version=f"Hall Treasurer {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMAND_MODULES:
        module.register(commands)
    gui = commands.add_parser("gui", help="open the desktop application (the default with no command)",
                              parents=[common.global_options()], formatter_class=common.HelpFormatter,
                              epilog="examples:\n  treasurer gui\n  treasurer gui --sandbox   # try Stripe "
                                     "payments offline")
    gui.add_argument("--sandbox", action="store_true", help="use the offline Stripe sandbox even if a key is set")
    gui.set_defaults(func=run_gui)
    return parser


SANDBOX_KEY = "sk_test_sandbox_local_0000"
SANDBOX_PORT = 12111


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
    from sandbox.server import SandboxThread

    state = config.data_dir(getattr(args, "data_dir", None)) / "sandbox-state.json"
    sandbox = _start_sandbox(SandboxThread, state)
    args.stripe = types.SimpleNamespace(mode="sandbox", api_key=SANDBOX_KEY, api_base=sandbox.base_url)
    try:
        return gui_main(args)
    finally:
        sandbox.stop()


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
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", run_gui)
    try:
        return func(args) or 0
    except ImportFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except UserFacingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DBAPIError as exc:
        print(f"error: {explain(exc)} Nothing was saved from the failed step.", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into head, less...: not an error
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("Stopped.", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug or an environment problem: a sentence here, the details in the log
        log = common.write_crash_log(args, traceback.format_exc())
        print(f"error: something went wrong that Hall Treasurer did not expect ({exc.__class__.__name__}: "
              f"{str(exc).splitlines()[0] if str(exc) else 'no details'}). Nothing was saved from the "
              f"failed step. Details are in {log}.", file=sys.stderr)
        return 2


def relay_main(argv: Sequence[str] | None = None) -> int:
    """``treasurer-relay [--data-dir DIR] [--mode ...] [--port ...]``: the same as ``treasurer relay run``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    return main(["relay", "run", *argv])     # main runs under private_umask


if __name__ == "__main__":  # pragma: no cover
    logging.basicConfig(level=logging.INFO)
    sys.exit(main())
