"""`synthguard fit imaging --resume BUNDLE --data NEW`: fine-tune a bundle on new scans of the same kind."""

from __future__ import annotations

import json

import numpy as np
import pytest
import synthguard as sg
from synthguard_imaging.generator import ImagingGenerator

TINY = {"epochs": 1, "widths": [8, 16], "sampling_steps": 2, "monitor_grids": 0, "batch_size": 16}


def _npz(path, images: sg.ImageSet, **extra) -> str:
    arrays = {"images": images.images, "entity": np.asarray(images.entities, dtype=str)}
    arrays.update({f"meta__{c}": np.asarray(images.metadata[c].astype(str), dtype=str) for c in images.metadata.columns})
    arrays.update(extra)
    np.savez(path, **arrays)
    return str(path)


@pytest.fixture(scope="module")
def halves(small_brain):
    """The 16x16 brain slices cut in two: each half holds both subjects and every orientation."""
    idx = np.arange(len(small_brain))
    return small_brain.take(idx[idx % 2 == 0]), small_brain.take(idx[idx % 2 == 1])


def test_resume_continues_the_bundle_on_new_images_and_keeps_both_fingerprints(tmp_path, halves, cli):
    first, second = halves
    model = ImagingGenerator(TINY).fit(first, seed=0, device="cpu")
    model.save(tmp_path / "bundle")
    res = cli("fit", "imaging", "--resume", str(tmp_path / "bundle"), "--data", _npz(tmp_path / "new.npz", second),
              "--image-size", "16", "--out", str(tmp_path / "resumed"))
    assert res.returncode == 0, res.stderr
    assert f"{len(first)} earlier + {len(second)} new records" in res.stdout
    manifest = json.loads((tmp_path / "resumed" / "manifest.json").read_text())
    fit = manifest["fit"]
    assert fit["resumed_from"][0]["data_fingerprint"] == first.fingerprint()
    assert fit["data_fingerprint"] != first.fingerprint()  # the new training's data, beside the first one's
    resumed = sg.Engine().load(tmp_path / "resumed")
    before = model.model_.net.state_dict()
    changed = [k for k, v in resumed.model_.net.state_dict().items() if not np.allclose(v.numpy(), before[k].numpy())]
    assert changed  # it trained on, from the bundle's weights
    out = resumed.sample(4, seed=1, conditions={"orientation": "coronal"})
    assert out.images.shape == (4, 1, 16, 16) and set(out.metadata["orientation"]) == {"coronal"}


def test_new_images_of_another_size_or_labels_are_refused_before_training(tmp_path, halves, cli):
    first, second = halves
    ImagingGenerator(TINY).fit(first, seed=0, device="cpu").save(tmp_path / "bundle")
    bigger = sg.ImageSet(np.kron(second.images, np.ones((1, 1, 2, 2))), second.metadata, second.entities)
    for data, error in [  # the size the user reads the new images at (--image-size) differs from the bundle's
        (bigger, "error: new images are 32x32 with 1 channel(s): expected the model's 16x16 with 1 channel(s)"),
        (sg.ImageSet(second.images, second.metadata.rename(columns={"orientation": "view"}), second.entities),
         "error: new images have labels ['view']: expected the model's ['orientation']"),
        (sg.ImageSet(second.images, second.metadata.assign(orientation="oblique"), second.entities),
         "error: new images have label value(s) [['oblique']] the model never saw"),
    ]:
        res = cli("fit", "imaging", "--resume", str(tmp_path / "bundle"), "--data", _npz(tmp_path / "new.npz", data),
                  "--image-size", str(data.images.shape[-1]), "--out", str(tmp_path / "resumed"))
        assert res.returncode == 2 and res.stderr.strip().startswith(error), res.stderr
        assert len(res.stderr.strip().splitlines()) == 1 and not (tmp_path / "resumed").exists()
