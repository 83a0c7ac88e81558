"""variables and cases (issue 11): REFI-QDA variables with their values on documents and cases, cases with their
member documents, a document's description, and memos on a code/document group (a set's notes), so they survive
import and re-export

Revision ID: 0011_variables_cases
Revises: 0010_interchange
Create Date: 2026-12-08 01:40:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011_variables_cases'
down_revision = '0010_interchange'
branch_labels = None
depends_on = None


OLD_TARGETS = "target_type IN ('project','document','code','coding','clinic')"
NEW_TARGETS = "target_type IN ('project','document','code','coding','clinic','group')"


def upgrade():
    with op.batch_alter_table('qual_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('description', sa.Text(), nullable=True))
    with op.batch_alter_table('qual_memo', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_qual_memo_target_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_qual_memo_target_known'), NEW_TARGETS)

    op.create_table('qual_variable',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['qual_project.id'], name=op.f('fk_qual_variable_project_id_qual_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qual_variable'))
    )
    with op.batch_alter_table('qual_variable', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qual_variable_project_id'), ['project_id'], unique=False)

    op.create_table('qual_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['qual_project.id'], name=op.f('fk_qual_case_project_id_qual_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qual_case'))
    )
    with op.batch_alter_table('qual_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qual_case_project_id'), ['project_id'], unique=False)

    op.create_table('qual_case_document',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['qual_case.id'], name=op.f('fk_qual_case_document_case_id_qual_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['qual_document.id'], name=op.f('fk_qual_case_document_document_id_qual_document'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', 'document_id', name=op.f('pk_qual_case_document'))
    )
    with op.batch_alter_table('qual_case_document', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qual_case_document_document_id'), ['document_id'], unique=False)

    op.create_table('qual_variable_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('variable_id', sa.Integer(), nullable=False),
    sa.Column('document_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('value', sa.Text(), nullable=False),
    sa.CheckConstraint('(document_id IS NULL) <> (case_id IS NULL)', name=op.f('ck_qual_variable_value_one_owner')),
    sa.ForeignKeyConstraint(['case_id'], ['qual_case.id'], name=op.f('fk_qual_variable_value_case_id_qual_case'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['document_id'], ['qual_document.id'], name=op.f('fk_qual_variable_value_document_id_qual_document'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['variable_id'], ['qual_variable.id'], name=op.f('fk_qual_variable_value_variable_id_qual_variable'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qual_variable_value'))
    )
    with op.batch_alter_table('qual_variable_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qual_variable_value_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_qual_variable_value_document_id'), ['document_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_qual_variable_value_variable_id'), ['variable_id'], unique=False)


def downgrade():
    with op.batch_alter_table('qual_variable_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qual_variable_value_variable_id'))
        batch_op.drop_index(batch_op.f('ix_qual_variable_value_document_id'))
        batch_op.drop_index(batch_op.f('ix_qual_variable_value_case_id'))
    op.drop_table('qual_variable_value')
    with op.batch_alter_table('qual_case_document', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qual_case_document_document_id'))
    op.drop_table('qual_case_document')
    with op.batch_alter_table('qual_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qual_case_project_id'))
    op.drop_table('qual_case')
    with op.batch_alter_table('qual_variable', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_qual_variable_project_id'))
    op.drop_table('qual_variable')
    op.execute("DELETE FROM qual_memo WHERE target_type = 'group'")
    with op.batch_alter_table('qual_memo', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_qual_memo_target_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_qual_memo_target_known'), OLD_TARGETS)
    with op.batch_alter_table('qual_document', schema=None) as batch_op:
        batch_op.drop_column('description')
