"""The rectified-flow sequence generator: :class:`SequenceFlow` behind :class:`MixtureSequenceGenerator`'s contract.

Everything around the network (statics, covariates, conditions, resume, bundles, the validation split by
recording) is :class:`MixtureSequenceGenerator`'s. What differs is training: a flow-matching loss is a
regression on random noise and flow times, so its validation loss says little about sample quality and
early stopping on it is not used; instead the network trains for a fixed budget of optimizer steps (a
one-cycle learning rate) and the samples come from an exponential moving average of its weights (the
usual practice for diffusion and flow models; torch's ``AveragedModel``). The held-out recordings' loss is
still recorded for the report.

Long recordings are not windowed: the patch grows with the length so a recording is at most
``max_tokens`` tokens, and whole recordings are generated at their native length (no stitching).
"""

from __future__ import annotations

import time
from typing import Any, Literal

import numpy as np
import torch
from pydantic import Field

from synthguard import SequenceSet
from synthguard.models import one_cycle, torch_generator

from .flow import SequenceFlow
from .generator import MixtureSequenceGenerator, SequenceTrainingConfig, validation_split


class FlowSequenceConfig(SequenceTrainingConfig):
    """The flow model's sizes and training budget (chosen on Sines and BasicMotions; see benchmarks/README.md).

    ``overlap`` 0.5 and ``solver`` "heun" since 2026-12-04: on basic_motions windows (TimeGAN's protocol, 3 fit
    seeds) the overlap took the discriminative score from 0.056 to 0.030 and Heun's solver on the same fits to 0.017
    (the LSTM `sensor`: 0.036); Sines stays under 0.02 (docs/sensor-flow.md)."""

    epochs: int | None = Field(None, ge=1, description=(
        "passes over the training recordings; when given (`--epochs`), training takes exactly ceil(epochs x recordings "
        "/ batch) optimizer steps instead of `steps`/`min_epochs`/`max_steps`"))
    steps: int = Field(2000, ge=1, description="optimizer steps (batches) of training, at least")
    min_epochs: float = Field(0, ge=0, description=(
        "...and at least this many passes over the training recordings (a big panel needs more steps than a small "
        "one), up to max_steps; 0 = exactly `steps`"))
    max_steps: int = Field(20_000, ge=1, description="most optimizer steps that min_epochs may ask for")
    batch_size: int = Field(128, ge=2)
    lr: float = Field(1e-3, gt=0, description="peak learning rate of the one-cycle schedule")
    weight_decay: float = Field(0.0, ge=0)
    ema: float = Field(0.999, ge=0, lt=1, description="decay of the weights' moving average that samples")
    hidden: int = Field(64, ge=8, le=2048, description="transformer width")
    layers: int = Field(3, ge=1, le=12, description="transformer blocks")
    heads: int = Field(4, ge=1, le=16, description="attention heads (must divide hidden)")
    max_tokens: int = Field(8, ge=1, le=1024, description=(
        "most tokens a recording is cut into: the patch is ceil(length / max_tokens) steps"))
    solver_steps: int = Field(32, ge=1, le=1000, description="solver steps from noise to a recording")
    overlap: float = Field(0.5, ge=0, le=1, description=(
        "how far each token reaches into either neighbouring patch, as a share of the patch (rounded up to steps): it "
        "reads those steps too and its outputs there are added to the neighbour's (a learned cross-fade at the seams; "
        "0.5 = 2 steps on 4-step patches); 0 = disjoint patches, as bundles fitted before 2026-12-04"))
    solver: Literal["euler", "midpoint", "heun"] = Field("heun", description=(
        "ODE solver of sampling: Heun or midpoint (two network passes a step, second order) or Euler (one pass a step; "
        "bundles fitted before 2026-12-04)"))
    predict: Literal["data", "velocity"] = Field("data", description=(
        "what the network outputs: the clean recording (JiT's x-prediction) or the velocity itself"))
    times: Literal["logit-normal", "uniform"] = Field("logit-normal", description=(
        "how training draws flow times: logit-normal around the noisy side (JiT, for data prediction), or uniform"))


