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
    record_baseline(op.get_bind(), "upgrade to 0009")


BASELINE_CHUNK = 1000


def record_baseline(conn, actor: str) -> None:
    """Every covered row as it stands, in audit entries of their own ("audit.baseline"), so that the books
    can be checked against the log from here on.  A later migration that changes covered rows or adds a
    column to a covered table records a baseline of that table the same way."""
    from treasurer import audit, audit_rows, clock

    existing = set(sa.inspect(conn).get_table_names())
    names = [name for name in audit_rows.COVERED if name in existing]
    meta = sa.MetaData()
    meta.reflect(conn, only=names)
    head = conn.execute(sa.text("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")).first()
    seq, prev = (head[0], head[1]) if head else (0, audit.GENESIS)
    at = clock.stamp()
    for name in names:
        # The table as it stands at this revision (reflected), read as the app reads it.
        rows = list(audit_rows.Reader(meta.tables[name]).rows(conn))
        for start in range(0, len(rows), BASELINE_CHUNK):
            snaps = [[name, key, snap] for key, snap in rows[start:start + BASELINE_CHUNK]]
            rows_json = audit.canonical_json(snaps)
            after = audit.canonical_json({"rows": len(snaps)})
            entity_id = f"{snaps[0][1]}..{snaps[-1][1]}"
            seq += 1
            digest = audit.entry_hash(prev, seq, at, actor, "audit.baseline", name, entity_id, None, after,
                                      rows_json)
            conn.execute(sa.text(
                "INSERT INTO audit_log (seq, at, actor, action, entity_type, entity_id, before_json, after_json, "
                "rows_json, prev_hash, hash) VALUES (:seq, :at, :actor, 'audit.baseline', :entity_type, "
                ":entity_id, NULL, :after, :rows_json, :prev, :hash)"),
                dict(seq=seq, at=at, actor=actor, entity_type=name, entity_id=entity_id, after=after,
                     rows_json=rows_json, prev=prev, hash=digest))
            prev = digest


def downgrade() -> None:
    """For development only: entries written with row snapshots no longer verify once they are dropped."""
    op.drop_column('audit_log', 'rows_json')
    op.drop_column('period_closings', 'anchor_hash')
    op.drop_column('period_closings', 'anchor_seq')
    op.drop_column('officers', 'locked_until')
    op.drop_column('officers', 'lockouts')
    op.drop_column('officers', 'failed_pins')
