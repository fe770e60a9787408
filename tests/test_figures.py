"""The shared report figures: what a figure dict holds for given numbers, and how missing numbers come out."""

from __future__ import annotations

import json
import math

import numpy as np
import plotly.graph_objects as go
import pytest
from synthguard.quality import figures
from synthguard.quality.figures import (REAL_COLOUR, SYNTHETIC_COLOUR, bar_figure, difference_heatmap, line_trace,
                                        panel_figure, plot_values, real_synthetic_lines, round_matrix, round_value,
                                        rounded_mean)


def draws(figure: dict) -> None:
    """report.json can hold it (strict JSON: no NaN) and plotly accepts it as the HTML report draws it."""
    json.dumps(figure, allow_nan=False)
    go.Figure(data=figure["data"], layout=figure["layout"])


def test_every_public_name_exists_and_is_documented():
    for name in figures.__all__:
        assert not name.startswith("_")
        value = getattr(figures, name)
        assert not callable(value) or value.__doc__, name


@pytest.mark.parametrize("value, expected", [(0.123456, 0.1235), (np.float32(2.5), 2.5), (np.int64(3), 3.0),
                                             (-1e-7, -0.0), (float("nan"), None), (math.inf, None), (-np.inf, None)])
def test_round_value_keeps_four_places_and_turns_non_finite_into_none(value, expected):
    assert round_value(value) == expected


def test_round_value_refuses_a_missing_value():
    with pytest.raises(TypeError):
        round_value(None)


def test_rounded_mean_skips_missing_values():
    assert rounded_mean([0.1, None, 0.2]) == 0.15
    assert rounded_mean([1 / 3, 2 / 3, 1.0]) == 0.6667
    assert rounded_mean([None, None]) is None and rounded_mean([]) is None


def test_round_matrix_rounds_each_cell_and_blanks_non_finite_ones():
    m = np.array([[1.0, np.nan], [0.123456, -np.inf]])
    assert round_matrix(m) == [[1.0, None], [0.1235, None]]


def test_plot_values_keep_labels_and_integers_and_round_the_rest():
    out = plot_values(["Mon", 3, np.int64(7), 0.123456, np.nan])
    assert out == ["Mon", 3, 7, 0.1235, None]
    assert [type(v) for v in out[:3]] == [str, int, int]


def test_line_trace_on_a_subplot():
    trace = line_trace(np.arange(3), [0.5, np.nan, 1 / 3], "synthetic", SYNTHETIC_COLOUR, "dash", show_legend=False,
                       axis=2)
    assert trace == {"type": "scatter", "mode": "lines", "name": "synthetic", "legendgroup": "synthetic",
                     "showlegend": False, "x": [0, 1, 2], "y": [0.5, None, 0.3333], "xaxis": "x2", "yaxis": "y2",
                     "line": {"color": SYNTHETIC_COLOUR, "dash": "dash", "width": 1.5}}
    marked = line_trace([0.0, 0.5], [1, 2], "real", REAL_COLOUR, markers=True)
    assert marked["mode"] == "lines+markers" and marked["marker"] == {"size": 4}
    assert (marked["xaxis"], marked["yaxis"], marked["line"]["dash"]) == ("x", "y", "solid")
    assert marked["x"] == [0.0, 0.5] and marked["y"] == [1, 2]


def test_real_is_solid_blue_and_synthetic_dashed_orange():
    real, synthetic = real_synthetic_lines(range(3), [1, 2, 3], [1, 2, 4])
    assert (real["name"], real["line"]["color"], real["line"]["dash"]) == ("real", "#1f77b4", "solid")
    assert (synthetic["name"], synthetic["line"]["color"], synthetic["line"]["dash"]) == ("synthetic", "#ff7f0e",
                                                                                          "dash")
    assert real["x"] == synthetic["x"] == [0, 1, 2] and synthetic["y"] == [1, 2, 4]


