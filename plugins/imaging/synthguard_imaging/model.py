"""The networks: MONAI's class-conditional DiffusionModelUNet trained as a DDPM and sampled with DDIM
(in pixel space, or in the latent space of a MONAI AutoencoderKL for 128x128 and larger slices), and a DCGAN baseline.

Why a diffusion model: on a few hundred scans a GAN's adversarial game is unstable and
prone to mode collapse (the DCGAN baseline shows it), a VAE blurs fine texture. A DDPM
(Ho et al. 2020) is trained by plain regression of the added noise, so its loss falls
steadily and says how training goes; the DDIM sampler (Song et al. 2021) takes a few
deterministic denoising steps instead of a thousand, which makes sampling a matter of
seconds on a CPU. Classes (scan orientation, modality) enter through the U-Net's class
embedding; a "no class" index trained with 10% label dropout allows classifier-free guidance.
The networks, noise schedules and DDIM update are MONAI's (``monai.networks.nets``,
``monai.networks.schedulers``); written here is only the training objective's plumbing and the
guidance loop (MONAI's inferers take guidance for cross-attention conditioning, not class labels).

Latent diffusion (Rombach et al. 2022, as in MONAI's generative tutorials): an AutoencoderKL
(L1 reconstruction + KL, no perceptual/adversarial loss: those need downloaded weights) is trained
first and compresses a 128x128 slice 4x and a 256x256 slice 8x to a 32x32 latent with 3 channels;
the diffusion U-Net then works on that latent, so a 256x256 model costs about what a 32x32 one does.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

#: The latent side length: the autoencoder downsamples by working size / LATENT_SIZE.
LATENT_SIZE = 32
LATENT_CHANNELS = 3


def _groups(widths) -> int:
    return math.gcd(*[int(w) for w in widths], 8) if len(widths) > 1 else math.gcd(int(widths[0]), 8)


def diffusion_unet(channels: int, n_classes: int, widths: tuple[int, ...], attention: bool = True, res_blocks: int = 1):
    """MONAI's DiffusionModelUNet, ``res_blocks`` residual blocks per level, self-attention at the coarsest level
    (``attention``) and in the middle block."""
    from monai.networks.nets import DiffusionModelUNet

    widths = tuple(int(w) for w in widths)
    return DiffusionModelUNet(spatial_dims=2, in_channels=channels, out_channels=channels,
                              num_res_blocks=res_blocks, channels=widths, attention_levels=(False,) * (len(widths) - 1) + (attention,),
                              norm_num_groups=_groups(widths), num_head_channels=widths[-1],
                              num_class_embeds=n_classes + 1)  # last index: no class (classifier-free guidance)


def autoencoder(channels: int, size: int, width: int = 32):
    """MONAI's AutoencoderKL taking ``size`` x ``size`` slices to a LATENT_SIZE x LATENT_SIZE latent."""
    from monai.networks.nets import AutoencoderKL

    levels = int(math.log2(size // LATENT_SIZE)) + 1
    widths = tuple(width * min(2 ** i, 2) for i in range(levels))
    return AutoencoderKL(spatial_dims=2, in_channels=channels, out_channels=channels, num_res_blocks=1,
                         channels=widths, attention_levels=(False,) * levels, latent_channels=LATENT_CHANNELS,
                         norm_num_groups=_groups(widths), with_encoder_nonlocal_attn=False,
                         with_decoder_nonlocal_attn=False)


def _train_scheduler(timesteps: int):
    from monai.networks.schedulers import DDPMScheduler

    # cosine schedule (Nichol & Dhariwal): keeps some signal at the last steps of small images
    return DDPMScheduler(num_train_timesteps=timesteps, schedule="cosine")


def ddim_scheduler(timesteps: int, steps: int):
    """MONAI's DDIMScheduler set to ``steps`` evenly spaced timesteps that its ``step`` walks consistently.

    Its ``set_timesteps`` spaces them by (timesteps - 1 - steps_offset) / (steps - 1) while ``step`` jumps
    timesteps // steps: with the default offset 0 they differ (10 steps: 999, 888, ... but each step lands
    100 lower), so every pass is told less noise than the sample holds and the last one (t = 0) leaves the
    noise of t = 11 in the output. This offset makes both equal and the last step land on the clean image
    ("trailing" spacing, Lin et al. 2024). The sampler hands ``step`` the (clipped) clean-image estimate
    (``prediction_type="sample"``), so the noise direction is re-derived from the clipped estimate.
    """
    from monai.networks.schedulers import DDIMScheduler

    stride = timesteps // steps
    scheduler = DDIMScheduler(num_train_timesteps=timesteps, schedule="cosine", clip_sample=False,
                              prediction_type="sample", steps_offset=timesteps - 1 - stride * (steps - 1))
    scheduler.set_timesteps(steps)
    return scheduler


class Diffusion(nn.Module):
    """DDPM training objective and classifier-free-guided DDIM sampler around MONAI's networks and schedulers.

    ``size`` is the working resolution; at 128 and above an AutoencoderKL (``self.autoencoder``) maps
    images to a latent and the U-Net denoises latents (train the autoencoder first: :meth:`autoencoder_loss`,
    then :meth:`set_latent_scale`)."""

    def __init__(self, channels: int, n_classes: int, widths: tuple[int, ...], size: int, timesteps: int = 1000,
                 latent_from: int = 128, ae_width: int = 32, attention: bool = True, res_blocks: int = 1):
        super().__init__()
        self.n_classes, self.timesteps, self.size = n_classes, timesteps, size
        self.latent = size >= latent_from
        self.autoencoder = autoencoder(channels, size, ae_width) if self.latent else None
        self.net = diffusion_unet(LATENT_CHANNELS if self.latent else channels, n_classes, widths, attention, res_blocks)
        self.register_buffer("latent_scale", torch.tensor(1.0))  # 1 / std of the training latents (saved)
        self.train_scheduler = _train_scheduler(timesteps)

    # ---------------------------------------------------------------- latent space

    def autoencoder_loss(self, x: torch.Tensor, kl_weight: float = 1e-6) -> torch.Tensor:
        recon, mu, sigma = self.autoencoder(x)
        kl = 0.5 * (mu.pow(2) + sigma.pow(2) - torch.log(sigma.pow(2) + 1e-12) - 1).sum(dim=(1, 2, 3)).mean()
        return F.l1_loss(recon, x) + kl_weight * kl

    @torch.no_grad()
    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images in [-1, 1] -> what the U-Net sees (the latent mean, scaled; or the images themselves)."""
        if not self.latent:
            return x
        return torch.cat([self.autoencoder.encode(x[i:i + 64])[0] for i in range(0, len(x), 64)]) * self.latent_scale

    @torch.no_grad()
    def set_latent_scale(self, x: torch.Tensor) -> None:
        if self.latent:
            self.latent_scale.fill_(1.0)
            self.latent_scale.fill_(1.0 / float(self.encode(x).std().clamp(min=1e-6)))

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return (self.autoencoder.decode(z / self.latent_scale) if self.latent else z).clamp(-1, 1)

    # ---------------------------------------------------------------- diffusion

    def loss(self, z0: torch.Tensor, y: torch.Tensor, generator: torch.Generator, p_uncond: float = 0.1) -> torch.Tensor:
        """Noise regression at a random timestep; ``z0`` is :meth:`encode`'s output."""
        b = z0.shape[0]
        t = torch.randint(0, self.timesteps, (b,), generator=generator, device=generator.device).to(z0.device)
        noise = torch.randn(z0.shape, generator=generator, device=generator.device).to(z0.device)
        zt = self.train_scheduler.add_noise(original_samples=z0, noise=noise, timesteps=t)
        drop = torch.rand(b, generator=generator, device=generator.device).to(z0.device) < p_uncond
        y = torch.where(drop, torch.full_like(y, self.n_classes), y)
        return F.mse_loss(self.net(zt, timesteps=t, class_labels=y), noise)

    def latent_shape(self, channels: int) -> tuple[int, int, int]:
        return (LATENT_CHANNELS, LATENT_SIZE, LATENT_SIZE) if self.latent else (channels, self.size, self.size)

    @torch.no_grad()
    def sample(self, y: torch.Tensor, channels: int, generator: torch.Generator, steps: int = 10,
               guidance: float = 1.0, bfloat16: bool = False) -> torch.Tensor:
        """DDIM (eta = 0) from pure noise in ``steps`` steps, decoded to images in [-1, 1]; ``guidance`` > 1
        pushes towards the class. With ``bfloat16`` the U-Net's passes run autocast to bfloat16."""
        scheduler = ddim_scheduler(self.timesteps, steps)
        alpha_bar = scheduler.alphas_cumprod.to(y.device)
        x = torch.randn((len(y), *self.latent_shape(channels)), generator=generator,
                        device=generator.device).to(y.device)
        null = torch.full_like(y, self.n_classes)
        x0 = x
        for t in scheduler.timesteps:
            tt = t.to(y.device).expand(len(y))
            with torch.autocast(y.device.type, dtype=torch.bfloat16, enabled=bfloat16):
                if guidance != 1.0:
                    both = self.net(torch.cat([x, x]), timesteps=torch.cat([tt, tt]),
                                    class_labels=torch.cat([y, null])).float()
                    cond, uncond = both.chunk(2)
                    eps = uncond + guidance * (cond - uncond)
                else:
                    eps = self.net(x, timesteps=tt, class_labels=y).float()
            ab = alpha_bar[int(t)]
            x0 = (x - (1 - ab).sqrt() * eps) / ab.sqrt()
            if not self.latent:  # latents are not bounded to [-1, 1]
                x0 = x0.clamp(-1, 1)
            x, x0 = scheduler.step(x0, int(t), x)
        return self.decode(x0)


class DCGenerator(nn.Module):
    """DCGAN generator (Radford et al. 2016): noise + class embedding -> transposed convolutions -> tanh."""

    def __init__(self, channels: int, size: int, n_classes: int, z_dim: int = 64, width: int = 64):
        super().__init__()
        self.z_dim, self.levels = z_dim, int(math.log2(size)) - 2  # from 4x4 up to size x size
        top = width * 2 ** (self.levels - 1)
        self.class_emb = nn.Embedding(n_classes, z_dim)
        layers: list[nn.Module] = [nn.ConvTranspose2d(z_dim, top, 4, 1, 0), nn.BatchNorm2d(top), nn.ReLU(True)]
        c = top
        for _ in range(self.levels - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1), nn.BatchNorm2d(c // 2), nn.ReLU(True)]
            c //= 2
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return self.net((z + self.class_emb(y))[:, :, None, None])


class DCDiscriminator(nn.Module):
    """DCGAN discriminator with a projection term for the class (Miyato & Koyama 2018)."""

    def __init__(self, channels: int, size: int, n_classes: int, width: int = 64):
        super().__init__()
        levels = int(math.log2(size)) - 2
        layers: list[nn.Module] = [nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2, True)]
        c = width
        for _ in range(levels - 1):
            layers += [nn.Conv2d(c, c * 2, 4, 2, 1), nn.BatchNorm2d(c * 2), nn.LeakyReLU(0.2, True)]
            c *= 2
        self.features = nn.Sequential(*layers, nn.Flatten())
        self.head = nn.Linear(c * 16, 1)
        self.proj = nn.Embedding(n_classes, c * 16)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        h = self.features(x)
        return self.head(h)[:, 0] + (self.proj(y) * h).sum(1) / math.sqrt(h.shape[1])
