"""the director's outcome targets (issue 16.3): reach, adoption, completion and adequate-fidelity shares the
overview colours its cells against; none set = no colouring

Revision ID: 0017_outcome_targets
Revises: 0016_study_id_pattern
Create Date: 2026-12-08 04:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_outcome_targets'
down_revision = '0016_study_id_pattern'
branch_labels = None
depends_on = None

TARGETS = ('reach_target', 'adoption_target', 'completion_target', 'fidelity_target')


def upgrade():
    with op.batch_alter_table('delivery_settings', schema=None) as batch_op:
        for name in TARGETS:
            batch_op.add_column(sa.Column(name, sa.Float(), nullable=True))
            batch_op.create_check_constraint(op.f(f'ck_delivery_settings_{name}_range'), f'{name} IS NULL OR ({name} >= 0 AND {name} <= 1)')


def downgrade():
    with op.batch_alter_table('delivery_settings', schema=None) as batch_op:
        for name in TARGETS:
            batch_op.drop_constraint(op.f(f'ck_delivery_settings_{name}_range'), type_='check')
            batch_op.drop_column(name)
