"""The sequence explanation's figures as plotly figure dicts (drawn, labels escaped, by :mod:`.page`):
autocorrelation per channel (lines, and lag × channel heatmaps real / synthetic / difference), cross-channel
correlation (heatmaps and their difference), the strongest lead-lag pairs, and the model's surprise per step."""

from __future__ import annotations

from typing import Any

from ..quality.figures import axis_title, bar_figure, difference_heatmap, panel_figure, real_synthetic_lines

#: Channels beyond this many get the heatmaps only (no small multiples of lines).
MAX_PANELS = 12
#: Lead-lag pairs drawn.
SHOWN_LEADS = 10


def signed_heatmap(title: str, z: list, x: list, y: list, colorbar: str, x_label: str = "", y_label: str = "",
                   limit: float = 1.0) -> dict[str, Any]:
    """A heatmap of values in [-limit, limit]: red positive, blue negative, white 0."""
    return {"title": title, "data": [{"type": "heatmap", "z": z, "x": list(x), "y": list(y), "zmin": -limit,
                                      "zmax": limit, "colorscale": "RdBu", "reversescale": True,
                                      "colorbar": {"title": {"text": colorbar}}}],
            "layout": {"yaxis": {"autorange": "reversed", **axis_title(y_label)},
                       "xaxis": {**axis_title(x_label), "tickangle": -40}, "height": max(320, 18 * len(y) + 140)}}


def _difference(real: list, synthetic: list) -> list:
    return [[None if r is None or s is None else round(s - r, 4) for r, s in zip(rr, sr)]
            for rr, sr in zip(real, synthetic)]


def temporal_figures(t: dict[str, Any]) -> list[dict[str, Any]]:
    channels, lags = t["channels"], t["lags"]
    acf = t["autocorrelation"]
    lag_labels = [f"lag {k}" for k in lags]
    figs = []
    if len(channels) <= MAX_PANELS:
        real_cols = [[row[c] for row in acf["real"]] for c in range(len(channels))]
        syn_cols = [[row[c] for row in acf["synthetic"]] for c in range(len(channels))]
        figs.append(panel_figure("Autocorrelation of each channel: how strongly a reading echoes the same channel "
                                 "k steps earlier", lags, real_cols, syn_cols, channels, "lag (steps)", markers=True))
    figs += [signed_heatmap("Real data: autocorrelation (lag × channel)", acf["real"], channels, lag_labels,
                            "correlation", "channel"),
             signed_heatmap("Synthetic data: autocorrelation (lag × channel)", acf["synthetic"], channels, lag_labels,
                            "correlation", "channel"),
             signed_heatmap("Synthetic − real autocorrelation (red: more persistent in synthetic, blue: less)",
                            _difference(acf["real"], acf["synthetic"]), channels, lag_labels, "Δ", "channel")]
    if len(channels) > 1:
        cross = t["cross_correlation"]
        figs += [signed_heatmap("Real data: correlation between channels at the same step", cross["real"], channels,
                                channels, "correlation"),
                 signed_heatmap("Synthetic data: correlation between channels at the same step", cross["synthetic"],
                                channels, channels, "correlation"),
                 difference_heatmap("Synthetic − real cross-channel correlation (red: higher in synthetic, blue: "
                                    "lower)", cross["real"], cross["synthetic"], channels, "Δ correlation")]
    leads = t.get("lead_lag") or []
    if leads:
        shown = leads[:SHOWN_LEADS]
        figs.append(bar_figure("Channels that follow another: correlation of the leader with the follower k steps "
                               "later (the strongest real pairs)",
                               [f"{p['leader']} → {p['follower']} ({p['lag']})" for p in shown],
                               [p["real"] for p in shown], [p["synthetic"] for p in shown], "correlation"))
    return figs


def step_likelihood_figure(steps: dict[str, Any]) -> dict[str, Any] | None:
    real, syn = steps.get("real") or [], steps.get("synthetic") or []
    if not real and not syn:
        return None
    x = list(range(1, max(len(real), len(syn)) + 1))
    return {"title": "Where in a record the model is surprised: mean log p(step t | earlier steps), real "
                     f"{steps.get('against', 'holdout')} records vs delivered ones",
            "data": real_synthetic_lines(x, real, syn),
            "layout": {"xaxis": axis_title("step"), "yaxis": axis_title("mean log-likelihood (nats; lower = more "
                                                                        "surprising)")}}


__all__ = ["temporal_figures", "step_likelihood_figure", "signed_heatmap"]
