"""Plugin discovery, the registry, and the hookspec contract."""

from __future__ import annotations

import inspect
import json
import re
import types

import pytest
import synthguard as sg
from synthguard import hookspecs
from synthguard.plugins import ENTRY_POINT_GROUP

from conftest import ROOT


def test_plugins_json_lists_finance_with_everything_it_registers(cli):
    proc = cli("plugins", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = {r["name"]: r for r in json.loads(proc.stdout)}
    fin = rows["synthguard-finance"]
    assert fin["distribution"] == "synthguard-finance" and fin["version"]
    generators = {g["name"]: g for g in fin["generators"]}
    assert generators["finance"] == {"name": "finance", "domain": "finance", "modality": "table", "role": "default",
                                     "description": "any-order autoregressive transformer over column tokens (PyTorch)",
                                     "sampling_settings": ["order_rows", "temperature"]}
    assert generators["finance-vae"]["role"] == "alternative" and generators["finance-gaussian-copula"]["role"] == "baseline"
    assert {"finance.bounds", "finance.categories", "finance.rules", "finance.pii"} <= set(fin["validators"])
    assert {"german_credit", "credit_data", "lending_club"} <= set(fin["datasets"])
    assert rows["synthguard.builtin"]["privacy_filters"] == ["core.exact-copy", "core.k-anonymity", "core.near-copy",
                                                             "core.nndr"]
    assert rows["synthguard.builtin"]["distances"] == ["core.gower", "core.pixel-rms", "core.sequence-rms"]


def test_plugins_text_output_names_each_plugin(cli):
    proc = cli("plugins")
    assert proc.returncode == 0
    assert "synthguard-finance" in proc.stdout
    assert "  generator finance (finance, default): any-order autoregressive transformer" in proc.stdout
    assert "  generator sensor-par (sensor, baseline): " in proc.stdout
    assert "    sampling settings (--set, no training): order_rows, temperature" in proc.stdout


def test_allow_list_env_limits_loaded_plugins(cli):
    proc = cli("plugins", "--json", env={"SYNTHGUARD_LOAD_PLUGINS": ""})
    assert [r["name"] for r in json.loads(proc.stdout)] == ["synthguard.builtin"]
    proc = cli("plugins", env={"SYNTHGUARD_LOAD_PLUGINS": "synthguard-nope"})
    assert proc.returncode == 2
    assert "synthguard-nope" in proc.stderr and "not installed" in proc.stderr


def test_unknown_generator_is_a_one_line_error(cli, tmp_path):
    proc = cli("generate", "nosuch", "--rows", "5", "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "unknown generator 'nosuch'" in proc.stderr and "finance" in proc.stderr
    assert not (tmp_path / "o").exists()


def _plugin(**hooks):
    mod = types.ModuleType(f"test_plugin_{id(hooks)}")
    for name, fn in hooks.items():
        setattr(mod, name, sg.hookimpl(fn))
    return mod


class Dup(sg.Validator):
    name = "finance.bounds"


def test_a_name_taken_twice_names_both_plugins():
    plugin = _plugin(register_validators=lambda register: register(Dup))
    with pytest.raises(sg.PluginError, match="finance.bounds.*synthguard-finance.*test_plugin"):
        sg.Engine(plugins=[plugin]).registry


def test_registering_the_wrong_type_is_refused():
    plugin = _plugin(register_generators=lambda register: register("not a class"))
    with pytest.raises(sg.PluginError, match="expected a subclass of Generator"):
        sg.Engine(plugins=[plugin], load_entrypoints=False).registry


def test_a_hook_this_version_lacks_fails_loudly():
    plugin = _plugin(register_time_machines=lambda register: None)
    with pytest.raises(sg.PluginError, match="register_time_machines"):
        sg.Engine(plugins=[plugin], load_entrypoints=False).plugin_manager


def test_engine_without_entry_points_has_only_builtins():
    reg = sg.Engine(load_entrypoints=False).registry
    assert set(reg.privacy_filters) == {"core.exact-copy", "core.near-copy", "core.nndr", "core.k-anonymity"}
    assert set(reg.validators) == {"core.finite"}
    assert not reg.generators


def test_every_hook_is_documented_and_named_in_the_plugin_guide():
    guide = (ROOT / "docs" / "plugin-guide.md").read_text()
    specs = [f for name, f in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("register_")]
    assert len(specs) == 8
    for fn in specs:
        doc = inspect.getdoc(fn) or ""
        assert re.search(r"\bCalled\b", doc), f"{fn.__name__}: say when it is called"
        assert ":param register:" in doc and ":return:" in doc, f"{fn.__name__}: document arguments and return"
        assert "versionadded" in doc
        assert fn.__name__ in guide, f"docs/plugin-guide.md must mention hook {fn.__name__}"
    assert ENTRY_POINT_GROUP == "synthguard"


def test_a_plugin_finds_its_shipped_bundles_for_a_dataset_by_generator(tmp_path):
    for name in ["fast--motions", "slow--motions", "fast--gait", "broken--motions"]:
        (tmp_path / name).mkdir()
    for name in ["fast--motions", "slow--motions", "fast--gait"]:
        (tmp_path / name / "manifest.json").write_text("{}")
    (tmp_path / "notes--motions").write_text("a file, not a bundle")

    assert sg.pretrained_bundles(tmp_path, "motions") == {"fast": tmp_path / "fast--motions",
                                                          "slow": tmp_path / "slow--motions"}
    assert sg.pretrained_bundles(tmp_path, "gait") == {"fast": tmp_path / "fast--gait"}
    assert sg.pretrained_bundles(tmp_path / "not-installed", "motions") == {}
