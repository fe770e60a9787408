"""A small, seeded training loop with early stopping on a validation split and a progress bar."""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Callable

import torch
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from .. import log_progress
from .optim import AdamW


@dataclass
class TrainingHistory:
    """Per-epoch losses and what the loop decided (shown in the report)."""

    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_epochs: list[int] = field(default_factory=list)
    best_epoch: int = 0
    epochs_run: int = 0
    seconds: float = 0.0
    stopped_early: bool = False

    def to_json(self) -> dict:
        return {
            "train_loss": [round(x, 6) for x in self.train_loss],
            "val_loss": [round(x, 6) for x in self.val_loss],
            "val_epochs": self.val_epochs,
            "best_epoch": self.best_epoch,
            "epochs_run": self.epochs_run,
            "stopped_early": self.stopped_early,
        }


def updates_per_epoch(rows: int, batch_size: int) -> int:
    """Optimizer steps :func:`train_loop` takes in one epoch of ``rows`` (full batches and a remainder, or
    ``even_batches``: the same count); what a patience counted in steps divides by."""
    return -(-rows // batch_size)


def train_loop(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.Tensor, torch.Generator], torch.Tensor],
    train_data: torch.Tensor,
    val_data: torch.Tensor | None,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    generator: torch.Generator,
    patience: int | None = None,
    weight_decay: float = 0.0,
    progress: bool = False,
    description: str = "training",
    val_repeats: int | None = None,
    val_every: int = 1,
    fused: bool = False,
    keep_best: bool = True,
    on_epoch_end: Callable[[int], bool] | None = None,
    even_batches: bool = False,
    val_one_pass: bool = False,
) -> TrainingHistory:
    """Train ``model`` on row tensors with AdamW; keep the weights of the best validation epoch.

    ``loss_fn(batch, generator)`` returns a scalar; it receives the loop's generator so
    any randomness inside the loss (masking, noise) is seeded too. With ``val_data``
    and ``patience``, training stops after ``patience`` epochs without improvement and
    the best epoch's weights are restored — the model that generalises, not the one
    that memorised. ``val_repeats`` is how many draws of a random loss are averaged per
    validation (default: enough for ~2000 records, at most 16); a deterministic loss needs 1.
    ``val_every`` validates every that many epochs (and only those count for the best epoch): for a model
    whose validation loss is only recorded, not stopped on, a pass per epoch is time spent for a plot.
    ``fused`` runs AdamW as one fused kernel (faster for small models whose step is dominated by
    per-parameter overhead; off by default so models trained before it reproduce bit for bit).
    ``keep_best=False`` leaves the last epoch's weights (the validation loss is then only recorded);
    ``on_epoch_end(epoch)`` runs after each epoch and returns True to stop training there.
    ``even_batches`` cuts each epoch into ceil(n / batch_size) batches whose sizes differ by at most one, instead
    of full batches and a ragged remainder that takes a whole optimizer step on a few rows (630 rows in batches of
    157: four of 157 and one of 2); off by default so models trained before it reproduce bit for bit.
    ``val_one_pass`` scores the ``val_repeats`` draws in one batch, the split repeated that many times (one pass
    instead of several small ones; the same average for a loss that is a mean over rows); off by default, as above.
    """
    opt = AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, fused=fused)
    hist = TrainingHistory()
    best_state, best = None, float("inf")
    start = time.perf_counter()
    n = train_data.shape[0]
    columns = [TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} epochs"),
               TextColumn("loss {task.fields[loss]:.4f}"), TimeElapsedColumn()]
    with Progress(*columns, disable=not progress, transient=True) as bar:
        task = bar.add_task(description, total=epochs, loss=float("nan"))
        for epoch in range(epochs):
            model.train()
            perm = torch.randperm(n, generator=generator, device=generator.device).to(train_data.device)
            total, count = None, 0
            chunks = perm.tensor_split(updates_per_epoch(n, batch_size)) if even_batches else perm.split(batch_size)
            for rows in chunks:
                batch = train_data[rows]
                loss = loss_fn(batch, generator)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                part = _on_device_sum(loss) * len(batch)  # read once an epoch: no wait for the GPU at every step
                total = part if total is None else total + part
                count += len(batch)
            hist.train_loss.append(float(total) / count)
            hist.epochs_run = epoch + 1
            current = hist.train_loss[-1]
            validating = val_data is not None and len(val_data)
            if validating and (epoch + 1) % val_every == 0:
                model.eval()
                with torch.no_grad():
                    vgen = torch.Generator(device=generator.device)
                    vgen.manual_seed(12345)  # same validation draws every epoch: comparable losses
                    # a random loss on a small split is noisy: average enough draws for ~2000 records
                    repeats = val_repeats or min(16, max(1, -(-2000 // len(val_data))))
                    if val_one_pass:  # the split repeated in one batch: one pass instead of `repeats` small ones
                        current = float(loss_fn(val_data.repeat(repeats, *[1] * (val_data.dim() - 1)), vgen))
                    else:
                        current = sum(float(loss_fn(val_data, vgen)) for _ in range(repeats)) / repeats
                hist.val_loss.append(current)
                hist.val_epochs.append(epoch + 1)
            elif validating:
                current = float("inf")  # no validation this epoch: not a candidate for the best
            if current < best - 1e-6:
                best, hist.best_epoch = current, epoch + 1
                if keep_best:
                    best_state = copy.deepcopy(model.state_dict())
            bar.update(task, advance=1, loss=hist.train_loss[-1])
            log_progress.detail(f"epoch {epoch + 1} of at most {epochs}, loss {hist.train_loss[-1]:.4f}"
                                + (f", best epoch {hist.best_epoch}" if hist.best_epoch else ""))
            if patience is not None and epoch + 1 - hist.best_epoch >= patience:
                hist.stopped_early = True
                break
            if on_epoch_end is not None and on_epoch_end(epoch + 1):
                hist.stopped_early = True
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    hist.seconds = time.perf_counter() - start
    return hist


def _on_device_sum(loss: torch.Tensor) -> torch.Tensor:
    """A step's loss to be summed where it was computed: float64 (the same sums as Python floats) where the
    device has it."""
    return loss.detach().to(torch.float32 if loss.device.type == "mps" else torch.float64)
