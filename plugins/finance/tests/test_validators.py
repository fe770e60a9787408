"""Finance safety checks reject what they should, with reasons, and nothing else."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import synthguard as sg
from synthguard.testing import check_validator
from synthguard_finance.pii import find_pii, iban_valid, luhn_valid
from synthguard_finance.validators import BoundsValidator, CategoryValidator, PIIValidator, RuleValidator

REAL = pd.DataFrame({"balance": [0.0, 50.0, 900.0], "limit": [100.0, 100.0, 1000.0],
                     "grade": ["A", "B", "C"], "note": ["ok", "late payment", "ok"]})


def context(**options) -> sg.CheckContext:
    table = sg.Table.from_frame(REAL)
    return sg.CheckContext(meta=table.meta, reference_hashes=table.record_hashes(), domain="finance", options=options)


def synth(**cols) -> sg.Table:
    frame = REAL.iloc[[0] * len(next(iter(cols.values())))].reset_index(drop=True).copy()
    for k, v in cols.items():
        frame[k] = v
    return sg.Table(frame, sg.Table.from_frame(REAL).meta)


@pytest.mark.parametrize("number, ok", [("4111 1111 1111 1111", True), ("4111 1111 1111 1112", False),
                                        ("5500-0000-0000-0004", True)])
def test_luhn(number, ok):
    assert luhn_valid("".join(ch for ch in number if ch.isdigit())) is ok


def test_iban_checksum():
    assert iban_valid("DE89 3704 0044 0532 0130 00") and iban_valid("GB82WEST12345698765432")
    assert not iban_valid("DE89 3704 0044 0532 0130 01")


@pytest.mark.parametrize("text, kind", [
    ("card 4111-1111-1111-1111 on file", "payment card"),
    ("pay to DE89370400440532013000", "IBAN"),
    ("contact jane.doe@example.org", "e-mail"),
    ("call +44 20 7946 0958", "phone"),
    ("4111 1111 1111 1112", None),            # fails Luhn: an ordinary number
    ("0 <= ... < 200 DM", None),              # German credit category text
    ("... >= 7 years", None),
    ("loan of 12000 for 36 months", None),
])
def test_pii_detection(text, kind):
    found = find_pii(text)
    assert (found is None) if kind is None else (kind in found)


def test_pii_validator_rejects_with_reason():
    verdict = check_validator(PIIValidator, synth(note=["ok", "mail me: a.b@c.com", "ok"]), context())
    assert list(verdict.rejected) == [False, True, False]
    assert verdict.reasons[1] == "note contains a e-mail address"


def test_identifier_columns_in_training_data_are_refused_up_front():
    frame = pd.DataFrame({"email": [f"user{i}@bank.com" for i in range(10)], "x": range(10)})
    table = sg.Table.from_frame(frame)
    ctx = sg.CheckContext(meta=table.meta, reference_hashes=table.record_hashes(), domain="finance")
    with pytest.raises(sg.DataError, match="column 'email' of the training data holds e-mail address"):
        PIIValidator().prepare(ctx)


def test_bounds_learned_and_declared():
    v = check_validator(BoundsValidator, synth(balance=[-1.0, 500.0, 901.0]), context())
    assert list(v.rejected) == [True, False, True]
    assert "below real-data minimum 0" in v.reasons[0] and "above real-data maximum 900" in v.reasons[2]
    v = check_validator(BoundsValidator, synth(balance=[-1.0, 500.0, 901.0]), context(bounds={"balance": (None, 400)}))
    assert list(v.rejected) == [False, True, True] and "declared maximum 400" in v.reasons[1]
    with pytest.raises(sg.ConfigError, match="grade.*expected a numeric column"):
        BoundsValidator().prepare(context(bounds={"grade": (0, 1)}))


def test_categories_outside_the_domain():
    v = check_validator(CategoryValidator, synth(grade=["A", "Z", None]), context())
    assert list(v.rejected) == [False, True, False] and "grade='Z'" in v.reasons[1]


def test_declared_rules():
    v = check_validator(RuleValidator, synth(balance=[10.0, 150.0, np.nan]), context(rules=["balance <= limit"]))
    assert list(v.rejected) == [False, True, False]  # a missing operand is not judged
    v = check_validator(RuleValidator, synth(balance=[10.0, 0.0, 5.0]), context(rules=["balance > 0"]))
    assert list(v.rejected) == [False, True, False]
    for bad, msg in [("balance <=", "malformed"), ("grade < 3", "not numeric"), ("balance < cap", "unknown column 'cap'")]:
        with pytest.raises(sg.ConfigError, match=msg):
            RuleValidator().prepare(context(rules=[bad]))
