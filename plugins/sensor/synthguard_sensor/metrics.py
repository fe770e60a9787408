"""Report metrics for sensor recordings: could the synthetic data stand in for the real data?

``sensor.fidelity`` compares what an engineer sees when plotting a channel: value
distributions (Kolmogorov–Smirnov statistic, Wasserstein distance in units of the real
std), temporal dynamics (mean autocorrelation up to ``max_lag`` steps), frequency content
(Welch spectra, Jensen–Shannon distance) and how channels move together (Pearson
correlation matrix) — a generator can match every histogram and still get the dynamics
or the vibration spectrum wrong, which is what breaks anomaly detectors and
remaining-life models. ``sensor.discriminative`` is TimeGAN's post-hoc discriminative
score (Yoon et al., 2019): how well a small recurrent classifier tells synthetic from real
recordings (|accuracy − 0.5|; 0 = indistinguishable, 0.5 = trivially told apart).
``sensor.predictive`` is TimeGAN's predictive score: next-step forecasting error on real
recordings of a recurrent model trained on synthetic ones (TSTR) beside one trained on real
ones (TRTR), i.e. whether a forecaster could be built from the synthetic data alone. Both use
LSTMs where TimeGAN used GRUs (same protocol, several times faster to train on a CPU).
``sensor.tstr`` does the same for a recording-level label (activity, fault type) with a
gradient-boosted classifier on per-recording summary features.
"""

from __future__ import annotations

import math
import warnings
from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

import numpy as np
import pandas as pd
import synthguard as sg
import torch
from scipy.signal import periodogram, welch
from scipy.spatial.distance import jensenshannon
from scipy.stats import binom, ks_2samp, norm, wasserstein_distance
from synthguard.models import AdamW, torch_threads
from synthguard.quality.figures import (REAL_COLOUR, SYNTHETIC_COLOUR, axis_title, line_trace, panel_figure,
                                        round_matrix, round_value, round_values, rounded_mean)
from torch import nn

MAX_POINTS = 300  # per figure trace, so report.json stays small
MIN_RECORDINGS = 10  # per side: below this a classifier's held-out accuracy is noise
LEARNING_RATE = 3e-3  # Adam; converges within the few hundred steps that keep a report to seconds on a CPU
DISCRIMINATIVE_STEPS, PREDICTIVE_STEPS = 250, 300
BATCH_SIZE = 32  # recurrent steps cost about linearly in batch on a CPU; 32 trains as well as 64 in half the time


# --- helpers ---------------------------------------------------------------------------------

def _names(channels: Sequence[str] | None, count: int) -> list[str]:
    """The channel names, or channel_0, channel_1... when none are given."""
    return list(channels) if channels is not None else [f"channel_{i}" for i in range(count)]


