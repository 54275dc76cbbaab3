"""XML sitemaps and sitemap indexes: safe parsing, bounded gunzip, cycle-safe traversal.

XML is parsed with defusedxml with DTDs forbidden, so no entity expansion (billion laughs) and no
external references (XXE) can happen. Plain-text sitemaps (one URL per line) are read too.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree as SafeET

from funnel_audit.crawl.urls import InvalidURLError, normalize_url

__all__ = [
    "MAX_SITEMAP_BYTES",
    "SitemapError",
    "SitemapFetch",
    "collect_sitemap_urls",
    "gunzip_bounded",
    "parse_sitemap",
]

MAX_SITEMAP_BYTES = 50 * 1024 * 1024  # the sitemaps.org limit, uncompressed
MAX_URLS_PER_FILE = 50_000
MAX_SITEMAP_FILES = 200
MAX_NESTING = 5
MAX_TOTAL_URLS = 50_000

# Fetch a sitemap URL: returns (body, None) or (None, short error). Redirects are the caller's job.
SitemapFetch = Callable[[str], tuple[bytes | None, str | None]]


class SitemapError(ValueError):
    """A sitemap that cannot be read: malformed XML, refused DTD/entities, gzip too large."""


@dataclass(frozen=True, slots=True)
class ParsedSitemap:
    kind: str  # "urlset", "index" or "text"
    urls: tuple[tuple[str, str | None], ...]  # (loc, lastmod) as written in the file
    children: tuple[str, ...]  # sitemap URLs of an index
    truncated: bool = False


def gunzip_bounded(data: bytes, limit: int = MAX_SITEMAP_BYTES) -> bytes:
    """Decompress gzip data, refusing output larger than `limit` (gzip bombs)."""
    inflater = zlib.decompressobj(wbits=47)  # gzip or zlib header
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise SitemapError(f"bad gzip data ({exc})") from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise SitemapError(f"decompresses to more than {limit} bytes")
    return out


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1].lower() if isinstance(tag, str) else ""


def _child_text(element: Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name:
            text = (child.text or "").strip()
            return text or None
    return None


def parse_sitemap(data: bytes) -> ParsedSitemap:
    """Parse a (possibly gzipped) sitemap, index or text sitemap; raises `SitemapError`."""
    if data[:2] == b"\x1f\x8b":
        data = gunzip_bounded(data)
    stripped = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not stripped.startswith(b"<"):
        return _parse_text(stripped)
    try:
        root = SafeET.fromstring(
            stripped, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except defusedxml.DefusedXmlException as exc:
        raise SitemapError(f"refused unsafe XML ({type(exc).__name__})") from exc
    except (ParseError, ValueError, SyntaxError) as exc:
        raise SitemapError(f"malformed XML ({exc})") from exc
    kind = _local(root.tag)
    if kind == "urlset":
        urls: list[tuple[str, str | None]] = []
        for entry in root:
            if _local(entry.tag) != "url":
                continue
            loc = _child_text(entry, "loc")
            if loc:
                urls.append((loc, _child_text(entry, "lastmod")))
        return ParsedSitemap(
            "urlset", tuple(urls[:MAX_URLS_PER_FILE]), (), len(urls) > MAX_URLS_PER_FILE
        )
    if kind == "sitemapindex":
        children = [
            loc
            for entry in root
            if _local(entry.tag) == "sitemap"
            if (loc := _child_text(entry, "loc"))
        ]
        return ParsedSitemap(
            "index", (), tuple(children[:MAX_URLS_PER_FILE]), len(children) > MAX_URLS_PER_FILE
        )
    raise SitemapError(f"not a sitemap (root element <{kind or '?'}>)")


def _parse_text(data: bytes) -> ParsedSitemap:
    lines = data.decode("utf-8", "replace").splitlines()
    urls = [(line.strip(), None) for line in lines if line.strip().lower().startswith("http")]
    if not urls:
        raise SitemapError("neither XML nor a list of URLs")
    return ParsedSitemap("text", tuple(urls[:MAX_URLS_PER_FILE]), (), len(urls) > MAX_URLS_PER_FILE)


def collect_sitemap_urls(
    seeds: list[tuple[str, bool]],
    fetch: SitemapFetch,
    in_scope: Callable[[str], bool],
    notes: list[str],
    max_urls: int = MAX_TOTAL_URLS,
) -> dict[str, str | None]:
    """Walk sitemaps from `seeds` [(url, explicit)] and return {normalised page URL: lastmod}.

    `explicit` seeds (listed in robots.txt) may live off-site and are reported when missing;
    guessed ones (/sitemap.xml) are silently skipped when absent. Child sitemaps must be in scope.
    Indexes are followed (nested, cycles ignored); problems are appended to `notes`.
    """
    found: dict[str, str | None] = {}
    queue = [(url, explicit, 0) for url, explicit in seeds]
    visited: set[str] = set()
    dropped = invalid = files = 0
    while queue:
        url, explicit, level = queue.pop(0)
        try:
            url = normalize_url(url)
        except InvalidURLError:
            notes.append(f"sitemap {url[:200]} skipped: not an http(s) URL")
            continue
        if url in visited:
            continue
        visited.add(url)
        if not explicit and level > 0 and not in_scope(url):
            notes.append(f"sitemap {url} skipped: outside the site")
            continue
        if files >= MAX_SITEMAP_FILES:
            notes.append(f"sitemaps: stopped after {MAX_SITEMAP_FILES} sitemap files")
            break
        files += 1
        body, error = fetch(url)
        if body is None:
            if explicit or level > 0:
                notes.append(f"sitemap {url} unavailable: {error}")
            continue
        try:
            parsed = parse_sitemap(body)
        except SitemapError as exc:
            notes.append(f"sitemap {url} malformed: {exc}")
            continue
        if parsed.truncated:
            notes.append(
                f"sitemap {url} lists more than {MAX_URLS_PER_FILE} entries; the rest were ignored"
            )
        if parsed.kind == "index":
            if level >= MAX_NESTING:
                notes.append(f"sitemap index {url} nested deeper than {MAX_NESTING}: skipped")
                continue
            queue.extend((child, False, level + 1) for child in parsed.children)
            continue
        for loc, lastmod in parsed.urls:
            try:
                page = normalize_url(loc)
            except InvalidURLError:
                invalid += 1
                continue
            if not in_scope(page):
                dropped += 1
                continue
            if page not in found:
                if len(found) >= max_urls:
                    notes.append(f"sitemaps list more than {max_urls} URLs; the rest were ignored")
                    queue.clear()
                    break
                found[page] = lastmod
    if dropped:
        notes.append(f"sitemaps: {dropped} URL(s) outside the site were dropped")
    if invalid:
        notes.append(f"sitemaps: {invalid} invalid URL(s) were dropped")
    return found
