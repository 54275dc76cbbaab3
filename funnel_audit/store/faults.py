"""How the store tells what went wrong: plain words for a read-only place, a damaged row."""

from __future__ import annotations

import os
from pathlib import Path


def cannot_open(path: Path, exc: BaseException) -> str:
    """Why the database cannot be opened, saying so plainly for a read-only place or a full
    disk."""
    folder = path.parent
    read_only = (folder.is_dir() and not os.access(folder, os.W_OK)) or (
        path.exists() and not os.access(path, os.W_OK)
    )
    if read_only or "readonly" in str(exc).lower():
        return (
            f"cannot open history database {path}: its file or folder is read-only "
            "(use --db with a writable file, or --no-history)"
        )
    lowered = str(exc).lower()
    if "disk is full" in lowered or "no space" in lowered:  # a new file's schema did not fit
        return (
            f"cannot open history database {path}: no space left (the disk is full); free some "
            "space, or use --db elsewhere"
        )
    return f"cannot open history database {path}: {exc}"
