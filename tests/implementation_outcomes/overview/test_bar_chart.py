"""The generic bar chart (app.charts) draws given shares, escapes labels, shows undefined values as n/a, and is an
accessible image with a title and a description listing every value."""

import xml.etree.ElementTree as ET

from app.charts import bar_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_bar_chart_draws_escapes_and_describes():
    svg = str(bar_chart_svg("c1", "Reach <by clinic>", [("A&B", 0.5), ("C", None), ("D", 1.0)]))
    assert svg.count("<rect") == 2  # no bar for the undefined value
    assert 'role="img"' in svg and 'aria-labelledby="c1-title c1-desc"' in svg
    assert "<title id=\"c1-title\">Reach &lt;by clinic&gt;</title>" in svg
    assert "A&amp;B: 50%; C: n/a; D: 100%" in svg
    assert 'width="95.0"' in svg and 'width="190.0"' in svg  # half and full of the 190-pixel bar area


def test_bar_chart_axis_title_reference_line_and_legible_text():
    svg = str(bar_chart_svg("c2", "Adoption", [("HFR-1", 0.8), ("SPR-1", 0.4)], axis_title="Adoption (%)",
                            reference=(0.6, "target 60%")))
    root = ET.fromstring(svg)
    texts = {t.text: t for t in root.iter(f"{SVG}text")}
    assert "Adoption (%)" in texts and "target 60%" in texts  # the x axis's title and the labelled target line
    line = root.find(f".//{SVG}line[@class='reference-line']")
    assert float(line.get("x1")) == 80 + 190 * 0.6  # 60 % of the bar area, right of the 80-pixel labels
    assert "target 60%" in root.find(f"{SVG}desc").text
    # every label is at least 12 px at the drawn size, and the chart is drawn no wider than a phone's column
    assert all(int(t.get("font-size")) >= 12 for t in root.iter(f"{SVG}text"))
    assert int(root.get("width")) <= 328
