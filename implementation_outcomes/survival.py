"""Time to the first MIO session as a time-to-event figure: Kaplan-Meier with the mothers who have not started
censored, so the median is not biased down by leaving them out.

Each mother randomized to MIO + TAU is one subject: time = days from randomization to her first attended session
(an event), or, when she has none, days from randomization to the data cut-off (censored: she may still start).
Kaplan-Meier product-limit estimate S(t) = prod_{t_j <= t} (1 - d_j / n_j) over event times t_j, with d_j events
and n_j at risk just before t_j (Kaplan & Meier 1958); Greenwood's variance Var S(t) = S(t)^2 sum d_j / (n_j (n_j -
d_j)) (Greenwood 1926). Median = the first event time with S(t) < 0.5 (SAS PROC LIFETEST and statsmodels
``SurvfuncRight.quantile`` convention); None ("not reached") when S never falls below 0.5. Its 95 % CI inverts
the z-test of g(S(t)) = g(0.5) with the complementary log-log transform g(x) = log(-log x) (Brookmeyer & Crowley
1982; SAS's default, statsmodels ``quantile_ci(method="cloglog")``): every event time t with |g(S(t)) - g(0.5)| /
(|g'(S(t))| se(t)) <= z_{0.975} is in the interval; the lower limit is the first such time, the upper limit the event
time after the last such one, None (unbounded) when that last one is the last event time.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from implementation_outcomes._values import as_date
from implementation_outcomes.errors import SessionDataError


def kaplan_meier(times: Sequence[float], events: Sequence[bool]) -> list[dict[str, float]]:
    """The product-limit curve at each distinct event time: ``[{time, at_risk, events, survival, se}]`` (Greenwood
    SE; None where undefined, e.g. once every subject at risk has had the event)."""
    if len(times) != len(events):
        raise SessionDataError(f"times ({len(times)}) and events ({len(events)}) differ in length")
    for i, t in enumerate(times):
        if t is None or not math.isfinite(t) or t < 0:
            raise SessionDataError(f"subject {i}, field 'time': expected a number of days >= 0, got {t!r}")
    curve = []
    survival, greenwood = 1.0, 0.0
    for t in sorted({t for t, e in zip(times, events, strict=True) if e}):
        at_risk = sum(1 for u in times if u >= t)
        died = sum(1 for u, e in zip(times, events, strict=True) if e and u == t)
        survival *= 1 - died / at_risk
        greenwood = greenwood + died / (at_risk * (at_risk - died)) if at_risk > died else math.nan
        se = survival * math.sqrt(greenwood) if math.isfinite(greenwood) else None
        curve.append({"time": t, "at_risk": at_risk, "events": died, "survival": survival, "se": se})
    return curve


def km_quantile(curve: Sequence[Mapping[str, Any]], p: float = 0.5) -> float | None:
    """The p-quantile of the time to event: the first event time with S(t) < 1 - p; None when not reached."""
    return next((row["time"] for row in curve if row["survival"] < 1 - p), None)


def km_quantile_ci(curve: Sequence[Mapping[str, Any]], p: float = 0.5, confidence: float = 0.95
                   ) -> tuple[float | None, float | None]:
    """Brookmeyer-Crowley CI of the p-quantile with the cloglog transform (module docstring). (None, None) when no
    event time is inside; an upper limit of None means unbounded (not reached within follow-up)."""
    z = statistics.NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    target = math.log(-math.log(1 - p))
    inside = []
    for i, row in enumerate(curve):
        s, se = row["survival"], row["se"]
        if se is None or not 0 < s < 1 or se == 0:
            continue
        r = (math.log(-math.log(s)) - target) / ((-1 / (s * math.log(s))) * se)
        if abs(r) <= z:
            inside.append(i)
    if not inside:
        return None, None
    last = inside[-1]
    return curve[inside[0]]["time"], None if last == len(curve) - 1 else curve[last + 1]["time"]


def time_to_first_session(mothers: Sequence[Mapping[str, Any]], first_sessions: Mapping[str, Any], as_of: Any,
                          confidence: float = 0.95) -> dict[str, Any]:
    """Days from randomization to the first attended session, Kaplan-Meier with never-started mothers censored.

    ``mothers``: ``{mother_id, randomized_on}``; ``first_sessions``: mother_id -> date of her first attended
    session (absent: not started); ``as_of``: the data cut-off (the period's end or today) at which a mother who
    has not started is censored. Returns ``{n, started, never_started, median, ci_low, ci_high, confidence,
    follow_up_median, curve, convention}`` (days; None = not reached / unbounded).
    """
    cutoff = as_date(as_of, "as_of", SessionDataError)
    times, events = [], []
    for i, m in enumerate(mothers):
        randomized = as_date(m.get("randomized_on"), f"mother row {i} ({m.get('mother_id')}), field 'randomized_on'",
                             SessionDataError)
        first = first_sessions.get(str(m["mother_id"]))
        if first is not None:
            when = as_date(first, f"mother {m['mother_id']}, first session", SessionDataError)
            if when < randomized:
                raise SessionDataError(f"mother {m['mother_id']}: first session {when} before randomization {randomized}")
            times.append(float((when - randomized).days))
            events.append(True)
        else:
            times.append(float(max(0, (cutoff - randomized).days)))
            events.append(False)
    curve = kaplan_meier(times, events)
    low, high = km_quantile_ci(curve, 0.5, confidence)
    censored = [t for t, e in zip(times, events, strict=True) if not e]
    return {
        "n": len(times), "started": sum(events), "never_started": len(censored),
        "median": km_quantile(curve, 0.5), "ci_low": low, "ci_high": high, "confidence": confidence,
        "censored_follow_up_median": float(statistics.median(censored)) if censored else None,
        "as_of": cutoff, "curve": curve,
        "convention": "Kaplan-Meier, mothers not yet started censored at the data cut-off; median = first time "
                      "S(t) < 0.5; 95% CI Brookmeyer-Crowley with the log(-log) transform (SAS, statsmodels)",
    }


def first_attended(sessions: Sequence[Mapping[str, Any]]) -> dict[str, date]:
    """mother_id -> date of her first attended session, from session rows ``{mother_id, date, attended?}``."""
    out: dict[str, date] = {}
    for i, s in enumerate(sessions):
        if s.get("attended", True):
            when = as_date(s["date"], f"session row {i}, field 'date'", SessionDataError)
            mid = str(s["mother_id"])
            if mid not in out or when < out[mid]:
                out[mid] = when
    return out
