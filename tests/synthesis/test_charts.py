"""The box plot the synthesis report draws for large groups: accessible SVG, no script."""

from __future__ import annotations

import pytest

from omk import charts


def test_box_plot_has_title_description_and_outliers() -> None:
    values = [float(v) for v in range(1, 101)] + [1000.0]
    svg = charts.box(values, title="Verteilung: A & B", desc="Kasten", axis_label="je 1.000")
    assert svg.startswith('<svg role="img" viewBox="0 0 640 220"')
    assert "<title>Verteilung: A &amp; B</title><desc>Kasten</desc>" in svg
    assert "<script" not in svg and "style=" not in svg
    assert svg.count("<circle") == 1  # the one outlier; 1 … 100 lie within the whiskers


def test_box_plot_of_equal_values_and_of_nothing() -> None:
    assert charts.box([5.0, 5.0, 5.0], title="t", desc="d", axis_label="x").startswith("<svg")
    with pytest.raises(ValueError):
        charts.box([], title="t", desc="d", axis_label="x")


def test_bars_scale_to_the_share() -> None:
    svg = charts.bars([("A1", 50.0), ("B2", 0.0)], title="t", desc="d", axis_label="%")
    assert "A1" in svg and "B2" in svg and "<title>t</title>" in svg