@contextmanager
def _nan_quiet() -> Iterator[None]:
    """Silence numpy's warnings about all-missing slices: those give NaN, which callers handle."""
    with warnings.catch_warnings(), np.errstate(invalid="ignore", divide="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _fill_missing(x: np.ndarray) -> np.ndarray:
    """NaN readings replaced by their recording's channel mean (0 when the whole channel is missing)."""
    with _nan_quiet():
        mean = np.nan_to_num(np.nanmean(x, axis=1, keepdims=True))
    return np.where(np.isnan(x), mean, x)


def _channel_stats(reference: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and std of the observed readings (std 1 for a constant channel)."""
    mean, std = np.nanmean(reference, axis=(0, 1)), np.nanstd(reference, axis=(0, 1))
    return mean, np.where(std > 0, std, 1.0)


def _standardised(x: np.ndarray, stats: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """float32 (x − mean) / std, NaN kept."""
    return ((x - stats[0]) / stats[1]).astype(np.float32)


def _tensor(x: np.ndarray) -> torch.Tensor:
    """Model input: missing (standardised) readings become 0, the channel mean."""
    return torch.from_numpy(np.nan_to_num(x))


def _check_pair(real: sg.SequenceSet, synthetic: sg.SequenceSet) -> None:
    """Refuse synthetic recordings whose channels or length differ from the real ones."""
    if list(real.channels) != list(synthetic.channels):
        raise sg.DataError(f"synthetic channels {synthetic.channels} differ from the real {real.channels}")
    if real.values.shape[1] != synthetic.values.shape[1]:
        raise sg.DataError(f"synthetic recordings have {synthetic.values.shape[1]} steps, "
                           f"the real ones {real.values.shape[1]}: expected the same length")


# --- fidelity --------------------------------------------------------------------------------

def marginal_distances(real: np.ndarray, syn: np.ndarray, channels: Sequence[str] | None = None) -> dict[str, Any]:
    """Per-channel KS statistic and Wasserstein distance (divided by the real std) of the observed readings."""
    names = _names(channels, real.shape[2])
    per_channel = {}
    for i, name in enumerate(names):
        r, s = real[..., i][~np.isnan(real[..., i])], syn[..., i][~np.isnan(syn[..., i])]
        if not len(r) or not len(s):
            per_channel[name] = {"ks": None, "wasserstein": None}
            continue
        scale = float(np.std(r)) or 1.0
        per_channel[name] = {"ks": round_value(ks_2samp(r, s).statistic),
                             "wasserstein": round_value(wasserstein_distance(r, s) / scale)}
    return {"channels": per_channel, **{f"{key}_mean": rounded_mean([v[key] for v in per_channel.values()])
                                        for key in ("ks", "wasserstein")}}


def default_max_lag(length: int) -> int:
    """min(T/4, 20) lags, at least 1."""
    return max(1, min(length // 4, 20))


def recording_autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """(N, C, max_lag) autocorrelation of each recording at lags 1..max_lag over pairs of observed readings.

    Written with numpy because statsmodels' acf handles one series at a time and is no dependency here.
    """
    observed = ~np.isnan(x)
    with _nan_quiet():
        centred = np.where(observed, x - np.nanmean(x, axis=1, keepdims=True), 0.0)
        variance = (centred ** 2).sum(1) / observed.sum(1)
        lags = [(centred[:, :-k] * centred[:, k:]).sum(1) / (observed[:, :-k] & observed[:, k:]).sum(1)
                for k in range(1, max_lag + 1)]
        return np.stack(lags, axis=-1) / variance[..., None]


def mean_autocorrelation(x: np.ndarray, max_lag: int) -> np.ndarray:
    """(C, max_lag) autocorrelation averaged over recordings (constant or missing recordings skipped)."""
    with _nan_quiet():
        return np.nanmean(recording_autocorrelation(x, max_lag), axis=0)


def autocorrelation_difference(real: np.ndarray, syn: np.ndarray, channels: Sequence[str] | None = None,
                               max_lag: int | None = None) -> dict[str, Any]:
    """Mean absolute difference of the per-channel mean ACF at lags 1..max_lag (default min(T/4, 20))."""
    max_lag = max_lag or default_max_lag(real.shape[1])
    diff = np.abs(mean_autocorrelation(real, max_lag) - mean_autocorrelation(syn, max_lag))
    with _nan_quiet():
        per_channel = np.nanmean(diff, axis=1)
    names = _names(channels, real.shape[2])
    return {"max_lag": max_lag, "channels": {n: round_value(v) for n, v in zip(names, per_channel)},
            "mean": rounded_mean(round_values(per_channel))}


def correlation_matrix(x: np.ndarray) -> np.ndarray:
    """(C, C) Pearson correlation of the channels, readings pooled over recordings and steps (pairwise-complete)."""
    return pd.DataFrame(x.reshape(-1, x.shape[2])).corr().to_numpy()


def cross_correlation_difference(real: np.ndarray, syn: np.ndarray,
                                 channels: Sequence[str] | None = None) -> dict[str, Any]:
    """Mean and max absolute difference of the off-diagonal channel × channel correlations."""
    rc, sc = correlation_matrix(real), correlation_matrix(syn)
    diff = np.abs(rc - sc)[~np.eye(len(rc), dtype=bool)]
    finite = diff[np.isfinite(diff)]
    return {"mean_abs_difference": round_value(finite.mean()) if finite.size else None,
            "max_abs_difference": round_value(finite.max()) if finite.size else None,
            "channels": _names(channels, real.shape[2]), "real": round_matrix(rc), "synthetic": round_matrix(sc)}


def mean_spectrum(x: np.ndarray, fs: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Frequencies and (C, F) Welch power spectra, each recording's normalised to sum 1, averaged over recordings."""
    freqs, psd = welch(_fill_missing(x), fs=fs, nperseg=min(x.shape[1], 64), axis=1)
    with _nan_quiet():
        psd = psd / psd.sum(axis=1, keepdims=True)
        return freqs, np.nanmean(psd, axis=0).T


def spectrum_distance(real: np.ndarray, syn: np.ndarray, channels: Sequence[str] | None = None,
                      fs: float = 1.0) -> dict[str, Any]:
    """Per-channel Jensen–Shannon distance (base 2: 0 identical, 1 disjoint) of the mean Welch spectra."""
    _, pr = mean_spectrum(real, fs)
    _, ps = mean_spectrum(syn, fs)
    names = _names(channels, real.shape[2])
    per_channel = {n: round_value(jensenshannon(a, b, base=2)) for n, a, b in zip(names, pr, ps)}
    return {"channels": per_channel, "mean": rounded_mean(list(per_channel.values()))}


# --- TimeGAN discriminative and predictive scores ----------------------------------------------

class _RNNClassifier(nn.Module):
    """Two-layer LSTM; the last step's output gives the real-vs-synthetic logit.

    LSTM rather than TimeGAN's GRU: PyTorch's oneDNN LSTM kernel trains ~4× faster on a CPU,
    so the classifier gets more steps within a report's few seconds.
    """

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.rnn = nn.LSTM(channels, hidden, num_layers=2, batch_first=True)
        self.head = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x)[0][:, -1]).squeeze(-1)


