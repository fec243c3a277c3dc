"""Team projects: who wrote each region and its version (edits check it), the image's
review stage, and leases (an image or the training one member holds for a while).

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-10
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REGION = (('author', sa.String(length=100), ''), ('version', sa.Integer(), '1'))
IMAGE = (('stage', sa.String(length=16), 'open'), ('stage_note', sa.Text(), ''),
         ('stage_by', sa.String(length=100), ''), ('labelled_by', sa.String(length=100), ''))


# Plain ALTER TABLE ADD COLUMN (as 0002): a batch copy of image would cascade to regions.
def upgrade() -> None:
    for name, type_, default in REGION:
        op.add_column('region', sa.Column(name, type_, nullable=False, server_default=default))
    for name, type_, default in IMAGE:
        op.add_column('image', sa.Column(name, type_, nullable=False, server_default=default))
    op.create_table('lease',
    sa.Column('resource', sa.String(length=200), nullable=False),
    sa.Column('holder', sa.String(length=100), nullable=False),
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('acquired', sa.DateTime(), nullable=False),
    sa.Column('expires', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('resource', name=op.f('pk_lease'))
    )
    op.create_index(op.f('ix_lease_expires'), 'lease', ['expires'], unique=False)


def downgrade() -> None:  # SQLite >= 3.35 drops a column in place
    op.drop_index(op.f('ix_lease_expires'), table_name='lease')
    op.drop_table('lease')
    for name, _, _ in reversed(IMAGE):
        op.execute(f'ALTER TABLE image DROP COLUMN {name}')
    for name, _, _ in reversed(REGION):
        op.execute(f'ALTER TABLE region DROP COLUMN {name}')
