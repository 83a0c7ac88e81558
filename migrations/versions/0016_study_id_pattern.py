"""the study's study-ID pattern, set by the director (issue 14, item 4); empty = the deployment's default

Revision ID: 0016_study_id_pattern
Revises: 0015_survey_link_hash_only
Create Date: 2026-12-08 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_study_id_pattern'
down_revision = '0015_survey_link_hash_only'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('delivery_settings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('study_id_pattern', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('delivery_settings', schema=None) as batch_op:
        batch_op.drop_column('study_id_pattern')
