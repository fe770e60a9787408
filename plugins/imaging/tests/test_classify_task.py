"""The image classifier `synthguard augment imaging` measures: a reference label from downsampled pixels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import synthguard_imaging.plugin as imaging_plugin

import synthguard as sg
from synthguard.augment_tasks import choose_task
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
    from sklearn.metrics import roc_auc_score

    task = ImageClassifierTask()
    train, holdout = scans(60, 0), scans(60, 1)
    assert task.kind(train, "orientation") == "classification"
    pred = task.fit_predict(train, holdout, "orientation", seed=0)
    y = task.labels(holdout, "orientation")
    assert roc_auc_score(y, pred.proba, multi_class="ovr", labels=pred.classes) > 0.95
    assert pixels(scans(4, 0)).shape == (4, SIDE * SIDE)


def test_the_imaging_plugin_registers_it_and_an_unknown_label_is_named():
    registry = sg.Engine(plugins=[imaging_plugin], load_entrypoints=False).registry
    tasks = [entry.obj for entry in registry.downstream_tasks.values()]
    assert choose_task(tasks, "image", "imaging").name == "imaging.classifier"
    with pytest.raises(sg.DataError, match="--target modality: unknown image label 'modality': "
                                           "expected one of orientation, site"):
        ImageClassifierTask().labels(scans(3, 0), "modality")
