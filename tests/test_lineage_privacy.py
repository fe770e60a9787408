"""The user's data path stays out of everything they hand on (issue 24): a folder or file named after a patient,
with a `<script>` in it, reaches no file that `generate` / `sample` write (report.json, report.html, the
rejected and synthetic records, the bundle, the imaging plugin's DICOM headers). The lineage says what the data
is instead (kind, format, counts, a content fingerprint), and the fingerprint matches two runs on the same data.
Tiny models: each test takes seconds."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import synthguard as sg
from synthguard.testing import synthguard

PATIENT = "Doe_John_MRN12345"
HOSTILE = f"{PATIENT}<script>alert(1)<script>"  # a '/' cannot be in a file name, so no '</script>'
NEEDLES = [PATIENT.encode(), b"MRN12345", b"loans_for", b"<script>alert(1)"]
TINY = ["--set", "d_model=16", "--set", "n_layers=1", "--set", "n_heads=2", "--epochs", "1", "--device", "cpu"]


def leaks(*folders: Path) -> list[str]:
    """Every file (or file name) under ``folders`` that holds one of the patient's traces."""
    found = []
    for folder in folders:
        for path in folder.rglob("*"):
            if any(n.decode() in str(path.relative_to(folder)) for n in NEEDLES):
                found.append(f"file name {path.relative_to(folder)}")
            elif path.is_file() and any(n in path.read_bytes() for n in NEEDLES):
                found.append(str(path.relative_to(folder)))
    return found


@pytest.fixture(scope="module")
def loans(tmp_path_factory) -> dict[str, Path]:
    """The same 300 rows of credit_data as a CSV in a patient's folder and as a Parquet file elsewhere."""
    frame = sg.Engine().dataset("credit_data").load().frame.iloc[:300]
    folder = tmp_path_factory.mktemp("data") / HOSTILE
    folder.mkdir()
    paths = {"csv": folder / f"loans_for_{HOSTILE}.csv", "parquet": tmp_path_factory.mktemp("other") / "copy.parquet"}
    frame.to_csv(paths["csv"], index=False)
    frame.to_parquet(paths["parquet"])
    return paths


def test_a_patients_file_name_reaches_no_output_and_the_fingerprint_matches_the_same_data(monkeypatch, capsys,
                                                                                          tmp_path, loans):
    out, bundle = tmp_path / "out", tmp_path / "bundle"
    code, _, err = synthguard(monkeypatch, capsys, "generate", "finance", "--data", loans["csv"], "--rows", "30",
                              "--format", "csv", "--out", out, "--save-model", bundle, *TINY)
    assert code == 0, err
    assert sorted(p.name for p in out.iterdir()) == ["rejected.csv", "report.html", "report.json", "synthetic.csv"]
    assert leaks(out, bundle) == []

    source = json.loads((out / "report.json").read_text())["lineage"]["data_source"]
    assert {k: source[k] for k in ("kind", "format", "records", "column_count")} == {
        "kind": "file", "format": "csv", "records": 300, "column_count": 14}
    fit = json.loads((bundle / "manifest.json").read_text())["fit"]
    assert fit["source"] == source and fit["trainings"][0]["source"]["fingerprint"] == source["fingerprint"]

    again = tmp_path / "again"  # the same rows from a Parquet file of another name: matched by the fingerprint
    code, _, err = synthguard(monkeypatch, capsys, "generate", "finance", "--data", loans["parquet"], "--rows", "5",
                              "--out", again, *TINY)
    assert code == 0, err
    other = json.loads((again / "report.json").read_text())["lineage"]["data_source"]
    assert other["format"] == "parquet" and other["fingerprint"] == source["fingerprint"]
    assert other["fingerprint"] == sg.Engine().to_records(loans["csv"]).fingerprint()  # as the docs say to compute it

    sampled = tmp_path / "sampled"  # sampling the bundle against the patient's file names it nowhere either
    code, _, err = synthguard(monkeypatch, capsys, "sample", bundle, "--rows", "10", "--reference", loans["csv"],
                              "--format", "csv", "--out", sampled)
    assert code == 0, err
    assert leaks(sampled) == []


def test_a_database_source_is_recorded_without_its_path_or_query(monkeypatch, capsys, tmp_path, loans):
    folder = tmp_path / HOSTILE
    folder.mkdir()
    import sqlite3

    import pandas as pd

    with sqlite3.connect(folder / "bank.db") as conn:
        pd.read_csv(loans["csv"]).to_sql("loans", conn, index=False)
    query = f"select * from loans where Home is null or Home <> '{PATIENT}'"  # a literal a query can carry
    out = tmp_path / "out"
    code, _, err = synthguard(monkeypatch, capsys, "generate", "finance", "--data", f"sqlite:///{folder}/bank.db",
                              "--query", query, "--rows", "10", "--out", out, *TINY)
    assert code == 0, err
    assert leaks(out) == []
    source = json.loads((out / "report.json").read_text())["lineage"]["data_source"]
    assert source["kind"] == "database" and source["format"] == "sqlite" and source["records"] == 300
    assert source["query_sha256"] == hashlib.sha256(query.encode()).hexdigest()


def test_a_patients_image_folder_reaches_no_output_nor_dicom_header(monkeypatch, capsys, tmp_path):
    pytest.importorskip("synthguard_imaging")
    from PIL import Image
    from pydicom.data import get_testdata_file

    folder = tmp_path / HOSTILE
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(30):
        Image.fromarray(rng.integers(0, 255, (16, 16), dtype=np.uint8)).save(folder / f"{PATIENT}_slice_{i:02d}.png")
    shutil.copy(get_testdata_file("CT_small.dcm"), folder / f"{PATIENT}_head.dcm")
    out, bundle = tmp_path / "out", tmp_path / "bundle"
    code, _, err = synthguard(monkeypatch, capsys, "generate", "imaging-dcgan", "--data", folder, "--rows", "4",
                              "--image-size", "16", "--set", "epochs=1", "--set", "width=8", "--set", "z_dim=8",
                              "--set", "monitor_grids=0", "--set", "batch_size=16", "--disable", "imaging.mode-collapse",
                              "--device", "cpu", "--out", out, "--save-model", bundle)
    assert code == 0, err
    assert list((out / "dicom").glob("*.dcm")) and leaks(out, bundle) == []
    source = json.loads((out / "report.json").read_text())["lineage"]["data_source"]
    assert {k: source[k] for k in ("kind", "format", "files", "records")} == {
        "kind": "folder", "format": "dicom+png", "files": {"dicom": 1, "png": 30}, "records": 31}
