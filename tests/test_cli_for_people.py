"""The command line forgives case and suggests what was meant (issue 11, item 7)."""

from __future__ import annotations

from helpers import run_treasurer


def test_a_mistyped_command_gets_a_suggestion_not_the_whole_list(tmp_path):
    done = run_treasurer("membr", "show", "1", data_dir=tmp_path / "hall")
    assert done.returncode == 2
    assert done.stderr.strip().endswith("argument COMMAND: 'membr' is not one of the choices; did you mean "
                                        "'member'?")
    assert "init, settings" not in done.stderr


def test_choices_and_commands_are_matched_whatever_their_case(cli):
    cli("demo", "--members", "12", "--months", "2")
    _, out, _ = cli("pay", "100001", "12.00", "--method", "Check", "--ref", "1042")
    assert "Receipt" in out or "receipt" in out
    _, out, _ = cli("Member", "Show", "100001")
    assert "1042" in out


def test_a_mistyped_choice_gets_a_suggestion(tmp_path):
    done = run_treasurer("pay", "100001", "12.00", "--method", "chek", data_dir=tmp_path / "hall")
    assert done.returncode == 2
    assert "argument --method: 'chek' is not one of the choices; did you mean 'check'?" in done.stderr


def test_member_show_never_cuts_a_description_short(cli):
    from helpers import PAT_PIN

    cli("demo", "--members", "12", "--months", "2")
    cli("adjust", "100002", "26.00", "--kind", "hardship_credit", "--reason", "out of work after an injury on site",
        "--officer", "Pat Morales", "--pin-stdin", stdin=PAT_PIN + "\n")
    _, out, _ = cli("member", "show", "100002")
    line = next(x for x in out.splitlines() if "out of work" in x)
    assert "(awaiting approval)" in line
