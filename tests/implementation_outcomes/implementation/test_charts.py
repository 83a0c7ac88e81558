"""SVG charts are drawings of given numbers: accessible, escaped, bars proportional to counts."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date

from implementation_outcomes.adoption import adoption_funnel
from implementation_outcomes.implementation.charts import funnels_svg, stage_timeline_svg
from implementation_outcomes.stages import load_activity_catalogue, stage_scores

NS = "{http://www.w3.org/2000/svg}"


def test_funnel_bars_are_proportional_and_accessible():
    rows = [{"counselor_id": 1, "invited": True, "eligible": True}, {"counselor_id": 2, "invited": True}]
    funnel = adoption_funnel(rows)
    svg = funnels_svg("f", [("A & B", funnel)], {"invited": "Invited", "eligible": "Eligible <screened>"}, "T")
    root = ET.fromstring(svg)  # well-formed XML: labels are escaped
    assert root.get("role") == "img" and root.find(f"{NS}title").text == "T"
    assert "A & B: Invited 2, Eligible <screened> 1" in root.find(f"{NS}desc").text
    widths = [float(r.get("width")) for r in root.iter(f"{NS}rect")]
    # bar_max = column width 150 - 44 = 106 for 2 invited; eligible 1 -> 53.0; later steps 0
    assert widths[:2] == [106.0, 53.0] and widths[2:] == [0.0] * 7


def test_timeline_has_one_dot_per_completed_activity():
    catalogue = load_activity_catalogue()
    scores = stage_scores(catalogue, {"outreach_contact": "2025-01-06", "interest_confirmed": "2025-02-03",
                                      "startup_meeting": date(2025, 5, 1)})
    svg = stage_timeline_svg("t", scores, "Timeline")
    root = ET.fromstring(svg)
    assert len(list(root.iter(f"{NS}circle"))) == 3
    assert "stage 1 Engagement: 2 of 3 activities, 28 days" in root.find(f"{NS}desc").text
    ticks = [t.text for t in root.iter(f"{NS}text") if t.text and re.match(r"[A-Z][a-z]{2}( \d{4})?$", t.text)]
    assert ticks == ["Feb 2025", "Mar", "Apr", "May"]
    empty = ET.fromstring(stage_timeline_svg("e", stage_scores(catalogue, {}), "Empty"))
    assert list(empty.iter(f"{NS}circle")) == [] and list(empty.iter(f"{NS}line")) == []
