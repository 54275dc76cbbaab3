"""Write an audit's outputs so that a failed run never leaves a half-written or mixed set.

Every file is written into a temporary folder inside the output folder first; only when all of
them are written is each renamed over its old version (one filesystem, so each rename is
atomic). A full disk, a failing template or an interrupt leaves the previous outputs whole. A
run killed outright (SIGKILL, a machine lost) cannot remove its temporary folder; the next
write into the same folder removes any that is over an hour old (writing takes seconds).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

STAGE_PREFIX = ".funnel-audit-writing-"
STALE_SECONDS = 3600.0


def sweep_stale_stages(out_dir: Path, now: float | None = None) -> None:
    """Remove the temporary folders killed runs left in `out_dir` (over an hour old)."""
    now = time.time() if now is None else now
    with contextlib.suppress(OSError):
        for entry in out_dir.iterdir():
            if not entry.name.startswith(STAGE_PREFIX):
                continue
            with contextlib.suppress(OSError):
                info = entry.lstat()  # a link is never followed
                if stat.S_ISDIR(info.st_mode) and now - info.st_mtime > STALE_SECONDS:
                    shutil.rmtree(entry, ignore_errors=True)


@contextmanager
def staged_outputs(out_dir: Path) -> Iterator[Path]:
    """A folder to write every output into; its files replace the old ones on success."""
    sweep_stale_stages(out_dir)
    stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=out_dir))
    try:
        yield stage
        for item in sorted(stage.iterdir()):
            os.replace(item, out_dir / item.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def write_file_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    """Write one file through a temporary file beside it, renamed over it once whole, with
    `mode` set before the rename: a reader sees the old file or the new one, never half of one,
    and a secret is never readable by others, not even for a moment. Raises OSError."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            os.fchmod(out.fileno(), mode)
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
