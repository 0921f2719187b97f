import pytest

from helpers import count, standard_hall
from treasurer.errors import ImportFailed
from treasurer.member_import import export_members, import_members, import_members_text
from treasurer.members import list_members

HEADER = "member_number,first_name,last_name,email,phone,classification,status,join_date\n"


@pytest.fixture
def roll(hall):
    standard_hall(hall, members=0)
    return hall


def test_a_clean_file_imports_and_reimporting_changes_nothing(roll, tmp_path):
    path = tmp_path / "roll.csv"
    path.write_text(HEADER + "1001,Ann,Lee,ann@example.org,555-0100,Journeyman Wireman,active,2020-01-02\n"
                    "1002,Bob,Ray,,,retiree,Retired,03/04/2019\n", encoding="utf-8")
    result = import_members(roll, path)
    assert (result.added, result.updated, result.unchanged) == (2, 0, 0)
    audit_rows = count(roll, "audit_log")
    again = import_members(roll, path)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 2)
    assert again.summary().startswith("Nothing changed")
    assert count(roll, "audit_log") == audit_rows


def test_a_changed_row_updates_that_member_only_and_is_audited(roll):
    import_members_text(roll, HEADER + "1001,Ann,Lee,ann@example.org,,Journeyman Wireman,active,\n"
                                       "1002,Bob,Ray,,,Retiree,retired,\n")
    result = import_members_text(roll, HEADER + "1001,Ann,Lee-Smith,ann@example.org,,Journeyman Wireman,active,\n"
                                                "1002,Bob,Ray,,,Retiree,retired,\n")
    assert (result.added, result.updated, result.unchanged) == (0, 1, 1)
    with roll.read() as s:
        from treasurer import audit
        entry = [e for e in audit.latest(s, 5) if e.action == "member.update"][0]
    assert '"last_name":"Lee"' in entry.before_json and '"last_name":"Lee-Smith"' in entry.after_json


def test_every_problem_is_listed_by_line_and_column_and_nothing_is_imported(roll):
    text = (HEADER
            + "1001,Ann,Lee,ann@example.org,,Journeyman Wireman,active,2020-01-02\n"
            + "1002,Bob,Ray,not-an-email,,Journeyman Wireman,active,2020-01-02\n"
            + "1001,Cy,Dup,,,Journeyman Wireman,active,\n"
            + "1004,Di,Fox,,,Plumber,active,\n"
            + "1005,Ed,Go,,,Apprentice,active,2020-02-30\n"
            + "1006,Fay,Hu,,,Journeyman Wireman,sleeping,\n"
            + ",Gil,Ives,,,Journeyman Wireman,active,\n")
    with pytest.raises(ImportFailed) as failed:
        import_members_text(roll, text)
    assert failed.value.problems == [
        "line 3, column email: 'not-an-email' is not an email address",
        "line 4, column member_number: member number 1001 is already on line 2",
        "line 5, column classification: unknown classification 'Plumber'",
        "line 6, column classification: unknown classification 'Apprentice'",
        "line 6, column join_date: '2020-02-30' is not a date (use YYYY-MM-DD or MM/DD/YYYY)",
        "line 7, column status: status 'sleeping' is not one of active, suspended, retired, withdrawn, deceased",
        "line 8, column member_number: the member number is missing",
    ]
    assert str(failed.value).startswith("Nothing was imported: 7 problems found.")
    assert count(roll, "members") == 0


def test_spreadsheet_variants_bom_semicolons_and_one_name_column(roll):
    text = "\ufeffCard #;Name;E-Mail;Class;Joined\n77;\"Lee, Ann Marie\";ann@example.org;JOURNEYMAN WIREMAN;1/2/2020\n"
    result = import_members_text(roll, text)
    assert result.added == 1
    (member,) = list_members(roll)
    assert (member.member_number, member.first_name, member.last_name, member.status) == (
        "77", "Ann Marie", "Lee", "active")
    assert member.join_date.isoformat() == "2020-01-02"


def test_member_no_header_and_missing_columns_are_explained(roll):
    with pytest.raises(ImportFailed, match="line 1: there is no classification column"):
        import_members_text(roll, "Member No,First Name,Last Name\n1,A,B\n")
    with pytest.raises(ImportFailed, match="not UTF-8"):
        from treasurer.member_import import decode
        decode("Card #,Name\n1,Ren\xe9\n".encode("latin-1"))


def test_export_then_import_round_trips(roll):
    import_members_text(roll, HEADER + "1001,Ann,\"Lee, Jr.\",ann@example.org,555,Journeyman Wireman,active,"
                                       "2020-01-02\n")
    text = export_members(roll)
    result = import_members_text(roll, text)
    assert (result.added, result.updated, result.unchanged) == (0, 0, 1)


# A blank cell leaves the roll as it is; (clear) empties a field; the preview shows what would change ---------

