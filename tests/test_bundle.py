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
    (tmp_path / "loans.csv").write_text("a,b\n1,2\n")
    with pytest.raises(sg.BundleError, match="'.*loans.csv' is a file, not a bundle: .* --data FILE"):
        sg.Engine(load_entrypoints=False).load(tmp_path / "loans.csv")


# ---------------------------------------------------------------- issue 24: forged, re-hashed and malformed bundles

def edit(path, name, change, rehash_manifest=True):
    """Edit a bundle file as an attacker who can write it would: the file, its hash in the manifest, the manifest's."""
    from synthguard.bundle import _sha256, bundle_hash

    file = path / name
    if name == "manifest.json":
        manifest = json.loads(file.read_text())
        change(manifest)
    else:
        change(file)
        manifest = json.loads((path / "manifest.json").read_text())
        manifest["files"][name] = _sha256(file.read_bytes())
    if rehash_manifest:
        manifest["bundle_sha256"] = bundle_hash(manifest)
    (path / "manifest.json").write_text(json.dumps(manifest))


def test_editing_fit_config_or_generator_without_rehashing_is_caught(saved):
    """The issue's forgery: a model trained without --epsilon made to say "Trained with DP-SGD, ε = 0.5"."""
    engine, _, path, _ = saved
    claim = {"mechanism": "DP-SGD", "epsilon_spent": 0.5, "epsilon_target": 0.5, "delta": 1e-5, "accountant": "rdp"}
    original = (path / "manifest.json").read_text()
    for change in (lambda m: m["fit"].update(privacy={"dp": claim}), lambda m: m["config"].update(copy_share=0.0),
                   lambda m: m.update(generator="finance"), lambda m: m["fit"].update(records=10**6)):
        edit(path, "manifest.json", change, rehash_manifest=False)
        with pytest.raises(sg.BundleError, match="manifest was altered"):
            engine.load(path)
        (path / "manifest.json").write_text(original)
    engine.load(path)


def state_json(change):
    def apply(file):
        state = json.loads(file.read_text())
        change(state)
        file.write_text(json.dumps(state))
    return apply


def weights(change):
    def apply(file):
        from safetensors.torch import load_file, save_file

        tensors = load_file(file)
        change(tensors)
        save_file(tensors, file)
    return apply


