"""Autoregression over time patches, each patch drawn by a small rectified flow: the sensor default's network.

Why this shape: the per-reading LSTM (:mod:`.lstm`) learns well from few recordings — every step is a training
target — but draws each reading from a mixture with noise of its own, so on TimeGAN's noise-free Sines its curves
are rough (discriminative 0.156); the whole-window flow (:mod:`.flow`) draws smooth windows (0.007) but, one
sample per recording, loses on the plugin's 64–88 whole reference recordings. Here an LSTM reads the recording
``patch`` steps at a time, and a residual MLP (adaptive layer norm, MAR's head: Li et al. 2024, "Autoregressive
image generation without vector quantization") turns noise into the next patch by a rectified flow conditioned on
the LSTM's state and the statics: within a patch the readings are drawn jointly (smooth where the data are),
across patches the model is as data-efficient as the LSTM. A moving average of the weights (``ema``) validates and
samples — without it the same model scored 0.030 on Sines, with it 0.007 (docs/experiments.md).

Missing readings are left out of the regression; covariates known at every step (``n_exogenous``) enter each
patch's input. The statics' embedding, the initial state and a step's input are the LSTM model's own pieces.
"""

from __future__ import annotations

import torch
from torch import nn
from synthguard.models import WeightAverage

from .flow import flow_time_embedding
from .lstm import SequenceMixtureLSTM, add_statics