class FlowSequenceGenerator(MixtureSequenceGenerator):
    """Whole recordings generated at once by a rectified flow (see :mod:`.flow`), conditional on statics."""

    Config = FlowSequenceConfig
    smoke_config = {"steps": 2, "min_epochs": 0, "hidden": 8, "layers": 1, "heads": 2, "solver_steps": 2}

    def _build(self) -> SequenceFlow:
        c, e = self.config, self.encoder_
        if c.hidden % c.heads:
            from synthguard import ConfigError
            raise ConfigError(f"hidden={c.hidden} is not a multiple of heads={c.heads}: expected heads to divide hidden")
        patch = -(-self.length_ // c.max_tokens)
        return SequenceFlow(len(e.channels), [len(v) for v in e.categorical.values()], len(e.numeric), self.length_,
                            c.hidden, c.layers, c.heads, patch, n_exogenous=self.n_exogenous_,
                            solver_steps=c.solver_steps, predict_data=c.predict == "data",
                            logit_normal_times=c.times == "logit-normal", solver=c.solver,
                            overlap=int(np.ceil(c.overlap * patch - 1e-9)))

    @classmethod
    def from_state(cls, config, tensors, state):
        """A bundle fitted before the ``overlap`` and ``solver`` options existed had disjoint patches and sampled with
        Euler steps: it reads as ``overlap=0, solver="euler"`` and samples as it did. One written before ``epochs``
        counted passes (2026-12-05) kept an ``epochs`` that trained nothing: it reads as None, so a resume trains
        for ``steps`` as that bundle did."""
        config = {"overlap": 0.0, "solver": "euler", **dict(config)}
        if not state.get("model", {}).get("epochs_are_passes"):
            config["epochs"] = None
        return super().from_state(config, tensors, state)

    def _get_state(self):
        tensors, state = super()._get_state()
        return tensors, {**state, "epochs_are_passes": True}

    def training_steps(self, n_train: int, batch: int) -> int:
        """``epochs`` passes over ``n_train`` recordings where ``epochs`` is given; otherwise ``steps``, or more where
        ``min_epochs`` passes need more (at most ``max_steps``)."""
        c = self.config
        if c.epochs is not None:
            return max(1, int(np.ceil(c.epochs * n_train / max(1, batch))))
        wanted = int(np.ceil(c.min_epochs * n_train / max(1, batch)))
        return max(c.steps, min(wanted, c.max_steps))

    def _train(self, data: SequenceSet, cats: np.ndarray, nums: np.ndarray, exo: np.ndarray | None, *, device,
               seed: int, progress: bool, description: str, groups: np.ndarray | None = None) -> dict[str, Any]:
        c = self.config
        x = torch.from_numpy(self.encoder_.scale(data.values)).to(device)
        cats_t, nums_t = torch.from_numpy(cats).to(device), torch.from_numpy(nums).to(device)
        ex = None if exo is None else torch.from_numpy(exo).to(device)
        gen = torch_generator(seed)
        val, train = validation_split(len(x), c.val_fraction, gen, groups)
        val, train = val.to(device), train.to(device)
        model = self.model_.train()
        average = torch.optim.swa_utils.AveragedModel(
            model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(c.ema))
        opt = torch.optim.AdamW(model.parameters(), lr=c.lr, weight_decay=c.weight_decay)
        batch = min(c.batch_size, len(train))
        steps = self.training_steps(len(train), batch)
        schedule = one_cycle(opt, c.lr, steps, pct_start=0.05)

        def loss(net: torch.nn.Module, idx: torch.Tensor, g: torch.Generator) -> torch.Tensor:
            return net.loss(x[idx], cats_t[idx], nums_t[idx], None if ex is None else ex[idx], generator=g)

        start, losses, every = time.perf_counter(), [], max(1, steps // 50)
        running = 0.0
        for step in range(steps):
            idx = train[torch.randint(len(train), (batch,), generator=gen, device=gen.device).to(device)]
            value = loss(model, idx, gen)
            opt.zero_grad(set_to_none=True)
            value.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            schedule.step()
            average.update_parameters(model)
            running += float(value.detach())
            if (step + 1) % every == 0:
                losses.append(round(running / every, 6))
                running = 0.0
        self.model_ = average.module.eval()
        val_loss = None
        if len(val):
            with torch.no_grad():  # the same draws every fit: comparable between settings
                vgen = torch.Generator(device=gen.device).manual_seed(12345)
                val_loss = round(float(loss(self.model_, val.repeat(4), vgen)), 6)
        return {"epochs_run": round(steps * batch / max(1, len(train)), 1), "steps": steps,
                "patch": self.model_.patch, "tokens": self.model_.tokens, "overlap": self.model_.overlap, "train_seconds": round(time.perf_counter() - start, 2),
                "history": {"train_loss": losses, "loss_every_steps": every, "val_loss_ema": val_loss},
                "parameters": sum(p.numel() for p in self.model_.parameters())}
