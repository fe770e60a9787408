"""Memorization as Dar et al. (2024) measure it: nearest training image in feature space, copy rate, and the gate on it."""

from __future__ import annotations

import numpy as np
import synthguard as sg
from synthguard import CheckContext, holdout_split
from synthguard_imaging.privacy import FeatureCopyFilter, MemorizationDistance, copy_rate


def test_training_images_are_copies_and_unseen_patients_images_are_not(small_brain):
    train, hold = holdout_split(small_brain, 0.5, seed=0)  # one subject each side
    copies = train.take(np.arange(10))
    rate = copy_rate(train, copies, hold)
    assert rate["copy_rate"] == 1.0 and rate["threshold"] < 1.0
    assert copy_rate(train, hold, hold)["copy_rate"] <= 0.05  # the calibration: 99% of unseen images pass
    ctx = CheckContext(meta=train.meta, reference_hashes=train.record_hashes(), reference=train, holdout=hold,
                       domain="imaging", options={}, distance=MemorizationDistance)
    gate = FeatureCopyFilter()
    gate.prepare(ctx)
    mixed = sg.ImageSet.concat([copies, hold.take(np.arange(10))])
    reasons = gate.check(mixed, ctx).reasons
    assert all(r and r.startswith("feature similarity") for r in reasons[:10])
    assert sum(r is not None for r in reasons[10:]) <= 1
    assert gate.summary()["applied"] is True
