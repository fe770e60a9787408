"""Data-parallel training across processes (torch.distributed): what a generator needs to train on K shards.

A generator whose config has ``workers`` trains in K processes (``--workers K``, or ``torchrun`` with K
processes) with :class:`~torch.nn.parallel.DistributedDataParallel`: gloo on CPU, NCCL on CUDA (one GPU
per process). Every process holds the training rows and draws the same batch order and the same random
masks (one seeded generator), takes its contiguous share of each global batch (:class:`Shard`), and the
averaged gradient is the one-process run's: the same global batch, the same loss curve up to the order of
floating-point sums. Two pieces do it:

- :func:`fit_data_parallel` runs a generator's ``_fit`` in K processes (``torch.multiprocessing`` spawn, a
  :class:`~torch.distributed.FileStore` rendezvous in a temporary folder, a timeout on every collective),
  or in this process when ``torchrun`` started it; rank 0's weights come back into the caller's generator
  (safetensors + JSON in the temporary folder). A worker that fails fails the run with one line
  (:class:`WorkerError`); nothing is written.
- :class:`DataParallel` is ``train_loop``'s loss function on one rank: the loss of this rank's share, scaled
  so that DDP's average is the global batch's gradient, whose value is the global loss (all ranks record
  and early-stop on the same number, so every rank stops at the same epoch).

Under ``torchrun`` rank 0 gets the fitted model and goes on (writes the bundle, samples); the other ranks
leave with exit status 0 once training ends, as the spawned workers do (through ``os._exit``, not the
interpreter's teardown: :func:`_exit_quietly` says why). DP-SGD is refused with K > 1: its
ledger counts one process's sample rate (:func:`check_workers`).
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch
import torch.distributed as dist
from pydantic import BaseModel, ConfigDict
from torch import nn

from .errors import ConfigError, SynthGuardError

__all__ = ["DataParallel", "Shard", "WorkerError", "active", "check_workers", "fit_data_parallel", "is_main",
           "launched_by_torchrun", "mean_over_ranks", "rank", "wanted", "world_size"]

#: seconds a collective (or the rendezvous) waits for a peer before the run fails: a worker that hung
TIMEOUT_S = float(os.environ.get("SYNTHGUARD_DDP_TIMEOUT", "300"))


class WorkerError(SynthGuardError):
    """A training process failed or died: the run fails with its one-line reason and writes nothing."""


@dataclass(frozen=True)
class Shard:
    """This process's contiguous share of every global batch (sizes differ by at most one row)."""

    rank: int
    world: int

    def bounds(self, n: int) -> tuple[int, int]:
        """Rows ``[lo, hi)`` of a global batch of ``n`` rows (as ``torch.tensor_split``'s ``world`` chunks)."""
        size, extra = divmod(n, self.world)
        lo = self.rank * size + min(self.rank, extra)
        return lo, lo + size + (self.rank < extra)


# ---------------------------------------------------------------------- where am I


def active() -> bool:
    """Whether this process is one rank of an initialised process group."""
    return dist.is_available() and dist.is_initialized()


def launched_by_torchrun() -> bool:
    """``torchrun`` (or any launcher that sets RANK and WORLD_SIZE) started this process as one of several."""
    return "RANK" in os.environ and int(os.environ.get("WORLD_SIZE", "1")) > 1


def rank() -> int:
    """This process's rank: the process group's, else torchrun's RANK, else 0."""
    return dist.get_rank() if active() else int(os.environ.get("RANK", "0"))


def world_size() -> int:
    """How many processes train: the process group's size, else torchrun's WORLD_SIZE, else 1."""
    return dist.get_world_size() if active() else int(os.environ.get("WORLD_SIZE", "1"))


def is_main() -> bool:
    """Rank 0 (or a lone process): the one that logs and writes."""
    return rank() == 0


