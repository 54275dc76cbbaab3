"""read_folder: a static site on disk read like a crawl."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from funnel_audit.crawl.crawler import CrawlSettings, read_folder
from funnel_audit.errors import TargetError
from funnel_audit.models import FetchedPage


def write(root: Path, relative: str, content: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    root = tmp_path / "Acme Site"
    write(root, "index.html", "<html><head><title>Home</title></head><body>home</body></html>")
    write(root, "about.htm", "<p>about</p>")
    write(root, "blog/index.html", "<p>blog</p>")
    write(root, "blog/first post.html", "<p>first</p>")
    write(root, "blog/notes.txt", "not a page")
    write(root, "legacy.html", b"<p>caf\xe9 \x93quoted\x94</p>")
    write(root, "meta.html", '<meta charset="iso-8859-2"><p>\xb1</p>'.encode("latin-1"))
    write(root, "bom.html", "<p>zażółć</p>".encode("utf-8-sig"))
    return root


def read(root: Path, on_page=None, **options) -> list[FetchedPage]:  # type: ignore[no-untyped-def]
    return list(read_folder(root, CrawlSettings(**options), on_page))


def test_maps_files_to_site_urls_sorted(site_dir: Path) -> None:
    pages = read(site_dir)
    base = "http://acme-site.local"
    assert [p.url for p in pages] == [
        f"{base}/about.htm",
        f"{base}/blog/first%20post.html",
        f"{base}/blog/",
        f"{base}/bom.html",
        f"{base}/",
        f"{base}/legacy.html",
        f"{base}/meta.html",
    ]
    by_url = {p.url: p for p in pages}
    assert by_url[f"{base}/"].depth == 0
    assert by_url[f"{base}/blog/"].depth == 1
    assert by_url[f"{base}/blog/first%20post.html"].depth == 2
    assert all(p.ok and p.status == 200 and p.content_type == "text/html" for p in pages)


def test_decodes_like_http(site_dir: Path) -> None:
    by_url = {p.url.rsplit("/", 1)[1]: p.html for p in read(site_dir)}
    assert by_url["legacy.html"] == "<p>café “quoted”</p>"
    assert "ą" in (by_url["meta.html"] or "")
    assert by_url["bom.html"] == "<p>zażółć</p>"


def test_robots_txt_at_the_root_is_honoured(site_dir: Path) -> None:
    write(site_dir, "robots.txt", "User-agent: *\nDisallow: /blog/\n")
    pages = read(site_dir)
    blocked = [p for p in pages if p.error]
    assert {p.url.split(".local", 1)[1] for p in blocked} == {"/blog/", "/blog/first%20post.html"}
    assert all(p.error == "blocked by robots.txt" and p.html is None for p in blocked)
    assert len(read(site_dir, respect_robots=False)) == 7


def test_symlinks_out_of_the_folder_are_refused(site_dir: Path, tmp_path: Path) -> None:
    secret = write(tmp_path / "outside", "secret.html", "<p>secret</p>")
    os.symlink(secret, site_dir / "leak.html")
    os.symlink(tmp_path / "outside", site_dir / "linked-dir")
    write(site_dir, "real.html", "<p>real</p>")
    os.symlink(site_dir / "real.html", site_dir / "alias.html")
    pages = {p.url.rsplit("/", 1)[1]: p for p in read(site_dir)}
    assert pages["leak.html"].error == "refused: symlink points outside the folder"
    assert pages["leak.html"].html is None
    assert "secret.html" not in pages  # the linked directory is not walked
    assert pages["alias.html"].ok


def test_large_files_become_error_rows(site_dir: Path) -> None:
    write(site_dir, "huge.html", "<p>" + "x" * 5000 + "</p>")
    pages = {p.url.rsplit("/", 1)[1]: p for p in read(site_dir, max_bytes=1000)}
    assert pages["huge.html"].error == "too large (> 1000 bytes)"


def test_sitemap_supplies_lastmod_by_path(site_dir: Path) -> None:
    write(
        site_dir,
        "sitemap.xml",
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://acme.example/blog/</loc><lastmod>2024-03-01</lastmod></url>"
        "<url><loc>https://acme.example/about.htm</loc><lastmod>2023-12-24</lastmod></url>"
        "</urlset>",
    )
    pages = {p.url.split(".local", 1)[1]: p for p in read(site_dir)}
    assert pages["/blog/"].lastmod == "2024-03-01"
    assert pages["/about.htm"].lastmod == "2023-12-24"
    assert pages["/"].lastmod is None


def test_on_page_called_and_max_pages(site_dir: Path) -> None:
    seen: list[str] = []
    pages = read(site_dir, on_page=lambda page: seen.append(page.url) or [], max_pages=3)
    assert len(pages) == 3 and seen == [p.url for p in pages]


def test_missing_folder_is_a_target_error(tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="folder not found"):
        read_folder(tmp_path / "nope", CrawlSettings())
