"""All-or-nothing output directories.

Files are written into a hidden temporary sibling of the target; only when the
block succeeds is it renamed into place. A failure leaves no partial output, and
an existing directory is replaced only with ``overwrite=True`` (and only after the
new one is complete), so a failed run never loses earlier results.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from ..errors import OutputError


def check_writable_target(path: str | Path, overwrite: bool) -> Path:
    """Fail early (before any training) if ``path`` cannot receive output."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"output {str(path)!r} is a file: expected a directory path")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise OutputError(f"output directory {str(path)!r} is not empty: choose another or pass --overwrite")
    parent = path.absolute().parent
    probe = parent
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK) or (probe.exists() and not probe.is_dir()):
        raise OutputError(f"output directory {str(path)!r} cannot be created: {str(probe)!r} is not writable")
    return path


@contextmanager
def atomic_directory(path: str | Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary directory that becomes ``path`` when the block exits cleanly."""
    path = check_writable_target(path, overwrite)
    try:
        path.absolute().parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp-", dir=path.absolute().parent))
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # mkdtemp makes 0700; the result should look like any directory
    except OSError as err:
        raise OutputError(f"output directory {str(path)!r} cannot be created: {err.strerror}") from None
    try:
        yield tmp
        backup = None
        if path.exists():
            backup = path.with_name(f".{path.name}.old-{os.getpid()}")
            path.rename(backup)
        tmp.rename(path)
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