@pytest.mark.parametrize("name, change, message", [
    ("manifest.json", lambda m: m["fit"].update(privacy=[1]), "field 'fit.privacy' is wrong"),
    ("manifest.json", lambda m: m.update(fit=[1, 2]), "field 'fit' is wrong"),
    ("manifest.json", lambda m: m.update(config={"copy_share": {"nested": 1}}), "does not fit generator"),
    ("manifest.json", lambda m: m["fit"].update(privacy={"dp": {"epsilon_spent": "0.5"}}), "fit.privacy.dp"),
    ("manifest.json", lambda m: m.update(files=["state.json"]), "field 'files' is wrong"),
    ("state.json", state_json(lambda s: s.update(meta="none")), "state.json field 'meta' is wrong"),
    ("state.json", lambda f: f.write_text(f.read_text().replace("{", '{"x": NaN, ', 1)), "NaN is not allowed"),
    ("state.json", lambda f: f.write_text("[1, 2]"), "is a JSON list: expected an object"),
    ("weights.safetensors", weights(lambda t: t.update(__reference_hashes__=t["__reference_hashes__"][:0])),
     "holds no training-record hashes"),
])
def test_structurally_wrong_bundles_are_one_error_naming_bundle_and_field(saved, name, change, message):
    engine, _, path, _ = saved
    edit(path, name, change)  # re-hashed: only the schema stands between it and the generator
    with pytest.raises(sg.BundleError, match=message) as err:
        engine.load(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_a_manifest_that_is_a_list_or_a_directory(saved):
    engine, _, path, _ = saved
    (path / "manifest.json").write_text("[]")
    with pytest.raises(sg.BundleError, match="is a JSON list: expected an object"):
        engine.load(path)
    (path / "manifest.json").unlink()
    (path / "manifest.json").mkdir()
    with pytest.raises(sg.BundleError, match="is a directory"):
        engine.load(path)


def test_weights_of_the_wrong_shape_rehashed_are_refused_in_one_line(tmp_path):
    import shutil

    import torch

    engine = sg.Engine()
    path = tmp_path / "copy"
    shutil.copytree(engine.dataset("german_credit").bundles()["finance"], path)  # a copy: not pinned any more

    def grow(tensors):
        key = next(k for k, v in tensors.items() if k != "__reference_hashes__" and v.dim() == 2)
        tensors[key] = torch.zeros(tensors[key].shape[0] + 1, tensors[key].shape[1])
    edit(path, "weights.safetensors", weights(grow))
    with pytest.raises(sg.BundleError, match="state does not fit generator 'finance': RuntimeError: .*size mismatch"
                       ) as err:
        engine.load(path)
    assert "\n" not in str(err.value)


def test_expect_sha256_pins_a_users_bundle(saved, tmp_path):
    from synthguard.bundle import load_bundle

    engine, _, path, digest = saved
    assert load_bundle(path, engine, expect_sha256=digest.upper()).bundle_sha256_ == digest
    with pytest.raises(sg.BundleError, match="malformed: expected the 64 hex digits"):
        load_bundle(path, engine, expect_sha256=digest[:12])
    edit(path, "state.json", lambda f: f.write_text(f.read_text().replace('"seed": 4', '"seed": 5')))
    engine.load(path)  # rehashed: the bundle is consistent...
    with pytest.raises(sg.BundleError, match="it is not the bundle you recorded"):
        load_bundle(path, engine, expect_sha256=digest)  # ...but not the one recorded


def test_a_pinned_pretrained_bundle_that_was_modified_and_rehashed_is_refused(tmp_path, mixed_frame, monkeypatch):
    from synthguard import bundle

    engine = sg.Engine(plugins=[toy_plugin])
    folder = tmp_path / "pretrained"
    digest = engine.fit("test-copycat", mixed_frame, seed=1).save(folder / "test-copycat--toy")
    engine.fit("test-copycat", mixed_frame, seed=2).save(folder / "test-copycat--other")
    monkeypatch.setattr(bundle, "_PINS", {})
    bundle.pin_pretrained(folder, {"test-copycat--toy": digest})
    engine.load(folder / "test-copycat--toy")
    with pytest.raises(sg.BundleError, match="is not pinned by its plugin"):
        engine.load(folder / "test-copycat--other")
    edit(folder / "test-copycat--toy", "state.json",
         lambda f: f.write_text(f.read_text().replace("retail", "=HYPERLINK(1)")))
    with pytest.raises(sg.BundleError, match="its plugin pins"):
        engine.load(folder / "test-copycat--toy")
    assert bundle.write_pins(folder) == tmp_path / "pretrained_pins.py"  # what 'synthguard pretrain' does after training
    engine.load(folder / "test-copycat--toy")
    assert "test-copycat--other" in (tmp_path / "pretrained_pins.py").read_text()


def test_every_shipped_pretrained_bundle_matches_its_pin():
    engine = sg.Engine()
    from synthguard.bundle import _PINS

    shipped = {p for ds in engine.registry.datasets.values() for p in ds.obj.bundles().values()}
    assert shipped and all(p.resolve().parent in _PINS for p in shipped)
    for path in shipped:
        assert engine.load(path).bundle_sha256_ == _PINS[path.resolve().parent][path.name]


def dp_sgd_claim(epsilon=None):
    from opacus.accountants import create_accountant

    acc = create_accountant(mechanism="rdp")
    acc.history = [(1.1, 0.05, 400)]
    real = acc.get_epsilon(delta=1e-5)
    return {"mechanism": "DP-SGD (Opacus)", "epsilon_target": 10.0, "accountant": "rdp", "delta": 1e-5,
            "noise_multiplier": 1.1, "sample_rate": 0.05, "steps": 400,
            "epsilon_spent": round(real, 4) if epsilon is None else epsilon}


def test_a_dp_claim_is_recomputed_and_a_forged_one_refused(saved):
    engine, _, path, _ = saved
    edit(path, "manifest.json", lambda m: m["fit"].update(privacy={"dp": dp_sgd_claim(), "non_private": []}))
    dp = engine.load(path).fit_info_["privacy"]["dp"]
    assert dp["verification"].startswith("verified on load: the rdp accountant gives ε = ")
    edit(path, "manifest.json", lambda m: m["fit"].update(privacy={"dp": dp_sgd_claim(epsilon=0.5)}))
    with pytest.raises(sg.BundleError, match=r"claims DP ε = 0.5, but its recorded parameters .* give ε = "):
        engine.load(path)
    edit(path, "manifest.json", lambda m: m["fit"].update(privacy={"dp": {
        "mechanism": "MST", "epsilon_spent": 1.0, "epsilon_target": 1.0, "delta": 1e-6, "accountant": "zCDP",
        "verification": "verified, trust me"}}))
    dp = engine.load(path).fit_info_["privacy"]["dp"]
    assert dp["verification"].startswith("unverified: claimed by the bundle")


def test_a_format_1_bundle_is_refused_with_the_way_to_upgrade(saved):
    from synthguard.bundle import upgrade

    engine, _, path, _ = saved
    edit(path, "manifest.json", lambda m: m.update(format_version=1), rehash_manifest=False)
    with pytest.raises(sg.BundleError, match="format version 1.*python -m synthguard.bundle upgrade"):
        engine.load(path)
    upgrade(path)
    engine.load(path)


def test_sample_expect_sha256_on_the_command_line(tmp_path, cli):
    src = sg.Engine().dataset("german_credit").bundles()["finance"]
    digest = json.loads((src / "manifest.json").read_text())["bundle_sha256"]
    proc = cli("sample", str(src), "--rows", "5", "--out", str(tmp_path / "o"), "--expect-sha256", "0" * 64)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "it is not the bundle you recorded" in proc.stderr
    assert not (tmp_path / "o").exists() and digest in proc.stderr
