"""Officers: adding, changing a PIN (old PIN or another officer's), deactivating (never the last one)."""

from __future__ import annotations

import json

import pytest

from helpers import count, officers, pin_works, raw
from treasurer.adjustments import request_adjustment
from treasurer.audit import verify
from treasurer.errors import NotFound, PermissionDenied, ValidationError
from treasurer.officers import (
    add_officer,
    change_pin,
    deactivate_officer,
    list_officers,
)


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


def test_add_officer_is_active_and_audited(hall):
    officer = add_officer(hall, "  Pat   Morales ", "treasurer", "1234")
    assert officer.name == "Pat Morales"
    [row] = list_officers(hall)
    assert (row.name, row.role, row.active) == ("Pat Morales", "treasurer", True)
    assert audit_tail(hall)[0] == ("officer.add", str(officer.id), None, {"name": "Pat Morales", "role": "treasurer"})
    with pytest.raises(ValidationError, match="already an officer named Pat Morales"):
        add_officer(hall, "Pat Morales", "trustee", "9999")
    with pytest.raises(ValidationError, match="4 to 12 digits"):
        add_officer(hall, "Lee Chan", "trustee", "12a4")


def test_once_the_hall_has_an_officer_a_new_one_needs_an_officer_to_vouch(hall):
    add_officer(hall, "Pat Morales", "treasurer", "1234")            # the first needs no one
    before = count(hall, "audit_log")
    with pytest.raises(PermissionDenied, match="must vouch for Lee Chan"):
        add_officer(hall, "Lee Chan", "trustee", "2468")
    with pytest.raises(PermissionDenied, match="PIN for Pat Morales is not right"):
        add_officer(hall, "Lee Chan", "trustee", "2468", vouched_by="Pat Morales", vouching_pin="9999")
    assert count(hall, "audit_log") == before and [o.name for o in list_officers(hall)] == ["Pat Morales"]
    add_officer(hall, "Lee Chen", "trustee", "2468", vouched_by="Pat Morales", vouching_pin="1234")
    assert audit_tail(hall)[0][3] == {"name": "Lee Chen", "role": "trustee", "vouched_by": "Pat Morales"}
    # An officer who left vouches for no one.
    deactivate_officer(hall, "Pat Morales", "Lee Chen", "2468")
    with pytest.raises(PermissionDenied, match="Pat Morales is no longer an active officer"):
        add_officer(hall, "Ann Lee", "staff", "1111", vouched_by="Pat Morales", vouching_pin="1234")


def test_change_pin_with_the_old_pin(hall):
    officers(hall)
    change_pin(hall, "Pat Morales", "24680", "1234")
    assert pin_works(hall, "Pat Morales", "24680") and not pin_works(hall, "Pat Morales", "1234")
    action, _, before, after = audit_tail(hall)[0]
    assert (action, before, after) == ("officer.pin_change", None, {"name": "Pat Morales", "vouched_by": "Pat Morales"})
    assert "24680" not in json.dumps(after) and "scrypt" not in json.dumps(after)
    assert chain_ok(hall)


def test_change_pin_refused_with_a_wrong_old_pin_changes_nothing(hall):
    officers(hall)
    entries = count(hall, "audit_log")
    with pytest.raises(PermissionDenied, match="old PIN for Pat Morales is not right"):
        change_pin(hall, "Pat Morales", "24680", "9999")
    with pytest.raises(ValidationError, match="same as the old one"):
        change_pin(hall, "Pat Morales", "1234", "1234")
    with pytest.raises(ValidationError, match="4 to 12 digits"):
        change_pin(hall, "Pat Morales", "12", "1234")
    assert pin_works(hall, "Pat Morales", "1234")
    assert count(hall, "audit_log") == entries


def test_another_officer_can_vouch_for_a_forgotten_pin(hall):
    officers(hall)
    with pytest.raises(PermissionDenied, match="PIN for Sam Okafor is not right"):
        change_pin(hall, "Pat Morales", "24680", "1234", vouched_by="Sam Okafor")   # Pat's PIN, not Sam's
    change_pin(hall, "Pat Morales", "24680", "5678", vouched_by="Sam Okafor")
    assert pin_works(hall, "Pat Morales", "24680")
    assert audit_tail(hall)[0][3] == {"name": "Pat Morales", "vouched_by": "Sam Okafor"}
    with pytest.raises(NotFound):
        change_pin(hall, "Nobody Here", "24680", "5678", vouched_by="Sam Okafor")


def test_deactivate_needs_another_officers_pin(hall):
    officers(hall)
    entries = count(hall, "audit_log")
    with pytest.raises(PermissionDenied, match="Another officer must vouch"):
        deactivate_officer(hall, "Pat Morales", "Pat Morales", "1234")
    with pytest.raises(PermissionDenied, match="PIN for Sam Okafor is not right"):
        deactivate_officer(hall, "Pat Morales", "Sam Okafor", "1234")
    assert count(hall, "audit_log") == entries
    deactivate_officer(hall, "Pat Morales", "Sam Okafor", "5678")
    assert {o.name: o.active for o in list_officers(hall)} == {"Pat Morales": False, "Sam Okafor": True}
    assert audit_tail(hall)[0][0] == "officer.deactivate"
    assert audit_tail(hall)[0][2:] == ({"name": "Pat Morales", "active": True},
                                       {"name": "Pat Morales", "active": False, "by": "Sam Okafor"})
    assert chain_ok(hall)
    with pytest.raises(ValidationError, match="already inactive"):
        deactivate_officer(hall, "Pat Morales", "Sam Okafor", "5678")


def test_the_last_active_officer_cannot_be_deactivated(hall):
    officers(hall)
    deactivate_officer(hall, "Pat Morales", "Sam Okafor", "5678")
    entries = count(hall, "audit_log")
    with pytest.raises(ValidationError, match="Sam Okafor is the last active officer"):
        deactivate_officer(hall, "Sam Okafor", "Pat Morales", "1234")
    assert [o.name for o in list_officers(hall) if o.active] == ["Sam Okafor"]
    assert count(hall, "audit_log") == entries


def test_an_inactive_officer_can_no_longer_act_or_vouch(hall):
    from helpers import standard_hall

    standard_hall(hall, members=1)
    officers(hall)
    deactivate_officer(hall, "Pat Morales", "Sam Okafor", "5678")
    with pytest.raises(PermissionDenied, match="Pat Morales is no longer an active officer"):
        request_adjustment(hall, "1001", 1000, "waiver", "E-Board vote", "Pat Morales")
    with pytest.raises(PermissionDenied, match="no longer an active officer"):
        change_pin(hall, "Sam Okafor", "13579", "1234", vouched_by="Pat Morales")
    with pytest.raises(PermissionDenied, match="no longer an active officer"):
        change_pin(hall, "Pat Morales", "13579", "1234")
    assert not pin_works(hall, "Sam Okafor", "13579")
