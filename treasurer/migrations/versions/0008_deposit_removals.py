"""Taking a payment out of an open deposit batch: ``deposit_removals`` (append-only).

``deposit_items`` loses its UNIQUE(payment_id), so that a payment taken out of one
batch can go into another; a non-unique index on payment_id stays, and "at most one
live batch per payment" is checked in ``treasurer.deposits`` inside the serialised
write transaction.  On SQLite the table is rebuilt (copy and move), which drops its
triggers, so 0004's deposit_items_no_update / _no_delete are recreated here; on
PostgreSQL the constraint (``deposit_items_payment_id_key``) is simply dropped.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 21:55:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

ITEM_GUARDS = [
    ("deposit_items", "no_update", "UPDATE", None, "deposit items are never changed"),
    ("deposit_items", "no_delete", "DELETE", None, "deposit items are never deleted"),
]
REMOVAL_GUARDS = [
    ("deposit_removals", "no_update", "UPDATE", None, "deposit removals are never changed"),
    ("deposit_removals", "no_delete", "DELETE", None, "deposit removals are never deleted"),
]


def _items_table(unique: bool) -> sa.Table:
    """deposit_items as the SQLite rebuild should leave it."""
    args = [sa.Column('id', sa.Integer(), nullable=False),
            sa.Column('batch_id', sa.Integer(), nullable=False),
            sa.Column('payment_id', sa.Integer(), nullable=False),
            sa.ForeignKeyConstraint(['batch_id'], ['deposit_batches.id'], ),
            sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], ),
            sa.PrimaryKeyConstraint('id'),
            sa.Index('ix_deposit_items_batch', 'batch_id')]
    if unique:
        args.append(sa.UniqueConstraint('payment_id'))
    return sa.Table('deposit_items', sa.MetaData(), *args)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.drop_constraint('deposit_items_payment_id_key', 'deposit_items', type_='unique')
        op.create_index('ix_deposit_items_payment', 'deposit_items', ['payment_id'], unique=False)
    else:
        guards(ITEM_GUARDS, upgrade=False)
        with op.batch_alter_table('deposit_items', recreate='always', copy_from=_items_table(unique=False)) as b:
            b.create_index('ix_deposit_items_payment', ['payment_id'], unique=False)
        guards(ITEM_GUARDS, upgrade=True)
    op.create_table('deposit_removals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('removed_by', sa.String(length=120), nullable=False),
    sa.Column('removed_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['deposit_items.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('item_id')
    )
    guards(REMOVAL_GUARDS, upgrade=True)


def downgrade() -> None:
    """Refused by the database while a payment is in two batches (UNIQUE), as it should be."""
    guards(REMOVAL_GUARDS, upgrade=False)
    op.drop_table('deposit_removals')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_deposit_items_payment', table_name='deposit_items')
        op.create_unique_constraint('deposit_items_payment_id_key', 'deposit_items', ['payment_id'])
    else:
        guards(ITEM_GUARDS, upgrade=False)
        with op.batch_alter_table('deposit_items', recreate='always', copy_from=_items_table(unique=True)):
            pass
        guards(ITEM_GUARDS, upgrade=True)


def guards(rules, upgrade: bool) -> None:
    """The same rules for SQLite (RAISE(ABORT)) and PostgreSQL (0001's treasurer_refuse_change)."""
    dialect = op.get_bind().dialect.name
    for table, suffix, event, when, message in rules:
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
