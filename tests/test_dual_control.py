"""Issue 10's cases 1 to 5, tried as an auditor would: the real `treasurer` command, each step its own process.

One person at the keyboard must not be able to: request an adjustment in another officer's name and approve it
themselves (1); reset another officer's PIN alone (2); vouch in a made-up officer alone (3); close or reopen a
period with no PIN (4); guess PINs without limit or trace (5).
"""

from __future__ import annotations

import json
import re

import pytest

from helpers import count, raw, run_treasurer, standard_hall
from treasurer.dues import assess
from treasurer.hall import init_hall, open_hall
from treasurer.officers import add_officer

ALICE, BOB, CAROL = "111111", "222222", "333333"


@pytest.fixture
def books(tmp_path):
    """A hall with members 1001-1002, October assessed, and Alice and Bob as officers (dual control in force)."""
    folder = tmp_path / "books"
    hall = open_hall(str(folder), actor="setup")
    init_hall(hall, "IBEW Local 000")
    standard_hall(hall, members=2)
    assess(hall, "2026-10")
    add_officer(hall, "Alice", "treasurer", ALICE)
    add_officer(hall, "Bob", "president", BOB, vouchers=[("Alice", ALICE)])
    yield hall, folder
    hall.close()


def treasurer(folder, *args, stdin: str = ""):
    """``treasurer ARGS`` with ``stdin`` piped in (empty: as with </dev/null, no terminal to ask at)."""
    return run_treasurer(*args, data_dir=folder, stdin=stdin)


def refused(result, says: str) -> str:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1 and says in errors[0], result.stderr
    return errors[0]


def worked(result) -> str:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout


def audit_actions(hall) -> list[str]:
    conn = raw(hall)
    try:
        return [a for (a,) in conn.execute("SELECT action FROM audit_log ORDER BY seq")]
    finally:
        conn.close()


def test_1_an_adjustment_needs_its_requesters_pin_and_a_different_approver(books):
    hall, folder = books
    # In Alice's name with no PIN at all: refused, nothing recorded.
    refused(treasurer(folder, "adjust", "1001", "45.00", "--kind", "write_off", "--reason", "x", "--officer",
                      "Alice"), "A PIN is needed")
    # In Alice's name with Bob's PIN: refused.
    refused(treasurer(folder, "adjust", "1001", "45.00", "--kind", "write_off", "--reason", "x", "--officer",
                      "Alice", "--pin-stdin", stdin=f"{BOB}\n"), "The PIN for Alice is not right")
    assert count(hall, "adjustments") == 0
    out = worked(treasurer(folder, "adjust", "1001", "45.00", "--kind", "write_off", "--reason", "x", "--officer",
                           "Alice", "--pin-stdin", stdin=f"{ALICE}\n"))
    assert out.startswith("Adjustment 1 (write off, -$45.00) is waiting for a different officer")
    # The requester cannot approve it too, even with the right PIN.
    refused(treasurer(folder, "approve", "1", "--officer", "Alice", "--pin-stdin", stdin=f"{ALICE}\n"),
            "a different officer must approve or deny it")
    refused(treasurer(folder, "approve", "1", "--officer", "Bob"), "A PIN is needed")
    assert count(hall, "adjustment_decisions") == 0
    worked(treasurer(folder, "approve", "1", "--officer", "Bob", "--pin-stdin", stdin=f"{BOB}\n"))
    conn = raw(hall)
    try:
        requester, approver = conn.execute(
            "SELECT a.requested_by_id, d.officer_id FROM adjustments a JOIN adjustment_decisions d "
            "ON d.adjustment_id = a.id").fetchone()
        after = json.loads(conn.execute("SELECT after_json FROM audit_log WHERE action = 'adjustment.request'")
                           .fetchone()[0])
    finally:
        conn.close()
    assert requester != approver and after["officer"] == "Alice"


