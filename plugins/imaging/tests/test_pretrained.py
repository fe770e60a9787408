"""`synthguard generate imaging` with no data uses a shipped bundle trained on the patient split: seconds, no training."""

from __future__ import annotations

import pytest

import json

import numpy as np
import pydicom
import synthguard as sg
from click.testing import CliRunner
from synthguard.cli import main
from synthguard import holdout_split


def _trained_on_the_patient_split(name: str) -> None:
    """The shipped bundle saw exactly the training patients of `generate`'s split (else generate would train first)."""
    engine = sg.Engine()
    dataset = engine.dataset(name)
    train, _ = holdout_split(dataset.load(), 0.2, seed=0)
    model = engine.load(dataset.bundles()["imaging"])
    trained_on = model.fit_info_.get("source_fingerprint", model.fit_info_.get("data_fingerprint"))
    assert trained_on == train.fingerprint(), f"stale bundle: run 'synthguard pretrain imaging --dataset {name}'"


def test_generate_imaging_from_the_shipped_bundle_writes_checked_images(tmp_path):
    _trained_on_the_patient_split("brain_mri_slices")
    res = CliRunner().invoke(main, ["generate", "imaging", "--rows", "6", "--condition", "orientation=axial",
                                    "--no-audit", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "(pretrained, sample" in res.output
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["lineage"]["pretrained"] is True and report["timings"]["fit_seconds"] is None
    assert report["generator"]["fit"]["history"]["train_loss"]  # the loss curve of the bundle's training
    saved = np.load(tmp_path / "out" / "synthetic.npz")
    assert saved["images"].shape == (6, 1, 64, 64) and set(saved["meta__orientation"]) == {"axial"}
    assert report["privacy"]["core.near-copy"]["distance"] == "imaging.memorization"
    assert len(list((tmp_path / "out" / "dicom").glob("*.dcm"))) == 6
    assert pydicom.dcmread(tmp_path / "out" / "dicom" / "00000.dcm").Modality == "OT"
    html = (tmp_path / "out" / "report.html").read_text()
    assert "samples after epoch" in html and "could not be drawn" not in html  # the training grids are drawn


def test_the_brain_bundle_saw_one_volume_and_its_gate_is_calibrated_on_the_other_person(tmp_path):
    # the split holds out ch2 (the one scanned person) whole and trains on the MNI template: every copy filter's
    # threshold comes from how near the held-out person's slices come to the template's
    out = sg.generate("imaging", rows=6, options={"audit": False}, out=tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert (report["data"]["unit"], report["data"]["training_units"], report["data"]["holdout_units"]) == ("patient", 1, 1)
    assert report["privacy_ledger"]["unit"] == "patient"
    for name in ("core.near-copy", "core.nndr", "imaging.ssim-copy", "imaging.feature-copy"):
        assert report["privacy"][name]["applied"] is True, name
    assert report["privacy"]["core.near-copy"]["holdout_records_equal_to_training"] == 0
    assert len(out.records) == 6


def test_the_dicom_patch_set_has_its_own_bundle_conditioned_by_modality(tmp_path):
    _trained_on_the_patient_split("dicom_patches")
    res = CliRunner().invoke(main, ["generate", "imaging", "--dataset", "dicom_patches", "--rows", "4",
                                    "--condition", "modality=CT", "--no-audit", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "(pretrained, sample" in res.output
    saved = np.load(tmp_path / "out" / "synthetic.npz")
    assert saved["images"].shape == (4, 1, 64, 64) and set(saved["meta__modality"]) == {"CT"}
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["lineage"]["pretrained"] is True and report["generator"]["fit"]["epochs_run"] == 200
    assert report["data"]["unit"] == "patient" and report["data"]["training_units"] == 7
