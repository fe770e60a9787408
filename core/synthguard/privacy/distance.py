"""How far apart two records are, per modality — and the nearest real record to each synthetic one.

A :class:`Distance` is learned from the training records (scales, ranks,
categories) and embeds any records of the same schema as vectors whose L1 or L2
distance *is* the record distance. Everything privacy-related (near-copy and
NNDR filters, DCR share, membership-inference attacks) goes through one
Distance, so a plugin that knows its data better (an image plugin's learned
feature space, a traffic plugin's road-graph distance) registers its own
through the ``register_distances`` hook and every check uses it.

Built-ins:

* tables — Gower-style: each numeric/date column contributes the difference of
  the two values' ranks in the training data (empirical CDF, robust to heavy
  tails, unlike Gower's range scaling), each categorical column 1 on a mismatch,
  a missing value differs from a present one by at least 1; L1 / number of columns.
* sequences — per-channel z-normalised windows (training mean/std per channel),
  RMS difference over steps and channels; missing readings count as the channel mean.
* images — pixels scaled to [0, 1] by the training range, RMS pixel difference.

Nearest neighbours are exact, from faiss (``IndexFlat``, batched, all cores) when
it is installed (``pip install synthguard[fast]``), otherwise scikit-learn.
"""

from __future__ import annotations


import numpy as np
import pandas as pd

from ..contract import Distance
from ..data import ColumnKind, ImageSet, Records, SequenceSet, Table, numeric_values, text_values
from ..errors import DataError

BATCH = 20_000


class TableDistance(Distance):
    """Gower-style distance: ECDF-rank difference per number, mismatch per category, L1 / columns.

    ``quantiles=k`` ranks numbers on k training quantiles, linearly interpolated, instead of the
    step ECDF of every training value. Use it to compare training rows with each other: the step
    ECDF snaps a value that is not a training value onto the next one, so any new record (real or
    synthetic) sits nearer the training rows than they sit to each other; the interpolated ranks
    keep a training row's leave-one-out distance exchangeable with a new record's distance.
    """

    name = "core.gower"
    description = "Gower-style: ECDF-rank difference per number, mismatch per category, L1 / columns"
    metric = "l1"
    modalities = frozenset({"table"})

    def __init__(self, quantiles: int | None = None):
        if quantiles is not None and quantiles < 2:
            raise ValueError(f"quantiles={quantiles}: expected at least 2 (or None for the step ECDF)")
        self.quantiles = quantiles

    def fit(self, train: Table) -> "TableDistance":
        self.meta = train.meta
        self.sorted: dict[str, np.ndarray] = {}
        self.categories: dict[str, dict[str, int]] = {}
        for col in self.meta.columns:
            s = train.frame[col.name]
            if col.kind in (ColumnKind.numeric, ColumnKind.datetime):
                x = numeric_values(s, col.kind)
                x = np.sort(x[~np.isnan(x)])
                if self.quantiles is not None and len(x):
                    x = np.quantile(x, np.linspace(0, 1, self.quantiles))
                self.sorted[col.name] = x
            else:
                cats = sorted({str(v) for v in s.dropna().unique()})
                self.categories[col.name] = {c: i for i, c in enumerate(cats)}
        return self

    def embed(self, table: Table) -> np.ndarray:
        missing_cols = [c for c in self.meta.names if c not in table.frame.columns]
        if missing_cols:
            raise DataError(f"records lack column(s) {missing_cols}: expected the training table's columns")
        parts = []
        for col in self.meta.columns:
            s = table.frame[col.name]
            if col.name in self.sorted:
                ref = self.sorted[col.name]
                x = numeric_values(s, col.kind)
                missing = np.isnan(x)
                if self.quantiles is None:
                    rank = np.searchsorted(ref, np.where(missing, 0, x), side="left") / max(len(ref), 1)
                else:
                    rank = np.interp(np.where(missing, 0, x), ref, np.linspace(0, 1, len(ref))) if len(ref) else 0 * x
                parts.append(np.where(missing, 0.0, rank)[:, None])
                parts.append(missing[:, None].astype(float))  # missing vs present: +1
            else:
                index = self.categories[col.name]
                text = text_values(s)
                codes = np.where(text.isna(), -1, text.map(index).fillna(len(index))).astype(int)  # -1 missing, unseen: last
                onehot = np.zeros((len(s), len(index) + 2))
                onehot[np.arange(len(s)), np.where(codes < 0, len(index) + 1, codes)] = 0.5  # mismatch: 0.5 + 0.5
                parts.append(onehot)
        return (np.hstack(parts) / len(self.meta.columns)).astype(np.float32)


class SequenceDistance(Distance):
    """Per-channel z-normalised windows (training mean/std), RMS difference over steps and channels."""

    name = "core.sequence-rms"
    description = "per-channel z-normalised windows, RMS difference over steps and channels"
    metric = "l2"
    modalities = frozenset({"sequence"})

    def fit(self, train: SequenceSet) -> "SequenceDistance":
        v = train.values.astype(np.float64)
        self.mean = np.nanmean(v, axis=(0, 1))
        std = np.nanstd(v, axis=(0, 1))
        self.std = np.where(np.isfinite(std) & (std > 0), std, 1.0)
        self.mean = np.where(np.isfinite(self.mean), self.mean, 0.0)
        self.shape = v.shape[1:]
        return self

    def centre(self, values: np.ndarray) -> np.ndarray:
        """What is subtracted before scaling: the training mean per channel (subclasses may centre per window)."""
        return self.mean

    def embed(self, records: SequenceSet) -> np.ndarray:
        if records.values.shape[1:] != self.shape:
            raise DataError(f"sequences of shape {records.values.shape[1:]}: expected (steps, channels) {self.shape}")
        z = (records.values - self.centre(records.values)) / self.std
        z = np.nan_to_num(z, nan=0.0, posinf=1e6, neginf=-1e6)
        return (z.reshape(len(records), -1) / np.sqrt(z[0].size if len(z) else 1)).astype(np.float32)


