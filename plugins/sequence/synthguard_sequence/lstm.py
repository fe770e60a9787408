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
:class:`synthguard_sequence.MixtureSequenceGenerator`.
"""

from __future__ import annotations

import torch
from torch import nn

from .mixture import draw_mixture, mixture_nll, mixture_params


def add_statics(model: nn.Module, cardinalities: list[int], n_numeric: int, hidden: int) -> None:
    """The layers :func:`embed_statics` reads, on ``model``: ``cat_emb`` (an embedding per categorical static, one
    code more for unseen or missing), ``num_proj`` (the numbers and their missing flags) and ``cond_bias``."""
    model.cat_emb = nn.ModuleList(nn.Embedding(card + 1, hidden) for card in cardinalities)
    model.num_proj = nn.Linear(2 * n_numeric, hidden) if n_numeric else None
    model.cond_bias = nn.Parameter(torch.zeros(hidden))


def embed_statics(model: nn.Module, cats: torch.Tensor, nums: torch.Tensor) -> torch.Tensor:
    """(B, hidden): ``model.cond_bias`` + an embedding per categorical static + ``model.num_proj`` of the numbers.

    ``cats`` (B, n_cat) codes (the last code of each = unseen/missing), ``nums`` (B, 2·n_num) values and missing flags.
    """
    out = model.cond_bias.expand(cats.shape[0], -1)
    for i, emb in enumerate(model.cat_emb):
        out = out + emb(cats[:, i])
    if model.num_proj is not None:
        out = out + model.num_proj(nums)
    return out


class SequenceMixtureLSTM(nn.Module):
    """The sequence model: an LSTM over time, a Gaussian mixture over all channels at every step."""

    def __init__(self, n_channels: int, cardinalities: list[int], n_numeric: int, hidden: int = 64,
                 layers: int = 2, components: int = 8, dropout: float = 0.1, n_exogenous: int = 0):
        super().__init__()
        self.n_channels, self.components, self.layers, self.hidden = n_channels, components, layers, hidden
        add_statics(self, cardinalities, n_numeric, hidden)
        self.inp = nn.Linear(2 * n_channels + 1, hidden)  # previous readings, their mask, time fraction
        self.exo = nn.Linear(n_exogenous, hidden) if n_exogenous else None  # covariates known at this step
        self.h0 = nn.Linear(hidden, layers * hidden)
        self.rnn = nn.LSTM(hidden, hidden, layers, batch_first=True, dropout=dropout if layers > 1 else 0.0)
        self.drop = nn.Dropout(dropout)
        self.head = nn.Linear(2 * hidden, components * (1 + 2 * n_channels))

    # ------------------------------------------------------------------ pieces

    def condition(self, cats: torch.Tensor, nums: torch.Tensor) -> torch.Tensor:
        """(B, hidden) embedding of the static attributes (codes (B, n_cat), numbers+flags (B, 2·n_num))."""
        return embed_statics(self, cats, nums)

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
        return mixture_params(params, self.components, self.n_channels)

    def states(self, x0: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor, exo: torch.Tensor | None = None,
               cond_t: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Teacher-forced (B, T, hidden) inputs of every step's mixture, with the readings and mask they score.

        ``x0`` (B, T, C) readings (0 where missing), ``mask`` (B, T, C) bool. Sampling feeds :meth:`_mixture`
        the same inputs step by step. ``cond_t``: ``cond.unsqueeze(1)`` when the caller uses it too (one autograd
        node: same gradients bit for bit).
        """
        b, t, c = x0.shape
        cond_t = cond.unsqueeze(1) if cond_t is None else cond_t
        prev = torch.cat([torch.zeros_like(x0[:, :1]), x0[:, :-1]], dim=1)
        prev_mask = torch.cat([torch.zeros_like(mask[:, :1]), mask[:, :-1]], dim=1).float()
        tfrac = (torch.arange(t, device=x0.device, dtype=x0.dtype) / t).view(1, t, 1).expand(b, t, 1)
        return self.rnn(self._step_input(prev, prev_mask, tfrac, cond_t, exo), self._initial(cond))[0], x0, mask

    # ------------------------------------------------------------------ training

    def loss(self, x: torch.Tensor, cats: torch.Tensor, nums: torch.Tensor, exo: torch.Tensor | None = None,
             generator: torch.Generator | None = None, count: torch.Tensor | None = None,
             per_record: bool = False) -> torch.Tensor:
        """Mean negative log-likelihood per observed reading; ``x`` (B, T, C) standardised, NaN = missing;
        ``exo`` (B, T, n_exogenous) the covariates at each step. The likelihood is exact: ``generator`` is
        not used (it is part of the sequence models' shared signature; a latent model's loss draws with it).
        ``count``: divide by this many readings instead of ``x``'s (a data-parallel shard: the global batch's).
        ``per_record``: each record's mean over its own readings, then the mean over records — a loss in which
        every record's term depends on that record alone (what DP-SGD's per-record clipping needs)."""
        mask = torch.isfinite(x)
        cond = self.condition(cats, nums)
        cond_t = cond.unsqueeze(1)
        out, x0, mask = self.states(torch.where(mask, x, torch.zeros_like(x)), mask, cond, exo, cond_t)
        nll = mixture_nll(*self._mixture(out, cond_t), x0, mask)  # (B, T)
        if per_record:
            return (nll.sum(1) / mask.flatten(1).sum(1).clamp(min=1)).mean()
        return nll.sum() / (mask.sum().clamp(min=1) if count is None else count)

    # ------------------------------------------------------------------ sampling

    def _draw(self, out: torch.Tensor, cond_t: torch.Tensor, temperature: float,
              generator: torch.Generator) -> torch.Tensor:
        """(B, 1, C) readings drawn from the mixture the (B, 1, hidden) state gives."""
        log_pi, means, log_scales = self._mixture(out, cond_t)
        return draw_mixture(log_pi[:, 0], means[:, 0], log_scales[:, 0], temperature, generator).unsqueeze(1)

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
        for k in range(steps):
            tfrac = torch.full((b, 1, 1), k / steps, device=cats.device)
            ex = None if exo is None else exo[:, k:k + 1]
            out, h = self.rnn(self._step_input(prev, prev_mask, tfrac, cond_t, ex), h)
            prev = self._draw(out, cond_t, temperature, generator)
            prev_mask = torch.ones_like(prev)
            out_steps.append(prev)
        return torch.cat(out_steps, dim=1)
