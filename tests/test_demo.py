from treasurer import audit
from treasurer.arrears import members_in_arrears
from treasurer.demo import fill_demo
from treasurer.ledger import standings
from treasurer import clock


def test_a_demo_hall_has_arrears_every_method_and_a_sound_chain(tmp_path, monkeypatch):
    from treasurer.hall import open_hall
    # Mid-month: on the 1st to the 20th the demo's members have not all paid the new month yet.
    monkeypatch.setenv("TREASURER_TODAY", "2026-11-24")
    hall = open_hall(str(tmp_path / "demo"), actor="demo")
    summary = fill_demo(hall, members=150, months=12)
    assert summary.members == 150 and summary.charges > 150 * 8 and summary.payments > 100
    behind = members_in_arrears(hall, 3)
    assert behind and all(a.standing.months_in_arrears >= 3 for a in behind)
    with hall.read() as s:
        methods = {m for (m,) in s.execute(__import__("sqlalchemy").text("SELECT DISTINCT method FROM payments"))}
        assert {"cash", "check", "card", "us_bank_account"} <= methods
        table = standings(s, clock.today())
        assert audit.verify(s).ok
    assert any(st.balance_cents < 0 for st in table.values())  # some overpaid
    assert sum(1 for st in table.values() if st.balance_cents == 0) > 50
    hall.close()


def test_demo_refuses_a_hall_with_members(cli):
    cli("demo", "--members", "20", "--months", "3")
    _, _, err = cli("demo", "--members", "20", expect=1)
    assert "already has members" in err
