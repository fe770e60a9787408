"""Memorization checks for images: a pixel + learned-feature distance for the core gate, and an SSIM filter.

``imaging.memorization`` replaces the core's pixel RMS for imaging runs, so the core
near-copy and NNDR filters, the DCR share and the membership-inference attacks all use it.
An image's embedding is its pixels scaled to [0, 1] by the training range (RMS units) next
to its autoencoder features (standardised, RMS units; the encoder sees each image
standardised, so they ignore brightness and contrast): the L2 distance of two embeddings is
sqrt(pixel RMS² + feature RMS²). Pixels catch a copy; features keep a copy whose brightness or
contrast was changed close to its original.

``imaging.ssim-copy`` compares each synthetic image with its 5 nearest training images
(under that distance) by SSIM and rejects it when the highest SSIM exceeds what 99% of real
holdout images reach against the training images (the same holdout calibration as the core
near-copy filter, ``near_copy_quantile``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from synthguard import CheckContext, ImageSet, PrivacyFilter, Verdict
from synthguard.privacy import ImagePixelDistance

from .encoder import fit_encoder, ssim

NEIGHBOURS = 5


class MemorizationDistance(ImagePixelDistance):
    """Pixel RMS (training range scaled to [0, 1]) and autoencoder-feature RMS, combined as one L2 distance."""

    name = "imaging.memorization"
    description = "sqrt(pixel RMS^2 + feature RMS^2): pixels in [0, 1] by the training range, features of an autoencoder trained on the real images"
    domains = frozenset({"imaging"})

    def fit(self, train: ImageSet) -> "MemorizationDistance":
        super().fit(train)
        self.encoder = fit_encoder(train)
        return self

    def embed(self, records: ImageSet) -> np.ndarray:
        pixels = super().embed(records)
        feats = self.encoder.features(records.images, intensity=False)
        return np.hstack([pixels, feats / np.sqrt(feats.shape[1])]).astype(np.float32)


class SSIMCopyFilter(PrivacyFilter):
    """Rejects an image structurally more similar (SSIM) to a training image than real unseen images ever are."""

    name = "imaging.ssim-copy"
    description = "SSIM to one of the 5 nearest training images above the holdout's 99th percentile"
    modalities = frozenset({"image"})
    domains = frozenset({"imaging"})

    def _best(self, records: ImageSet, context: CheckContext) -> tuple[np.ndarray, np.ndarray]:
        idx = context.reference_neighbours(records, NEIGHBOURS)[1]
        ref = context.reference.images
        scores = np.stack([ssim(records.images, ref[idx[:, j]], self.range) for j in range(idx.shape[1])], axis=1)
        best = scores.argmax(axis=1)
        return scores[np.arange(len(records)), best], idx[np.arange(len(records)), best]

    def prepare(self, context: CheckContext) -> None:
        self.quantile = float(context.options.get("near_copy_quantile", 0.01))
        self.active = context.reference is not None and context.holdout is not None and context.distance is not None
        if not self.active:
            return
        ref = context.reference.images
        self.range = float(np.nanmax(ref) - np.nanmin(ref)) or 1.0
        held, _ = self._best(context.holdout, context)
        self.threshold = float(np.quantile(held, 1 - self.quantile))

    def check(self, records: ImageSet, context: CheckContext) -> Verdict:
        if not self.active:
            return Verdict.keep_all(len(records))
        best, which = self._best(records, context)
        return Verdict([f"SSIM {s:.4f} to training image {j} is above the holdout's {1 - self.quantile:.0%} quantile "
                        f"{self.threshold:.4f}" if s > self.threshold else None for s, j in zip(best, which)])

    def summary(self) -> dict[str, Any]:
        if not self.active:
            return {"applied": False, "reason": "needs the training images and a holdout split"}
        return {"applied": True, "threshold": round(self.threshold, 6), "quantile": 1 - self.quantile,
                "neighbours": NEIGHBOURS}


def nearest_training_similarity(encoder, train: ImageSet, records: ImageSet) -> tuple[np.ndarray, np.ndarray]:
    """Each record's cosine similarity to its nearest training image in the encoder's structure features, and which."""
    def unit(images: np.ndarray) -> np.ndarray:
        f = encoder.features(images, intensity=False)
        return f / np.maximum(np.linalg.norm(f, axis=1, keepdims=True), 1e-12)

    sims = unit(records.images) @ unit(train.images).T
    return sims.max(axis=1), sims.argmax(axis=1)


def copy_rate(train: ImageSet, synthetic: ImageSet, holdout: ImageSet, quantile: float = 0.99) -> dict[str, Any]:
    """Memorization as Dar et al. (2024) measured it: the nearest training image of each synthetic image in a
    feature space, and the share of synthetic images that are copies of it.

    Their feature space is a contrastive self-supervised network and their copy threshold a fixed similarity;
    ours is the denoising autoencoder trained on the real training images (self-supervised; hub weights cannot
    be downloaded here, :mod:`.encoder`) and the threshold is calibrated on real unseen patients: a copy is more
    similar to its nearest training image than ``quantile`` of the holdout images are to theirs."""
    encoder = fit_encoder(train)
    held, _ = nearest_training_similarity(encoder, train, holdout)
    syn, _ = nearest_training_similarity(encoder, train, synthetic)
    threshold = float(np.quantile(held, quantile))
    return {"copy_rate": round(float((syn > threshold).mean()), 4), "threshold": round(threshold, 4),
            "quantile": quantile, "synthetic_similarity_median": round(float(np.median(syn)), 4),
            "holdout_similarity_median": round(float(np.median(held)), 4), "synthetic": len(synthetic),
            "holdout": len(holdout), "feature_space": "denoising autoencoder on the training images (encoder.py), cosine"}


class FeatureCopyFilter(PrivacyFilter):
    """Rejects a copy in Dar et al.'s sense: nearer its nearest training image (cosine, encoder features) than
    real unseen images ever are (the holdout's 99th percentile, ``near_copy_quantile``)."""

    name = "imaging.feature-copy"
    description = "cosine similarity to the nearest training image (autoencoder features) above the holdout's 99th percentile"
    modalities = frozenset({"image"})
    domains = frozenset({"imaging"})

    def prepare(self, context: CheckContext) -> None:
        self.quantile = float(context.options.get("near_copy_quantile", 0.01))
        self.active = context.reference is not None and context.holdout is not None and len(context.holdout) > 0
        if not self.active:
            return
        self.encoder = fit_encoder(context.reference)
        held, _ = nearest_training_similarity(self.encoder, context.reference, context.holdout)
        self.threshold = float(np.quantile(held, 1 - self.quantile))

    def check(self, records: ImageSet, context: CheckContext) -> Verdict:
        if not self.active:
            return Verdict.keep_all(len(records))
        best, which = nearest_training_similarity(self.encoder, context.reference, records)
        return Verdict([f"feature similarity {s:.4f} to training image {j} is above the holdout's "
                        f"{1 - self.quantile:.0%} quantile {self.threshold:.4f}" if s > self.threshold else None
                        for s, j in zip(best, which)])

    def summary(self) -> dict[str, Any]:
        if not self.active:
            return {"applied": False, "reason": "needs the training images and a holdout split"}
        return {"applied": True, "threshold": round(self.threshold, 6), "quantile": 1 - self.quantile,
                "feature_space": "denoising autoencoder on the training images, cosine similarity"}
