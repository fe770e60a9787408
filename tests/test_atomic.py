"""Atomic output: a run killed at any point of writing or replacing --out never loses a complete earlier output.

Each test starts a real process that writes an output directory the way every command does
(``atomic_directory``), stops it at a named point (``SYNTHGUARD_TEST_PAUSE_AT``, used only by
tests), kills it, and looks at what a user would find: ``--out`` absent or complete (old or new),
and no hidden sibling left — or the next run cleaning it up and saying so.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from synthguard.io.atomic import atomic_directory, check_writable_target

WRITER = textwrap.dedent("""
    import sys
    from synthguard.io.atomic import atomic_directory, pause_point
    out, tag = sys.argv[1], sys.argv[2]
    with atomic_directory(out, overwrite=True) as tmp:
        for name in ("synthetic.csv", "report.json"):
            (tmp / name).write_text(tag)
            pause_point("writing")
    print("done", flush=True)
""")


def start(out: Path, tag: str, pause: str | None = None, exchange: bool = True) -> subprocess.Popen:
    env = {**os.environ}
    env.pop("SYNTHGUARD_TEST_PAUSE_AT", None)
    if pause:
        env["SYNTHGUARD_TEST_PAUSE_AT"] = pause
    if not exchange:
        env["SYNTHGUARD_TEST_NO_RENAME_EXCHANGE"] = "1"
    return subprocess.Popen([sys.executable, "-c", WRITER, str(out), tag], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_for(proc: subprocess.Popen, line: str) -> None:
    for got in proc.stderr:
        if line in got:
            return
    raise AssertionError(f"process ended before {line!r}: rc {proc.wait()}")


def write(out: Path, tag: str) -> None:
    """The next run, in this process."""
    with atomic_directory(out, overwrite=True) as tmp:
        for name in ("synthetic.csv", "report.json"):
            (tmp / name).write_text(tag)


def content(out: Path) -> str | None:
    """The tag of a complete output, None if absent; fails on a partial one."""
    if not out.exists():
        return None
    tags = {p.name: p.read_text() for p in out.iterdir()}
    assert set(tags) == {"synthetic.csv", "report.json"} and len(set(tags.values())) == 1, f"partial output: {tags}"
    return tags["synthetic.csv"]


def siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


@pytest.fixture
def old(tmp_path) -> Path:
    out = tmp_path / "R"
    write(out, "old")
    return out


@pytest.mark.parametrize("point, exchange, expect", [
    ("writing", True, "old"),
    ("before-swap", True, "old"),
    ("after-swap", True, "new"),
    ("after-swap", False, "new"),
])
def test_sigterm_at_each_point_leaves_a_complete_output_and_no_sibling(old, point, exchange, expect):
    proc = start(old, "new", pause=point, exchange=exchange)
    wait_for(proc, f"paused at {point}")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert content(old) == expect
    assert siblings(old) == []


@pytest.mark.parametrize("point, exchange, expect_now", [
    ("writing", True, "old"),
    ("before-swap", True, "old"),
    ("after-swap", True, "new"),        # the swapped-out old output is the sibling
    ("between-renames", False, None),   # two-step fallback: --out is briefly absent, the old output beside it
    ("after-swap", False, "new"),
])
def test_kill_9_at_each_point_then_the_next_run_cleans_up_and_says_so(old, point, exchange, expect_now, capfd):
    proc = start(old, "new", pause=point, exchange=exchange)
    wait_for(proc, f"paused at {point}")
    proc.kill()
    proc.wait(timeout=60)
    assert content(old) == expect_now
    assert siblings(old), "a kill -9 cannot clean up: something must be left for the next run"
    if expect_now is None:
        (aside,) = [name for name in siblings(old) if name.startswith(".R.old-")]
        assert content(old.parent / aside) == "old"
    check_writable_target(old, overwrite=True)  # what every command does first, before any training
    err = capfd.readouterr().err
    assert "note: " in err and "interrupted run" in err
    assert siblings(old) == []
    assert content(old) == (expect_now or "old")  # the earlier output is back where it belongs
    write(old, "newer")
    assert content(old) == "newer" and siblings(old) == []


def test_kill_9_of_a_first_write_leaves_nothing_once_the_next_run_starts(tmp_path, capfd):
    out = tmp_path / "R"
    proc = start(out, "new", pause="writing")
    wait_for(proc, "paused at writing")
    proc.kill()
    proc.wait(timeout=60)
    assert not out.exists()
    check_writable_target(out, overwrite=False)
    assert "removed .R.tmp-" in capfd.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_two_runs_to_the_same_out_take_turns(old):
    first = start(old, "first", pause="before-swap")
    wait_for(first, "paused at before-swap")
    second = start(old, "second")
    wait_for(second, "waiting for another synthguard run")  # it waits for the lock instead of racing
    assert content(old) == "old"
    first.send_signal(signal.SIGTERM)
    assert first.wait(timeout=60) == 128 + signal.SIGTERM
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0 and "done" in out, err
    assert content(old) == "second" and siblings(old) == []


def test_two_runs_without_overwrite_the_second_fails_cleanly(tmp_path):
    out = tmp_path / "R"
    write(out, "first")
    from synthguard.errors import OutputError

    with pytest.raises(OutputError, match="not empty"):
        with atomic_directory(out, overwrite=False) as tmp:
            (tmp / "synthetic.csv").write_text("second")
    assert content(out) == "first" and siblings(out) == []
