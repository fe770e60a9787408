"""What the sensor report metrics tell an engineer about real BasicMotions recordings vs broken generators."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
import torch
from sklearn.model_selection import train_test_split
from synthguard_sensor.metrics import (
    METRICS,
    MAX_POINTS,
    DiscriminativeMetric,
    LabelTSTRMetric,
    PredictiveMetric,
    SensorFidelityMetric,
    chance_level,
    detectable_score,
    discriminative_score,
)

DATA = Path(__file__).resolve().parents[3] / "tests" / "data" / "basic_motions.npz"


def recordings(values: np.ndarray, channels, labels=None) -> sg.SequenceSet:
    statics = pd.DataFrame({"activity": labels}) if labels is not None else None
    return sg.SequenceSet(values, list(channels), statics=statics)


@pytest.fixture(scope="module")
def motions():
    data = np.load(DATA)
    return data["values"].astype(float), data["labels"], list(data["channels"])


@pytest.fixture(scope="module")
def halves(motions):
    """Two halves of a shuffled split: a perfect 'generator' of the first half is the second half."""
    values, labels, channels = motions
    order = np.random.default_rng(0).permutation(len(values))
    first, second = order[:40], order[40:]
    return recordings(values[first], channels, labels[first]), recordings(values[second], channels, labels[second])


@pytest.fixture(scope="module")
def split(motions):
    """Training recordings and a holdout the 'generator' never saw, stratified by activity."""
    values, labels, channels = motions
    train, test = train_test_split(np.arange(len(values)), test_size=0.2, stratify=labels, random_state=0)
    return recordings(values[train], channels, labels[train]), recordings(values[test], channels, labels[test])


def white_noise(like: sg.SequenceSet, seed: int = 1) -> sg.SequenceSet:
    """A clearly broken generator: right per-channel mean and std, no dynamics at all."""
    mean, std = np.nanmean(like.values, axis=(0, 1)), np.nanstd(like.values, axis=(0, 1))
    noise = np.random.default_rng(seed).normal(mean, std, like.values.shape)
    return sg.SequenceSet(noise, like.channels, statics=like.statics)


def shuffled_in_time(records: sg.SequenceSet, seed: int = 2) -> sg.SequenceSet:
    """Real readings in random order within each recording: same histograms, destroyed dynamics."""
    rng = np.random.default_rng(seed)
    values = np.stack([rec[rng.permutation(len(rec))] for rec in records.values])
    return sg.SequenceSet(values, records.channels, statics=records.statics)


def fidelity(real, synthetic):
    return SensorFidelityMetric().compute(real, synthetic, sg.MetricContext(domain="sensor"))


def test_metrics_are_scoped_to_sensor_sequences():
    assert [m.name for m in METRICS] == ["sensor.fidelity", "sensor.discriminative", "sensor.predictive",
                                         "sensor.tstr"]
    for metric in METRICS:
        assert metric().applies_to("sequence", "sensor")
        assert not metric().applies_to("table", "sensor") and not metric().applies_to("sequence", "finance")


def test_synthetic_with_other_channels_is_refused_with_a_clear_error(halves):
    first, second = halves
    renamed = sg.SequenceSet(second.values, [f"{c}_raw" for c in second.channels])
    with pytest.raises(sg.DataError, match="channels"):
        fidelity(first, renamed)


def test_fidelity_is_small_for_real_vs_real_and_large_for_white_noise(halves):
    first, second = halves
    same, noise = fidelity(first, second), fidelity(first, white_noise(first))
    assert same["marginals"]["ks_mean"] < 0.1
    assert same["spectrum"]["mean"] < 0.2 and same["autocorrelation"]["mean"] < 0.1
    assert same["cross_correlation"]["mean_abs_difference"] < 0.1
    assert noise["spectrum"]["mean"] > 2 * same["spectrum"]["mean"]
    assert noise["autocorrelation"]["mean"] > 2 * same["autocorrelation"]["mean"]
    assert noise["cross_correlation"]["mean_abs_difference"] > same["cross_correlation"]["mean_abs_difference"]
    assert set(same["spectrum"]["channels"]) == set(first.channels)


def test_shuffling_readings_in_time_keeps_histograms_but_not_dynamics(halves):
    first, second = halves
    same, shuffled = fidelity(first, second), fidelity(first, shuffled_in_time(second))
    assert shuffled["marginals"] == same["marginals"]
    assert shuffled["autocorrelation"]["mean"] > 2 * same["autocorrelation"]["mean"]
    assert shuffled["spectrum"]["mean"] > 2 * same["spectrum"]["mean"]


def test_fidelity_figures_are_small_valid_plotly_figures(halves):
    go = pytest.importorskip("plotly.graph_objects")
    first, second = halves
    figures = fidelity(first, second)["figures"]
    assert len(figures) == 3 + 2  # traces of the first 3 channels, spectra, autocorrelation
    assert figures[0]["title"].startswith(first.channels[0])
    colours = {t["name"]: t["line"]["color"] for t in figures[0]["data"]}
    assert len(figures[0]["data"]) == 6 and colours["real"] != colours["synthetic"]
    for figure in figures:
        json.dumps(figure, allow_nan=False)
        go.Figure({"data": figure["data"], "layout": {**figure["layout"], "title": {"text": figure["title"]}}})
        assert all(len(trace["x"]) == len(trace["y"]) <= MAX_POINTS for trace in figure["data"])
    assert figures[3]["layout"]["yaxis"]["type"] == "log"


def test_discriminative_cannot_tell_real_halves_apart_but_spots_white_noise(halves):
    first, second = halves
    context = sg.MetricContext(domain="sensor")
    metric = DiscriminativeMetric()
    same, noise = metric.compute(first, second, context), metric.compute(first, white_noise(first), context)
    assert noise["score"] > 0.3 and not noise["meets_target"]
    assert same["score"] < 0.2 and same["score"] < noise["score"] - 0.15
    assert same["repeats"] == len(same["scores"]) == 3 and same["classifier"] == "2-layer LSTM"
    # every split's accuracy is a count out of the test recordings the report names
    counts = [score * same["test_recordings"] for score in same["scores"]]
    assert all(abs(2 * c - round(2 * c)) < 0.01 for c in counts)


def test_the_chance_level_is_what_a_coin_flipping_classifier_scores():
    rng = np.random.default_rng(0)
    for n in (7, 26, 36):
        flips = np.abs(rng.binomial(n, 0.5, size=200_000) / n - 0.5).mean()
        assert abs(chance_level(n) - flips) < 0.002
    assert round(chance_level(26), 3) == 0.077 and chance_level(400) < 0.02


def test_the_detectable_score_is_what_a_classifier_that_much_better_than_chance_shows_at_least_4_times_in_5():
    rng = np.random.default_rng(0)
    for n, most in ((16, 0.95), (26, 0.92), (200, 0.84)):
        edge = detectable_score(n)
        flagged = np.abs(rng.binomial(n, 0.5 + edge, size=100_000) / n - 0.5) > 1.96 * 0.5 / np.sqrt(n)
        assert 0.78 < flagged.mean() < most  # >= 80% power; conservative on few recordings (the null's spread)
    assert round(detectable_score(16), 2) == 0.35 and detectable_score(2000) < 0.035


def test_a_small_job_says_its_discriminative_score_cannot_judge_the_target(halves):
    first, second = halves
    metric = DiscriminativeMetric()
    metric.steps = 30
    result = metric.compute(first, second, sg.MetricContext(domain="sensor"))
    n = result["test_recordings"]
    assert result["detectable_score"] == pytest.approx(detectable_score(n), abs=1e-3) and not result["can_judge_target"]
    assert f"only detect scores above {result['detectable_score']:.2f}" in result["verdict"]


def test_discriminative_score_is_deterministic_and_leaves_torch_seed_alone(halves):
    first, second = halves
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    one = discriminative_score(first.values, second.values, seed=5, steps=30, repeats=1)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert discriminative_score(first.values, second.values, seed=5, steps=30, repeats=1) == one


def test_forecaster_trained_on_real_beats_one_trained_on_white_noise(split):
    train, holdout = split
    result = PredictiveMetric().compute(train, white_noise(train), sg.MetricContext(holdout=holdout))
    assert result["tested_on"] == "holdout"
    assert result["trtr_mae"] < 0.85 * result["tstr_mae"] and result["ratio"] > 1.15
    assert result["trtr_mae"] < result["persistence_mae"]  # learnt more than "next = this reading"


def test_predictive_without_holdout_tests_on_the_training_data(split):
    train, _ = split
    predictive = PredictiveMetric()
    predictive.steps = 20
    result = predictive.compute(train, train, sg.MetricContext())
    assert result["trtr_mae"] is None and result["ratio"] is None and result["tstr_mae"] > 0


def test_activity_classifier_trained_on_real_is_accurate_and_shuffled_labels_are_not(split):
    train, holdout = split
    context = sg.MetricContext(holdout=holdout, domain="sensor")
    faithful = LabelTSTRMetric().compute(train, train, context)
    assert faithful["target"] == "activity" and faithful["trtr"]["accuracy"] > 0.8
    assert faithful["tstr"] == faithful["trtr"] and faithful["accuracy_ratio"] == 1.0
    wrong_labels = pd.DataFrame({"activity": np.random.default_rng(3).permutation(train.statics["activity"])})
    broken = sg.SequenceSet(train.values, train.channels, statics=wrong_labels)
    result = LabelTSTRMetric().compute(train, broken, context)
    assert result["tstr"]["accuracy"] < 0.5 < result["trtr"]["accuracy"]
    assert result["accuracy_ratio"] < 0.6


def test_label_tstr_says_why_it_skipped(split):
    train, holdout = split
    unlabelled = sg.SequenceSet(train.values, train.channels)
    metric = LabelTSTRMetric()
    assert "label column" in metric.compute(unlabelled, unlabelled, sg.MetricContext(holdout=holdout))["skipped"]
    assert "holdout" in metric.compute(train, train, sg.MetricContext())["skipped"]
    missing = metric.compute(train, train, sg.MetricContext(holdout=holdout, target="machine"))
    assert "'machine' missing" in missing["skipped"]
    walking_only = pd.DataFrame({"activity": ["Walking"] * len(train)})
    one_class = sg.SequenceSet(train.values, train.channels, statics=walking_only)
    assert "fewer than 2 classes" in metric.compute(train, one_class, sg.MetricContext(holdout=holdout))["skipped"]


def _numbers(value):
    """Every number in a (nested) metric result."""
    if isinstance(value, dict):
        return [n for v in value.values() for n in _numbers(v)]
    if isinstance(value, list):
        return [n for v in value for n in _numbers(v)]
    return [value] if isinstance(value, float) else []


def with_gaps(records: sg.SequenceSet, seed: int) -> sg.SequenceSet:
    """5 % of readings lost, and one sensor out for a whole recording."""
    values = records.values.copy()
    values[np.random.default_rng(seed).random(values.shape) < 0.05] = np.nan
    values[0, :, 2] = np.nan
    return sg.SequenceSet(values, records.channels, statics=records.statics)


def test_missing_readings_give_finite_json_results_from_every_metric(split):
    train, holdout = with_gaps(split[0], 4), with_gaps(split[1], 5)
    context = sg.MetricContext(holdout=holdout, domain="sensor")
    results = {}
    for metric_class in METRICS:
        metric = metric_class()
        if hasattr(metric, "steps"):
            metric.steps = 20
        results[metric.name] = metric.compute(train, with_gaps(split[0], 6), context)
    for name, result in results.items():
        assert "skipped" not in result, name
        json.dumps(result, allow_nan=False)
        numbers = _numbers({k: v for k, v in result.items() if k != "figures"})
        assert numbers and all(math.isfinite(n) for n in numbers), name
    fid = results["sensor.fidelity"]
    assert None not in fid["spectrum"]["channels"].values() and None not in fid["autocorrelation"]["channels"].values()
    assert results["sensor.discriminative"]["score"] is not None and results["sensor.predictive"]["tstr_mae"] > 0
