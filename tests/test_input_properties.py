"""Honest input (issue 10, case 9 and "Private files and honest input").

Whatever a treasurer types or a spreadsheet holds, the command answers with its result or with one
sentence (exit 0 or 1), never "something went wrong" (exit 2) and never a traceback. Amounts are ASCII
digits within the hall's ceiling; names hold no control characters or direction marks; a NUL byte in a
CSV is refused with its line and column. Bad input changes nothing.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import run_treasurer
from treasurer.cli import main as cli_main
from treasurer.errors import ImportFailed, ValidationError
from treasurer.member_import import import_members_text
from treasurer.members import MemberData, add_member, update_member
from treasurer.money import parse_amount

CLASS = "Journeyman Wireman"
PROPERTY = settings(max_examples=25, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Characters that have caught parsers out: other scripts' digits, direction marks, NUL and other controls,
# separators, signs and exponents.
AWKWARD = ["١٠", "۱۲", "１０", "߁", "٫", "\u202e", "\u2066", "\u200f", "\x00", "\x1b", "\x7f", "\u2028", "\u00a0",
           "\ufeff", "\t", "\n", "\r", ",", ".", "-", "+", "$", "e", "E", "_", "'", '"', ";", "0x", "NaN", "inf"]
awkward_text = st.lists(st.one_of(st.sampled_from(AWKWARD), st.text(max_size=4)), max_size=8).map("".join)
any_text = st.one_of(st.text(max_size=40), awkward_text)
amounts = st.one_of(
    any_text,
    st.from_regex(r"\$?[0-9,]{0,30}(\.[0-9]{0,4})?", fullmatch=True),
    st.integers(min_value=0, max_value=10**30).map(str),
    st.sampled_from(["999999999999999999999.99", "100000.00", "100000.01", "99999999999999", "0.01", "1,000.00",
                     "٤٥", "45\x00", "4" * 5000]),
)
dates = st.one_of(any_text, st.dates().map(lambda d: d.isoformat()),
                  st.from_regex(r"-?[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}", fullmatch=True),
                  st.sampled_from(["0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "٢٠٢٦-٠١-٠١"]))
periods = st.one_of(any_text, st.from_regex(r"-?[0-9]{1,6}-(Q[0-9]{1,2}|[0-9]{1,3})", fullmatch=True),
                    st.sampled_from(["0001-01", "9999-12", "2026-Q5", "2026-00", "٢٠٢٦-١٠"]))
cells = st.one_of(any_text, st.sampled_from(["Lee, Ann", CLASS, "ann@example.org", "2020-01-02", "x\x00y"]))


@pytest.fixture(scope="module")
def hall_dir(tmp_path_factory) -> Path:
    data_dir = tmp_path_factory.mktemp("properties") / "hall"
    for args in (["init", "--hall-name", "IBEW Local 000"],
                 ["classes", "add", CLASS, "--rate", "45.00", "--from", "2020-01-01"],
                 ["members", "add", "1001", "--first", "Ann", "--last", "Lee", "--class", CLASS]):
        code, _, err = run_in_process(data_dir, *args)
        assert code == 0, err
    return data_dir


def run_in_process(data_dir: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = cli_main(["--data-dir", str(data_dir), *args])
        except SystemExit as exc:       # argparse: a usage error, exit 2
            code = exc.code
    return code, out.getvalue(), err.getvalue()


def answered(data_dir: Path, *args: str) -> tuple[int, str, str]:
    """The command either worked or said why not in a sentence; nothing unexpected happened."""
    code, out, err = run_in_process(data_dir, *args)
    assert code in (0, 1), f"exit {code} for {args!r}:\n{err}"
    assert "Traceback" not in err and "went wrong" not in err, f"{args!r}:\n{err}"
    if code == 1:
        assert err.startswith("error: "), f"{args!r}:\n{err}"
    return code, out, err


_unique = itertools.count(2000)


@PROPERTY
@given(text=amounts)
def test_any_amount_is_recorded_or_refused_in_a_sentence(hall_dir, text):
    code, out, err = answered(hall_dir, "pay", "1001", "--method", "cash", "--", text)
    if code == 0:
        assert 0 < parse_amount(text) <= 100_000_00 and "Receipt R" in out
    answered(hall_dir, "classes", "add", f"Class {next(_unique)}", f"--rate={text}", f"--per-capita={text}")


@PROPERTY
@given(text=dates)
def test_any_date_is_taken_or_refused_in_a_sentence(hall_dir, text):
    answered(hall_dir, "pay", "1001", "45", "--method", "cash", f"--date={text}")
    answered(hall_dir, "members", "add", f"--joined={text}", "--first=Bo", "--last=Ray", f"--class={CLASS}",
             "--", str(next(_unique)))
    answered(hall_dir, "classes", "rate", CLASS, "--rate=50", f"--from={text}")


@PROPERTY
@given(text=periods)
def test_any_period_is_assessed_or_refused_in_a_sentence(hall_dir, text):
    answered(hall_dir, "dues", "assess", "--preview", "--", text)


@PROPERTY
@given(first=any_text, last=any_text, number=any_text, klass=any_text, ref=any_text)
def test_any_name_is_added_or_refused_in_a_sentence(hall_dir, first, last, number, klass, ref):
    code, out, _ = answered(hall_dir, "members", "add", f"--first={first}", f"--last={last}", f"--class={CLASS}",
                            f"--email={ref}", f"--phone={ref}", f"--address={ref}", "--", f"{number}{next(_unique)}")
    if code == 0:
        assert out.startswith("Added member ")
    answered(hall_dir, "classes", "add", "--rate=10", "--", f"{klass}{next(_unique)}")
    answered(hall_dir, "pay", "1001", "12", "--method", "money_order", f"--ref={ref}")


@PROPERTY
@given(rows=st.lists(st.fixed_dictionaries({
    "Member No": st.one_of(st.integers(3000, 9999).map(str), cells), "Name": cells,
    "Classification": st.one_of(st.just(CLASS), cells), "Email": cells, "Join Date": st.one_of(dates, cells),
    "Status": st.one_of(st.sampled_from(["active", "retired", ""]), cells), "Notes": cells}), min_size=1, max_size=4),
    tail=st.binary(max_size=24))
def test_any_csv_is_imported_or_refused_in_a_sentence(hall_dir, tmp_path_factory, rows, tail):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path = tmp_path_factory.mktemp("csv") / "roll.csv"
    path.write_bytes(out.getvalue().encode("utf-8", "surrogatepass") + tail)
    answered(hall_dir, "members", "import", str(path))


# -- The real command in a separate process (case 9) ------------------------------------------------------------

def real_books(data_dir: Path) -> Path:
    for args in (["init", "--hall-name", "IBEW Local 000"],
                 ["classes", "add", CLASS, "--rate", "45.00", "--from", "2020-01-01"],
                 ["members", "add", "1001", "--first", "Ann", "--last", "Lee", "--class", CLASS]):
        done = run_treasurer(*args, data_dir=data_dir)
        assert done.returncode == 0, done.stderr
    return data_dir


@pytest.fixture(scope="module")
def books(tmp_path_factory) -> Path:
    """One hall for the tests below that must leave it as it was."""
    return real_books(tmp_path_factory.mktemp("case9") / "hall")


def payments(data_dir: Path) -> int:
    conn = sqlite3.connect(data_dir / "treasurer.sqlite3")
    try:
        return conn.execute("SELECT count(*) FROM payments").fetchone()[0]
    finally:
        conn.close()


def refused(data_dir: Path, *args: str) -> str:
    done = run_treasurer(*args, data_dir=data_dir)
    assert done.returncode == 1, (done.returncode, done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "went wrong" not in done.stderr, done.stderr
    return lines[0]


@pytest.mark.parametrize("amount, says", [
    ("999999999999999999999.99", "far too large to be an amount of money (more than 12 digits"),
    ("١٠", "has digits other than 0-9"),
    ("１０", "has digits other than 0-9"),
    ("100000.01", "is above this hall's ceiling of $100,000.00"),
])
def test_the_real_command_refuses_absurd_amounts_in_a_sentence_and_records_nothing(books, amount, says):
    assert says in refused(books, "pay", "1001", amount, "--method", "cash")
    assert payments(books) == 0
    done = run_treasurer("member", "show", "1001", data_dir=books)
    assert done.returncode == 0 and "Payment" not in done.stdout


def test_the_ceiling_is_the_halls_setting(tmp_path):
    books = real_books(tmp_path / "hall")
    done = run_treasurer("settings", "set", "amount_ceiling", "500.00", data_dir=books)
    assert done.returncode == 0, done.stderr
    error = refused(books, "pay", "1001", "500.01", "--method", "cash")
    assert "The payment $500.01 is above this hall's ceiling of $500.00" in error
    error = refused(books, "classes", "add", "Officer", "--rate", "600")
    assert "The dues rate $600.00 is above this hall's ceiling of $500.00" in error
    assert payments(books) == 0
    done = run_treasurer("pay", "1001", "500", "--method", "cash", data_dir=books)
    assert done.returncode == 0 and "Receipt R000001: $500.00 cash" in done.stdout, done.stderr
    assert payments(books) == 1


def test_the_real_command_refuses_a_nul_byte_in_a_csv_with_its_line_and_column(books, tmp_path):
    roll = tmp_path / "roll.csv"
    roll.write_bytes(b"Member No,Name,Classification,Notes\n"
                     b"1002,\"Ray, Bob\",Journeyman Wireman,fine\n"
                     b"1003,\"Kim,\x00 Jo\",Journeyman Wireman,\"two\nlines\"\n"
                     b"1004,Al Diaz,Journeyman Wireman,\"two\nlines then \x1b\"\n")
    done = run_treasurer("members", "import", str(roll), data_dir=books)
    assert done.returncode == 1 and "went wrong" not in done.stderr
    assert done.stderr.splitlines() == [
        "error: Nothing was imported: 2 problems found.",
        "line 3, column Name: a control character (U+0000) at character 5 of the cell; remove it in the "
        "spreadsheet and export the CSV again",
        "line 6, column Notes: a control character (U+001B) at character 16 of the cell; remove it in the "
        "spreadsheet and export the CSV again",
    ]
    done = run_treasurer("members", "export", data_dir=books)
    assert done.stdout.count("\n") == 2       # the header and member 1001: nothing was written


# -- The core, below the command line ---------------------------------------------------------------------------

def test_amounts_are_ascii_digits_within_twelve_whole_digits():
    assert parse_amount("999,999,999,999.99") == 99_999_999_999_999
    assert parse_amount("$1,045.50") == 104550
    for text in ("١٠", "۱۲.۵۰", "１０", "4\u0665"):
        with pytest.raises(ValidationError, match="digits other than 0-9"):
            parse_amount(text)
    with pytest.raises(ValidationError, match="far too large"):
        parse_amount("1000000000000")
    with pytest.raises(ValidationError, match="far too large"):
        parse_amount("9" * 10_000)      # not Python's "exceeds the limit for integer string conversion"


@pytest.mark.parametrize("first, says", [
    ("Ann\u202e", "hidden text-direction mark (U+202E) at character 4"),
    ("An\x00n", "control or unprintable character (U+0000) at character 3"),
    ("A\u2066nn", "hidden text-direction mark (U+2066) at character 2"),
])
def test_names_with_control_characters_or_direction_marks_are_refused(hall, first, says):
    from helpers import standard_hall

    standard_hall(hall, members=1)
    with pytest.raises(ValidationError, match=r"First_name: the first name .*" + says.replace("(", r"\(")
                       .replace(")", r"\)").replace("+", r"\+")):
        add_member(hall, MemberData("2001", first, "Lee", CLASS))
    with pytest.raises(ValidationError, match="the first name"):
        update_member(hall, "1001", MemberData("1001", first, "Lee", CLASS))
    with pytest.raises(ValidationError, match="the notes"):
        add_member(hall, MemberData("2001", "Ann", "Lee", CLASS, notes="call\x07 first"))
    with pytest.raises(ImportFailed, match=r"line 2, column Name: .* at character"):
        import_members_text(hall, f"Member No,Name,Classification\n2001,\"{first}\",{CLASS}\n")
    with hall.read() as s:
        from treasurer.models import Member

        assert [m.first_name for m in s.query(Member).order_by(Member.id)] == ["First0"]


def test_addresses_and_notes_keep_their_line_breaks(hall):
    from helpers import standard_hall
    from treasurer.models import Member

    standard_hall(hall, members=0)
    add_member(hall, MemberData("2001", " Ann  Marie ", "Lee", CLASS, address="12 Main St\r\nSpringfield\t IL",
                                notes="paid\nin cash"))
    with hall.read() as s:
        m = s.query(Member).one()
        assert (m.first_name, m.address, m.notes) == ("Ann Marie", "12 Main St\nSpringfield\t IL", "paid\nin cash")


def test_a_classification_name_with_a_direction_mark_is_refused(hall):
    from treasurer.dues import add_classification

    with pytest.raises(ValidationError, match=r"classification name .* \(U\+202E\)"):
        add_classification(hall, "Journeyman\u202e", 4500)
    with hall.read() as s:
        from treasurer.models import Classification

        assert s.query(Classification).count() == 0


def test_a_control_character_in_the_header_is_named_by_column_number(hall):
    from helpers import standard_hall

    standard_hall(hall, members=0)
    with pytest.raises(ImportFailed) as caught:
        import_members_text(hall, f"Member No,Na\x00me,Classification\n2001,\"Lee, \x00Ann\",{CLASS}\n")
    assert caught.value.problems == [
        "line 1, column 2: a control character (U+0000) at character 3 of the cell; remove it in the spreadsheet "
        "and export the CSV again",
        "line 2, column 2: a control character (U+0000) at character 6 of the cell; remove it in the spreadsheet "
        "and export the CSV again"]
    with pytest.raises(ImportFailed, match=r"line 2: this line cannot be read as CSV \(field larger than field"):
        import_members_text(hall, f"Member No,Name,Classification\n2001,\"{'x' * 200_000}\",{CLASS}\n")
