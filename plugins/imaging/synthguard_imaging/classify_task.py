"""The augmentation measurement's downstream model for images: a classifier of the reference labels.

``synthguard augment imaging --dataset brain_mri_slices`` (target ``orientation``: axial / coronal / sagittal) or
``--dataset dicom_patches`` (``modality``: CT / MR / CR / US). Each image is averaged down to 16 × 16 pixels per
channel and standardised; a multinomial logistic regression (scikit-learn) learns the label. Chosen over a CNN:
it trains in well under a second on CPU, which the measurement needs (about 20 fits per run), and the reference
labels are separable from coarse structure (the slice's outline, the scanner's texture).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from synthguard import DataError, ImageSet
from synthguard.augment_tasks import DownstreamTask, Prediction

#: Pixels a side each image is averaged down to.
SIDE = 16


class ImageClassifierTask(DownstreamTask):
    """Logistic regression on 16 × 16 downsampled pixels, predicting an image label (a metadata column)."""

    name = "imaging.classifier"
    modalities = ("image",)
    domains = ("imaging",)
    description = "multinomial logistic regression on each image averaged down to 16 x 16 pixels (standardised)"

    def fit_predict(self, train: ImageSet, holdout: ImageSet, target: str, seed: int) -> Prediction:
        from sklearn.linear_model import LogisticRegression, Ridge
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        y = self.labels(train, target)
        if self.kind(train, target) == "regression":
            model = make_pipeline(StandardScaler(), Ridge()).fit(pixels(train), y)
            return Prediction(values=model.predict(pixels(holdout)))
        model = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=2000, random_state=seed))
        model.fit(pixels(train), y.astype(str))
        return Prediction(classes=[str(c) for c in model.classes_], proba=model.predict_proba(pixels(holdout)))

    def label_values(self, records: ImageSet, target: str) -> pd.Series:
        """The image label ``target`` (a metadata column) of each image."""
        if not isinstance(records, ImageSet):
            raise DataError(f"target {target!r}: the data is {records.modality} data: expected images")
        if target not in records.metadata.columns:
            known = ", ".join(records.metadata.columns) or "none"
            raise DataError(f"--target {target}: unknown image label {target!r}: expected one of {known}")
        return records.metadata[target]


def pixels(images: ImageSet) -> np.ndarray:
    """(images, channels × SIDE × SIDE): each image's mean over blocks of pixels (torch's adaptive average pooling)."""
    import torch
    import torch.nn.functional as F

    x = torch.from_numpy(np.nan_to_num(np.asarray(images.images, dtype=np.float32)))
    return F.adaptive_avg_pool2d(x, SIDE).reshape(len(x), -1).numpy()


__all__ = ["ImageClassifierTask", "pixels", "SIDE"]
