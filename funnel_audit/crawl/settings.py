"""How a crawl behaves: limits, politeness and scope, with their checks.

The user-facing ones take their defaults from the settings table (`funnel_audit/settings.py`);
the rest are internal bounds against hostile sites.
"""

from __future__ import annotations

from dataclasses import dataclass

from funnel_audit.errors import InputError
from funnel_audit.settings import DEFAULT_USER_AGENT, default

__all__ = ["DEFAULT_USER_AGENT", "CrawlSettings"]


@dataclass(frozen=True)
class CrawlSettings:
    """A crawl's limits, politeness and scope; checked when made."""

    max_pages: int = default("max_pages")
    max_depth: int = default("max_depth")
    concurrency: int = default("concurrency")
    delay: float = default("delay")  # per-host seconds between requests (max'd with Crawl-delay)
    timeout: float = default("timeout")  # TOTAL deadline per request (not per read)
    user_agent: str = DEFAULT_USER_AGENT
    allow_private: bool = default("allow_private")  # implied when the start URL is private
    include_subdomains: bool = default("include_subdomains")
    include: tuple[str, ...] = default("include")  # regexes a URL must match (any) to be followed
    exclude: tuple[str, ...] = default("exclude")  # regexes that drop a URL
    max_bytes: int = 5_000_000  # decoded body cap
    max_redirects: int = 10
    max_url_length: int = 2000
    max_links_per_page: int = 2000
    retries: int = 2
    respect_robots: bool = not default("ignore_robots")
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
        """Pages allowed per trap-prone URL pattern."""
        return self.trap_budget or max(25, self.max_pages // 10)