def test_panel_figure_lays_out_one_panel_per_name_three_per_row():
    x = np.array([1.0, 2.0, 3.0])
    real, synthetic = np.ones((4, 3)), np.full((4, 3), 2.0)
    synthetic[3, 1] = np.nan
    fig = panel_figure("Mean spectrum", x, real, synthetic, ["a", "b", "c", "d"], "frequency", log_y=True)
    layout = fig["layout"]
    assert fig["title"] == "Mean spectrum" and len(fig["data"]) == 8
    assert layout["grid"] == {"rows": 2, "columns": 3, "pattern": "independent"} and layout["height"] == 520
    assert [a["text"] for a in layout["annotations"]] == ["a", "b", "c", "d"]
    assert [a["xref"] for a in layout["annotations"]] == ["x domain", "x2 domain", "x3 domain", "x4 domain"]
    # the x axis is titled under the bottom row only (panels b, c, d: the last three)
    assert layout["xaxis"] == {} and all(layout[f"xaxis{i}"] == {"title": {"text": "frequency"}} for i in (2, 3, 4))
    assert all(layout[k] == {"type": "log"} for k in ("yaxis", "yaxis2", "yaxis3", "yaxis4"))
    assert [t["showlegend"] for t in fig["data"]] == [True, True] + [False] * 6
    assert [t["xaxis"] for t in fig["data"][::2]] == ["x", "x2", "x3", "x4"]
    assert fig["data"][7]["y"] == [2.0, None, 2.0]  # a missing value is a gap, not NaN in report.json
    draws(fig)


def test_panel_figure_with_named_ticks_and_markers():
    fig = panel_figure("By weekday", range(7), [np.arange(7.0)], [np.arange(7.0)], ["north"], "weekday",
                       markers=True, tick_text=["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
    layout = fig["layout"]
    assert layout["grid"]["rows"] == 1 and layout["grid"]["columns"] == 1 and layout["height"] == 260
    assert layout["xaxis"] == {"tickvals": list(range(7)), "title": {"text": "weekday"},
                               "ticktext": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]}
    assert layout["yaxis"] == {} and all(t["mode"] == "lines+markers" for t in fig["data"])
    draws(fig)


def test_bar_figure_groups_real_beside_synthetic():
    fig = bar_figure("Top pairs", ["A → B", "B → A"], np.array([0.51234, 0.25]), [0.4, np.nan], "share of trips")
    assert fig["title"] == "Top pairs"
    assert fig["data"] == [
        {"type": "bar", "name": "real", "x": ["A → B", "B → A"], "y": [0.5123, 0.25],
         "marker": {"color": REAL_COLOUR}},
        {"type": "bar", "name": "synthetic", "x": ["A → B", "B → A"], "y": [0.4, None],
         "marker": {"color": SYNTHETIC_COLOUR}}]
    assert fig["layout"] == {"barmode": "group", "yaxis": {"title": {"text": "share of trips"}}}
    draws(fig)


def test_difference_heatmap_is_synthetic_minus_real_and_blank_where_either_is_missing():
    real = [[1.0, 0.5, None], [0.5, 1.0, 0.2], [None, 0.2, 1.0]]
    synthetic = [[1.0, 0.8, 0.1], [0.8, 1.0, np.nan], [0.1, -0.3, 1.0]]
    fig = difference_heatmap("Correlation, synthetic − real", real, synthetic, ["a", "b", "c"], "Δ r")
    (heat,) = fig["data"]
    assert heat["z"] == [[0.0, 0.3, None], [0.3, 0.0, None], [None, -0.5, 0.0]]
    assert (heat["x"], heat["y"], heat["zmin"], heat["zmax"]) == (["a", "b", "c"], ["a", "b", "c"], -1, 1)
    assert heat["colorscale"] == "RdBu" and heat["reversescale"] and heat["colorbar"] == {"title": {"text": "Δ r"}}
    assert fig["layout"] == {"yaxis": {"autorange": "reversed"}, "height": 320}
    assert difference_heatmap("t", [[0.0]], [[1.5]], ["a"], limit=2)["data"][0]["zmax"] == 2
    assert difference_heatmap("t", np.zeros((20, 20)), np.zeros((20, 20)), list("abcdefghijklmnopqrst"))[
        "layout"]["height"] == 18 * 20 + 120
    draws(fig)
