"""A transport analyst's first hour with synthguard-traffic (run it: python examples/traffic_walkthrough.py OUT_DIR).

1. Export the real Capital Bikeshare counts as the hourly log a counting system would give you.
2. Generate a year of synthetic days from it: the calendar and weather are inputs, the counts are generated.
3. Generate 5000 k-anonymous trips from the pretrained flights model (no training).
4. Read what the reports measured.
"""

from __future__ import annotations

import sys
from pathlib import Path

import synthguard as sg
from synthguard_traffic.datasets import bikeshare_frame


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    log = bikeshare_frame()  # real: one row per hour of 2011, riders + weather
    log.to_csv(out / "counts.csv", index=False)
    print(f"1. wrote {len(log)} hourly rows to {out / 'counts.csv'} (columns {list(log.columns)})")

    days = sg.generate("traffic", rows=365, data=out / "counts.csv", seed=0, epochs=60,
                       sequence_format={"entity": None, "time": "timestamp", "window": 24},
                       out=out / "days", overwrite=True)
    rep = days.report
    fit = rep["generator"]["fit"]
    print(f"2. trained {fit['epochs_run']} epochs in {rep['lineage']['fit_seconds']} s on {fit['device']}; "
          f"covariates (inputs, not generated): {fit['covariates']}")
    prof, fc = rep["metrics"]["traffic.profiles"], rep["metrics"]["traffic.forecast_tstr"]
    print(f"   profile error {prof.get('profile_nmae')} (0 = same hour/weekday profiles), peak shift "
          f"{prof.get('peak_shift_hours')} h; next-hour forecast MAE trained on synthetic {fc.get('tstr_mae')} vs "
          f"on real {fc.get('trtr_mae')} (last-value baseline {fc.get('naive_mae')})")

    trips = sg.generate("traffic-trips", rows=5000, seed=0, out=out / "trips", overwrite=True)
    rep = trips.report
    od, k = rep["metrics"]["traffic.od"], rep["privacy"]["core.k-anonymity"]
    print(f"3. 5000 trips from the pretrained model; OD-matrix TVD {od.get('od_tvd')}, departure-hour TVD "
          f"{od.get('departure_hour_tvd')}; k-anonymity (k={k.get('k')}) on {k.get('quasi_identifiers')} "
          f"rejected {k.get('rejected')}")
    audit = rep.get("audit") or {}
    print(f"4. privacy audit: {audit.get('membership_inference', {}).get('worst_auc')} worst attack AUC, "
          f"DCR share {audit.get('dcr', {}).get('share_closer_to_train')}; open {out / 'days' / 'report.html'} "
          f"and {out / 'trips' / 'report.html'}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "traffic-walkthrough"))