class ImagePixelDistance(Distance):
    """Pixels scaled to [0, 1] by the training range, RMS pixel difference."""

    name = "core.pixel-rms"
    description = "pixels scaled to [0, 1] by the training range, RMS pixel difference"
    metric = "l2"
    modalities = frozenset({"image"})

    def fit(self, train: ImageSet) -> "ImagePixelDistance":
        x = train.images
        self.low, self.high = float(np.nanmin(x)), float(np.nanmax(x))
        self.shape = x.shape[1:]
        return self

    def embed(self, records: ImageSet) -> np.ndarray:
        if records.images.shape[1:] != self.shape:
            raise DataError(f"images of shape {records.images.shape[1:]}: expected {self.shape}")
        z = (records.images.astype(np.float64) - self.low) / max(self.high - self.low, 1e-12)
        z = np.nan_to_num(z, nan=0.0, posinf=1.0, neginf=0.0).reshape(len(records), -1)
        return (z / np.sqrt(z.shape[1] if z.size else 1)).astype(np.float32)


BUILTIN_DISTANCES: tuple[type[Distance], ...] = (TableDistance, SequenceDistance, ImagePixelDistance)


def choose_distance(candidates: list[type[Distance]], modality: str, domain: str | None) -> type[Distance]:
    """The distance for a run: a domain's own beats a generic one; two of the same rank is an error."""
    fits = [d for d in candidates if d().applies_to(modality, domain)]
    specific = [d for d in fits if d.domains is not None]
    pool = specific or fits
    if not pool:
        raise DataError(f"no distance is registered for {modality} records: expected a register_distances plugin")
    if len(pool) > 1:
        from ..errors import PluginError

        raise PluginError(f"distances {[d.name for d in pool]} all claim {modality}/{domain}: expected one")
    return pool[0]


def _faiss():
    try:
        import faiss  # optional: exact search, several times faster than scikit-learn on large sets
    except ImportError:
        return None
    return faiss


def _batched(search, x: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """``search(chunk) -> (distances, indices)`` over ``x`` in BATCH-row chunks, so memory stays bounded."""
    x = np.ascontiguousarray(x, dtype=np.float32)
    dist, idx = [], []
    for i in range(0, len(x), BATCH):
        d, j = search(x[i:i + BATCH])
        dist.append(d.astype(np.float64))
        idx.append(j)
    if not dist:
        return np.zeros((0, k)), np.zeros((0, k), dtype=np.int64)
    return np.concatenate(dist), np.concatenate(idx)


def batched_faiss_search(index, x: np.ndarray, k: int, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """Distances and indices (n, k) from a faiss index (flat or IVF), searched in BATCH-row chunks."""
    def search(chunk):
        d, j = index.search(chunk, k)
        return (np.sqrt(np.maximum(d, 0)) if metric == "l2" else d), j  # faiss returns squared L2

    return _batched(search, x, k)


class NearestRecords:
    """Exact nearest neighbours of query records among a fixed set of records, under a fitted Distance."""

    def __init__(self, distance: Distance, records: Records, backend: str = "auto"):
        self.distance = distance
        points = np.ascontiguousarray(distance.embed(records), dtype=np.float32)
        self._points = points
        self.size = len(points)
        faiss = _faiss() if backend in ("auto", "faiss") else None
        if backend == "faiss" and faiss is None:
            raise DataError("backend 'faiss' needs faiss-cpu: expected `pip install synthguard[fast]`")
        self.backend = "faiss" if faiss is not None else "sklearn"
        if faiss is not None:
            metric = faiss.METRIC_L1 if distance.metric == "l1" else faiss.METRIC_L2
            self._index = faiss.IndexFlat(points.shape[1], metric)
            self._index.add(points)
        else:
            from sklearn.neighbors import NearestNeighbors

            self._index = NearestNeighbors(metric="manhattan" if distance.metric == "l1" else "euclidean").fit(points)

    def kneighbors(self, query: Records, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Distances and indices (n, k) of the ``k`` closest records, nearest first."""
        return self.kneighbors_embedded(self.distance.embed(query), k)

    def kneighbors_embedded(self, x: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, self.size)
        if self.backend == "faiss":
            return batched_faiss_search(self._index, x, k, self.distance.metric)
        return _batched(lambda chunk: self._index.kneighbors(chunk, n_neighbors=k, return_distance=True), x, k)

    def distances(self, query: Records) -> np.ndarray:
        """Distance of each query record to its closest record."""
        return self.kneighbors(query, 1)[0][:, 0]

    def leave_one_out(self) -> np.ndarray:
        """Distance of each indexed record to its closest OTHER indexed record (0 where it has a duplicate)."""
        return self.kneighbors_embedded(self._points, 2)[0][:, 1]  # [:, 0] is the record itself (or its duplicate)
