"""Write an audit's outputs so that a failed run never leaves a half-written or mixed set.

Every file is written into a temporary folder inside the output folder first; only when all of
them are written is each renamed over its old version (one filesystem, so each rename is
atomic). A full disk, a failing template or an interrupt leaves the previous outputs whole.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def staged_outputs(out_dir: Path) -> Iterator[Path]:
    """A folder to write every output into; its files replace the old ones on success."""
    stage = Path(tempfile.mkdtemp(prefix=".funnel-audit-writing-", dir=out_dir))
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
