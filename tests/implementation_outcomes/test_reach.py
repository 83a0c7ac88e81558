import math

import pytest

from implementation_outcomes.errors import OutcomeDataError, ScreeningLogError
from implementation_outcomes.reach import (
    REACH_DEFINITIONS,
    consort_flow,
    reach_cascade,
    reach_cascade_by_clinic,
    reach_pct,
    reach_pct_of_eligible,
    reach_pct_sensitivity,
)
from implementation_outcomes.representativeness import (
    representativeness,
    smd_binary,
    smd_categorical,
    smd_continuous,
)


def log():
    rows = [
        {"clinic": "A", "status": "excluded", "reason": "child over 5"},
        {"clinic": "A", "status": "excluded", "reason": "child over 5"},
        {"clinic": "A", "status": "excluded", "reason": "inpatient care needed"},
        {"clinic": "A", "status": "lost"},
        {"clinic": "A", "status": "not_offered"},
        {"clinic": "A", "status": "declined", "reason": "no time"},
        {"clinic": "A", "status": "consented"},
        {"clinic": "A", "status": "randomized", "arm": "tau"},
        {"clinic": "B", "status": "randomized", "arm": "mio_tau"},
        {"clinic": "B", "status": "started", "arm": "mio_tau"},
        {"clinic": "B", "status": "started", "arm": "mio_tau"},
        {"clinic": "B", "status": "declined", "reason": " no time "},
    ]
    return rows


def test_cascade_counts_by_hand():
    c = reach_cascade(log())
    # 12 rows; excluded 3; lost 1; eligible = not_offered 1 + declined 2 + enrolled 5 = 8
    assert c["screened"] == 12
    assert c["excluded"] == 3 and c["excluded_by_reason"] == {"child over 5": 2, "inpatient care needed": 1}
    assert c["lost_undetermined"] == 1
    assert c["eligible"] == 8 and c["not_offered"] == 1
    assert c["offered"] == 7  # declined 2 + enrolled 5
    assert c["declined_by_reason"] == {"no time": 2}
    assert c["enrolled"] == 5 and c["consented_not_randomized"] == 1
    assert c["randomized"] == 4 and c["randomized_by_arm"] == {"mio_tau": 3, "tau": 1}
    assert c["started_mio"] == 2


def test_reach_pct_and_sensitivity():
    c = reach_cascade(log())
    assert reach_pct(c) == pytest.approx(5 / 7)  # enrolled / offered
    assert reach_pct(c, "started_mio") == pytest.approx(2 / 7)
    assert reach_pct_sensitivity(c) == pytest.approx(5 / 8)  # enrolled / (offered 7 + lost 1)
    assert reach_pct(reach_cascade([])) is None
    with pytest.raises(ScreeningLogError, match="numerator"):
        reach_pct(c, "screened")


def test_reach_of_everyone_eligible_by_hand():
    """RE-AIM reach over the eligible (offered or not): enrolled 5 / eligible 8 (one eligible mother never offered),
    shown beside the headline enrolled / offered = 5 / 7."""
    c = reach_cascade(log())
    assert reach_pct_of_eligible(c) == pytest.approx(5 / 8)
    assert reach_pct_of_eligible(c, "randomized") == pytest.approx(4 / 8)
    assert reach_pct_of_eligible(reach_cascade([])) is None
    with pytest.raises(ScreeningLogError, match="numerator"):
        reach_pct_of_eligible(c, "screened")
    assert REACH_DEFINITIONS["reach"] == "enrolled / eligible and offered"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"status": "maybe"}, "row 0, field 'status'"),
        ({"status": "excluded"}, "row 0, field 'reason'"),
        ({"status": "declined", "reason": "  "}, "row 0, field 'reason'"),
        ({"status": "randomized"}, "row 0, field 'arm'"),
        ({"status": "started", "arm": "tau"}, "only mothers randomized to mio_tau"),
        ({"status": "lost", "arm": "tau"}, "cannot have an arm"),
    ],
)
def test_bad_rows_name_row_and_field(row, message):
    with pytest.raises(ScreeningLogError, match=message):
        reach_cascade([row])


def test_by_clinic_and_consort_flow():
    per = reach_cascade_by_clinic(log())
    assert set(per) == {"A", "B"}
    assert per["A"]["screened"] == 8 and per["B"]["started_mio"] == 2
    flow = consort_flow(log())
    nodes = {n["id"]: n for n in flow["overall"]["nodes"]}
    assert nodes["screened"]["count"] == 12
    # children add up to the parent (except started_mio, a subset of its arm)
    for parent in ("screened", "eligible", "offered", "enrolled", "randomized"):
        children = [e["count"] for e in flow["overall"]["edges"] if e["source"] == parent]
        assert sum(children) == nodes[parent]["count"], parent
    assert nodes["excluded"]["reasons"][0] == {"reason": "child over 5", "count": 2}
    b_nodes = {n["id"]: n["count"] for n in flow["clinics"]["B"]["nodes"]}
    assert b_nodes["arm_mio_tau"] == 3 and b_nodes["started_mio"] == 2


