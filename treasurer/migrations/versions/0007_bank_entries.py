"""Bank statement lines other than deposits and payouts: fees, interest, withdrawals, transfers.

``bank_entries`` holds one row per such line, signed as it moves the bank balance
(a fee is negative, interest positive), so a bank reconciliation can tick it and
reach a zero difference.  Append-only: a mistake is corrected by a new entry of
the opposite amount.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 12:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('bank_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('entry_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('memo', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("kind IN ('fee', 'interest', 'withdrawal', 'transfer_in', 'other')",
                       name='ck_bank_entry_kind'),
    sa.CheckConstraint('amount_cents <> 0', name='ck_bank_entry_amount'),
    sa.PrimaryKeyConstraint('id')
    )
    guards(upgrade=True)


def downgrade() -> None:
    guards(upgrade=False)
    op.drop_table('bank_entries')


GUARDS = [
    ("bank_entries", "no_update", "UPDATE", None, "bank entries are never changed; record a correcting entry"),
    ("bank_entries", "no_delete", "DELETE", None, "bank entries are never deleted; record a correcting entry"),
]


def guards(upgrade: bool) -> None:
    """The same rules for SQLite (RAISE(ABORT)) and PostgreSQL (0001's treasurer_refuse_change)."""
    dialect = op.get_bind().dialect.name
    for table, suffix, event, when, message in GUARDS:
        name = f"{table}_{suffix}"
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        if not upgrade:
            continue
        if dialect == "postgresql":
            cond = f"WHEN ({when.replace('<>', 'IS DISTINCT FROM')})" if when else ""
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW {cond} "
                       f"EXECUTE FUNCTION treasurer_refuse_change('{message}')")
        else:
            cond = f"WHEN {when}" if when else ""
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW {cond} "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
