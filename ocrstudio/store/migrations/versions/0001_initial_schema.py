"""Initial schema: project, image, region, model_version, training_run.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('image',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('split', sa.Enum('train', 'val', 'test', name='split', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('status', sa.Enum('new', 'prelabeled', 'verified', name='status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('orientation', sa.Integer(), nullable=False),
    sa.Column('exif_applied', sa.Boolean(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('updated', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_image')),
    sa.UniqueConstraint('path', name=op.f('uq_image_path'))
    )
    with op.batch_alter_table('image', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_image_sha256'), ['sha256'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_split'), ['split'], unique=False)
        batch_op.create_index(batch_op.f('ix_image_status'), ['status'], unique=False)

    op.create_table('model_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('architecture', sa.String(length=100), nullable=False),
    sa.Column('role', sa.Enum('detector', 'recognizer', name='role', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('weights_path', sa.Text(), nullable=False),
    sa.Column('charset', sa.Text(), nullable=False),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('metrics', sa.JSON(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['model_version.id'], name=op.f('fk_model_version_parent_id_model_version'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_model_version')),
    sa.UniqueConstraint('name', name=op.f('uq_model_version_name'))
    )
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_model_version_parent_id'), ['parent_id'], unique=False)

    op.create_table('project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project'))
    )
    op.create_table('region',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('image_id', sa.Integer(), nullable=False),
    sa.Column('polygon', sa.JSON(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('ignore', sa.Boolean(), nullable=False),
    sa.Column('order', sa.Integer(), nullable=False),
    sa.Column('provenance', sa.String(length=200), nullable=False),
    sa.Column('model_version_id', sa.Integer(), nullable=True),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('det_score', sa.Float(), nullable=True),
    sa.Column('verified', sa.Boolean(), nullable=False),
    sa.Column('edited', sa.Boolean(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('updated', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['image_id'], ['image.id'], name=op.f('fk_region_image_id_image'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['model_version_id'], ['model_version.id'], name=op.f('fk_region_model_version_id_model_version'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_region'))
    )
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.create_index('ix_region_image_order', ['image_id', 'order'], unique=False)
        batch_op.create_index(batch_op.f('ix_region_model_version_id'), ['model_version_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_region_verified'), ['verified'], unique=False)

    op.create_table('training_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('family', sa.String(length=100), nullable=False),
    sa.Column('architecture', sa.String(length=100), nullable=False),
    sa.Column('base_version_id', sa.Integer(), nullable=True),
    sa.Column('config', sa.JSON(), nullable=False),
    sa.Column('image_ids', sa.JSON(), nullable=False),
    sa.Column('labels_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', 'cancelled', name='run_status', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('history', sa.JSON(), nullable=False),
    sa.Column('result_version_id', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=False),
    sa.Column('created', sa.DateTime(), nullable=False),
    sa.Column('started', sa.DateTime(), nullable=True),
    sa.Column('finished', sa.DateTime(), nullable=True),
    sa.Column('updated', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['base_version_id'], ['model_version.id'], name=op.f('fk_training_run_base_version_id_model_version'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['result_version_id'], ['model_version.id'], name=op.f('fk_training_run_result_version_id_model_version'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_run'))
    )
    with op.batch_alter_table('training_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_run_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('training_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_run_status'))

    op.drop_table('training_run')
    with op.batch_alter_table('region', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_region_verified'))
        batch_op.drop_index(batch_op.f('ix_region_model_version_id'))
        batch_op.drop_index('ix_region_image_order')

    op.drop_table('region')
    op.drop_table('project')
    with op.batch_alter_table('model_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_model_version_parent_id'))

    op.drop_table('model_version')
    with op.batch_alter_table('image', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_image_status'))
        batch_op.drop_index(batch_op.f('ix_image_split'))
        batch_op.drop_index(batch_op.f('ix_image_sha256'))

    op.drop_table('image')
