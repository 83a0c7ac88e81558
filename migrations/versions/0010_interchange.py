"""interchange (issue 11): imported coder identities (user_account.imported) and code/document groups (REFI-QDA sets)

Revision ID: 0010_interchange
Revises: 0009_storage
Create Date: 2026-12-07 23:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_interchange'
down_revision = '0009_storage'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('imported', sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table('qual_group',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['qual_project.id'], name=op.f('fk_qual_group_project_id_qual_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qual_group'))
    )
    with op.batch_alter_table('qual_group', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qual_group_project_id'), ['project_id'], unique=False)

    op.create_table('qual_group_code',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('code_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['code_id'], ['qual_code.id'], name=op.f('fk_qual_group_code_code_id_qual_code'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['qual_group.id'], name=op.f('fk_qual_group_code_group_id_qual_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'code_id', name=op.f('pk_qual_group_code'))
    )
    with op.batch_alter_table('qual_group_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qual_group_code_code_id'), ['code_id'], unique=False)

    op.create_table('qual_group_document',
    sa.Column('group_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['document_id'], ['qual_document.id'], name=op.f('fk_qual_group_document_document_id_qual_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['group_id'], ['qual_group.id'], name=op.f('fk_qual_group_document_group_id_qual_group'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('group_id', 'document_id', name=op.f('pk_qual_group_document'))
    )
    with op.batch_alter_table('qual_group_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qual_group_document_document_id'), ['document_id'], unique=False)


def downgrade():
    with op.batch_alter_table('qual_group_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qual_group_document_document_id'))
    op.drop_table('qual_group_document')
    with op.batch_alter_table('qual_group_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qual_group_code_code_id'))
    op.drop_table('qual_group_code')
    with op.batch_alter_table('qual_group', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qual_group_project_id'))
    op.drop_table('qual_group')

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('imported')
