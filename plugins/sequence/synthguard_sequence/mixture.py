"""A diagonal Gaussian mixture over all channels of one step: its parameters, likelihood and draws.

Shared by the sequence models (:class:`~synthguard_sequence.SequenceMixtureLSTM`,
:class:`~synthguard_sequence.SequenceLatentMixture`): each turns a step's state into
``components * (1 + 2 * channels)`` numbers, read here as mixture weights, means and
log-scales. Missing readings drop out of the likelihood (``mask``).
"""

from __future__ import annotations

import math

import torch

LOG_SCALE_MIN, LOG_SCALE_MAX = -7.0, 3.0


def mixture_params(params: torch.Tensor, components: int, channels: int):
    """(..., K·(1 + 2C)) -> log-weights (..., K), means (..., K, C), log-scales (..., K, C) (clamped)."""
    k, c = components, channels
    logits = params[..., :k]
    means = params[..., k:k + k * c].unflatten(-1, (k, c))
    log_scales = params[..., k + k * c:].unflatten(-1, (k, c)).clamp(LOG_SCALE_MIN, LOG_SCALE_MAX)
    return torch.log_softmax(logits, dim=-1), means, log_scales


def mixture_nll(log_pi: torch.Tensor, means: torch.Tensor, log_scales: torch.Tensor, x0: torch.Tensor,
                mask: torch.Tensor) -> torch.Tensor:
    """(...,) negative log-likelihood of the readings ``x0`` (..., C); readings where ``mask`` is False count 0."""
    z = (x0.unsqueeze(-2) - means) / log_scales.exp()
    log_n = -0.5 * z.pow(2) - log_scales - 0.5 * math.log(2 * math.pi)  # (..., K, C)
    log_n = (log_n * mask.unsqueeze(-2)).sum(-1)  # a missing reading drops out of the likelihood
    return -torch.logsumexp(log_pi + log_n, dim=-1)


def draw_mixture(log_pi: torch.Tensor, means: torch.Tensor, log_scales: torch.Tensor, temperature: float,
                 generator: torch.Generator) -> torch.Tensor:
    """(B, C) readings, one per row of log-weights (B, K), means and log-scales (B, K, C).

    ``temperature`` < 1 sharpens the choice of component and narrows each one (1 = the learned distribution).
    """
    b, c = means.shape[0], means.shape[-1]
    comp = torch.multinomial(torch.softmax(log_pi / temperature, dim=-1), 1, generator=generator)
    idx = comp.view(b, 1, 1).expand(b, 1, c)
    mu = means.gather(1, idx)[:, 0]
    sd = log_scales.gather(1, idx)[:, 0].exp() * temperature
    noise = torch.randn(mu.shape, generator=generator, device=mu.device)
    return mu + sd * noise
