"""Report metrics for synthetic images, all in the feature space of the in-house autoencoder (see encoder.py).

``imaging.fidelity``: the Fréchet distance between Gaussians fitted to real and synthetic
features (Heusel et al.'s formula, but in OUR autoencoder's 64-d space, so it is called
``frechet_ae_distance``, not FID, and is comparable only between runs on the same training
images) and k-NN precision / recall (Kynkäänniemi et al. 2019, k = 3): the share of synthetic
images inside the real images' feature manifold (plausibility) and of real images inside the
synthetic one (coverage). The same numbers for the real holdout against the training images
are given beside them as the floor a perfect generator would reach. With image grids of real
and synthetic images for the report (note: the grid shows real training images, so the
report is as confidential as the data).

``imaging.c2st``: classifier two-sample test — cross-validated accuracy of a logistic
regression telling synthetic from real (features + 8x8 thumbnails); 0.5 is indistinguishable.

``imaging.tstr``: a label classifier (logistic regression on the same inputs) trained on
synthetic images (TSTR) vs on the real training images (TRTR), both tested on the real holdout.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import synthguard as sg
from scipy import linalg
from scipy.stats import binomtest
from synthguard.quality.figures import round_value
from torch.nn import functional as F

from .encoder import fit_encoder
from .generator import image_grid_figure

K = 3
GRID = 16
MIN_IMAGES = 10


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^1/2) of two feature sets (n, d)."""
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean, _ = linalg.sqrtm(s1 @ s2, disp=False)
    if not np.isfinite(covmean).all():
        eps = np.eye(len(s1)) * 1e-6
        covmean = linalg.sqrtm((s1 + eps) @ (s2 + eps))
    covmean = covmean.real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean))


def _radii(x: np.ndarray, k: int) -> np.ndarray:
    d = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    return np.sort(d, axis=1)[:, k]  # column 0 is the point itself


def precision_recall(real: np.ndarray, syn: np.ndarray, k: int = K) -> tuple[float, float]:
    """Kynkäänniemi et al. (2019) improved precision and recall with k-NN balls."""
    r_real, r_syn = _radii(real, k), _radii(syn, k)
    d = np.sqrt(((syn[:, None] - real[None]) ** 2).sum(-1))  # (syn, real)
    precision = float((d <= r_real[None]).any(axis=1).mean())
    recall = float((d.T <= r_syn[None]).any(axis=1).mean())
    return precision, recall


def _inputs(encoder, images: np.ndarray) -> np.ndarray:
    """Autoencoder features and an 8x8 thumbnail per image (scaled by the training range)."""
    thumbs = F.interpolate(encoder.prepare(images), size=(8, 8), mode="area").reshape(len(images), -1).numpy()
    return np.hstack([encoder.features(images), thumbs * 4]).astype(np.float32)


def _pick(n: int, k: int, seed: int = 0) -> np.ndarray:
    return np.sort(np.random.default_rng(seed).permutation(n)[:k])


def _check_pair(real: sg.ImageSet, synthetic: sg.ImageSet) -> None:
    if real.images.shape[1:] != synthetic.images.shape[1:]:
        raise sg.DataError(f"synthetic images have shape {synthetic.images.shape[1:]}, the real ones "
                           f"{real.images.shape[1:]}: expected the same")


class _ImagingMetric(sg.Metric):
    modalities = frozenset({"image"})
    domains = frozenset({"imaging"})


class ImageFidelityMetric(_ImagingMetric):
    name = "imaging.fidelity"
    description = ("Fréchet distance and k-NN precision/recall in the in-house autoencoder's feature space "
                   "(not FID), real holdout as the floor; real vs synthetic image grids")

    def compute(self, real: sg.ImageSet, synthetic: sg.ImageSet, context: sg.MetricContext) -> dict[str, Any]:
        _check_pair(real, synthetic)
        if min(len(real), len(synthetic)) < MIN_IMAGES:
            return {"skipped": f"needs at least {MIN_IMAGES} real and {MIN_IMAGES} synthetic images"}
        enc = fit_encoder(real)
        fr, fs = enc.features(real.images), enc.features(synthetic.images)
        p, r = precision_recall(fr, fs)
        out: dict[str, Any] = {"feature_space": "autoencoder trained on the real training images (64-d, see encoder.py)",
                               "frechet_ae_distance": round_value(frechet_distance(fr, fs)),
                               "precision": round_value(p), "recall": round_value(r),
                               "k": K, "images": {"real": len(real), "synthetic": len(synthetic)}}
        hold = context.holdout
        if hold is not None and len(hold) >= MIN_IMAGES:
            fh = enc.features(hold.images)
            ph, rh = precision_recall(fr, fh)
            out["holdout_floor"] = {"frechet_ae_distance": round_value(frechet_distance(fr, fh)),
                                    "precision": round_value(ph), "recall": round_value(rh), "images": len(hold),
                                    "note": "real unseen images vs training images: what a perfect generator scores "
                                            "(small sets bias Fréchet distances upwards)"}
        low, high = float(np.nanmin(real.images)), float(np.nanmax(real.images))
        out["figures"] = [
            image_grid_figure(real.images[_pick(len(real), GRID)], f"{min(GRID, len(real))} real training images", low, high),
            image_grid_figure(synthetic.images[_pick(len(synthetic), GRID)],
                              f"{min(GRID, len(synthetic))} synthetic images", low, high)]
        return out


