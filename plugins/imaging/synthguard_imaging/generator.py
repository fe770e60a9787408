"""The imaging plugin's generators: ``imaging`` (class-conditional DDPM on MONAI, DDIM sampling) and ``imaging-dcgan`` (baseline).

Both share what an image generator needs around its network: intensities scaled to
[-1, 1] by the training range (and back on output), a working resolution (images are
area-downsampled to it for training and samples bilinearly upsampled to the data's size:
at 64x64 a CPU step costs 5x a 32x32 one, so the default works at 32 and a GPU user sets
``resolution=64`` or ``0`` for the native size), classes from the metadata columns (each
distinct combination is a class, drawn by its training frequency unless conditioned), the
loss of every epoch and a grid of samples at a few epochs in ``fit_info``.
"""

from __future__ import annotations

import base64
import copy
import io
import time
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from pydantic import Field
from synthguard import ColumnKind, DataError, Generator, GeneratorConfig, ImageSet, sampling_setting
from synthguard.models import native_bfloat16, one_cycle, torch_generator
from torch.nn import functional as F

from .encoder import STEPS, fit_encoder, restore
from .model import DCDiscriminator, DCGenerator, Diffusion

#: weights of the memorization encoder in a bundle's safetensors (beside the generator's own)
ENCODER_PREFIX = "memorization_encoder."

#: Classes beyond this many are refused: a label with more values is an identifier, not a class.
MAX_CLASSES = 50


class ImagingConfig(GeneratorConfig):
    """Defaults measured on the reference sets on one CPU thread (see benchmarks/imaging_vs_dcgan.py, docs/imaging.md)."""

    epochs: int = Field(200, ge=1, description="training epochs of the diffusion U-Net (100 on the 126 brain "
                                               "training slices, 400 optimizer steps, gave noise: docs/imaging.md)")
    batch_size: int = Field(32, ge=2)
    lr: float = Field(1e-3, gt=0)
    resolution: int = Field(32, ge=0, description="working size (images are resized to it for training); 0 = the data's. "
                                                  "128 and above train latent diffusion (AutoencoderKL + U-Net)")
    widths: tuple[int, ...] = Field((32, 64, 128, 128), min_length=2, max_length=5,
                                    description="U-Net channels per level (MONAI DiffusionModelUNet): four levels, down "
                                                "to 4x4 at 32x32 (3 levels copied more, 16/32/64 gave noise: docs/imaging.md)")
    attention: bool = Field(False, description="self-attention at the U-Net's coarsest level (the middle block always has it)")
    res_blocks: int = Field(1, ge=1, le=4, description="residual blocks per U-Net level")
    sampling_steps: int = sampling_setting(5, ge=2, le=1000, description=(
        "DDIM denoising steps when sampling (5: as faithful as 10 on both reference sets at half the time, "
        "benchmarks/README.md, 'Imaging: sampler steps')"))
    guidance: float = sampling_setting(1.0, ge=0, description=(
        "classifier-free guidance weight (1 = plain conditional, one network pass per step; above 1 two passes: "
        "2 copied twice as many brain slices and was no more faithful, benchmarks/README.md 'Imaging: guidance')"))
    sampling_precision: Literal["auto", "float32", "bfloat16"] = sampling_setting(
        "auto", description="number format of the network's passes when sampling: auto = bfloat16 where the device "
                            "multiplies it natively (CUDA, CPUs with AVX512-BF16/AMX), else float32")
    ema: float = Field(0.995, ge=0, lt=1, description="exponential moving average of weights used for sampling")
    latent_from: int = Field(128, ge=8, description="working resolutions at or above this train a latent diffusion model")
    ae_epochs: int = Field(50, ge=1, description="AutoencoderKL training epochs (latent diffusion only)")
    ae_width: int = Field(32, ge=8, le=512, description="AutoencoderKL channels at full resolution (latent diffusion only)")
    monitor_grids: int = Field(4, ge=0, le=20, description="sample grids kept in fit_info during training")


