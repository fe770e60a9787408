"""What a chunked run was asked for (``--chunk-rows``, ``--scheduler``), validated once, before any training."""

from __future__ import annotations

import socket
from typing import Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import ConfigError
from .chunks import DEFAULT_CHUNK_ROWS, MAX_CHUNKS, REPORT_SAMPLE, STREAM_ABOVE

#: Seconds to wait for a ``tcp://`` scheduler to answer before refusing the run.
CONNECT_TIMEOUT = 10


class ScaleOptions(BaseModel):
    """How a large request is cut and where its chunks run.

    ``scheduler`` None runs the chunks one after another in this process (memory still bounded by one
    chunk); ``"local"`` starts a ``dask.distributed`` LocalCluster on this machine's cores; ``tcp://host:port``
    uses an existing Dask cluster (its workers must see ``--out``: a shared file system).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    chunk_rows: int = Field(DEFAULT_CHUNK_ROWS, ge=1, description="records per chunk (one partition each)")
    scheduler: str | None = Field(None, description="None (in process), 'local', or tcp://host:port")
    workers: int | None = Field(None, ge=1,
                                description="LocalCluster worker processes (default: this machine's cores / threads)")
    threads: int | None = Field(None, ge=1, description="LocalCluster threads per worker process (default: 2, or the "
                                "cores / workers when workers are given)")
    index: Literal["auto", "exact", "ivf"] = Field("auto", description="near-copy search: exact, IVF, or by size")
    report_sample: int = Field(REPORT_SAMPLE, ge=100, description="rows of the uniform sample the report measures")
    auto: bool = Field(False, description="chosen by the row count, not asked for (falls back where it cannot stream)")

    @field_validator("scheduler")
    @classmethod
    def _scheduler(cls, value: str | None) -> str | None:
        if value is None or value == "local":
            return value
        parts = urlsplit(value)
        if parts.scheme != "tcp" or not parts.hostname or parts.port is None:
            raise ValueError(f"scheduler {value!r}: expected 'local' or tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786)")
        return value

    @model_validator(mode="after")
    def _layout_needs_local(self) -> "ScaleOptions":
        if (self.workers is not None or self.threads is not None) and self.scheduler != "local":
            raise ValueError("--dask-workers/--dask-threads lay out the LocalCluster this command starts: expected "
                             "--scheduler local with them (an existing cluster's workers are its own)")
        return self

    def check_rows(self, rows: int) -> None:
        chunks = -(-rows // self.chunk_rows)
        if chunks > MAX_CHUNKS:
            raise ConfigError(f"rows {rows:,} in chunks of {self.chunk_rows:,} is {chunks:,} chunks: expected at most "
                              f"{MAX_CHUNKS:,} (at most {MAX_CHUNKS * self.chunk_rows:,} rows at this --chunk-rows; "
                              "raise --chunk-rows or split the request into runs with other seeds)")

    def preflight(self) -> None:
        """Refuse at once (before training) a ``tcp://`` scheduler nothing listens at."""
        if self.scheduler is None or self.scheduler == "local":
            return
        parts = urlsplit(self.scheduler)
        try:
            with socket.create_connection((parts.hostname, parts.port), timeout=CONNECT_TIMEOUT):
                pass
        except OSError as err:
            raise ConfigError(f"Dask scheduler {self.scheduler} cannot be reached ({err.strerror or err}): expected a "
                              "running scheduler (`dask scheduler` on that host) or --scheduler local") from None


def streaming_for(rows: int, scale: "ScaleOptions | dict | None", out) -> ScaleOptions | None:
    """The run's scale options: as asked, automatic above :data:`STREAM_ABOVE` rows to a directory or a
    database, or None (in memory)."""
    from ..contract import validated

    if scale is None:
        return ScaleOptions(auto=True) if rows > STREAM_ABOVE and out is not None else None
    scale = validated(ScaleOptions, scale, "scale options")
    if out is None:
        raise ConfigError("--chunk-rows/--scheduler write each chunk as it is gated: expected --out DIRECTORY or "
                          "--out DATABASE_URL (partitioned Parquet/CSV files, or database tables)")
    return scale
