"""A small convolutional autoencoder trained on the real images: the feature space of the memorization check and metrics.

Hub weights (Inception, DINO, RadImageNet) cannot be downloaded here and would not know
this user's scans anyway, so the feature space is learned from the real training images
themselves: a denoising autoencoder (32x32 input, each image standardised to zero mean and unit
std so that its 64 features describe structure, not brightness) trained for a few seconds; the
metrics append each image's mean and std so brightness and contrast still count there.
Its features are what ``imaging.memorization`` compares and what the Fréchet distance and
precision/recall are computed in. It is NOT Inception and the numbers are NOT FID: they
are comparable only between runs on the same training images (same encoder, same seed).

Trained encoders are cached per training set (by its fingerprint) within a process, so
the gate, the audit and the metrics of one run share one encoder. A bundle carries the encoder
its generator's training set gives (:meth:`ImageEncoder.to_state`, not for DP bundles: the encoder
is not private); loading it fills the cache (:func:`restore`), so ``generate`` from a bundle trains none.
"""

from __future__ import annotations

import numpy as np
import torch
from synthguard import ImageSet
from torch import nn
from torch.nn import functional as F

SIZE = 32
FEATURES = 64
STEPS = 300
SEED = 0
_CACHE: dict[tuple, "ImageEncoder"] = {}