def test_2_a_forgotten_pin_is_reset_by_two_other_officers_not_one(books):
    hall, folder = books
    # With Alice and Bob only, Alice alone cannot reset Bob's PIN; the sentence says the way out.
    error = refused(treasurer(folder, "officers", "change-pin", "Bob", "--vouched-by", "Alice", "--pin-stdin",
                              stdin=f"{ALICE}\n999999\n"), "Alice alone cannot reset Bob's PIN")
    assert "reactivate" in error
    worked(treasurer(folder, "officers", "add", "Carol", "--role", "trustee", "--vouched-by", "Alice",
                     "--vouched-by", "Bob", "--pin-stdin", stdin=f"{CAROL}\n{ALICE}\n{BOB}\n"))
    # Two others exist now: one is still not enough.
    refused(treasurer(folder, "officers", "change-pin", "Bob", "--vouched-by", "Alice", "--pin-stdin",
                      stdin=f"{ALICE}\n999999\n"), "Two other active officers must vouch for resetting Bob's PIN")
    refused(treasurer(folder, "officers", "change-pin", "Bob", "--vouched-by", "Alice", "--vouched-by", "Bob",
                      "--pin-stdin", stdin=f"{ALICE}\n{BOB}\n999999\n"), "Bob cannot vouch")
    # Bob's own PIN still works: nothing was reset.
    worked(treasurer(folder, "adjust", "1002", "10.00", "--kind", "waiver", "--reason", "r", "--officer", "Bob",
                     "--pin-stdin", stdin=f"{BOB}\n"))
    out = worked(treasurer(folder, "officers", "change-pin", "Bob", "--vouched-by", "Alice", "--vouched-by", "Carol",
                           "--pin-stdin", stdin=f"{ALICE}\n{CAROL}\n999999\n"))
    assert out.strip() == "Bob has a new PIN."
    refused(treasurer(folder, "approve", "1", "--officer", "Carol", "--pin-stdin", stdin=f"{BOB}\n"),
            "The PIN for Carol is not right")
    refused(treasurer(folder, "deny", "1", "--officer", "Bob", "--pin-stdin", stdin=f"{BOB}\n"),
            "The PIN for Bob is not right")


def test_3_a_made_up_officer_cannot_be_vouched_in_by_one_officer(books):
    hall, folder = books
    refused(treasurer(folder, "officers", "add", "Mallory", "--role", "trustee", "--pin-stdin",
                      stdin="444444\n"), "Two active officers must vouch for Mallory")
    refused(treasurer(folder, "officers", "add", "Mallory", "--role", "trustee", "--vouched-by", "Alice",
                      "--pin-stdin", stdin=f"444444\n{ALICE}\n"), "Two active officers must vouch for Mallory")
    refused(treasurer(folder, "officers", "add", "Mallory", "--role", "trustee", "--vouched-by", "Alice",
                      "--vouched-by", "Alice", "--pin-stdin", stdin=f"444444\n{ALICE}\n{ALICE}\n"),
            "must be different people")
    refused(treasurer(folder, "officers", "add", "Mallory", "--role", "trustee", "--vouched-by", "Alice",
                      "--vouched-by", "Bob", "--pin-stdin", stdin=f"444444\n{ALICE}\n{ALICE}\n"),
            "The PIN for Bob is not right")
    assert count(hall, "officers") == 2
    # So Alice cannot approve her own request through a second name.
    worked(treasurer(folder, "adjust", "1001", "45.00", "--kind", "write_off", "--reason", "x", "--officer",
                     "Alice", "--pin-stdin", stdin=f"{ALICE}\n"))
    refused(treasurer(folder, "approve", "1", "--officer", "Mallory", "--pin-stdin", stdin="444444\n"),
            "There is no officer named 'Mallory'")
    out = worked(treasurer(folder, "officers", "list"))
    assert "Dual control is not in force" not in out


