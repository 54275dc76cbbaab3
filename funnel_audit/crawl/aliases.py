"""Other names of the audited site: hosts (with an optional path prefix) whose links are links
within the site, so the crawl follows them and the link analysis counts them as internal.

`--alias-host` names them; `analyse.linkmap` also finds the live host a staging copy or a folder
names as its own (canonical, og:url, <base href>).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from funnel_audit.crawl.urls import InvalidURLError, normalize_url
from funnel_audit.errors import InputError

_INDEX_NAMES = ("index.html", "index.htm", "index.php")


@dataclass(frozen=True, slots=True, order=True)
class Alias:
    """Another name of the audited site: links to `host` (any port, any scheme) under `prefix`
    ("" or e.g. "/project") are links to the audited origin."""

    host: str
    prefix: str = ""

    def __str__(self) -> str:
        return self.host + self.prefix


def hostname(url: str) -> str | None:
    """Lower-case host of an absolute http(s) URL, or None; never raises."""
    if not isinstance(url, str) or not url[:8].lower().startswith(("http://", "https://")):
        return None
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.rstrip(".") if host else None


def parse_alias(text: str) -> Alias:
    """`--alias-host` text: `www.client.com`, `client.com:8443` or `https://client.com/shop/`.
    Raises InputError (one line) for anything that is not a host name."""
    raw = text.strip()
    spec = raw if "://" in raw else "http://" + raw
    try:
        normal = normalize_url(spec)
    except InvalidURLError as exc:
        raise InputError(
            f"bad --alias-host {raw[:80]!r}: {exc} (give a host name such as www.example.com)"
        ) from None
    parts = urlsplit(normal)
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise InputError(f"bad --alias-host {raw[:80]!r}: no host name")
    return Alias(host, _prefix(parts.path))


def _prefix(path: str) -> str:
    """A path prefix as stored in an Alias: no trailing slash, "" for the root."""
    segments = [s for s in path.split("/") if s]
    if segments and segments[-1].lower() in _INDEX_NAMES:
        segments.pop()
    return "/" + "/".join(segments) if segments else ""


def rewrite(url: str, origin: str, aliases: Sequence[Alias]) -> str:
    """`url` moved onto `origin` ("scheme://netloc") when it is on an alias host under the
    alias's prefix; otherwise `url` unchanged. Never raises; idempotent as long as no alias
    names the origin's own host (`LinkMapper` makes sure of that)."""
    if not aliases:
        return url
    host = hostname(url)
    if host is None:
        return url
    for alias in aliases:
        if alias.host != host:
            continue
        try:
            parts = urlsplit(url)
        except ValueError:
            return url
        path = parts.path or "/"
        if alias.prefix:
            if path != alias.prefix and not path.startswith(alias.prefix + "/"):
                continue
            path = path[len(alias.prefix) :] or "/"
        if not path.startswith("/"):
            path = "/" + path
        query = f"?{parts.query}" if parts.query else ""
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        return origin + path + query + fragment
    return url
