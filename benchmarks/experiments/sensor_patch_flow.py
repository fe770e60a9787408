"""Autoregression over time patches with a small flow-matching head per patch: can one sensor model win both tests?

Issue 25's default question. The LSTM default (`sensor`) learns well from few recordings — every step is a
training target — but draws each reading from a mixture with noise of its own, so on TimeGAN's noise-free Sines
its curves are rough (discriminative 0.156). The whole-window flow (`sensor-flow`) draws smooth windows (0.007 on
Sines) but, one sample per recording, loses on the plugin's 64–88 whole reference recordings (0.41 vs 0.08–0.11).
This model is the autoregressive shape with a generative head per *patch* instead of per reading (the design of
Li et al. 2024, "Autoregressive image generation without vector quantization": an AR backbone whose per-token
distribution is a small diffusion/flow network): the LSTM reads the recording patch by patch, and a residual MLP
turns noise into the next patch of ``patch`` steps × channels by a rectified flow conditioned on the LSTM's state
and the statics. Within a patch the readings are drawn jointly (smooth where the data are); across patches the
model is as data-efficient as the LSTM. Trained by the LSTM default's loop (early stopping on the held-out
recordings' flow-matching loss, the same noise draws every epoch). Options (``--set``): ``patch``, ``anchor`` (the
head reads the previous patch and draws the change from its last reading) and ``backbone="transformer"`` (causal
attention over all earlier patches instead of the LSTM), ``predict="data"`` and ``times="logit-normal"``
(sensor-flow's first choices) and ``ema`` (a moving average of the weights validates and samples). With
``patch=8 ema=0.999`` and the LSTM backbone this is the model the sensor default became
(:class:`synthguard_sequence.SequencePatchFlow`, whose head this script borrows). Results: docs/experiments.md.

    OMP_NUM_THREADS=1 python benchmarks/experiments/sensor_patch_flow.py sines --seeds 0 --out sines_s0.json
    OMP_NUM_THREADS=1 python benchmarks/experiments/sensor_patch_flow.py native --datasets basic_motions daphnet --seeds 0

``sines``: TimeGAN's protocol as benchmarks/sensor_sines_timegan.py runs it (same panel, same scores).
``native``: the plugin's reference recordings at native length, as benchmarks/sensor_vs_par.py scores them
(generate's 80/20 split; the plugin's discriminative score, 10 splits), beside the LSTM default fitted in the
same run. Experiment only: not registered, no bundle format promised.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import torch
from pydantic import Field
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from synthguard_sequence import MixtureSequenceConfig, MixtureSequenceGenerator  # noqa: E402
from synthguard_sequence.flow import LOGIT_MEAN, LOGIT_STD, MIN_GAP  # noqa: E402
from synthguard_sequence.lstm import SequenceMixtureLSTM  # noqa: E402
from synthguard_sequence.patch_flow import PatchFlowHead  # noqa: E402


class PatchARFlow(nn.Module):
    """An LSTM (or causal transformer) over patches of ``patch`` steps; each patch drawn by :class:`PatchFlowHead`
    from the state before it."""

    def __init__(self, n_channels: int, cardinalities: list[int], n_numeric: int, length: int, hidden: int = 64,
                 layers: int = 2, patch: int = 4, dropout: float = 0.1, n_exogenous: int = 0, head_width: int = 128,
                 head_blocks: int = 3, solver_steps: int = 16, draws: int = 4, anchor: bool = False,
                 backbone: str = "lstm", heads: int = 4, predict: str = "velocity", times: str = "uniform",
                 ema: float = 0.0):
        super().__init__()
        self.predict, self.times, self.ema = predict, times, ema
        self.n_channels, self.length, self.patch, self.hidden, self.layers = n_channels, length, patch, hidden, layers
        self.tokens = -(-length // patch)
        self.solver_steps, self.draws, self.anchor = solver_steps, draws, anchor
        dim = patch * n_channels
        self.cat_emb = nn.ModuleList(nn.Embedding(card + 1, hidden) for card in cardinalities)  # +1: unseen/missing
        self.num_proj = nn.Linear(2 * n_numeric, hidden) if n_numeric else None
        self.cond_bias = nn.Parameter(torch.zeros(hidden))
        self.inp = nn.Linear(2 * dim + 1, hidden)  # previous patch, its mask, the patch's place in the recording
        self.exo = nn.Linear(patch * n_exogenous, hidden) if n_exogenous else None  # covariates of this patch
        self.h0 = nn.Linear(hidden, layers * hidden)
        self.backbone = backbone
        if backbone == "transformer":  # causal attention over all earlier patches instead of a recurrent state
            self.position = nn.Parameter(torch.randn(self.tokens, hidden) * 0.02)
            block = nn.TransformerEncoderLayer(hidden, heads, 2 * hidden, dropout, batch_first=True, norm_first=True)
            self.trunk = nn.TransformerEncoder(block, layers, enable_nested_tensor=False)
        else:
            self.rnn = nn.LSTM(hidden, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        # anchor: the head also reads the previous patch and draws the change from its last reading (no seams)
        self.head = PatchFlowHead(dim, 2 * hidden + (dim if anchor else 0), head_width, head_blocks)
        if ema:  # a moving average of the weights (buffers: saved and restored with the best epoch) samples
            for i, p in enumerate(self.parameters()):
                self.register_buffer(f"ema_{i}", p.detach().clone())
            self.register_buffer("ema_steps", torch.zeros((), dtype=torch.long))

    def _ema_update(self) -> None:
        """One step of the average towards the current weights, with the usual warm-up (1 + t) / (10 + t)."""
        decay = min(self.ema, (1.0 + float(self.ema_steps)) / (10.0 + float(self.ema_steps)))
        with torch.no_grad():
            for i, p in enumerate(self.parameters()):
                getattr(self, f"ema_{i}").lerp_(p.detach(), 1.0 - decay)
            self.ema_steps += 1

    @contextmanager
    def _averaged(self):
        """The averaged weights in place of the trained ones (validation and sampling), swapped back after."""
        pairs = [(p, getattr(self, f"ema_{i}")) for i, p in enumerate(self.parameters())] if self.ema else []
        for p, e in pairs:
            p.data, e.data = e.data, p.data
        try:
            yield
        finally:
            for p, e in pairs:
                p.data, e.data = e.data, p.data

    def _velocity(self, xs: torch.Tensor, s: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        """The head's velocity; with ``predict="data"`` the head predicts the clean patch (JiT; as sensor-flow)."""
        out = self.head(xs, s, context)
        if self.predict == "velocity":
            return out
        return (out - xs) / (1 - s[:, None]).clamp(min=MIN_GAP)

    # the LSTM default's own pieces, on the same attribute names (cat_emb, num_proj, cond_bias, h0, inp, exo):
    # the statics' embedding, the recurrent state's start, and a step's input (previous patch, mask, place)
    condition = SequenceMixtureLSTM.condition
    _initial = SequenceMixtureLSTM._initial
    _input = SequenceMixtureLSTM._step_input

    def _patches(self, x: torch.Tensor, fill: float) -> torch.Tensor:
        """(B, T, F) -> (B, tokens, patch·F), the end padded with ``fill``."""
        b, t, f = x.shape
        x = nn.functional.pad(x, (0, 0, 0, self.tokens * self.patch - t), value=fill)
        return x.reshape(b, self.tokens, self.patch * f)

    def _last(self, prev: torch.Tensor) -> torch.Tensor:
        """(..., patch·C) -> the previous patch's last reading, repeated over a patch (what ``anchor`` draws from)."""
        return prev[..., -self.n_channels:].repeat(*([1] * (prev.dim() - 1)), self.patch)

    def _states(self, inputs: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        """(B, K, hidden) state before each patch, from the (B, K, hidden) inputs of the patches up to it."""
        if self.backbone == "transformer":
            k = inputs.shape[1]
            causal = nn.Transformer.generate_square_subsequent_mask(k, device=inputs.device)
            return self.trunk(inputs + self.position[:k], mask=causal, is_causal=True)
        return self.rnn(inputs, self._initial(cond))[0]

    def loss(self, x: torch.Tensor, cats: torch.Tensor, nums: torch.Tensor, exo: torch.Tensor | None = None,
             generator: torch.Generator | None = None, count: torch.Tensor | None = None,
             per_record: bool = False) -> torch.Tensor:
        """Flow-matching loss of every patch given the patches before it (teacher forcing), ``draws`` noise draws
        each; ``x`` (B, T, C) standardised, NaN = missing (left out of the regression). Training steps move the
        weights' average; validation scores the average."""
        if not self.ema:
            return self._loss(x, cats, nums, exo, generator, per_record)
        if self.training and torch.is_grad_enabled():
            self._ema_update()
            return self._loss(x, cats, nums, exo, generator, per_record)
        with self._averaged():
            return self._loss(x, cats, nums, exo, generator, per_record)

    def _loss(self, x, cats, nums, exo, generator, per_record):
        patches = self._patches(x, float("nan"))
        mask = torch.isfinite(patches)
        data = torch.where(mask, patches, torch.zeros_like(patches))
        b, k, d = data.shape
        cond = self.condition(cats, nums)
        prev = torch.cat([torch.zeros_like(data[:, :1]), data[:, :-1]], 1)
        prev_mask = torch.cat([torch.zeros_like(mask[:, :1]), mask[:, :-1]], 1).float()
        place = (torch.arange(k, device=x.device, dtype=x.dtype) / k).view(1, k, 1).expand(b, k, 1)
        ex = None if exo is None or self.exo is None else self._patches(exo, 0.0)
        out = self._states(self._input(prev, prev_mask, place, cond.unsqueeze(1), ex), cond)
        context = torch.cat([self.drop(out), cond.unsqueeze(1).expand_as(out)], -1)
        if self.anchor:
            context = torch.cat([context, prev], -1)
            data = data - self._last(prev)
        context = context.reshape(b * k, -1)
        r = self.draws
        context, target, m = context.repeat(r, 1), data.reshape(b * k, d).repeat(r, 1), mask.reshape(b * k, d).repeat(r, 1)
        noise = torch.randn(target.shape, generator=generator, device=x.device)
        if self.times == "logit-normal":
            s = torch.sigmoid(LOGIT_MEAN + LOGIT_STD * torch.randn(len(target), generator=generator, device=x.device))
        else:
            s = torch.rand(len(target), generator=generator, device=x.device)
        xs = (1 - s[:, None]) * noise + s[:, None] * target
        err = (self._velocity(xs, s, context) - (target - noise)).pow(2) * m
        if per_record:
            per = err.view(r, b, k * d).sum((0, 2)) / m.view(r, b, k * d).sum((0, 2)).clamp(min=1)
            return per.mean()
        return err.sum() / m.sum().clamp(min=1)

    @torch.no_grad()
    def sample(self, cats: torch.Tensor, nums: torch.Tensor, steps: int, generator: torch.Generator,
               temperature: float = 1.0, exo: torch.Tensor | None = None) -> torch.Tensor:
        """(B, steps, C) standardised readings, patch by patch: each by ``solver_steps`` Heun steps from noise."""
        with self._averaged():
            return self._sample(cats, nums, steps, generator, temperature, exo)

    def _sample(self, cats, nums, steps, generator, temperature, exo):
        b, d = cats.shape[0], self.patch * self.n_channels
        cond = self.condition(cats, nums)
        state = None if self.backbone == "transformer" else self._initial(cond)
        inputs = []
        prev = torch.zeros(b, 1, d, device=cats.device)
        prev_mask = torch.zeros_like(prev)
        ex = None if exo is None or self.exo is None else self._patches(exo, 0.0)
        n, h_step, out = self.solver_steps, 1.0 / self.solver_steps, []
        for k in range(self.tokens):
            place = torch.full((b, 1, 1), k / self.tokens, device=cats.device)
            step = self._input(prev, prev_mask, place, cond.unsqueeze(1), None if ex is None else ex[:, k:k + 1])
            if self.backbone == "transformer":  # the whole prefix again: K is tens of patches
                inputs.append(step)
                o = self._states(torch.cat(inputs, 1), cond)[:, -1:]
            else:
                o, state = self.rnn(step, state)
            context = torch.cat([o[:, 0], cond] + ([prev[:, 0]] if self.anchor else []), -1)
            z = temperature * torch.randn(b, d, generator=generator, device=cats.device)
            for i in range(n):
                s = i / n
                k1 = self._velocity(z, torch.full((b,), s, device=cats.device), context)
                k2 = self._velocity(z + h_step * k1, torch.full((b,), s + h_step, device=cats.device), context)
                z = z + 0.5 * h_step * (k1 + k2)
            if self.anchor:
                z = z + self._last(prev[:, 0])
            out.append(z)
            prev, prev_mask = z.unsqueeze(1), torch.ones_like(prev)
        return torch.stack(out, 1).reshape(b, self.tokens * self.patch, self.n_channels)[:, :steps]


class PatchFlowConfig(MixtureSequenceConfig):
    patch: int = Field(4, ge=1, le=256, description="steps per patch (one LSTM step, one flow draw)")
    head_width: int = Field(128, ge=8, le=2048)
    head_blocks: int = Field(3, ge=1, le=12)
    solver_steps: int = Field(16, ge=1, le=1000, description="Heun steps per patch (two head passes each)")
    draws: int = Field(4, ge=1, le=64, description="noise draws per patch per training step")
    anchor: bool = Field(False, description="the head reads the previous patch and draws the change from its last reading")
    backbone: str = Field("lstm", pattern="^(lstm|transformer)$", description="over the patches: an LSTM or causal attention")
    heads: int = Field(4, ge=1, le=16, description="attention heads (transformer backbone)")
    predict: str = Field("velocity", pattern="^(velocity|data)$", description="what the head predicts (data: JiT)")
    times: str = Field("uniform", pattern="^(uniform|logit-normal)$", description="training's flow times")
    ema: float = Field(0.0, ge=0, lt=1, description="decay of the weights' average that validates and samples (0: off)")


class PatchFlowGenerator(MixtureSequenceGenerator):
    """Experiment: the LSTM default's contract and training loop with :class:`PatchARFlow` as the network."""

    name = "sensor-patch-flow"
    domain = "sensor"
    description = "experiment: LSTM over time patches, a flow-matching head per patch"
    Config = PatchFlowConfig
    default_dataset = "basic_motions"
    val_repeats = 4  # the loss draws noise: average a few draws (the same every epoch)
    smoke_config = {"epochs": 1, "hidden": 8, "layers": 1, "head_width": 8, "head_blocks": 1, "solver_steps": 2}

    def _build(self) -> PatchARFlow:
        c, e = self.config, self.encoder_
        return PatchARFlow(len(e.channels), [len(v) for v in e.categorical.values()], len(e.numeric), self.length_,
                           c.hidden, c.layers, c.patch, c.dropout, n_exogenous=self.n_exogenous_,
                           head_width=c.head_width, head_blocks=c.head_blocks, solver_steps=c.solver_steps,
                           draws=c.draws, anchor=c.anchor, backbone=c.backbone, heads=c.heads, predict=c.predict,
                           times=c.times, ema=c.ema)


def make(config: dict[str, Any]) -> PatchFlowGenerator:
    return PatchFlowGenerator(config=config or None)


def run_sines(args) -> dict:
    import synthguard as sg
    from sensor_sines_timegan import panel, scores, summary

    records, real = panel("sines", args.rows, seed=0)
    fits = []
    for seed in args.seeds:
        start = time.perf_counter()
        model = sg.fit(make(args.config), records, seed=seed)
        fit_s = time.perf_counter() - start
        start = time.perf_counter()
        syn = model.sample(len(real), seed=seed).values
        fits.append({"seed": seed, "fit_seconds": round(fit_s, 1), "epochs_run": model.fit_info_.get("epochs_run"),
                     "best_epoch": model.fit_info_.get("best_epoch"), "sample_seconds": round(time.perf_counter() - start, 2),
                     "config": args.config, **scores(real, syn, args.repeats, args.predictive_repeats)})
        print(json.dumps(fits[-1]), flush=True)
    return {"panel": "sines", "shape": list(real.shape), "results": {"sensor-patch-flow": summary(fits)}}


def run_native(args) -> dict:
    from sensor_vs_par import run_one

    rows = []
    for dataset in args.datasets:
        for seed in args.seeds:
            for name in args.compare:
                generator = make(args.config) if name == "sensor-patch-flow" else name
                row = run_one(dataset, generator, 128, seed, settings=None)
                row.update(generator=name, seed=seed, config=args.config if name == "sensor-patch-flow" else None)
                rows.append(row)
                d = row["discriminative"]
                print(json.dumps({k: row[k] for k in ("dataset", "generator", "seed", "fit_seconds", "epochs_run",
                                                      "predictive_tstr_mae", "dcr_share", "worst_attack_auc")}
                                 | {"discriminative": d["score"], "disc_std": d["std"], "label_tstr": row["label_tstr"]}),
                      flush=True)
    return {"panel": "native", "rows": rows}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("test", choices=["sines", "native"])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0])
    ap.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="config of the patch-flow model")
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--predictive-repeats", type=int, default=1)
    ap.add_argument("--datasets", nargs="+", default=["basic_motions", "daphnet"])
    ap.add_argument("--compare", nargs="+", default=["sensor-patch-flow", "sensor"],
                    help="native: generators fitted in the same run (sensor-patch-flow = this model)")
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    args.config = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    report = run_sines(args) if args.test == "sines" else run_native(args)
    report.update(date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), command=" ".join(sys.argv),
                  torch_threads=torch.get_num_threads())
    args.out.write_text(json.dumps(report, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
