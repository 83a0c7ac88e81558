"""Vectorised per-clinic overview (reach, dose, share of adequate-fidelity sessions) over pandas frames.

Same definitions as the row-wise modules, computed with array operations for dashboards over many rows:
  reach_pct             = enrolled / offered (``reach.reach_pct``); sensitivity adds lost/undetermined
  mean_dose             = mean attended sessions per mother randomized to MIO + TAU (``feasibility``)
  completion_share      = share of those mothers with dose >= completion_threshold
  adequate_share        = share of coder-rated sessions meeting the scheme's adequacy rule
                          (``fidelity.adequacy_mask``, the same rule interpreter as ``evaluate_adequacy``)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from implementation_outcomes.errors import OutcomeDataError
from implementation_outcomes.feasibility import DEFAULT_COMPLETION_THRESHOLD
from implementation_outcomes.fidelity import adequacy_mask
from implementation_outcomes.reach import SCREENING_STATUSES

if TYPE_CHECKING:  # pandas is imported where it is used, not at start-up (GUIDE: heavy libraries)
    import pandas as pd

_ENROLLED = ["consented", "randomized", "started"]


def _require(df: pd.DataFrame, name: str, columns: list[str]) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise OutcomeDataError(f"{name}: missing column(s) {', '.join(missing)}")


def overview_frame(
    mothers_df: pd.DataFrame,
    sessions_df: pd.DataFrame,
    ratings_df: pd.DataFrame,
    scheme: Mapping[str, Any],
    completion_threshold: int = DEFAULT_COMPLETION_THRESHOLD,
) -> pd.DataFrame:
    """One row per clinic (index ``clinic``, sorted).

    ``mothers_df``: screening log, one row per person: ``mother_id`` (unique), ``clinic``, ``status``
    (``reach.SCREENING_STATUSES``), ``arm`` ("mio_tau"/"tau"/missing).
    ``sessions_df``: ``mother_id``, optional ``attended`` (bool, default all attended).
    ``ratings_df``: ``mother_id`` and one column per scheme scale; optional ``source`` (only "coder" rows
    count). Columns returned: screened, offered, lost_undetermined, enrolled, randomized, started_mio,
    reach_pct, reach_pct_sensitivity, mio_mothers, mean_dose, completion_share, rated_sessions,
    adequate_share (NaN where undefined).
    """
    import pandas as pd

    _require(mothers_df, "mothers_df", ["mother_id", "clinic", "status", "arm"])
    _require(sessions_df, "sessions_df", ["mother_id"])
    scale_keys = [s["key"] for s in scheme["scales"]]
    _require(ratings_df, "ratings_df", ["mother_id", *scale_keys])
    status = mothers_df["status"].to_numpy()
    bad = ~np.isin(status, SCREENING_STATUSES)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise OutcomeDataError(f"mothers_df row {row}, field 'status': {status[row]!r} is not a screening status")
    mother_index = pd.Index(mothers_df["mother_id"].to_numpy())
    if not mother_index.is_unique:
        raise OutcomeDataError("mothers_df, field 'mother_id': ids must be unique")
    clinic_codes, clinics = pd.factorize(mothers_df["clinic"], sort=True)
    n_clinics = len(clinics)

    def per_clinic(mask: np.ndarray) -> np.ndarray:
        return np.bincount(clinic_codes, weights=mask.astype(float), minlength=n_clinics)

    enrolled = np.isin(status, _ENROLLED)
    offered = enrolled | (status == "declined")
    randomized = (status == "randomized") | (status == "started")
    mio = randomized & (mothers_df["arm"].to_numpy() == "mio_tau")
    counts = {
        "screened": np.bincount(clinic_codes, minlength=n_clinics).astype(float),
        "offered": per_clinic(offered),
        "lost_undetermined": per_clinic(status == "lost"),
        "enrolled": per_clinic(enrolled),
        "randomized": per_clinic(randomized),
        "started_mio": per_clinic(status == "started"),
        "mio_mothers": per_clinic(mio),
    }
    session_pos = mother_index.get_indexer(sessions_df["mother_id"].to_numpy())
    if (session_pos < 0).any():
        row = int(np.flatnonzero(session_pos < 0)[0])
        raise OutcomeDataError(f"sessions_df row {row}, field 'mother_id': unknown mother")
    if "attended" in sessions_df.columns:
        session_pos = session_pos[sessions_df["attended"].to_numpy(dtype=bool)]
    dose = np.bincount(session_pos, minlength=len(mother_index))
    rating_pos = mother_index.get_indexer(ratings_df["mother_id"].to_numpy())
    if (rating_pos < 0).any():
        row = int(np.flatnonzero(rating_pos < 0)[0])
        raise OutcomeDataError(f"ratings_df row {row}, field 'mother_id': unknown mother")
    coder = ratings_df["source"].to_numpy() == "coder" if "source" in ratings_df.columns else slice(None)
    adequate = adequacy_mask(scheme, {k: ratings_df[k].to_numpy(dtype=float)[coder] for k in scale_keys})
    rated_clinic = clinic_codes[rating_pos[coder]]
    rated = np.bincount(rated_clinic, minlength=n_clinics).astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = pd.DataFrame(counts, index=pd.Index(clinics, name="clinic"))
        out["reach_pct"] = out["enrolled"] / out["offered"]
        out["reach_pct_sensitivity"] = out["enrolled"] / (out["offered"] + out["lost_undetermined"])
        out["mean_dose"] = per_clinic(np.where(mio, dose, 0)) / out["mio_mothers"].to_numpy()
        out["completion_share"] = per_clinic(mio & (dose >= completion_threshold)) / out["mio_mothers"].to_numpy()
        out["rated_sessions"] = rated
        out["adequate_share"] = np.bincount(rated_clinic, weights=adequate.astype(float), minlength=n_clinics) / rated
    count_cols = ["screened", "offered", "lost_undetermined", "enrolled", "randomized", "started_mio",
                  "mio_mothers", "rated_sessions"]
    out[count_cols] = out[count_cols].astype("int64")
    return out.replace([np.inf, -np.inf], np.nan)
