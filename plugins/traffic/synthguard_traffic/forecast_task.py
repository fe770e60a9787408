"""The augmentation measurement's downstream model for traffic: a forecaster, scored by its error (MAE).

``synthguard augment traffic --dataset bikeshare --target registered``: for each record (a day, a week) the
forecaster sees the first half of every channel (the morning's counts and weather, the week's first days) and
the calendar of the record's start (weekday, month, US public holiday), and predicts the target channel's total
over the second half (the rest of the day's riders, the rest of the week's boardings). Gradient-boosted trees
(scikit-learn's HistGradientBoosting, as the core tasks, with leaves of min(20, records / 10) so that a few dozen
records can be split; missing readings stay NaN, which it handles).

A target that is a static attribute rather than a channel is measured as the core's sequence task does
(a classifier or regressor on per-channel summaries).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd
from synthguard import DataError, SequenceSet
from synthguard.augment_tasks import Prediction, SequenceTask, min_leaf

from .calendar import holiday_mask

#: A record's target is missing when more than this share of its forecast-horizon readings are.
MAX_MISSING = 0.25


def horizon_start(length: int) -> int:
    """The first forecast step: the second half of the record (at least one step on either side)."""
    return min(max(1, length // 2), length - 1)


class TrafficForecastTask(SequenceTask):
    """Forecast a channel's total over the second half of each record from the first half and the calendar."""

    name = "traffic.forecast"
    modalities = ("sequence",)
    domains = ("traffic",)
    description = ("forecaster: HistGradientBoosting predicts the target channel's total over the second half of "
                   "each record from the first half of every channel and the calendar (weekday, month, holiday); leaves of "
                   "min(20, records/10); MAE")

    def kind(self, records: SequenceSet, target: str) -> Literal["classification", "regression"]:
        if self._is_channel(records, target):
            return "regression"
        return super().kind(records, target)

    def labels(self, records: SequenceSet, target: str) -> np.ndarray:
        if not self._is_channel(records, target):
            return super().labels(records, target)
        series = records.values[:, horizon_start(records.values.shape[1]):, records.channels.index(target)]
        seen = np.isfinite(series)
        with np.errstate(invalid="ignore", divide="ignore"):
            total = np.nansum(series, axis=1) / seen.mean(axis=1)  # a few missing hours filled at the record's rate
        return np.where(seen.mean(axis=1) >= 1 - MAX_MISSING, total, np.nan)

    def fit_predict(self, train: SequenceSet, holdout: SequenceSet, target: str, seed: int) -> Prediction:
        if not self._is_channel(train, target):
            return super().fit_predict(train, holdout, target, seed)
        from sklearn.ensemble import HistGradientBoostingRegressor

        model = HistGradientBoostingRegressor(random_state=seed, min_samples_leaf=min_leaf(len(train)))
        model.fit(features(train), self.labels(train, target))
        return Prediction(values=model.predict(features(holdout)))

    @staticmethod
    def _is_channel(records: SequenceSet, target: str) -> bool:
        if not isinstance(records, SequenceSet):
            raise DataError(f"target {target!r}: the data is {records.modality} data: expected sequences")
        if target in records.channels:
            return True
        if target not in records.statics.columns:
            known = ", ".join([*records.channels, *records.statics.columns])
            raise DataError(f"--target {target}: unknown channel or static attribute {target!r}: expected one of {known}")
        return False


def features(records: SequenceSet) -> np.ndarray:
    """(records, first-half steps × channels + 3): the past every channel, then weekday, month, holiday (NaN unknown)."""
    past = records.values[:, : horizon_start(records.values.shape[1]), :].reshape(len(records), -1)
    calendar = np.full((len(records), 3), np.nan)
    if records.start_times is not None:
        starts = pd.DatetimeIndex(records.start_times)
        calendar[:, 0], calendar[:, 1] = starts.dayofweek, starts.month
        calendar[:, 2] = holiday_mask(np.asarray(records.start_times))
    return np.concatenate([past, calendar], axis=1)


__all__ = ["TrafficForecastTask", "features", "horizon_start"]