class ClassifierTwoSampleMetric(_ImagingMetric):
    name = "imaging.c2st"
    description = ("classifier two-sample test: 5-fold accuracy of a logistic regression telling synthetic from "
                   "real images (0.5 = indistinguishable) and its binomial p-value")

    def compute(self, real: sg.ImageSet, synthetic: sg.ImageSet, context: sg.MetricContext) -> dict[str, Any]:
        from sklearn.linear_model import LogisticRegression
        from sklearn.model_selection import StratifiedKFold, cross_val_predict
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        _check_pair(real, synthetic)
        n = min(len(real), len(synthetic))
        if n < MIN_IMAGES:
            return {"skipped": f"needs at least {MIN_IMAGES} real and {MIN_IMAGES} synthetic images"}
        enc = fit_encoder(real)
        x = np.vstack([_inputs(enc, real.images[_pick(len(real), n)]), _inputs(enc, synthetic.images[_pick(len(synthetic), n)])])
        y = np.r_[np.zeros(n), np.ones(n)]
        clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
        pred = cross_val_predict(clf, x, y, cv=StratifiedKFold(5, shuffle=True, random_state=0))
        correct = int((pred == y).sum())
        acc = correct / len(y)
        return {"accuracy": round_value(acc), "score": round_value(abs(acc - 0.5)),
                "p_value": round_value(binomtest(correct, len(y), 0.5, alternative="greater").pvalue),
                "images_per_side": n, "classifier": "logistic regression on autoencoder features + 8x8 thumbnails"}


class ImageTSTRMetric(_ImagingMetric):
    name = "imaging.tstr"
    description = ("label accuracy / macro-F1 on the real holdout of a classifier trained on synthetic (TSTR) vs "
                   "real training (TRTR) images")

    def compute(self, real: sg.ImageSet, synthetic: sg.ImageSet, context: sg.MetricContext) -> dict[str, Any]:
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import accuracy_score, f1_score
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        _check_pair(real, synthetic)
        hold = context.holdout
        if hold is None:
            return {"skipped": "needs a real holdout split the generator never saw"}
        column = context.target or next((c for c in real.metadata.columns
                                         if 2 <= real.metadata[c].nunique() <= 50), None)
        if column is None:
            return {"skipped": "no label column: pass --target or give the images labels"}
        for what, records in (("synthetic", synthetic), ("holdout", hold)):
            if column not in records.metadata.columns:
                return {"skipped": f"label column {column!r} missing from the {what} images"}
        if synthetic.metadata[column].nunique() < 2:
            return {"skipped": f"synthetic images hold fewer than 2 classes of {column!r}"}
        enc = fit_encoder(real)
        xt = _inputs(enc, hold.images)
        yt = hold.metadata[column].astype(str).to_numpy()

        def score(images: np.ndarray, labels) -> dict[str, float | None]:
            clf = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, C=0.1))
            clf.fit(_inputs(enc, images), np.asarray(labels).astype(str))
            pred = clf.predict(xt)
            return {"accuracy": round_value(accuracy_score(yt, pred)),
                    "macro_f1": round_value(f1_score(yt, pred, average="macro"))}

        tstr, trtr = score(synthetic.images, synthetic.metadata[column]), score(real.images, real.metadata[column])
        return {"target": column, "tstr": tstr, "trtr": trtr,
                "ratio": round_value(tstr["accuracy"] / trtr["accuracy"]) if trtr["accuracy"] else None,
                "holdout_images": len(hold), "classifier": "logistic regression on autoencoder features + 8x8 thumbnails"}


METRICS = (ImageFidelityMetric, ClassifierTwoSampleMetric, ImageTSTRMetric)

__all__ = ["METRICS", "frechet_distance", "precision_recall"]
