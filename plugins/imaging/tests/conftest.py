"""Helpers for the imaging tests: DICOM files with patient data in their headers, small real image sets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

torch.set_num_threads(1)

#: Identifying values written into the test DICOM headers; none may survive into any output.
PHI = {
    "PatientName": "Doe^Jane^Quincy", "PatientID": "MRN-4711-0815", "PatientBirthDate": "19610203",
    "PatientAddress": "12 Elm Street, Springfield", "InstitutionName": "St Elsewhere General Hospital",
    "ReferringPhysicianName": "House^Gregory", "AccessionNumber": "ACC99887766", "StudyDate": "20230417",
    "StudyTime": "235901.424242", "OperatorsName": "Tech^Tina", "StationName": "CT-SCANNER-7", "StudyID": "STUDY-31337",
    "DeviceSerialNumber": "SN-0042-XYZ", "OtherPatientIDs": "ALT-ID-55555", "StudyDescription": "HEAD Jane Doe follow-up",
    "InstitutionAddress": "1 Hospital Way, Springfield", "PatientTelephoneNumbers": "555-0199",
}


def write_dicom(path: Path, pixels: np.ndarray, *, modality: str = "CT", slope: float = 1.0, intercept: float = -1024.0,
                signed: bool = False, photometric: str = "MONOCHROME2", uids: dict | None = None, phi: bool = True,
                patient: str = "") -> dict:
    """A DICOM file with ``pixels`` (frames, rows, cols) stored as 16-bit; returns its UIDs.

    ``patient`` is appended to the PHI PatientID (``MRN-4711-0815-3``), so a folder can hold several patients."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    uids = uids or {"StudyInstanceUID": generate_uid(), "SeriesInstanceUID": generate_uid()}
    sop = generate_uid()
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    meta.MediaStorageSOPInstanceUID = sop
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, sop
    ds.StudyInstanceUID, ds.SeriesInstanceUID = uids["StudyInstanceUID"], uids["SeriesInstanceUID"]
    if phi:
        for key, value in PHI.items():
            setattr(ds, key, value)
        if patient:
            ds.PatientID = f"{PHI['PatientID']}-{patient}"
    ds.Modality = modality
    frames = np.atleast_3d(pixels) if pixels.ndim == 3 else pixels[None]
    if len(frames) > 1:
        ds.NumberOfFrames = len(frames)
    ds.Rows, ds.Columns = frames.shape[1:]
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, photometric
    ds.BitsAllocated, ds.BitsStored, ds.HighBit = 16, 16, 15
    ds.PixelRepresentation = int(signed)
    ds.RescaleSlope, ds.RescaleIntercept = slope, intercept
    ds.PixelData = frames.astype("<i2" if signed else "<u2").tobytes()
    ds.save_as(path, enforce_file_format=True)
    return {**uids, "SOPInstanceUID": sop}


@pytest.fixture(scope="session")
def brain():
    from synthguard_imaging.datasets import load_brain_mri_slices

    return load_brain_mri_slices()


@pytest.fixture(scope="session")
def small_brain(brain):
    """48 real slices at 16x16 (8 per orientation and volume), with their patients: tiny models train in seconds."""
    import synthguard as sg
    from torch.nn import functional as F

    keys = brain.metadata["orientation"].astype(str) + "/" + brain.entities.astype(str)
    idx = np.concatenate([np.flatnonzero(keys == k)[:8] for k in sorted(keys.unique())])
    x = F.interpolate(torch.from_numpy(brain.images[idx].astype(np.float32)), size=(16, 16), mode="area").numpy()
    return sg.ImageSet(x.round(), brain.metadata.iloc[idx], brain.entities[idx])


@pytest.fixture(scope="session")
def phi():
    return PHI


@pytest.fixture(scope="session")
def dicom_writer():
    return write_dicom


@pytest.fixture
def cli():
    """``synthguard ARGS`` in a subprocess, as a user runs it (exit code, stdout, stderr)."""
    import os
    import subprocess
    import sys

    def run(*args: str) -> subprocess.CompletedProcess:
        exe = Path(sys.executable).with_name("synthguard")
        env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        return subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=600)
    return run
