"""A long command piped into a log says what it does and for how long; a quick one (or an error) stays quiet."""

from __future__ import annotations

import io
import re
import time

from synthguard import log_progress


def test_a_long_stage_says_what_it_does_its_epoch_and_how_long_it_took():
    log = io.StringIO()
    log_progress.start(log, quiet=0.3, every=60)
    try:
        log_progress.stage("fitting sensor on 180 records")
        log_progress.detail("epoch 3 of at most 400, loss 1.2345")
        time.sleep(1.6)
        log_progress.stage("sampling 20 records")  # quick: says nothing
        log_progress.stage("measuring quality")
    finally:
        log_progress.stop(finished=True)
    lines = log.getvalue().splitlines()
    assert len(lines) == 2, lines
    assert re.fullmatch(r"\[ *\d+\.\ds\] fitting sensor on 180 records: epoch 3 of at most 400, loss 1\.2345 "
                        r"\(\d+ s so far\)", lines[0])
    assert re.fullmatch(r"\[ *\d+\.\ds\] fitting sensor on 180 records: done in \d+\.\d s", lines[1])


def test_nothing_is_said_unless_the_cli_started_the_log():
    log_progress.stop()
    log_progress.stage("fitting")  # the Python API: no thread, no output
    log_progress.detail("epoch 1")
    assert log_progress._log is None


def test_a_note_is_said_at_once_even_on_a_terminal():
    log = io.StringIO()
    log_progress.start(log, heartbeat=False)
    try:
        log_progress.note("recordings are long: cut into windows")
        log_progress.stage("fitting")
    finally:
        log_progress.stop(finished=True)
    assert log.getvalue() == "note: recordings are long: cut into windows\n"
