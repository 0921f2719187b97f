"""What every command shares: where the hall is, reading PINs, printing money."""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import getpass
import os
import sys
import textwrap
from pathlib import Path
from typing import TYPE_CHECKING

from .. import clock, config
from ..errors import UserFacingError, ValidationError
from ..money import format_cents
from ..private_files import make_private_dir, open_to_others, private_open

if TYPE_CHECKING:
    from ..hall import Hall


class Parser(argparse.ArgumentParser):
    """argparse for people: a choice is matched whatever its case (``--method Check``), and a mistyped
    command or choice gets "did you mean ...?" instead of the whole list.  Subcommands' parsers are made
    from their parent's class, so the whole tree behaves alike."""

    def _get_value(self, action, arg_string):
        value = super()._get_value(action, arg_string)
        if action.choices is not None and isinstance(value, str) and value not in action.choices:
            folded = [c for c in action.choices if isinstance(c, str) and c.casefold() == value.casefold()]
            if len(folded) == 1:
                return folded[0]
        return value

    def _check_value(self, action, value):
        if action.choices is None or value in action.choices:
            return
        choices = [c for c in action.choices if isinstance(c, str)]
        close = difflib.get_close_matches(str(value).casefold(), [c.casefold() for c in choices], n=1, cutoff=0.6)
        if close:
            guess = next(c for c in choices if c.casefold() == close[0])
            raise argparse.ArgumentError(action, f"{value!r} is not one of the choices; did you mean {guess!r}?")
        raise argparse.ArgumentError(action, f"{value!r} is not one of the choices: {', '.join(choices)}")


class HelpFormatter(argparse.HelpFormatter):
    """A command's description and epilog keep their line breaks, so each example stands on a line of its own
    and can be copied whole; a line of prose too long for the terminal is wrapped under its own indent."""

    def _fill_text(self, text, width, indent):
        lines = []
        for line in text.splitlines():
            body = line.strip()
            lead = indent + line[:len(line) - len(line.lstrip())]
            if not body or body.startswith(("treasurer ", "printf ", "example: treasurer ")):
                lines.append(lead + body if body else "")      # an example is never broken in two
            else:
                lines.extend(textwrap.wrap(body, max(width, 40), initial_indent=lead, subsequent_indent=lead,
                                           break_long_words=False, break_on_hyphens=False))
        return "\n".join(lines)


def global_options(suppress: bool = True) -> argparse.ArgumentParser:
    """``--data-dir`` and ``--database-url``, accepted before or after the command."""
    parent = argparse.ArgumentParser(add_help=False)
    default = argparse.SUPPRESS if suppress else None
    parent.add_argument("--data-dir", metavar="DIR", default=default,
                        help="the hall's data folder (default: TREASURER_HOME or the user data folder)")
    parent.add_argument("--database-url", metavar="URL", default=default,
                        help="a database URL instead of SQLite in the data folder (TREASURER_DATABASE_URL)")
    return parent


def add_command(commands, name: str, func, help: str, **kwargs) -> argparse.ArgumentParser:
    """A command with its help; ``epilog`` holds its examples, one a line (``HelpFormatter`` keeps the lines)."""
    kwargs.setdefault("formatter_class", HelpFormatter)
    parser = commands.add_parser(name, help=help, description=help, parents=[global_options()], **kwargs)
    parser.set_defaults(func=func)
    return parser


def group(commands, name: str, help: str):
    parser = commands.add_parser(name, help=help, description=help, parents=[global_options()])
    return parser.add_subparsers(dest=f"{name}_command", metavar="COMMAND", required=True)


def hall_from(args: argparse.Namespace, *, must_exist: bool = True) -> Hall:
    # The books (SQLAlchemy, the models) are loaded by the commands that open them, not by 'treasurer --help'.
    from ..hall import open_hall

    hall = open_hall(getattr(args, "data_dir", None), getattr(args, "database_url", None))
    warn_if_open_to_others(args, hall.data_path)
    if must_exist and not hall.initialised:
        hall.close()
        raise UserFacingError("There is no hall here yet: run 'treasurer init --hall-name \"...\"' first "
                              "(or 'treasurer demo' for a demo hall).")
    return hall


def warn_if_open_to_others(args: argparse.Namespace, folder: Path | None) -> None:
    """The data folder open to other users of the computer: one line on stderr, with the fix, once per command."""
    if getattr(args, "warned_open_to_others", False):
        return
    args.warned_open_to_others = True
    if folder is not None and (warning := open_to_others(folder)):
        print(f"warning: {warning}", file=sys.stderr)


def read_pin(args: argparse.Namespace, prompt: str) -> str:
    if getattr(args, "pin_stdin", False):
        line = sys.stdin.readline()
        if not line.strip():
            raise ValidationError("No PIN was given on standard input.")
        return line.strip()
    if not sys.stdin.isatty():
        raise ValidationError("A PIN is needed: type it at a terminal, or pass --pin-stdin and send it on "
                              "standard input.")
    return getpass.getpass(prompt)


def parse_day(text: str | None, field: str = "date") -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationError(f"The {field} {text!r} is not a date in the form YYYY-MM-DD.") from None


def money(hall: Hall, cents: int) -> str:
    return format_cents(cents, hall.currency)


def write_crash_log(args: argparse.Namespace, text: str) -> Path:
    try:
        folder = make_private_dir(config.data_dir(getattr(args, "data_dir", None)) / "logs")
    except OSError:
        folder = Path(os.environ.get("TMPDIR", "/tmp"))
    path = folder / "treasurer-errors.log"
    with private_open(path, "a", encoding="utf-8") as fh:   # a traceback can quote members' details
        fh.write(f"--- {clock.stamp()} {' '.join(sys.argv)}\n{text}\n")
    return path
