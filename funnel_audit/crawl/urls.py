"""URL normalisation, site scope and address checks.

`normalize_url` is the single identity of a page: two spellings of the same resource normalise to
the same string. It raises `InvalidURLError` (a `ValueError`) for anything that is not a usable
absolute http(s) URL, and never raises anything else, whatever text it is given.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import string
from collections import Counter
from urllib.parse import SplitResult, urljoin, urlsplit

__all__ = [
    "InvalidURLError",
    "SiteScope",
    "dedup_key",
    "host_is_public",
    "is_http_url",
    "is_public_host",
    "normalize_url",
    "path_pattern",
    "resolve_link",
    "same_site",
    "site_key",
    "strip_userinfo",
    "trap_prone",
    "looks_like_trap",
]

DEFAULT_PORTS = {"http": 80, "https": 443}
UNRESERVED = frozenset(string.ascii_letters + string.digits + "-._~")
HEXDIGITS = frozenset(string.hexdigits)
# Characters kept literally (never percent-encoded) in one path segment / query key or value.
PATH_SAFE = frozenset("!$&'()*+,;=:@")
QUERY_SAFE = frozenset("!$'()*+,;:@/?")
HOST_CHARS = frozenset(string.ascii_lowercase + string.digits + "-_.")

# Query keys (compared lower-case) that only track visitors or sessions; dropped from URLs.
TRACKING_PARAMS = frozenset(
    {
        "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "fbclid", "msclkid", "yclid", "twclid",
        "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "jsessionid",
        "phpsessid", "sid", "sessionid", "session_id", "aspsessionid", "cfid", "cftoken",
        "oly_anon_id", "oly_enc_id", "vero_id", "srsltid",
    }
)  # fmt: skip
TRACKING_PREFIXES = ("utm_",)
_PATH_SESSION = re.compile(r";(?:jsessionid|phpsessid|sessionid)=[^;/]*", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_DROP_WHITESPACE = str.maketrans("", "", "\t\n\r")
_C0_AND_SPACE = "".join(chr(code) for code in range(0x21))


class InvalidURLError(ValueError):
    """Raised by `normalize_url` for text that is not a usable absolute http(s) URL."""


def _encode_char(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode("utf-8", "surrogatepass"))


def _normalize_part(text: str, safe: frozenset[str]) -> str:
    """Percent-encoding normal form: decode unreserved escapes, upper-case the others, encode
    every character that may not appear literally. Idempotent by construction."""
    out: list[str] = []
    i, size = 0, len(text)
    while i < size:
        char = text[i]
        if char == "%":
            hexpair = text[i + 1 : i + 3]
            if len(hexpair) == 2 and hexpair[0] in HEXDIGITS and hexpair[1] in HEXDIGITS:
                decoded = chr(int(hexpair, 16))
                out.append(decoded if decoded in UNRESERVED else "%" + hexpair.upper())
                i += 3
                continue
            out.append("%25")
        elif char in UNRESERVED or char in safe:
            out.append(char)
        else:
            out.append(_encode_char(char))
        i += 1
    return "".join(out)


def _remove_dot_segments(segments: list[str]) -> list[str]:
    out: list[str] = []
    for segment in segments:
        if segment == "..":
            if out:
                out.pop()
        elif segment != ".":
            out.append(segment)
    if segments and segments[-1] in (".", ".."):
        out.append("")  # "/a/b/.." is the directory "/a/"
    return out


def _normalize_path(path: str) -> str:
    path = _PATH_SESSION.sub("", path)
    segments = [_normalize_part(seg, PATH_SAFE) for seg in path.split("/")]
    if segments and segments[0] == "":
        segments = segments[1:]
    return "/" + "/".join(_remove_dot_segments(segments))


def _is_tracking(key: str) -> bool:
    plain = _normalize_part(key, frozenset()).lower()
    return plain in TRACKING_PARAMS or plain.startswith(TRACKING_PREFIXES)


def _normalize_query(query: str) -> str:
    pairs: list[str] = []
    for pair in query.split("&"):
        if not pair:
            continue
        key, sep, value = pair.partition("=")
        if _is_tracking(key):
            continue
        norm_value = _normalize_part(value, QUERY_SAFE) if sep else ""
        pairs.append(_normalize_part(key, QUERY_SAFE) + sep + norm_value)
    pairs.sort()
    return "&".join(pairs)


def _normalize_host(parts: SplitResult) -> str:
    host = parts.hostname
    if not host:
        raise InvalidURLError("URL has no host")
    if "[" in parts.netloc.rpartition("@")[2]:
        try:
            return "[" + ipaddress.IPv6Address(host).compressed + "]"
        except ValueError as exc:
            raise InvalidURLError(f"invalid IPv6 host: {host[:80]!r}") from exc
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError as exc:
            raise InvalidURLError(f"invalid international host name: {host[:80]!r}") from exc
    host = host.lower().rstrip(".")
    if not host or len(host) > 253 or not set(host) <= HOST_CHARS:
        raise InvalidURLError(f"invalid host name: {host[:80]!r}")
    if any(not label or len(label) > 63 for label in host.split(".")):
        raise InvalidURLError(f"invalid host name: {host[:80]!r}")
    return host


def strip_userinfo(url: str) -> str:
    """`url` without its `user:password@` part (a raw string, not yet validated): credentials
    never reach a report, the history or a printed line."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    at = rest.rfind("@", 0, end)
    return url if at < 0 else f"{scheme}://{rest[at + 1 :]}"


