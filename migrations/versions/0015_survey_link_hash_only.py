"""survey links keep only their token's hash (issue 14): links are shown once when issued, or re-issued

Existing links keep working: they are found by the hash, which stays. A downgrade cannot bring the plain tokens
back; it restores the column empty, and those links must be re-issued.

Revision ID: 0015_survey_link_hash_only
Revises: 0014_password_rules
Create Date: 2026-12-08 01:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_survey_link_hash_only'
down_revision = '0014_password_rules'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('survey_link', schema=None) as batch_op:
        batch_op.drop_column('token')


def downgrade():
    with op.batch_alter_table('survey_link', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token', sa.String(length=64), server_default='', nullable=False))
