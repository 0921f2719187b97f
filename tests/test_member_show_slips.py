"""``treasurer member show`` lists the member's slips and what became of each, run as its own process.

The whole day at the counter through the installed command: slips made, a payment at the counter (no Stripe
key on that computer) closes the member's slip (its link queued), ``treasurer sync`` switches the link off in
the sandbox, ``member show`` says so.
"""

from __future__ import annotations

from helpers import SANDBOX_KEY, run_treasurer, standard_hall
from treasurer.dues import assess


def test_member_show_lists_the_slips_and_what_became_of_each(hall, gateway, sandbox_url, tmp_path):
    standard_hall(hall, members=2)
    for month in ("2026-09", "2026-10"):
        assess(hall, month)
    data_dir = tmp_path / "hall"      # the hall fixture's folder
    hall.close()
    env = {"STRIPE_API_KEY": SANDBOX_KEY, "TREASURER_STRIPE_API_BASE": sandbox_url}

    def treasurer(*args: str) -> str:
        done = run_treasurer(*args, data_dir=data_dir, env=env)
        assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stdout}\n{done.stderr[-3000:]}"
        return done.stdout

    out = treasurer("member", "show", "1001")
    assert "Slips: none." in out
    first_id, _, _, first_url = treasurer("slips", "create", "2026-10", "--member", "1001").split()
    # No Stripe key at the counter (a payment with one switches the link off at once: tests/test_first_month.py).
    paid = run_treasurer("pay", "1001", "10.00", "--method", "cash", data_dir=data_dir)
    assert paid.returncode == 0 and "its payment link will be switched off at the next" in paid.stdout
    out = treasurer("member", "show", "1001")
    slips = out[out.index("Slips:"):].splitlines()
    assert slips[1].split()[:2] == ["slip", "status"] and "what became of it" in slips[1]
    row = slips[2].split()
    assert row[:4] == [first_id, "superseded", "$45.00", "2026-10"]
    assert slips[2].endswith("Superseded: payment R000001 received; link still to switch off")
    assert gateway.retrieve_payment_link(first_url.rsplit("/", 1)[1])["active"] is True
    printed = run_treasurer("slips", "pdf", "--out", str(tmp_path / "slips.pdf"), data_dir=data_dir, env=env)
    assert printed.returncode == 1 and "no open slips" in printed.stderr   # no "Amount due" for a closed slip

    treasurer("sync")
    assert gateway.retrieve_payment_link(first_url.rsplit("/", 1)[1])["active"] is False
    second_id, _, amount, _ = treasurer("slips", "create", "2026-10", "--member", "1001", "--arrears").split()
    assert amount == "80.00"
    out = treasurer("member", "show", "1001")
    rows = [line.split() for line in out[out.index("Slips:"):].splitlines()[2:]]
    assert [r[:4] for r in rows] == [[second_id, "open", "$80.00", "2026-09"], [first_id, "superseded", "$45.00",
                                                                                "2026-10"]]
    assert rows[0][4:7] == ["to", "2026-10", "(2"]
    assert out.rstrip().endswith("Superseded: payment R000001 received; link switched off")
    assert "open: its link takes payment" in out
