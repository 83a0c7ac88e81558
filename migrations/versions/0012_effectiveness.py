"""effectiveness (issue 13): assessment visits, outcome scores, withdrawals, unblindings, schedule windows; the
blinded outcome assessor role

Revision ID: 0012_effectiveness
Revises: 0011_variables_cases
Create Date: 2026-12-08 01:02:53.461462

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_effectiveness'
down_revision = '0011_variables_cases'
branch_labels = None
depends_on = None


OLD_ROLES = "role IN ('admin','director','agency_staff','analyst','fidelity_coder','trial_staff')"
NEW_ROLES = "role IN ('admin','director','agency_staff','analyst','fidelity_coder','trial_staff','outcome_assessor')"


def _roles(check: str) -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_user_account_role_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_user_account_role_known'), check)


def upgrade():
    _roles(NEW_ROLES)
    op.create_table('assessment_schedule_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('windows', sa.JSON(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_schedule_settings'))
    )
    op.create_table('assessment_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('time_point', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=True),
    sa.Column('missed_reason', sa.String(length=40), nullable=True),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("missed_reason IS NULL OR missed_reason IN ('unreachable','declined','rescheduled_out_of_window','incarcerated_or_inpatient','moved','child_custody_change','deceased','other')", name=op.f('ck_assessment_visit_reason_known')),
    sa.CheckConstraint("status = 'completed' OR missed_reason IS NOT NULL", name=op.f('ck_assessment_visit_missed_has_reason')),
    sa.CheckConstraint("status = 'missed' OR assessed_on IS NOT NULL", name=op.f('ck_assessment_visit_completed_dated')),
    sa.CheckConstraint("status IN ('completed','missed')", name=op.f('ck_assessment_visit_status_known')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_assessment_visit_clinic_id_clinic')),
    sa.ForeignKeyConstraint(['participant_id'], ['trial_participant.id'], name=op.f('fk_assessment_visit_participant_id_trial_participant')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_assessment_visit_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_visit')),
    sa.UniqueConstraint('participant_id', 'time_point', name='uq_assessment_visit_participant_time_point')
    )
    with op.batch_alter_table('assessment_visit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assessment_visit_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assessment_visit_participant_id'), ['participant_id'], unique=False)

    op.create_table('trial_withdrawal',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('withdrawn_on', sa.Date(), nullable=False),
    sa.Column('data_use', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("data_use IN ('may_use','must_not_use')", name=op.f('ck_trial_withdrawal_data_use_known')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_trial_withdrawal_clinic_id_clinic')),
    sa.ForeignKeyConstraint(['participant_id'], ['trial_participant.id'], name=op.f('fk_trial_withdrawal_participant_id_trial_participant')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_trial_withdrawal_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_trial_withdrawal')),
    sa.UniqueConstraint('participant_id', name=op.f('uq_trial_withdrawal_participant_id'))
    )
    with op.batch_alter_table('trial_withdrawal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_trial_withdrawal_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('unblinding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('participant_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=255), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_unblinding_clinic_id_clinic')),
    sa.ForeignKeyConstraint(['participant_id'], ['trial_participant.id'], name=op.f('fk_unblinding_participant_id_trial_participant')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_unblinding_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_unblinding')),
    sa.UniqueConstraint('participant_id', 'user_id', name='uq_unblinding_participant_user')
    )
    with op.batch_alter_table('unblinding', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unblinding_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unblinding_participant_id'), ['participant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_unblinding_user_id'), ['user_id'], unique=False)

    op.create_table('outcome_score',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('visit_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=40), nullable=False),
    sa.Column('coder_slot', sa.String(length=10), nullable=False),
    sa.Column('values', sa.JSON(), nullable=False),
    sa.Column('definitions_version', sa.String(length=40), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('entered_unblinded', sa.Boolean(), nullable=False),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("coder_slot IN ('primary','second')", name=op.f('ck_outcome_score_slot_known')),
    sa.CheckConstraint("source IN ('form','csv','redcap','demo')", name=op.f('ck_outcome_score_source_known')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_outcome_score_clinic_id_clinic')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_outcome_score_entered_by_id_user_account')),
    sa.ForeignKeyConstraint(['visit_id'], ['assessment_visit.id'], name=op.f('fk_outcome_score_visit_id_assessment_visit'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outcome_score')),
    sa.UniqueConstraint('visit_id', 'measure', 'coder_slot', name='uq_outcome_score_visit_measure_slot')
    )
    with op.batch_alter_table('outcome_score', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outcome_score_clinic_id'), ['clinic_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_outcome_score_visit_id'), ['visit_id'], unique=False)



def downgrade():
    op.execute("DELETE FROM user_account WHERE role = 'outcome_assessor'")
    _roles(OLD_ROLES)
    with op.batch_alter_table('outcome_score', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outcome_score_visit_id'))
        batch_op.drop_index(batch_op.f('ix_outcome_score_clinic_id'))

    op.drop_table('outcome_score')
    with op.batch_alter_table('unblinding', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unblinding_user_id'))
        batch_op.drop_index(batch_op.f('ix_unblinding_participant_id'))
        batch_op.drop_index(batch_op.f('ix_unblinding_clinic_id'))

    op.drop_table('unblinding')
    with op.batch_alter_table('trial_withdrawal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_trial_withdrawal_clinic_id'))

    op.drop_table('trial_withdrawal')
    with op.batch_alter_table('assessment_visit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assessment_visit_participant_id'))
        batch_op.drop_index(batch_op.f('ix_assessment_visit_clinic_id'))

    op.drop_table('assessment_visit')
    op.drop_table('assessment_schedule_settings')
