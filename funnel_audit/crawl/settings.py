"""How a crawl behaves: limits, politeness and scope, with their defaults and checks."""

from __future__ import annotations

from dataclasses import dataclass

from funnel_audit import __version__
from funnel_audit.errors import InputError

DEFAULT_USER_AGENT = f"funnel-audit/{__version__} (+https://github.com/funnel-audit/funnel-audit)"


@dataclass(frozen=True)
class CrawlSettings:
    max_pages: int = 500
    max_depth: int = 10
    concurrency: int = 8
    delay: float = 0.0  # per-host seconds between requests (max'd with robots Crawl-delay)
    timeout: float = 20.0  # TOTAL deadline per request (not per read)
    user_agent: str = DEFAULT_USER_AGENT
    allow_private: bool = False  # implied True when the start URL itself is loopback/private
    include_subdomains: bool = False
    include: tuple[str, ...] = ()  # regexes a URL must match (any) to be followed
    exclude: tuple[str, ...] = ()  # regexes that drop a URL
    max_bytes: int = 5_000_000  # decoded body cap
    max_redirects: int = 10
    max_url_length: int = 2000
    max_links_per_page: int = 2000
    retries: int = 2
    respect_robots: bool = True
    use_sitemaps: bool = True
    # Pages per trap-prone URL pattern (2+ number groups or 2+ query keys, e.g. calendars and
    # facets); 0 = auto: max(25, max_pages // 10).
    trap_budget: int = 0

    def __post_init__(self) -> None:
        for name in ("max_pages", "concurrency", "max_bytes", "max_url_length"):
            if getattr(self, name) < 1:
                raise InputError(f"crawl setting {name} must be at least 1")
        for name in ("max_depth", "max_redirects", "max_links_per_page", "retries", "trap_budget"):
            if getattr(self, name) < 0:
                raise InputError(f"crawl setting {name} must not be negative")
        if self.timeout <= 0 or self.delay < 0:
            raise InputError("crawl settings need timeout > 0 and delay >= 0")

    @property
    def pages_per_pattern(self) -> int:
        return self.trap_budget or max(25, self.max_pages // 10)
