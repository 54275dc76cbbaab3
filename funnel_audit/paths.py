r"""Where funnel-audit keeps what outlasts a run: the history database and the model cache.

platformdirs knows each platform's folders, so they are not built by hand: on Linux
`~/.local/share/funnel-audit` and `~/.cache/funnel-audit` (an absolute `$XDG_DATA_HOME` /
`$XDG_CACHE_HOME` wins), on macOS `~/Library/Application Support/funnel-audit` and
`~/Library/Caches/funnel-audit`, on Windows `%LOCALAPPDATA%\funnel-audit` and its `Cache`
subfolder. `FUNNEL_AUDIT_DB` and `FUNNEL_AUDIT_CACHE` name other places (tests and CI set them);
an empty one counts as unset. Nothing here creates a folder: whoever writes there does.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP = "funnel-audit"
DB_VAR = "FUNNEL_AUDIT_DB"
CACHE_VAR = "FUNNEL_AUDIT_CACHE"
DB_FILE = "history.sqlite3"


def data_dir() -> Path:
    """The user's data folder for funnel-audit (no vendor folder above it on Windows)."""
    return platformdirs.user_data_path(APP, appauthor=False)


def cache_dir() -> Path:
    """`$FUNNEL_AUDIT_CACHE`, else the user's cache folder for funnel-audit."""
    return _from_env(CACHE_VAR) or platformdirs.user_cache_path(APP, appauthor=False)


def db_path() -> Path:
    """`$FUNNEL_AUDIT_DB`, else `history.sqlite3` in the user's data folder."""
    return _from_env(DB_VAR) or data_dir() / DB_FILE


def _from_env(var: str) -> Path | None:
    value = os.environ.get(var)
    return Path(value) if value else None