class DCGANConfig(GeneratorConfig):
    epochs: int = Field(200, ge=1)
    batch_size: int = Field(32, ge=2)
    lr: float = Field(2e-4, gt=0)
    resolution: int = Field(32, ge=0, description="working size (images are resized to it for training); 0 = the data's")
    z_dim: int = Field(64, ge=2, le=1024)
    width: int = Field(64, ge=8, le=512, description="channels of the first discriminator / last generator layer")
    monitor_grids: int = Field(4, ge=0, le=20)


class _ImageGenerator(Generator):
    modality = "image"
    domain = "imaging"
    default_dataset = "brain_mri_slices"
    supports_conditions = True
    state_version = 1

    # ------------------------------------------------------------------ shared preparation

    def _prepare(self, data: ImageSet) -> tuple[torch.Tensor, torch.Tensor]:
        x = data.images.astype(np.float32)
        if not np.isfinite(x).all():
            raise DataError("training images hold NaN pixels: expected finite values")
        self.low_, self.high_ = float(x.min()), float(x.max())
        if self.high_ <= self.low_:
            raise DataError(f"all training pixels equal {self.low_}: expected images with some contrast")
        self.shape_ = list(x.shape[1:])
        size = self.shape_[1]
        work = self.config.resolution or size
        if work & (work - 1) or work < 8:
            raise DataError(f"working resolution {work}: expected a power of two of at least 8 (set resolution=32 or 64)")
        self.work_ = min(work, size) if size & (size - 1) == 0 else work
        self.columns_ = list(data.metadata.columns)
        labels = data.metadata.astype(str).agg("\x1f".join, axis=1) if self.columns_ else pd.Series([""] * len(data))
        classes, codes = np.unique(labels.to_numpy(), return_inverse=True)
        if len(classes) > MAX_CLASSES:
            raise DataError(f"metadata columns {self.columns_} make {len(classes)} classes: expected at most {MAX_CLASSES} "
                            "(drop identifier columns before synthesis)")
        self.classes_ = [c.split("\x1f") if self.columns_ else [] for c in classes.tolist()]
        self.class_counts_ = np.bincount(codes, minlength=len(classes)).tolist()
        t = torch.from_numpy((x - self.low_) / (self.high_ - self.low_) * 2 - 1)
        if self.work_ != size:
            t = F.interpolate(t, size=(self.work_, self.work_), mode="area")
        return t, torch.from_numpy(codes.astype(np.int64))

    def _to_images(self, x: torch.Tensor) -> np.ndarray:
        if x.shape[-1] != self.shape_[-1]:
            x = F.interpolate(x, size=tuple(self.shape_[1:]), mode="bilinear", align_corners=False)
        return ((x.clamp(-1, 1).cpu().numpy().astype(np.float64) + 1) / 2 * (self.high_ - self.low_) + self.low_)

    def _classes_for(self, n: int, conditions: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
        weights = np.asarray(self.class_counts_, dtype=float)
        for col, value in conditions.items():
            if col not in self.columns_:
                raise DataError(f"cannot condition on {col!r}: expected one of the image labels {self.columns_}")
            j = self.columns_.index(col)
            seen = sorted({c[j] for c in self.classes_})
            if str(value) not in seen:
                raise DataError(f"cannot condition on {col}={value!r}: the model saw {seen}")
            weights = weights * np.array([c[j] == str(value) for c in self.classes_])
        if weights.sum() == 0:
            raise DataError(f"no training image has {conditions}: expected a combination the model saw")
        return rng.choice(len(weights), size=n, p=weights / weights.sum())

    def _metadata(self, codes: np.ndarray) -> pd.DataFrame | None:
        if not self.columns_:
            return None
        frame = pd.DataFrame([self.classes_[c] for c in codes], columns=self.columns_)
        meta = self.meta_.metadata
        for col in meta.columns if meta is not None else []:
            if col.kind is ColumnKind.numeric:
                frame[col.name] = pd.to_numeric(frame[col.name], errors="coerce")
                if col.integer:
                    frame[col.name] = frame[col.name].round().astype(np.int64)
            elif col.kind is ColumnKind.boolean:
                frame[col.name] = frame[col.name] == "True"
        return frame

    def _grid(self, images: np.ndarray, epoch: int) -> dict[str, Any]:
        return {"epoch": epoch, **image_grid_figure(images, f"samples after epoch {epoch}", self.low_, self.high_)}

    def _monitor_epochs(self) -> set[int]:
        k, e = self.config.monitor_grids, self.config.epochs
        return set(np.unique(np.linspace(e / k, e, k).round().astype(int)).tolist()) if k else set()

    # ------------------------------------------------------------------ sampling and bundle (both networks)

    def _sample(self, n: int, *, seed: int, conditions: dict[str, Any]) -> ImageSet:
        codes = self._classes_for(n, conditions, np.random.default_rng(seed))
        return ImageSet(self._draw(codes, seed), self._metadata(codes))

    # ------------------------------------------------------------------ the memorization encoder, kept with the model

    def fit(self, data, **kwargs):
        """Fit, then the memorization check's encoder on the same images (``encoder.py``), kept in the bundle so a
        ``generate`` from it trains none (about 5 s; not for DP models: the encoder is not private; dropped on resume:
        the training set changed)."""
        super().fit(data, **kwargs)
        self.encoder_ = None
        if self.config.epsilon is None and not kwargs.get("resume"):
            start = time.perf_counter()
            self.encoder_ = fit_encoder(data)
            self.fit_info_["memorization_encoder"] = {"seconds": round(time.perf_counter() - start, 3),
                                                      "steps": STEPS, "kept_in_bundle": True}
        return self

    def _get_state(self):
        tensors, state = dict(self.model_.state_dict()), {
            "low": self.low_, "high": self.high_, "shape": self.shape_, "work": self.work_, "columns": self.columns_,
            "classes": self.classes_, "class_counts": self.class_counts_}
        if getattr(self, "encoder_", None) is not None:
            enc_tensors, state["memorization_encoder"] = self.encoder_.to_state()
            tensors.update({ENCODER_PREFIX + k: v for k, v in enc_tensors.items()})
        return tensors, state

    def _set_state(self, tensors, state) -> None:
        self.low_, self.high_, self.shape_, self.work_ = state["low"], state["high"], state["shape"], state["work"]
        self.columns_, self.classes_, self.class_counts_ = state["columns"], state["classes"], state["class_counts"]
        encoder = {k.removeprefix(ENCODER_PREFIX): tensors.pop(k) for k in list(tensors) if k.startswith(ENCODER_PREFIX)}
        self.encoder_ = restore(encoder, state["memorization_encoder"]) if "memorization_encoder" in state else None
        self.model_ = self._build()
        self.model_.load_state_dict(tensors)
        self.model_.eval()


class ImagingGenerator(_ImageGenerator):
    """Class-conditional denoising diffusion model on MONAI (DiffusionModelUNet, DDIM; AutoencoderKL latents at 128+)."""

    name = "imaging"
    role = "default"
    state_version = 2  # 2: MONAI networks (version 1, a hand-written U-Net, is no longer read: refit such bundles)
    supports_resume = True  # fit --resume BUNDLE --data NEW: fine-tune on new images of the same size and labels
    smoke_config = {"epochs": 1, "resolution": 16, "widths": (8, 16), "sampling_steps": 2, "monitor_grids": 0}
    description = ("class-conditional DDPM on MONAI's DiffusionModelUNet (cosine schedule, EMA), DDIM sampling; "
                   "latent diffusion with MONAI's AutoencoderKL from 128x128")
    Config = ImagingConfig

    def _build(self) -> Diffusion:
        c = self.config
        return Diffusion(self.shape_[0], len(self.classes_), tuple(c.widths), self.work_, latent_from=c.latent_from,
                         ae_width=c.ae_width, attention=c.attention, res_blocks=c.res_blocks)

    def _fit(self, data: ImageSet, *, device: torch.device, seed: int, progress: bool) -> dict[str, Any]:
        x, y = self._prepare(data)
        model = self._build().to(device)
        info: dict[str, Any] = {"latent": model.latent}
        if model.latent:
            info["autoencoder"] = self._train_autoencoder(model, x.to(device), device=device, seed=seed)
        return {**info, **self._train(model, x, y, device=device, seed=seed)}

    def _resume(self, data: ImageSet, *, device: torch.device, seed: int, progress: bool) -> dict[str, Any]:
        x, y = self._prepare_more(data)
        return {"latent": self.model_.latent, **self._train(self.model_.to(device), x, y, device=device, seed=seed)}

    def _resumed_meta(self, old, new):
        return old  # the image shape, labels and their kinds: checked equal in _prepare_more

    def _prepare_more(self, data: ImageSet) -> tuple[torch.Tensor, torch.Tensor]:
        """New images scaled as the first training's were; a different size, channel count or label set is refused."""
        shape = list(data.images.shape[1:])
        if shape != self.shape_:
            raise DataError(f"new images are {_shape_name(shape)}: expected the model's {_shape_name(self.shape_)} "
                            "(resume needs images of the same size and channels)")
        columns = list(data.metadata.columns)
        if columns != self.columns_:
            raise DataError(f"new images have labels {columns}: expected the model's {self.columns_}")
        labels = data.metadata.astype(str).agg("\x1f".join, axis=1) if columns else pd.Series([""] * len(data))
        known = {"\x1f".join(c) if columns else "": i for i, c in enumerate(self.classes_)}
        unseen = sorted(set(labels) - set(known))
        if unseen:
            raise DataError(f"new images have label value(s) {[u.split(chr(31)) for u in unseen][:3]} the model never "
                            f"saw: expected values among {self.classes_} (train afresh to add a class)")
        pixels = data.images.astype(np.float32)
        if not np.isfinite(pixels).all():
            raise DataError("new images hold NaN pixels: expected finite values")
        codes = np.array([known[v] for v in labels], dtype=np.int64)
        counts = np.bincount(codes, minlength=len(self.classes_))
        self.class_counts_ = (np.asarray(self.class_counts_) + counts).tolist()
        t = torch.from_numpy(np.clip((pixels - self.low_) / (self.high_ - self.low_), 0, 1) * 2 - 1)
        if self.work_ != shape[1]:
            t = F.interpolate(t, size=(self.work_, self.work_), mode="area")
        return t, torch.from_numpy(codes)

    def _train_autoencoder(self, model: Diffusion, x: torch.Tensor, *, device: torch.device, seed: int) -> dict:
        c = self.config
        ae = model.autoencoder
        opt = torch.optim.Adam(ae.parameters(), lr=1e-4 * max(1, c.batch_size // 8))
        gen = torch_generator(seed + 1, device=device)
        losses, start = [], time.perf_counter()
        ae.train()
        for _ in range(c.ae_epochs):
            perm, total = torch.randperm(len(x), generator=gen, device=device), 0.0
            for i in range(0, len(x), c.batch_size):
                idx = perm[i:i + c.batch_size]
                loss = model.autoencoder_loss(x[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(idx)
            losses.append(total / len(x))
        ae.eval()
        model.set_latent_scale(x)
        return {"epochs_run": c.ae_epochs, "train_loss": [round(v, 6) for v in losses],
                "seconds_per_epoch": round((time.perf_counter() - start) / c.ae_epochs, 4),
                "latent_scale": round(float(model.latent_scale), 6),
                "parameters": sum(p.numel() for p in ae.parameters())}

    def _train(self, model: Diffusion, x: torch.Tensor, y: torch.Tensor, *, device: torch.device,
               seed: int) -> dict[str, Any]:
        c = self.config
        z = model.encode(x.to(device))  # latents (fixed: the autoencoder is trained first) or the images
        for p in (model.autoencoder.parameters() if model.latent else ()):
            p.requires_grad_(False)
        ema = copy.deepcopy(model).eval()
        params = list(model.net.parameters())
        opt = torch.optim.AdamW(params, lr=c.lr, weight_decay=0.0)
        sched = one_cycle(opt, c.lr, c.epochs * -(-len(z) // c.batch_size), pct_start=0.1)
        gen = torch_generator(seed, device=device)
        y = y.to(device)
        losses, grids, seconds = [], [], []
        monitor = self._monitor_epochs()
        for epoch in range(1, c.epochs + 1):
            start = time.perf_counter()
            model.train()
            perm = torch.randperm(len(z), generator=gen, device=device)
            total = 0.0
            for i in range(0, len(z), c.batch_size):
                idx = perm[i:i + c.batch_size]
                loss = model.loss(z[idx], y[idx], gen)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(params, 1.0)
                opt.step()
                sched.step()
                with torch.no_grad():
                    for pe, pm in zip(ema.net.parameters(), params):
                        pe.lerp_(pm, 1 - c.ema)
                total += float(loss.detach()) * len(idx)
            losses.append(total / len(z))
            seconds.append(time.perf_counter() - start)
            if epoch in monitor:
                self.model_ = ema
                codes = np.arange(8) % len(self.classes_)
                grids.append(self._grid(self._draw(codes, seed + epoch), epoch))
        self.model_ = ema
        return {"epochs_run": c.epochs, "history": {"train_loss": [round(v, 6) for v in losses]},
                "seconds_per_epoch": round(float(np.mean(seconds)), 4), "working_resolution": self.work_,
                "classes": len(self.classes_), "parameters": sum(p.numel() for p in model.parameters()),
                "figures": grids}

    def _bfloat16(self, device: torch.device) -> bool:
        choice = self.config.sampling_precision
        return choice == "bfloat16" or (choice == "auto" and native_bfloat16(device))

    def _draw(self, codes: np.ndarray, seed: int) -> np.ndarray:
        device = next(self.model_.parameters()).device
        gen = torch_generator(seed, device=device)
        out = []
        for i in range(0, len(codes), 256):
            y = torch.from_numpy(codes[i:i + 256].astype(np.int64)).to(device)
            out.append(self._to_images(self.model_.sample(y, self.shape_[0], gen, self.config.sampling_steps,
                                                          self.config.guidance, bfloat16=self._bfloat16(device))))
        return np.concatenate(out)


def _shape_name(shape: list[int]) -> str:
    return f"{shape[1]}x{shape[2]} with {shape[0]} channel(s)"


class DCGANGenerator(_ImageGenerator):
    """DCGAN baseline (Radford et al. 2016) with class embedding and a projection discriminator."""

    name = "imaging-dcgan"
    role = "baseline"
    smoke_config = {"epochs": 1, "resolution": 16, "z_dim": 8, "width": 8, "monitor_grids": 0}
    description = "DCGAN baseline: class-conditional, non-saturating loss (PyTorch)"
    Config = DCGANConfig

    def _build(self) -> DCGenerator:
        return DCGenerator(self.shape_[0], self.work_, len(self.classes_), self.config.z_dim, self.config.width)

    def _fit(self, data: ImageSet, *, device: torch.device, seed: int, progress: bool) -> dict[str, Any]:
        x, y = self._prepare(data)
        c = self.config
        G = self._build().to(device)
        D = DCDiscriminator(self.shape_[0], self.work_, len(self.classes_), c.width).to(device)
        opt_g = torch.optim.Adam(G.parameters(), lr=c.lr, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=c.lr, betas=(0.5, 0.999))
        gen = torch_generator(seed, device=device)
        x, y = x.to(device), y.to(device)
        g_losses, d_losses, grids, seconds = [], [], [], []
        monitor = self._monitor_epochs()
        self.model_ = G
        for epoch in range(1, c.epochs + 1):
            start = time.perf_counter()
            G.train()
            D.train()
            perm = torch.randperm(len(x), generator=gen, device=device)
            tg = td = 0.0
            for i in range(0, len(x), c.batch_size):
                idx = perm[i:i + c.batch_size]
                if len(idx) < 2:
                    continue
                real, labels = x[idx], y[idx]
                z = torch.randn((len(idx), c.z_dim), generator=gen, device=device)
                fake = G(z, labels)
                d_loss = F.softplus(-D(real, labels)).mean() + F.softplus(D(fake.detach(), labels)).mean()
                opt_d.zero_grad(set_to_none=True)
                d_loss.backward()
                opt_d.step()
                g_loss = F.softplus(-D(fake, labels)).mean()
                opt_g.zero_grad(set_to_none=True)
                g_loss.backward()
                opt_g.step()
                tg += float(g_loss.detach()) * len(idx)
                td += float(d_loss.detach()) * len(idx)
            g_losses.append(tg / len(x))
            d_losses.append(td / len(x))
            seconds.append(time.perf_counter() - start)
            if epoch in monitor:
                grids.append(self._grid(self._draw(np.arange(8) % len(self.classes_), seed + epoch), epoch))
        G.eval()
        return {"epochs_run": c.epochs,
                "history": {"train_loss": [round(v, 6) for v in g_losses],
                            "discriminator_loss": [round(v, 6) for v in d_losses]},
                "seconds_per_epoch": round(float(np.mean(seconds)), 4), "working_resolution": self.work_,
                "classes": len(self.classes_), "parameters": sum(p.numel() for p in G.parameters()), "figures": grids}

    def _draw(self, codes: np.ndarray, seed: int) -> np.ndarray:
        G = self.model_
        was_training = G.training
        G.eval()
        device = next(G.parameters()).device
        gen = torch_generator(seed, device=device)
        with torch.no_grad():
            z = torch.randn((len(codes), self.config.z_dim), generator=gen, device=device)
            out = self._to_images(G(z, torch.from_numpy(codes.astype(np.int64)).to(device)))
        G.train(was_training)
        return out



# --------------------------------------------------------------------------- grids for the report


def grid_png(images: np.ndarray, low: float, high: float, columns: int = 8) -> bytes:
    """(N, C, H, W) images as one PNG grid, intensities mapped from [low, high] to 0-255."""
    from PIL import Image

    x = np.clip((np.asarray(images, dtype=np.float64) - low) / max(high - low, 1e-12), 0, 1)
    x = (x * 255).round().astype(np.uint8)
    n, c, h, w = x.shape
    rows = -(-n // columns)
    pad = np.zeros((rows * columns - n, c, h, w), dtype=np.uint8)
    x = np.concatenate([x, pad]).reshape(rows, columns, c, h, w).transpose(0, 3, 1, 4, 2).reshape(rows * h, columns * w, c)
    buf = io.BytesIO()
    Image.fromarray(x[..., 0] if c == 1 else x).save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def image_grid_figure(images: np.ndarray, title: str, low: float, high: float, columns: int = 8) -> dict[str, Any]:
    """A plotly figure dict showing the images as one embedded PNG (compact in report.json)."""
    png = base64.b64encode(grid_png(images, low, high, columns)).decode()
    rows = -(-len(images) // columns)
    h, w = images.shape[-2:]
    return {"title": title,
            "data": [{"type": "image", "source": f"data:image/png;base64,{png}"}],
            "layout": {"xaxis": {"visible": False}, "yaxis": {"visible": False},
                       "height": int(min(900, 60 + 320 * rows * h / (columns * w) * 2)), "margin": {"l": 0, "r": 0}}}
