"""Importing and exporting the member roll as CSV.

Import is all-or-nothing: every row is checked first, and any problem (listed
as ``line N, column C: what is wrong``) means nothing is written.

For a member already on the roll a blank cell leaves that field as it is (a
spreadsheet with an empty column must not erase the roll); to clear a field,
write ``(clear)`` in the cell.  ``preview_import`` shows, member by member and
field by field, what an import would change.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import re
import unicodedata
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from .dues import find_classification
from .errors import ImportFailed, NotFound, ValidationError
from .hall import Hall
from .members import MemberData, apply_changes, check_email, check_status, clean_field, insert_member, text_problem
from .models import Classification, Member

CLEAR = "(clear)"              # a cell that empties the field (a blank cell leaves it as it is)
CLEARABLE = ("email", "phone", "address", "notes", "join_date")
FIELD_LABELS = {"member_number": "member number", "first_name": "first name", "last_name": "last name",
                "email": "email", "phone": "phone", "address": "address", "notes": "notes",
                "join_date": "join date", "classification_id": "classification", "status": "status"}

EXPORT_COLUMNS = ("member_number", "first_name", "last_name", "email", "phone", "classification", "status",
                  "join_date", "address", "notes")

# Header spellings seen in halls' spreadsheets, after normalising (lower case, "#" -> "no", only letters/digits).
ALIASES = {
    "member_number": {"membernumber", "memberno", "membernum", "member", "memberid", "cardno", "cardnumber",
                      "card", "number", "no", "unionno", "bookno"},
    "first_name": {"firstname", "first", "givenname", "fname", "forename"},
    "last_name": {"lastname", "last", "surname", "familyname", "lname"},
    "name": {"name", "fullname", "membername"},
    "email": {"email", "emailaddress", "mail"},
    "phone": {"phone", "phonenumber", "telephone", "tel", "mobile", "cell", "cellphone"},
    "classification": {"classification", "class", "membershipclass", "category", "membertype"},
    "status": {"status", "memberstatus"},
    "join_date": {"joindate", "joined", "datejoined", "initiationdate", "initiated", "startdate", "memberSince".lower()},
    "address": {"address", "mailingaddress", "streetaddress"},
    "notes": {"notes", "note", "comments", "comment"},
}
_LOOKUP = {alias: field for field, aliases in ALIASES.items() for alias in aliases}


def normalise_header(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.strip().lower().replace("#", "no"))


@dataclasses.dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    ignored_columns: list[str]

    def summary(self) -> str:
        if not self.added and not self.updated:
            return f"Nothing changed: all {self.unchanged} members in the file are already on the roll as written."
        return f"Imported: {self.added} added, {self.updated} updated, {self.unchanged} unchanged."


@dataclasses.dataclass
class _Row:
    line: int
    values: dict[str, str]


def parse_date(text: str) -> dt.date:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%Y/%m/%d", "%m/%d/%y", "%m-%d-%Y"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)")


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFailed([f"line {line}: the file is not UTF-8 text; save it from the spreadsheet as "
                            f"\"CSV UTF-8\" and import it again"]) from None


def column_label(header: list[str], index: int) -> str:
    """A column as a problem names it: its header as written, or its number if that is blank or unprintable."""
    raw = header[index].strip() if index < len(header) else ""
    return raw if raw and raw.isprintable() else str(index + 1)


def control_characters(record: list[str], first_line: int, header: list[str]) -> list[str]:
    """Each cell holding a control character (a NUL byte, an escape...), as ``line N, column C: ...``.

    Tabs and line breaks inside a quoted cell are text; anything else below U+0020 is not, and would
    break the reports' lines and columns (or be cut off by the database).
    """
    problems = []
    line = first_line
    for index, cell in enumerate(record):
        for position, char in enumerate(cell):
            if char not in "\t\r\n" and unicodedata.category(char) == "Cc":
                name = column_label(header, index)
                problems.append(f"line {line + cell[:position].count(chr(10))}, column {name}: a control "
                                f"character (U+{ord(char):04X}) at character {position + 1} of the cell; "
                                f"remove it in the spreadsheet and export the CSV again")
                break
        line += cell.count("\n")
    return problems


def read_rows(text: str) -> tuple[dict[str, str], list[_Row], list[str], list[str]]:
    """Header map (field -> header as written), rows, ignored headers, problems."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _read_rows(reader, delimiter)
    except csv.Error as exc:   # a cell over the csv module's size limit, and the like
        raise ImportFailed([f"line {reader.line_num}: this line cannot be read as CSV ({exc})"]) from None


