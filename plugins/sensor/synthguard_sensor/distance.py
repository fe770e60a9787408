"""The sensor domain's record distance: shape of each window, whatever its offset."""

from __future__ import annotations

import numpy as np
from synthguard.privacy import SequenceDistance


class ShapeDistance(SequenceDistance):
    """RMS difference of windows after removing each window's per-channel mean, in training-std units.

    A recording copied with a calibration offset added (every reading + 0.3 g) is
    still someone's recording; plain RMS would call it far, this distance calls it
    zero. Missing readings count as the window's mean.
    """

    name = "sensor.shape"
    description = "per-channel de-meaned windows in training-std units, RMS over steps and channels"
    domains = frozenset({"sensor"})

    def centre(self, values: np.ndarray) -> np.ndarray:
        return np.nanmean(values, axis=1, keepdims=True)