def normalize_url(url: str) -> str:
    """Return the canonical form of an absolute http(s) URL.

    Lower-cases scheme and host (IDNA to punycode), drops user info, default ports and the
    fragment, resolves dot segments, normalises percent-encoding, strips `;jsessionid=` path
    parameters and tracking/session query parameters, and sorts the query.
    Raises `InvalidURLError` for anything that is not a usable http(s) URL.
    """
    if not isinstance(url, str):
        raise InvalidURLError("URL must be text")
    text = url.translate(_DROP_WHITESPACE).strip(_C0_AND_SPACE)
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme not in DEFAULT_PORTS:
            raise InvalidURLError(f"not an http(s) URL: {url[:80]!r}")
        host = _normalize_host(parts)
        port = parts.port
    except InvalidURLError:
        raise
    except (ValueError, UnicodeError) as exc:
        raise InvalidURLError(f"invalid URL {url[:80]!r}: {exc}") from exc
    if port == 0:
        raise InvalidURLError(f"invalid port in {url[:80]!r}")
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    path = _normalize_path(parts.path or "/")
    query = _normalize_query(parts.query)
    return f"{scheme}://{netloc}{path}" + (f"?{query}" if query else "")


def dedup_key(url: str) -> str:
    """Identity for de-duplication: `/a` and `/a/` are the same page (url must be normalised)."""
    head, sep, query = url.partition("?")
    scheme_end = head.find("://") + 3
    path_start = head.find("/", scheme_end)
    if path_start != -1 and len(head) - path_start > 1 and head.endswith("/"):
        head = head[:-1]
    return head + sep + query


def is_http_url(url: str) -> bool:
    """True when `url` is an absolute http(s) URL with a valid host."""
    try:
        normalize_url(url)
    except InvalidURLError:
        return False
    return True


def resolve_link(base: str, href: str) -> str:
    """Resolve `href` against `base` and normalise; raises `InvalidURLError` when unusable."""
    if not isinstance(href, str):
        raise InvalidURLError("link must be text")
    href = href.strip()
    if not href or href.startswith("#"):
        raise InvalidURLError("empty or fragment-only link")
    try:
        return normalize_url(urljoin(base, href))
    except ValueError as exc:
        raise InvalidURLError(str(exc)) from exc