class _RNNForecaster(nn.Module):
    """One-layer LSTM predicting every channel of step t+1 from steps ≤ t (LSTM for speed, as above)."""

    def __init__(self, channels: int, hidden: int):
        super().__init__()
        self.rnn = nn.LSTM(channels, hidden, batch_first=True)
        self.head = nn.Linear(hidden, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(x)[0])


def _hidden_size(channels: int) -> int:
    """Small on purpose: TimeGAN's post-hoc models are deliberately weak, and this keeps them fast."""
    return max(channels, 16)


def _train(model: nn.Module, loss: Callable[[np.ndarray], torch.Tensor], n: int, steps: int,
           batch_size: int, rng: np.random.Generator) -> None:
    """Adam on random mini-batches of row indices (TimeGAN's batch generator)."""
    optimiser = AdamW(model.parameters(), lr=LEARNING_RATE, decoupled=False)  # torch.optim.Adam's update
    for _ in range(steps):
        optimiser.zero_grad()
        loss(rng.choice(n, size=min(batch_size, n), replace=False)).backward()
        optimiser.step()


def _discriminate_once(real: np.ndarray, syn: np.ndarray, stats: tuple[np.ndarray, np.ndarray], seed: int,
                       steps: int, batch_size: int) -> tuple[float, int]:
    """Held-out accuracy of one classifier trained on a balanced, freshly split real/synthetic set, and the
    number of held-out recordings it was measured on."""
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(seed)
    n = min(len(real), len(syn))
    x = np.concatenate([real[rng.permutation(len(real))[:n]], syn[rng.permutation(len(syn))[:n]]])
    x, y = _tensor(_standardised(x, stats)), torch.cat([torch.ones(n), torch.zeros(n)])
    train, test = train_test_split(np.arange(2 * n), test_size=0.2, stratify=y.numpy(), random_state=seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _RNNClassifier(x.shape[2], _hidden_size(x.shape[2]))
    bce = nn.BCEWithLogitsLoss()
    _train(model, lambda idx: bce(model(x[train[idx]]), y[train[idx]]), len(train), steps, batch_size, rng)
    with torch.no_grad():
        return float(((model(x[test]) > 0).float() == y[test]).float().mean()), len(test)


def chance_level(test_recordings: int) -> float:
    """E|accuracy − 0.5| of a classifier that cannot tell the sides apart, on this many test recordings.

    Its accuracy is then Binomial(n, ½)/n, so even synthetic recordings as good as new real ones do not
    score 0 on a small panel: 26 test recordings (64 per side) give 0.077, 36 give 0.066.
    """
    k = np.arange(test_recordings + 1)
    return float((binom.pmf(k, test_recordings, 0.5) * np.abs(k / test_recordings - 0.5)).sum())


def detectable_score(test_recordings: int) -> float:
    """Smallest |accuracy − 0.5| this many test recordings tell from chance with 80% power at the 5% level.

    A classifier's held-out accuracy on n recordings has standard error 0.5/√n when it cannot tell the sides
    apart, so a true excess below (z₀.₉₇₅ + z₀.₈)·0.5/√n is detected with less than 80% power at the 5% level —
    the privacy audit's minimum detectable excess, for this score. Conservative twice: the null's spread is used
    for both sides (the exact binomial power at this excess is 92% on 16 recordings, 82% on 200), and the repeats
    re-split the same recordings, so they are not counted as independent tests. 16 test recordings can only see 0.35, 26 see 0.27, 2,000 see 0.031.
    """
    return float((norm.ppf(0.975) + norm.ppf(0.8)) * 0.5 / np.sqrt(test_recordings))


def discriminative_score(real: np.ndarray, syn: np.ndarray, seed: int = 0, steps: int = DISCRIMINATIVE_STEPS,
                         repeats: int = 3, batch_size: int = BATCH_SIZE) -> dict[str, Any]:
    """TimeGAN's post-hoc discriminative score, mean and std over ``repeats`` seeds and splits.

    Each repeat subsamples the larger side to equal counts, standardises with the real
    channel mean/std (missing readings → 0), trains a 2-layer LSTM for ``steps`` Adam steps on
    80 % and scores |accuracy − 0.5| on the other 20 %. ``chance_level`` is what indistinguishable
    recordings would score on average at that test size (:func:`chance_level`).
    """
    stats = _channel_stats(real)
    with torch_threads(1):  # tiny networks (hidden 16): one thread is the faster
        runs = [_discriminate_once(real, syn, stats, seed + r, steps, batch_size) for r in range(repeats)]
    accuracies = np.array([accuracy for accuracy, _ in runs])
    scores = np.abs(accuracies - 0.5)
    test = runs[0][1]  # the same size every split: 20% of the balanced set
    return {"score": round_value(scores.mean()), "std": round_value(scores.std()), "scores": round_values(scores),
            "test_accuracy": round_value(accuracies.mean()), "test_recordings": test,
            "chance_level": round_value(chance_level(test)), "detectable_score": round_value(detectable_score(test))}


def _next_step_error(model: nn.Module, x: torch.Tensor, observed: torch.Tensor) -> torch.Tensor:
    """Mean absolute next-step error over the observed targets."""
    error = (model(x[:, :-1]) - x[:, 1:]).abs() * observed[:, 1:]
    return error.sum() / observed[:, 1:].sum().clamp(min=1)


def predictive_score(train_on: np.ndarray, test_on: np.ndarray, reference: np.ndarray, seed: int = 0,
                     steps: int = PREDICTIVE_STEPS, batch_size: int = BATCH_SIZE) -> float | None:
    """TimeGAN's predictive score: next-step MAE on ``test_on`` of an LSTM trained on ``train_on``.

    Both are standardised with ``reference``'s channel mean/std (the real training data), so
    scores from different training sets are in the same units.
    """
    stats = _channel_stats(reference)
    train, test = _standardised(train_on, stats), _standardised(test_on, stats)
    x_train, m_train = _tensor(train), torch.from_numpy(~np.isnan(train)).float()
    rng = np.random.default_rng(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = _RNNForecaster(train.shape[2], _hidden_size(train.shape[2]))
    with torch_threads(1):  # tiny networks (hidden 16): one thread is the faster
        _train(model, lambda idx: _next_step_error(model, x_train[idx], m_train[idx]), len(train), steps, batch_size,
               rng)
        with torch.no_grad():
            return round_value(_next_step_error(model, _tensor(test), torch.from_numpy(~np.isnan(test)).float()))


def persistence_error(x: np.ndarray, reference: np.ndarray) -> float | None:
    """MAE of the naive forecast 'next reading = this reading', in ``reference`` std units: a yardstick."""
    with _nan_quiet():
        return round_value(np.nanmean(np.abs(np.diff(_standardised(x, _channel_stats(reference)), axis=1))))


# --- label TSTR --------------------------------------------------------------------------------

def recording_features(x: np.ndarray, bands: int = 4) -> np.ndarray:
    """(N, C × (9 + bands)) summary features of each recording's channels, NaN-aware.

    Per channel: mean, std, min, max, 10/50/90 % quantiles, mean absolute first difference,
    lag-1 autocorrelation and the share of spectral power (above DC) in ``bands`` equal-width bands.
    """
    with _nan_quiet():
        quantiles = np.nanquantile(x, [0.1, 0.5, 0.9], axis=1)
        power = periodogram(_fill_missing(x), axis=1)[1][:, 1:]
        total = power.sum(axis=1)
        columns = [np.nanmean(x, 1), np.nanstd(x, 1), np.nanmin(x, 1), np.nanmax(x, 1), *quantiles,
                   np.nanmean(np.abs(np.diff(x, axis=1)), 1), recording_autocorrelation(x, 1)[..., 0],
                   *[band.sum(axis=1) / total for band in np.array_split(power, bands, axis=1)]]
    return np.stack(columns, axis=-1).reshape(len(x), -1)


def default_label_column(statics: pd.DataFrame) -> str | None:
    """The first static column with 2–50 distinct values (a plausible class label), or None."""
    return next((c for c in statics.columns if 2 <= statics[c].nunique(dropna=True) <= 50), None)


def _labelled(records: sg.SequenceSet, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Features and string labels of the recordings whose label is known."""
    labels = records.statics[column]
    keep = labels.notna().to_numpy()
    return recording_features(records.values[keep]), labels[keep].astype(str).to_numpy()


def _classify(x: np.ndarray, y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> dict[str, Any] | None:
    """Accuracy and macro-F1 on the test set of a gradient-boosted classifier; None if y has one class."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import accuracy_score, f1_score

    if len(np.unique(y)) < 2:
        return None
    predicted = HistGradientBoostingClassifier(random_state=0).fit(x, y).predict(x_test)
    return {"accuracy": round_value(accuracy_score(y_test, predicted)),
            "macro_f1": round_value(f1_score(y_test, predicted, average="macro", zero_division=0))}


def label_tstr(real_train: sg.SequenceSet, syn: sg.SequenceSet, real_test: sg.SequenceSet | None,
               label_column: str | None) -> dict[str, Any]:
    """Label classifier trained on synthetic (TSTR) and on real training recordings (TRTR), both tested on real_test."""
    if real_test is None:
        return {"skipped": "needs a real holdout split the generator never saw"}
    if label_column is None:
        return {"skipped": "no label column: pass a target, or give the recordings a static column "
                           "with 2-50 distinct values"}
    missing = [name for name, s in (("real", real_train), ("synthetic", syn), ("holdout", real_test))
               if label_column not in s.statics.columns]
    if missing:
        return {"skipped": f"label column {label_column!r} missing from the {', '.join(missing)} recordings"}
    (x_real, y_real), (x_syn, y_syn), (x_test, y_test) = (_labelled(s, label_column)
                                                          for s in (real_train, syn, real_test))
    if len(np.unique(y_syn)) < 2:
        return {"skipped": f"synthetic recordings hold fewer than 2 classes of {label_column!r}"}
    tstr, trtr = _classify(x_syn, y_syn, x_test, y_test), _classify(x_real, y_real, x_test, y_test)
    ratio = round_value(tstr["accuracy"] / trtr["accuracy"]) if trtr and trtr["accuracy"] else None
    return {"target": label_column, "classes": sorted(set(y_real) | set(y_syn)), "classifier":
            "HistGradientBoosting on per-recording features", "tstr": tstr, "trtr": trtr,
            "accuracy_ratio": ratio, "holdout_records": len(y_test)}


# --- figures -----------------------------------------------------------------------------------

def _trace_figure(real: np.ndarray, syn: np.ndarray, channel: str, time: np.ndarray, time_label: str,
                  stride: int) -> dict[str, Any]:
    """One channel's picked real (solid blue) and synthetic (dashed orange) recordings over time."""
    data = [line_trace(time, rec[::stride], label, colour, dash, show_legend=i == 0)
            for label, recs, colour, dash in (("real", real, REAL_COLOUR, "solid"),
                                              ("synthetic", syn, SYNTHETIC_COLOUR, "dash"))
            for i, rec in enumerate(recs)]
    return {"title": f"{channel}: {len(real)} real vs {len(syn)} synthetic recordings", "data": data,
            "layout": {"xaxis": axis_title(time_label), "yaxis": axis_title(channel)}}


def trace_figures(real: np.ndarray, syn: np.ndarray, channels: Sequence[str] | None = None, k: int = 3,
                  seed: int = 0, sampling_period: float | None = None,
                  max_lag: int | None = None) -> list[dict[str, Any]]:
    """Plotly figure dicts: k real vs k synthetic traces for the first 3 channels, mean spectra, mean ACFs.

    Traces are the first k recordings of a permutation seeded with ``seed``; long recordings
    are strided to at most ``MAX_POINTS`` points.
    """
    names = _names(channels, real.shape[2])
    rng = np.random.default_rng(seed)
    picked_real, picked_syn = real[rng.permutation(len(real))[:k]], syn[rng.permutation(len(syn))[:k]]
    length = real.shape[1]
    stride = math.ceil(length / MAX_POINTS)
    steps = np.arange(0, length, stride)
    time, time_label = (steps * sampling_period, "time (s)") if sampling_period else (steps, "step")
    figures = [_trace_figure(picked_real[..., i], picked_syn[..., i], name, time, time_label, stride)
               for i, name in enumerate(names[:3])]
    fs, freq_label = (1 / sampling_period, "frequency (Hz)") if sampling_period else (1.0, "frequency (cycles/step)")
    freqs, psd_real = mean_spectrum(real, fs)
    _, psd_syn = mean_spectrum(syn, fs)
    figures.append(panel_figure("Mean power spectrum (share of power per frequency)", freqs[1:],
                                psd_real[:, 1:], psd_syn[:, 1:], names, freq_label, log_y=True))
    max_lag = max_lag or default_max_lag(length)
    lags = np.arange(1, max_lag + 1)
    figures.append(panel_figure("Mean autocorrelation", lags, mean_autocorrelation(real, max_lag),
                                mean_autocorrelation(syn, max_lag), names, "lag (steps)"))
    return figures


# --- report metrics ----------------------------------------------------------------------------

class _SensorMetric(sg.Metric):
    """Runs for sequence data behind sensor-domain generators."""

    modalities = frozenset({"sequence"})
    domains = frozenset({"sensor"})


class SensorFidelityMetric(_SensorMetric):
    """Marginals, autocorrelation, cross-channel correlation and spectra of synthetic vs real recordings."""

    name = "sensor.fidelity"
    description = ("per-channel KS / Wasserstein, autocorrelation, cross-channel correlation and "
                   "power-spectrum distances (0 = identical), with trace, spectrum and ACF plots")
    traces_per_side = 3
    seed = 0

    def compute(self, real: sg.SequenceSet, synthetic: sg.SequenceSet, context: sg.MetricContext) -> dict[str, Any]:
        _check_pair(real, synthetic)
        r, s, channels = real.values, synthetic.values, real.channels
        fs = 1 / real.sampling_period if real.sampling_period else 1.0
        return {"marginals": marginal_distances(r, s, channels),
                "autocorrelation": autocorrelation_difference(r, s, channels),
                "cross_correlation": cross_correlation_difference(r, s, channels),
                "spectrum": spectrum_distance(r, s, channels, fs),
                "figures": trace_figures(r, s, channels, self.traces_per_side, self.seed, real.sampling_period)}


class DiscriminativeMetric(_SensorMetric):
    """TimeGAN discriminative score of synthetic vs the real training recordings."""

    name = "sensor.discriminative"
    description = ("how well a 2-layer LSTM tells synthetic from real recordings: |accuracy − 0.5|, 0 is best; "
                   "chance_level is what recordings it cannot tell apart score on this many test recordings")
    steps = DISCRIMINATIVE_STEPS
    repeats = 3
    batch_size = BATCH_SIZE
    seed = 0
    target = 0.1

    def compute(self, real: sg.SequenceSet, synthetic: sg.SequenceSet, context: sg.MetricContext) -> dict[str, Any]:
        _check_pair(real, synthetic)
        if min(len(real), len(synthetic)) < MIN_RECORDINGS:
            return {"skipped": f"needs at least {MIN_RECORDINGS} real and {MIN_RECORDINGS} synthetic recordings"}
        result = discriminative_score(real.values, synthetic.values, self.seed, self.steps, self.repeats,
                                      self.batch_size)
        judgeable = result["detectable_score"] <= self.target
        return {**result, "repeats": self.repeats, "target": self.target,
                "meets_target": result["score"] is not None and result["score"] <= self.target,
                "can_judge_target": judgeable,
                "verdict": _discriminative_verdict(result, self.target, judgeable),
                "classifier": "2-layer LSTM", "training_steps": self.steps,
                "recordings_per_side": min(len(real), len(synthetic))}


def _discriminative_verdict(result: dict[str, Any], target: float, judgeable: bool) -> str:
    """One sentence: the score beside what this many test recordings can detect."""
    score, detectable, n = result["score"], result["detectable_score"], result["test_recordings"]
    if score is None:
        return "no score"
    if not judgeable:
        return (f"{score:.3f} on {n} test recordings, which only detect scores above {detectable:.2f} (80% power): "
                f"too few to tell a generator that meets {target} from one that does not")
    return (f"{score:.3f} {'meets' if score <= target else 'misses'} the target {target} "
            f"({n} test recordings detect scores above {detectable:.3f})")


class PredictiveMetric(_SensorMetric):
    """TimeGAN predictive score: next-step MAE on real recordings, LSTM trained on synthetic vs on real."""

    name = "sensor.predictive"
    description = ("next-step forecasting MAE (real-std units) on real recordings of an LSTM trained on "
                   "synthetic (TSTR) vs on real (TRTR) data; ratio near 1 is best")
    steps = PREDICTIVE_STEPS
    batch_size = BATCH_SIZE
    seed = 0

    def compute(self, real: sg.SequenceSet, synthetic: sg.SequenceSet, context: sg.MetricContext) -> dict[str, Any]:
        _check_pair(real, synthetic)
        holdout = context.holdout
        test = holdout.values if holdout is not None else real.values
        tstr = predictive_score(synthetic.values, test, real.values, self.seed, self.steps, self.batch_size)
        trtr = (predictive_score(real.values, test, real.values, self.seed, self.steps, self.batch_size)
                if holdout is not None else None)
        return {"tstr_mae": tstr, "trtr_mae": trtr,
                "ratio": round_value(tstr / trtr) if tstr is not None and trtr else None,
                "persistence_mae": persistence_error(test, real.values),
                "tested_on": "holdout" if holdout is not None else "real training data (no holdout)",
                "model": "1-layer LSTM, next step of every channel", "training_steps": self.steps}


class LabelTSTRMetric(_SensorMetric):
    """Recording-label classifier trained on synthetic vs on real recordings, both tested on the real holdout."""

    name = "sensor.tstr"
    description = ("accuracy / macro-F1 on the real holdout of a label classifier trained on synthetic "
                   "(TSTR) vs real (TRTR) recordings")

    def compute(self, real: sg.SequenceSet, synthetic: sg.SequenceSet, context: sg.MetricContext) -> dict[str, Any]:
        _check_pair(real, synthetic)
        column = context.target or default_label_column(real.statics)
        return label_tstr(real, synthetic, context.holdout, column)


METRICS = (SensorFidelityMetric, DiscriminativeMetric, PredictiveMetric, LabelTSTRMetric)
