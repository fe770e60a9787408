"""Why do the traffic generator's raw samples sit slightly closer to the training days? (run by hand)

    python benchmarks/traffic_context_privacy.py          # ~3 min on 2 cores, pretrained bundles, no training

The series generator draws the date and weather of a training record and generates the traffic for
them. If that reuse were what puts samples near their training day, changing the context would move
them away. Three variants, sampling from the shipped bundle (trained on `generate`'s 80% split), 3 seeds
each, audited against the training split and the 20% holdout (traffic.series distance):

* ``same``: as shipped (date and weather of one training record);
* ``mixed-weather``: each date gets the weather of another training record of the same month;
* ``shifted-date``: each date moved by 1-3 weeks (same weekday), the weather kept.

Writes benchmarks/results/traffic_context_privacy.json and prints a table.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results" / "traffic_context_privacy.json"


def _variant(name: str, base):
    def draw(self, n, conditions, rng):
        statics, cov, starts = base(self, n, conditions, rng)
        if name == "mixed-weather":
            import pandas as pd

            pool_months = pd.DatetimeIndex(self.pool_.start_times).month.to_numpy()
            months = pd.DatetimeIndex(starts).month.to_numpy()
            cov = cov.copy()
            for m in np.unique(months):
                idx = np.flatnonzero(months == m)
                cov[idx] = self.pool_.covariates[rng.choice(np.flatnonzero(pool_months == m), size=len(idx))]
        elif name == "shifted-date":
            weeks = rng.choice([-3, -2, -1, 1, 2, 3], size=n) * 7
            starts = starts + (weeks * 86400 * 10**9).astype("timedelta64[ns]")
        return statics, cov, starts
    return draw


def main() -> None:
    import synthguard as sg
    from synthguard.data import holdout_split
    from synthguard.pipeline import HOLDOUT, SPLIT_SEED
    from synthguard_traffic.generator import TrafficGenerator
    from synthguard_traffic.metrics import forecast_comparison, profile_comparison

    base = TrafficGenerator._draw_context
    rows = []
    for dataset in ("bikeshare", "chicago"):
        ds = sg.datasets()[dataset]
        train, hold = holdout_split(ds.load(), HOLDOUT, seed=SPLIT_SEED)
        model = sg.load(ds.bundles()["traffic"])
        for variant in ("same", "mixed-weather", "shifted-date"):
            TrafficGenerator._draw_context = _variant(variant, base)
            runs = []
            for seed in (0, 1, 2):
                syn = model.sample(len(train), seed=seed)
                audit = sg.audit(train, syn, holdout=hold, domain="traffic", seed=seed)
                runs.append([audit["dcr"]["share_closer_to_train"], audit["membership_inference"]["worst_auc"],
                             profile_comparison(train, syn)["profile_nmae"],
                             forecast_comparison(train, syn, hold)["tstr_mae"]])
            r = np.asarray(runs, dtype=float)
            rows.append({"dataset": dataset, "variant": variant, "seeds": 3,
                         "dcr_share": [round(r[:, 0].mean(), 4), round(r[:, 0].std(), 4)],
                         "worst_attack_auc": [round(r[:, 1].mean(), 4), round(r[:, 1].std(), 4)],
                         "profile_nmae": round(r[:, 2].mean(), 4), "forecast_tstr_mae": round(r[:, 3].mean(), 4)})
            print(json.dumps(rows[-1]), flush=True)
    TrafficGenerator._draw_context = base
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"results": rows}, indent=2))
    print("| dataset | context | DCR share (± std) | worst attack AUC (± std) | profile NMAE | forecast TSTR MAE |\n"
          "|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['dataset']} | {r['variant']} | {r['dcr_share'][0]} ± {r['dcr_share'][1]} | "
              f"{r['worst_attack_auc'][0]} ± {r['worst_attack_auc'][1]} | {r['profile_nmae']} | {r['forecast_tstr_mae']} |")


if __name__ == "__main__":
    main()
