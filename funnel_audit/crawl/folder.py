"""Read a static site from a local folder as if it had been crawled.

Every `*.html` / `*.htm` file under the folder (sorted, deterministic) becomes a page at
`http://<folder-name>.local/<relative/path>`; `index.html` maps to its directory URL ("/",
"/blog/"). A robots.txt at the folder root is honoured, `sitemap.xml` supplies `lastmod`, symlinks
that lead out of the folder are refused, and files over `max_bytes` become error rows.
"""

from __future__ import annotations

import email.utils
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlsplit

from funnel_audit.crawl.content import binary_body, decode_html
from funnel_audit.crawl.robots import ROBOTS_MAX_BYTES, agent_token, parse_robots
from funnel_audit.crawl.sitemaps import SitemapError, parse_sitemap
from funnel_audit.errors import CrawlError, InputError, TargetError
from funnel_audit.models import FetchedPage
from funnel_audit.ports import PageReader, ReadPage

if TYPE_CHECKING:
    from funnel_audit.crawl.settings import CrawlSettings

__all__ = ["folder_base_url", "path_to_url", "read_folder"]

HTML_SUFFIXES = (".html", ".htm")
INDEX_NAMES = ("index.html", "index.htm")


def folder_base_url(folder: Path) -> str:
    """`http://<folder-name>.local/` with the name made host-safe."""
    name = re.sub(r"[^a-z0-9-]+", "-", folder.name.lower()).strip("-")[:63] or "site"
    return f"http://{name}.local/"


def path_to_url(base: str, relative: str) -> str:
    """Map a site-relative file path ("blog/index.html") to its page URL ("…/blog/")."""
    parts = relative.split("/")
    if parts[-1].lower() in INDEX_NAMES:
        parts[-1] = ""
    return base + "/".join(quote(part, safe="!$&'()*+,;=:@-._~") for part in parts)


def _depth(url: str) -> int:
    return len([segment for segment in urlsplit(url).path.split("/") if segment])


def _html_files(root: Path) -> list[tuple[str, Path]]:
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if name.lower().endswith(HTML_SUFFIXES):
                path = Path(dirpath) / name
                found.append((path.relative_to(root).as_posix(), path))
    return sorted(found)


def _sitemap_lastmods(root: Path, max_bytes: int, notes: list[str]) -> dict[str, str | None]:
    path = root / "sitemap.xml"
    if not path.is_file() or path.stat().st_size > max_bytes:
        return {}
    try:
        parsed = parse_sitemap(path.read_bytes())
    except (SitemapError, OSError) as exc:
        notes.append(f"sitemap.xml in the folder malformed: {exc}")
        return {}
    by_path: dict[str, str | None] = {}
    for loc, lastmod in parsed.urls:
        key = urlsplit(loc).path.rstrip("/") or "/"
        by_path[key] = lastmod
    return by_path


