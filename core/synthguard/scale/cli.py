"""``--chunk-rows``, ``--scheduler``, ``--dask-workers``, ``--index`` of ``generate`` and ``sample`` (collected into scale options)."""

from __future__ import annotations

from typing import Any

import click

_KEY = "synthguard.scale"
_FIELDS = {"dask_workers": "workers", "dask_threads": "threads"}


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    if value is not None:  # keyed by ScaleOptions' field names
        ctx.meta.setdefault(_KEY, {})[_FIELDS.get(param.name, param.name)] = value


scale_options = [
    click.option("--chunk-rows", type=int, default=None, expose_value=False, callback=_store,
                 help="stream: sample, gate and write this many records at a time as synthetic/part-NNNNN.parquet "
                      "(automatic, 50,000, above 500,000 --rows to a directory); memory stays one chunk per worker"),
    click.option("--scheduler", default=None, expose_value=False, callback=_store, metavar="local|tcp://HOST:PORT",
                 help="run the chunks on Dask: 'local' starts a LocalCluster on this machine's cores, tcp://HOST:PORT "
                      "uses an existing cluster (its workers must see --out); implies streaming"),
    click.option("--dask-workers", type=int, default=None, expose_value=False, callback=_store,
                 help="with --scheduler local: Dask worker processes (default: the machine's cores / --dask-threads; "
                      "--workers is training's data-parallel processes)"),
    click.option("--dask-threads", type=click.IntRange(min=1), default=None, expose_value=False, callback=_store,
                 help="with --scheduler local: threads per Dask worker process (default 2, sharing one copy of the "
                      "model: less memory than a process each; with --dask-workers, the cores / workers)"),
    click.option("--index", type=click.Choice(["auto", "exact", "ivf"]), default=None, expose_value=False,
                 callback=_store, help="streaming: near-copy/NNDR search, exact or faiss IVF (auto: IVF from 100,000 "
                                       "training records); thresholds are always calibrated exactly"),
]


def scale_from(ctx: click.Context) -> dict[str, Any] | None:
    """The scale options given on the command line, or None (in memory unless --rows is large)."""
    return dict(ctx.meta.get(_KEY, {})) or None
