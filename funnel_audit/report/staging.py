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