def read_folder(
    folder: Path,
    settings: CrawlSettings,
    on_page: Callable[[FetchedPage], Iterable[str]] | None = None,
    notes: list[str] | None = None,
) -> Iterator[FetchedPage]:
    """Yield one `FetchedPage` per HTML file under `folder` (errors as rows, never raised).

    Raises `TargetError` when the folder does not exist, and `CrawlError` (once iterated) when
    its robots.txt disallows every page. Links `on_page` returns are ignored: every file is read
    anyway. Remarks about the run go to `notes` when a list is given.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise TargetError(f"folder not found: {folder} (give a folder holding .html files)")
    return _read(folder.resolve(), settings, on_page, notes if notes is not None else [])


def _read(
    root: Path,
    settings: CrawlSettings,
    on_page: Callable[[FetchedPage], Iterable[str]] | None,
    notes: list[str],
) -> Iterator[FetchedPage]:
    base = folder_base_url(root)
    rules = None
    robots_path = root / "robots.txt"
    if settings.respect_robots and robots_path.is_file():
        text = robots_path.read_bytes()[:ROBOTS_MAX_BYTES].decode("utf-8", "replace")
        rules = parse_robots(text.lstrip("\ufeff"), agent_token(settings.user_agent), base)
        notes.extend(rules.notes)
    lastmods = _sitemap_lastmods(root, settings.max_bytes, notes)
    include, exclude = _patterns(settings.include), _patterns(settings.exclude)
    agent = agent_token(settings.user_agent)
    files = _html_files(root)
    if rules is not None:
        wanted = [
            url
            for url in (path_to_url(base, relative) for relative, _ in files)
            if (not include or any(rx.search(url) for rx in include))
            and not any(rx.search(url) for rx in exclude)
        ]
        if wanted and not any(rules.allows(url, agent) for url in wanted):
            raise CrawlError(
                f"robots.txt in {root} disallows every page (a staging build?); "
                "for a site you own, run again with --ignore-robots"
            )
    count = 0
    for relative, path in files:
        url = path_to_url(base, relative)
        if include and not any(rx.search(url) for rx in include):
            continue
        if any(rx.search(url) for rx in exclude):
            continue
        if count >= settings.max_pages:
            notes.append(f"stopped at max_pages={settings.max_pages}")
            return
        count += 1
        if rules is not None and not rules.allows(url, agent):
            yield _failure(url, "blocked by robots.txt", _depth(url))
            continue
        key = urlsplit(url).path.rstrip("/") or "/"
        page = _read_file(root, path, url, settings.max_bytes, lastmods.get(key))
        if page.ok and on_page is not None:
            on_page(page)
        yield page


def _patterns(patterns: tuple[str, ...]) -> list[re.Pattern[str]]:
    try:
        return [re.compile(pattern) for pattern in patterns]
    except re.error as exc:
        raise InputError(
            f"invalid include/exclude pattern: {exc} (use a Python regular expression)"
        ) from exc


def _failure(url: str, error: str, depth: int) -> FetchedPage:
    return FetchedPage(
        url=url,
        final_url=url,
        status=None,
        content_type="",
        html=None,
        depth=depth,
        fetched_at=datetime.now(UTC),
        error=error,
    )


def _read_file(
    root: Path, path: Path, url: str, max_bytes: int, lastmod: str | None
) -> FetchedPage:
    depth = _depth(url)
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):
        return _failure(url, "unreadable: broken link or loop", depth)
    if not real.is_relative_to(root):
        return _failure(url, "refused: symlink points outside the folder", depth)
    try:
        stat = real.stat()
        if not real.is_file():
            return _failure(url, "not a regular file", depth)
        if stat.st_size > max_bytes:
            return _failure(url, f"too large (> {max_bytes} bytes)", depth)
        with real.open("rb") as handle:
            body = handle.read(max_bytes + 1)
    except OSError as exc:
        return _failure(url, f"unreadable: {exc.strerror or exc}", depth)
    if len(body) > max_bytes:
        return _failure(url, f"too large (> {max_bytes} bytes)", depth)
    kind = binary_body(body)
    if kind is not None:
        return _failure(url, f"binary content in an .html file ({kind})", depth)
    return FetchedPage(
        url=url,
        final_url=url,
        status=200,
        content_type="text/html",
        html=decode_html(body),
        depth=depth,
        fetched_at=datetime.now(UTC),
        lastmod=lastmod,
        last_modified=email.utils.formatdate(stat.st_mtime, usegmt=True),
        size_bytes=len(body),
    )


def read_folder_site(
    folder: Path,
    settings: CrawlSettings,
    reader: PageReader,
    notes: list[str] | None = None,
) -> Iterator[ReadPage]:
    """`read_folder` with each page read as it comes (in this process: a folder audit has no
    fetching for parsers to overlap with), yielding each once with its reading."""
    for page in read_folder(folder, settings, notes=notes):
        if not page.ok:
            yield ReadPage(page, None)
            continue
        outcome = reader.read(page)
        page = replace(page, html=None)
        if isinstance(outcome, str):
            yield ReadPage(page, None, outcome)
        else:
            yield ReadPage(page, outcome)
