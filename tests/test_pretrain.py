"""`synthguard pretrain PLUGIN`: trains the bundles a plugin ships, on the split `generate` recognises."""

from __future__ import annotations

import types

import synthguard as sg
import synthguard.cli as cli
from click.testing import CliRunner
from synthguard.cli import pretrain_jobs

from toy import Copycat


def plan(engine, plugin, datasets=(), generators=()):
    return sorted((g, ds.name) for g, ds in pretrain_jobs(engine, plugin, datasets, generators))


def test_pretrain_retrains_exactly_the_bundles_each_plugin_ships():
    engine = sg.Engine()
    for plugin in ("finance", "sensor", "traffic", "imaging"):
        shipped = sorted((g, e.name) for e in engine.registry.datasets.values()
                         if e.plugin == f"synthguard-{plugin}" for g in e.obj.bundles())
        assert shipped, plugin
        assert plan(engine, plugin) == shipped
    assert plan(engine, "traffic", ("nyc_flights",)) == [("traffic-trips", "nyc_flights")]
    assert plan(engine, "finance", ("german_credit",), ("finance-vae",)) == [("finance-vae", "german_credit")]


def test_pretrain_names_a_bad_plugin_dataset_or_generator_before_training():
    runner = CliRunner()
    for args, says in [(["nope"], "unknown plugin 'nope'"),
                       (["finance", "--dataset", "daphnet"], "ships no dataset 'daphnet'"),
                       (["finance", "--generator", "imaging"], "fits image data"),
                       (["finance", "--generator", "nope"], "unknown generator 'nope'")]:
        result = runner.invoke(cli.main, ["pretrain", *args], standalone_mode=False)
        assert isinstance(result.exception, sg.SynthGuardError) and says in str(result.exception), args


def test_a_pretrained_bundle_is_what_generate_then_uses(tmp_path, monkeypatch):
    german = sg.datasets()["german_credit"]
    tiny = sg.Dataset(name="tiny_credit", modality="table", load=lambda: sg.Table.from_frame(
        german.load().frame.head(60), name="tiny_credit"), description="first 60 rows of german_credit",
        source=german.source, licence=german.licence, bundle_dir=tmp_path / "bundles")
    plugin = types.ModuleType("tiny_plugin")
    plugin.register_generators = sg.hookimpl(lambda register: register(Copycat))
    plugin.register_datasets = sg.hookimpl(lambda register: register(tiny))
    monkeypatch.setattr(cli, "Engine", lambda: sg.Engine(plugins=[plugin], load_entrypoints=False))

    runner = CliRunner()
    result = runner.invoke(cli.main, ["pretrain", "tiny_plugin"], standalone_mode=False)
    assert "nothing to pretrain" in str(result.exception)  # no shipped bundle, no default generator

    result = runner.invoke(cli.main, ["pretrain", "tiny_plugin", "--generator", "test-copycat"], standalone_mode=False)
    assert result.exception is None, result.output
    bundle = tmp_path / "bundles" / "test-copycat--tiny_credit"
    assert (bundle / "manifest.json").is_file() and str(bundle) in result.output

    engine = sg.Engine(plugins=[plugin], load_entrypoints=False)  # a new engine sees the new bundle
    out = engine.generate("test-copycat", rows=20, dataset="tiny_credit", options={"audit": False, "metrics": False})
    assert out.report["lineage"]["pretrained"] is True
    assert out.report["generator"]["fit"]["holdout"]["holdout_records"] == 12  # 20% of 60, never trained on
