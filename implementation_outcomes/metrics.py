"""One import surface for the pure implementation-outcome science.

Services import from here; each function lives in a topic module (reach, representativeness,
randomization, adoption, feasibility, fidelity, icc, runchart, stages, strategies, overview) whose
docstrings state the formula and cite the source.
"""

from implementation_outcomes.adoption import (
    COUNSELOR_STEPS,
    adoption_funnel,
    penetration,
    setting_adoption,
    staff_adoption,
)
from implementation_outcomes.errors import (
    AdoptionDataError,
    AllocationError,
    CatalogueError,
    FidelitySchemeError,
    ICCInputError,
    OutcomeDataError,
    RatingError,
    ScreeningLogError,
    SessionDataError,
    StrategyRecordError,
)
from implementation_outcomes.feasibility import (
    consultation_attendance,
    days_to_first_session,
    dose_summary,
    duration_window_share,
    feasibility_summary,
    median_iqr,
    session_dose,
    training_case_progress,
    validate_sessions,
)
from implementation_outcomes.fidelity import (
    adequacy_mask,
    adequacy_of_ratings,
    compare_sources,
    coverage_from_counts,
    double_coding_sample,
    evaluate_adequacy,
    fidelity_coverage,
    group_scores,
    load_fidelity_scheme,
    validate_rating,
    validate_scheme,
)
from implementation_outcomes.icc import ICC_FORMS, icc, koo_li_band, koo_li_ci_band
from implementation_outcomes.overview.frame import overview_frame
from implementation_outcomes.randomization import (
    generate_allocation_sequence,
    new_allocation_seed,
    next_assignment,
)
from implementation_outcomes.reach import (
    SCREENING_STATUSES,
    consort_flow,
    reach_cascade,
    reach_cascade_by_clinic,
    reach_cascade_counted,
    reach_pct,
    reach_pct_sensitivity,
    validate_screening_row,
)
from implementation_outcomes.representativeness import (
    representativeness,
    smd_binary,
    smd_categorical,
    smd_continuous,
)
from implementation_outcomes.runchart import run_chart, run_charts_by_counselor
from implementation_outcomes.stages import load_activity_catalogue, stage_scores, validate_catalogue
from implementation_outcomes.strategies import (
    load_eric_strategies,
    load_frame_fields,
    load_strategy_specification,
    strategies_by_cluster,
    validate_adaptation,
    validate_strategy_use,
)

__all__ = [
    "COUNSELOR_STEPS", "ICC_FORMS", "SCREENING_STATUSES",
    "AdoptionDataError", "AllocationError", "CatalogueError", "FidelitySchemeError", "ICCInputError",
    "OutcomeDataError", "RatingError", "ScreeningLogError", "SessionDataError", "StrategyRecordError",
    "adequacy_mask", "adequacy_of_ratings", "adoption_funnel", "compare_sources", "consort_flow", "coverage_from_counts", "consultation_attendance", "days_to_first_session", "dose_summary", "double_coding_sample", "duration_window_share",
    "evaluate_adequacy", "feasibility_summary", "fidelity_coverage", "generate_allocation_sequence",
    "group_scores", "icc", "koo_li_band", "koo_li_ci_band", "load_activity_catalogue", "load_eric_strategies",
    "load_fidelity_scheme", "load_frame_fields", "load_strategy_specification", "median_iqr",
    "new_allocation_seed", "next_assignment", "overview_frame", "penetration", "reach_cascade",
    "reach_cascade_by_clinic", "reach_cascade_counted", "reach_pct", "reach_pct_sensitivity", "representativeness",
    "run_chart",
    "run_charts_by_counselor", "session_dose", "setting_adoption", "smd_binary", "smd_categorical",
    "smd_continuous", "staff_adoption", "stage_scores", "strategies_by_cluster", "training_case_progress", "validate_adaptation",
    "validate_catalogue", "validate_rating", "validate_screening_row", "validate_scheme", "validate_sessions", "validate_strategy_use",
]
