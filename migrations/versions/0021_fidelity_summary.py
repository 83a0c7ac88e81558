"""fidelity summary rows (issue 15): stored per-clinic and statewide fidelity figures with the fingerprint of their
inputs, so the director's overview and the all-clinics fidelity page read them instead of recomputing 400 ICCs

Revision ID: 0021_fidelity_summary
Revises: 0020_code_changes
Create Date: 2026-12-08 04:15:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021_fidelity_summary'
down_revision = '0020_code_changes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('fidelity_summary',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=True),
    sa.Column('fingerprint', sa.String(length=255), nullable=False),
    sa.Column('figures', sa.Text(), nullable=False),
    sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_fidelity_summary_clinic_id_clinic'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fidelity_summary')),
    sa.UniqueConstraint('key', name=op.f('uq_fidelity_summary_key'))
    )
    with op.batch_alter_table('fidelity_summary', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fidelity_summary_clinic_id'), ['clinic_id'], unique=False)


def downgrade():
    with op.batch_alter_table('fidelity_summary', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fidelity_summary_clinic_id'))
    op.drop_table('fidelity_summary')
