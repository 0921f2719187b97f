"""Balance transactions seen in the Stripe balance before any payout carried them.

``balance_lines_seen`` holds one row per Stripe balance transaction that the payout
sync found in the balance while no synced payout listed it: a ledger payment whose
charge is there is money not yet paid out, not a payment Stripe does not know.
Append-only like ``balance_transactions`` (which is not altered).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 10:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('balance_lines_seen',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stripe_txn_id', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('reporting_category', sa.String(length=40), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('fee_cents', sa.BigInteger(), nullable=False),
    sa.Column('net_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('source_id', sa.String(length=255), nullable=False),
    sa.Column('charge_id', sa.String(length=255), nullable=True),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('created', sa.BigInteger(), nullable=False),
    sa.Column('available_on', sa.BigInteger(), nullable=True),
    sa.Column('seen_at', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('stripe_txn_id')
    )
    with op.batch_alter_table('balance_lines_seen', schema=None) as batch_op:
        batch_op.create_index('ix_balance_seen_charge', ['charge_id'], unique=False)
        batch_op.create_index('ix_balance_seen_intent', ['payment_intent_id'], unique=False)
    guards(upgrade=True)


def downgrade() -> None:
    guards(upgrade=False)
    with op.batch_alter_table('balance_lines_seen', schema=None) as batch_op:
        batch_op.drop_index('ix_balance_seen_intent')
        batch_op.drop_index('ix_balance_seen_charge')
    op.drop_table('balance_lines_seen')


GUARDS = [
    ("balance_lines_seen", "no_update", "UPDATE", None, "balance lines seen are never changed"),
    ("balance_lines_seen", "no_delete", "DELETE", None, "balance lines seen are never deleted"),
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
