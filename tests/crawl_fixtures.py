"""Pytest fixtures for the crawler tests; load with `pytest_plugins = ("tests.crawl_fixtures",)`."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.servers import Behaviour, RawServer, SiteServer


@pytest.fixture
def site() -> Iterator[SiteServer]:
    server = SiteServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def raw_server() -> Iterator[Callable[[Behaviour], RawServer]]:
    servers: list[RawServer] = []

    def start(behaviour: Behaviour) -> RawServer:
        server = RawServer(behaviour)
        servers.append(server)
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()
