"""The real images this plugin ships (offline; see data/README.md for provenance, licences and how few people they show).

Each image carries its patient (``ImageSet.entities``): the brain slices their volume (``ch2`` is one
scanned person, ``mni152_2009a`` a template), the DICOM patches their source scan. The holdout split and
the privacy audit count patients, so slices of one patient never sit on both sides of the split.
"""

from __future__ import annotations

from pathlib import Path

import synthguard as sg
from synthguard.io import ImageFormat, read_images
from synthguard.io import load_npz
from synthguard.bundle import pin_pretrained

from .pretrained_pins import PINS

DATA = Path(__file__).resolve().parent / "data"
PRETRAINED = Path(__file__).resolve().parent / "pretrained"
pin_pretrained(PRETRAINED, PINS)  # the shipped bundles' sha256 (pretrained_pins.py), checked on every load


def load_brain_mri_slices() -> sg.ImageSet:
    """302 slices; the patient is the volume each was cut from (not a label: a patient is not a class to sample)."""
    return read_images(DATA / "brain_mri_slices.npz", ImageFormat(entity="volume"))[0]


def load_dicom_patches() -> sg.ImageSet:
    """333 patches; the patient is the scan each was cut from (the NPZ's ``scan`` array)."""
    images = read_images(DATA / "dicom_patches.npz")[0]
    return sg.ImageSet(images.images, images.metadata, load_npz(DATA / "dicom_patches.npz")["scan"].astype(str))


DATASETS = [
    sg.Dataset(
        name="brain_mri_slices",
        modality="image",
        load=load_brain_mri_slices,
        description="302 T1-weighted brain MRI slices (64x64, axial / coronal / sagittal) from ONE scanned person "
                    "(Colin 27 'ch2') and the MNI152 2009a template (an average of 152 people)",
        source="ch2.nii.gz from Debian mricron-data 1.2.20211006; MNI ICBM152 2009a T1 from the nilearn 0.14.1 wheel",
        licence="BSD-3-Clause (MRIcron); MNI template: McConnell Brain Imaging Centre licence (keep the notice); "
                "see data/README.md",
        shape=(302, 1, 64, 64),
        target="orientation",
        bundle_dir=PRETRAINED,
    ),
    sg.Dataset(
        name="dicom_patches",
        modality="image",
        load=load_dicom_patches,
        description="333 64x64 patches of 10 real CT / MR / CR / US scans (DICOM sample images), labelled by modality",
        source="pydicom 3.0.2 test files and pydicom-data 1.0.0 (NEMA WG04 sample sets, CQ500)",
        licence="MIT (pydicom, pydicom-data); see data/README.md",
        shape=(333, 1, 64, 64),
        target="modality",
        bundle_dir=PRETRAINED,
    ),
]
