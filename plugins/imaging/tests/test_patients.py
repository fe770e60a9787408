"""The unit of privacy for images is the patient: slices of one patient never straddle the split, and the report says so."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from PIL import Image
from synthguard import holdout_split
from synthguard.io import ImageFormat, read_images


def _sides(train: sg.ImageSet, hold: sg.ImageSet) -> set:
    return set(train.entities) & set(hold.entities)


def test_slices_of_one_patient_never_straddle_the_split_of_the_shipped_sets(brain):
    from synthguard_imaging.datasets import load_dicom_patches

    for images, patients in ((brain, 2), (load_dicom_patches(), 10)):
        assert len(set(images.entities)) == patients
        for seed in range(5):
            train, hold = holdout_split(images, 0.2, seed=seed)
            assert not _sides(train, hold), f"seed {seed}: a patient on both sides"
            assert len(train) + len(hold) == len(images)


def test_the_brain_volume_is_the_patient_not_a_label_to_sample(brain):
    assert list(brain.metadata.columns) == ["orientation"]
    assert sorted(set(brain.entities)) == ["ch2", "mni152_2009a"]


def _patient_folders(root, patients=6, slices=4, size=8):
    rng = np.random.default_rng(0)
    for p in range(patients):
        (root / f"patient_{p:02d}").mkdir(parents=True)
        base = rng.integers(0, 200, (size, size))
        for s in range(slices):  # neighbouring slices of one patient look alike
            Image.fromarray((base + s).astype(np.uint8)).save(root / f"patient_{p:02d}" / f"slice_{s}.png")


def test_a_png_folder_per_patient_is_split_by_patient(tmp_path):
    _patient_folders(tmp_path)
    images, notes = read_images(tmp_path, ImageFormat(size=8, entity="folder"))
    assert images.metadata.shape[1] == 0  # the patient folder is not a label
    assert len(set(images.entities)) == 6 and "unit of privacy: 6 patients (folders)" in notes
    train, hold = holdout_split(images, 0.34, seed=0)
    assert not _sides(train, hold) and len(hold) % 4 == 0


def test_without_a_declared_patient_each_picture_is_alone_and_the_notes_say_so(tmp_path):
    _patient_folders(tmp_path, patients=2)
    images, notes = read_images(tmp_path, ImageFormat(size=8))
    assert images.entities is None
    assert any("each image alone (no patient declared)" in n for n in notes)


def test_a_labels_column_can_name_the_patient(tmp_path):
    _patient_folders(tmp_path, patients=3, slices=2)
    csv = tmp_path / "labels.csv"
    files = [f"patient_{p:02d}/slice_{s}.png" for p in range(3) for s in range(2)]
    pd.DataFrame({"file": files, "finding": ["normal", "tumour"] * 3,
                  "subject": ["A", "A", "B", "B", "C", "C"]}).to_csv(csv, index=False)
    images, _ = read_images(tmp_path, ImageFormat(size=8, labels=str(csv), entity="subject"))
    assert list(images.metadata.columns) == ["finding"]  # the subject id is not modelled
    assert list(images.entities) == ["A", "A", "B", "B", "C", "C"]
    with pytest.raises(sg.DataError, match="entity column 'patient' is not in the labels CSV"):
        read_images(tmp_path, ImageFormat(size=8, labels=str(csv), entity="patient"))


def test_dicom_patients_come_from_patient_id_then_study_and_the_id_never_enters_the_data(tmp_path, dicom_writer):
    from pydicom import dcmread

    frame = np.arange(64, dtype=np.uint16).reshape(8, 8)
    study = {"StudyInstanceUID": "1.2.3.4", "SeriesInstanceUID": "1.2.3.4.5"}
    for i in range(3):  # three slices of the patient the conftest headers name (PatientID MRN-4711-0815)
        dicom_writer(tmp_path / f"a{i}.dcm", frame + i)
    for i in range(2):  # two slices of one study whose PatientID was blanked
        dicom_writer(tmp_path / f"b{i}.dcm", frame * 2 + i, uids=study, phi=False)
    ds = dcmread(tmp_path / "b0.dcm")
    assert "PatientID" not in ds
    images, notes = read_images(tmp_path, ImageFormat(size=8))
    ent = list(images.entities)
    assert ent[0] == ent[1] == ent[2] and ent[3] == ent[4] and ent[0] != ent[3]
    assert not any("MRN-4711" in str(e) or "1.2.3.4" in str(e) for e in ent)
    assert any("2 patients from the DICOM headers (3 image(s) by PatientID, 2 image(s) by StudyInstanceUID)" in n
               for n in notes)


def test_the_report_names_the_unit_patient(tmp_path):
    _patient_folders(tmp_path / "scans", patients=8, slices=3, size=16)
    engine = sg.Engine()
    result = engine.generate("imaging", 12, data=str(tmp_path / "scans"), epochs=1,
                             config={"resolution": 16, "widths": [8, 16], "sampling_steps": 2, "monitor_grids": 0},
                             image_format={"size": 16, "entity": "folder"}, holdout=0.25,
                             options={"override_audit": "test: a one-epoch model",  # its images are noise:
                                      "disable": ["imaging.blank", "imaging.saturated", "imaging.intensity",
                                                  "imaging.mode-collapse"]}, out=tmp_path / "out")
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["data"]["unit"] == "patient"
    assert (report["data"]["training_units"], report["data"]["holdout_units"]) == (6, 2)
    assert report["privacy_ledger"]["unit"] == "patient"
    assert report["audit"]["unit"] in ("patient", "record")  # "record" only when the audit was skipped
    # 2 unseen patients are far too few to judge membership: the audit says so instead of passing
    assert report["release"]["decision"] == "cannot tell"
    assert result.report["release"]["decision"] == "cannot tell"


def test_the_audit_scores_patients_not_slices():
    from synthguard.privacy import AttackSetup

    rng = np.random.default_rng(0)
    x = rng.random((40, 1, 8, 8)).astype(np.float32)
    patients = np.repeat(np.arange(10), 4)
    train, hold = holdout_split(sg.ImageSet(x, entities=patients), 0.5, seed=0)
    setup = AttackSetup.draw(train, hold, seed=0)
    assert setup.unit == "patient" and setup.n_members == setup.n_non_members == 5


def test_cli_takes_the_patient_folder_with_entity_column(cli, tmp_path):
    _patient_folders(tmp_path / "scans", patients=2, slices=2)
    out = tmp_path / "out"
    run = cli("generate", "imaging", "--data", str(tmp_path / "scans"), "--entity-column", "subject", "--rows", "2",
              "--out", str(out), "--image-size", "8")
    assert run.returncode == 2, run.stderr
    assert run.stderr.strip().splitlines()[-1].startswith("error: entity column 'subject' is not in the labels CSV")
    assert not out.exists()
