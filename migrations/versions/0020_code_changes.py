"""codebook evolution (issue 17.3): merges, splits and moves of codes with their codings, each a codebook version

Revision ID: 0020_code_changes
Revises: 0019_code_shortcuts
Create Date: 2026-12-08 05:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020_code_changes'
down_revision = '0019_code_shortcuts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('qual_code_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.Column('other_code_id', sa.Integer(), nullable=True),
    sa.Column('other_label', sa.String(length=255), nullable=False),
    sa.Column('codings', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('merge','split','move')", name=op.f('ck_qual_code_change_kind_known')),
    sa.ForeignKeyConstraint(['code_id'], ['qual_code.id'], name=op.f('fk_qual_code_change_code_id_qual_code'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['other_code_id'], ['qual_code.id'], name=op.f('fk_qual_code_change_other_code_id_qual_code'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['qual_project.id'], name=op.f('fk_qual_code_change_project_id_qual_project'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_qual_code_change_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qual_code_change'))
    )
    with op.batch_alter_table('qual_code_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qual_code_change_code_id'), ['code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_qual_code_change_other_code_id'), ['other_code_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_qual_code_change_project_id'), ['project_id'], unique=False)


def downgrade():
    with op.batch_alter_table('qual_code_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qual_code_change_project_id'))
        batch_op.drop_index(batch_op.f('ix_qual_code_change_other_code_id'))
        batch_op.drop_index(batch_op.f('ix_qual_code_change_code_id'))
    op.drop_table('qual_code_change')
