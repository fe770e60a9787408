"""Downstream tasks: the model the augmentation measurement trains on real and on real + synthetic records.

A task knows one modality (tables, sequences, images) and maybe one domain. It reads the target of each
record (:meth:`DownstreamTask.labels`) and trains on some records to predict the target of others
(:meth:`DownstreamTask.fit_predict`); the core does the rest — which records each arm trains on, the
bootstrap on the holdout, the uplift (:mod:`synthguard.quality.augmentation`).

The core registers :class:`TableTask` (scikit-learn's HistGradientBoosting with the encoding TSTR uses). A plugin
brings its own by registering a :class:`DownstreamTask` subclass through the ``register_downstream_tasks`` hook;
for a run the one whose ``domains`` names the domain wins over a generic one (like distances).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, Literal, Sequence

import numpy as np
import pandas as pd

from .data import ColumnKind, Records, SequenceSet, Table, text_values
from .errors import DataError

#: A numeric target with more distinct values than this is a regression target (as TSTR decides).
MAX_CLASSES = 10
#: scikit-learn's default smallest leaf of HistGradientBoosting; smaller training sets get :func:`min_leaf`.
DEFAULT_LEAF = 20


def min_leaf(records: int) -> int:
    """Smallest leaf for gradient-boosted trees on ``records`` training records: the default 20, but at most a tenth
    of the records (at least 1). With the default, fewer than 40 records cannot be split at all and the model
    predicts a constant, which would make any arm with more records look better for that reason alone."""
    return max(1, min(DEFAULT_LEAF, records // 10))


@dataclass
class Prediction:
    """What a downstream model said about each holdout record.

    Classification: ``classes`` (as text) and ``proba`` (records x classes). Regression: ``values``.
    """

    classes: list[str] | None = None
    proba: np.ndarray | None = None
    values: np.ndarray | None = None


class DownstreamTask(ABC):
    """A downstream model to train on records and score on the real holdout.

    Class attributes: ``name`` (unique), ``modalities`` it applies to, ``domains`` (None = any domain: the
    fallback), ``description`` (one line, shown in the report).
    """

    name: ClassVar[str]
    modalities: ClassVar[tuple[str, ...]] = ("table",)
    domains: ClassVar[tuple[str, ...] | None] = None
    description: ClassVar[str] = ""

    def applies_to(self, modality: str, domain: str | None) -> bool:
        return modality in self.modalities and (self.domains is None or domain in self.domains)

    def label_values(self, records: Records, target: str) -> pd.Series:
        """The raw value of ``target`` for each record. Override this, and :meth:`kind` and :meth:`labels` follow
        (or override those two instead).

        Raises :class:`~synthguard.DataError` naming ``target`` and what was expected when the records
        have no such target.
        """
        raise NotImplementedError(f"{type(self).__name__} defines neither label_values nor kind and labels")

    def kind(self, records: Records, target: str) -> Literal["classification", "regression"]:
        """Whether predicting ``target`` is classification or regression: regression for a numeric target with more
        than ``MAX_CLASSES`` distinct values (as TSTR decides)."""
        y = self.label_values(records, target)
        numeric = pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y)
        return "regression" if numeric and y.nunique() > MAX_CLASSES else "classification"

    def labels(self, records: Records, target: str) -> np.ndarray:
        """The target of each record (text for classes, float for regression); NaN/None where it is missing."""
        y = self.label_values(records, target)
        if self.kind(records, target) == "regression":
            return pd.to_numeric(y, errors="coerce").astype(float).to_numpy()
        return text_values(pd.Series(y)).to_numpy()

    @abstractmethod
    def fit_predict(self, train: Records, holdout: Records, target: str, seed: int) -> Prediction:
        """Train on ``train`` (records with a target), predict ``target`` for every ``holdout`` record."""


class TableTask(DownstreamTask):
    """Tables: gradient-boosted trees (scikit-learn's HistGradientBoosting), the model and encoding TSTR uses."""

    name = "core.table"
    modalities = ("table",)
    description = "HistGradientBoosting on the table's columns (categories native), as the TSTR metric"

    def __init__(self, class_weight: str | None = None):
        self.class_weight = class_weight  # scikit-learn's: "balanced" weighs each class by its inverse share

    def kind(self, records: Table, target: str) -> Literal["classification", "regression"]:
        col = _column(records, target)
        return "regression" if col.kind is ColumnKind.numeric and col.n_unique > MAX_CLASSES else "classification"

    def label_values(self, records: Table, target: str) -> pd.Series:
        """The column ``target``."""
        _column(records, target)
        return records.frame[target]

    def fit_predict(self, train: Table, holdout: Table, target: str, seed: int) -> Prediction:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        from .quality.utility import _features  # one encoding for TSTR and augmentation

        x_train, x_hold = _features([train.frame, holdout.frame], train.meta, target)
        y = self.labels(train, target)
        if self.kind(train, target) == "regression":
            model = HistGradientBoostingRegressor(random_state=seed, categorical_features="from_dtype")
            model.fit(x_train, y)
            return Prediction(values=model.predict(x_hold))
        model = HistGradientBoostingClassifier(random_state=seed, categorical_features="from_dtype",
                                               class_weight=self.class_weight)
        model.fit(x_train, y.astype(str))
        return Prediction(classes=[str(c) for c in model.classes_], proba=model.predict_proba(x_hold))


class SequenceTask(DownstreamTask):
    """Sequences labelled by a static attribute (a recording's activity or fault): gradient-boosted trees on each
    channel's summary (mean, spread, range, lag-1 change and autocorrelation) — a plain activity classifier."""

    name = "core.sequence"
    modalities = ("sequence",)
    description = ("HistGradientBoosting on per-channel summaries (mean, std, min, max, mean |lag-1 change|, "
                   "lag-1 autocorrelation) of each recording; leaves of min(20, records/10)")

    def fit_predict(self, train: SequenceSet, holdout: SequenceSet, target: str, seed: int) -> Prediction:
        from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

        y = self.labels(train, target)
        leaf = min_leaf(len(train))
        if self.kind(train, target) == "regression":
            model = HistGradientBoostingRegressor(random_state=seed, min_samples_leaf=leaf).fit(summaries(train.values), y)
            return Prediction(values=model.predict(summaries(holdout.values)))
        model = HistGradientBoostingClassifier(random_state=seed, min_samples_leaf=leaf).fit(summaries(train.values),
                                                                                             y.astype(str))
        return Prediction(classes=[str(c) for c in model.classes_], proba=model.predict_proba(summaries(holdout.values)))

    def label_values(self, records: Records, target: str) -> pd.Series:
        """The static attribute ``target`` of each recording."""
        if not isinstance(records, SequenceSet):
            raise DataError(f"target {target!r}: the data is {records.modality} data: expected sequences")
        if target not in records.statics.columns:
            known = ", ".join(records.statics.columns) or "none"
            raise DataError(f"--target {target}: unknown static attribute {target!r}: expected one of {known}")
        return records.statics[target]


def summaries(values: np.ndarray) -> np.ndarray:
    """(records, time, channels) -> (records, 6 x channels) summary features; missing readings ignored."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # an all-missing channel: NaN features, which HGB accepts
        diff = np.diff(values, axis=1)
        centred = values - np.nanmean(values, axis=1, keepdims=True)
        lag = np.nanmean(centred[:, 1:] * centred[:, :-1], axis=1) / np.nanvar(values, axis=1)
        parts = [np.nanmean(values, axis=1), np.nanstd(values, axis=1), np.nanmin(values, axis=1),
                 np.nanmax(values, axis=1), np.nanmean(np.abs(diff), axis=1), lag]
    return np.concatenate(parts, axis=1)


def _column(records: Records, target: str):
    if not isinstance(records, Table):
        raise DataError(f"target {target!r}: the data is {records.modality} data: expected a table")
    if target not in records.meta.names:
        raise DataError(f"--target {target}: unknown column {target!r}: expected one of {', '.join(records.meta.names)}")
    return records.meta.column(target)


def choose_task(tasks: Sequence[type[DownstreamTask]], modality: str, domain: str | None) -> DownstreamTask | None:
    """The task for this modality/domain: one naming the domain beats a generic one; None when none applies."""
    fitting = [t() for t in tasks]
    fitting = [t for t in fitting if t.applies_to(modality, domain)]
    fitting.sort(key=lambda t: t.domains is None)
    return fitting[0] if fitting else None


__all__ = ["DownstreamTask", "Prediction", "TableTask", "SequenceTask", "summaries", "choose_task", "min_leaf",
           "MAX_CLASSES"]
