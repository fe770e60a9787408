"""Which columns made a rejected record a near copy — column names only, never the real record's values.

For a record the near-copy, NNDR or exact-copy filter rejected, its nearest training record under the
table distance the gate uses (:class:`~synthguard.privacy.TableDistance`, Gower-style: rank difference
per number, mismatch per category) is found again, and the distance is split into its per-column parts.
The columns whose part is (almost) nothing — the same category, a number within :data:`MATCH` of the
training record's rank — are the ones that made it a copy; the explanation lists them and how many of
the columns matched, nothing about what the values were. A record the k-anonymity filter rejected is
explained by its quasi-identifier columns (the combination it shares with too few real records).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
import pandas as pd

from ..data import Table
from ..privacy.distance import NearestRecords, TableDistance

#: A column matches when its own difference (rank difference, or mismatch 0/1) is at most this.
MATCH = 0.01
NEAR_COPY_CHECKS = ("core.near-copy", "core.nndr", "core.exact-copy")
K_ANONYMITY_CHECK = "core.k-anonymity"


def column_blocks(distance: TableDistance) -> list[tuple[str, int]]:
    """(column, embedding width) in the order :meth:`TableDistance.embed` lays the columns out."""
    return [(c.name, 2 if c.name in distance.sorted else len(distance.categories[c.name]) + 2)
            for c in distance.meta.columns]


def per_column_differences(distance: TableDistance, records: Table, nearest: NearestRecords,
                           train_embedded: np.ndarray) -> np.ndarray:
    """(records, columns) difference of each record to its nearest training record, per column, in [0, 1]+."""
    x = distance.embed(records)
    _, idx = nearest.kneighbors_embedded(x, 1)
    diff = np.abs(x - train_embedded[idx[:, 0]]) * len(distance.meta.columns)  # undo the 1/columns scaling
    out, start = [], 0
    for _, width in column_blocks(distance):
        out.append(diff[:, start:start + width].sum(axis=1))
        start += width
    return np.stack(out, axis=1)


def near_copy_columns(rejected: pd.DataFrame, train: Table, quasi_identifiers: list[str] | None = None
                      ) -> dict[str, Any]:
    """Per rejected record (row of ``rejected``, the gate's table with ``_checks``), the columns that made it
    a copy; and per column, in how many such records it matched."""
    names = train.meta.names
    checks = rejected["_checks"].fillna("").astype(str).str.split(",") if "_checks" in rejected else None
    if checks is None or not len(rejected):
        return {"records": [], "column_counts": {}, "explained": 0}
    copies = np.flatnonzero([any(c in NEAR_COPY_CHECKS for c in cs) for cs in checks])
    rows: list[dict[str, Any]] = []
    counts: Counter[str] = Counter()
    if len(copies):
        distance = TableDistance().fit(train)
        nearest = NearestRecords(distance, train)
        records = Table(rejected.iloc[copies][names].reset_index(drop=True), train.meta)
        diff = per_column_differences(distance, records, nearest, distance.embed(train))
        for row, d in zip(copies, diff):
            order = np.argsort(d, kind="stable")
            matched = [names[k] for k in order if d[k] <= MATCH]
            counts.update(matched)
            rows.append({"row": int(row), "checks": checks.iloc[row], "matching_columns": matched,
                         "matching": f"{len(matched)} of {len(names)} columns",
                         "differing_columns": [names[k] for k in order[::-1] if d[k] > MATCH][:3]})
    qi = [c for c in (quasi_identifiers or []) if c in names]
    for row in np.flatnonzero([K_ANONYMITY_CHECK in cs and not any(c in NEAR_COPY_CHECKS for c in cs)
                               for cs in checks]):
        rows.append({"row": int(row), "checks": checks.iloc[row], "matching_columns": qi,
                     "matching": "its quasi-identifier combination"})
    rows.sort(key=lambda r: r["row"])
    return {"records": rows, "explained": len(rows), "near_copies": int(len(copies)), "distance": TableDistance.name,
            "match": MATCH, "column_counts": dict(counts.most_common())}
