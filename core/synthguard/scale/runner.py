"""A chunked run: every chunk sampled, validated, gated and written as one partition, on Dask or in process.

::

    prepare the gate once (thresholds from the holdout, exactly as in memory)  ->  shared faiss index
      -> chunk i (any worker, any order): sample with chunk_seed(seed, i) -> validators -> privacy gate
         -> directory: synthetic/part-i.parquet (+ rejected/part-i.parquet) in the run's temporary directory
            database: the chunk's rows go back to the driver, which appends them to staging tables
      -> driver: counts and a uniform sample (bottom-k over all chunks)
      -> metrics + privacy audit + release decision on that sample -> report -> the directory appears, or the
         staging tables and the report table are swapped in (one transaction)

Peak memory is one chunk per worker (and, for a database, the chunks in flight in the driver) plus the sample,
whatever ``rows`` is.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import pandas as pd

from ..contract import CheckContext, Generator, PrivacyFilter, Validator
from ..data import Table
from ..errors import ConfigError, SynthGuardError
from ..io.database import Database, source_kinds
from ..io.partitioned import write_partition
from ..io.writers import free_name
from .chunks import ChunkPlan, UniformSample, chunk_seed, sample_keys
from .options import CONNECT_TIMEOUT, ScaleOptions

#: Times Dask runs a chunk again after it raised (a worker that dies is handled by Dask's own
#: ``distributed.scheduler.allowed-failures``: its tasks are rerun elsewhere, up to that many deaths).
RETRIES = 2


@dataclass
class ChunkJob:
    """Everything a worker needs to deliver any chunk: shipped to each worker once (Dask ``scatter``)."""

    model: Generator
    validators: Sequence[Validator]
    privacy_filters: Sequence[PrivacyFilter]
    context: CheckContext
    options: Any
    conditions: dict[str, Any]
    plan: ChunkPlan
    seed: int
    folder: str | None  # None: the chunk's rows go back to the driver (a database target)
    fmt: str
    sample_size: int


@dataclass
class ChunkOutcome:
    """What a chunk tells the driver: counts, timings and its offer to the uniform sample (not its rows)."""

    index: int
    delivered: int
    sampled: int
    rejected: int
    rounds: int
    tally: dict[str, int]
    rejected_by_stage: dict[str, int]
    sample_seconds: float
    check_seconds: float
    offer: pd.DataFrame = field(repr=False)
    keys: np.ndarray = field(repr=False)
    records: pd.DataFrame | None = field(default=None, repr=False)  # the rows, when the driver writes them
    rejected_rows: pd.DataFrame | None = field(default=None, repr=False)  # with _stage, _checks, _reason


def run_chunk(job: ChunkJob, index: int) -> ChunkOutcome:
    """Sample, validate, gate and write chunk ``index`` (what one Dask task does); without a folder the rows
    go back in the outcome, for the driver to write."""
    from ..pipeline import sample_checked
    from .allocator import keep_freed_memory

    keep_freed_memory()  # a Dask worker's MALLOC_TRIM_THRESHOLD_ made sampling 2.6-2.8x slower
    rows = job.plan.size(index)
    got = sample_checked(job.model, rows, job.validators, job.privacy_filters, job.context, job.options,
                         chunk_seed(job.seed, index), job.conditions or None)
    rejected = 0 if got.rejected is None else len(got.rejected)
    extra = {f"_{c}": got.rejected_info[c].to_numpy() for c in got.rejected_info.columns} if rejected else {}
    records = rejected_rows = None
    if job.folder is not None:
        folder = Path(job.folder)
        write_partition(got.records, folder / "synthetic", index, job.fmt)
        if rejected:
            write_partition(got.rejected, folder / "rejected", index, job.fmt, extra=extra)
    else:
        records = got.records.frame.reset_index(drop=True)
        if rejected:
            rejected_rows = got.rejected.frame.reset_index(drop=True)
            for key, values in extra.items():
                rejected_rows[free_name(key, rejected_rows.columns)] = values
    offer, keys = UniformSample.offer(got.records.frame, sample_keys(job.seed, index, len(got.records)),
                                      job.sample_size)
    stages = got.rejected_info["stage"].value_counts().to_dict() if rejected else {}
    return ChunkOutcome(index=index, delivered=len(got.records), sampled=got.sampled, rejected=rejected,
                        rounds=got.rounds, tally=dict(got.tally), rejected_by_stage={str(k): int(v) for k, v in stages.items()},
                        sample_seconds=got.sample_seconds, check_seconds=got.check_seconds, offer=offer, keys=keys,
                        records=records, rejected_rows=rejected_rows)


def execute(job: ChunkJob, scale: ScaleOptions) -> Iterator[ChunkOutcome]:
    """Every chunk's outcome, in the order they finish (in process: in chunk order)."""
    chunks = job.plan.chunks
    if scale.scheduler is None:
        for index in range(chunks):
            yield run_chunk(job, index)
        return
    with connect(scale) as client:
        [shared] = client.scatter([job], broadcast=True, hash=False)  # the model, gate and index: once per worker
        from distributed import as_completed

        workers = client.scheduler_info(n_workers=-1).get("workers", {}).values()
        window = max(2, 2 * sum(w.get("nthreads", 1) for w in workers))  # two chunks in flight per worker thread
        pending = iter(range(chunks))

        def submit(index: int):
            return client.submit(run_chunk, shared, index, key=f"synthguard-chunk-{index}", pure=False,
                                 retries=RETRIES)

        running = as_completed([submit(i) for _, i in zip(range(window), pending)])
        for future in running:
            outcome = future.result()
            future.release()
            nxt = next(pending, None)
            if nxt is not None:
                running.add(submit(nxt))
            yield outcome


