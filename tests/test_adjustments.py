import pytest

from helpers import PAT_PIN, SAM_PIN, count, officers, standard_hall
from treasurer.adjustments import decide, pending_adjustments, request_adjustment
from treasurer.errors import NotFound, PermissionDenied, ValidationError
from treasurer.ledger import member_standing
from treasurer import clock


def balance(hall):
    with hall.read() as s:
        return member_standing(s, 1, clock.today()).balance_cents


@pytest.fixture
def books(hall):
    standard_hall(hall, members=1)
    officers(hall)
    from treasurer.dues import assess
    assess(hall, "2026-05")
    return hall


def test_a_waiver_counts_only_after_a_different_officer_approves(books):
    adj = request_adjustment(books, "1001", 4500, "waiver", "laid off", "Pat Morales", pin=PAT_PIN)
    assert balance(books) == 4500
    assert [p.id for p in pending_adjustments(books)] == [adj.id]
    with pytest.raises(PermissionDenied, match="a different officer"):
        decide(books, adj.id, "Pat Morales", PAT_PIN, approve=True)
    with pytest.raises(PermissionDenied, match="PIN .* not right"):
        decide(books, adj.id, "Sam Okafor", "0000", approve=True)
    assert balance(books) == 4500 and count(books, "adjustment_decisions") == 0
    decide(books, adj.id, "Sam Okafor", SAM_PIN, approve=True, note="E-Board vote")
    assert balance(books) == 0 and pending_adjustments(books) == []
    with pytest.raises(ValidationError, match="already approved"):
        decide(books, adj.id, "Sam Okafor", SAM_PIN, approve=False)


def test_a_denied_write_off_is_kept_and_changes_nothing(books):
    adj = request_adjustment(books, "1001", 4500, "write_off", "uncollectable", "Pat Morales", pin=PAT_PIN)
    decide(books, adj.id, "Sam Okafor", SAM_PIN, approve=False, note="not yet")
    assert balance(books) == 4500
    assert count(books, "adjustments") == 1 and count(books, "adjustment_decisions") == 1


def test_a_correction_may_raise_what_is_owed(books):
    adj = request_adjustment(books, "1001", 1000, "correction", "under-assessed", "Pat Morales", increase=True,
                             pin=PAT_PIN)
    decide(books, adj.id, "Sam Okafor", SAM_PIN, approve=True)
    assert balance(books) == 5500
    fix = request_adjustment(books, "1001", 1000, "correction", "reverse #1", "Sam Okafor", corrects=adj.id,
                             pin=SAM_PIN)
    decide(books, fix.id, "Pat Morales", PAT_PIN, approve=True)
    assert balance(books) == 4500


@pytest.mark.parametrize("kwargs, error, says", [
    (dict(amount_cents=0), ValidationError, "more than zero"),
    (dict(kind="bonus"), ValidationError, "not one of"),
    (dict(reason=" "), ValidationError, "needs a reason"),
    (dict(officer_name="Nobody"), NotFound, "no officer named"),
    (dict(member_number="9999"), NotFound, "no member number"),
    (dict(increase=True), ValidationError, "Only a correction"),
])
def test_bad_requests_change_nothing(books, kwargs, error, says):
    args = dict(member_number="1001", amount_cents=500, kind="waiver", reason="r", officer_name="Pat Morales")
    args.update(kwargs)
    before = count(books, "audit_log")
    with pytest.raises(error, match=says):
        request_adjustment(books, **args, pin=PAT_PIN)
    assert count(books, "adjustments") == 0 and count(books, "audit_log") == before


def test_the_requester_proves_themselves_with_their_pin(books):
    before = count(books, "audit_log")
    with pytest.raises(PermissionDenied, match="PIN for Pat Morales is not right"):
        request_adjustment(books, "1001", 4500, "write_off", "x", "Pat Morales", pin="000000")
    assert count(books, "adjustments") == 0
    assert count(books, "audit_log") == before + 1            # the wrong PIN, and nothing else
    adj = request_adjustment(books, "1001", 4500, "write_off", "x", "Pat Morales", pin=PAT_PIN)
    with pytest.raises(PermissionDenied, match="a different officer"):
        decide(books, adj.id, "Pat Morales", PAT_PIN, approve=True)     # one person cannot be both


def test_an_amount_above_the_ceiling_is_refused(books):
    books.set_setting("amount_ceiling", "100.00")
    with pytest.raises(ValidationError, match="above this hall's ceiling"):
        request_adjustment(books, "1001", 10001, "waiver", "typo", "Pat Morales", pin=PAT_PIN)
    assert count(books, "adjustments") == 0
