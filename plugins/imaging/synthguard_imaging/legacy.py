"""The hand-written U-Net DDPM of state version 1, kept only so bundles trained with it still load and sample.

New models train on MONAI's networks (:mod:`.model`); this module is not used for training. Remove it once no
shipped or user bundle of state version 1 is needed.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10_000) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([args.sin(), args.cos()], dim=-1)


class ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, emb: int, groups: int = 8):
        super().__init__()
        self.n1, self.c1 = nn.GroupNorm(min(groups, c_in), c_in), nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb, c_out)
        self.n2, self.c2 = nn.GroupNorm(min(groups, c_out), c_out), nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor, e: torch.Tensor) -> torch.Tensor:
        h = self.c1(F.silu(self.n1(x)))
        h = h + self.emb(e)[:, :, None, None]
        h = self.c2(F.silu(self.n2(h)))
        return h + self.skip(x)


class UNet(nn.Module):
    """Encoder-decoder with skip connections; ``widths`` per resolution level (each halves the image)."""

    def __init__(self, channels: int, n_classes: int, widths: tuple[int, ...] = (32, 64, 128)):
        super().__init__()
        emb = widths[0] * 4
        self.n_classes = n_classes
        self.t_mlp = nn.Sequential(nn.Linear(widths[0], emb), nn.SiLU(), nn.Linear(emb, emb))
        self.class_emb = nn.Embedding(n_classes + 1, emb)  # last index: no class (classifier-free guidance)
        self.inp = nn.Conv2d(channels, widths[0], 3, padding=1)
        self.down, self.pool = nn.ModuleList(), nn.ModuleList()
        prev = widths[0]
        for w in widths:
            self.down.append(ResBlock(prev, w, emb))
            self.pool.append(nn.Conv2d(w, w, 3, stride=2, padding=1))
            prev = w
        self.mid = ResBlock(prev, prev, emb)
        self.up, self.unpool = nn.ModuleList(), nn.ModuleList()
        for w in reversed(widths):
            self.unpool.append(nn.ConvTranspose2d(prev, prev, 4, stride=2, padding=1))
            self.up.append(ResBlock(prev + w, w, emb))
            prev = w
        self.out = nn.Sequential(nn.GroupNorm(min(8, prev), prev), nn.SiLU(), nn.Conv2d(prev, channels, 3, padding=1))

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        e = self.t_mlp(timestep_embedding(t, self.inp.out_channels)) + self.class_emb(y)
        h = self.inp(x)
        skips = []
        for block, pool in zip(self.down, self.pool):
            h = block(h, e)
            skips.append(h)
            h = pool(h)
        h = self.mid(h, e)
        for block, unpool in zip(self.up, self.unpool):
            h = unpool(h)
            h = block(torch.cat([h, skips.pop()], dim=1), e)
        return self.out(h)


class Diffusion(nn.Module):
    """DDPM training objective (noise regression, cosine schedule) and the DDIM sampler."""

    def __init__(self, net: UNet, timesteps: int = 1000):
        super().__init__()
        self.net, self.timesteps = net, timesteps
        s = 0.008  # Nichol & Dhariwal's cosine schedule: keeps some signal at the last steps of small images
        f = torch.cos((torch.arange(timesteps + 1, dtype=torch.float64) / timesteps + s) / (1 + s) * math.pi / 2) ** 2
        alpha_bar = (f / f[0]).clamp(min=1e-8)
        betas = (1 - alpha_bar[1:] / alpha_bar[:-1]).clamp(max=0.999)
        self.register_buffer("alpha_bar", torch.cumprod(1 - betas, 0).float(), persistent=False)

    def loss(self, x0: torch.Tensor, y: torch.Tensor, generator: torch.Generator, p_uncond: float = 0.1) -> torch.Tensor:
        b = x0.shape[0]
        t = torch.randint(0, self.timesteps, (b,), generator=generator, device=generator.device).to(x0.device)
        noise = torch.randn(x0.shape, generator=generator, device=generator.device).to(x0.device)
        ab = self.alpha_bar[t].view(b, 1, 1, 1)
        xt = ab.sqrt() * x0 + (1 - ab).sqrt() * noise
        drop = torch.rand(b, generator=generator, device=generator.device).to(x0.device) < p_uncond
        y = torch.where(drop, torch.full_like(y, self.net.n_classes), y)
        return F.mse_loss(self.net(xt, t, y), noise)

    @torch.no_grad()
    def sample(self, y: torch.Tensor, shape: tuple[int, ...], generator: torch.Generator, steps: int = 20,
               guidance: float = 1.0, bfloat16: bool = False) -> torch.Tensor:
        """DDIM (eta = 0) from pure noise in ``steps`` steps; ``guidance`` > 1 pushes towards the class.

        With ``bfloat16`` the network's passes run autocast to bfloat16 (the DDIM updates stay float32)."""
        device = y.device
        x = torch.randn((len(y), *shape), generator=generator, device=generator.device).to(device)
        ts = torch.linspace(self.timesteps - 1, 0, steps, device=device).round().long()
        null = torch.full_like(y, self.net.n_classes)
        for i, t in enumerate(ts):
            tt = t.expand(len(y))
            with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bfloat16):
                if guidance != 1.0:
                    both = self.net(torch.cat([x, x]), torch.cat([tt, tt]), torch.cat([y, null])).float()
                    cond, uncond = both.chunk(2)
                    eps = uncond + guidance * (cond - uncond)
                else:
                    eps = self.net(x, tt, y).float()
            ab = self.alpha_bar[t]
            x0 = ((x - (1 - ab).sqrt() * eps) / ab.sqrt()).clamp(-1, 1)
            ab_next = self.alpha_bar[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0, device=device)
            eps = (x - ab.sqrt() * x0) / (1 - ab).sqrt()  # re-derived from the clipped x0
            x = ab_next.sqrt() * x0 + (1 - ab_next).sqrt() * eps
        return x.clamp(-1, 1)


class LegacyDiffusion(Diffusion):
    """Version-1 network behind the version-2 sampling interface (:meth:`.model.Diffusion.sample`)."""

    latent = False

    def __init__(self, channels: int, n_classes: int, widths: tuple[int, ...], size: int):
        super().__init__(UNet(channels, n_classes, tuple(widths)))
        self.size, self.n_classes = size, n_classes

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return x

    @torch.no_grad()
    def sample(self, y: torch.Tensor, channels: int, generator: torch.Generator, steps: int = 20,  # type: ignore[override]
               guidance: float = 1.0, bfloat16: bool = False) -> torch.Tensor:
        return super().sample(y, (channels, self.size, self.size), generator, steps, guidance, bfloat16)

    def loss(self, z0, y, generator, p_uncond: float = 0.1):  # fit --resume on a version-1 bundle
        return super().loss(z0, y, generator, p_uncond)
