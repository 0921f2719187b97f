"""Officers' PINs for the commands that change money or control.

With ``--pin-stdin`` the PINs are read one per line from standard input, in the order the command's help
gives; at a terminal each is asked for; otherwise the command is refused with one sentence (``read_pin``).
An officer who proves themselves with a PIN from before PINs had six digits is asked, on standard error,
to change it once the command has done its work.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator

from ..officers import pin_is_short, short_pin_advice
from .common import read_pin


def add_officer_options(parser: argparse.ArgumentParser, officer_help: str = "the officer doing it") -> None:
    """``--officer NAME`` and ``--pin-stdin``: who does it, proven by their PIN."""
    parser.add_argument("--officer", required=True, help=f"{officer_help}, proven by their PIN")
    parser.add_argument("--pin-stdin", action="store_true",
                        help="read the officer's PIN from standard input (else it is asked for at a terminal)")


def officer_pin(args: argparse.Namespace, name: str, prompt: str | None = None) -> str:
    return read_pin(args, prompt or f"PIN for {name}: ")


def voucher_pins(args: argparse.Namespace, names: list[str]) -> list[tuple[str, str]]:
    """Each vouching officer with their PIN, read in the order they were named."""
    return [(name, read_pin(args, f"PIN of {name}: ")) for name in names]


def remind_short_pins(proven: list[tuple[str, str]]) -> None:
    """After the command worked (so every PIN was right): a sentence for each officer whose PIN is short."""
    for name, pin in proven:
        if pin_is_short(pin):
            print(short_pin_advice(" ".join(name.split())), file=sys.stderr)


@contextlib.contextmanager
def proven_officer(args: argparse.Namespace, name: str | None = None) -> Iterator[str]:
    """The PIN of ``--officer`` (or ``name``) for the block; the short-PIN reminder if the block succeeds."""
    who = name or args.officer
    pin = officer_pin(args, who)
    yield pin
    remind_short_pins([(who, pin)])
