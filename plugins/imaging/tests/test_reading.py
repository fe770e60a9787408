"""A user's folder of DICOM / PNG / JPEG images, or an NPZ, becomes an ImageSet — or a clear error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from PIL import Image
from synthguard.io import ImageFormat, read_images



def test_ct_folder_keeps_hounsfield_units_from_signed_16_bit_pixels(tmp_path, dicom_writer):
    rng = np.random.default_rng(0)
    stored = rng.integers(-1024, 2000, (3, 32, 32)).astype(np.int16)  # signed, rescale intercept 0
    for i, frame in enumerate(stored):
        dicom_writer(tmp_path / f"slice{i}.dcm", frame, signed=True, intercept=0.0)
    images, notes = read_images(tmp_path, ImageFormat(size=32))
    assert images.images.shape == (3, 1, 32, 32)
    assert np.array_equal(images.images[:, 0], stored.astype(np.float32))  # negative HU survive, nothing squeezed to 8 bits
    assert images.metadata["modality"].tolist() == ["CT"] * 3
    assert "3 files (3 DICOM, 0 pictures)" in notes[0]


def test_unsigned_16_bit_with_rescale_multiframe_and_monochrome1(tmp_path, dicom_writer):
    frames = np.arange(2 * 8 * 8, dtype=np.uint16).reshape(2, 8, 8) * 500  # up to 63500: needs all 16 bits
    dicom_writer(tmp_path / "mf.dcm", frames, slope=2.0, intercept=-1000.0)
    dicom_writer(tmp_path / "xray", frames[0], modality="CR", intercept=0.0, photometric="MONOCHROME1")  # no suffix
    images, notes = read_images(tmp_path, ImageFormat(size=8))
    assert len(images) == 3  # two frames + one radiograph
    by_modality = images.metadata["modality"].tolist()
    assert by_modality == ["CT", "CT", "CR"]
    assert images.images[1, 0].max() == 2 * 63500 - 1000
    cr = images.images[2, 0]
    assert cr[0, 0] == frames[0].max() and cr.max() == frames[0].max()  # MONOCHROME1 inverted: 0 was brightest
    assert any("MONOCHROME1" in n for n in notes)


def test_pngs_of_mixed_sizes_are_resized_and_16_bit_values_kept(tmp_path):
    Image.fromarray(np.full((40, 60), 40000, dtype=np.uint16)).save(tmp_path / "wide16.png")
    Image.fromarray(np.full((20, 20), 7, dtype=np.uint8)).save(tmp_path / "small.png")
    Image.fromarray(np.full((64, 64), 200, dtype=np.uint8)).save(tmp_path / "b.jpg", quality=95)
    images, notes = read_images(tmp_path, ImageFormat(size=16))
    assert images.images.shape == (3, 1, 16, 16)
    assert images.images[0].max() == 200 or images.images[0].max() == pytest.approx(200, abs=2)  # b.jpg (sorted first)
    assert images.images[1].min() == 7 and images.images[2].max() == pytest.approx(40000, rel=1e-6)
    assert any("resized from 20x20, 40x60, 64x64 to 16x16" in n for n in notes)


def test_rgb_and_gray_mixed_is_refused_unless_channels_say_what_to_do(tmp_path):
    Image.fromarray(np.zeros((8, 8, 3), dtype=np.uint8)).save(tmp_path / "colour.png")
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(tmp_path / "gray.png")
    with pytest.raises(sg.DataError, match="1 of 2 images are RGB.*--channels 1"):
        read_images(tmp_path, ImageFormat(size=8))
    assert read_images(tmp_path, ImageFormat(size=8, channels=1))[0].images.shape == (2, 1, 8, 8)
    assert read_images(tmp_path, ImageFormat(size=8, channels=3))[0].images.shape == (2, 3, 8, 8)


def test_labels_from_sub_folders_or_a_csv(tmp_path):
    for label in ("axial", "coronal"):
        (tmp_path / label).mkdir()
        for i in range(2):
            Image.fromarray(np.full((8, 8), i, dtype=np.uint8)).save(tmp_path / label / f"{i}.png")
    images, _ = read_images(tmp_path, ImageFormat(size=8))
    assert images.metadata["label"].tolist() == ["axial", "axial", "coronal", "coronal"]
    csv = tmp_path / "labels.csv"
    pd.DataFrame({"file": ["coronal/1.png", "coronal/0.png", "axial/1.png", "axial/0.png"],
                  "finding": ["tumour", "normal", "normal", "normal"]}).to_csv(csv, index=False)
    images, _ = read_images(tmp_path, ImageFormat(size=8, labels=str(csv)))
    assert images.metadata["finding"].tolist() == ["normal", "normal", "normal", "tumour"]  # matched by path, not order


def test_bad_input_names_the_file_and_what_was_expected(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(sg.DataError, match="holds no images: expected DICOM"):
        read_images(tmp_path / "empty")
    bad = tmp_path / "bad"
    bad.mkdir()
    from pydicom.data import get_testdata_file

    whole = open(get_testdata_file("CT_small.dcm"), "rb").read()
    (bad / "scan.dcm").write_bytes(whole[: len(whole) // 2])  # a transfer cut off half-way
    with pytest.raises(sg.DataError, match=r"DICOM .*scan\.dcm.*(cannot be read|not a valid|cannot be decoded)"):
        read_images(bad)
    (bad / "scan.dcm").unlink()
    (bad / "broken.png").write_bytes(b"\x89PNG not really")
    with pytest.raises(sg.DataError, match=r"broken\.png.*expected a valid PNG"):
        read_images(bad)
    (bad / "broken.png").unlink()
    Image.fromarray(np.zeros((8, 8), dtype=np.uint8)).save(bad / "a.png")
    csv = tmp_path / "labels.csv"
    pd.DataFrame({"file": ["a.png", "missing.png"], "label": ["x", "y"]}).to_csv(csv, index=False)
    with pytest.raises(sg.DataError, match=r"names 1 file\(s\) not in .*e\.g\. 'missing\.png'"):
        read_images(bad, ImageFormat(labels=str(csv)))
    np.savez(tmp_path / "nan.npz", images=np.full((2, 4, 4), np.nan))
    with pytest.raises(sg.DataError, match="NaN or inf"):
        read_images(tmp_path / "nan.npz")


def test_cli_refuses_an_empty_folder_in_one_line_and_writes_nothing(cli, tmp_path):
    (tmp_path / "scans").mkdir()
    proc = cli("generate", "imaging", "--data", str(tmp_path / "scans"), "--rows", "5", "--out", str(tmp_path / "out"))
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0, proc.stderr
    assert "holds no images" in proc.stderr and not (tmp_path / "out").exists()
