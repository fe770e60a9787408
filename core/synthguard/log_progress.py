"""Progress for logs: what a long command does, and for how long, when its stderr is not a terminal.

On a terminal the CLI draws bars and a line per stage. Piped into a file, a CI log or ``nohup`` those bars are
silent, and a 20-minute fit looked hung. So there the CLI :func:`start`s this log: a stage that runs longer than
:data:`QUIET` seconds says what it does and for how long (with the training's epoch and loss), again every
:data:`EVERY` seconds, and how long it took when the next stage begins. Quick runs and error lines stay alone.
The engine calls :func:`stage` and the training loops :func:`detail`, and :func:`note` says at once what a run
decided for the user before it trains (on a terminal too); all do nothing unless the CLI started the log.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

#: Seconds a stage runs before its first line.
QUIET = 20.0
#: Seconds between a long stage's lines.
EVERY = 60.0


class _Log:
    def __init__(self, stream: TextIO, quiet: float, every: float, heartbeat: bool):
        self.stream, self.quiet, self.every = stream, quiet, every
        self.t0 = time.perf_counter()
        self.lock = threading.Lock()
        self.what: str | None = None
        self.detail: str | None = None
        self.since = self.t0
        self.said: float | None = None  # when this stage last printed
        self.stopped = threading.Event()
        if heartbeat:
            threading.Thread(target=self._beat, name="synthguard-log-progress", daemon=True).start()

    def _line(self, text: str) -> None:
        print(f"[{time.perf_counter() - self.t0:7.1f}s] {text}", file=self.stream, flush=True)

    def stage(self, what: str | None) -> None:
        with self.lock:
            self._close()
            self.what, self.detail, self.since, self.said = what, None, time.perf_counter(), None

    def _close(self) -> None:
        """The stage that ends now said it was running: say how long it took."""
        if self.said is not None:
            self._line(f"{self.what or 'working'}: done in {time.perf_counter() - self.since:.1f} s")
            self.said = None

    def _beat(self) -> None:
        while not self.stopped.wait(1.0):
            with self.lock:
                if self.what is None and self.detail is None:
                    continue
                now = time.perf_counter()
                if now >= (self.since + self.quiet if self.said is None else self.said + self.every):
                    text = ": ".join(t for t in (self.what, self.detail) if t)
                    self._line(f"{text} ({now - self.since:.0f} s so far)")
                    self.said = now


_log: _Log | None = None


def start(stream: TextIO | None = None, *, heartbeat: bool = True, quiet: float = QUIET, every: float = EVERY) -> None:
    """Notes, and with ``heartbeat`` long stages, to ``stream`` (stderr) from now on. The CLI starts it for every
    command, with the heartbeat when stderr is not a terminal (on one, bars and stage lines show progress)."""
    global _log
    stop()
    _log = _Log(stream or sys.stderr, quiet, every, heartbeat)


def stage(what: str | None) -> None:
    """A new stage begins (``None``: between stages); the one before says how long it took if it said anything."""
    if _log is not None:
        _log.stage(what)


def detail(text: str | None) -> None:
    """Where the current stage is (a training's epoch and loss): added to its next line."""
    if _log is not None:
        _log.detail = text


def note(text: str) -> None:
    """Say now what the run decided for the user (``note: ...``), before the work it changes."""
    if _log is not None:
        with _log.lock:
            print(f"note: {text}", file=_log.stream, flush=True)


def stop(*, finished: bool = False) -> None:
    """Stop logging; ``finished``: the command succeeded, so its last long stage says how long it took."""
    global _log
    if _log is not None:
        _log.stopped.set()
        with _log.lock:
            if finished:
                _log._close()
        _log = None


__all__ = ["EVERY", "QUIET", "detail", "note", "stage", "start", "stop"]