def test_smd_continuous_by_hand():
    # a: mean 2, var 1; b: mean 3.5, var (2.25+.25+.25+2.25)/3 = 5/3
    # d = (2 - 3.5) / sqrt((1 + 5/3) / 2) = -1.5 / sqrt(4/3) = -1.29904
    assert smd_continuous([1, 2, 3, None], [2, 3, 4, 5]) == pytest.approx(-1.5 / math.sqrt(4 / 3))
    assert smd_continuous([1], [2, 3]) is None
    assert smd_continuous([2, 2], [2, 2]) is None


def test_smd_binary_by_hand():
    # p_a = .5, p_b = .25; d = .25 / sqrt((.25 + .1875) / 2) = .534522
    assert smd_binary([1, 1, 0, 0], [True, False, False, False]) == pytest.approx(0.25 / math.sqrt(0.21875))
    assert smd_binary([1, 1], [1, 1]) is None
    with pytest.raises(OutcomeDataError, match="group_a"):
        smd_binary([2], [1])


def test_smd_categorical_by_hand_and_invariance():
    a = ["x", "x", "y", "z"]  # .5 .25 .25
    b = ["x", "y", "y", "z"]  # .25 .5 .25
    # T - C on levels y, z = (-.25, 0); S = ((.1875 -.0625; -.0625 .1875) + (.25 -.125; -.125 .1875)) / 2
    # = (.21875 -.09375; -.09375 .1875), det = .0322265625; d^2 = .0625 * .1875 / det = 4/11
    assert smd_categorical(a, b) == pytest.approx(math.sqrt(4 / 11))
    # the choice of reference level does not matter (Mahalanobis distance is invariant)
    rename = {"x": "c", "y": "a", "z": "b"}
    assert smd_categorical([rename[v] for v in a], [rename[v] for v in b]) == pytest.approx(math.sqrt(4 / 11))
    # two levels: equals |binary SMD| (Yang & Dalton 2012)
    assert smd_categorical(["m", "m", "f", "f"], ["m", "f", "f", "f"]) == pytest.approx(
        abs(smd_binary([1, 1, 0, 0], [1, 0, 0, 0]))
    )
    assert smd_categorical(["x", "x"], ["y", "y"]) is None


def test_representativeness_table():
    parts = [{"age": 25, "mat": 1, "drug": "opioid"}, {"age": 31, "mat": 1, "drug": "alcohol"}]
    nonparts = [{"age": 29, "mat": 0, "drug": "opioid"}, {"age": 35, "mat": None, "drug": "opioid"},
                {"age": 41, "mat": 1, "drug": None}]
    table = representativeness(parts, nonparts, {"age": "continuous", "mat": "binary", "drug": "categorical"})
    assert table["age"]["participants"]["mean"] == 28 and table["age"]["nonparticipants"]["mean"] == 35
    assert table["age"]["smd"] == pytest.approx(smd_continuous([25, 31], [29, 35, 41]))
    assert table["mat"]["n_nonparticipants"] == 2 and table["mat"]["nonparticipants"]["proportion"] == 0.5
    assert table["drug"]["participants"] == {"alcohol": 0.5, "opioid": 0.5}
    assert set(table["drug"]["smd_by_level"]) == {"alcohol", "opioid"}
    with pytest.raises(OutcomeDataError, match="'age'"):
        representativeness(parts, nonparts, {"age": "ordinal"})


def test_counted_log_gives_the_cascade_of_the_expanded_log():
    """``reach_cascade_counted`` (distinct rows with counts, as the overview's GROUP BY returns them) equals
    ``reach_cascade`` over the same log expanded row by row, on seeded random logs (issue 15)."""
    import random
    from collections import Counter

    from implementation_outcomes.reach import reach_cascade_counted

    rng = random.Random(15)
    for _ in range(200):
        log = []
        for _ in range(rng.randint(0, 60)):
            status = rng.choice(["excluded", "lost", "not_offered", "declined", "consented", "randomized", "started"])
            reason = rng.choice(["age", "distance", " age ", "no time"]) if status in ("excluded", "declined") \
                else None
            arm = "mio_tau" if status == "started" else rng.choice(["mio_tau", "tau"]) if status == "randomized" \
                else None
            log.append((status, reason, arm))
        counted = [({"status": s, "reason": r, "arm": a}, n) for (s, r, a), n in Counter(log).items()]
        rng.shuffle(counted)
        expanded = [{"status": s, "reason": r, "arm": a} for s, r, a in log]
        assert reach_cascade_counted(counted) == reach_cascade(expanded)
    # a bad distinct row is refused as reach_cascade refuses it, zero counts are skipped
    with pytest.raises(ScreeningLogError, match="field 'reason'"):
        reach_cascade_counted([({"status": "declined", "reason": None, "arm": None}, 3)])
    assert reach_cascade_counted([({"status": "declined", "reason": None, "arm": None}, 0)])["screened"] == 0
