"""Rectified flow over whole windows: a small transformer over time patches turns noise into recordings.

Why this shape: the autoregressive models (:mod:`.lstm`, :mod:`.latent`) draw a window one
reading at a time, and an error at one step is carried into every later one; on TimeGAN's Sines they
score discriminative 0.156, where whole-window diffusion models (Diffusion-TS, ICLR 2024) reach
0.006. Here a window (T steps × C channels) is generated all at once: flow matching with the
straight (rectified) path of Liu et al. (2023) / Lipman et al. (2023) — ``x_s = (1 - s)·noise + s·data``,
the network learns the velocity ``data - noise`` by regression, and sampling integrates that velocity
from noise with a fixed number of solver steps (``solver``: Euler, one batched network pass a step, or the
second-order midpoint / Heun methods, two; no per-reading loop).
The network predicts the clean window and the velocity is derived from it (``(prediction - x_s) / (1 - s)``,
still trained on the velocity's error): Li & He (2025, "Back to basics: let denoising generative models denoise",
JiT) show that predicting data, which lies near a low-dimensional manifold, is what a small network over large
patches can do, where predicting noise or velocity fails; flow times are drawn logit-normal, as there.
The network is a DiT-style transformer (Peebles & Xie, 2023): the window is cut into patches of
``patch`` steps (one token each), every block is modulated (adaptive layer norm, shift/scale/gate) by the
flow time and the recording's static attributes (activity, device), and a learned position per patch
says where in the window it is. Attention over a few dozen tokens is cheap on a CPU.
With ``overlap`` > 0 each token also reads ``overlap`` steps of either neighbouring patch and writes an output
over them too, the overlapping outputs added up (overlap-add, a learned cross-fade): with disjoint patches the
steps on either side of a patch boundary come from two different linear read-outs, and sampled windows jump
there (on basic_motions windows 1.5x the real step-to-step change at the seams, 0.97x inside a patch), which
TimeGAN's GRU discriminator picks up (docs/sensor-flow.md).

Missing readings are left out of the regression (their target is the channel mean, never scored).
Covariates known at every step (``n_exogenous``: a traffic plugin's weather) enter each token.
The model is built for one window length (its position table).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .lstm import add_statics, embed_statics

#: Flow times for training: logit-normal, centred on the noisy side (JiT's -0.8, 0.8; SD3's logit-normal).
LOGIT_MEAN, LOGIT_STD = -0.8, 0.8
#: ODE solvers for sampling: Euler (one network pass a step), midpoint and Heun (two passes a step, second order).
SOLVERS = ("euler", "midpoint", "heun")
#: Smallest 1 - s the data-predicting network's velocity divides by (JiT's clamp).
MIN_GAP = 0.05


def flow_time_embedding(s: torch.Tensor, dim: int) -> torch.Tensor:
    """(..., dim) sinusoidal features of the flow times ``s`` (any shape) in [0, 1] (the transformer's usual time code)."""
    half = dim // 2
    freqs = torch.exp(-math.log(1000.0) * torch.arange(half, device=s.device, dtype=s.dtype) / half)
    angles = 1000.0 * s[..., None] * freqs
    return torch.cat([angles.sin(), angles.cos()], dim=-1)


class _Block(nn.Module):
    """Pre-norm transformer block whose norms are shifted, scaled and gated by the condition (DiT's adaLN-Zero)."""

    def __init__(self, hidden: int, heads: int, expand: int = 2):
        super().__init__()
        self.norm1 = nn.LayerNorm(hidden, elementwise_affine=False)
        self.attn = nn.MultiheadAttention(hidden, heads, batch_first=True)
        self.norm2 = nn.LayerNorm(hidden, elementwise_affine=False)
        self.mlp = nn.Sequential(nn.Linear(hidden, expand * hidden), nn.GELU(), nn.Linear(expand * hidden, hidden))
        self.modulation = nn.Linear(hidden, 6 * hidden)
        nn.init.zeros_(self.modulation.weight)
        nn.init.zeros_(self.modulation.bias)

    def forward(self, h: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        shift1, scale1, gate1, shift2, scale2, gate2 = self.modulation(nn.functional.silu(c)).unsqueeze(1).chunk(6, -1)
        a = self.norm1(h) * (1 + scale1) + shift1
        h = h + gate1 * self.attn(a, a, a, need_weights=False)[0]
        return h + gate2 * self.mlp(self.norm2(h) * (1 + scale2) + shift2)


class SequenceFlow(nn.Module):
    """Velocity network of a rectified flow over (T, C) windows (see the module docstring)."""

    def __init__(self, n_channels: int, cardinalities: list[int], n_numeric: int, length: int, hidden: int = 64,
                 layers: int = 3, heads: int = 4, patch: int = 1, n_exogenous: int = 0, solver_steps: int = 32,
                 predict_data: bool = True, logit_normal_times: bool = True, solver: str = "euler", overlap: int = 0):
        super().__init__()
        if solver not in SOLVERS:
            raise ValueError(f"solver {solver!r}: expected one of {SOLVERS}")
        self.predict_data, self.logit_normal_times, self.solver = predict_data, logit_normal_times, solver
        self.n_channels, self.length, self.hidden, self.patch = n_channels, length, hidden, patch
        self.solver_steps, self.overlap = solver_steps, overlap
        self.tokens = -(-length // patch)
        span = patch + 2 * overlap  # steps a token reads and writes: its patch and `overlap` of each neighbour's
        add_statics(self, cardinalities, n_numeric, hidden)
        self.time_mlp = nn.Sequential(nn.Linear(hidden, hidden), nn.SiLU(), nn.Linear(hidden, hidden))
        self.inp = nn.Linear(span * n_channels, hidden)
        self.exo = nn.Linear(span * n_exogenous, hidden) if n_exogenous else None
        self.position = nn.Parameter(torch.randn(self.tokens, hidden) * 0.02)
        self.blocks = nn.ModuleList(_Block(hidden, heads) for _ in range(layers))
        self.norm_out = nn.LayerNorm(hidden, elementwise_affine=False)
        self.mod_out = nn.Linear(hidden, 2 * hidden)
        self.out = nn.Linear(hidden, span * n_channels)
        for layer in (self.mod_out, self.out):
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    # ------------------------------------------------------------------ pieces

    def condition(self, cats: torch.Tensor, nums: torch.Tensor) -> torch.Tensor:
        """(B, hidden) embedding of the static attributes (codes (B, n_cat), numbers+flags (B, 2·n_num))."""
        return embed_statics(self, cats, nums)

    def _patches(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, F) -> (B, tokens, span·F): each patch with ``overlap`` steps of either neighbour, zero-padded."""
        b, t, f = x.shape
        o = self.overlap
        x = nn.functional.pad(x, (0, 0, o, self.tokens * self.patch - t + o))
        if not o:
            return x.reshape(b, self.tokens, self.patch * f)
        return x.unfold(1, self.patch + 2 * o, self.patch).transpose(2, 3).reshape(b, self.tokens, -1)

    def _unpatch(self, out: torch.Tensor) -> torch.Tensor:
        """(B, tokens, span·C) -> (B, T, C): overlapping spans are added up (a learned cross-fade across the seams)."""
        b, o, p = len(out), self.overlap, self.patch
        if not o:
            return out.reshape(b, self.tokens * p, self.n_channels)[:, :self.length]
        spans = out.reshape(b, self.tokens, (p + 2 * o) * self.n_channels).transpose(1, 2)
        whole = nn.functional.fold(spans, (self.tokens * p + 2 * o, self.n_channels), (p + 2 * o, self.n_channels),
                                   stride=(p, 1))  # (B, 1, T', C), overlap-add
        return whole[:, 0, o:o + self.length]

    def velocity(self, xs: torch.Tensor, s: torch.Tensor, cond: torch.Tensor,
                 exo: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T, C) velocity at the points ``xs`` (B, T, C) and flow times ``s`` (B,), given the statics."""
        c = cond + self.time_mlp(flow_time_embedding(s, self.hidden))
        h = self.inp(self._patches(xs)) + self.position
        if self.exo is not None:
            h = h + self.exo(self._patches(exo))
        for block in self.blocks:
            h = block(h, c)
        shift, scale = self.mod_out(nn.functional.silu(c)).unsqueeze(1).chunk(2, -1)
        out = self.out(self.norm_out(h) * (1 + scale) + shift)
        out = self._unpatch(out)
        if not self.predict_data:
            return out
        # the network predicts the clean window; its velocity from here is (data - x_s) / (1 - s)
        return (out - xs) / (1 - s[:, None, None]).clamp(min=MIN_GAP)

    # ------------------------------------------------------------------ training

    def loss(self, x: torch.Tensor, cats: torch.Tensor, nums: torch.Tensor, exo: torch.Tensor | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """Flow-matching loss: mean squared error of the predicted velocity over observed readings.

        ``x`` (B, T, C) standardised, NaN = missing; the noise and flow times are drawn with ``generator``.
        """
        mask = torch.isfinite(x)
        data = torch.where(mask, x, torch.zeros_like(x))
        noise = torch.randn(data.shape, generator=generator, device=x.device)
        if self.logit_normal_times:
            s = torch.sigmoid(LOGIT_MEAN + LOGIT_STD * torch.randn(len(x), generator=generator, device=x.device))
        else:
            s = torch.rand(len(x), generator=generator, device=x.device)
        xs = (1 - s[:, None, None]) * noise + s[:, None, None] * data
        err = (self.velocity(xs, s, self.condition(cats, nums), exo) - (data - noise)).pow(2)
        return (err * mask).sum() / mask.sum().clamp(min=1)

    # ------------------------------------------------------------------ sampling

    @torch.no_grad()
    def sample(self, cats: torch.Tensor, nums: torch.Tensor, steps: int, generator: torch.Generator,
               temperature: float = 1.0, exo: torch.Tensor | None = None, solver_steps: int | None = None) -> torch.Tensor:
        """(B, steps, C) standardised windows: noise (scaled by ``temperature``) carried to data by ``solver_steps``
        steps of the ``solver`` (Euler: one network pass a step; midpoint / Heun: two, second-order accurate)."""
        if steps > self.length:
            raise ValueError(f"{steps} steps asked of a model built for windows of {self.length}")
        b, n = cats.shape[0], solver_steps or self.solver_steps
        cond = self.condition(cats, nums)
        solver = getattr(self, "solver", "euler")
        x = temperature * torch.randn(b, self.length, self.n_channels, generator=generator, device=cats.device)
        h = 1.0 / n

        def v(x: torch.Tensor, s: float) -> torch.Tensor:
            return self.velocity(x, torch.full((b,), s, device=cats.device), cond, exo)

        for i in range(n):
            s = i / n
            k1 = v(x, s)
            if solver == "midpoint":
                x = x + h * v(x + 0.5 * h * k1, s + 0.5 * h)
            elif solver == "heun":
                x = x + 0.5 * h * (k1 + v(x + h * k1, s + h))
            else:
                x = x + k1 / n
        return x[:, :steps]