def test_a_blank_cell_leaves_an_existing_members_field_as_it_is(roll):
    import_members_text(roll, HEADER + "1001,Ann,Lee,ann@example.org,555-0100,Journeyman Wireman,active,2020-01-02\n")
    result = import_members_text(roll, HEADER + "1001,,,,,,,\n")
    assert (result.added, result.updated, result.unchanged) == (0, 0, 1)
    (ann,) = list_members(roll)
    assert (ann.first_name, ann.last_name, ann.email, ann.phone, ann.status, str(ann.join_date)) == (
        "Ann", "Lee", "ann@example.org", "555-0100", "active", "2020-01-02")
    # Only the cells the file fills change anything.
    result = import_members_text(roll, HEADER + "1001,,,,555-0199,,,\n")
    (ann,) = list_members(roll)
    assert result.updated == 1 and (ann.phone, ann.email) == ("555-0199", "ann@example.org")


def test_clear_empties_a_field_and_is_refused_where_a_field_is_needed(roll):
    import_members_text(roll, HEADER + "1001,Ann,Lee,ann@example.org,555-0100,Journeyman Wireman,active,2020-01-02\n")
    result = import_members_text(roll, HEADER + "1001,,,(clear),(CLEAR),,,(clear)\n")
    (ann,) = list_members(roll)
    assert result.updated == 1 and (ann.email, ann.phone, ann.join_date) == ("", "", None)
    with pytest.raises(ImportFailed) as failed:
        import_members_text(roll, HEADER + "1001,(clear),Lee,,,(clear),,\n")
    assert failed.value.problems == [
        "line 2, column first_name: the first name cannot be cleared; (clear) works only for email, phone, "
        "address, notes, join date",
        "line 2, column classification: the classification cannot be cleared; (clear) works only for email, "
        "phone, address, notes, join date"]
    (ann,) = list_members(roll)
    assert ann.first_name == "Ann"


def test_a_new_member_still_needs_a_name_and_a_classification(roll):
    with pytest.raises(ImportFailed) as failed:
        import_members_text(roll, HEADER + "1009,,,,,,,\n")
    assert failed.value.problems == ["line 2, column last_name: the name is missing",
                                     "line 2, column classification: the classification is missing"]


def test_the_preview_shows_each_change_field_by_field_and_writes_nothing(roll):
    from treasurer.member_import import preview_import

    import_members_text(roll, HEADER + "1001,Ann,Lee,ann@example.org,,Journeyman Wireman,active,\n"
                                       "1002,Bob,Ray,,,Retiree,retired,\n")
    before = count(roll, "audit_log")
    preview = preview_import(roll, HEADER + "1001,,Lee-Smith,(clear),555-0100,Retiree,,\n"
                                            "1002,,,,,,,\n"
                                            "1003,Cy,Doe,,,Retiree,,\n")
    assert [(m.member_number, m.describe()) for m in preview.members] == [
        ("1001", "last name: Lee -> Lee-Smith; classification: Journeyman Wireman -> Retiree; email: "
                 "ann@example.org -> (empty); phone: (empty) -> 555-0100"),
        ("1002", "no change"),
        ("1003", "new member")]
    assert preview.summary() == ("Nothing was written. Importing this file would add 1, change 1 and leave 1 "
                                 "unchanged.")
    assert count(roll, "audit_log") == before


def test_the_preview_command_in_its_own_process(tmp_path):
    from helpers import run_treasurer

    home = tmp_path / "hall"
    assert run_treasurer("init", "--hall-name", "IBEW Local 000", data_dir=home).returncode == 0
    assert run_treasurer("classes", "add", "Journeyman Wireman", "--rate", "45.00", data_dir=home).returncode == 0
    first = tmp_path / "roll.csv"
    first.write_text(HEADER + "".join(f"{1000 + n},First{n},Last{n},m{n}@example.org,,Journeyman Wireman,active,\n"
                                      for n in range(1, 401)), encoding="utf-8")
    done = run_treasurer("members", "import", str(first), data_dir=home)
    assert done.returncode == 0, done.stderr
    second = tmp_path / "again.csv"
    second.write_text(HEADER + "1001,,,,555-0100,,,\n1002,,,,,,,\n1500,New,Person,,,Journeyman Wireman,,\n",
                      encoding="utf-8")
    shown = run_treasurer("members", "import", str(second), "--preview", data_dir=home)
    assert shown.returncode == 0 and shown.stderr == ""
    assert shown.stdout.splitlines() == [
        "1001 First1 Last1: phone: (empty) -> 555-0100",
        "1500 New Person: new member",
        "Nothing was written. Importing this file would add 1, change 1 and leave 1 unchanged."]
    member = run_treasurer("member", "show", "1001", data_dir=home)
    assert "555-0100" not in member.stdout and "m1@example.org" in run_treasurer(
        "members", "export", data_dir=home).stdout
