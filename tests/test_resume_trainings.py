"""The trainings a model records (fit, then each fit --resume) and the members its audit counts (issue 26)."""

from __future__ import annotations

import pandas as pd
import pytest
import synthguard as sg
from pydantic import ValidationError
from synthguard.bundle import FitFacts
from synthguard.trainings import members, record, trainings


def table(start: int, n: int = 12) -> sg.Table:
    return sg.Table.from_frame(pd.DataFrame({"age": range(start, start + n), "home": ["own", "rent"] * (n // 2)}))


FIRST, SECOND, OTHER = table(0), table(100), table(500)


def resumed_fit_info() -> dict:
    info = {"records": 12, "source_fingerprint": FIRST.fingerprint(), "data_fingerprint": "a" * 64}
    record(info)
    resumed = {"records": 12, "source_fingerprint": SECOND.fingerprint(), "data_fingerprint": "b" * 64}
    record(resumed, trainings(info))
    return resumed


def test_a_resumed_model_lists_both_trainings_oldest_first():
    assert [t["source_fingerprint"] for t in trainings(resumed_fit_info())] == [FIRST.fingerprint(),
                                                                                SECOND.fingerprint()]


def test_a_bundle_from_before_trainings_were_recorded_reads_as_its_fits():
    legacy = {"records": 40, "data_fingerprint": "c" * 64,
              "resumed_from": [{"records": 30, "data_fingerprint": "d" * 64, "seconds": 1.0, "epochs_run": 3}]}
    assert trainings(legacy) == [{"records": 30, "data_fingerprint": "d" * 64, "epochs_run": 3},
                                 {"records": 40, "data_fingerprint": "c" * 64}]


def test_the_audit_needs_every_trainings_data_once_it_recognises_one():
    info = resumed_fit_info()
    with pytest.raises(sg.DataError, match=r"records of 1 of the model's 2 trainings, not training 1 \(12 records"):
        members(info, [SECOND])
    both = members(info, [FIRST, SECOND])
    assert len(both) == 24 and both.fingerprint() == sg.Table.concat([FIRST, SECOND]).fingerprint()
    assert members(info, [OTHER]) is OTHER  # a table it cannot place (both trainings in one file?) is taken as given


def test_the_bundle_schema_checks_the_trainings_fingerprints():
    assert FitFacts.model_validate({}).trainings is None  # shipped bundles have none: they load as before
    FitFacts.model_validate({"trainings": [{"records": 3, "source_fingerprint": FIRST.fingerprint()}]})
    with pytest.raises(ValidationError):
        FitFacts.model_validate({"trainings": [{"records": 3, "data_fingerprint": "not a sha256"}]})
