"""How a large request is cut into chunks, each chunk's seed, and a uniform sample kept across chunks.

A chunk is the unit of work: sample ``rows`` records with the chunk's seed, gate them, write one
partition. Its seed depends only on the run seed and the chunk's index, so the output is the same
whichever worker runs a chunk, in whatever order, on however many workers.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: Rows per chunk when the user asks for streaming without saying how many.
DEFAULT_CHUNK_ROWS = 50_000
#: ``generate``/``sample`` to a directory stream by themselves above this many rows.
STREAM_ABOVE = 500_000
#: Most chunks one run may have (the driver keeps one small summary per chunk).
MAX_CHUNKS = 100_000
#: Rows of the uniform sample the report (metrics, privacy audit, release decision) is computed on.
REPORT_SAMPLE = 20_000


@dataclass(frozen=True)
class ChunkPlan:
    """``rows`` records cut into chunks of ``chunk_rows`` (the last one takes the rest)."""

    rows: int
    chunk_rows: int

    def __post_init__(self):
        if self.rows <= 0 or self.chunk_rows <= 0:
            raise ValueError(f"rows {self.rows} and chunk_rows {self.chunk_rows}: expected positive integers")

    @property
    def chunks(self) -> int:
        return math.ceil(self.rows / self.chunk_rows)

    def size(self, index: int) -> int:
        """Rows chunk ``index`` delivers."""
        if not 0 <= index < self.chunks:
            raise IndexError(f"chunk {index} of {self.chunks}")
        return min(self.chunk_rows, self.rows - index * self.chunk_rows)


def chunk_seed(seed: int, index: int) -> int:
    """The seed of chunk ``index`` of a run seeded ``seed``: independent streams, reproducible, order-free."""
    return int(np.random.SeedSequence([seed, 0x5CA1E, index]).generate_state(1)[0])


def sample_keys(seed: int, index: int, n: int) -> np.ndarray:
    """One uniform key per delivered row of chunk ``index`` (its own stream, apart from the sampling's)."""
    return np.random.default_rng([seed, 0x5A3B1E, index]).random(n)


@dataclass
class UniformSample:
    """A uniform sample without replacement of at most ``size`` rows over all chunks (bottom-k sampling).

    Every delivered row carries a uniform random key; the sample is the ``size`` rows with the smallest
    keys. That is a reservoir sample that can be merged in any order: each chunk offers its own
    ``size`` smallest, the driver keeps the smallest ``size`` of all offers, and the result does not
    depend on which chunk finished first.
    """

    size: int
    _heap: list = field(default_factory=list)  # (-key, chunk, row) of the kept rows: max-heap on key
    _frames: dict = field(default_factory=dict)  # chunk -> its offered rows (DataFrame, positional)

    @staticmethod
    def offer(frame: pd.DataFrame, keys: np.ndarray, size: int) -> tuple[pd.DataFrame, np.ndarray]:
        """What one chunk sends to the driver: its ``size`` rows with the smallest keys."""
        if len(keys) > size:
            keep = np.sort(np.argpartition(keys, size - 1)[:size])
            return frame.iloc[keep].reset_index(drop=True), keys[keep]
        return frame.reset_index(drop=True), keys

    def add(self, chunk: int, frame: pd.DataFrame, keys: np.ndarray) -> None:
        """Merge one chunk's offer."""
        self._frames[chunk] = frame
        for row, key in enumerate(keys):
            item = (-float(key), chunk, row)
            if len(self._heap) < self.size:
                heapq.heappush(self._heap, item)
            elif item > self._heap[0]:  # smaller key than the largest kept
                heapq.heapreplace(self._heap, item)
        self._compact()

    def _compact(self) -> None:
        """Keep only the sampled rows of each chunk's offer (else every chunk with one kept row would hold its
        whole offer, and memory would grow with the number of chunks)."""
        kept: dict[int, list[tuple[float, int]]] = {}
        for key, c, r in self._heap:
            kept.setdefault(c, []).append((key, r))
        frames, heap = {}, []
        for c, items in kept.items():
            items.sort(key=lambda item: item[1])
            frame = self._frames[c]
            if len(items) < len(frame):
                frame = frame.iloc[[r for _, r in items]].reset_index(drop=True)
                items = [(key, i) for i, (key, _) in enumerate(items)]  # row order within the chunk kept
            frames[c] = frame
            heap.extend((key, c, r) for key, r in items)
        heapq.heapify(heap)
        self._frames, self._heap = frames, heap

    def frame(self) -> pd.DataFrame:
        """The sample in (chunk, row) order: the same rows and order for the same run, whatever the scheduling."""
        picks = sorted((c, r) for _, c, r in self._heap)
        if not picks:
            return pd.DataFrame()
        rows: dict[int, list[int]] = {}
        for c, r in picks:
            rows.setdefault(c, []).append(r)
        return pd.concat([self._frames[c].iloc[r] for c, r in rows.items()], ignore_index=True)

    def __len__(self) -> int:
        return len(self._heap)
