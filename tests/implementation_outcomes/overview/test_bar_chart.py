"""The generic bar chart (app.charts) draws given shares, escapes labels, shows undefined values as n/a, and is an
accessible image with a title and a description listing every value."""

from app.charts import bar_chart_svg


def test_bar_chart_draws_escapes_and_describes():
    svg = str(bar_chart_svg("c1", "Reach <by clinic>", [("A&B", 0.5), ("C", None), ("D", 1.0)]))
    assert svg.count("<rect") == 2  # no bar for the undefined value
    assert 'role="img"' in svg and 'aria-labelledby="c1-title c1-desc"' in svg
    assert "<title id=\"c1-title\">Reach &lt;by clinic&gt;</title>" in svg
    assert "A&amp;B: 50%; C: n/a; D: 100%" in svg
    assert 'width="150.0"' in svg and 'width="300.0"' in svg  # half and full of the 300-pixel bar area
