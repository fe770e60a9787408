"""Generating and gating millions of rows: chunks, a shared faiss index, Dask (``pip install synthguard[scale]``).

``synthguard generate ... --rows 1000000 --chunk-rows 50000 --scheduler local`` cuts the request into chunks,
each sampled with its own seed (:func:`chunk_seed`), validated, gated and written as one partition, on a Dask
cluster or in process; the report is measured on a stated uniform sample. See docs/scale.md.
"""

from .chunks import DEFAULT_CHUNK_ROWS, REPORT_SAMPLE, STREAM_ABOVE, ChunkPlan, UniformSample, chunk_seed
from .options import ScaleOptions

__all__ = ["ChunkPlan", "UniformSample", "chunk_seed", "ScaleOptions", "DEFAULT_CHUNK_ROWS", "REPORT_SAMPLE",
           "STREAM_ABOVE"]
