"""Per-site locks beside the history database, so two runs never audit one site at once.

`flock` on `<db>.locks/<site>.lock`: the kernel drops a lock when its holder exits, even after a
crash, so a killed run never leaves a site locked. Each database has its own lock folder, so two
history databases never block each other.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path


def lock_dir_for(db_path: Path) -> Path:
    """Per-database lock folder, so two history databases never block each other."""
    return db_path.with_name(db_path.name + ".locks")


@contextlib.contextmanager
def site_lock(lock_dir: Path, name: str) -> Iterator[bool]:
    """Hold `<name>.lock` exclusively; yields False at once if another run holds it.

    The file is never deleted (deleting a lock file races with a waiting opener); the kernel
    drops the lock when its holder exits, even after a crash.
    """
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / f"{name}.lock", "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            handle.truncate(0)
            handle.write(f"{os.getpid()}\n")
            handle.flush()
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def is_locked(lock_dir: Path, name: str) -> bool:
    """True while some run holds the site's lock (for `schedule show`)."""
    if not (lock_dir / f"{name}.lock").exists():
        return False
    with site_lock(lock_dir, name) as got:
        return not got
