"""The sensor domain's record distance: shape of each window, whatever its offset."""

from __future__ import annotations

import numpy as np
from synthguard import DataError, Distance, SequenceSet


class ShapeDistance(Distance):
    """RMS difference of windows after removing each window's per-channel mean, in training-std units.

    A recording copied with a calibration offset added (every reading + 0.3 g) is
    still someone's recording; plain RMS would call it far, this distance calls it
    zero. Missing readings count as the window's mean.
    """

    name = "sensor.shape"
    description = "per-channel de-meaned windows in training-std units, RMS over steps and channels"
    metric = "l2"
    modalities = frozenset({"sequence"})
    domains = frozenset({"sensor"})

    def fit(self, train: SequenceSet) -> "ShapeDistance":
        std = np.nanstd(train.values, axis=(0, 1))
        self.std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        self.shape = train.values.shape[1:]
        return self

    def embed(self, records: SequenceSet) -> np.ndarray:
        if records.values.shape[1:] != self.shape:
            raise DataError(f"sequences of shape {records.values.shape[1:]}: expected (steps, channels) {self.shape}")
        v = records.values
        centred = (v - np.nanmean(v, axis=1, keepdims=True)) / self.std
        centred = np.nan_to_num(centred, nan=0.0, posinf=1e6, neginf=-1e6)
        return (centred.reshape(len(records), -1) / np.sqrt(centred[0].size if len(v) else 1)).astype(np.float32)