class _AE(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(channels, 16, 3, 2, 1), nn.SiLU(), nn.Conv2d(16, 32, 3, 2, 1), nn.SiLU(),
            nn.Conv2d(32, 64, 3, 2, 1), nn.SiLU(), nn.Flatten(), nn.Linear(64 * 16, FEATURES))
        self.dec = nn.Sequential(
            nn.Linear(FEATURES, 64 * 16), nn.Unflatten(1, (64, 4, 4)), nn.SiLU(),
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.SiLU(), nn.ConvTranspose2d(32, 16, 4, 2, 1), nn.SiLU(),
            nn.ConvTranspose2d(16, channels, 4, 2, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.dec(self.enc(x))


class ImageEncoder:
    """Fitted on real images: ``features(images)`` gives (n, 64) standardised float32 features."""

    def __init__(self, net: _AE, low: float, high: float, mean: np.ndarray, std: np.ndarray, loss: list[float]):
        self.net, self.low, self.high, self.mean, self.std, self.loss = net, low, high, mean, std, loss

    def prepare(self, images: np.ndarray) -> torch.Tensor:
        """Images scaled by the training range to [0, 1], area-resized to 32x32."""
        x = torch.from_numpy(np.nan_to_num((np.asarray(images, dtype=np.float32) - self.low) / max(self.high - self.low, 1e-12)))
        return F.interpolate(x, size=(SIZE, SIZE), mode="area") if x.shape[-1] != SIZE else x

    @staticmethod
    def standardise(x: torch.Tensor) -> torch.Tensor:
        """Each image to zero mean and unit std: the encoder sees structure, not brightness or contrast."""
        flat = x.flatten(1)
        return ((flat - flat.mean(1, keepdim=True)) / flat.std(1, keepdim=True).clamp(min=1e-3)).view_as(x)

    @torch.no_grad()
    def raw(self, images: np.ndarray) -> np.ndarray:
        out = [self.net.enc(self.standardise(self.prepare(images[i:i + 512]))).numpy() for i in range(0, len(images), 512)]
        return np.concatenate(out) if out else np.zeros((0, FEATURES), np.float32)

    def features(self, images: np.ndarray, intensity: bool = True) -> np.ndarray:
        """(n, 64) standardised structure features; with ``intensity``, plus each image's mean and std (in
        training-range units, scaled like one feature each) so that brightness and contrast count in metrics."""
        f = ((self.raw(images) - self.mean) / self.std).astype(np.float32)
        if not intensity:
            return f
        x = self.prepare(images).flatten(1)
        stats = torch.stack([x.mean(1), x.std(1)], dim=1).numpy()
        return np.hstack([f, (stats - self.stats_mean) / self.stats_std]).astype(np.float32)


    #: what a bundle keeps besides the encoder half's weights (the decoder only trains it)
    _ARRAYS = ("mean", "std", "stats_mean", "stats_std")

    def to_state(self) -> tuple[dict[str, torch.Tensor], dict]:
        """Tensors (the encoder half's weights) and JSON state for a bundle, with the training set it was fit for."""
        tensors = {f"enc.{k}": v.detach().clone() for k, v in self.net.enc.state_dict().items()}
        fingerprint, shape, seed, steps = self.key
        return tensors, {"fingerprint": fingerprint, "shape": list(shape), "seed": seed, "steps": steps,
                         "low": self.low, "high": self.high, **{k: getattr(self, k).tolist() for k in self._ARRAYS}}


def restore(tensors: dict[str, torch.Tensor], state: dict) -> ImageEncoder:
    """The encoder :meth:`ImageEncoder.to_state` wrote, used from now on for the training set it was fit for instead
    of training one."""
    net = _AE(int(state["shape"][0]))
    net.enc.load_state_dict({k.removeprefix("enc."): v for k, v in tensors.items()})
    net.eval()
    enc = ImageEncoder(net, float(state["low"]), float(state["high"]), *(np.asarray(state[k], np.float32)
                                                                          for k in ("mean", "std")), [])
    enc.stats_mean, enc.stats_std = (np.asarray(state[k], np.float32) for k in ("stats_mean", "stats_std"))
    enc.key = (state["fingerprint"], tuple(state["shape"]), int(state["seed"]), int(state["steps"]))
    _CACHE[enc.key] = enc
    return enc


def encoder_key(train: ImageSet, seed: int = SEED, steps: int = STEPS) -> tuple:
    """What identifies a fitted encoder: the training set's fingerprint, its image shape, the seed and the steps."""
    return (train.fingerprint(), tuple(train.images.shape[1:]), seed, steps)


def fit_encoder(train: ImageSet, seed: int = SEED, steps: int = STEPS) -> ImageEncoder:
    """A denoising autoencoder on ``train`` (cached per training set and seed)."""
    key = encoder_key(train, seed, steps)
    if key in _CACHE:
        return _CACHE[key]
    low, high = float(np.nanmin(train.images)), float(np.nanmax(train.images))
    gen = torch.Generator().manual_seed(seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = _AE(train.images.shape[1])
    enc = ImageEncoder(net, low, high, np.zeros(FEATURES, np.float32), np.ones(FEATURES, np.float32), [])
    x = enc.standardise(enc.prepare(train.images))
    opt = torch.optim.Adam(net.parameters(), lr=2e-3)
    losses = []
    for step in range(steps):
        idx = torch.randint(0, len(x), (min(64, len(x)),), generator=gen)
        batch = x[idx]
        noisy = batch + 0.1 * torch.randn(batch.shape, generator=gen)
        loss = F.mse_loss(net(noisy), batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.detach()))
    net.eval()
    raw = enc.raw(train.images)
    enc.mean, enc.std = raw.mean(0), np.where(raw.std(0) > 1e-8, raw.std(0), 1.0)
    flat = enc.prepare(train.images).flatten(1)
    stats = torch.stack([flat.mean(1), flat.std(1)], dim=1).numpy()
    enc.stats_mean, enc.stats_std = stats.mean(0), np.where(stats.std(0) > 1e-8, stats.std(0), 1.0)
    enc.loss, enc.key = losses, key
    _CACHE[key] = enc
    return enc


def ssim(a: np.ndarray, b: np.ndarray, data_range: float) -> np.ndarray:
    """Structural similarity (Wang et al. 2004, 7x7 uniform window) of image pairs (n, C, H, W); 1 = identical."""
    x = torch.from_numpy(np.nan_to_num(np.asarray(a, dtype=np.float64)))
    y = torch.from_numpy(np.nan_to_num(np.asarray(b, dtype=np.float64)))
    c1, c2 = (0.01 * data_range) ** 2, (0.03 * data_range) ** 2
    win = min(7, x.shape[-1], x.shape[-2])

    def pool(t: torch.Tensor) -> torch.Tensor:
        return F.avg_pool2d(t, win, stride=1)

    mx, my = pool(x), pool(y)
    vx, vy, cxy = pool(x * x) - mx ** 2, pool(y * y) - my ** 2, pool(x * y) - mx * my
    s = ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx ** 2 + my ** 2 + c1) * (vx + vy + c2))
    return s.mean(dim=(1, 2, 3)).numpy()
