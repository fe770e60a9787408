"""What a sequence generator captured over time and across channels, real vs synthetic (model-free).

One quantity underlies everything here: the lagged correlation ``R[k, a, b]`` = corr(a at step t, b at step
t + k), pooled over records and steps, each record's channel centred at its own mean (so it measures how
readings move *within* a recording, not how recordings differ in level), missing readings left out pairwise.

* per-channel autocorrelation at lags 1..L: the diagonal ``R[k, c, c]``;
* cross-channel correlation at the same step: ``R[0]``;
* lead-lag: for two channels, the lag k ≥ 1 where |R[k, a, b]| is largest — "b follows a by k steps".

Written here with numpy (einsum over records × steps): statsmodels' ``acf``/``ccf`` take one 1-D series at a
time and neither pools over records nor skips missing readings pairwise.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..data import SequenceSet
from ..quality.figures import round_matrix, round_value

#: Records a side the correlations are computed on (a seeded sample beyond it).
MAX_RECORDS = 2000
#: Most lags shown (fewer when records are short: at most a quarter of their length, at least 1).
MAX_LAG = 24
#: A lead-lag pair is named only when its correlation beats the same pair's at the same step by this much...
LEAD_MARGIN = 0.05
#: ...and is at least this strong (weaker ones are noise at the sizes explained here).
MIN_LEAD = 0.2
#: A miss is named in words only when synthetic and real differ by at least this much.
MIN_MISS = 0.1


def max_lag(length: int) -> int:
    """Lags 1..L: L = min(MAX_LAG, length // 4), at least 1 (and below the length)."""
    return max(1, min(MAX_LAG, length // 4, length - 1))


def _sample(values: np.ndarray, seed: int) -> np.ndarray:
    if len(values) <= MAX_RECORDS:
        return values
    return values[np.sort(np.random.default_rng(seed).choice(len(values), MAX_RECORDS, replace=False))]


def lagged_correlation(values: np.ndarray, lags: int) -> np.ndarray:
    """(lags + 1, C, C): ``R[k, a, b]`` = corr(a_t, b_{t+k}) over records and steps (NaN: undefined)."""
    with np.errstate(invalid="ignore"):
        centred = values - np.nanmean(values, axis=1, keepdims=True)
    mask = np.isfinite(centred)
    x = np.where(mask, centred, 0.0)
    m = mask.astype(float)
    t, c = values.shape[1], values.shape[2]
    out = np.full((lags + 1, c, c), np.nan)
    for k in range(lags + 1):
        a, b, ma, mb = x[:, : t - k], x[:, k:], m[:, : t - k], m[:, k:]
        num = np.einsum("ntc,ntd->cd", a, b)  # a missing reading is 0: its products vanish
        den = np.einsum("ntc,ntd->cd", a * a, mb) * np.einsum("ntc,ntd->cd", ma, b * b)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[k] = np.where(den > 0, num / np.sqrt(den), np.nan)
    return out


def _lead_lags(r: np.ndarray, channels: list[str]) -> list[dict[str, Any]]:
    """For each ordered pair (a, b), a != b: the lag k >= 1 where |corr(a_t, b_{t+k})| peaks, if it beats lag 0."""
    out = []
    for i, a in enumerate(channels):
        for j, b in enumerate(channels):
            if i == j or r.shape[0] < 2:
                continue
            series = np.abs(np.nan_to_num(r[1:, i, j], nan=0.0))
            k = int(np.argmax(series)) + 1
            same_step = abs(float(np.nan_to_num(r[0, i, j], nan=0.0)))
            if series[k - 1] >= MIN_LEAD and series[k - 1] > same_step + LEAD_MARGIN:
                out.append({"leader": a, "follower": b, "lag": k, "real": round_value(r[k, i, j])})
    return sorted(out, key=lambda p: -abs(p["real"] or 0))


def temporal_structure(real: SequenceSet, synthetic: SequenceSet, seed: int = 0, misses: int = 5) -> dict[str, Any]:
    """Autocorrelation, cross-channel correlation and lead-lag pairs of both sides; the largest misses in words."""
    channels = list(real.channels)
    idx = [list(synthetic.channels).index(c) for c in channels]
    lags = max_lag(min(real.values.shape[1], synthetic.values.shape[1]))
    r = lagged_correlation(_sample(real.values, seed), lags)
    s = lagged_correlation(_sample(synthetic.values[..., idx], seed), lags)
    acf_r, acf_s = np.einsum("kcc->kc", r)[1:], np.einsum("kcc->kc", s)[1:]  # (lags, C)

    acf_pairs = [{"channel": ch, "lag": k + 1, "real": round_value(acf_r[k, c]), "synthetic": round_value(acf_s[k, c])}
                 for c, ch in enumerate(channels) for k in range(lags)]
    cross_pairs = [{"columns": [channels[i], channels[j]], "real": round_value(r[0, i, j]),
                    "synthetic": round_value(s[0, i, j])} for i in range(len(channels)) for j in range(i + 1, len(channels))]
    leads = _lead_lags(r, channels)
    for p in leads:
        i, j = channels.index(p["leader"]), channels.index(p["follower"])
        p["synthetic"] = round_value(s[p["lag"], i, j])
    for p in (*acf_pairs, *cross_pairs, *leads):
        p["difference"] = (round_value(p["synthetic"] - p["real"])
                           if p["real"] is not None and p["synthetic"] is not None else None)

    def worst(pairs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return sorted((p for p in pairs if p["difference"] is not None), key=lambda p: -abs(p["difference"]))[:misses]

    lag1 = [p for p in acf_pairs if p["lag"] == 1 and p["real"] is not None]
    per_channel = {}  # the words name each channel's worst lag once (its neighbouring lags miss alike)
    for p in sorted((q for q in acf_pairs if q["difference"] is not None), key=lambda q: -abs(q["difference"])):
        per_channel.setdefault(p["channel"], p)
    misses_all = ([("autocorrelation", p) for p in per_channel.values()] + [("cross", p) for p in worst(cross_pairs)]
                  + [("lead", p) for p in worst(leads)])
    misses_all.sort(key=lambda kp: -abs(kp[1]["difference"]))
    return {"channels": channels, "lags": list(range(1, lags + 1)), "records": {"real": int(min(len(real), MAX_RECORDS)),
            "synthetic": int(min(len(synthetic), MAX_RECORDS))},
            "measure": "Pearson correlation within records (each record's channel centred at its own mean), "
                       "pooled over records and steps",
            "autocorrelation": {"real": round_matrix(acf_r), "synthetic": round_matrix(acf_s),
                                "mean_abs_difference": _mean_abs(acf_r, acf_s),
                                "largest_misses": worst(acf_pairs),
                                "most_persistent": [p["channel"] for p in sorted(lag1, key=lambda p: -p["real"])][:misses]},
            "cross_correlation": {"real": round_matrix(r[0]), "synthetic": round_matrix(s[0]),
                                  "mean_abs_difference": _mean_abs(_upper(r[0]), _upper(s[0])),
                                  "largest_misses": worst(cross_pairs),
                                  "strongest": [p["columns"] for p in sorted(
                                      (p for p in cross_pairs if p["real"] is not None),
                                      key=lambda p: -abs(p["real"]))][:misses]},
            "lead_lag": leads[: 4 * misses],
            "miss_threshold": MIN_MISS,
            "largest_misses_text": [describe(kind, p) for kind, p in misses_all[:misses]
                                    if abs(p["difference"]) >= MIN_MISS]}


def _upper(m: np.ndarray) -> np.ndarray:
    return m[np.triu_indices(len(m), 1)]


def _mean_abs(a: np.ndarray, b: np.ndarray) -> float | None:
    d = np.abs(np.asarray(b, dtype=float) - np.asarray(a, dtype=float))
    return round_value(float(np.nanmean(d))) if np.isfinite(d).any() else None


def _steps(k: int) -> str:
    return f"{k} step{'s' if k != 1 else ''}"


def describe(kind: str, p: dict[str, Any]) -> str:
    """One miss in words: ``"c, lag 1: real 0.90, synthetic 0.12 (autocorrelation)"``."""
    if kind == "autocorrelation":
        return (f"{p['channel']} at lag {p['lag']}: real {p['real']:.2f}, synthetic {p['synthetic']:.2f} "
                "(autocorrelation)")
    if kind == "cross":
        a, b = p["columns"]
        return f"{a} × {b} at the same step: real {p['real']:.2f}, synthetic {p['synthetic']:.2f} (correlation)"
    return (f"{p['follower']} follows {p['leader']} by {_steps(p['lag'])}: real {p['real']:.2f}, synthetic "
            f"{p['synthetic']:.2f} (correlation of {p['leader']} with {p['follower']} {_steps(p['lag'])} later)")


def describe_lead(p: dict[str, Any]) -> str:
    """``"b follows a by 1 step (real 0.95, synthetic 0.40)"``."""
    syn = f"{p['synthetic']:.2f}" if p.get("synthetic") is not None else "—"
    return f"{p['follower']} follows {p['leader']} by {_steps(p['lag'])} (real {p['real']:.2f}, synthetic {syn})"


__all__ = ["temporal_structure", "lagged_correlation", "max_lag", "describe", "describe_lead", "MAX_LAG", "MAX_RECORDS"]
