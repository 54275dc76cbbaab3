"""Check a model file's container before NumPy loads it: a zip of `.npy` members whose headers
declare plain arrays of a bounded size, so a small hostile file that declares a huge array is
refused without allocating it."""

from __future__ import annotations

import math
import zipfile
from pathlib import Path

import numpy as np

from funnel_audit.errors import ModelError

MAX_MODEL_BYTES = 512 * 1024 * 1024  # all arrays together, as declared (the shipped: ~3 MB)
MAX_MEMBERS = 64


def check_model_file(path: Path) -> None:
    """Refuse (ModelError, one line) a file that is not a zip of plain `.npy` arrays whose
    declared sizes stay under MAX_MODEL_BYTES. Reads only the headers."""
    if not path.exists():
        raise ModelError(f"model file not found: {path}")
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if not members or len(members) > MAX_MEMBERS:
                raise ModelError(f"{path} is not a funnel-audit model file (wrong member count)")
            total = sum(_declared_bytes(archive, info) for info in members)
    except ModelError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise ModelError(f"{path} is not a funnel-audit model file ({_one_line(exc)})") from exc
    if total > MAX_MODEL_BYTES:
        raise ModelError(
            f"{path}: model arrays declare {total:,} bytes, more than the "
            f"{MAX_MODEL_BYTES:,} allowed; refusing it"
        )


def _declared_bytes(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    if not info.filename.endswith(".npy"):
        raise ValueError(f"unexpected member {info.filename[:80]!r}")
    with archive.open(info) as member:
        major, _ = np.lib.format.read_magic(member)
        if major == 1:
            shape, _, dtype = np.lib.format.read_array_header_1_0(member)
        elif major == 2:
            shape, _, dtype = np.lib.format.read_array_header_2_0(member)
        else:
            raise ValueError(f"unsupported .npy version {major}")
    if dtype.hasobject:
        raise ValueError(f"member {info.filename[:80]!r} holds Python objects")
    return math.prod(shape) * dtype.itemsize


def _one_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return "".join(c if c.isprintable() else "?" for c in text)[:200]
