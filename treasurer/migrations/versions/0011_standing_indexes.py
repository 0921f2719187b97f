"""Covering indexes for the roll's standing and the Dashboard's figures (issue 12).

Per member, the sums of charges and of completed payments are read from an index alone
(``treasurer.ledger.standing_totals_select``), as are the charges of a few periods (this month's
expected dues, the charges not yet overdue) and each month's payments by method and day.  Indexes
only: no row of the books is changed, nothing to record in the audit log.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 06:30:00
"""

from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_charges_member_totals', 'charges', ['member_id', 'period_id', 'amount_cents'])
    op.create_index('ix_charges_period_totals', 'charges', ['period_id', 'member_id', 'amount_cents'])
    op.create_index('ix_payments_member_totals', 'payments', ['member_id', 'status', 'amount_cents'])
    op.create_index('ix_payments_day_totals', 'payments', ['status', 'received_on', 'method', 'amount_cents'])


def downgrade() -> None:
    op.drop_index('ix_payments_day_totals', table_name='payments')
    op.drop_index('ix_payments_member_totals', table_name='payments')
    op.drop_index('ix_charges_period_totals', table_name='charges')
    op.drop_index('ix_charges_member_totals', table_name='charges')
