"""A CLI for people (issue 11, item 7): every option says what it is, every command shows an example."""

from __future__ import annotations

import argparse
import contextlib
import io

from treasurer.cli import build_parser

SHARED = {"-h", "--help", "--data-dir", "--database-url"}     # argparse's own, and the global options' help


def _walk(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    """(path, parser, is_leaf) for the parser and every command under it."""
    subparsers = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    yield path, parser, not subparsers
    for action in subparsers:
        for name, child in action.choices.items():
            yield from _walk(child, (*path, name))


def _commands():
    return list(_walk(build_parser()))


def test_the_walk_finds_the_commands():
    names = {" ".join(path) for path, _, leaf in _commands() if leaf}
    assert {"pay", "members import", "review resolve", "deposits new", "report packet", "relay run"} <= names
    assert len(names) > 50


def test_every_command_has_an_example_in_its_epilog():
    missing = [" ".join(path) for path, parser, leaf in _commands()
               if leaf and "example" not in (parser.epilog or "").lower()]
    assert not missing, f"{len(missing)} commands have no example in their epilog: " + ", ".join(missing)


def test_every_option_and_argument_has_help():
    missing = []
    for path, parser, _ in _commands():
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                continue        # the COMMAND choice: each command's own help is listed instead
            if SHARED & set(action.option_strings):
                continue
            if not (action.help or "").strip() or action.help == argparse.SUPPRESS:
                name = "/".join(action.option_strings) or action.dest
                missing.append(f"treasurer {' '.join(path)} {name}".replace("  ", " "))
    assert not missing, f"{len(missing)} options and arguments have no help:\n  " + "\n  ".join(missing)


def test_every_help_page_prints_and_keeps_its_examples_on_their_own_lines():
    for path, parser, leaf in _commands():
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            parser.print_help()
        text = out.getvalue()
        if not leaf:
            continue
        examples = [line for line in text.splitlines() if line.lstrip().startswith(("treasurer ", "printf ",
                                                                                   "example: treasurer "))]
        assert examples, f"treasurer {' '.join(path)} --help shows no example on a line of its own:\n{text}"
