"""per-code keyboard shortcuts (issue 17.2): each coder gives the digits 1-9 to codes, per project

Revision ID: 0019_code_shortcuts
Revises: 0018_session_recordings
Create Date: 2026-12-08 04:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0019_code_shortcuts'
down_revision = '0018_session_recordings'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('qual_code_shortcut',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('digit', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('digit >= 1 AND digit <= 9', name=op.f('ck_qual_code_shortcut_digit_range')),
    sa.ForeignKeyConstraint(['code_id'], ['qual_code.id'], name=op.f('fk_qual_code_shortcut_code_id_qual_code'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['qual_project.id'], name=op.f('fk_qual_code_shortcut_project_id_qual_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_qual_code_shortcut_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qual_code_shortcut')),
    sa.UniqueConstraint('project_id', 'user_id', 'code_id', name=op.f('uq_qual_code_shortcut_project_id_user_id_code_id')),
    sa.UniqueConstraint('project_id', 'user_id', 'digit', name=op.f('uq_qual_code_shortcut_project_id_user_id_digit'))
    )
    with op.batch_alter_table('qual_code_shortcut', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qual_code_shortcut_code_id'), ['code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_qual_code_shortcut_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_qual_code_shortcut_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('qual_code_shortcut', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qual_code_shortcut_user_id'))
        batch_op.drop_index(batch_op.f('ix_qual_code_shortcut_project_id'))
        batch_op.drop_index(batch_op.f('ix_qual_code_shortcut_code_id'))
    op.drop_table('qual_code_shortcut')
