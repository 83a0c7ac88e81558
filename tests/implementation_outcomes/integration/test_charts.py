from implementation_outcomes.integration.charts import scatter_svg


def test_scatter_is_accessible_escapes_and_counts_missing_points():
    svg = scatter_svg("CRFS & fidelity", [{"x": 5.0, "y": 0.9, "label": "Rosa <D>", "group": "SPR-1"},
                                          {"x": None, "y": 0.4, "label": "Kim", "group": "SPR-2"},
                                          {"x": 3.5, "y": 0.2, "label": "Owen", "group": "HFR-2"}],
                      "CRFS mean", "Share adequate", "c1", y_range=(0, 1))
    assert svg.startswith("<svg") and 'role="img"' in svg and 'aria-labelledby="c1-t c1-d"' in svg
    assert "<title id=\"c1-t\">CRFS &amp; fidelity</title>" in svg
    assert "2 points; 1 without both values left out." in svg
    assert svg.count("<circle") == 2 + 2  # two points, a legend entry per group shown
    assert "Rosa &lt;D&gt;" in svg and "Kim" not in svg
