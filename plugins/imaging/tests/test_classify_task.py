"""The image classifier `synthguard augment imaging` measures: a reference label from downsampled pixels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import synthguard_imaging.plugin as imaging_plugin

import synthguard as sg
from synthguard.augment_tasks import choose_task
from synthguard.quality.augmentation import Regime, measure
from synthguard_imaging.classify_task import SIDE, ImageClassifierTask, pixels


def scans(n: int, seed: int) -> sg.ImageSet:
    """32 x 32 noise with a bright band whose place says the label: top (axial), left (sagittal), none (coronal)."""
    rng = np.random.default_rng(seed)
    label = rng.choice(["axial", "sagittal", "coronal"], n)
    images = rng.normal(0, 1, (n, 1, 32, 32))
    images[label == "axial", :, :8, :] += 2.0
    images[label == "sagittal", :, :, :8] += 2.0
    return sg.ImageSet(images, pd.DataFrame({"orientation": label, "site": ["a"] * n}))


def test_the_classifier_learns_a_label_from_the_image():
    task = ImageClassifierTask()
    result = measure(task, "orientation", scans(60, 1), [Regime(1.0, scans(60, 0), scans(60, 2), "more scans")],
                     ratios=[1], bootstrap=50)

    assert (result["kind"], result["metric"]) == ("classification", "roc_auc")
    assert result["regimes"][0]["arms"][0]["roc_auc"] > 0.95
    assert pixels(scans(4, 0)).shape == (4, SIDE * SIDE)


def test_the_imaging_plugin_registers_it_and_an_unknown_label_is_named():
    from synthguard.augment import tasks_of

    tasks = tasks_of(sg.Engine(plugins=[imaging_plugin], load_entrypoints=False))
    assert choose_task(tasks, "image", "imaging").name == "imaging.classifier"
    with pytest.raises(sg.DataError, match="--target modality: unknown image label 'modality': "
                                           "expected one of orientation, site"):
        ImageClassifierTask().labels(scans(3, 0), "modality")
