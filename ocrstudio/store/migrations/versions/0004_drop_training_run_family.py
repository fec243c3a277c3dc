"""A training run's `family` goes: it repeated the role of the model it trains, which
the run's architecture and its result version already name.

Revision ID: 0004
Revises: 0003
Create Date: 2027-02-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Batch mode: SQLite copies training_run to a table without the column (nothing refers to
# a run, so the copy cascades nowhere); PostgreSQL drops the column in place.
def upgrade() -> None:
    with op.batch_alter_table('training_run') as batch_op:
        batch_op.drop_column('family')


def downgrade() -> None:  # the role comes back from the version a run produced, if any
    with op.batch_alter_table('training_run') as batch_op:
        batch_op.add_column(sa.Column('family', sa.String(length=100), nullable=False,
                                      server_default=''))
    op.execute("UPDATE training_run SET family = COALESCE((SELECT role FROM model_version "
               "WHERE model_version.id = training_run.result_version_id), '')")
