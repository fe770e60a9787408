"""De-identification a user can trust: the PS3.15 Annex E E.1-1 table applied (dicom-anonymizer) and checked here."""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
import synthguard as sg
from pydicom.data import get_testdata_file
from pydicom.datadict import dictionary_VR, keyword_for_tag
from synthguard_imaging.dicom import annex_e_tags, scrub

#: Real DICOM files pydicom ships offline (CT, MR, RT plan and dose, JPEG 2000, ECG): what users hand over.
REAL = ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "rtdose.dcm", "JPEG2000.dcm", "waveform_ecg.dcm", "image_dfl.dcm"]
TEXT_VRS = {"LO", "SH", "LT", "ST", "UT", "PN", "AE", "UC"}


def _salted_value(vr: str, i: int):
    """A value of this VR carrying the findable salt ``SALTi`` (or a date/time/UID that is as findable).

    Times carry a fraction unique to the attribute: a bare HHMMSS (6 digits) turned up by chance inside the
    scrubber's freshly generated UIDs and failed the test about one run in three."""
    return {"PN": f"Salt^Person{i}", "DA": f"1961{i % 12 + 1:02d}{i % 28 + 1:02d}", "TM": f"23{i % 60:02d}01.77{i:04d}",
            "DT": f"1961020323{i % 60:02d}01.77{i:04d}", "UI": f"1.2.826.0.1.3680043.9.7777.{i}"}.get(vr, f"SALT{i:04d}")


def _every_table_attribute():
    """A dataset holding every E.1-1 text, name, date, time and UID attribute pydicom knows, each salted."""
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    needles = {}
    for i, (group, element) in enumerate(sorted(annex_e_tags())):
        tag = (group << 16) | element
        try:
            vr, keyword = dictionary_VR(tag), keyword_for_tag(tag)
        except KeyError:
            continue
        if group == 0x0002 or not keyword or vr not in TEXT_VRS | {"DA", "TM", "DT", "UI"}:
            continue
        value = _salted_value(vr, i)
        ds.add_new(tag, vr, value)
        needles[keyword] = value
    return ds, needles


def test_every_e11_attribute_present_in_real_files_is_removed_emptied_or_replaced():
    table, checked = annex_e_tags(), 0
    for name in REAL:
        ds = pydicom.dcmread(get_testdata_file(name))
        before = {(e.tag.group, e.tag.element): str(e.value) for e in ds if (e.tag.group, e.tag.element) in table
                  and e.VR != "SQ" and str(e.value).strip()}
        scrub(ds)
        for (group, element), value in before.items():
            tag = (group << 16) | element
            assert tag not in ds or str(ds[tag].value) != value or value in ("0", "1"), (name, keyword_for_tag(tag), value)
        checked += len(before)
    assert checked > 40  # the real files hold dozens of the table's attributes


def test_a_header_salted_with_every_table_attribute_leaks_none_of_them():
    ds, needles = _every_table_attribute()
    assert len(needles) > 300  # the full table, not the 130 attributes the old hand-written scrubber listed
    scrub(ds)
    values = " ".join(str(e.value) for e in ds.iterall()) + " ".join(str(e.value) for e in ds.file_meta)
    leaked = [k for k, v in needles.items() if v in values]
    assert not leaked, leaked
    assert ds.PatientIdentityRemoved == "YES" and "dicom-anonymizer" in ds.DeidentificationMethod


def test_private_tags_overlays_and_names_in_nested_sequences_are_removed(phi):
    from pydicom.dataset import Dataset

    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    block = ds.private_block(0x0029, "ACME SCANNER", create=True)
    block.add_new(0x10, "LO", phi["PatientName"])
    item = Dataset()
    item.add_new(0x00091001, "LO", phi["PatientID"])  # private tag inside a sequence
    item.ScheduledPerformingPhysicianName = phi["OperatorsName"]  # a name the table does not list
    ds.ScheduledProcedureStepSequence = [item]
    ds.add_new(0x60003000, "OW", b"\x00\x01" * 8)  # overlay data
    scrub(ds)
    assert not any(e.tag.is_private for e in ds.iterall()) and 0x60003000 not in ds
    values = " ".join(str(e.value) for e in ds.iterall())
    assert not [v for v in (phi["PatientName"], phi["PatientID"], phi["OperatorsName"]) if v in values]


