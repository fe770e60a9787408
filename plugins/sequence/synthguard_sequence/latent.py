"""A conditional VAE over whole windows whose decoder draws each reading from a mixture given its last P readings.

Why this shape: the autoregressive LSTM (:mod:`.lstm`) walks a window's T
steps one by one in training, and on a CPU that walk is most of the fit. Here nothing
recurrent is trained. What a recording does as a whole (its activity's rhythm,
amplitude, posture) is one latent vector per recording, encoded from the window by
strided convolutions and decoded by transposed convolutions into a state for every
step at once; what it does from one reading to the next (sensor noise, a
swing's curvature) is a Gaussian mixture over all channels whose input is that state
plus the step's own ``lags`` previous readings — an autoregressive decoder with a short,
fixed memory, so teacher-forced training is one parallel pass over all B·T steps
(PixelVAE's split of global latent and local autoregression, for sensor windows). A
whole-window VAE without the local mixture was tried first: its recordings came out far
too smooth (mean step 0.19 vs the real 0.475 training-std units on BasicMotions) and easy
to tell from real ones. Trained on the evidence lower bound (likelihood of the readings
given the latent, minus the KL divergence from the standard normal prior); sampling draws
the latent from the prior and the readings step by step (T cheap steps of a small MLP).

Measured: trained on the sensor plugin's reference panels the latent ends up carrying almost
nothing — 0.02–0.1 nats a recording, no dimension above 0.05 — the posterior collapse that
decoders with a local autoregression are known for. So the statics, each step's position and its
last ``lags`` readings do the work, and what makes the model fast is that the autoregression is
short and non-recurrent (the sensor plugin ships it as ``sensor-conv-ar``). Forcing information
into the latent with free bits made the samples easier to tell from real ones, not harder; the
option was removed.

Static attributes (activity, device) enter the encoder, the decoder's latent input and
every step's state, as in the LSTM, so sampling can be conditioned on them; covariates
known at every step (``n_exogenous``) enter each step's state. Missing readings are
masked in the encoder's input, in the lags and in the likelihood. The model is built for
one window length (its per-step position embedding and the decoder's upsampling).
"""

from __future__ import annotations

import torch
from torch import nn

from .mixture import draw_mixture, mixture_nll, mixture_params
from .lstm import add_statics, embed_statics

#: Each strided convolution halves the time axis; two of them: a latent sees the window at 1/4 resolution.
DOWNSAMPLE = 4


def lagged_readings(x0: torch.Tensor, mask: torch.Tensor, lags: int) -> torch.Tensor:
    """(B, T, 2·lags·C): at step t the readings at t-1, ..., t-lags, then their masks (0 before the start)."""
    t = x0.shape[1]
    xpad = nn.functional.pad(x0, (0, 0, lags, 0))
    mpad = nn.functional.pad(mask, (0, 0, lags, 0))
    shifted = [pad[:, lags - i:lags - i + t] for pad in (xpad, mpad) for i in range(1, lags + 1)]
    return torch.cat(shifted, dim=-1)


