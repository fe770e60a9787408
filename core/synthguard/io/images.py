"""Read a user's images into an :class:`~synthguard.ImageSet`: a folder of DICOM / PNG / JPEG files, or an NPZ.

What a folder becomes:

* Every ``.dcm``/``.dicom`` file, and every file without a suffix that carries the DICOM
  preamble (``DICM`` at byte 128), is read with pydicom (an optional dependency, imported
  only here: ``pip install pydicom``). The modality LUT (rescale slope/intercept) is
  applied, so CT comes out in Hounsfield units, and signed and 16-bit pixel data keep their
  values (nothing is squeezed into 8 bits). ``MONOCHROME1`` is inverted so that brighter
  always means more signal. Each frame of a multi-frame file is one image. The DICOM
  ``Modality`` is kept as a ``modality`` column when the files carry it; no other header
  value is read (names, IDs and dates never enter the container) but the patient, below.
* ``.png``/``.jpg``/``.jpeg``/``.bmp``/``.tif``/``.tiff`` files are read with Pillow;
  16-bit PNGs keep their 0–65535 values.
* An ``.npz`` holds ``images`` (N, H, W), (N, C, H, W) or (N, H, W, C) and optional
  ``meta__<column>`` arrays: what ``synthguard`` writes.

Every image is resized to ``size`` × ``size`` (mixed sizes are the normal case for scans):
padded to a square with its own minimum first, so anatomy is not stretched, then
area-averaged (bilinear when enlarging). Channels: all grayscale gives 1 channel, all RGB 3;
a folder mixing both is refused unless ``channels`` says what to make of it (1: RGB to luma,
3: gray repeated). Labels come from a CSV (``file`` column with paths relative to the
folder, every other column becomes a label) or, without one, from sub-folder names
(``label``) when every image sits in a first-level sub-folder.

The unit of privacy is the patient: the holdout split and the audit put all images of one
patient on the same side (:class:`~synthguard.ImageSet` ``entities``). Who the patient is:

* DICOM: ``PatientID``, else ``StudyInstanceUID``, else the file (a multi-frame file is one
  volume). Only a salted hash of the ID enters the container, never the ID itself.
* ``entity="folder"`` (``--entity-column folder``): all images in one folder are one patient
  (``patient_017/slice_001.png``; ``label/patient/slice.png`` also takes ``label`` from the first level).
* ``entity="COLUMN"``: that column of the labels CSV names each image's patient (it is not a label).
* an NPZ: its ``entity`` array, one id per image.
* otherwise each picture is its own unit, and the notes say so (slices of one patient would then
  straddle the split: declare the patient).

Bad input is a :class:`~synthguard.DataError` naming the file and what was expected: a
corrupt or pixel-less DICOM, a compressed transfer syntax without a decoder, an unreadable
image, a folder with no images, a labels CSV naming files that are missing (or missing
files that are there).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from ..errors import DataError
from .readers import load_npz

DICOM_SUFFIXES = (".dcm", ".dicom")
PICTURE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
LUMA = np.array([0.299, 0.587, 0.114])


class ImageFormat(BaseModel):
    """How image files become records (``--image-size``, ``--channels``, ``--labels``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    size: int = Field(64, ge=8, le=1024, description="every image is resized to size x size")
    channels: int | None = Field(None, description="1 or 3; None = what the files are (a mix is refused)")
    labels: str | None = Field(None, description="CSV with a 'file' column (relative to the folder) and label columns")
    entity: str | None = Field(None, description="who each image belongs to (the unit of privacy): 'folder' = the image's "
                                                 "folder, or a column of the labels CSV; None = DICOM PatientID/StudyInstanceUID, "
                                                 "else each image alone")

    def model_post_init(self, _context) -> None:
        if self.channels not in (None, 1, 3):
            raise DataError(f"channels {self.channels}: expected 1 (grayscale) or 3 (RGB)")


def read_images(path: str | Path, fmt: ImageFormat | None = None):
    """A folder of DICOM/PNG/JPEG files, or an NPZ, as ``(ImageSet, notes)``; notes list what was done to the pixels."""
    from ..data import ImageSet

    fmt = fmt or ImageFormat()
    path = Path(path)
    if path.is_file() and path.name.lower().endswith(".npz"):
        images, meta, entities, notes = _read_npz(path, fmt)
    elif path.is_dir():
        images, meta, entities, notes = _read_folder(path, fmt)
    elif path.is_file():
        raise DataError(f"data {str(path)!r} is a single file: expected a folder of DICOM/PNG/JPEG images or an .npz")
    else:
        raise DataError(f"data {str(path)!r} not found: expected a folder of DICOM/PNG/JPEG images or an .npz")
    bad = [i for i, im in enumerate(images) if not np.isfinite(im).all()]
    if bad:
        raise DataError(f"{len(bad)} image(s) in {str(path)!r} hold NaN or inf pixels (first: image {bad[0]}): "
                        "expected finite pixel values")
    images, more = _harmonise(images, fmt)
    return ImageSet(np.stack(images).astype(np.float32), meta, entities), [*notes, *more]


# --------------------------------------------------------------------------- NPZ


def _read_npz(path: Path, fmt: ImageFormat):
    arrays = load_npz(path)
    if "images" not in arrays:
        raise DataError(f"NPZ {str(path)!r} has arrays {sorted(arrays)}: expected 'images' (N, H, W) or (N, C, H, W)")
    x = arrays["images"]
    if not np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_:
        raise DataError(f"NPZ {str(path)!r} images have dtype {x.dtype}: expected numbers")
    if x.ndim == 3:
        x = x[:, None]
    elif x.ndim == 4 and x.shape[1] not in (1, 3) and x.shape[-1] in (1, 3):
        x = np.moveaxis(x, -1, 1)  # (N, H, W, C) as images are usually stored
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise DataError(f"NPZ {str(path)!r} images have shape {arrays['images'].shape}: "
                        "expected (N, H, W), (N, C, H, W) or (N, H, W, C) with C 1 or 3")
    if len(x) == 0:
        raise DataError(f"NPZ {str(path)!r} holds no images: expected at least one")
    meta = {k.removeprefix("meta__"): v for k, v in arrays.items() if k.startswith("meta__")}
    for k, v in meta.items():
        if len(v) != len(x):
            raise DataError(f"NPZ {str(path)!r} column meta__{k} has {len(v)} values for {len(x)} images: expected one per image")
    frame = pd.DataFrame(meta) if meta else None
    entities, notes = None, []
    if fmt.entity is not None:
        if frame is None or fmt.entity not in frame.columns:
            raise DataError(f"entity {fmt.entity!r}: NPZ {str(path)!r} has no column meta__{fmt.entity}: expected one "
                            f"of {sorted(meta)} or an 'entity' array")
        entities = frame.pop(fmt.entity).astype(str).to_numpy()
        frame = frame if frame.shape[1] else None
    elif "entity" in arrays:
        entities = np.asarray(arrays["entity"]).astype(str)
        if entities.shape != (len(x),):
            raise DataError(f"NPZ {str(path)!r} entity array has shape {arrays['entity'].shape}: expected one id per image "
                            f"({len(x)})")
    else:
        notes.append(_ALONE)
    return [im.astype(np.float64) for im in x], frame, entities, notes


# --------------------------------------------------------------------------- folders


def _is_dicom(path: Path) -> bool:
    name = path.name.lower()
    if name.endswith(DICOM_SUFFIXES):
        return True
    if "." in name or not path.is_file():
        return False
    with path.open("rb") as f:
        head = f.read(132)
    return len(head) == 132 and head[128:] == b"DICM"


def _list_images(root: Path) -> list[Path]:
    files = []
    for p in sorted(root.rglob("*")):
        if not p.is_file() or any(part.startswith(".") for part in p.relative_to(root).parts):
            continue
        if p.name.lower().endswith(PICTURE_SUFFIXES) or _is_dicom(p):
            files.append(p)
    return files


def _read_folder(root: Path, fmt: ImageFormat):
    files = _list_images(root)
    if not files:
        raise DataError(f"folder {str(root)!r} holds no images: expected DICOM (.dcm or DICM preamble), "
                        f"{'/'.join(s.lstrip('.') for s in PICTURE_SUFFIXES)} files")
    rel = [p.relative_to(root).as_posix() for p in files]
    labels = _labels(root, rel, fmt)
    declared = _declared_entities(rel, labels, fmt)
    if declared is not None and fmt.entity != "folder":
        labels = labels.drop(columns=fmt.entity)
        labels = labels if labels.shape[1] else None
    images, rows, modalities, owners, notes = [], [], [], [], set()
    for i, p in enumerate(files):
        if _is_dicom(p):
            frames, modality, note, owner = _read_dicom(p)
        else:
            frames, modality, note, owner = [_read_picture(p)], None, None, None
        if note:
            notes.add(note)
        images += frames
        rows += [i] * len(frames)
        modalities += [modality] * len(frames)
        owners += [owner or ("file", rel[i])] * len(frames)
    meta = labels.iloc[rows].reset_index(drop=True) if labels is not None else pd.DataFrame(index=range(len(images)))
    if any(m is not None for m in modalities) and "modality" not in meta.columns:
        meta["modality"] = [m or "unknown" for m in modalities]
    n_dicom = sum(_is_dicom(p) for p in files)
    out_notes = [f"read {len(files)} files ({n_dicom} DICOM, {len(files) - n_dicom} pictures) as {len(images)} images",
                 *sorted(notes)]
    if declared is not None:
        entities = declared[rows]
        out_notes.append(f"unit of privacy: {len(set(entities))} patients ({'folders' if fmt.entity == 'folder' else repr(fmt.entity)})")
    else:
        entities, note = _dicom_entities(owners)
        out_notes.append(note)
    return images, (meta if meta.shape[1] else None), entities, out_notes


_ALONE = ("unit of privacy: each image alone (no patient declared): slices of one patient may sit on both sides of "
          "the holdout split; declare the patient (--entity-column folder, or a column of --labels)")


def _declared_entities(rel: list[str], labels: pd.DataFrame | None, fmt: ImageFormat) -> np.ndarray | None:
    """Each file's patient as the user declared it (``folder``, or a labels column), or None."""
    if fmt.entity is None:
        return None
    if fmt.entity == "folder":
        parents = [r.rsplit("/", 1)[0] if "/" in r else "" for r in rel]
        if "" in parents:
            raise DataError(f"entity 'folder': image {rel[parents.index('')]!r} sits in the top folder: expected every "
                            "image in a folder per patient (patient_017/slice_001.png)")
        return np.array(parents, dtype=object)
    if labels is None or fmt.entity not in labels.columns:
        have = [] if labels is None else [c for c in labels.columns]
        raise DataError(f"entity column {fmt.entity!r} is not in the labels CSV (columns {have}): expected 'folder' or "
                        "a column naming each image's patient (--labels FILE)")
    ids = labels[fmt.entity]
    if ids.isna().any():
        raise DataError(f"entity column {fmt.entity!r}: image {rel[int(np.flatnonzero(ids.isna())[0])]!r} has no "
                        "patient: expected one for every image")
    return ids.astype(str).to_numpy(dtype=object)


def _dicom_entities(owners: list[tuple[str, str]]) -> tuple[np.ndarray | None, str]:
    """Each image's unit from its DICOM header (PatientID, else StudyInstanceUID) or its file, and a note saying which."""
    kinds = pd.Series([k for k, _ in owners]).value_counts().to_dict()
    if set(kinds) == {"file"}:
        return None, _ALONE
    salt = hashlib.sha256(b"".join(v.encode() + b"\x00" for _, v in owners)).digest()  # per data set: no rainbow table
    entities = np.array([hashlib.sha256(salt + f"{k}:{v}".encode()).hexdigest()[:16] for k, v in owners], dtype=object)
    said = ", ".join(f"{n} image(s) by {k}" for k, n in sorted(kinds.items()))
    return entities, f"unit of privacy: {len(set(entities))} patients from the DICOM headers ({said})"


def _labels(root: Path, rel: list[str], fmt: ImageFormat) -> pd.DataFrame | None:
    if fmt.labels is not None:
        from .readers import read_table

        csv = Path(fmt.labels)
        frame = read_table(csv)
        if "file" not in frame.columns:
            raise DataError(f"labels file {str(csv)!r} has columns {list(frame.columns)}: expected a 'file' column "
                            "naming each image relative to the folder, and label columns")
        if frame.shape[1] < 2:
            raise DataError(f"labels file {str(csv)!r} has no label column: expected 'file' and at least one label")
        names = frame["file"].astype(str).str.replace("\\", "/", regex=False)
        dup = names[names.duplicated()].tolist()
        if dup:
            raise DataError(f"labels file {str(csv)!r} lists {dup[0]!r} twice: expected one row per image")
        missing = sorted(set(names) - set(rel))
        if missing:
            raise DataError(f"labels file {str(csv)!r} names {len(missing)} file(s) not in {str(root)!r}, "
                            f"e.g. {missing[0]!r}: expected paths relative to the folder")
        unlabelled = sorted(set(rel) - set(names))
        if unlabelled:
            raise DataError(f"image {unlabelled[0]!r} ({len(unlabelled)} in all) has no row in labels file {str(csv)!r}: "
                            "expected a label for every image (or move it out of the folder)")
        frame = frame.assign(file=names).set_index("file")
        return frame.loc[rel].reset_index(drop=True)
    depth = {r.count("/") for r in rel}
    if depth == {1 + (fmt.entity == "folder")}:  # label/slice.png, or label/patient/slice.png with entity "folder"
        return pd.DataFrame({"label": [r.split("/")[0] for r in rel]})
    return None


def _read_picture(path: Path) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with the imaging plugin
        raise DataError(f"reading {str(path)!r} needs Pillow: expected `pip install Pillow`") from None
    try:
        with Image.open(path) as im:
            im.load()
            mode = im.mode
            if mode in ("RGBA", "P", "CMYK", "YCbCr", "LA", "PA"):
                im = im.convert("RGB" if mode != "LA" else "L")
            arr = np.asarray(im)
    except Exception as err:
        raise DataError(f"image {str(path)!r} cannot be read ({type(err).__name__}: {err}): "
                        "expected a valid PNG/JPEG/BMP/TIFF file") from None
    if arr.ndim == 2:
        return arr[None].astype(np.float64)
    if arr.ndim == 3 and arr.shape[2] == 3:
        return np.moveaxis(arr, -1, 0).astype(np.float64)
    raise DataError(f"image {str(path)!r} has shape {arr.shape}: expected grayscale or RGB")


def _read_dicom(path: Path) -> tuple[list[np.ndarray], str | None, str | None, tuple[str, str] | None]:
    try:
        import pydicom
        from pydicom.errors import InvalidDicomError
        from pydicom.pixels import apply_modality_lut
    except ImportError:
        raise DataError(f"reading DICOM {str(path)!r} needs pydicom: expected `pip install pydicom` "
                        "(or `pip install synthguard-imaging`)") from None
    try:
        ds = pydicom.dcmread(path)
    except InvalidDicomError as err:
        raise DataError(f"DICOM {str(path)!r} is not a valid DICOM file ({err}): expected a DICOM Part 10 file") from None
    except Exception as err:
        raise DataError(f"DICOM {str(path)!r} cannot be read ({type(err).__name__}: {err}): "
                        "expected an intact DICOM file") from None
    if "PixelData" not in ds:
        raise DataError(f"DICOM {str(path)!r} has no pixel data: expected an image (not a report or structure set)")
    try:
        arr = ds.pixel_array
    except Exception as err:
        syntax = getattr(getattr(ds, "file_meta", None), "TransferSyntaxUID", None)
        name = getattr(syntax, "name", str(syntax))
        raise DataError(f"DICOM {str(path)!r} pixel data cannot be decoded (transfer syntax {name}: "
                        f"{type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}): "
                        "expected uncompressed pixel data or an installed decoder (pylibjpeg, gdcm)") from None
    photometric = str(getattr(ds, "PhotometricInterpretation", "MONOCHROME2"))
    samples = int(getattr(ds, "SamplesPerPixel", 1) or 1)
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    note = None
    if samples == 1:
        if photometric == "PALETTE COLOR":
            from pydicom.pixels import apply_color_lut

            arr = apply_color_lut(arr, ds).astype(np.float64)
            samples = 3
        else:
            arr = np.asarray(apply_modality_lut(arr, ds), dtype=np.float64)
    else:
        if photometric.startswith("YBR"):
            from pydicom.pixels import convert_color_space

            arr = convert_color_space(arr, photometric, "RGB")
        arr = arr.astype(np.float64)
    if frames == 1:
        arr = arr[None]
    if arr.ndim != 3 + (samples == 3):
        raise DataError(f"DICOM {str(path)!r} pixel array has shape {arr.shape}: expected frames of rows x columns")
    if photometric == "MONOCHROME1":
        arr = arr.max() + arr.min() - arr
        note = "MONOCHROME1 images inverted so brighter means more signal"
    images = [np.moveaxis(f, -1, 0) if samples == 3 else f[None] for f in arr]
    modality = str(ds.Modality) if "Modality" in ds and ds.Modality else None
    return images, modality, note, _owner(ds)


def _owner(ds) -> tuple[str, str] | None:
    """Whose scan this is: ("PatientID", id), else ("StudyInstanceUID", uid); None when the header names neither."""
    for key in ("PatientID", "StudyInstanceUID"):
        value = str(ds.get(key, "") or "").strip()
        if value:
            return key, value
    return None


# --------------------------------------------------------------------------- one size, one channel count


def _harmonise(images: list[np.ndarray], fmt: ImageFormat) -> tuple[list[np.ndarray], list[str]]:
    notes = []
    counts = {im.shape[0] for im in images}
    if len(counts) > 1 and fmt.channels is None:
        n_rgb = sum(im.shape[0] == 3 for im in images)
        raise DataError(f"{n_rgb} of {len(images)} images are RGB, the rest grayscale: expected one kind "
                        "(pass --channels 1 to convert RGB to gray, or --channels 3)")
    want = fmt.channels or counts.pop()
    sizes = {im.shape[1:] for im in images}
    out = []
    for im in images:
        if im.shape[0] != want:
            im = (np.tensordot(LUMA, im, axes=1)[None] if want == 1 else np.repeat(im, 3, axis=0))
        out.append(np.stack([_resize(c, fmt.size) for c in im]))
    if any(im.shape[0] != want for im in images):
        notes.append(f"converted to {want} channel(s)")
    if sizes != {(fmt.size, fmt.size)}:
        shown = ", ".join(f"{h}x{w}" for h, w in sorted(sizes)[:5]) + (" ..." if len(sizes) > 5 else "")
        notes.append(f"resized from {shown} to {fmt.size}x{fmt.size} (padded to square with each image's minimum)")
    return out, notes


def _resize(img: np.ndarray, size: int) -> np.ndarray:
    h, w = img.shape
    if (h, w) == (size, size):
        return img
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow comes with the imaging plugin
        raise DataError(f"resizing {h}x{w} images to {size}x{size} needs Pillow: expected `pip install Pillow`") from None
    s = max(h, w)
    square = np.full((s, s), img.min(), dtype=np.float32)
    square[(s - h) // 2:(s - h) // 2 + h, (s - w) // 2:(s - w) // 2 + w] = img
    method = Image.BOX if s >= size else Image.BILINEAR
    # float32 "F" mode keeps 16-bit and signed values exactly (up to float32 precision)
    return np.asarray(Image.fromarray(square, mode="F").resize((size, size), method), dtype=np.float64)


__all__ = ["ImageFormat", "read_images"]
