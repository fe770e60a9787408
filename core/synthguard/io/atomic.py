"""All-or-nothing output directories that never lose an earlier output.

The new output is written into a hidden sibling ``.NAME.tmp-*``; only when the block succeeds
does it take the target's place:

* a new target: one ``rename`` (atomic);
* an existing target (``overwrite=True``): ``renameat2(RENAME_EXCHANGE)`` swaps the two in one
  step, so ``NAME`` always holds a complete output (the old until the swap, the new after it);
  where the kernel or file system lacks it, a two-step rename with ``.NAME.old-*`` kept until the
  new one is in place (and put back by the next run if the process died in between).

Writers of the same parent folder take turns (``flock`` on that folder), so two runs to the same
``--out`` never interleave. Under the lock, leftovers of an interrupted run (``kill -9``, power
loss) are cleaned up and reported on stderr: a ``.NAME.old-*`` whose target is missing is put
back, other ``.NAME.tmp-*`` / ``.NAME.old-*`` siblings are removed. SIGTERM during writing is
turned into an exception so the temporary sibling is removed before the process exits.
"""

from __future__ import annotations

import ctypes
import errno
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import OutputError

#: Tests only: pause (and say so on stderr) at this named point, so a test can kill the process there.
PAUSE_ENV = "SYNTHGUARD_TEST_PAUSE_AT"
#: Tests only: use the two-step replacement even where ``renameat2`` works.
NO_EXCHANGE_ENV = "SYNTHGUARD_TEST_NO_RENAME_EXCHANGE"

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def pause_point(name: str) -> None:
    """Where a test may stop this process (``SYNTHGUARD_TEST_PAUSE_AT=name``); does nothing otherwise."""
    if os.environ.get(PAUSE_ENV) == name:
        sys.stderr.write(f"paused at {name}\n")
        sys.stderr.flush()
        time.sleep(120)


def check_writable_target(path: str | Path, overwrite: bool) -> Path:
    """Fail early (before any training) if ``path`` cannot receive output; recover an interrupted earlier run."""
    path = Path(path)
    parent = path.absolute().parent
    if parent.is_dir():
        with _locked(parent):
            recover(path)
    return _check(path, overwrite)


def _check(path: Path, overwrite: bool) -> Path:
    parent = path.absolute().parent
    if path.exists() and not path.is_dir():
        raise OutputError(f"output {str(path)!r} is a file: expected a directory path")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise OutputError(f"output directory {str(path)!r} is not empty: choose another or pass --overwrite")
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK) or (probe.exists() and not probe.is_dir()):
        raise OutputError(f"output directory {str(path)!r} cannot be created: {str(probe)!r} is not writable")
    return path


def recover(path: Path) -> list[str]:
    """Undo what an interrupted run left beside ``path`` (call with the parent's lock held); says what it did."""
    parent, name = path.absolute().parent, path.name
    done = []
    olds = sorted(parent.glob(f".{name}.old-*"))
    if olds and not path.exists():  # died between the two renames of the fallback: the old output goes back
        olds[0].rename(path)
        done.append(f"restored the earlier output {str(path)!r} from {olds[0].name} (an interrupted run moved it aside)")
        olds = olds[1:]
    for left in [*olds, *sorted(parent.glob(f".{name}.tmp-*"))]:
        shutil.rmtree(left, ignore_errors=True)
        done.append(f"removed {left.name}, left beside {str(path)!r} by an interrupted run")
    for line in done:
        sys.stderr.write(f"note: {line}\n")
    return done


@contextmanager
def atomic_directory(path: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary directory that becomes ``path`` when the block exits cleanly."""
    path = Path(path)
    try:
        path.absolute().parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(f"output directory {str(path)!r} cannot be created: {err.strerror}") from None
    parent = path.absolute().parent
    with _locked(parent), _sigterm_raises():
        recover(path)
        _check(path, overwrite)  # again: another run may have written it while this one waited
        try:
            tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=parent))
            umask = os.umask(0)
            os.umask(umask)
            tmp.chmod(0o777 & ~umask)  # mkdtemp makes 0700; the result should look like any directory
        except OSError as err:
            raise OutputError(f"output directory {str(path)!r} cannot be created: {err.strerror}") from None
        old: Path | None = None
        swapped = False
        try:
            yield tmp
            pause_point("before-swap")
            with _sigterm_deferred():  # a SIGTERM now is delivered once the swap is complete
                old = _replace(tmp, path.absolute())
                swapped = True
            if old is not None:
                pause_point("after-swap")
        except BaseException as err:
            leftover = old if swapped else tmp  # after the swap only the replaced output is left to remove
            if leftover is not None:
                shutil.rmtree(leftover, ignore_errors=True)
            if isinstance(err, Terminated):
                done = "the new output is complete" if swapped else "nothing written"
                sys.stderr.write(f"terminated (SIGTERM): {done} at {str(path)!r}\n")
                raise SystemExit(128 + signal.SIGTERM) from None
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


def _replace(tmp: Path, path: Path) -> Path | None:
    """Put ``tmp`` at ``path``; returns where the replaced output now is (to delete), or None."""
    if not path.exists():
        os.rename(tmp, path)
        return None
    if _exchange(tmp, path):
        return tmp  # tmp now holds the old output
    backup = path.with_name(f".{path.name}.old-{os.getpid()}")
    os.rename(path, backup)
    try:
        pause_point("between-renames")
        os.rename(tmp, path)
    except BaseException:
        os.rename(backup, path)
        raise
    return backup


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically with ``renameat2(RENAME_EXCHANGE)``; False where that is not available."""
    if os.environ.get(NO_EXCHANGE_ENV) or not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):  # glibc before 2.28, musl without it
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):  # this file system cannot exchange
        return False
    raise OSError(err, os.strerror(err), str(b))


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``folder`` (waiting for another writer, and saying so)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - no flock (Windows): runs are not serialised
        yield
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # an unreadable folder: no lock to take (writing there fails with its own error)
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            sys.stderr.write(f"waiting for another synthguard run writing in {str(folder)!r}...\n")
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


class Terminated(BaseException):
    """SIGTERM arrived while an output was being written (raised so the temporary output is removed)."""


def _raise_terminated(signum, frame):
    raise Terminated("terminated (SIGTERM) while writing output")


@contextmanager
def _sigterm_raises() -> Iterator[None]:
    """Within the block SIGTERM raises :class:`Terminated` (main thread only), so cleanup runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@contextmanager
def _sigterm_deferred() -> Iterator[None]:
    """Hold SIGTERM back during the swap (delivered right after it), so a swap is never cut in half."""
    if not hasattr(signal, "pthread_sigmask"):  # pragma: no cover
        yield
        return
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