def test_4_periods_close_and_reopen_only_with_a_pin_and_the_close_prints_its_anchor(books):
    hall, folder = books
    refused(treasurer(folder, "periods", "close", "2026-10", "--officer", "Alice", "--note", "done"),
            "A PIN is needed")
    refused(treasurer(folder, "periods", "close", "2026-10", "--officer", "Alice", "--note", "done",
                      "--pin-stdin", stdin=f"{BOB}\n"), "The PIN for Alice is not right")
    assert count(hall, "period_closings") == 0
    out = worked(treasurer(folder, "periods", "close", "2026-10", "--officer", "Alice", "--note", "done",
                           "--pin-stdin", stdin=f"{ALICE}\n"))
    lines = out.splitlines()
    assert lines[0] == "Closed period 2026-10."
    match = re.fullmatch(r"Anchor: (\d+):([0-9a-f]{64}) — give it to the trustees; "
                         r"'treasurer audit verify --expect (\d+):([0-9a-f]{64})' checks it\.", lines[1])
    assert match and match[1] == match[3] and match[2] == match[4]
    seq, digest = int(match[1]), match[2]
    conn = raw(hall)
    try:
        assert conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq,)).fetchone()[0] == digest
        assert conn.execute("SELECT anchor_seq, anchor_hash FROM period_closings").fetchone() == (seq, digest)
        close_seq, after = conn.execute("SELECT seq, after_json FROM audit_log WHERE action = 'period.close'") \
            .fetchone()
    finally:
        conn.close()
    assert close_seq == seq + 1                                    # the head just before the closing's own entry
    assert json.loads(after) == {"officer": "Alice", "note": "done", "anchor_seq": seq, "anchor_hash": digest}
    refused(treasurer(folder, "periods", "reopen", "2026-10", "--officer", "Bob", "--reason", "late check"),
            "A PIN is needed")
    refused(treasurer(folder, "periods", "reopen", "2026-10", "--officer", "Bob", "--reason", "late check",
                      "--pin-stdin", stdin=f"{ALICE}\n"), "The PIN for Bob is not right")
    assert count(hall, "period_closings") == 1
    assert worked(treasurer(folder, "periods", "reopen", "2026-10", "--officer", "Bob", "--reason", "late check",
                            "--pin-stdin", stdin=f"{BOB}\n")).strip() == "Reopened period 2026-10."


def test_5_five_wrong_pins_lock_an_officer_out_across_restarts_and_leave_a_trace(books):
    hall, folder = books
    close = ("periods", "close", "2026-10", "--officer", "Bob", "--note", "done", "--pin-stdin")
    for attempt in range(1, 5):
        refused(treasurer(folder, *close, stdin=f"00000{attempt}\n"), "The PIN for Bob is not right")
    error = refused(treasurer(folder, *close, stdin="000005\n"), "is now locked out until")
    assert re.search(r"Bob is now locked out until (\d{4}-\d\d-\d\d )?\d\d:\d\d UTC", error)
    # A new process (a restart) does not forget it, and the right PIN is refused without being looked at.
    refused(treasurer(folder, *close, stdin=f"{BOB}\n"), "Bob is locked out after 5 wrong PINs in a row until")
    refused(treasurer(folder, "adjust", "1001", "5.00", "--kind", "waiver", "--reason", "r", "--officer", "Bob",
                      "--pin-stdin", stdin=f"{BOB}\n"), "locked out")
    assert count(hall, "period_closings") == 0 and count(hall, "adjustments") == 0
    # Another officer is not affected.
    worked(treasurer(folder, "periods", "close", "2026-10", "--officer", "Alice", "--note", "done", "--pin-stdin",
                     stdin=f"{ALICE}\n"))
    actions = audit_actions(hall)
    assert actions.count("officer.pin_wrong") == 5 and actions.count("officer.lockout") == 1
    log = worked(treasurer(folder, "audit", "log", "--limit", "20", "--entity", "officer"))
    assert "officer.pin_wrong" in log and "officer.lockout" in log and BOB not in log
    conn = raw(hall)
    try:
        lockout = json.loads(conn.execute("SELECT after_json FROM audit_log WHERE action = 'officer.lockout'")
                             .fetchone()[0])
        assert conn.execute("SELECT lockouts, locked_until FROM officers WHERE name = 'Bob'").fetchone() == (
            1, lockout["locked_until"])
    finally:
        conn.close()
    assert lockout["name"] == "Bob" and lockout["minutes"] == 15


def test_an_officer_with_an_old_short_pin_is_asked_to_change_it(books):
    hall, folder = books
    from treasurer.models import Officer
    import base64
    import hashlib

    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"1234", salt=salt, n=2**14, r=8, p=1, dklen=32)
    with hall.write() as tx:                   # books from before PINs had six digits
        tx.session.query(Officer).filter_by(name="Alice").one().pin_hash = \
            f"scrypt${2**14}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    result = treasurer(folder, "adjust", "1001", "5.00", "--kind", "waiver", "--reason", "r", "--officer", "Alice",
                       "--pin-stdin", stdin="1234\n")
    assert result.returncode == 0
    assert "Alice's PIN is shorter than 6 digits; please change it" in result.stderr
    refused(treasurer(folder, "officers", "change-pin", "Alice", "--pin-stdin", stdin="1234\n5555\n"),
            "A new PIN is 6 to 12 digits")
    result = treasurer(folder, "officers", "change-pin", "Alice", "--pin-stdin", stdin="1234\n555555\n")
    assert worked(result).strip() == "Alice has a new PIN." and "shorter than 6" not in result.stderr
