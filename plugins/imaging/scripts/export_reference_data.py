"""Re-create the plugin's reference images from packages that ship real scans (run by hand, offline).

    apt-get download mricron-data            # or any mirror: mricron-data_1.2.20211006+dfsg-4_all.deb
    pip download --no-deps nilearn==0.14.1 pydicom-data==1.0.0 -d /tmp/pk
    python plugins/imaging/scripts/export_reference_data.py \
        --mricron-deb /tmp/pk/mricron-data_*.deb --nilearn-wheel /tmp/pk/nilearn-*.whl \
        --pydicom-data-wheel /tmp/pk/pydicom_data-*.whl

Reads the packages' files directly (dpkg-deb -x for the .deb, zipfile for the wheels; nilearn is
never imported) and writes, into synthguard_imaging/data/:

* ``brain_mri_slices.npz`` - 64x64 axial / coronal / sagittal slices (every 3rd slice where brain
  covers at least 15% of the slice) of two T1-weighted brain MRI volumes: Colin Holmes' ``ch2``
  (ONE subject, MRIcron) and the MNI ICBM152 2009a symmetric template (an average of 152 subjects,
  nilearn). Labels: ``orientation``, ``volume``.
* ``dicom_patches.npz`` - 64x64 patches of the uncompressed, grayscale real scans in pydicom's
  test files and pydicom-data (CT, MR, CR, US; one image per distinct scan, other encodings of the
  same pixels skipped), labelled by ``modality``.

Pixel values are stored as uint8 (each source windowed to its 0.5-99.5th percentile, or the
volume's full range for the MRI volumes); see data/README.md for provenance and licences.
"""

from __future__ import annotations

import argparse
import gzip
import io
import os
import subprocess
import tempfile
import zipfile
from pathlib import Path

import numpy as np
from PIL import Image

DATA = Path(__file__).resolve().parents[1] / "synthguard_imaging" / "data"
SIZE = 64
SLICE_STEP = 3
MIN_BRAIN = 0.15  # share of a slice's pixels above 10% of the volume maximum

# (file, where, modality): one image per distinct real scan; re-encodings of the same pixels are left out
DICOM_SOURCES = [
    ("CT_small.dcm", "pydicom", "CT"),            # NEMA WG04 CT1, downsized to 128x128 by pydicom
    ("693_UNCI.dcm", "pydicom-data", "CT"),       # CQ500 head CT 512x512
    ("eCT_Supplemental.dcm", "pydicom-data", "CT"),  # NEMA multiframe CT (2 frames)
    ("MR_small.dcm", "pydicom", "MR"),            # NEMA WG04 MR1, downsized to 64x64
    ("MR2_UNCI.dcm", "pydicom-data", "MR"),       # NEMA WG04 MR2 1024x1024
    ("emri_small.dcm", "pydicom-data", "MR"),     # 10-frame enhanced MR 64x64
    ("MR-SIEMENS-DICOM-WithOverlays.dcm", "pydicom-data", "MR"),
    ("RG1_UNCI.dcm", "pydicom-data", "CR"),       # NEMA WG04 RG1 radiograph (MONOCHROME1)
    ("RG3_UNCI.dcm", "pydicom-data", "CR"),       # NEMA WG04 RG3 radiograph (MONOCHROME1)
    ("US1_UNCI.dcm", "pydicom-data", "US"),       # NEMA WG04 US1 ultrasound (RGB -> luma)
]


def resize(img: np.ndarray, size: int) -> np.ndarray:
    """Area-averaged resize of a 2-D float image to size x size."""
    return np.asarray(Image.fromarray(img.astype(np.float32), mode="F").resize((size, size), Image.BOX))