def wanted(workers: int | None) -> bool:
    """Whether a generator configured with ``workers`` should hand its training to :func:`fit_data_parallel`
    (None: a generator that does not train data-parallel, even under torchrun)."""
    return workers is not None and not active() and (workers > 1 or launched_by_torchrun())


def _backend(device: torch.device) -> str:
    return "nccl" if device.type == "cuda" else "gloo"


def check_workers(workers: int, device: torch.device, *, dp: bool = False) -> int:
    """The number of training processes, or a :class:`ConfigError` saying why not (before any training)."""
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"--workers {workers!r}: expected a positive whole number of training processes")
    k = world_size() if launched_by_torchrun() else workers
    if launched_by_torchrun() and workers not in (1, k):
        raise ConfigError(f"--workers {workers} but torchrun started {k} processes: expected --workers {k} or none")
    if dp and k > 1:
        raise ConfigError(f"--workers {k} with --epsilon: DP-SGD under data-parallel training is refused (its ledger "
                          "counts one process's sample rate, not the global one): expected --workers 1 with --epsilon")
    if k > 1 and device.type not in ("cpu", "cuda"):
        raise ConfigError(f"--workers {k} on device {device.type!r}: expected --device cpu (gloo) or cuda (NCCL)")
    if not launched_by_torchrun():  # torchrun's process count is the launcher's business
        if device.type == "cuda":
            limit, what = torch.cuda.device_count(), "the CUDA GPUs torch sees: NCCL runs one process per GPU"
        else:
            limit, what = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, \
                "the CPU cores this process may use"
        if k > limit:
            raise ConfigError(f"--workers {k}: expected at most {limit} ({what})")
    return k


# ---------------------------------------------------------------------- one rank's loss