def _read_rows(reader, delimiter: str) -> tuple[dict[str, str], list[_Row], list[str], list[str]]:
    problems: list[str] = []
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed(["line 1: the file is empty"]) from None
    problems.extend(control_characters(header, 1, header))
    columns: dict[str, int] = {}
    written: dict[str, str] = {}
    ignored: list[str] = []
    for index, raw in enumerate(header):
        field = _LOOKUP.get(normalise_header(raw))
        if field is None:
            if raw.strip():
                ignored.append(raw.strip())
            continue
        if field in columns:
            problems.append(f"line 1, column {raw.strip()}: the same column appears twice "
                            f"(also as {written[field]})")
            continue
        columns[field] = index
        written[field] = column_label(header, index)
    for field, label in (("member_number", "member number"), ("classification", "classification")):
        if field not in columns:
            problems.append(f"line 1: there is no {label} column (found: {', '.join(h.strip() for h in header)})")
    if "name" not in columns and "last_name" not in columns and "first_name" not in columns:
        problems.append("line 1: there is no name column (first_name and last_name, or one Name column)")
    rows: list[_Row] = []
    ended = reader.line_num
    for record in reader:
        starts, line, ended = ended + 1, reader.line_num, reader.line_num
        if not any(cell.strip() for cell in record):
            continue
        if bad := control_characters(record, starts, header):
            problems.extend(bad)
            continue
        if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
            problems.append(f"line {line}: {len(record)} fields but the header has {len(header)} "
                            f"(is there an unquoted {delimiter!r} in a value?)")
            continue
        values = {field: (record[i].strip() if i < len(record) else "") for field, i in columns.items()}
        rows.append(_Row(line, values))
    return written, rows, ignored, problems


def read_import_file(path: str | Path) -> str:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ValidationError(f"Cannot read {path}: {exc.strerror or exc}.") from None
    return decode(data)


def import_members(hall: Hall, path: str | Path) -> ImportResult:
    return import_members_text(hall, read_import_file(path))


@dataclasses.dataclass(frozen=True)
class MemberChange:
    """One line of the preview: a new member, or what would change for one on the roll."""

    member_number: str
    name: str
    new: bool
    changes: tuple[tuple[str, str, str], ...]      # (field, as it is, as it would be), as a person reads them

    def describe(self) -> str:
        if self.new:
            return "new member"
        if not self.changes:
            return "no change"
        return "; ".join(f"{field}: {old or '(empty)'} -> {new or '(empty)'}" for field, old, new in self.changes)


@dataclasses.dataclass(frozen=True)
class ImportPreview:
    members: tuple[MemberChange, ...]
    ignored_columns: list[str]

    @property
    def added(self) -> int:
        return sum(1 for m in self.members if m.new)

    @property
    def changed(self) -> int:
        return sum(1 for m in self.members if not m.new and m.changes)

    def summary(self) -> str:
        unchanged = len(self.members) - self.added - self.changed
        return (f"Nothing was written. Importing this file would add {self.added}, change {self.changed} and "
                f"leave {unchanged} unchanged.")


def preview_import(hall: Hall, text: str) -> ImportPreview:
    """What ``import_members_text`` would do, member by member and field by field; writes nothing.

    Raises ``ImportFailed`` with every problem, as the import itself would.
    """
    written, rows, ignored, problems = read_rows(text)
    with hall.read() as session:
        existing = _existing(session)
        checked = _check_rows(session, written, rows, problems, existing)
        if problems:
            raise ImportFailed(problems)
        classes = dict(session.execute(select(Classification.id, Classification.name)).all())
        out = []
        for values in checked:
            member = existing.get(values["member_number"])
            if member is None:
                name = f"{values.get('first_name', '')} {values.get('last_name', '')}".strip()
                out.append(MemberChange(values["member_number"], name, True, ()))
                continue
            changes = tuple((label, _shown(old, classes, field), _shown(new, classes, field))
                            for label, old, new, field in (
                                (FIELD_LABELS[f], getattr(member, f), v, f) for f, v in values.items()
                                if f != "member_number" and getattr(member, f) != v))
            out.append(MemberChange(member.member_number, f"{member.first_name} {member.last_name}".strip(),
                                    False, changes))
    return ImportPreview(tuple(out), ignored)


def _shown(value, classes: dict, field: str) -> str:
    if field == "classification_id":
        return classes.get(value, "")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def _existing(session) -> dict[str, Member]:
    return {m.member_number: m for m in session.scalars(select(Member))}


