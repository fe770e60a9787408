"""The traffic forecaster `synthguard augment traffic` measures: the rest of a day's riders from its first half."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import synthguard_traffic.plugin as traffic_plugin
import torch

import synthguard as sg
from synthguard.augment_tasks import choose_task
from synthguard_traffic.forecast_task import TrafficForecastTask, features

torch.set_num_threads(1)


def days(n: int, seed: int, start: str = "2011-01-03") -> sg.SequenceSet:
    """Hourly riders and temperature per day; the afternoon's riders are 1.5x the morning's, halved at weekends."""
    rng = np.random.default_rng(seed)
    starts = pd.date_range(start, periods=n, freq="D")
    level = rng.uniform(50, 150, n) * np.where(starts.dayofweek >= 5, 0.5, 1.0)
    shape = np.r_[np.full(12, 1.0), np.full(12, 1.5)]
    riders = level[:, None] * shape[None, :] + rng.normal(0, 3, (n, 24))
    temp = rng.normal(15, 5, (n, 1)) + rng.normal(0, 1, (n, 24))
    return sg.SequenceSet(np.stack([riders, temp], axis=-1), ["riders", "temp"], pd.DataFrame({"season": ["w"] * n}),
                          sampling_period=3600.0, start_times=starts.to_numpy(), entity_name="day")


def test_the_forecaster_learns_the_rest_of_the_day_from_its_first_half():
    task = TrafficForecastTask()
    train, holdout = days(200, 0), days(60, 1, start="2012-01-02")
    assert task.kind(train, "riders") == "regression"
    y = task.labels(holdout, "riders")
    assert np.allclose(y, holdout.values[:, 12:, 0].sum(axis=1))

    predicted = task.fit_predict(train, holdout, "riders", seed=0).values
    assert np.abs(predicted - y).mean() < 0.1 * y.std()  # far better than predicting the mean day
    assert features(train).shape == (200, 12 * 2 + 3)


def test_a_day_missing_most_of_its_afternoon_has_no_target():
    records = days(3, 0)
    values = records.values.copy()
    values[0, 12:20, 0] = np.nan  # 8 of 12 afternoon hours missing
    values[1, 12, 0] = np.nan  # one hour missing: filled at the day's rate
    y = TrafficForecastTask().labels(sg.SequenceSet(values, records.channels, records.statics,
                                                    start_times=records.start_times), "riders")
    assert np.isnan(y[0]) and y[1] == pytest.approx(np.nansum(values[1, 12:, 0]) * 12 / 11)


def test_the_traffic_plugin_registers_it_for_its_domain_and_bad_targets_are_named():
    registry = sg.Engine(plugins=[traffic_plugin], load_entrypoints=False).registry
    tasks = [entry.obj for entry in registry.downstream_tasks.values()]
    assert choose_task(tasks, "sequence", "traffic").name == "traffic.forecast"
    assert choose_task(tasks, "sequence", "sensor").name == "core.sequence"
    task = TrafficForecastTask()
    assert task.kind(days(30, 0), "season") == "classification"  # a static attribute: the core's summaries
    with pytest.raises(sg.DataError, match="--target speed: unknown channel or static attribute 'speed': "
                                           "expected one of riders, temp, season"):
        task.labels(days(3, 0), "speed")


def test_augment_traffic_on_bikeshare_reports_the_forecasters_error(tmp_path):
    engine = sg.Engine(plugins=[traffic_plugin], load_entrypoints=False)
    result = engine.augment("traffic", dataset="bikeshare", target="registered", regimes=[1], ratios=[1],
                     bootstrap=20, out=tmp_path / "out", options={"audit": False})
    m = result.report["augmentation"]["measurement"]
    assert (m["task"]["name"], m["metric"]) == ("traffic.forecast", "mae")
    arms = {a["arm"]: a for a in m["regimes"][0]["arms"]}
    assert arms["real"]["mae"] > 0 and "uplift" in arms["real + synthetic ×1"]
    assert (tmp_path / "out" / "augmented.npz").is_file()
