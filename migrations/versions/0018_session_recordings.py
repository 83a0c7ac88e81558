"""session recordings and rating notes (issue 16.2): a session's audio kept by the platform (app.storage) for the
coder's player, and the coder's note per scale and per session on a fidelity rating

Revision ID: 0018_session_recordings
Revises: 0017_outcome_targets
Create Date: 2026-12-08 03:52:47.947686

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_session_recordings'
down_revision = '0017_outcome_targets'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('session_recording',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('storage_key', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('mio_session_id', sa.Integer(), nullable=True),
    sa.Column('training_case_session_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('(mio_session_id IS NULL) <> (training_case_session_id IS NULL)', name=op.f('ck_session_recording_one_session')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_session_recording_clinic_id_clinic')),
    sa.ForeignKeyConstraint(['mio_session_id'], ['mio_session.id'], name=op.f('fk_session_recording_mio_session_id_mio_session')),
    sa.ForeignKeyConstraint(['training_case_session_id'], ['training_case_session.id'], name=op.f('fk_session_recording_training_case_session_id_training_case_session')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_session_recording_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_recording')),
    sa.UniqueConstraint('mio_session_id', name='uq_session_recording_mio_session_id'),
    sa.UniqueConstraint('storage_key', name=op.f('uq_session_recording_storage_key')),
    sa.UniqueConstraint('training_case_session_id', name='uq_session_recording_training_case_session_id')
    )
    with op.batch_alter_table('session_recording', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_recording_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_recording_mio_session_id'), ['mio_session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_session_recording_training_case_session_id'), ['training_case_session_id'], unique=False)

    with op.batch_alter_table('fidelity_rating', schema=None) as batch_op:
        batch_op.add_column(sa.Column('scale_notes', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('session_note', sa.Text(), nullable=True))



def downgrade():
    with op.batch_alter_table('fidelity_rating', schema=None) as batch_op:
        batch_op.drop_column('session_note')
        batch_op.drop_column('scale_notes')

    with op.batch_alter_table('session_recording', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_session_recording_training_case_session_id'))
        batch_op.drop_index(batch_op.f('ix_session_recording_mio_session_id'))
        batch_op.drop_index(batch_op.f('ix_session_recording_clinic_id'))

    op.drop_table('session_recording')
