"""Officers can be deactivated (kept for the history they signed); closed payment links are recorded.

``link_closures`` holds one row per payment link that Stripe confirmed inactive,
so a deactivation that failed (no network) is found again and retried: the links
to close are the closed slips' links without a row here.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 20:50:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN: officers has no triggers, but a batch rebuild is needless here.
    op.add_column('officers', sa.Column('active', sa.Boolean(), nullable=False, server_default=sa.true()))
    op.create_table('link_closures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('link_id', sa.String(length=255), nullable=False),
    sa.Column('slip_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['slip_id'], ['slips.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('link_id')
    )
    # Before 0005 links were switched off as their slips closed; count those as done rather than call
    # Stripe again for years of slips on the first run after the upgrade.
    op.execute("INSERT INTO link_closures (link_id, slip_id, closed_at) SELECT link_id, id, 'before 0005' "
               "FROM slips WHERE status <> 'open' AND link_id IS NOT NULL")
    guards(upgrade=True)


def downgrade() -> None:
    guards(upgrade=False)
    op.drop_table('link_closures')
    with op.batch_alter_table('officers', schema=None) as batch_op:
        batch_op.drop_column('active')


GUARDS = [
    ("link_closures", "no_update", "UPDATE", None, "a closed link stays closed"),
    ("link_closures", "no_delete", "DELETE", None, "a closed link stays closed"),
]


def guards(upgrade: bool) -> None:
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