class _LossModule(nn.Module):
    """What DDP wraps: the model, and as forward this rank's part of the loss (so DDP sees the whole step)."""

    def __init__(self, model: nn.Module, shard_loss: Callable, shard: Shard):
        super().__init__()
        self.model, self.shard_loss, self.shard = model, shard_loss, shard

    def forward(self, batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        return self.shard_loss(batch, generator, self.shard)


def mean_over_ranks(value: torch.Tensor) -> torch.Tensor:
    """The mean of a scalar over all ranks, summed in rank order: the same bits on every rank."""
    parts = [torch.empty(1, dtype=value.dtype, device=value.device) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, value.detach().reshape(1))
    total = parts[0]
    for p in parts[1:]:
        total = total + p
    return (total / len(parts)).reshape(())


class DataParallel:
    """``train_loop``'s loss function on one rank of a process group.

    ``shard_loss(batch, generator, shard)`` gets the global batch and the loop's generator (identical on every
    rank: draw the batch's random masks for all its rows, then keep ``shard.bounds(len(batch))``) and returns
    this rank's part: its rows' loss summed and divided by the global batch's count, times ``shard.world`` — so
    that DDP's average of the ranks' gradients is the gradient of the global batch's loss. The returned
    tensor's value is the global loss (the mean of the parts, the same on every rank); its gradient is this
    part's. Under ``no_grad`` (validation) the model runs without DDP.
    """

    def __init__(self, model: nn.Module, shard_loss: Callable, device: torch.device):
        from torch.nn.parallel import DistributedDataParallel

        self.shard = Shard(dist.get_rank(), dist.get_world_size())
        self.module = _LossModule(model, shard_loss, self.shard)
        # buffers are constants here (no batch norm): synced once, not at every step
        self.ddp = DistributedDataParallel(self.module, device_ids=[device.index] if device.type == "cuda" else None,
                                           forward_sync_buffers=False)
        if self.shard.rank:  # dropout draws from the global generator: another stream on every rank
            torch.manual_seed((torch.initial_seed() + self.shard.rank) % 2**63)

    def __call__(self, batch: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        part = (self.ddp if torch.is_grad_enabled() else self.module)(batch, generator)
        return part - part.detach() + mean_over_ranks(part)  # value: the global loss; gradient: this part's


# ---------------------------------------------------------------------- launching


class _WorkerResult(BaseModel):
    """What rank 0 hands back (beside its weights in safetensors): the generator's JSON state and fit facts."""

    model_config = ConfigDict(extra="forbid")

    state: dict[str, Any]
    info: dict[str, Any]
    world_size: int
    backend: str


def fit_data_parallel(model, data, *, device: torch.device, seed: int, progress: bool, workers: int,
                      dp: bool = False, method: str = "_fit") -> dict[str, Any]:
    """Run ``model.<method>(data, ...)`` (a generator's ``_fit`` or ``_resume``) as data-parallel training.

    Spawns ``workers`` processes, or, under ``torchrun``, joins its process group in this process. Rank 0's
    fitted state comes back into ``model``; returns its fit facts with a ``distributed`` entry.
    """
    k = check_workers(workers, device, dp=dp)
    facts = {"workers": k, "backend": _backend(device), "launcher": "torchrun" if launched_by_torchrun() else "spawn"}
    if launched_by_torchrun():
        return {**_run_torchrun(model, data, device=device, seed=seed, progress=progress, method=method),
                "distributed": facts}
    import logging

    import torch.multiprocessing as mp
    from safetensors.torch import load_file
    from torch.multiprocessing.spawn import ProcessException

    threads = max(1, torch.get_num_threads() // k)
    with tempfile.TemporaryDirectory(prefix="synthguard-ddp-") as tmp:
        spawn_log = logging.getLogger("torch.multiprocessing.spawn")
        level = spawn_log.level
        spawn_log.setLevel(logging.ERROR)  # its "terminating process ..." warnings: the error line says it all
        pipes = [mp.get_context("spawn").Pipe(duplex=False) for _ in range(k)]
        workers = None
        try:
            workers = mp.spawn(_worker, args=(k, tmp, [r for r, _ in pipes], str(device), seed, progress, method,
                                              threads), nprocs=k, join=False)
            for reader, writer in pipes:  # the model and the rows: sent from threads, so a worker that dies while
                reader.close()            # reading them cannot block this one (spawn's own argument pipe would)
                threading.Thread(target=_send, args=(writer, (model, data)), daemon=True).start()
            while not workers.join():
                pass
        except ProcessException as err:
            raise WorkerError(_failure(tmp, err, k, workers.processes if workers is not None else [])) from None
        finally:
            spawn_log.setLevel(level)
        result = _WorkerResult.model_validate_json(Path(tmp, "result.json").read_text())
        tensors = load_file(str(Path(tmp, "weights.safetensors")))
    model._set_state(tensors, result.state)
    if isinstance(getattr(model, "model_", None), nn.Module):
        model.model_ = model.model_.to(device)
    return {**result.info, "distributed": facts}


def _init(backend: str, *, rank: int, world: int, store_file: str | None) -> None:
    timeout = datetime.timedelta(seconds=TIMEOUT_S)
    if store_file is None:
        dist.init_process_group(backend, timeout=timeout)  # env:// (torchrun's MASTER_ADDR/PORT, RANK, WORLD_SIZE)
    else:
        dist.init_process_group(backend, store=dist.FileStore(store_file, world), rank=rank, world_size=world,
                                timeout=timeout)


def _run_torchrun(model, data, *, device, seed, progress, method) -> dict[str, Any]:
    local = int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local)
        torch.cuda.set_device(device)
    _init(_backend(device), rank=int(os.environ["RANK"]), world=int(os.environ["WORLD_SIZE"]), store_file=None)
    try:
        info = getattr(model, method)(data, device=device, seed=seed, progress=progress and is_main())
        main = is_main()
    finally:
        dist.destroy_process_group()
    if not main:
        _exit_quietly()  # rank 0 goes on to write; the others have done their part
    return info


def _exit_quietly() -> None:
    """Leave this training process with status 0 without tearing the interpreter down.

    Gloo's worker thread drops its last collective (and the Python tensors it holds) just after that
    collective returned here; a process that exits at once can reach interpreter teardown first, and that
    thread's GIL acquire then aborts the process (SIGABRT, "terminate called without an active exception";
    seen about once in 30 runs on 2 busy cores; pytorch/pytorch#179291). Nothing is left to clean up here.
    """
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)


def _send(writer, payload) -> None:
    """Hand a worker its model and rows (in-memory IPC between our own processes; nothing on disk)."""
    try:
        writer.send(payload)
    except OSError:  # the worker died: the parent's join reports it
        pass
    finally:
        writer.close()


def _worker(rank: int, world: int, tmp: str, readers: list, device: str, seed: int, progress: bool, method: str,
            threads: int) -> None:
    """One spawned training process; rank 0 writes the result into ``tmp``."""
    from safetensors.torch import save_file

    from .models import seed_everything

    try:
        if not readers[rank].poll(TIMEOUT_S):
            raise WorkerError(f"no model and rows from the parent process within {TIMEOUT_S:.0f} s")
        model, data = readers[rank].recv()
        for reader in readers:
            reader.close()
        torch.set_num_threads(threads)
        dev = torch.device(device)
        if dev.type == "cuda":
            dev = torch.device("cuda", rank)
            torch.cuda.set_device(dev)
        _init(_backend(dev), rank=rank, world=world, store_file=str(Path(tmp, "rendezvous")))
        try:
            seed_everything(seed)
            info = getattr(model, method)(data, device=dev, seed=seed, progress=progress and rank == 0)
            if rank == 0:
                tensors, state = model._get_state()
                save_file({k: v.detach().cpu().contiguous() for k, v in tensors.items()},
                          str(Path(tmp, "weights.safetensors")))
                result = _WorkerResult(state=state, info=dict(info or {}), world_size=world, backend=_backend(dev))
                Path(tmp, "result.json").write_text(result.model_dump_json())
        finally:
            dist.destroy_process_group()
    except BaseException as err:  # the reason, for the parent's one line; then fail as spawn expects
        reason = str(err) if isinstance(err, SynthGuardError) else f"{type(err).__name__}: {err}"
        Path(tmp, f"error-{rank}.txt").write_text(json.dumps({"time": time.time(), "reason": reason.splitlines()[0]
                                                                                          if reason else type(err).__name__}))
        raise
    _exit_quietly()  # the parent reads the result from tmp; see there why not a normal return


def _failure(tmp: str, err: Exception, world: int, processes: list) -> str:
    """One line: how a worker died (killed, no Python error), else the first worker's own reason (the others
    then fail on the broken group). A worker killed by a signal other than the SIGTERM spawn sends the rest
    is the cause even when spawn noticed its peer's broken-connection error first."""
    import signal as signals

    for index, proc in enumerate(processes):
        code = proc.exitcode
        if code is not None and code < 0 and -code != signals.SIGTERM and not Path(tmp, f"error-{index}.txt").exists():
            return (f"training worker {index} of {world} was killed by {signals.Signals(-code).name}: the run stopped; "
                    "nothing was written")
    who = getattr(err, "error_index", "?")
    code, signal = getattr(err, "exit_code", None), getattr(err, "signal_name", None)
    if code is not None and not Path(tmp, f"error-{who}.txt").exists():
        how = f"was killed by {signal}" if signal else f"exited with status {code}"
        return f"training worker {who} of {world} {how}: the run stopped; nothing was written"
    reports = []
    for path in Path(tmp).glob("error-*.txt"):
        try:
            reports.append((json.loads(path.read_text())["time"], int(path.stem.split("-")[1]),
                            json.loads(path.read_text())["reason"]))
        except (ValueError, KeyError, OSError):
            continue
    if reports:
        _, who, reason = min(reports)
        return f"training worker {who} of {world} failed: {reason}; nothing was written"
    return f"training worker {who} of {world} failed: {str(err).strip().splitlines()[-1]}; nothing was written"
