"""Image rotation (quarter turns a person applied, on top of EXIF) and a person's reading
order (`manual_order`: geometric renumbering keeps it).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, never a batch "copy and move" of the image table: dropping that table
# would cascade to every region (ON DELETE CASCADE).
def upgrade() -> None:
    op.add_column('image', sa.Column('rotation', sa.Integer(), nullable=False,
                                     server_default='0'))
    op.add_column('image', sa.Column('manual_order', sa.Boolean(), nullable=False,
                                     server_default=sa.false()))


def downgrade() -> None:  # SQLite >= 3.35 drops a column in place
    op.execute('ALTER TABLE image DROP COLUMN manual_order')
    op.execute('ALTER TABLE image DROP COLUMN rotation')
