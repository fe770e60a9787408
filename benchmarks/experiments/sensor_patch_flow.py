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
(sensor-flow's first choices), ``ema`` (a moving average of the weights validates and samples), and two ways
to a cheaper fit: ``modulation="shared"`` (one modulation for the head's blocks) and ``precision="bfloat16"``. With
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
from pathlib import Path
from typing import Any

import torch
from pydantic import Field
from torch import nn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from synthguard_sequence import PatchFlowSequenceConfig, PatchFlowSequenceGenerator, SequencePatchFlow  # noqa: E402
from synthguard_sequence.flow import LOGIT_MEAN, LOGIT_STD, MIN_GAP, flow_time_embedding  # noqa: E402
from synthguard_sequence.lstm import SequenceMixtureLSTM  # noqa: E402
from synthguard_sequence.patch_flow import PatchFlowHead  # noqa: E402
from synthguard.models import WeightAverage  # noqa: E402


class SharedModulationHead(PatchFlowHead):
    """The head with one modulation (shift, scale, gate) for all its blocks plus a learned offset per block
    (PixArt-alpha's adaLN-single, Chen et al. 2023): the blocks' modulation layers are 3/5 of the head's work."""

    def __init__(self, dim: int, context: int, width: int, blocks: int):
        super().__init__(dim, context, width, blocks)
        self.modulation = nn.Linear(width, 3 * width)
        nn.init.zeros_(self.modulation.weight)
        nn.init.zeros_(self.modulation.bias)
        for block in self.blocks:
            del block.modulation
            block.offset = nn.Parameter(torch.zeros(3 * width))

    def forward(self, xs: torch.Tensor, s: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        c = self.ctx(context) + self.time_mlp(flow_time_embedding(s, self.width))
        shared, h = self.modulation(nn.functional.silu(c)), self.inp(xs)
        for block in self.blocks:
            shift, scale, gate = (shared + block.offset).chunk(3, -1)
            h = h + gate * block.mlp(block.norm(h) * (1 + scale) + shift)
        return self.out(self.norm(h))


class PatchARFlow(WeightAverage, nn.Module):
    """An LSTM (or causal transformer) over patches of ``patch`` steps; each patch drawn by :class:`PatchFlowHead`
    from the state before it."""

    def __init__(self, n_channels: int, cardinalities: list[int], n_numeric: int, length: int, hidden: int = 64,
                 layers: int = 2, patch: int = 4, dropout: float = 0.1, n_exogenous: int = 0, head_width: int = 128,
                 head_blocks: int = 3, solver_steps: int = 16, draws: int = 4, anchor: bool = False,
                 backbone: str = "lstm", heads: int = 4, predict: str = "velocity", times: str = "uniform",
                 ema: float = 0.0, modulation: str = "per-block", precision: str = "float32"):
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
        head = SharedModulationHead if modulation == "shared" else PatchFlowHead
        self.head = head(dim, 2 * hidden + (dim if anchor else 0), head_width, head_blocks)
        self.precision = precision
        self._register_average()  # ema > 0: a moving average of the weights validates and samples

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
    # the library model's (the sensor default's) patching and loss entry point (which calls _loss)
    _patches = SequencePatchFlow._patches
    loss = SequencePatchFlow.loss

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

    def _loss(self, x, cats, nums, exo, generator, count, per_record, shard):
        """Flow-matching loss of every patch given the patches before it (teacher forcing), ``draws`` noise draws
        each; ``x`` (B, T, C) standardised, NaN = missing (left out of the regression). One process only."""
        if count is not None or shard is not None:
            raise NotImplementedError("the experiment's model trains in one process (no count, no shard)")
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
        with torch.autocast(x.device.type, dtype=torch.bfloat16, enabled=self.precision == "bfloat16"):
            velocity = self._velocity(xs, s, context)  # training and validation; sampling stays in float32
        err = (velocity.float() - (target - noise)).pow(2) * m
        if per_record:
            per = err.view(r, b, k * d).sum((0, 2)) / m.view(r, b, k * d).sum((0, 2)).clamp(min=1)
            return per.mean()
        return err.sum() / m.sum().clamp(min=1)

    @torch.no_grad()
    def sample(self, cats: torch.Tensor, nums: torch.Tensor, steps: int, generator: torch.Generator,
               temperature: float = 1.0, exo: torch.Tensor | None = None) -> torch.Tensor:
        """(B, steps, C) standardised readings, patch by patch: each by ``solver_steps`` Heun steps from noise."""
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


class PatchFlowConfig(PatchFlowSequenceConfig):
    """The sensor default's settings with this experiment's first defaults (so the recorded commands rerun) and its
    variants."""

    patch: int = Field(4, ge=1, le=256, description="steps per patch (one LSTM step, one flow draw)")
    draws: int = Field(4, ge=1, le=64, description="noise draws per patch per training step")
    patience: int = Field(30, ge=1, description="epochs without validation improvement before stopping")
    ema: float = Field(0.0, ge=0, lt=1, description="decay of the weights' average that validates and samples (0: off)")
    anchor: bool = Field(False, description="the head reads the previous patch and draws the change from its last reading")
    backbone: str = Field("lstm", pattern="^(lstm|transformer)$", description="over the patches: an LSTM or causal attention")
    heads: int = Field(4, ge=1, le=16, description="attention heads (transformer backbone)")
    predict: str = Field("velocity", pattern="^(velocity|data)$", description="what the head predicts (data: JiT)")
    times: str = Field("uniform", pattern="^(uniform|logit-normal)$", description="training's flow times")
    modulation: str = Field("per-block", pattern="^(per-block|shared)$", description=(
        "the head's adaptive norms: a modulation layer per block (MAR's), or one for all blocks (PixArt's adaLN-single)"))
    precision: str = Field("float32", pattern="^(float32|bfloat16)$", description=(
        "the head's arithmetic in training and validation (bfloat16: CPU/GPU autocast); sampling stays float32"))


class PatchFlowGenerator(PatchFlowSequenceGenerator):
    """Experiment: the sensor default's generator (training, the weights' average) with :class:`PatchARFlow`."""

    name = "sensor-patch-flow"
    domain = "sensor"
    description = "experiment: LSTM over time patches, a flow-matching head per patch"
    Config = PatchFlowConfig
    default_dataset = "basic_motions"

    def _build(self) -> PatchARFlow:
        c, e = self.config, self.encoder_
        return PatchARFlow(len(e.channels), [len(v) for v in e.categorical.values()], len(e.numeric), self.length_,
                           c.hidden, c.layers, c.patch, c.dropout, n_exogenous=self.n_exogenous_,
                           head_width=c.head_width, head_blocks=c.head_blocks, solver_steps=c.solver_steps,
                           draws=c.draws, anchor=c.anchor, backbone=c.backbone, heads=c.heads, predict=c.predict,
                           times=c.times, ema=c.ema, modulation=c.modulation, precision=c.precision)


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
