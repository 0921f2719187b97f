"""The first-run wizard's demo: the same hall ``treasurer demo`` makes, its online part in this session's sandbox."""

from __future__ import annotations

from helpers import SANDBOX_KEY
from sqlalchemy import func, select

from treasurer.hall import open_hall
from treasurer.models import DepositBatch, Payout, ReviewItem


def test_the_wizards_demo_pays_online_in_the_sessions_sandbox(tmp_path, qtbot, app_settings, sandbox_url):
    from ui.context import StripeSetup
    from ui.wizard import FirstRunWizard

    hall = open_hall(str(tmp_path / "new"), actor="tester")
    wizard = FirstRunWizard(hall, app_settings, stripe=StripeSetup("sandbox", SANDBOX_KEY, sandbox_url))
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.keyClicks(wizard.hall_page.name, "IBEW Local 42")
    wizard.next()
    wizard.stripe_page.sandbox.setChecked(True)
    wizard.next()
    wizard.books_page.demo.setChecked(True)
    wizard.books_page.members.setValue(60)
    wizard.accept()
    assert hall.initialised
    with hall.read() as s:
        kinds = set(s.scalars(select(ReviewItem.kind).where(ReviewItem.resolved_at.is_(None))))
        assert {"refund", "dispute", "unmatched_payment"} <= kinds
        assert s.scalar(select(func.count()).select_from(Payout)) == 2
        assert s.scalar(select(func.count()).select_from(DepositBatch).where(DepositBatch.status == "open")) == 1
    # The sandbox the wizard used is this session's, not one of its own: no state file was written for it.
    assert not (tmp_path / "new" / "sandbox-state.json").exists()
    hall.close()
