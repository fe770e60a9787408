"""Distances between table records, and distance to the closest record (DCR).

Mixed-type records are embedded so that the L1 distance divided by the number
of columns is a Gower-style distance: each numeric or date column contributes
the difference of the two values' ranks in the training data (empirical CDF,
robust to heavy tails, unlike Gower's range scaling), each categorical column
contributes 1 on a mismatch, and a missing value differs from any present one
by at least 1 (a missing flag plus the present value's rank). Nearest neighbours come from scikit-learn, queried in batches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import ColumnKind, Table, numeric_values

BATCH = 20_000


class TableEmbedding:
    """Learned from the training table; maps any table with the same columns to vectors."""

    def __init__(self, train: Table):
        self.meta = train.meta
        self.sorted: dict[str, np.ndarray] = {}
        self.categories: dict[str, list[str]] = {}
        for col in self.meta.columns:
            s = train.frame[col.name]
            if col.kind in (ColumnKind.numeric, ColumnKind.datetime):
                x = numeric_values(s, col.kind)
                self.sorted[col.name] = np.sort(x[~np.isnan(x)])
            else:
                self.categories[col.name] = sorted({str(v) for v in s.dropna().unique()})

    def transform(self, table: Table) -> np.ndarray:
        parts = []
        for col in self.meta.columns:
            s = table.frame[col.name]
            if col.name in self.sorted:
                ref = self.sorted[col.name]
                x = numeric_values(s, col.kind)
                missing = np.isnan(x)
                rank = np.searchsorted(ref, np.where(missing, 0, x), side="left") / max(len(ref), 1)
                parts.append(np.where(missing, 0.0, rank)[:, None])
                parts.append(missing[:, None].astype(float))  # missing vs present: +1
            else:
                cats = self.categories[col.name]
                index = {c: i for i, c in enumerate(cats)}
                codes = s.map(lambda v: -1 if pd.isna(v) else index.get(str(v), len(cats))).to_numpy()
                onehot = np.zeros((len(s), len(cats) + 2))
                onehot[np.arange(len(s)), np.where(codes < 0, len(cats) + 1, codes)] = 0.5  # mismatch: 0.5 + 0.5
                parts.append(onehot)
        return np.hstack(parts) / len(self.meta.columns)


class NearestRecords:
    """Distance from query records to the closest of a fixed set of records (L1 on the embedding)."""

    def __init__(self, embedding: TableEmbedding, records: Table):
        from sklearn.neighbors import NearestNeighbors

        self.embedding = embedding
        self.index = NearestNeighbors(n_neighbors=1, metric="manhattan").fit(embedding.transform(records))

    def distances(self, query: Table) -> np.ndarray:
        x = self.embedding.transform(query)
        out = [self.index.kneighbors(x[i:i + BATCH], return_distance=True)[0][:, 0] for i in range(0, len(x), BATCH)]
        return np.concatenate(out) if out else np.array([])
