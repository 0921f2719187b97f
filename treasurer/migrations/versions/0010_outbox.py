"""The outbox: every email to a member (slips and reminders), one row per step.

``outbox`` is append-only: a try is written ('sending') before the message goes to the
mail server and its answer after ('sent', 'retry', 'failed', 'unknown'), each a row of
its own, so a message is sent at most once per slip and kind even when the program
stops between the two.  The table is new and empty: no baseline to record.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 03:20:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('slip_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('step', sa.String(length=10), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('message_id', sa.String(length=255), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('at', sa.String(length=32), nullable=False),
    sa.CheckConstraint("step IN ('sending', 'sent', 'retry', 'failed', 'unknown')", name='ck_outbox_step'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], ),
    sa.ForeignKeyConstraint(['slip_id'], ['slips.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slip_id', 'kind', 'attempt', 'step', name='uq_outbox_step')
    )
    op.create_index('ix_outbox_member', 'outbox', ['member_id'], unique=False)
    guards(upgrade=True)


def downgrade() -> None:
    guards(upgrade=False)
    op.drop_index('ix_outbox_member', table_name='outbox')
    op.drop_table('outbox')


GUARDS = [
    ("outbox", "no_update", "UPDATE", None, "the outbox is never changed; a new step is a new row"),
    ("outbox", "no_delete", "DELETE", None, "the outbox is never deleted from"),
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
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
                       f"EXECUTE FUNCTION treasurer_refuse_change('{message}')")
        else:
            op.execute(f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW "
                       f"BEGIN SELECT RAISE(ABORT, '{message}'); END")