class SiteScope:
    """Fast membership test for one site: the start URL's host (any scheme; same port unless
    both are default ports), plus the hosts under it with `include_subdomains` - a leading
    `www.` of the start host is ignored for that, so `blog.example.com` is in scope of
    `www.example.com`. Expects normalised URLs for speed; anything unparseable is out."""

    def __init__(self, start: str, include_subdomains: bool = False) -> None:
        parts = urlsplit(normalize_url(start))
        self.host = parts.hostname or ""
        default = DEFAULT_PORTS[parts.scheme]
        self.port = parts.port or default
        self.default_port = self.port == default
        self.include_subdomains = include_subdomains and not _is_ip_literal(self.host)
        self.base = self.host[4:] if self.host.startswith("www.") else self.host

    def contains(self, url: str) -> bool:
        """Whether `url` is on this site (see the class docstring); never raises."""
        try:
            parts = urlsplit(url)
            scheme = parts.scheme.lower()
            host = (parts.hostname or "").rstrip(".")
            port = parts.port or DEFAULT_PORTS.get(scheme, 0)
        except ValueError:
            return False
        if scheme not in DEFAULT_PORTS or not host:
            return False
        if port != self.port and not (port == DEFAULT_PORTS[scheme] and self.default_port):
            return False
        if host == self.host:
            return True
        if not self.include_subdomains:
            return False
        return host == self.base or host.endswith("." + self.base)


def same_site(url: str, start: str, include_subdomains: bool = False) -> bool:
    """True when `url` is on the start URL's site; see `SiteScope`."""
    try:
        return SiteScope(start, include_subdomains).contains(normalize_url(url))
    except InvalidURLError:
        return False


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def address_is_public(address: str) -> bool:
    """True for a globally routable unicast address (IPv4-mapped IPv6 checked as IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0].strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not (
        ip.is_multicast or ip.is_private or ip.is_loopback or ip.is_link_local
        or ip.is_reserved or ip.is_unspecified
    )  # fmt: skip


def host_is_public(host: str) -> bool | None:
    """Whether every address `host` resolves to is public; None when it does not resolve."""
    host = host.strip("[]").rstrip(".")
    if not host:
        return None
    if _is_ip_literal(host):
        return address_is_public(host)
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError, ValueError):
        return None
    addresses = {str(info[4][0]) for info in infos}
    if not addresses:
        return None
    return all(address_is_public(address) for address in addresses)


def is_public_host(host: str) -> bool:
    """True when `host` (name or IP literal) resolves only to public addresses.

    Loopback, private, link-local, reserved, multicast and unspecified addresses are not public,
    IPv4-mapped IPv6 included. An unresolvable name is reported as not public.
    """
    return host_is_public(host) is True


def site_key(url: str) -> str:
    """A file-name-safe name for the site of `url`, e.g. `example.com` or `127.0.0.1_8080`."""
    try:
        parts = urlsplit(normalize_url(url))
        port = parts.port
    except ValueError:
        return "site"
    host = (parts.hostname or "site").replace(":", "-")
    return f"{host}_{port}" if port else host


def path_pattern(url: str) -> str:
    """The shape of a URL for crawl-trap budgets: digits become `#`, query values are dropped."""
    parts = urlsplit(url)
    keys = sorted({pair.partition("=")[0] for pair in parts.query.split("&") if pair})
    shape = _DIGITS.sub("#", parts.path)
    return f"{parts.netloc}{shape}" + ("?" + "&".join(keys) if keys else "")


def trap_prone(pattern: str) -> bool:
    """Patterns that can generate endless URLs: two or more number groups (calendars, dates)
    or two or more query keys (facets, sort orders). `/product/#` or `?p=#` are not."""
    path, _, keys = pattern.partition("?")
    return path.count("#") >= 2 or keys.count("&") >= 1


def looks_like_trap(url: str, max_segments: int = 40, max_repeats: int = 3) -> bool:
    """True for paths that are almost surely generated loops: very deep, or one segment
    repeated more than `max_repeats` times (e.g. `/a/b/a/b/a/b/a/b`)."""
    segments = [seg for seg in urlsplit(url).path.split("/") if seg]
    if len(segments) > max_segments:
        return True
    counts = Counter(segments)
    return bool(counts) and max(counts.values()) > max_repeats


_INDEX_NAMES = ("index.html", "index.htm", "index.php")


def page_key(url: str) -> str:
    """One identity for `/blog/`, `/blog` and `/blog/index.html`."""
    try:
        url = normalize_url(url)
    except InvalidURLError:
        return url
    head, sep, query = url.partition("?")
    for name in _INDEX_NAMES:
        if head.endswith("/" + name):
            head = head[: -len(name)]
    return dedup_key(head + sep + query)
