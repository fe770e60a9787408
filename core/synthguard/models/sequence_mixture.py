"""Conditional autoregressive LSTM with a Gaussian-mixture output per step (PyTorch).

Why this shape: sensor windows are short (tens to hundreds of steps), noisy and
multimodal from one step to the next (a wrist at rest vs. swinging). An LSTM over
time carries the dynamics (an LSTM, not a GRU: PyTorch's CPU LSTM kernel trains
about twice as fast at this size, measured here); a K-component mixture over all channels jointly
(diagonal per component) carries both the noise and the cross-channel coupling
at each step. Trained by maximum likelihood with teacher forcing, it needs one
parallel pass per batch (no adversary: none of TimeGAN's or DoppelGANger's
instability), handles missing readings by leaving them out of the likelihood,
and samples any number of recordings in T cheap steps. Static attributes
(activity, device type) enter as an embedding added to every step's input and
to the initial state, so sampling can be conditioned on them. Features known in
advance at every step (calendar, weather: ``n_exogenous``) enter each step's input,
so the readings at step t are drawn given the covariates at step t.

Shared by the sequence plugins (sensor recordings, traffic detectors) through
:class:`synthguard.models.MixtureSequenceGenerator`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

LOG_SCALE_MIN, LOG_SCALE_MAX = -7.0, 3.0


class SequenceMixtureLSTM(nn.Module):
    def __init__(self, n_channels: int, cardinalities: list[int], n_numeric: int, hidden: int = 64,
                 layers: int = 2, components: int = 8, dropout: float = 0.1, n_exogenous: int = 0):
        super().__init__()
        self.n_channels, self.components, self.layers, self.hidden = n_channels, components, layers, hidden
        self.cat_emb = nn.ModuleList(nn.Embedding(card + 1, hidden) for card in cardinalities)  # +1: unseen/missing
        self.num_proj = nn.Linear(2 * n_numeric, hidden) if n_numeric else None  # value + missing flag
        self.cond_bias = nn.Parameter(torch.zeros(hidden))
        self.inp = nn.Linear(2 * n_channels + 1, hidden)  # previous readings, their mask, time fraction
        self.exo = nn.Linear(n_exogenous, hidden) if n_exogenous else None  # covariates known at this step
        self.h0 = nn.Linear(hidden, layers * hidden)
        self.rnn = nn.LSTM(hidden, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(2 * hidden, components * (1 + 2 * n_channels))

    # ------------------------------------------------------------------ pieces

    def condition(self, cats: torch.Tensor, nums: torch.Tensor) -> torch.Tensor:
        """(B, hidden) embedding of the static attributes (codes (B, n_cat), numbers+flags (B, 2·n_num))."""
        out = self.cond_bias.expand(cats.shape[0], -1)
        for i, emb in enumerate(self.cat_emb):
            out = out + emb(cats[:, i])
        if self.num_proj is not None:
            out = out + self.num_proj(nums)
        return out

    def _initial(self, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = torch.tanh(self.h0(cond)).view(-1, self.layers, self.hidden).transpose(0, 1).contiguous()
        return h, torch.zeros_like(h)

    def _step_input(self, prev: torch.Tensor, prev_mask: torch.Tensor, tfrac: torch.Tensor, cond: torch.Tensor,
                    exo: torch.Tensor | None) -> torch.Tensor:
        h = self.inp(torch.cat([prev, prev_mask, tfrac], dim=-1)) + cond
        if self.exo is not None:
            h = h + self.exo(exo)
        return torch.relu(h)

    def _mixture(self, out: torch.Tensor, cond: torch.Tensor):
        params = self.head(torch.cat([self.drop(out), cond.expand_as(out)], dim=-1))
        k, c = self.components, self.n_channels
        logits = params[..., :k]
        means = params[..., k:k + k * c].unflatten(-1, (k, c))
        log_scales = params[..., k + k * c:].unflatten(-1, (k, c)).clamp(LOG_SCALE_MIN, LOG_SCALE_MAX)
        return torch.log_softmax(logits, dim=-1), means, log_scales

    # ------------------------------------------------------------------ training

    def loss(self, x: torch.Tensor, cats: torch.Tensor, nums: torch.Tensor, exo: torch.Tensor | None = None) -> torch.Tensor:
        """Mean negative log-likelihood per observed reading; ``x`` (B, T, C) standardised, NaN = missing;
        ``exo`` (B, T, n_exogenous) the covariates at each step."""
        mask = torch.isfinite(x)
        x0 = torch.where(mask, x, torch.zeros_like(x))
        b, t, _ = x.shape
        cond = self.condition(cats, nums)
        prev = torch.cat([torch.zeros_like(x0[:, :1]), x0[:, :-1]], dim=1)
        prev_mask = torch.cat([torch.zeros_like(mask[:, :1]), mask[:, :-1]], dim=1).float()
        tfrac = (torch.arange(t, device=x.device, dtype=x.dtype) / t).view(1, t, 1).expand(b, t, 1)
        cond_t = cond.unsqueeze(1)
        out, _ = self.rnn(self._step_input(prev, prev_mask, tfrac, cond_t, exo), self._initial(cond))
        log_pi, means, log_scales = self._mixture(out, cond_t)
        z = (x0.unsqueeze(-2) - means) / log_scales.exp()
        log_n = -0.5 * z.pow(2) - log_scales - 0.5 * math.log(2 * math.pi)  # (B, T, K, C)
        log_n = (log_n * mask.unsqueeze(-2)).sum(-1)  # a missing reading drops out of the likelihood
        nll = -torch.logsumexp(log_pi + log_n, dim=-1)  # (B, T)
        return nll.sum() / mask.sum().clamp(min=1)

    # ------------------------------------------------------------------ sampling

    @torch.no_grad()
    def sample(self, cats: torch.Tensor, nums: torch.Tensor, steps: int, generator: torch.Generator,
               temperature: float = 1.0, exo: torch.Tensor | None = None) -> torch.Tensor:
        """(B, steps, C) standardised readings drawn step by step."""
        b = cats.shape[0]
        cond = self.condition(cats, nums)
        cond_t = cond.unsqueeze(1)
        h = self._initial(cond)
        prev = torch.zeros(b, 1, self.n_channels, device=cats.device)
        prev_mask = torch.zeros_like(prev)
        out_steps = []
        for step in range(steps):
            tfrac = torch.full((b, 1, 1), step / steps, device=cats.device)
            out, h = self.rnn(self._step_input(prev, prev_mask, tfrac, cond_t, None if exo is None else exo[:, step:step + 1]), h)
            log_pi, means, log_scales = self._mixture(out, cond_t)
            comp = torch.multinomial(torch.softmax(log_pi[:, 0] / temperature, dim=-1), 1, generator=generator)
            idx = comp.view(b, 1, 1).expand(b, 1, self.n_channels)
            mu = means[:, 0].gather(1, idx)[:, 0]
            sd = log_scales[:, 0].gather(1, idx)[:, 0].exp() * temperature
            noise = torch.randn(mu.shape, generator=generator, device=mu.device)
            prev = (mu + sd * noise).unsqueeze(1)
            prev_mask = torch.ones_like(prev)
            out_steps.append(prev)
        return torch.cat(out_steps, dim=1)