class SequenceLatentMixture(nn.Module):
    """Latent per recording + local autoregressive mixture per step (see the module docstring)."""

    def __init__(self, n_channels: int, cardinalities: list[int], n_numeric: int, length: int, hidden: int = 64,
                 latent: int = 16, lags: int = 8, components: int = 8, n_exogenous: int = 0):
        super().__init__()
        self.n_channels, self.length, self.hidden, self.latent = n_channels, length, hidden, latent
        self.lags, self.components = lags, components
        self.coarse = -(-length // DOWNSAMPLE)  # the latent's time resolution
        add_statics(self, cardinalities, n_numeric, hidden)
        self.encoder = nn.Sequential(nn.Conv1d(2 * n_channels, hidden, 5, 2, 2), nn.ReLU(),
                                     nn.Conv1d(hidden, hidden, 5, 2, 2), nn.ReLU())
        self.posterior = nn.Linear(hidden * self.coarse + hidden, 2 * latent)  # mean and log-variance
        self.from_latent = nn.Linear(latent + hidden, hidden * self.coarse)
        self.decoder = nn.Sequential(nn.ReLU(), nn.ConvTranspose1d(hidden, hidden, 4, 2, 1), nn.ReLU(),
                                     nn.ConvTranspose1d(hidden, hidden, 4, 2, 1))
        self.position = nn.Parameter(torch.zeros(self.coarse * DOWNSAMPLE, hidden))
        self.exo = nn.Linear(n_exogenous, hidden) if n_exogenous else None
        self.lag_proj = nn.Linear(2 * lags * n_channels, hidden)
        self.step_mlp = nn.Sequential(nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                      nn.ReLU())
        self.head = nn.Linear(hidden, components * (1 + 2 * n_channels))

    # ------------------------------------------------------------------ pieces

    def condition(self, cats: torch.Tensor, nums: torch.Tensor) -> torch.Tensor:
        """(B, hidden) embedding of the static attributes (codes (B, n_cat), numbers+flags (B, 2·n_num))."""
        return embed_statics(self, cats, nums)

    def encode(self, x0: torch.Tensor, mask: torch.Tensor, cond: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and log-variance (B, latent) of windows ``x0`` (B, T, C) with ``mask`` (float)."""
        inputs = torch.cat([x0, mask], dim=-1).transpose(1, 2)
        inputs = nn.functional.pad(inputs, (0, self.coarse * DOWNSAMPLE - self.length))
        return self.posterior(torch.cat([self.encoder(inputs).flatten(1), cond], dim=-1)).chunk(2, dim=-1)

    def states(self, z: torch.Tensor, cond: torch.Tensor, exo: torch.Tensor | None) -> torch.Tensor:
        """(B, T, hidden) every step's state given the latent ``z`` (B, latent), statics and covariates."""
        coarse = self.from_latent(torch.cat([z, cond], dim=-1)).view(-1, self.hidden, self.coarse)
        h = self.decoder(coarse)[:, :, :self.length].transpose(1, 2) + self.position[:self.length] + cond.unsqueeze(1)
        return h if self.exo is None else h + self.exo(exo)

    def _mixture(self, state: torch.Tensor, lagged: torch.Tensor):
        params = self.head(self.step_mlp(state + self.lag_proj(lagged)))
        return mixture_params(params, self.components, self.n_channels)

    # ------------------------------------------------------------------ training

    def loss(self, x: torch.Tensor, cats: torch.Tensor, nums: torch.Tensor, exo: torch.Tensor | None = None,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """Negative evidence lower bound per observed reading; ``x`` (B, T, C) standardised, NaN = missing.

        The latent is drawn from the posterior with ``generator`` (reparameterised), so the loss is random.
        """
        mask = torch.isfinite(x)
        x0, maskf = torch.where(mask, x, torch.zeros_like(x)), mask.float()
        cond = self.condition(cats, nums)
        mean, log_var = self.encode(x0, maskf, cond)
        noise = torch.randn(mean.shape, generator=generator, device=mean.device)
        z = mean + (0.5 * log_var).exp() * noise
        kl = (0.5 * (mean.pow(2) + log_var.exp() - 1 - log_var)).sum()
        nll = mixture_nll(*self._mixture(self.states(z, cond, exo), lagged_readings(x0, maskf, self.lags)), x0, mask)
        return (nll.sum() + kl) / mask.sum().clamp(min=1)

    # ------------------------------------------------------------------ sampling

    @torch.no_grad()
    def sample(self, cats: torch.Tensor, nums: torch.Tensor, steps: int, generator: torch.Generator,
               temperature: float = 1.0, exo: torch.Tensor | None = None) -> torch.Tensor:
        """(B, steps, C) standardised readings: a latent from the prior, then the readings step by step."""
        if steps > self.length:
            raise ValueError(f"{steps} steps asked of a model built for windows of {self.length}")
        b, c = cats.shape[0], self.n_channels
        cond = self.condition(cats, nums)
        z = torch.randn(b, self.latent, generator=generator, device=cats.device)
        states = self.states(z, cond, exo)
        recent = torch.zeros(b, self.lags, c, device=cats.device)  # the last readings, newest first
        recent_mask = torch.zeros_like(recent)
        drawn = []
        for t in range(steps):
            lagged = torch.cat([recent.flatten(1), recent_mask.flatten(1)], dim=-1)
            reading = draw_mixture(*self._mixture(states[:, t], lagged), temperature, generator)
            drawn.append(reading)
            recent = torch.cat([reading.unsqueeze(1), recent[:, :-1]], dim=1)
            recent_mask = torch.cat([torch.ones_like(recent_mask[:, :1]), recent_mask[:, :-1]], dim=1)
        return torch.stack(drawn, dim=1)
