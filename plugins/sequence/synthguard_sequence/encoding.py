"""Numbers a sequence network sees: standardised channels and coded static attributes (and back)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from synthguard import DataError, SequenceSet

#: Statics with more distinct values than this are treated as numbers (if numeric) or refused.
MAX_STATIC_CATEGORIES = 200


@dataclass
class SequenceEncoder:
    channels: list[str]
    mean: np.ndarray
    std: np.ndarray
    categorical: dict[str, list[str]]  # static column -> categories (codes are positions; len = unseen)
    numeric: dict[str, tuple[float, float]]  # static column -> (mean, std)

    @classmethod
    def fit(cls, data: SequenceSet) -> "SequenceEncoder":
        v = data.values
        mean = np.nanmean(v, axis=(0, 1))
        std = np.nanstd(v, axis=(0, 1))
        std = np.where(std > 0, std, 1.0)
        categorical, numeric = {}, {}
        for col in data.statics.columns:
            s = data.statics[col]
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) and s.nunique() > 20:
                x = s.to_numpy(dtype=float)
                sd = float(np.nanstd(x))
                numeric[col] = (float(np.nanmean(x)), sd if sd > 0 else 1.0)
            else:
                cats = sorted(s.dropna().astype(str).unique().tolist())
                if len(cats) > MAX_STATIC_CATEGORIES:
                    raise DataError(f"static attribute {col!r} has {len(cats)} distinct values: expected at most "
                                    f"{MAX_STATIC_CATEGORIES} (an ID column? drop it or make it the entity column)")
                categorical[col] = cats
        return cls(list(data.channels), mean, std, categorical, numeric)

    # ------------------------------------------------------------------ channels

    def scale(self, values: np.ndarray) -> np.ndarray:
        return ((values - self.mean) / self.std).astype(np.float32)

    def unscale(self, z: np.ndarray) -> np.ndarray:
        return z.astype(np.float64) * self.std + self.mean

    # ------------------------------------------------------------------ statics

    def encode_statics(self, statics: pd.DataFrame, *, strict: bool = False) -> tuple[np.ndarray, np.ndarray]:
        """(codes (N, n_cat) int64, numbers+missing flags (N, 2·n_num) float32). ``strict`` refuses unseen categories."""
        n = len(statics)
        cats = np.zeros((n, len(self.categorical)), dtype=np.int64)
        for i, (col, values) in enumerate(self.categorical.items()):
            if col not in statics.columns:
                raise DataError(f"static attribute {col!r} is missing: expected the columns {list(self.categorical)}")
            index = {v: j for j, v in enumerate(values)}
            s = statics[col].astype(str).where(statics[col].notna(), None)
            codes = np.array([index.get(v, len(values)) for v in s], dtype=np.int64)
            if strict and (codes == len(values)).any():
                unseen = sorted(set(s[codes == len(values)].dropna()))
                raise DataError(f"static attribute {col!r} has values {unseen} the model never saw: expected one of {values}")
            cats[:, i] = codes
        nums = np.zeros((n, 2 * len(self.numeric)), dtype=np.float32)
        for i, (col, (mu, sd)) in enumerate(self.numeric.items()):
            x = pd.to_numeric(statics[col], errors="coerce").to_numpy(dtype=float)
            nums[:, 2 * i] = np.nan_to_num((x - mu) / sd)
            nums[:, 2 * i + 1] = np.isnan(x)
        return cats, nums

    # ------------------------------------------------------------------ bundle state

    def to_json(self) -> dict[str, Any]:
        return {"channels": self.channels, "mean": self.mean.tolist(), "std": self.std.tolist(),
                "categorical": self.categorical, "numeric": {k: list(v) for k, v in self.numeric.items()}}

    @classmethod
    def from_json(cls, state: dict[str, Any]) -> "SequenceEncoder":
        return cls(state["channels"], np.asarray(state["mean"]), np.asarray(state["std"]), dict(state["categorical"]),
                   {k: tuple(v) for k, v in state["numeric"].items()})
