"""The reference images ship with the plugin: real scans, labelled, with their provenance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import synthguard as sg

DATA = Path(__file__).resolve().parents[1] / "synthguard_imaging" / "data"


def test_both_reference_sets_load_offline_with_labels(cli):
    proc = cli("datasets", "--json")
    rows = {r["name"]: r for r in __import__("json").loads(proc.stdout)}
    assert rows["brain_mri_slices"]["plugin"] == "synthguard-imaging" and "ONE scanned person" in rows["brain_mri_slices"]["description"]
    engine = sg.Engine()
    brain = engine.dataset("brain_mri_slices").load()
    assert brain.images.shape == (302, 1, 64, 64) and 0 <= brain.images.min() and brain.images.max() <= 255
    assert brain.metadata["orientation"].value_counts().to_dict() == {"coronal": 113, "sagittal": 96, "axial": 93}
    assert set(brain.entities) == {"ch2", "mni152_2009a"} and list(brain.metadata.columns) == ["orientation"]
    patches = engine.dataset("dicom_patches").load()
    assert patches.images.shape == (333, 1, 64, 64)
    assert patches.metadata["modality"].value_counts().to_dict() == {"CT": 110, "CR": 109, "MR": 71, "US": 43}
    assert len(set(brain.record_hashes())) == len(brain)  # no duplicated slice


def test_provenance_readme_names_sources_licences_and_how_few_people():
    text = (DATA / "README.md").read_text()
    for needed in ("ch2.nii.gz", "mricron-data", "BSD-3-clause", "nilearn", "McConnell", "pydicom", "MIT",
                   "**one** scanned person", "152"):
        assert needed in text, needed
    assert sum(p.stat().st_size for p in DATA.glob("*.npz")) < 3_000_000


def test_images_are_real_anatomy_not_noise(brain):
    """Real slices are smooth: neighbouring pixels correlate strongly (white noise would give ~0)."""
    x = brain.images[:, 0].astype(float)
    a, b = x[:, :, :-1].ravel(), x[:, :, 1:].ravel()
    assert np.corrcoef(a, b)[0, 1] > 0.8
