"""The explanation's figures as plotly figure dicts (:mod:`synthguard.quality.figures`' convention, drawn by
the report page): association heatmaps and their difference, importances, log-likelihood histogram, the
columns behind near copies."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ..quality.figures import (REAL_COLOUR, SYNTHETIC_COLOUR, axis_title, difference_heatmap, plot_values,
                               round_values)


def _size(labels: Sequence[str]) -> int:
    return max(360, 22 * len(labels) + 160)


def heatmap(title: str, z: list[list[float | None]], x: Sequence[str], y: Sequence[str], colorbar: str,
            x_label: str = "", y_label: str = "", zmin: float = 0, zmax: float = 1,
            colorscale: str = "Blues") -> dict[str, Any]:
    """A labelled heatmap, rows top to bottom as in ``z``."""
    layout = {"yaxis": {"autorange": "reversed", **axis_title(y_label)}, "xaxis": {**axis_title(x_label),
              "tickangle": -40}, "height": _size(y)}
    return {"title": title, "data": [{"type": "heatmap", "z": z, "x": list(x), "y": list(y), "zmin": zmin,
                                      "zmax": zmax, "colorscale": colorscale,
                                      "colorbar": {"title": {"text": colorbar}}}], "layout": layout}


def association_figures(dep: dict[str, Any]) -> list[dict[str, Any]]:
    names = dep["columns"]
    strength = "|ρ|, V or η"
    return [heatmap("Real data: pairwise association", dep["real"], names, names, strength),
            heatmap("Synthetic data: pairwise association", dep["synthetic"], names, names, strength),
            difference_heatmap("Synthetic − real association (red: stronger in synthetic, blue: weaker)",
                               dep["real"], dep["synthetic"], names, "Δ strength")]


def importance_figures(imp: dict[str, Any], target: str | None) -> list[dict[str, Any]]:
    names = imp["columns"]
    matrix = imp["importance"]
    top = max([v for row in matrix for v in row if v is not None] or [1.0])
    figs = [heatmap("What the model uses: drop of log p(row column | all others) when the column below is "
                    "hidden too", matrix, names, names, "nats", x_label="hidden column",
                    y_label="predicted column", zmax=max(top, 1e-6), colorscale="Purples")]
    reliance = imp["reliance"]
    order = sorted(reliance, key=lambda c: -(reliance[c] or 0))
    figs.append({"title": "How much the model relies on each column (summed over the columns it predicts)",
                 "data": [{"type": "bar", "x": order, "y": plot_values([reliance[c] for c in order]),
                           "marker": {"color": SYNTHETIC_COLOUR}}],
                 "layout": {"yaxis": axis_title("nats lost when hidden"), "xaxis": {"tickangle": -40}}})
    if target in names:
        i = names.index(target)
        pairs = sorted(((names[j], v) for j, v in enumerate(matrix[i]) if v is not None), key=lambda p: -p[1])
        figs.append({"title": f"Columns the model uses to predict {target}",
                     "data": [{"type": "bar", "x": [p[0] for p in pairs], "y": plot_values([p[1] for p in pairs]),
                               "marker": {"color": SYNTHETIC_COLOUR}}],
                     "layout": {"yaxis": axis_title("nats lost when hidden"), "xaxis": {"tickangle": -40}}})
    return figs


def likelihood_figure(lik: dict[str, Any]) -> dict[str, Any] | None:
    syn = np.array([v for v in lik["log_likelihood"] if v is not None], dtype=float)
    ref = np.array(lik.get("reference_log_likelihood") or [], dtype=float)
    both = np.concatenate([syn, ref])
    if not len(both):
        return None
    edges = np.histogram_bin_edges(both, bins=40)
    mids = (edges[:-1] + edges[1:]) / 2
    data = []
    for name, values, colour in ((f"real {lik['against']} records", ref, REAL_COLOUR),
                                 ("delivered records", syn, SYNTHETIC_COLOUR)):
        if len(values):
            share = np.histogram(values, bins=edges)[0] / len(values)
            data.append({"type": "bar", "name": name, "x": plot_values(mids), "y": round_values(share),
                         "marker": {"color": colour}, "opacity": 0.6})
    layout: dict[str, Any] = {"barmode": "overlay", "bargap": 0, "xaxis": axis_title("log-likelihood under the "
                              "model (nats; left = less typical)"), "yaxis": axis_title("share of records")}
    if lik.get("threshold") is not None:
        t = lik["threshold"]
        layout["shapes"] = [{"type": "line", "x0": t, "x1": t, "y0": 0, "y1": 1, "yref": "paper",
                             "line": {"color": "#b3261e", "dash": "dot"}}]
        layout["annotations"] = [{"x": t, "y": 1, "yref": "paper", "text": f"outlier below ({lik['percentile']:g}th "
                                  "percentile of real)", "showarrow": False, "xanchor": "left", "yanchor": "bottom"}]
    return {"title": "Each delivered record's log-likelihood under the model, beside real unseen records'",
            "data": data, "layout": layout}


def attribution_figure(att: dict[str, Any]) -> dict[str, Any] | None:
    counts = att.get("column_counts") or {}
    if not counts:
        return None
    return {"title": f"Columns that made rejected records near copies (of {att['near_copies']} near copies: "
                     "how many matched their nearest training record on the column)",
            "data": [{"type": "bar", "x": list(counts), "y": list(counts.values()), "marker": {"color": "#b3261e"}}],
            "layout": {"yaxis": axis_title("near copies"), "xaxis": {"tickangle": -40}}}
