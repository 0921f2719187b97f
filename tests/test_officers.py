"""Officers: adding, changing a PIN (old PIN or another officer's), deactivating (never the last one)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from helpers import LEE_PIN, PAT_PIN, SAM_PIN, count, officers, pin_works, raw
from treasurer import clock
from treasurer.adjustments import request_adjustment
from treasurer.audit import verify
from treasurer.errors import NotFound, PermissionDenied, ValidationError
from treasurer.officers import (
    add_officer,
    change_pin,
    check_officer_pin,
    deactivate_officer,
    dual_control_in_force,
    dual_control_notice,
    hash_pin,
    list_officers,
    reactivate_officer,
)
from treasurer.models import Officer


def audit_tail(hall, n: int = 1) -> list[tuple[str, str, str | None, dict]]:
    conn = raw(hall)
    try:
        rows = conn.execute("SELECT action, entity_id, before_json, after_json FROM audit_log "
                            "ORDER BY seq DESC LIMIT ?", (n,)).fetchall()
    finally:
        conn.close()
    return [(a, e, json.loads(b) if b else None, json.loads(after)) for a, e, b, after in rows]


def chain_ok(hall) -> bool:
    with hall.read() as s:
        return verify(s).ok


def three_officers(hall):
    officers(hall)
    add_officer(hall, "Lee Chen", "trustee", LEE_PIN, vouchers=[("Pat Morales", PAT_PIN), ("Sam Okafor", SAM_PIN)])


def officer_row(hall, name) -> Officer:
    with hall.read() as s:
        return s.query(Officer).filter_by(name=name).one()


def test_add_officer_is_active_and_audited(hall):
    officer = add_officer(hall, "  Pat   Morales ", "treasurer", PAT_PIN)
    assert officer.name == "Pat Morales"
    [row] = list_officers(hall)
    assert (row.name, row.role, row.active) == ("Pat Morales", "treasurer", True)
    assert audit_tail(hall)[0] == ("officer.add", str(officer.id), None, {"name": "Pat Morales", "role": "treasurer"})
    with pytest.raises(ValidationError, match="already an officer named Pat Morales"):
        add_officer(hall, "Pat Morales", "trustee", "999999", vouchers=[("Pat Morales", PAT_PIN)])


@pytest.mark.parametrize("pin", ["12a456", "12345", "1234567890123", "١٢٣٤٥٦", " ", "12 3456"])
def test_a_new_pin_is_6_to_12_ascii_digits(hall, pin):
    with pytest.raises(ValidationError, match="6 to 12 digits"):
        add_officer(hall, "Lee Chan", "trustee", pin)
    assert count(hall, "officers") == 0


def test_names_with_control_characters_are_refused(hall):
    with pytest.raises(ValidationError, match="text-direction mark"):
        add_officer(hall, "Pat \u202eselaroM", "treasurer", PAT_PIN)


def test_once_the_hall_has_an_officer_a_new_one_needs_an_officer_to_vouch(hall):
    add_officer(hall, "Pat Morales", "treasurer", PAT_PIN)            # the first needs no one
    before = count(hall, "audit_log")
    with pytest.raises(PermissionDenied, match="must vouch for Lee Chan"):
        add_officer(hall, "Lee Chan", "trustee", LEE_PIN)
    assert count(hall, "audit_log") == before
    with pytest.raises(PermissionDenied, match="PIN for Pat Morales is not right"):
        add_officer(hall, "Lee Chan", "trustee", LEE_PIN, vouchers=[("Pat Morales", "999999")])
    assert [o.name for o in list_officers(hall)] == ["Pat Morales"]
    assert audit_tail(hall)[0][0] == "officer.pin_wrong"              # the wrong PIN is kept, nothing else
    add_officer(hall, "Lee Chen", "trustee", LEE_PIN, vouchers=[("Pat Morales", PAT_PIN)])
    assert audit_tail(hall)[0][3] == {"name": "Lee Chen", "role": "trustee", "vouched_by": ["Pat Morales"]}
    # An officer who left vouches for no one.
    deactivate_officer(hall, "Pat Morales", "Lee Chen", LEE_PIN)
    with pytest.raises(PermissionDenied, match="Pat Morales is no longer an active officer"):
        add_officer(hall, "Ann Lee", "staff", "111111", vouchers=[("Pat Morales", PAT_PIN)])


def test_with_two_active_officers_adding_one_needs_two_different_officers(hall):
    officers(hall)
    with hall.read() as s:
        assert dual_control_in_force(s) and dual_control_notice(s) is None
    with pytest.raises(PermissionDenied, match="Two active officers must vouch for Lee Chen"):
        add_officer(hall, "Lee Chen", "trustee", LEE_PIN, vouchers=[("Pat Morales", PAT_PIN)])
    with pytest.raises(PermissionDenied, match="must be different people"):
        add_officer(hall, "Lee Chen", "trustee", LEE_PIN, vouchers=[("Pat Morales", PAT_PIN)] * 2)
    with pytest.raises(PermissionDenied, match="PIN for Sam Okafor is not right"):
        add_officer(hall, "Lee Chen", "trustee", LEE_PIN, vouchers=[("Pat Morales", PAT_PIN), ("Sam Okafor", "1")])
    assert count(hall, "officers") == 2
    add_officer(hall, "Lee Chen", "trustee", LEE_PIN, vouchers=[("Pat Morales", PAT_PIN), ("Sam Okafor", SAM_PIN)])
    assert audit_tail(hall)[0][3]["vouched_by"] == ["Pat Morales", "Sam Okafor"]


def test_the_notice_says_when_dual_control_is_not_in_force(hall):
    with hall.read() as s:
        assert "no active officer" in dual_control_notice(s)
    add_officer(hall, "Pat Morales", "treasurer", PAT_PIN)
    with hall.read() as s:
        assert not dual_control_in_force(s)
        assert dual_control_notice(s).startswith("Dual control is not in force: the hall has only one active officer")


def test_change_pin_with_the_old_pin(hall):
    officers(hall)
    change_pin(hall, "Pat Morales", "246800", PAT_PIN)
    assert pin_works(hall, "Pat Morales", "246800") and not pin_works(hall, "Pat Morales", PAT_PIN)
    action, _, before, after = audit_tail(hall)[0]
    assert (action, before, after) == ("officer.pin_change", None, {"name": "Pat Morales", "vouched_by": "Pat Morales"})
    assert "246800" not in json.dumps(after) and "scrypt" not in json.dumps(after)
    assert chain_ok(hall)


def test_change_pin_refused_with_a_wrong_old_pin_changes_nothing(hall):
    officers(hall)
    with pytest.raises(PermissionDenied, match="old PIN for Pat Morales is not right"):
        change_pin(hall, "Pat Morales", "246800", "999999")
    assert audit_tail(hall)[0][0] == "officer.pin_wrong"
    entries = count(hall, "audit_log")
    with pytest.raises(ValidationError, match="same as the old one"):
        change_pin(hall, "Pat Morales", PAT_PIN, PAT_PIN)
    with pytest.raises(ValidationError, match="6 to 12 digits"):
        change_pin(hall, "Pat Morales", "12", PAT_PIN)
    assert pin_works(hall, "Pat Morales", PAT_PIN)
    assert count(hall, "audit_log") == entries


def test_a_forgotten_pin_is_reset_by_two_other_officers(hall):
    three_officers(hall)
    with pytest.raises(PermissionDenied, match="Two other active officers must vouch"):
        change_pin(hall, "Pat Morales", "246800", vouchers=[("Sam Okafor", SAM_PIN)])
    with pytest.raises(PermissionDenied, match="Pat Morales cannot vouch"):
        change_pin(hall, "Pat Morales", "246800", vouchers=[("Pat Morales", PAT_PIN), ("Sam Okafor", SAM_PIN)])
    with pytest.raises(PermissionDenied, match="PIN for Lee Chen is not right"):
        change_pin(hall, "Pat Morales", "246800", vouchers=[("Sam Okafor", SAM_PIN), ("Lee Chen", PAT_PIN)])
    assert pin_works(hall, "Pat Morales", PAT_PIN)
    change_pin(hall, "Pat Morales", "246800", vouchers=[("Sam Okafor", SAM_PIN), ("Lee Chen", LEE_PIN)])
    assert pin_works(hall, "Pat Morales", "246800")
    assert audit_tail(hall)[0][3] == {"name": "Pat Morales", "vouched_by": ["Sam Okafor", "Lee Chen"]}
    with pytest.raises(NotFound):
        change_pin(hall, "Nobody Here", "246800", vouchers=[("Sam Okafor", SAM_PIN), ("Lee Chen", LEE_PIN)])


def test_with_one_other_officer_no_reset_and_the_way_out_is_said(hall):
    officers(hall)
    with pytest.raises(PermissionDenied, match=r"Sam Okafor alone cannot reset Pat Morales's PIN.*reactivate"):
        change_pin(hall, "Pat Morales", "246800", vouchers=[("Sam Okafor", SAM_PIN)])
    assert pin_works(hall, "Pat Morales", PAT_PIN)
    # The way out: Sam deactivates Pat (dual control is then not in force, and said so) and brings Pat back
    # with a new PIN.
    notice = deactivate_officer(hall, "Pat Morales", "Sam Okafor", SAM_PIN)
    assert notice.startswith("Dual control is not in force")
    assert audit_tail(hall)[0][3]["dual_control"] is False
    reactivate_officer(hall, "Pat Morales", [("Sam Okafor", SAM_PIN)], new_pin="246800")
    assert pin_works(hall, "Pat Morales", "246800")
    assert audit_tail(hall)[0][3] == {"name": "Pat Morales", "active": True, "by": "Sam Okafor", "new_pin": True}


def test_reactivating_while_dual_control_is_in_force_needs_two(hall):
    three_officers(hall)
    assert deactivate_officer(hall, "Lee Chen", "Pat Morales", PAT_PIN) is None     # two remain: still in force
    with pytest.raises(PermissionDenied, match="Two active officers must vouch for reactivating Lee Chen"):
        reactivate_officer(hall, "Lee Chen", [("Pat Morales", PAT_PIN)])
    reactivate_officer(hall, "Lee Chen", [("Pat Morales", PAT_PIN), ("Sam Okafor", SAM_PIN)])
    assert audit_tail(hall)[0][3]["by"] == ["Pat Morales", "Sam Okafor"]


def test_deactivate_needs_another_officers_pin(hall):
    officers(hall)
    entries = count(hall, "audit_log")
    with pytest.raises(PermissionDenied, match="Another officer must vouch"):
        deactivate_officer(hall, "Pat Morales", "Pat Morales", PAT_PIN)
    assert count(hall, "audit_log") == entries
    with pytest.raises(PermissionDenied, match="PIN for Sam Okafor is not right"):
        deactivate_officer(hall, "Pat Morales", "Sam Okafor", PAT_PIN)
    assert audit_tail(hall)[0][0] == "officer.pin_wrong"
    deactivate_officer(hall, "Pat Morales", "Sam Okafor", SAM_PIN)
    assert {o.name: o.active for o in list_officers(hall)} == {"Pat Morales": False, "Sam Okafor": True}
    assert audit_tail(hall)[0][0] == "officer.deactivate"
    assert audit_tail(hall)[0][2:] == ({"name": "Pat Morales", "active": True},
                                       {"name": "Pat Morales", "active": False, "by": "Sam Okafor",
                                        "dual_control": False})
    assert chain_ok(hall)
    with pytest.raises(ValidationError, match="already inactive"):
        deactivate_officer(hall, "Pat Morales", "Sam Okafor", SAM_PIN)


def test_the_last_active_officer_cannot_be_deactivated(hall):
    officers(hall)
    deactivate_officer(hall, "Pat Morales", "Sam Okafor", SAM_PIN)
    entries = count(hall, "audit_log")
    with pytest.raises(ValidationError, match="Sam Okafor is the last active officer"):
        deactivate_officer(hall, "Sam Okafor", "Pat Morales", PAT_PIN)
    assert [o.name for o in list_officers(hall) if o.active] == ["Sam Okafor"]
    assert count(hall, "audit_log") == entries


def test_an_inactive_officer_can_no_longer_act_or_vouch(hall):
    from helpers import standard_hall

    standard_hall(hall, members=1)
    officers(hall)
    deactivate_officer(hall, "Pat Morales", "Sam Okafor", SAM_PIN)
    with pytest.raises(PermissionDenied, match="Pat Morales is no longer an active officer"):
        request_adjustment(hall, "1001", 1000, "waiver", "E-Board vote", "Pat Morales", pin=PAT_PIN)
    with pytest.raises(PermissionDenied, match="No other officer is active to vouch"):
        change_pin(hall, "Sam Okafor", "135790", vouchers=[("Pat Morales", PAT_PIN), ("Lee Chen", LEE_PIN)])
    with pytest.raises(PermissionDenied, match="no longer an active officer"):
        change_pin(hall, "Pat Morales", "135790", PAT_PIN)
    assert not pin_works(hall, "Sam Okafor", "135790")


def test_five_wrong_pins_lock_an_officer_out_and_the_lock_doubles(hall, monkeypatch):
    officers(hall)
    for _ in range(4):
        with pytest.raises(PermissionDenied, match="PIN for Sam Okafor is not right"):
            check_officer_pin(hall, "Sam Okafor", "000000")
    assert officer_row(hall, "Sam Okafor").failed_pins == 4
    with pytest.raises(PermissionDenied, match=r"Sam Okafor is now locked out until \d\d:\d\d UTC"):
        check_officer_pin(hall, "Sam Okafor", "000000")
    assert audit_tail(hall, 2)[0][0] == "officer.lockout" and audit_tail(hall, 2)[0][3]["minutes"] == 15
    with pytest.raises(PermissionDenied, match="locked out after 5 wrong PINs in a row until"):
        check_officer_pin(hall, "Sam Okafor", SAM_PIN)               # the right PIN is refused while locked
    # A quarter of an hour later the right PIN works again and the count starts afresh.
    later = clock.now() + dt.timedelta(minutes=16)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert check_officer_pin(hall, "Sam Okafor", SAM_PIN) == "Sam Okafor"
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            check_officer_pin(hall, "Sam Okafor", "000000")
    row = officer_row(hall, "Sam Okafor")
    assert row.lockouts == 2
    assert dt.datetime.fromisoformat(row.locked_until) - later > dt.timedelta(minutes=29)   # 30 minutes


def test_a_reset_by_two_other_officers_lifts_a_lockout(hall):
    three_officers(hall)
    for _ in range(5):
        with pytest.raises(PermissionDenied):
            check_officer_pin(hall, "Sam Okafor", "000000")
    with pytest.raises(PermissionDenied, match="locked out"):
        change_pin(hall, "Sam Okafor", "135790", SAM_PIN)              # not even with the old PIN
    change_pin(hall, "Sam Okafor", "135790", vouchers=[("Pat Morales", PAT_PIN), ("Lee Chen", LEE_PIN)])
    assert check_officer_pin(hall, "Sam Okafor", "135790") == "Sam Okafor"


def test_a_right_pin_resets_the_count(hall):
    officers(hall)
    for _ in range(3):
        with pytest.raises(PermissionDenied):
            check_officer_pin(hall, "Pat Morales", "000000")
    check_officer_pin(hall, "Pat Morales", PAT_PIN)
    assert officer_row(hall, "Pat Morales").failed_pins == 0
    assert audit_tail(hall)[0][0] == "officer.pin_right"


def test_an_old_short_pin_and_an_old_hash_still_work(hall):
    officers(hall)
    from treasurer.officers import check_pin, pin_is_short
    import base64, hashlib

    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"1234", salt=salt, n=2**14, r=8, p=1, dklen=32)
    old = f"scrypt${2**14}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"
    assert check_pin("1234", old) and not check_pin("1235", old) and pin_is_short("1234")
    assert hash_pin(PAT_PIN).startswith("scrypt$32768$8$1$")
    with hall.write() as tx:                   # books from before PINs had six digits
        tx.session.query(Officer).filter_by(name="Pat Morales").one().pin_hash = old
    assert check_officer_pin(hall, "Pat Morales", "1234") == "Pat Morales"
