"""Bundles: safetensors + JSON, verified by sha256, refused when tampered, never pickled."""

from __future__ import annotations

import json

import pytest
import synthguard as sg

from toy import toy_plugin


@pytest.fixture
def saved(tmp_path, mixed_frame):
    engine = sg.Engine(plugins=[toy_plugin])
    model = engine.fit("test-copycat", mixed_frame, seed=4)
    digest = model.save(tmp_path / "model")
    return engine, model, tmp_path / "model", digest


def test_round_trip_samples_the_same(saved):
    engine, model, path, digest = saved
    loaded = engine.load(path)
    assert loaded.bundle_sha256_ == digest
    assert loaded.fit_info_["seed"] == 4 and loaded.fit_info_["data_fingerprint"] == model.fit_info_["data_fingerprint"]
    a, b = model.sample(30, seed=2), loaded.sample(30, seed=2)
    assert (a.record_hashes() == b.record_hashes()).all()
    assert (loaded.reference_hashes_ == model.reference_hashes_).all()


def test_bundle_holds_only_json_and_safetensors(saved):
    _, _, path, _ = saved
    names = sorted(p.name for p in path.iterdir())
    assert names == ["manifest.json", "state.json", "weights.safetensors"]
    manifest = json.loads((path / "manifest.json").read_text())
    assert set(manifest["files"]) == {"state.json", "weights.safetensors"}
    json.loads((path / "state.json").read_text())  # plain JSON
    from safetensors.torch import load_file

    assert "__reference_hashes__" in load_file(path / "weights.safetensors")  # plain safetensors


@pytest.mark.parametrize("damage, message", [
    (lambda p: (p / "weights.safetensors").write_bytes((p / "weights.safetensors").read_bytes()[:-7]), "sha256"),
    (lambda p: (p / "state.json").write_text((p / "state.json").read_text().replace("1", "2", 1)), "sha256"),
    (lambda p: (p / "state.json").unlink(), "missing state.json"),
    (lambda p: (p / "manifest.json").write_text("{not json"), "corrupt"),
    (lambda p: (p / "manifest.json").unlink(), "no manifest.json"),
])
def test_damaged_bundles_are_refused(saved, damage, message):
    engine, _, path, _ = saved
    damage(path)
    with pytest.raises(sg.BundleError, match=message):
        engine.load(path)


def test_edited_manifest_hashes_are_caught(saved):
    engine, _, path, _ = saved
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["files"]["state.json"] = "0" * 64
    (path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(sg.BundleError, match="manifest was altered"):
        engine.load(path)


def test_bundle_needing_an_absent_plugin_says_so(saved):
    _, _, path, _ = saved
    with pytest.raises(sg.BundleError, match="needs generator 'test-copycat'"):
        sg.Engine(load_entrypoints=False).load(path)


def test_not_a_bundle(tmp_path):
    with pytest.raises(sg.BundleError, match="not found"):
        sg.Engine(load_entrypoints=False).load(tmp_path / "nothing")
