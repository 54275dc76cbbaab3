"""Shared fixtures: an isolated cache and history per test session, the trained model, and a real
HTTP server on 127.0.0.1 serving a folder."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

# the `site` and `raw_server` test servers; a throwaway PostgreSQL and the `db` fixture that runs
# a history test once on SQLite and once on PostgreSQL; a throwaway Redis for the distributed mode
pytest_plugins = ("tests.crawl_fixtures", "tests.pg_server", "tests.redis_server")

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_sites"


@pytest.fixture(scope="session", autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    base = tmp_path_factory.mktemp("home")
    # a developer's own FUNNEL_AUDIT_* settings or ~/.config/funnel-audit/funnel-audit.toml must
    # never reach the tests: every setting comes from the tests themselves
    mine = [k for k in os.environ if k.startswith("FUNNEL_AUDIT_")]
    old = {k: os.environ.get(k) for k in {*mine, "FUNNEL_AUDIT_CACHE", "FUNNEL_AUDIT_DB"}}
    old["XDG_CONFIG_HOME"] = os.environ.get("XDG_CONFIG_HOME")
    for key in mine:
        del os.environ[key]
    os.environ["XDG_CONFIG_HOME"] = str(base / "config")
    os.environ["FUNNEL_AUDIT_CACHE"] = str(base / "cache")
    os.environ["FUNNEL_AUDIT_DB"] = str(base / "history.sqlite3")
    # Load (or, where the packaged model does not fit, train) the model before any test runs, so
    # a CLI subprocess with its own timeout never pays for training (half a minute on 2 cores).
    from funnel_audit.classify.store import default_model

    default_model()
    yield
    for key, value in old.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def model(_isolated_home: None):  # type: ignore[no-untyped-def]
    from funnel_audit.classify.store import default_model

    return default_model()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def serve_folder() -> Iterator[Callable[[Path], str]]:
    """Serve a folder over real HTTP on 127.0.0.1; returns its base URL; stopped afterwards."""
    servers: list[ThreadingHTTPServer] = []

    def start(folder: Path) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
