import numpy as np
import pandas as pd
import pytest

from implementation_outcomes.errors import OutcomeDataError
from implementation_outcomes.feasibility import session_dose
from implementation_outcomes.fidelity import evaluate_adequacy, load_fidelity_scheme
from implementation_outcomes.overview import overview_frame
from implementation_outcomes.reach import reach_cascade_by_clinic, reach_pct, reach_pct_sensitivity


def data(seed=0):
    rng = np.random.default_rng(seed)
    scheme = load_fidelity_scheme()
    statuses = ["excluded", "lost", "not_offered", "declined", "consented", "randomized", "started"]
    n = 120
    status = rng.choice(statuses, n)
    arm = np.where(status == "started", "mio_tau",
                   np.where(status == "randomized", rng.choice(["mio_tau", "tau"], n), None))
    mothers = pd.DataFrame({"mother_id": [f"m{i}" for i in range(n)], "clinic": rng.choice(["A", "B", "C"], n),
                            "status": status, "arm": arm})
    mio_ids = mothers.loc[mothers["arm"] == "mio_tau", "mother_id"].tolist()
    session_rows = [(m, s) for m in mio_ids for s in range(1, int(rng.integers(0, 13)) + 1)]
    sessions = pd.DataFrame(session_rows, columns=["mother_id", "session_number"])
    keys = [s["key"] for s in scheme["scales"]]
    ratings = pd.DataFrame(rng.integers(1, 6, (60, 10)), columns=keys)
    ratings.insert(0, "mother_id", rng.choice(mio_ids, 60))
    ratings["source"] = rng.choice(["coder", "self"], 60, p=[0.8, 0.2])
    return mothers, sessions, ratings, scheme


def test_overview_matches_row_wise_functions():
    mothers, sessions, ratings, scheme = data()
    out = overview_frame(mothers, sessions, ratings, scheme)
    rows = mothers.replace({np.nan: None}).to_dict("records")
    # the row-wise cascade needs a reason for excluded/declined rows; overview_frame does not use reasons
    cascades = reach_cascade_by_clinic(
        [{**{k: v for k, v in r.items() if k != "arm" or v is not None}, "reason": "any"} for r in rows])
    mio = mothers[mothers["arm"] == "mio_tau"]
    mio_rows = [{"mother_id": m, "randomized_on": "2025-01-01", "arm": "mio_tau"} for m in mio["mother_id"]]
    session_rows = [{"mother_id": m, "session_number": s, "date": "2025-02-01"}
                    for m, s in sessions.itertuples(index=False)]
    dose = session_dose(mio_rows, session_rows)
    keys = [s["key"] for s in scheme["scales"]]
    coder = ratings[ratings["source"] == "coder"]
    adequate = [evaluate_adequacy(scheme, dict(zip(keys, r, strict=True)))["adequate"] for r in coder[keys].to_numpy().tolist()]
    clinic_of = dict(zip(mothers["mother_id"], mothers["clinic"], strict=True))
    for clinic, row in out.iterrows():
        c = cascades[clinic]
        assert row["enrolled"] == c["enrolled"] and row["offered"] == c["offered"]
        assert row["reach_pct"] == pytest.approx(reach_pct(c))
        assert row["reach_pct_sensitivity"] == pytest.approx(reach_pct_sensitivity(c))
        ids = mio.loc[mio["clinic"] == clinic, "mother_id"]
        assert row["mean_dose"] == pytest.approx(np.mean([dose[m] for m in ids]))
        assert row["completion_share"] == pytest.approx(np.mean([dose[m] >= 8 for m in ids]))
        mask = [a for a, m in zip(adequate, coder["mother_id"], strict=True) if clinic_of[m] == clinic]
        assert row["rated_sessions"] == len(mask)
        assert row["adequate_share"] == pytest.approx(np.mean(mask))


def test_overview_errors_name_row_and_field():
    mothers, sessions, ratings, scheme = data()
    bad = mothers.copy()
    bad.loc[3, "status"] = "waiting"
    with pytest.raises(OutcomeDataError, match="mothers_df row 3, field 'status'"):
        overview_frame(bad, sessions, ratings, scheme)
    with pytest.raises(OutcomeDataError, match="sessions_df row 0, field 'mother_id'"):
        overview_frame(mothers, pd.DataFrame({"mother_id": ["zz"]}), ratings, scheme)
    with pytest.raises(OutcomeDataError, match="ratings_df: missing column"):
        overview_frame(mothers, sessions, ratings.drop(columns=["ab_warmth"]), scheme)
