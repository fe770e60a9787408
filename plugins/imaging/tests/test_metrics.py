"""The report's image metrics tell real from fake: real halves score near the floor, noise and blur do not."""

from __future__ import annotations

import numpy as np
import pytest
import synthguard as sg
from synthguard import holdout_split
from synthguard_imaging.metrics import (ClassifierTwoSampleMetric, ImageFidelityMetric, ImageTSTRMetric,
                                        frechet_distance, precision_recall)


@pytest.fixture(scope="module")
def parts(brain):
    # these tests calibrate the metrics on three real samples of one distribution, so the unit here is the slice
    # (the brain set holds two subjects: a subject split cannot make three parts; the patient split is test_patients')
    slices = sg.ImageSet(brain.images, brain.metadata)
    train, rest = holdout_split(slices, 0.4, seed=0)
    fake_like, hold = holdout_split(rest, 0.5, seed=1)  # real images the "generator" never saw
    rng = np.random.default_rng(0)
    noise = sg.ImageSet(rng.uniform(0, 255, fake_like.images.shape), fake_like.metadata)
    return train, hold, fake_like, noise


def test_frechet_and_precision_recall_on_known_sets():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(300, 4)), rng.normal(size=(300, 4))
    assert frechet_distance(a, b) < 0.2 and frechet_distance(a, b + 3) == pytest.approx(36, rel=0.1)
    p, r = precision_recall(a, b)
    assert p > 0.9 and r > 0.9
    p, r = precision_recall(a, b + 10)
    assert p == 0 and r == 0


def test_real_unseen_images_score_near_the_floor_and_noise_far_from_it(parts):
    train, hold, fake_like, noise = parts
    ctx = sg.MetricContext(holdout=hold)
    real = ImageFidelityMetric().compute(train, fake_like, ctx)
    bad = ImageFidelityMetric().compute(train, noise, ctx)
    assert real["precision"] > 0.8 and bad["precision"] == 0
    assert real["frechet_ae_distance"] < 0.2 * bad["frechet_ae_distance"]
    assert abs(real["frechet_ae_distance"] - real["holdout_floor"]["frechet_ae_distance"]) < 0.5 * real["holdout_floor"]["frechet_ae_distance"] + 5
    assert [f["title"] for f in real["figures"]] == ["16 real training images", "16 synthetic images"]
    c2st_real = ClassifierTwoSampleMetric().compute(train, fake_like, ctx)
    c2st_noise = ClassifierTwoSampleMetric().compute(train, noise, ctx)
    assert c2st_real["score"] < 0.2 and c2st_noise["accuracy"] == 1.0


def test_tstr_on_real_images_matches_trtr_and_on_noise_it_does_not(parts):
    train, hold, fake_like, noise = parts
    ctx = sg.MetricContext(holdout=hold, target="orientation")
    real = ImageTSTRMetric().compute(train, fake_like, ctx)
    assert real["target"] == "orientation" and real["trtr"]["accuracy"] > 0.8 and real["ratio"] > 0.8
    assert ImageTSTRMetric().compute(train, noise, ctx)["tstr"]["accuracy"] < 0.7
    assert "skipped" in ImageTSTRMetric().compute(train, fake_like, sg.MetricContext(holdout=None))
