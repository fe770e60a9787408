"""Image safety checks and the memorization gate: what they reject, why, and that real images pass."""

from __future__ import annotations

import numpy as np
import pytest
import synthguard as sg
from synthguard import CheckContext
from synthguard import holdout_split
from synthguard.testing import check_check
from synthguard_imaging.privacy import MemorizationDistance, SSIMCopyFilter
from synthguard_imaging.validators import (BlankValidator, IntensityValidator, ModeCollapseValidator,
                                           SaturatedValidator)


@pytest.fixture(scope="module")
def split(brain):
    return holdout_split(brain, 0.2, seed=0)


def _context(train, holdout=None, **options):
    return CheckContext(meta=train.meta, reference_hashes=train.record_hashes(), reference=train, holdout=holdout,
                        domain="imaging", options=options, distance=MemorizationDistance)


def test_held_out_real_images_pass_every_check(split):
    train, hold = split
    for cls in (BlankValidator, SaturatedValidator, IntensityValidator, ModeCollapseValidator):
        verdict = check_check(cls, hold, _context(train))
        assert verdict.rejected.mean() <= 0.05, (cls.name, verdict.reasons[verdict.rejected][:3])


def test_blank_saturated_and_nan_images_are_rejected_with_reasons(split):
    train, hold = split
    bad = hold.images[:4].copy()
    bad[0] = 17.0  # blank
    bad[1] = 255.0  # white-out
    bad[1, 0, :2] = 0
    bad[2, 0, 10, 10] = np.nan  # a failed pixel
    batch = sg.ImageSet(bad, hold.metadata.iloc[:4])
    ctx = _context(train)
    blank = check_check(BlankValidator, batch, ctx).reasons
    limit = 0.01 * (train.images.max() - train.images.min())
    assert blank[0] == f"image 0 is blank: pixel std 0 below {limit:.4g} (1% of the training range)" and blank[3] is None
    saturated = check_check(SaturatedValidator, batch, ctx).reasons
    assert saturated[1].startswith(f"image 1 is saturated: 96.9% of pixels at the maximum {train.images.max():.4g}")
    assert saturated[3] is None
    finite = sg.Engine().registry.get("validators", "core.finite")

    assert finite().check(batch, ctx).reasons.tolist() == [None, None, "non-finite pixel", None]


def test_intensity_outside_the_learned_or_declared_range(split):
    train, hold = split
    hot = sg.ImageSet(hold.images[:2] * np.array([1.0, 1.5])[:, None, None, None], hold.metadata.iloc[:2])
    reasons = check_check(IntensityValidator, hot, _context(train)).reasons
    lo, hi = train.images.min(), train.images.max()
    pad = 0.05 * (hi - lo)
    assert reasons[0] is None and f"outside the learned range [{lo - pad:.4g}, {hi + pad:.4g}]" in reasons[1]
    declared = check_check(IntensityValidator, hot, _context(train, bounds={"intensity": (0, 100)})).reasons
    assert all("outside the declared range [0, 100]" in r for r in declared)
    with pytest.raises(sg.ConfigError, match="expected only 'intensity'"):
        IntensityValidator().prepare(_context(train, bounds={"hu": (0, 1)}))


def test_an_image_at_its_class_mean_is_mode_collapse(split):
    train, hold = split
    axial = train.metadata["orientation"] == "axial"
    mean = train.images[axial.to_numpy()].mean(axis=0, keepdims=True)
    batch = sg.ImageSet(np.concatenate([mean, hold.images[:1]]), train.metadata[axial].iloc[[0, 0]])
    reasons = check_check(ModeCollapseValidator, batch, _context(train)).reasons
    assert reasons[0].startswith("image 0 is 0.0000 from the mean image of class 'axial'") and reasons[1] is None


def test_memorized_images_are_caught_even_when_brightened_and_real_unseen_ones_are_not(split):
    train, hold = split
    ctx = _context(train, hold)
    copies = train.images[:10] * 1.03 + 2.0  # a training slice, slightly brighter: not an exact copy any more
    batch = sg.ImageSet(np.concatenate([copies, hold.images[:10]]), train.metadata.iloc[list(range(10)) * 2])
    from synthguard.privacy import NearCopyFilter

    near = NearCopyFilter()
    near.prepare(ctx)
    assert near.distance_name == "imaging.memorization"
    rejected = near.check(batch, ctx).rejected
    assert rejected[:10].all() and rejected[10:].sum() <= 1
    # SSIM compares local structure: a copy with 3% more contrast is one; (an offset lifts the black
    # background, which SSIM's luminance term punishes: that case is the distance's, above)
    contrast = sg.ImageSet(np.concatenate([train.images[:10] * 1.03, hold.images[:10]]), batch.metadata)
    ssim = check_check(SSIMCopyFilter, contrast, ctx)
    assert ssim.rejected[:10].all() and ssim.rejected[10:].sum() <= 1
    assert "SSIM 0.99" in ssim.reasons[0] and "above the holdout's 99% quantile" in ssim.reasons[0]


def test_the_engine_uses_the_imaging_distance_for_imaging_runs():
    engine = sg.Engine()
    assert engine.distance_for("image", "imaging").name == "imaging.memorization"
    assert engine.distance_for("image", None).name == "core.pixel-rms"