def import_members_text(hall: Hall, text: str) -> ImportResult:
    written, rows, ignored, problems = read_rows(text)
    with hall.write() as tx:
        existing = _existing(tx.session)
        checked = _check_rows(tx.session, written, rows, problems, existing)
        if problems:
            raise ImportFailed(problems)
        if not checked:
            raise ImportFailed(["line 2: the file has a header but no members"])
        added = updated = unchanged = 0
        for values in checked:
            member = existing.get(values["member_number"])
            if member is None:
                full = dict(email="", phone="", address="", status="active", join_date=None, notes="") | values
                insert_member(tx, full)
                added += 1
            elif apply_changes(tx, member, values):
                updated += 1
            else:
                unchanged += 1
        if added or updated:
            tx.audit("members.import", "member_roll", "import", None,
                     {"added": added, "updated": updated, "unchanged": unchanged})
    return ImportResult(added, updated, unchanged, ignored)


def _check_rows(session, written: dict[str, str], rows: list[_Row], problems: list[str],
                existing: dict[str, Member]) -> list[dict]:
    """Each row as the values to write: for a member on the roll only the fields the file gives (a blank cell
    leaves the field as it is; ``(clear)`` empties it), for a new member every field."""
    def col(field: str) -> str:
        return written.get(field, field)

    seen: dict[str, int] = {}
    classes: dict[str, int | None] = {}
    checked = []
    for row in rows:
        where = f"line {row.line}, column "
        v = dict(row.values)
        for field, cell in row.values.items():      # direction marks and other hidden characters
            try:
                v[field] = clean_field(field, cell)
            except ValidationError as exc:
                problems.append(f"{where}{col(field)}: {text_problem(exc)}")
        number = v.get("member_number", "")
        if not number:
            problems.append(f"{where}{col('member_number')}: the member number is missing")
        elif number in seen:
            problems.append(f"{where}{col('member_number')}: member number {number} is already on line {seen[number]}")
        else:
            seen[number] = row.line
        on_roll = number in existing
        for field in ("member_number", "first_name", "last_name", "name", "classification", "status"):
            if v.get(field, "").lower() == CLEAR:
                problems.append(f"{where}{col(field)}: the {FIELD_LABELS.get(field, field)} cannot be cleared; "
                                f"{CLEAR} works only for {', '.join(FIELD_LABELS[f] for f in CLEARABLE)}")
                v[field] = ""
        values: dict = {"member_number": number}
        if "name" in v and "last_name" not in v:
            first, last = split_name(v["name"]) if v["name"] else ("", "")
        else:
            first, last = v.get("first_name", ""), v.get("last_name", "")
        if on_roll:   # a blank name cell keeps the name on the roll
            values |= {k: x for k, x in (("first_name", first), ("last_name", last)) if x}
        elif not first and not last:
            problems.append(f"{where}{col('name' if 'name' in v else 'last_name')}: the name is missing")
        else:
            values["first_name"], values["last_name"] = first, last
        klass = v.get("classification", "")
        if klass or not on_roll:
            if klass not in classes:
                try:
                    classes[klass] = find_classification(session, klass).id if klass else None
                except NotFound:
                    classes[klass] = None
            if classes[klass] is None:
                what = "the classification is missing" if not klass else f"unknown classification {klass!r}"
                problems.append(f"{where}{col('classification')}: {what}")
            values["classification_id"] = classes[klass]
        if v.get("status") or not on_roll:
            status = v.get("status", "").lower() or "active"
            if msg := check_status(status):
                problems.append(f"{where}{col('status')}: {msg}")
            values["status"] = status
        for field in CLEARABLE:
            cell = v.get(field, "")
            if cell.lower() == CLEAR:
                values[field] = None if field == "join_date" else ""
            elif cell:
                values[field] = cell
            elif not on_roll:
                values[field] = None if field == "join_date" else ""
        if values.get("email") and (msg := check_email(values["email"])):
            problems.append(f"{where}{col('email')}: {msg}")
        if values.get("join_date"):
            try:
                values["join_date"] = parse_date(values["join_date"])
            except ValueError as exc:
                problems.append(f"{where}{col('join_date')}: {exc}")
        checked.append(values)
    return checked


def split_name(text: str) -> tuple[str, str]:
    """``"Last, First"`` -> (first, last); ``"First Last"`` -> (first, last)."""
    text = " ".join(text.split())
    if "," in text:
        last, first = (part.strip() for part in text.split(",", 1))
        return first, last
    if " " in text:
        first, last = text.rsplit(" ", 1)
        return first, last
    return "", text


def export_members(hall: Hall) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    with hall.read() as s:
        for m in s.scalars(select(Member).options(joinedload(Member.classification)).order_by(Member.member_number)):
            writer.writerow([m.member_number, m.first_name, m.last_name, m.email, m.phone, m.classification.name,
                             m.status, m.join_date.isoformat() if m.join_date else "", m.address, m.notes])
    return out.getvalue()


__all__ = ["CLEAR", "ImportPreview", "ImportResult", "MemberChange", "MemberData", "export_members",
           "import_members", "import_members_text", "preview_import", "read_import_file"]