class _HeadBlock(nn.Module):
    """Residual MLP block modulated (shift, scale, gate) by the condition: MAR's SimpleMLPAdaLN block."""

    def __init__(self, width: int):
        super().__init__()
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.modulation = nn.Linear(width, 3 * width)
        nn.init.zeros_(self.modulation.weight)
        nn.init.zeros_(self.modulation.bias)

    def forward(self, h: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift, scale, gate = self.modulation(nn.functional.silu(c)).chunk(3, -1)
        return h + gate * self.mlp(self.norm(h) * (1 + scale) + shift)


class PatchFlowHead(nn.Module):
    """Velocity of a rectified flow over one patch (``dim`` = patch × channels numbers), given a context vector."""

    def __init__(self, dim: int, context: int, width: int, blocks: int):
        super().__init__()
        self.width = width
        self.inp = nn.Linear(dim, width)
        self.ctx = nn.Linear(context, width)
        self.time_mlp = nn.Sequential(nn.Linear(width, width), nn.SiLU(), nn.Linear(width, width))
        self.blocks = nn.ModuleList(_HeadBlock(width) for _ in range(blocks))
        self.norm = nn.LayerNorm(width, elementwise_affine=False)
        self.out = nn.Linear(width, dim)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(self, xs: torch.Tensor, s: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        c = self.ctx(context) + self.time_mlp(flow_time_embedding(s, self.width))
        h = self.inp(xs)
        for block in self.blocks:
            h = block(h, c)
        return self.out(self.norm(h))


class SequencePatchFlow(WeightAverage, nn.Module):
    """An LSTM over patches of ``patch`` steps; each patch drawn by :class:`PatchFlowHead` from the state before it.

    ``ema`` > 0 keeps a moving average of the weights (:class:`synthguard.models.WeightAverage`): it moves once per
    training step inside :meth:`loss`, validation scores it (``stop_on="average"``) or the trained weights
    (``"weights"``), and :meth:`adopt_average` makes the average kept at the best epoch the weights.
    """

    def __init__(self, n_channels: int, cardinalities: list[int], n_numeric: int, length: int, hidden: int = 64,
                 layers: int = 2, patch: int = 8, dropout: float = 0.1, n_exogenous: int = 0, head_width: int = 128,
                 head_blocks: int = 3, solver_steps: int = 16, draws: int = 2, ema: float = 0.999,
                 stop_on: str = "average"):
        super().__init__()
        self.n_channels, self.length, self.patch, self.hidden, self.layers = n_channels, length, patch, hidden, layers
        self.tokens = -(-length // patch)
        self.solver_steps, self.draws, self.ema = solver_steps, draws, ema
        self.validate_average = stop_on == "average"
        dim = patch * n_channels
        add_statics(self, cardinalities, n_numeric, hidden)
        self.inp = nn.Linear(2 * dim + 1, hidden)  # previous patch, its mask, the patch's place in the recording
        self.exo = nn.Linear(patch * n_exogenous, hidden) if n_exogenous else None  # covariates of this patch
        self.h0 = nn.Linear(hidden, layers * hidden)
        self.rnn = nn.LSTM(hidden, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = PatchFlowHead(dim, 2 * hidden, head_width, head_blocks)
        self._register_average()

    # the LSTM model's own pieces, on the same attribute names (cat_emb, num_proj, cond_bias, h0, inp, exo):
    # the statics' embedding, the recurrent state's start, and a step's input (previous patch, mask, place)
    condition = SequenceMixtureLSTM.condition
    _initial = SequenceMixtureLSTM._initial
    _input = SequenceMixtureLSTM._step_input

    # ------------------------------------------------------------------ training

    def _patches(self, x: torch.Tensor, fill: float) -> torch.Tensor:
        """(B, T, F) -> (B, tokens, patch·F), the end padded with ``fill``."""
        b, t, f = x.shape
        x = nn.functional.pad(x, (0, 0, 0, self.tokens * self.patch - t), value=fill)
        return x.reshape(b, self.tokens, self.patch * f)

    def loss(self, x: torch.Tensor, cats: torch.Tensor, nums: torch.Tensor, exo: torch.Tensor | None = None,
             generator: torch.Generator | None = None, count: torch.Tensor | None = None,
             per_record: bool = False, shard=None) -> torch.Tensor:
        """Flow-matching loss of every patch given the patches before it (teacher forcing), ``draws`` noise draws
        each; ``x`` (B, T, C) standardised, NaN = missing (left out of the regression). ``count``: divide by this
        many readings instead; ``per_record``: each record's mean, then the mean over records (DP-SGD's
        per-record clipping). With ``shard`` (:class:`synthguard.distributed.Shard`) ``x`` is the global batch:
        the noise is drawn for all of it, the network runs on this shard's rows, and their sum is divided by the
        global count times the world size (data-parallel training draws what one process draws)."""
        return self.with_average(self._loss, x, cats, nums, exo, generator, count, per_record, shard)

    def _loss(self, x, cats, nums, exo, generator, count, per_record, shard) -> torch.Tensor:
        patches = self._patches(x, float("nan"))
        mask = torch.isfinite(patches)
        r, (n_all, k, d) = self.draws, patches.shape
        # the noise and flow times of every row of the batch (the global one under data parallelism), drawn first
        noise = torch.randn(r * n_all * k, d, generator=generator, device=x.device)
        s = torch.rand(r * n_all * k, generator=generator, device=x.device)
        scale = 1.0
        if shard is not None:
            lo, hi = shard.bounds(n_all)
            count, scale = mask.sum() if count is None else count, float(shard.world) if hi > lo else 0.0
            lo, hi = (lo, hi) if hi > lo else (0, 1)  # no rows here: one row's loss times 0 keeps DDP's hooks firing
            noise = noise.view(r, n_all, k, d)[:, lo:hi].reshape(-1, d)
            s = s.view(r, n_all, k)[:, lo:hi].reshape(-1)
            x, cats, nums = x[lo:hi], cats[lo:hi], nums[lo:hi]
            exo, patches, mask = None if exo is None else exo[lo:hi], patches[lo:hi], mask[lo:hi]
        data = torch.where(mask, patches, torch.zeros_like(patches))
        b = data.shape[0]
        cond = self.condition(cats, nums)
        prev = torch.cat([torch.zeros_like(data[:, :1]), data[:, :-1]], 1)
        prev_mask = torch.cat([torch.zeros_like(mask[:, :1]), mask[:, :-1]], 1).float()
        place = (torch.arange(k, device=x.device, dtype=x.dtype) / k).view(1, k, 1).expand(b, k, 1)
        ex = None if exo is None or self.exo is None else self._patches(exo, 0.0)
        out = self.rnn(self._input(prev, prev_mask, place, cond.unsqueeze(1), ex), self._initial(cond))[0]
        context = torch.cat([self.drop(out), cond.unsqueeze(1).expand_as(out)], -1).reshape(b * k, -1)
        if per_record:  # DP-SGD: every layer's first dimension is the record (Opacus' per-sample gradients)
            def by_record(t: torch.Tensor) -> torch.Tensor:  # (r·b·k, ...) -> (b, r·k, ...)
                return t.view(r, b, k, *t.shape[1:]).transpose(0, 1).reshape(b, r * k, *t.shape[1:])

            noise, s = by_record(noise), by_record(s)
            context, target, m = (t.view(b, k, -1).repeat(1, r, 1) for t in (context, data, mask))
        else:
            context, target, m = context.repeat(r, 1), data.reshape(b * k, d).repeat(r, 1), mask.reshape(b * k, d).repeat(r, 1)
        xs = (1 - s[..., None]) * noise + s[..., None] * target
        err = (self.head(xs, s, context) - (target - noise)).pow(2) * m
        if per_record:
            return (err.sum((1, 2)) / m.sum((1, 2)).clamp(min=1)).mean()
        return err.sum() * scale / (m.sum().clamp(min=1) if count is None else r * count)

    # ------------------------------------------------------------------ sampling

    @torch.no_grad()
    def sample(self, cats: torch.Tensor, nums: torch.Tensor, steps: int, generator: torch.Generator,
               temperature: float = 1.0, exo: torch.Tensor | None = None) -> torch.Tensor:
        """(B, steps, C) standardised readings, patch by patch: each by ``solver_steps`` Heun steps from noise."""
        b, d = cats.shape[0], self.patch * self.n_channels
        cond = self.condition(cats, nums)
        state = self._initial(cond)
        prev = torch.zeros(b, 1, d, device=cats.device)
        prev_mask = torch.zeros_like(prev)
        ex = None if exo is None or self.exo is None else self._patches(exo, 0.0)
        tokens = -(-steps // self.patch)
        n, h_step, out = self.solver_steps, 1.0 / self.solver_steps, []
        for k in range(tokens):
            place = torch.full((b, 1, 1), k / self.tokens, device=cats.device)
            step = self._input(prev, prev_mask, place, cond.unsqueeze(1), None if ex is None else ex[:, k:k + 1])
            o, state = self.rnn(step, state)
            context = torch.cat([o[:, 0], cond], -1)
            z = temperature * torch.randn(b, d, generator=generator, device=cats.device)
            for i in range(n):
                s = i / n
                k1 = self.head(z, torch.full((b,), s, device=cats.device), context)
                k2 = self.head(z + h_step * k1, torch.full((b,), s + h_step, device=cats.device), context)
                z = z + 0.5 * h_step * (k1 + k2)
            out.append(z)
            prev, prev_mask = z.unsqueeze(1), torch.ones_like(prev)
        return torch.stack(out, 1).reshape(b, tokens * self.patch, self.n_channels)[:, :steps]

