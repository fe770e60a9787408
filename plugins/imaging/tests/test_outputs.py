"""What lands in --out for images: NPZ, PNGs and de-identified DICOM; no patient data from the input gets through."""

from __future__ import annotations

import json

import numpy as np
import pydicom
import pytest
import synthguard as sg
from PIL import Image
from synthguard_imaging.dicom import scrub

TINY_GAN = {"epochs": 2, "width": 8, "z_dim": 8, "monitor_grids": 1, "batch_size": 16}


@pytest.fixture(scope="module")
def dicom_run(tmp_path_factory, small_brain, dicom_writer):
    """A user's DICOM folder (PHI in every header; 8 patients, one study of 5 slices each) -> generate imaging-dcgan."""
    root = tmp_path_factory.mktemp("dicom")
    scans, uids = root / "scans", []
    scans.mkdir()
    series = None
    for i, image in enumerate(small_brain.images[:40, 0]):
        if i % 5 == 0:
            series = None  # a new patient, a new study
        got = dicom_writer(scans / f"{i:03d}.dcm", (image * 8).astype(np.uint16), modality="MR", intercept=0.0,
                          uids=series, patient=str(i // 5))
        series = {k: got[k] for k in ("StudyInstanceUID", "SeriesInstanceUID")}
        uids.append(got)
    out = root / "out"
    result = sg.Engine().generate("imaging-dcgan", 12, data=scans, config=TINY_GAN, out=out,
                                  image_format={"size": 16})
    return out, uids, result


def test_output_holds_npz_pngs_and_dicoms_listed_in_the_report(dicom_run):
    out, _, result = dicom_run
    report = json.loads((out / "report.json").read_text())
    assert report["files"]["writers"]["imaging.png"] == [f"images/{i:05d}.png" for i in range(12)]
    assert report["files"]["writers"]["imaging.dicom"] == [f"dicom/{i:05d}.dcm" for i in range(12)]
    saved = np.load(out / "synthetic.npz")
    assert saved["images"].shape == (12, 1, 16, 16) and set(saved["meta__modality"]) == {"MR"}
    png = np.asarray(Image.open(out / "images" / "00000.png"))
    assert png.shape == (16, 16) and png.dtype == np.uint8
    assert report["lineage"]["data_source"]["preparation"][0].startswith("read 40 files (40 DICOM")
    assert report["data"]["unit"] == "patient" and report["data"]["training_units"] + report["data"]["holdout_units"] == 8


def test_written_dicoms_are_marked_synthetic_with_fresh_uids_and_true_pixel_values(dicom_run):
    out, uids, result = dicom_run
    files = sorted((out / "dicom").glob("*.dcm"))
    datasets = [pydicom.dcmread(f) for f in files]
    inputs = {u for d in uids for u in d.values()}
    seen = set()
    for ds, image in zip(datasets, result.records.images):
        assert list(ds.ImageType) == ["DERIVED", "SECONDARY"] and ds.BurnedInAnnotation == "NO"
        assert ds.ConversionType == "SYN" and ds.Modality == "MR" and ds.PatientIdentityRemoved == "YES"
        assert ds.SOPInstanceUID not in inputs and ds.StudyInstanceUID not in inputs and ds.SeriesInstanceUID not in inputs
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        seen.add(ds.SOPInstanceUID)
        step = float(ds.RescaleSlope)
        assert np.abs(ds.pixel_array * step + float(ds.RescaleIntercept) - image[0]).max() <= step  # 16-bit, not 8
    assert len(seen) == len(files) == 12
    assert len({ds.StudyInstanceUID for ds in datasets}) == 1  # one synthetic series per run


def test_no_input_phi_value_appears_in_any_output_file(dicom_run, phi):
    out, uids, _ = dicom_run
    from plotly.offline import get_plotlyjs

    needles = [v for v in phi.values()] + [u for d in uids for u in d.values()]
    library = get_plotlyjs().encode()  # report.html inlines plotly.js: library code, not data
    for path in out.rglob("*"):
        if path.is_file():
            data = path.read_bytes().replace(library, b"")
            leaked = [n for n in needles if n.encode() in data]
            assert not leaked, (path.name, leaked)
    for f in (out / "dicom").glob("*.dcm"):
        ds = pydicom.dcmread(f)
        values = [str(e.value) for e in ds.iterall()] + [str(e.value) for e in ds.file_meta]
        assert not [n for n in needles if any(n in v for v in values)]


def test_scrub_removes_annex_e_attributes_from_a_real_dicom(phi):
    from pydicom.data import get_testdata_file

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    before = {k: str(ds.get(k)) for k in ("PatientName", "PatientID", "StudyDate", "InstitutionName", "StudyInstanceUID")}
    assert all(before.values())
    ds.PatientAddress, ds.OperatorsName = phi["PatientAddress"], phi["OperatorsName"]
    scrub(ds)
    values = " ".join(str(e.value) for e in ds.iterall())
    for key, value in {**before, "PatientAddress": phi["PatientAddress"], "OperatorsName": phi["OperatorsName"]}.items():
        assert value not in values, key
    assert ds.PatientName == "" and ds.get("InstitutionName", "") != before["InstitutionName"]  # E.1-1: X/Z/D
    assert ds.StudyInstanceUID != before["StudyInstanceUID"]
    assert not any(e.tag.is_private for e in ds.iterall())


def test_scrub_catches_names_dates_and_times_under_keywords_its_table_does_not_list(phi):
    from pydicom.data import get_testdata_file
    from pydicom.dataset import Dataset

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    step = Dataset()
    step.ScheduledPerformingPhysicianName = phi["OperatorsName"]   # PN inside a sequence, not in the table
    step.ScheduledProcedureStepStartDate = "19770412"              # DA inside a sequence
    ds.ScheduledProcedureStepSequence = [step]
    ds.NamesOfIntendedRecipientsOfResults = phi["PatientName"]     # PN at the top level
    ds.DateOfLastCalibration, ds.TimeOfLastCalibration = "19770413", "101500"
    scrub(ds)
    values = " ".join(str(e.value) for e in ds.iterall())
    for value in (phi["OperatorsName"], phi["PatientName"], "19770412", "19770413", "101500"):
        assert value not in values
    assert ds.StudyDate == "" and ds.PatientName == ""  # type-2 attributes stay, empty
    assert not any(e.VR in ("PN", "DA", "DT", "TM") and e.value for e in ds.iterall())


def test_fit_once_then_sample_a_bundle_against_the_users_png_folder(tmp_path, small_brain):
    """`synthguard fit` on a folder, then `sample --reference FOLDER`: the folder is read at the model's size."""
    folder = tmp_path / "pngs"
    for label in ("axial", "coronal"):
        (folder / label).mkdir(parents=True)
        rows = np.flatnonzero(small_brain.metadata["orientation"].to_numpy() == label)
        for i in rows[:12]:
            Image.fromarray(np.kron(small_brain.images[i, 0], np.ones((2, 2))).astype(np.uint8)).save(folder / label / f"{i}.png")
    engine = sg.Engine()
    model = engine.fit("imaging-dcgan", folder, config=TINY_GAN, image_format={"size": 16})
    assert model.meta_.shape == [1, 16, 16] and model.fit_info_["source"]["source"] == "folder:png"
    model.save(tmp_path / "bundle")
    result = engine.sample(tmp_path / "bundle", 5, reference=folder, conditions={"label": "coronal"}, out=tmp_path / "out")
    assert result.records.images.shape == (5, 1, 16, 16) and set(result.records.metadata["label"]) == {"coronal"}
    assert result.report["data"]["training_records"] == 24  # the 32x32 PNGs were read at the bundle's 16x16
    assert len(list((tmp_path / "out" / "dicom").glob("*.dcm"))) == 5
