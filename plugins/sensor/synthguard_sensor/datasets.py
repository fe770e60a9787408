"""The real sensor recordings this plugin ships (offline; see data/README.md for provenance and licences)."""

from __future__ import annotations

from pathlib import Path

import synthguard as sg
from synthguard import SequenceFormat, from_long_frame
from synthguard.bundle import pin_pretrained

from .pretrained_pins import PINS

DATA = Path(__file__).resolve().parent / "data"
PRETRAINED = Path(__file__).resolve().parent / "pretrained"
pin_pretrained(PRETRAINED, PINS)  # the shipped bundles' sha256 (pretrained_pins.py), checked on every load

#: Daphnet windows: 1 s at 64 Hz, not overlapping (holdout windows share no reading with training windows).
DAPHNET_WINDOW = 64


def load_basic_motions() -> sg.SequenceSet:
    from synthguard.io import read_sequences

    records, _ = read_sequences(DATA / "basic_motions.npz")
    # each record is one recording, the unit of privacy (the archive does not say which of the 4 students made it)
    return sg.SequenceSet(records.values, records.channels, records.statics, entity_ids=records.entity_ids,
                          sampling_period=0.1, entity_name="recording")  # 10 Hz (the archive's description)


def load_daphnet() -> sg.SequenceSet:
    import pandas as pd

    frame = pd.read_csv(DATA / "daphnet_S06R02E0.csv.gz", parse_dates=["timestamp"])
    frame = frame.drop(columns=["is_anomaly"])  # no freezing episode in this run: the annotation is all 0
    records, _ = from_long_frame(frame, SequenceFormat(entity=None, window=DAPHNET_WINDOW))
    # one patient, one recording: the person cannot be held out, so the split and the audit count windows, and
    # say so ("windows"); a membership figure here is about segments of one walk, not about a person
    return sg.SequenceSet(records.values, records.channels, records.statics, entity_ids=records.entity_ids,
                          sampling_period=records.sampling_period, start_times=records.start_times,
                          entity_name="window")


DATASETS = [
    sg.Dataset(
        name="basic_motions",
        modality="sequence",
        load=load_basic_motions,
        description="80 smartwatch recordings (10 s at 10 Hz) of 3-axis accelerometer + gyroscope, "
                    "labelled standing / walking / running / badminton (4 students)",
        source="UEA multivariate time-series archive, BasicMotions (J. Clements), as bundled in aeon 1.6.0",
        licence="distributed with aeon (BSD-3-Clause) for research use; see data/README.md",
        shape=(80, 100, 6),
        target="activity",
        bundle_dir=PRETRAINED,
    ),
    sg.Dataset(
        name="daphnet",
        modality="sequence",
        load=load_daphnet,
        description="Daphnet freezing-of-gait, subject 6 run 2: 110 one-second windows of three 3-axis "
                    "accelerometers (ankle, thigh, trunk; milli-g) at 64 Hz from one Parkinson's patient walking",
        source="Bachlin et al. 2010, UCI Machine Learning Repository (Daphnet Freezing of Gait), as bundled in aeon 1.6.0",
        licence="CC BY 4.0 (UCI); see data/README.md",
        shape=(110, DAPHNET_WINDOW, 9),
        bundle_dir=PRETRAINED,
    ),
]
