"""`synthguard generate imaging` with no data uses the shipped bundle: seconds, no training."""

from __future__ import annotations

import json

import numpy as np
import pydicom
from click.testing import CliRunner
from synthguard.cli import main


def test_generate_imaging_from_the_shipped_bundle_writes_checked_images(tmp_path):
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


def test_the_dicom_patch_set_has_its_own_bundle_conditioned_by_modality(tmp_path):
    res = CliRunner().invoke(main, ["generate", "imaging", "--dataset", "dicom_patches", "--rows", "4",
                                    "--condition", "modality=CT", "--no-audit", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "(pretrained, sample" in res.output
    saved = np.load(tmp_path / "out" / "synthetic.npz")
    assert saved["images"].shape == (4, 1, 64, 64) and set(saved["meta__modality"]) == {"CT"}
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["lineage"]["pretrained"] is True and report["generator"]["fit"]["epochs_run"] == 200