def local_layout(scale: ScaleOptions) -> dict[str, int]:
    """A LocalCluster's worker processes and threads per process (nothing for other schedulers), filling the cores:
    by default two threads per process, which share one copy of the model, the gate and the libraries — a third less
    memory than a process per core for ~8% more time on 2 cores (docs/scale.md, "Limits")."""
    if scale.scheduler != "local":
        return {}
    cores = os.cpu_count() or 1
    threads = scale.threads or (max(1, cores // scale.workers) if scale.workers else min(2, cores))
    return {"dask_workers": scale.workers or max(1, cores // threads), "dask_threads": threads}


class connect:
    """A Dask client for ``scale.scheduler``: a LocalCluster started (and stopped) here, or an existing cluster."""

    def __init__(self, scale: ScaleOptions):
        self.scale = scale
        self.cluster = self.client = None

    def __enter__(self):
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ConfigError("--scheduler needs Dask: expected `pip install synthguard[scale]`") from None
        import dask

        try:
            if self.scale.scheduler == "local":
                layout = local_layout(self.scale)
                # workers without Dask's MALLOC_TRIM_THRESHOLD_ (allocator.py): None leaves the variable unset
                with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
                    self.cluster = LocalCluster(n_workers=layout["dask_workers"],
                                                threads_per_worker=layout["dask_threads"], processes=True,
                                                dashboard_address=":0")
                self.client = Client(self.cluster)
            else:
                with dask.config.set({"distributed.comm.timeouts.connect": f"{CONNECT_TIMEOUT}s"}):
                    self.client = Client(self.scale.scheduler, timeout=f"{CONNECT_TIMEOUT}s")
        except (OSError, TimeoutError) as err:
            self.__exit__(None, None, None)
            raise ConfigError(f"Dask scheduler {self.scale.scheduler} cannot be reached ({err}): expected a running "
                              "scheduler (`dask scheduler` on that host) or --scheduler local") from None
        return self.client

    def __exit__(self, *exc):
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def share_index(context: CheckContext, scale: ScaleOptions) -> dict[str, Any] | None:
    """Put the shared faiss index where the near-copy/NNDR filters look for it (after they calibrated)."""
    if context.reference is None or context.distance is None:
        return None
    from .index import SharedIndex

    index = SharedIndex(context.nearest_reference(), kind=scale.index)
    context._shared["nearest"] = index
    context._shared.pop("last_search", None)  # the holdout's search: not needed by the chunks
    return index.describe()


def sink_for(run, model: Generator):
    """Where the chunks go: the run's temporary directory, or staging tables in the target database."""
    from .sinks import DatabaseSink, DirectorySink

    spec = run.spec
    if isinstance(spec.out, Database):  # the source's column kinds decide the SQL types, as in memory
        kinds = source_kinds({"generator": {"fit": model.fit_info_}, "lineage": run.lineage})
        return DatabaseSink(spec.out, kinds, spec.overwrite)
    return DirectorySink(spec.out, spec.fmt, spec.overwrite)


def deliver_streamed(run, model: Generator, reference, holdout, options, validators: Sequence[Validator],
                     privacy_filters: Sequence[PrivacyFilter], context: CheckContext, start: float):
    """Deliver ``run.spec.rows`` records chunk by chunk into partitioned Parquet/CSV at ``run.spec.out``, or
    into database tables (appended by this process, swapped in at the end)."""
    from ..pipeline import Sampled
    from ..result import Result

    spec, scale = run.spec, run.spec.scale
    plan = ChunkPlan(spec.rows, min(scale.chunk_rows, spec.rows))
    index = share_index(context, scale)
    run.step(f"streaming {spec.rows:,} records in {plan.chunks:,} chunks of {plan.chunk_rows:,} "
             f"({scale.scheduler or 'in process'}), {len(validators)} validators, {len(privacy_filters)} privacy filters")

    with sink_for(run, model) as sink:
        job = ChunkJob(model=model, validators=list(validators), privacy_filters=list(privacy_filters),
                       context=context, options=options, conditions=dict(spec.conditions), plan=plan, seed=spec.seed,
                       folder=sink.folder, fmt=spec.fmt, sample_size=scale.report_sample)
        sample = UniformSample(scale.report_sample)
        tally = {c.name: 0 for c in (*validators, *privacy_filters)}
        totals = {"delivered": 0, "sampled": 0, "rejected": 0, "rounds": 0, "sample_seconds": 0.0,
                  "check_seconds": 0.0}
        stages: dict[str, int] = {}
        done = 0
        for outcome in execute(job, scale):
            sink.add(outcome)
            sample.add(outcome.index, outcome.offer, outcome.keys)
            for key in ("delivered", "sampled", "rejected", "sample_seconds", "check_seconds"):
                totals[key] += getattr(outcome, key)
            totals["rounds"] = max(totals["rounds"], outcome.rounds)
            for name, n in outcome.tally.items():
                tally[name] = tally.get(name, 0) + n
            for name, n in outcome.rejected_by_stage.items():
                stages[name] = stages.get(name, 0) + n
            done += 1
            run.step(f"chunk {outcome.index} done ({done}/{plan.chunks}, {totals['delivered']:,} records)")
        if totals["delivered"] != spec.rows:  # pragma: no cover - every chunk raises rather than deliver fewer
            raise SynthGuardError(f"delivered {totals['delivered']} of {spec.rows} records")
        measured = Table(sample.frame(), model.meta_)
        sampled = Sampled(records=measured, rejected=None, rejected_info=pd.DataFrame(columns=["stage", "checks", "reason"]),
                          tally=tally, rounds=totals["rounds"], sampled=totals["sampled"],
                          sample_seconds=totals["sample_seconds"], check_seconds=totals["check_seconds"])
        report = run.build_report(model, sampled, reference, holdout, options, validators, privacy_filters, context,
                                  start)
        report["sampling"] = {"rounds": totals["rounds"], "sampled": totals["sampled"], "rejected": totals["rejected"],
                              "acceptance_rate": round(totals["delivered"] / max(totals["sampled"], 1), 4),
                              "rejected_by_stage": stages,
                              "seconds_are": "summed over chunks (CPU-seconds of the workers)"}
        report["measured_on"] = {
            "what": "uniform sample of the delivered records",
            "rows": len(measured), "of": spec.rows,
            "method": "bottom-k: each record gets a uniform key from the run seed and its chunk; the rows with the "
                      "smallest keys over all chunks (a reservoir sample that does not depend on the scheduling)",
            "covers": ["metrics", "privacy audit", "release decision"],
            "not_covered": "the gate (validators and privacy filters) ran on every sampled record",
        }
        report["scale"] = {"chunks": plan.chunks, "chunk_rows": plan.chunk_rows,
                           "scheduler": scale.scheduler or "in process", **local_layout(scale),
                           "chunk_seeds": "chunk_seed(seed, chunk index)",
                           "near_copy_index": index, "retries": RETRIES,
                           "written_by": "the workers (partitions)" if sink.writes_on_workers else
                                         "the driver (each chunk appended to staging tables as it completed)",
                           "wall_seconds": round(time.perf_counter() - start, 3)}
        report.update(sink.where(plan.chunks))
        report = sink.finish(report)
    return Result(measured, None, sampled.rejected_info, report, context=context)
