"""What SDV's own column detection costs the SDV peers, against learning every column by SynthGuard's kinds.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/sdv_metadata.py

For each finance reference table (`generate`'s 80% training split, seed 0), SDV's GaussianCopula (its defaults)
is fitted three times: on the metadata SDV detects (what `benchmarks/peers_privacy.py` did before 2026-12-03);
with `synthguard.baselines.learn_every_column` as the GaussianCopula baseline applies it (every column by our
kinds); and the same keeping the small-integer columns SDV detects as `ordinal` (learnt from the data as ordered
categories, not faked: what `peers_privacy.py` now uses). 1,000 rows, sample seed 0; prints, for each column SDV
detects as neither numerical nor categorical, its sdtype and shape score (SDMetrics TVComplement / KSComplement),
and the table's quality (`synthguard.quality.fidelity.quality_score`, as `Engine.evaluate`).
Writes benchmarks/experiments/sdv_metadata.json.
"""

from __future__ import annotations

import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))


def main() -> None:
    warnings.filterwarnings("ignore")
    import synthguard as sg
    from peers_privacy import DATASETS, split, train_table
    from sdmetrics.single_column import KSComplement, TVComplement
    from sdv.metadata import Metadata
    from sdv.single_table import GaussianCopulaSynthesizer
    from synthguard.baselines import learn_every_column
    from synthguard.quality.fidelity import quality_score

    out = {"date": time.strftime("%Y-%m-%d"), "results": []}
    for dataset in DATASETS:
        train, _ = split(dataset)
        table = train_table(dataset, train)
        detected = Metadata.detect_from_dataframes({table.meta.name: train}).tables[table.meta.name].columns
        for mode in ("sdv-detected", "our-kinds", "our-kinds-keep-ordinal"):
            metadata = Metadata.detect_from_dataframes({table.meta.name: train})
            if mode != "sdv-detected":
                learn_every_column(metadata, table, keep_ordinal=mode.endswith("keep-ordinal"))
            columns = metadata.tables[table.meta.name].columns
            np.random.seed(0)
            synth = GaussianCopulaSynthesizer(metadata)
            synth.fit({table.meta.name: train})
            sample = synth.sample(1000)
            sample = next(iter(sample.values())) if isinstance(sample, dict) else sample
            changed = {}
            for name, spec in detected.items():
                real, fake = train[name], sample[name]
                numeric = real.dtype.kind in "if" and fake.dtype.kind in "if"
                metric = KSComplement if numeric else TVComplement
                if spec.get("sdtype") != "numerical" and spec.get("sdtype") != "categorical":
                    pair = (real.dropna(), fake.dropna()) if numeric else (real.astype(str), fake.astype(str))
                    changed[name] = {"sdtype": columns[name]["sdtype"], "shape": round(float(metric.compute(*pair)), 3)}
            quality = quality_score(table, sg.Table(sample[list(train.columns)], table.meta))["score"]
            row = {"dataset": dataset, "mode": mode, "quality": round(quality, 4), "columns": changed}
            out["results"].append(row)
            print(json.dumps(row), flush=True)
    (HERE / "sdv_metadata.json").write_text(json.dumps(out, indent=2) + "\n")


if __name__ == "__main__":
    main()
