"""Numbers and plotly figures for report.json, shared by the report metrics of every plugin.

A metric's result goes into report.json and the HTML report is drawn from that file alone, so numbers are
rounded to :data:`DIGITS` places (small, stable files) and non-finite values become ``None`` (JSON has no
NaN). Figures are plain plotly figure dicts ``{"title", "data", "layout"}`` — what a metric returns under
``"figures"`` and the report draws with ``plotly.graph_objects.Figure(data=..., layout=...)`` — so a metric
needs no plotly import. Real data is drawn solid in :data:`REAL_COLOUR` (blue), synthetic data dashed in
:data:`SYNTHETIC_COLOUR` (orange), in every plugin's figures alike.

Example — one panel per channel, real vs synthetic mean profile::

    from synthguard.quality.figures import panel_figure, round_value

    result = {"nmae": round_value(nmae),
              "figures": [panel_figure("Mean reading by hour", range(24), real_profiles, syn_profiles,
                                       ["north", "south"], "hour of day")]}
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

import numpy as np

__all__ = [
    "DIGITS", "REAL_COLOUR", "SYNTHETIC_COLOUR",
    "round_value", "round_values", "round_matrix", "rounded_mean", "plot_values",
    "axis_title", "line_trace", "real_synthetic_lines", "panel_figure", "bar_figure", "difference_heatmap",
]

#: Decimal places kept by :func:`round_value`.
DIGITS = 4
#: Colour of the real data in every figure (plotly's default blue); drawn with solid lines.
REAL_COLOUR = "#1f77b4"
#: Colour of the synthetic data in every figure (plotly's default orange); drawn with dashed lines.
SYNTHETIC_COLOUR = "#ff7f0e"


# --- numbers -----------------------------------------------------------------------------------

def round_value(value: Any) -> float | None:
    """``value`` as a float rounded to :data:`DIGITS` places; None for NaN and ±inf (JSON has no NaN).

    Accepts anything ``float()`` does (numpy scalars, 0-d arrays and tensors included); ``None`` itself is
    refused with a TypeError, so a missing value is never silently read as a number.
    """
    value = float(value)
    return round(value, DIGITS) if math.isfinite(value) else None


def round_values(values: Iterable[Any]) -> list[float | None]:
    """:func:`round_value` of each value (a 1-d sequence or array) as a list."""
    return [round_value(v) for v in values]


def round_matrix(rows: Iterable[Iterable[Any]]) -> list[list[float | None]]:
    """:func:`round_value` of each cell of a 2-d array (e.g. a correlation matrix) as a list of row lists."""
    return [round_values(row) for row in rows]


def rounded_mean(values: Sequence[float | None]) -> float | None:
    """Rounded mean of the values that are not None (e.g. per-channel scores); None if none is left."""
    values = [v for v in values if v is not None]
    return round_value(np.mean(values)) if values else None


def plot_values(values: Iterable[Any]) -> list[Any]:
    """Coordinates for a trace: strings and integers kept (as ``str`` / ``int``), other numbers rounded with
    :func:`round_value` (NaN/inf → None, which plotly draws as a gap)."""
    return [v if isinstance(v, str) else int(v) if isinstance(v, (int, np.integer)) else round_value(v)
            for v in values]


# --- figures -----------------------------------------------------------------------------------

def axis_title(text: str) -> dict[str, Any]:
    """A plotly axis carrying a title: ``{"title": {"text": text}}`` (for ``layout["xaxis"]`` and the like)."""
    return {"title": {"text": text}}


def line_trace(x: Iterable[Any], y: Iterable[Any], name: str, colour: str, dash: str = "solid", *,
               show_legend: bool = True, axis: int = 1, markers: bool = False) -> dict[str, Any]:
    """A plotly line trace on subplot ``axis`` (1-based, for grids), coordinates through :func:`plot_values`.

    Traces of the same ``name`` share one legend entry (``legendgroup``): give ``show_legend=True`` to only
    one of them. ``markers`` adds small dots at the points (for a few bins, e.g. 24 hours).
    """
    suffix = "" if axis == 1 else str(axis)
    trace = {"type": "scatter", "mode": "lines+markers" if markers else "lines", "name": name, "legendgroup": name,
             "showlegend": show_legend, "x": plot_values(x), "y": plot_values(y),
             "xaxis": f"x{suffix}", "yaxis": f"y{suffix}", "line": {"color": colour, "dash": dash, "width": 1.5}}
    if markers:
        trace["marker"] = {"size": 4}
    return trace


def real_synthetic_lines(x: Iterable[Any], real: Iterable[Any], synthetic: Iterable[Any], *, show_legend: bool = True,
                         axis: int = 1, markers: bool = False) -> list[dict[str, Any]]:
    """Two :func:`line_trace` s over the same ``x``: ``real`` solid blue, then ``synthetic`` dashed orange."""
    x = list(x)
    return [line_trace(x, real, "real", REAL_COLOUR, "solid", show_legend=show_legend, axis=axis, markers=markers),
            line_trace(x, synthetic, "synthetic", SYNTHETIC_COLOUR, "dash", show_legend=show_legend, axis=axis,
                       markers=markers)]


def panel_figure(title: str, x: Iterable[Any], real: Sequence[Iterable[Any]], synthetic: Sequence[Iterable[Any]],
                 panels: Sequence[str], x_label: str, *, log_y: bool = False, markers: bool = False,
                 tick_text: Sequence[str] | None = None) -> dict[str, Any]:
    """Small multiples: one panel per name in ``panels`` (3 per row), ``real[i]`` vs ``synthetic[i]`` over ``x``.

    Each panel is labelled with its name above it; ``x_label`` titles the x axes of the bottom row only, and
    the legend (real, synthetic) is shown once. ``log_y`` puts every y axis on a log scale; ``tick_text``
    labels the x positions (e.g. weekday names for 0..6). The figure is 260 px tall per row.
    """
    x = list(x)
    columns = min(len(panels), 3)
    rows = math.ceil(len(panels) / columns)
    data: list[dict[str, Any]] = []
    layout: dict[str, Any] = {"grid": {"rows": rows, "columns": columns, "pattern": "independent"},
                              "annotations": [], "height": 260 * rows}
    for i, (panel, r, s) in enumerate(zip(panels, real, synthetic)):
        suffix = "" if i == 0 else str(i + 1)
        data += real_synthetic_lines(x, r, s, show_legend=i == 0, axis=i + 1, markers=markers)
        xaxis: dict[str, Any] = {"tickvals": plot_values(x), "ticktext": list(tick_text)} if tick_text else {}
        if i >= len(panels) - columns:
            xaxis.update(axis_title(x_label))
        layout[f"xaxis{suffix}"] = xaxis
        layout[f"yaxis{suffix}"] = {"type": "log"} if log_y else {}
        layout["annotations"].append({"text": panel, "showarrow": False, "x": 0.5, "y": 1.0, "xanchor": "center",
                                      "yanchor": "bottom", "xref": f"x{suffix} domain", "yref": f"y{suffix} domain"})
    return {"title": title, "data": data, "layout": layout}


def bar_figure(title: str, labels: Iterable[Any], real: Iterable[Any], synthetic: Iterable[Any],
               y_label: str) -> dict[str, Any]:
    """Grouped bars, real (blue) beside synthetic (orange) for each label, y axis titled ``y_label``."""
    labels = plot_values(labels)
    sides = (("real", real, REAL_COLOUR), ("synthetic", synthetic, SYNTHETIC_COLOUR))
    return {"title": title,
            "data": [{"type": "bar", "name": name, "x": labels, "y": plot_values(values), "marker": {"color": colour}}
                     for name, values, colour in sides],
            "layout": {"barmode": "group", "yaxis": axis_title(y_label)}}


def difference_heatmap(title: str, real: Sequence[Sequence[float | None]], synthetic: Sequence[Sequence[float | None]],
                       labels: Sequence[str], colorbar_title: str = "Δ", limit: float = 1) -> dict[str, Any]:
    """Heatmap of synthetic − real per cell of two square matrices (e.g. correlations) with ``labels`` on both axes.

    Red: synthetic higher, blue: lower, white: equal; the colour scale spans ±``limit``. A cell missing (None
    or NaN) on either side is None in ``z`` (drawn blank). Rows run top to bottom as in the matrices; the
    figure grows with the number of labels (at least 320 px).
    """
    def cell(r: Any, s: Any) -> float | None:
        return None if r is None or s is None else round_value(float(s) - float(r))

    z = [[cell(r, s) for r, s in zip(rr, sr)] for rr, sr in zip(real, synthetic)]
    return {"title": title, "data": [{"type": "heatmap", "z": z, "x": list(labels), "y": list(labels), "zmin": -limit,
                                      "zmax": limit, "colorscale": "RdBu", "reversescale": True,
                                      "colorbar": {"title": {"text": colorbar_title}}}],
            "layout": {"yaxis": {"autorange": "reversed"}, "height": max(320, 18 * len(labels) + 120)}}
