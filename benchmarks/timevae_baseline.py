"""A TimeVAE-style baseline for TimeGAN's protocol (benchmarks/sensor_sines_timegan.py ``--generators timevae``).

Written here, in PyTorch, because the authors' code (abudesai/timeVAE) is TensorFlow/Keras and the maintained
PyTorch port (synthcity 0.2.12's ``timevae``) trains at ~19 s an epoch on basic_motions' windows on one core of this
machine, hours at its default 1,000 iterations (measured 2026-12-06). The model is TimeVAE's base shape (Desai et
al. 2021, "TimeVAE: a variational auto-encoder for multivariate time series generation"): an encoder of 1-D
convolutions (3 × 3, stride 2, ReLU) with hidden sizes 50, 100, 200 into an 8-dimensional Gaussian latent; a
decoder that adds a per-channel level (a dense layer of z, constant over time) to a residual of transposed
convolutions; loss = 3 × (squared error summed over steps and channels + squared error of each step's mean over the
channels) + KL; Adam at 1e-3, batches of 16, the learning rate halved after 5 epochs without improvement of the
training loss and training stopped after 10 (or at ``max_epochs``). Left out: the optional trend and seasonality
blocks (the paper's interpretable variant). Data in [0, 1]; samples z ~ N(0, I).
"""

from __future__ import annotations

import time

import numpy as np
import torch
from torch import nn

HIDDEN = (50, 100, 200)
LATENT = 8
RECONSTRUCTION_WEIGHT = 3.0


class TimeVAE(nn.Module):
    def __init__(self, length: int, channels: int, hidden=HIDDEN, latent: int = LATENT):
        super().__init__()
        layers, c = [], channels
        for h in hidden:
            layers += [nn.Conv1d(c, h, 3, stride=2, padding=1), nn.ReLU()]
            c = h
        self.encoder = nn.Sequential(*layers)
        with torch.no_grad():
            self.enc_shape = self.encoder(torch.zeros(1, channels, length)).shape[1:]  # (hidden[-1], steps)
        flat = int(np.prod(self.enc_shape))
        self.mean, self.log_var = nn.Linear(flat, latent), nn.Linear(flat, latent)
        self.level = nn.Linear(latent, channels)
        self.dec_in = nn.Linear(latent, flat)
        layers, c = [], hidden[-1]
        for h in list(reversed(hidden[:-1])) + [channels]:
            layers += [nn.ConvTranspose1d(c, h, 3, stride=2, padding=1, output_padding=1), nn.ReLU()]
            c = h
        self.decoder = nn.Sequential(*layers)
        steps = self.decoder(torch.zeros(1, *self.enc_shape)).shape[-1]
        self.dec_out = nn.Linear(channels * steps, length * channels)
        self.length, self.channels = length, channels

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        h = self.decoder(self.dec_in(z).view(-1, *self.enc_shape)).flatten(1)
        residual = self.dec_out(h).view(-1, self.length, self.channels)
        return self.level(z).unsqueeze(1) + residual

    def forward(self, x: torch.Tensor):
        h = self.encoder(x.transpose(1, 2)).flatten(1)
        mean, log_var = self.mean(h), self.log_var(h)
        z = mean + torch.randn_like(mean) * (0.5 * log_var).exp()
        return self.decode(z), mean, log_var


def loss_fn(x, recon, mean, log_var) -> torch.Tensor:
    """TimeVAE's loss, summed over the batch: weighted reconstruction (values and per-step means) plus KL."""
    reconstruction = (x - recon).pow(2).sum() + (x.mean(2) - recon.mean(2)).pow(2).sum()
    kl = -0.5 * (1 + log_var - mean.pow(2) - log_var.exp()).sum()
    return RECONSTRUCTION_WEIGHT * reconstruction + kl


def fit_sample(real: np.ndarray, n: int, seed: int, max_epochs: int = 1000, batch_size: int = 16,
               lr: float = 1e-3) -> tuple[np.ndarray, dict]:
    """Fit on ``real`` (N, T, C) in [0, 1]; return ``n`` samples and what the fit did (and the sampling's seconds)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x = torch.as_tensor(real, dtype=torch.float32)
    model = TimeVAE(x.shape[1], x.shape[2])
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=5)
    best, since, epochs = float("inf"), 0, 0
    stopped = "max_epochs"
    for epochs in range(1, max_epochs + 1):
        total = 0.0
        for rows in torch.randperm(len(x), generator=gen).split(batch_size):
            batch = x[rows]
            loss = loss_fn(batch, *model(batch))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item()
        total /= len(x)
        plateau.step(total)
        best, since = (total, 0) if total < best - 1e-4 else (best, since + 1)
        if since >= 10:
            stopped = "early stopping"
            break
    model.eval()
    start = time.perf_counter()
    with torch.no_grad():
        syn = model.decode(torch.randn(n, LATENT, generator=gen)).numpy()
    return syn, {"sample_seconds": time.perf_counter() - start, "epochs_run": epochs, "stopped": stopped, "final_loss": round(total, 4),
                 "config": {"hidden": list(HIDDEN), "latent": LATENT, "reconstruction_weight": RECONSTRUCTION_WEIGHT,
                            "batch_size": batch_size, "lr": lr, "max_epochs": max_epochs}}
