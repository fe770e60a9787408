"""The sensor safety checks and the shape distance: real recordings pass, broken ones are rejected with reasons."""

from __future__ import annotations

import numpy as np
import pytest
import synthguard as sg
import synthguard_sensor.plugin as plugin
from synthguard import holdout_split
from synthguard.testing import check_plugin, check_validator, parametrize_generator_checks
from synthguard_sensor import SensorGenerator
from synthguard_sensor.generator import SensorConvAR, SensorLSTM
from synthguard_sensor.distance import ShapeDistance
from synthguard_sensor.validators import FlatlineValidator, RangeValidator, RateValidator, SpikeValidator, VALIDATORS

MOTIONS = sg.datasets()["basic_motions"].load()
TRAIN, HOLD = holdout_split(MOTIONS, 0.2)


def context(**options) -> sg.CheckContext:
    return sg.CheckContext(meta=TRAIN.meta, reference_hashes=TRAIN.record_hashes(), options=options, domain="sensor")


def broken(edit) -> sg.SequenceSet:
    """Three held-out recordings; the middle one damaged by ``edit(values)``."""
    records = HOLD.take([0, 1, 2])
    values = records.values.copy()
    edit(values[1])
    return sg.SequenceSet(values, records.channels, records.statics)


@parametrize_generator_checks(SensorGenerator, MOTIONS.take(range(0, 80, 4)),
                              config={"epochs": 2, "hidden": 8, "head_width": 8, "head_blocks": 1, "solver_steps": 2})
def test_sensor_generator_contract(check):
    check()


@parametrize_generator_checks(SensorLSTM, MOTIONS.take(range(0, 80, 4)), config={"epochs": 2, "hidden": 8, "components": 2})
def test_sensor_lstm_contract(check):
    check()


@parametrize_generator_checks(SensorConvAR, MOTIONS.take(range(0, 80, 4)), config={"epochs": 2, "hidden": 8, "components": 2})
def test_sensor_conv_ar_contract(check):
    check()


def test_the_plugin_loads_beside_the_builtins():
    check_plugin(plugin)


@pytest.mark.parametrize("validator", VALIDATORS)
def test_held_out_real_recordings_pass_every_sensor_check(validator):
    verdict = check_validator(validator, HOLD, context())
    assert verdict.rejected.mean() <= 0.1, [r for r in verdict.reasons if r]


def test_an_out_of_range_reading_is_rejected_naming_channel_step_and_range():
    def edit(v):
        v[40, 2] = 500.0
    verdict = check_validator(RangeValidator, broken(edit), context())
    assert list(verdict.rejected) == [False, True, False]
    assert verdict.reasons[1].startswith("acc_z=500 at step 40 outside learned range [")


def test_a_declared_range_overrides_the_learned_one_and_unknown_channels_are_refused():
    verdict = check_validator(RangeValidator, HOLD.take([0, 1, 2]), context(bounds={"acc_x": (-0.01, 0.01)}))
    assert verdict.rejected.any() and "declared range [-0.01, 0.01]" in next(r for r in verdict.reasons if r)
    with pytest.raises(sg.DataError, match="unknown channel 'speed'"):
        check_validator(RangeValidator, HOLD, context(bounds={"speed": (0, 1)}))


def test_a_jump_faster_than_the_sensor_can_move_is_rejected():
    limit = 1.5 * TRAIN.meta.stats("gyro_x").step_max

    def edit(v):
        v[50:, 3] += 2 * limit  # a step change, not a spike
    verdict = check_validator(RateValidator, broken(edit), context())
    assert list(verdict.rejected) == [False, True, False]
    assert "gyro_x changes by" in verdict.reasons[1] and "between steps 49 and 50" in verdict.reasons[1]
    declared = check_validator(RateValidator, HOLD.take([0]), context(rate_limits={"acc_x": 1e-6}))
    assert declared.rejected.all()


def test_a_stuck_channel_is_rejected():
    def edit(v):
        v[20:60, 0] = v[20, 0]
    verdict = check_validator(FlatlineValidator, broken(edit), context())
    assert list(verdict.rejected) == [False, True, False]
    assert verdict.reasons[1].startswith("acc_x stuck for 40 readings")


def test_a_single_reading_spike_is_rejected():
    def edit(v):
        v[30, 1] += 4 * TRAIN.meta.stats("acc_y").spike_max
    verdict = check_validator(SpikeValidator, broken(edit), context())
    assert list(verdict.rejected) == [False, True, False]
    assert "acc_y spikes by" in verdict.reasons[1] and "at step 30" in verdict.reasons[1]


def test_the_shape_distance_sees_a_copy_with_a_calibration_offset_as_a_copy():
    distance = ShapeDistance().fit(TRAIN)
    copy = TRAIN.take([5])
    shifted = sg.SequenceSet(copy.values + 3.0, copy.channels, copy.statics)
    a, b = distance.embed(copy), distance.embed(shifted)
    assert np.linalg.norm(a - b) < 1e-5
    other = distance.embed(TRAIN.take([6]))
    assert np.linalg.norm(a - other) > 0.1


def test_the_gate_rejects_an_offset_copy_of_a_training_recording():
    from synthguard.privacy import NearCopyFilter

    engine = sg.Engine()
    distance = engine.distance_for("sequence", "sensor")
    assert distance is ShapeDistance and engine.distance_for("sequence", None).name == "core.sequence-rms"
    ctx = sg.CheckContext(meta=TRAIN.meta, reference_hashes=TRAIN.record_hashes(), reference=TRAIN, holdout=HOLD,
                          domain="sensor", distance=distance)
    copy = TRAIN.take([5, 6])
    unseen = int(np.argmax(sg.NearestRecords(distance().fit(TRAIN), TRAIN).kneighbors(HOLD, 1)[0][:, 0]))
    candidates = sg.SequenceSet.concat([sg.SequenceSet(copy.values + 0.5, copy.channels, copy.statics),
                                        HOLD.take([unseen])])  # a real recording the model never saw: kept
    verdict = check_validator(NearCopyFilter, candidates, ctx)
    assert list(verdict.rejected) == [True, True, False]
