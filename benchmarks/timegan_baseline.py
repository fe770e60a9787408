"""A TimeGAN baseline for TimeGAN's protocol (benchmarks/sensor_sines_timegan.py ``--generators timegan``).

Written here, in PyTorch, because the authors' code (jsyoon0823/TimeGAN) is TensorFlow 1 and the maintained PyTorch
port (synthcity 0.2.12's ``timegan``) would take ~26-38 h a fit on one core of this machine at its defaults
(``benchmarks/results/synthcity_timeseries_cost.json``). This follows the authors' ``timegan.py`` line by line
(Yoon, Jarrett and van der Schaar 2019): embedder, recovery, generator, supervisor and discriminator are GRUs of
``hidden`` units (``layers`` deep; the supervisor one less) with a sigmoid read-out (none for the discriminator);
noise is uniform on [0, 1]; three phases of ``iterations`` batches each, Adam at its default rate:

1. the autoencoder: 10 sqrt(MSE(X, recovery(embedder(X))));
2. the supervisor on real embeddings: MSE(H[:, 1:], supervisor(H)[:, :-1]);
3. jointly, per iteration: two generator steps (adversarial losses on H_hat and E_hat, 100 sqrt(supervised loss),
   100 x the gap in the batch's per-feature mean and standard deviation) each followed by an embedder step
   (autoencoder loss + 0.1 x supervised loss), then a discriminator step when its loss is above 0.15.

The authors' defaults are hidden 24, 3 layers, batches of 128 and 50,000 iterations a phase (their tutorial: 10,000).
Data in [0, 1] (the protocol's min-max scaling); samples come out of the recovery's sigmoid, in [0, 1].
"""

from __future__ import annotations

import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class _Net(nn.Module):
    """A GRU stack and a linear read-out, sigmoid unless ``logits``."""

    def __init__(self, inputs: int, hidden: int, outputs: int, layers: int, logits: bool = False):
        super().__init__()
        self.rnn = nn.GRU(inputs, hidden, num_layers=layers, batch_first=True)
        self.out = nn.Linear(hidden, outputs)
        self.logits = logits

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.out(self.rnn(x)[0])
        return y if self.logits else torch.sigmoid(y)


class TimeGAN(nn.Module):
    def __init__(self, channels: int, hidden: int = 24, layers: int = 3):
        super().__init__()
        self.embedder = _Net(channels, hidden, hidden, layers)
        self.recovery = _Net(hidden, hidden, channels, layers)
        self.generator = _Net(channels, hidden, hidden, layers)
        self.supervisor = _Net(hidden, hidden, hidden, max(layers - 1, 1))
        self.discriminator = _Net(hidden, hidden, 1, layers, logits=True)

    def generate(self, z: torch.Tensor) -> torch.Tensor:
        return self.recovery(self.supervisor(self.generator(z)))


def _bce(logits: torch.Tensor, target: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def _moments(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The authors' G_loss_V: per-(step, feature) gap in the batch's standard deviation and mean."""
    std = lambda v: torch.sqrt(v.var(dim=0, unbiased=False) + 1e-6)  # noqa: E731
    return (std(x_hat) - std(x)).abs().mean() + (x_hat.mean(dim=0) - x.mean(dim=0)).abs().mean()


def fit_sample(real: np.ndarray, n: int, seed: int, iterations: int = 10_000, batch_size: int = 128,
               hidden: int = 24, layers: int = 3, gamma: float = 1.0) -> tuple[np.ndarray, dict]:
    """Fit on ``real`` (N, T, C) in [0, 1]; return ``n`` samples and what the fit did (and the sampling's seconds)."""
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    x_all = torch.as_tensor(real, dtype=torch.float32)
    m = TimeGAN(x_all.shape[2], hidden, layers)

    def batch() -> tuple[torch.Tensor, torch.Tensor]:
        rows = torch.randperm(len(x_all), generator=gen)[:batch_size]
        return x_all[rows], torch.rand((len(rows), *x_all.shape[1:]), generator=gen)

    def autoencoder(x):
        mse = F.mse_loss(m.recovery(m.embedder(x)), x)
        return mse, 10 * torch.sqrt(mse)

    def supervised(h):
        return F.mse_loss(m.supervisor(h)[:, :-1], h[:, 1:])

    params = lambda *nets: [p for net in nets for p in net.parameters()]  # noqa: E731
    # one optimizer per phase and loss, as the authors' E0_solver, GS_solver, E_solver, G_solver and D_solver
    opt_e0 = torch.optim.Adam(params(m.embedder, m.recovery))
    opt_s = torch.optim.Adam(params(m.generator, m.supervisor))
    opt_e = torch.optim.Adam(params(m.embedder, m.recovery))
    opt_g = torch.optim.Adam(params(m.generator, m.supervisor))
    opt_d = torch.optim.Adam(params(m.discriminator))

    def step(opt, loss):
        opt.zero_grad()
        loss.backward()
        opt.step()

    seconds, losses = {}, {}
    start = time.perf_counter()
    for _ in range(iterations):  # 1. the autoencoder
        x, _ = batch()
        mse, loss = autoencoder(x)
        step(opt_e0, loss)
    losses["autoencoder_mse"], seconds["autoencoder"] = round(mse.item(), 5), round(time.perf_counter() - start, 1)

    start = time.perf_counter()
    for _ in range(iterations):  # 2. the supervisor on real embeddings
        x, _ = batch()
        loss = supervised(m.embedder(x))
        step(opt_s, loss)
    losses["supervised"], seconds["supervisor"] = round(loss.item(), 5), round(time.perf_counter() - start, 1)

    start = time.perf_counter()
    d_steps = 0
    for _ in range(iterations):  # 3. jointly
        for _ in range(2):
            x, z = batch()
            h = m.embedder(x)
            e_hat = m.generator(z)
            h_hat = m.supervisor(e_hat)
            x_hat = m.recovery(h_hat)
            g_loss = (_bce(m.discriminator(h_hat), 1.0) + gamma * _bce(m.discriminator(e_hat), 1.0)
                      + 100 * torch.sqrt(supervised(h)) + 100 * _moments(x_hat, x))
            step(opt_g, g_loss)
            mse, ae = autoencoder(x)
            step(opt_e, ae + 0.1 * supervised(m.embedder(x)))
        x, z = batch()
        with torch.no_grad():
            e_hat = m.generator(z)
            h_hat = m.supervisor(e_hat)
        d_loss = (_bce(m.discriminator(m.embedder(x).detach()), 1.0) + _bce(m.discriminator(h_hat), 0.0)
                  + gamma * _bce(m.discriminator(e_hat), 0.0))
        if d_loss.item() > 0.15:
            step(opt_d, d_loss)
            d_steps += 1
    losses.update({"generator": round(g_loss.item(), 4), "discriminator": round(d_loss.item(), 4),
                   "autoencoder_mse_joint": round(mse.item(), 5)})
    seconds["joint"] = round(time.perf_counter() - start, 1)

    m.eval()
    start = time.perf_counter()
    with torch.no_grad():
        syn = torch.cat([m.generate(torch.rand((len(rows), *x_all.shape[1:]), generator=gen))
                         for rows in torch.arange(n).split(1024)]).numpy()
    return syn, {"sample_seconds": time.perf_counter() - start, "epochs_run": None, "phase_seconds": seconds,
                 "final_losses": losses, "discriminator_steps": d_steps,
                 "config": {"hidden": hidden, "layers": layers, "iterations": iterations, "batch_size": batch_size,
                            "gamma": gamma, "module": "gru"}}
