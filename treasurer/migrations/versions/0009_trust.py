"""Trust: PIN lockouts, period anchors, and the audit log's row snapshots.

``officers`` keeps wrong PINs in a row, lockouts and the lock's end; ``period_closings``
keeps the audit chain's head when a period was closed; ``audit_log.rows_json`` holds
full snapshots of the rows an entry's transaction wrote, so ``audit verify`` can check
the books against the log.  Plain ADD COLUMNs: no table is rebuilt, so the
append-only triggers on ``audit_log`` and ``period_closings`` stay as they are.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 00:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('officers', sa.Column('failed_pins', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('officers', sa.Column('lockouts', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('officers', sa.Column('locked_until', sa.String(length=32), nullable=True))
    op.add_column('period_closings', sa.Column('anchor_seq', sa.Integer(), nullable=True))
    op.add_column('period_closings', sa.Column('anchor_hash', sa.String(length=64), nullable=True))
    op.add_column('audit_log', sa.Column('rows_json', sa.Text(), nullable=True))


def downgrade() -> None:
    """For development only: entries written with row snapshots no longer verify once they are dropped."""
    op.drop_column('audit_log', 'rows_json')
    op.drop_column('period_closings', 'anchor_hash')
    op.drop_column('period_closings', 'anchor_seq')
    op.drop_column('officers', 'locked_until')
    op.drop_column('officers', 'lockouts')
    op.drop_column('officers', 'failed_pins')
