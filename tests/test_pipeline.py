"""The pipeline delivers exactly the rows asked for, gated, with every rejection written and counted."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import synthguard as sg

from toy import toy_plugin


@pytest.fixture
def engine():
    return sg.Engine(plugins=[toy_plugin])


def test_exact_copies_are_rejected_resampled_and_reported(engine, mixed_frame, tmp_path):
    result = engine.generate("test-copycat", 200, data=mixed_frame, seed=1, out=tmp_path / "out")
    assert len(result.data) == 200
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    copies = report["privacy"]["core.exact-copy"]["rejected"]
    assert copies > 20 and report["sampling"]["rounds"] >= 2
    training = set(sg.Table.from_frame(mixed_frame).record_hashes())
    assert not training & set(result.records.record_hashes())
    rejected = pd.read_parquet(tmp_path / "out" / "rejected.parquet")
    assert len(rejected) == report["sampling"]["rejected"] >= copies
    assert rejected["_checks"].str.contains("core.exact-copy").sum() == copies
    assert rejected["_reason"].str.contains("identical to a training record").sum() == copies
    for key in ("rows", "seed", "generator", "validators", "privacy", "timings"):
        assert key in report
    assert report["generator"]["name"] == "test-copycat" and len(report["generator"]["bundle_sha256"]) == 64
    timings = report["timings"]
    stages = [timings[f"{stage}_seconds"] for stage in ("sample", "checks", "metrics", "audit")]
    assert timings["fit_seconds"] > 0 and min(stages) > 0
    assert sum(stages) <= timings["total_seconds"] + 4 * 5e-5  # the fit precedes the total; 4 roundings to 4 places


def test_validator_rejections_are_counted_per_check(engine, mixed_frame):
    result = engine.generate("test-copycat", 100, data=mixed_frame, config={"negative_share": 0.2, "copy_share": 0})
    assert result.report["validators"]["finance.bounds"]["rejected"] > 0
    assert (result.data["age"] >= 18).all()
    assert result.rejected_info["reason"].str.contains("below real-data minimum").any()


def test_hitting_the_resampling_bound_fails_cleanly_with_no_output(engine, mixed_frame, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(sg.SamplingError, match="passed the checks after 3 rounds.*core.exact-copy"):
        engine.generate("test-copycat", 50, data=mixed_frame, config={"copy_share": 1.0},
                        options={"max_rounds": 3}, out=out)
    assert not out.exists() and not list(tmp_path.iterdir())


def test_an_existing_output_is_never_clobbered(engine, mixed_frame, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier results")
    with pytest.raises(sg.SynthGuardError, match="not empty"):
        engine.generate("test-copycat", 10, data=mixed_frame, out=out)
    assert (out / "keep.txt").read_text() == "earlier results"
    engine.generate("test-copycat", 10, data=mixed_frame, out=out, overwrite=True, fmt="csv")
    assert sorted(p.name for p in out.iterdir()) == ["rejected.csv", "report.html", "report.json", "synthetic.csv"]


def test_user_rules_reject_and_unknown_names_are_errors(engine, mixed_frame):
    result = engine.generate("test-copycat", 60, data=mixed_frame, options={"rules": ["balance <= income"]})
    both = result.data.dropna(subset=["income"])
    assert (both["balance"] <= both["income"]).all()
    with pytest.raises(sg.ConfigError, match="unknown column 'limit'"):
        engine.generate("test-copycat", 5, data=mixed_frame, options={"rules": ["balance <= limit"]})
    with pytest.raises(sg.ConfigError, match="cannot disable unknown validator"):
        engine.generate("test-copycat", 5, data=mixed_frame, options={"disable": ["finance.nope"]})
    with pytest.raises(sg.ConfigError, match="max_rounds"):
        engine.generate("test-copycat", 5, data=mixed_frame, options={"max_rounds": 0})


def test_metrics_from_plugins_land_in_the_report(mixed_frame):
    class RowShare(sg.Metric):
        name = "test.row-share"

        def compute(self, real, synthetic, context):
            return {"ratio": len(synthetic) / len(real)}

    class Broken(sg.Metric):
        name = "test.broken"

        def compute(self, real, synthetic, context):
            raise ValueError("boom")

    import types
    plugin = types.ModuleType("metric_plugin")
    plugin.register_metrics = sg.hookimpl(lambda register: (register(RowShare), register(Broken)))
    engine = sg.Engine(plugins=[toy_plugin, plugin])
    result = engine.generate("test-copycat", 60, data=mixed_frame)
    assert result.report["metrics"]["test.row-share"] == {"ratio": 60 / 96}  # real = the 80% training split
    assert result.report["metrics"]["test.broken"] == {"error": "ValueError: boom"}


def test_writers_add_files_to_the_output_and_a_failing_writer_leaves_none(mixed_frame, tmp_path):
    import types

    class RowCount(sg.Writer):
        name = "test.row-count"
        modalities = frozenset({"table"})

        def write(self, records, directory, context):
            (directory / "count.txt").write_text(f"{len(records)} rows, columns {context.meta.names}")
            return ["count.txt"]

    class Broken(sg.Writer):
        name = "test.broken-writer"
        modalities = frozenset({"table"})

        def write(self, records, directory, context):
            (directory / "half.txt").write_text("half")
            raise OSError("disk full")

    class ImagesOnly(RowCount):
        name = "test.images-only"
        modalities = frozenset({"image"})

    plugin = types.ModuleType("writer_plugin")
    plugin.register_writers = sg.hookimpl(lambda register: (register(RowCount), register(ImagesOnly)))
    result = sg.Engine(plugins=[toy_plugin, plugin]).generate("test-copycat", 20, data=mixed_frame, out=tmp_path / "out")
    assert (tmp_path / "out" / "count.txt").read_text().startswith("20 rows, columns ['age'")
    assert result.report["files"]["writers"] == {"test.row-count": ["count.txt"]}  # the image writer did not apply
    assert json.loads((tmp_path / "out" / "report.json").read_text())["files"]["writers"] == {"test.row-count": ["count.txt"]}

    broken = types.ModuleType("broken_writer_plugin")
    broken.register_writers = sg.hookimpl(lambda register: register(Broken))
    with pytest.raises(OSError, match="disk full"):
        sg.Engine(plugins=[toy_plugin, broken]).generate("test-copycat", 20, data=mixed_frame, out=tmp_path / "failed")
    assert not (tmp_path / "failed").exists() and [p.name for p in tmp_path.iterdir()] == ["out"]


def test_when_nothing_is_rejected_the_rejected_file_still_has_the_tables_columns(mixed_frame, tmp_path):
    table = sg.Table.from_frame(mixed_frame)
    sg.Result(table, None, pd.DataFrame(), {"rows": len(table)}).save(tmp_path / "o", fmt="csv")
    rejected = pd.read_csv(tmp_path / "o" / "rejected.csv")
    assert list(rejected.columns) == [*table.meta.names, "_stage", "_checks", "_reason"] and rejected.empty