def pad_square(img: np.ndarray, fill: float = 0.0) -> np.ndarray:
    h, w = img.shape
    s = max(h, w)
    out = np.full((s, s), fill, dtype=np.float32)
    out[(s - h) // 2:(s - h) // 2 + h, (s - w) // 2:(s - w) // 2 + w] = img
    return out


def to_uint8(img: np.ndarray, low: float, high: float) -> np.ndarray:
    return np.clip(np.round((img - low) / max(high - low, 1e-9) * 255), 0, 255).astype(np.uint8)


# --------------------------------------------------------------------------- brain MRI slices

def _volume(data: bytes):
    import nibabel as nib

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "v.nii.gz"
        path.write_bytes(data)
        img = nib.as_closest_canonical(nib.load(path))  # RAS
        return np.asarray(img.get_fdata(), dtype=np.float32)


def brain_slices(volume: np.ndarray, name: str) -> tuple[list[np.ndarray], list[str], list[str], list[int]]:
    high = float(volume.max())
    images, orient, vols, index = [], [], [], []
    for axis, label in ((2, "axial"), (1, "coronal"), (0, "sagittal")):
        for i in range(0, volume.shape[axis], SLICE_STEP):
            sl = np.take(volume, i, axis=axis)
            if (sl > 0.1 * high).mean() < MIN_BRAIN:
                continue
            sl = np.rot90(sl)  # superior / anterior up, as radiologists view them
            images.append(to_uint8(resize(pad_square(sl), SIZE), 0.0, high))
            orient.append(label)
            vols.append(name)
            index.append(i)
    return images, orient, vols, index


def export_brain(deb: str, nilearn_wheel: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["dpkg-deb", "-x", deb, tmp], check=True)
        ch2 = Path(tmp, "usr/share/mricron/templates/ch2.nii.gz").read_bytes()
    with zipfile.ZipFile(nilearn_wheel) as z:
        mni = z.read("nilearn/datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz")
    parts = [brain_slices(_volume(ch2), "ch2"), brain_slices(_volume(mni), "mni152_2009a")]
    images = np.stack([im for p in parts for im in p[0]])[:, None]
    np.savez_compressed(DATA / "brain_mri_slices.npz", images=images,
                        meta__orientation=np.array([o for p in parts for o in p[1]]),
                        meta__volume=np.array([v for p in parts for v in p[2]]),
                        slice_index=np.array([i for p in parts for i in p[3]]))
    print(f"brain_mri_slices.npz: {images.shape}, " + ", ".join(
        f"{o}={sum(x == o for p in parts for x in p[1])}" for o in ("axial", "coronal", "sagittal")))


# --------------------------------------------------------------------------- DICOM patches

def _frames(ds) -> list[np.ndarray]:
    from pydicom.pixels import apply_modality_lut

    arr = apply_modality_lut(ds.pixel_array, ds).astype(np.float32)
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    if int(ds.SamplesPerPixel) == 3:
        arr = arr @ np.array([0.299, 0.587, 0.114], dtype=np.float32)  # luma
    if frames == 1:
        arr = arr[None]
    if ds.PhotometricInterpretation == "MONOCHROME1":
        arr = arr.max() + arr.min() - arr  # brighter = more signal, like MONOCHROME2
    return list(arr)


def patches(frame: np.ndarray) -> list[np.ndarray]:
    """64x64 patches of a frame at two scales (short side 128 and 256; a 64x64 frame is kept whole)."""
    low, high = np.percentile(frame, [0.5, 99.5])
    if min(frame.shape) <= SIZE:
        return [to_uint8(resize(pad_square(frame, low), SIZE), low, high)]
    out = []
    for short in (128, 256):
        if min(frame.shape) < short:
            continue
        scale = short / min(frame.shape)
        h, w = int(round(frame.shape[0] * scale)), int(round(frame.shape[1] * scale))
        img = np.asarray(Image.fromarray(frame, mode="F").resize((w, h), Image.BOX))
        for y in range(0, h - SIZE + 1, SIZE // 2):
            for x in range(0, w - SIZE + 1, SIZE // 2):
                p = to_uint8(img[y:y + SIZE, x:x + SIZE], low, high)
                if (p > 25).mean() >= 0.5 and p.std() >= 8:  # mostly anatomy, not background or a flat field
                    out.append(p)
    return out


def export_dicom(pydicom_data_wheel: str) -> None:
    import pydicom
    import pydicom.data

    own = Path(pydicom.data.__file__).parent / "test_files"
    images, modality, scan = [], [], []
    with zipfile.ZipFile(pydicom_data_wheel) as z:
        for name, where, mod in DICOM_SOURCES:
            raw = (own / name).read_bytes() if where == "pydicom" else z.read(f"data_store/data/{name}")
            ds = pydicom.dcmread(io.BytesIO(raw))
            assert ds.Modality == mod, (name, ds.Modality)
            assert not ds.file_meta.TransferSyntaxUID.is_compressed, name
            got = [p for f in _frames(ds) for p in patches(f)]
            images += got
            modality += [mod] * len(got)
            scan += [name.removesuffix(".dcm")] * len(got)
            print(f"  {name}: {mod}, {len(got)} patches")
    np.savez_compressed(DATA / "dicom_patches.npz", images=np.stack(images)[:, None],
                        meta__modality=np.array(modality), scan=np.array(scan))
    print(f"dicom_patches.npz: {len(images)} patches, " + ", ".join(
        f"{m}={modality.count(m)}" for m in sorted(set(modality))))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mricron-deb", required=True)
    ap.add_argument("--nilearn-wheel", required=True)
    ap.add_argument("--pydicom-data-wheel", required=True)
    args = ap.parse_args()
    DATA.mkdir(parents=True, exist_ok=True)
    export_brain(args.mricron_deb, args.nilearn_wheel)
    export_dicom(args.pydicom_data_wheel)


if __name__ == "__main__":
    main()