def test_uids_are_new_and_consistent_within_a_study():
    a = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    b = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    b.SOPInstanceUID = b.file_meta.MediaStorageSOPInstanceUID = pydicom.uid.generate_uid()
    from pydicom.dataset import Dataset

    ref = Dataset()
    ref.ReferencedSOPInstanceUID = a.SOPInstanceUID  # b points at a
    b.ReferencedImageSequence = [ref]
    old = {k: str(a[k].value) for k in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID", "FrameOfReferenceUID")}
    study = {}
    scrub(a, uid_map=study)
    scrub(b, uid_map=study)
    for key, value in old.items():
        assert str(a[key].value) != value, key
    assert a.StudyInstanceUID == b.StudyInstanceUID and a.SeriesInstanceUID == b.SeriesInstanceUID  # still one study
    assert a.SOPInstanceUID != b.SOPInstanceUID and a.file_meta.MediaStorageSOPInstanceUID == a.SOPInstanceUID
    kept = b.get("ReferencedImageSequence") or [Dataset()]
    assert kept[0].get("ReferencedSOPInstanceUID", "") in ("", a.SOPInstanceUID)  # E.1-1 X/Z/U*: emptied, or a's new UID
    other = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    scrub(other)  # another call without the map: another study
    assert other.StudyInstanceUID != a.StudyInstanceUID


def test_burned_in_annotation_is_refused_unless_flagged_for_review():
    ds = pydicom.dcmread(get_testdata_file("CT_small.dcm"))
    ds.BurnedInAnnotation = "YES"
    with pytest.raises(sg.DataError, match="BurnedInAnnotation is YES: the pixels show text"):
        scrub(ds)
    assert ds.PatientName != ""  # refused before anything changed
    scrub(ds, burned_in="flag")
    assert ds.BurnedInAnnotation == "YES" and ds.PatientName == ""


def test_a_salted_folder_leaks_nothing_into_any_output_header_or_file_name(tmp_path, small_brain, dicom_writer, phi):
    """PHI in file and folder names, patient IDs, dates, free text and private tags -> generate -> no trace of it
    (the report's lineage describes the folder without naming it: synthguard.lineage)."""
    folder = tmp_path / "Doe_Jane_MRN-4711-0815"
    folder.mkdir()
    salts = ["SALT-FREETEXT-Jane-fell-at-home", "SALT-PRIVATE-9911", "Doe_Jane_MRN-4711-0815", "19610203"]
    for i, image in enumerate(small_brain.images[:24, 0]):
        path = folder / f"Doe_Jane_MRN-4711-0815_{i:02d}.dcm"
        dicom_writer(path, (image * 8).astype(np.uint16), modality="MR", intercept=0.0, patient=str(i // 4))
        ds = pydicom.dcmread(path)
        ds.ImageComments = f"{salts[0]} {phi['PatientName']}"
        ds.private_block(0x0011, "HOSPITAL PACS", create=True).add_new(0x01, "LO", salts[1])
        ds.save_as(path, enforce_file_format=True)
    out = tmp_path / "out"
    sg.Engine().generate("imaging-dcgan", 6, data=folder, out=out, image_format={"size": 16},
                         config={"epochs": 1, "width": 8, "z_dim": 8, "monitor_grids": 0, "batch_size": 16})
    from plotly.offline import get_plotlyjs

    library = get_plotlyjs().encode()
    needles = [*phi.values(), *salts]
    for path in out.rglob("*"):
        assert not [n for n in needles if n.lower() in str(path.relative_to(out)).lower()], path
        if path.is_file() and not path.name.startswith("report."):
            data = path.read_bytes()
            assert not [n for n in needles if n.encode() in data], path.name
    for path in (out / "dicom").glob("*.dcm"):
        values = " ".join(str(e.value) for e in pydicom.dcmread(path).iterall())
        assert not [n for n in needles if n in values]
    assert len(list((out / "dicom").glob("*.dcm"))) == 6
    for name in ("report.json", "report.html"):  # nor does the report (its lineage), the folder's name included
        text = (out / name).read_bytes().replace(library, b"").decode()
        assert not [n for n in needles if n in text], name
