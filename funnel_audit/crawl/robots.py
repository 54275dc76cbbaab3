"""robots.txt: fetched once per host (RFC 9309 rules), parsed with protego.

- 2xx: parse at most 512 KiB; 4xx (but 429): no rules, everything allowed;
- 429, 5xx, unreachable: the host is disallowed for this run (and a note says so);
- up to 5 redirects are followed, each hop checked by the caller's `check_target`;
  more than 5 count as "unavailable", i.e. allow all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

from protego import Protego

from funnel_audit.crawl.fetch import Hop
from funnel_audit.crawl.urls import InvalidURLError, normalize_url

__all__ = [
    "MAX_CRAWL_DELAY",
    "ROBOTS_MAX_BYTES",
    "RobotsCache",
    "RobotsRules",
    "agent_token",
    "parse_robots",
]

ROBOTS_MAX_BYTES = 512 * 1024
MAX_REDIRECTS = 5
MAX_CRAWL_DELAY = 30.0


def agent_token(user_agent: str) -> str:
    """The product token robots.txt groups match: 'funnel-audit/0.1 (+...)' -> 'funnel-audit'."""
    token = user_agent.strip().split("/", 1)[0].split(" ", 1)[0]
    return token.lower() or "*"


@dataclass(frozen=True)
class RobotsRules:
    """The rules of one host. `parser` None means "no rules": everything allowed."""

    parser: Protego | None = None
    disallow_all: bool = False
    sitemaps: tuple[str, ...] = ()
    crawl_delay: float | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    unreachable: str | None = None  # why robots.txt could not be fetched at all (network)

    def allows(self, url: str, agent: str) -> bool:
        """Whether these rules let `agent` fetch `url`; a parser failure allows it."""
        if self.disallow_all:
            return False
        if self.parser is None:
            return True
        try:
            return bool(self.parser.can_fetch(url, agent))
        except Exception:  # noqa: BLE001 - a protego bug must not stop the crawl
            return True


def parse_robots(text: str, agent: str, origin: str) -> RobotsRules:
    """Rules from robots.txt text (never raises)."""
    notes: list[str] = []
    try:
        parser = Protego.parse(text)
        delay = parser.crawl_delay(agent)
        sitemaps = tuple(parser.sitemaps)
    except Exception as exc:  # noqa: BLE001
        return RobotsRules(
            notes=(
                f"robots.txt of {origin} unreadable ({type(exc).__name__}): crawling without rules",
            )
        )
    if delay is not None:
        delay = max(0.0, float(delay))
        if delay > MAX_CRAWL_DELAY:
            notes.append(
                f"robots.txt of {origin} asks Crawl-delay {delay:g}s; using {MAX_CRAWL_DELAY:g}s"
            )
            delay = MAX_CRAWL_DELAY
    return RobotsRules(parser=parser, sitemaps=sitemaps, crawl_delay=delay, notes=tuple(notes))


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class RobotsCache:
    """Loads each origin's robots.txt once (thread-safe) and answers `allows(url)`.

    `get(url)` performs one request without following redirects; `check_target(url)` returns a
    reason to refuse a redirect hop (scheme, private address ...) or None.
    """

    def __init__(
        self,
        get: Callable[[str], Hop],
        user_agent: str,
        *,
        check_target: Callable[[str], str | None] | None = None,
        on_loaded: Callable[[str, RobotsRules], None] | None = None,
    ) -> None:
        self._get = get
        self.agent = agent_token(user_agent)
        self._check = check_target or (lambda url: None)
        self._on_loaded = on_loaded
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def rules(self, url: str) -> RobotsRules:
        """The robots.txt rules for `url`'s origin, fetched once per origin even when several
        threads ask at the same time."""
        origin = origin_of(url)
        with self._guard:
            if origin in self._rules:
                return self._rules[origin]
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:
            with self._guard:
                if origin in self._rules:
                    return self._rules[origin]
            rules = self._load(origin)
            with self._guard:
                self._rules[origin] = rules
        if self._on_loaded is not None:
            self._on_loaded(origin, rules)
        return rules

    def allows(self, url: str) -> bool:
        """Whether our user agent may fetch `url`."""
        return self.rules(url).allows(url, self.agent)

    def _load(self, origin: str) -> RobotsRules:
        url = origin + "/robots.txt"
        for _ in range(MAX_REDIRECTS + 1):
            hop = self._get(url)
            status = hop.status
            if status is None:
                reason = hop.error or "no response"
                return replace(self._disallowed(origin, reason), unreachable=reason)
            if 200 <= status < 300:
                text = (hop.body or b"").decode("utf-8", "replace").lstrip("\ufeff")
                return parse_robots(text, self.agent, origin)
            if 300 <= status < 400:
                target = self._redirect_target(url, hop)
                if target is None:
                    return RobotsRules(
                        notes=(
                            f"robots.txt of {origin} redirects nowhere usable: "
                            "crawling without rules",
                        )
                    )
                url = target
                continue
            if status == 429 or status >= 500:
                return self._disallowed(origin, f"HTTP {status}")
            return RobotsRules()  # 4xx: no robots.txt, everything allowed
        return RobotsRules(
            notes=(
                f"robots.txt of {origin}: more than {MAX_REDIRECTS} redirects, "
                "crawling without rules",
            )
        )

    def _redirect_target(self, url: str, hop: Hop) -> str | None:
        location = hop.headers.get("location")
        if not location:
            return None
        try:
            target = normalize_url(urljoin(url, location))
        except (InvalidURLError, ValueError):
            return None
        return None if self._check(target) else target

    @staticmethod
    def _disallowed(origin: str, reason: str) -> RobotsRules:
        note = (
            f"robots.txt unreachable ({reason}): {origin} disallowed for this run "
            "(fix the server, or crawl without robots.txt rules)"
        )
        return RobotsRules(disallow_all=True, notes=(note,))
