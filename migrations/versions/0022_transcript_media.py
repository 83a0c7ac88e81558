"""transcript media (issue 17.7): a turn's end time in the recording (.vtt/.srt cues), and the interview's
recording attached to a transcript (stored by app.storage; its type, size and file name on the document)

Revision ID: 0022_transcript_media
Revises: 0021_fidelity_summary
Create Date: 2026-12-08 05:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022_transcript_media'
down_revision = '0021_fidelity_summary'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('qual_document_turn', schema=None) as batch_op:
        batch_op.add_column(sa.Column('end_ms', sa.Integer(), nullable=True))
    with op.batch_alter_table('qual_document', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recording_content_type', sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column('recording_size', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('recording_filename', sa.String(length=255), nullable=True))


def downgrade():
    with op.batch_alter_table('qual_document', schema=None) as batch_op:
        batch_op.drop_column('recording_filename')
        batch_op.drop_column('recording_size')
        batch_op.drop_column('recording_content_type')
    with op.batch_alter_table('qual_document_turn', schema=None) as batch_op:
        batch_op.drop_column('end_ms')
