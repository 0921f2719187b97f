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
