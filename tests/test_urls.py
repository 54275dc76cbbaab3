"""URL normalisation, scope and address checks."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel_audit.crawl.urls import (
    InvalidURLError,
    dedup_key,
    host_is_public,
    is_http_url,
    is_public_host,
    looks_like_trap,
    normalize_url,
    path_pattern,
    resolve_link,
    same_site,
    site_key,
    trap_prone,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTP://Example.COM:80/a/./b/../c#frag", "http://example.com/a/c"),
        ("https://example.com:443", "https://example.com/"),
        ("http://example.com:8080/", "http://example.com:8080/"),
        ("http://example.com/?b=2&a=1", "http://example.com/?a=1&b=2"),
        ("http://example.com/?utm_source=x&utm_medium=y&id=3&gclid=z", "http://example.com/?id=3"),
        ("http://example.com/?fbclid=1&msclkid=2&mc_cid=3&mc_eid=4&_ga=5", "http://example.com/"),
        ("http://example.com/?PHPSESSID=abc&sid=1&sessionid=2&JSESSIONID=3", "http://example.com/"),
        ("http://example.com/shop;jsessionid=ABC123?x=1", "http://example.com/shop?x=1"),
        ("http://example.com/%7euser/%e2%82%ac", "http://example.com/~user/%E2%82%AC"),
        ("http://example.com/a b/ü", "http://example.com/a%20b/%C3%BC"),
        ("http://example.com/a%2fb", "http://example.com/a%2Fb"),
        ("http://example.com/a/b/..", "http://example.com/a/"),
        ("http://example.com/../../x", "http://example.com/x"),
        ("http://user:secret@example.com/", "http://example.com/"),
        ("http://bücher.de/", "http://xn--bcher-kva.de/"),
        ("http://example.com./", "http://example.com/"),
        ("  http://example.com/\n", "http://example.com/"),
        ("http://[::FFFF:127.0.0.1]:8080/", "http://[::ffff:7f00:1]:8080/"),
        ("http://example.com/?q=a%2bb+c&&", "http://example.com/?q=a%2Bb+c"),
        ("http://example.com/?%zz", "http://example.com/?%25zz"),
    ],
)
def test_normalize(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "mailto:a@example.com",
        "tel:+123",
        "data:text/html,<p>hi",
        "ftp://example.com/",
        "//example.com/a",
        "/relative",
        "",
        "http://",
        "http:///path",
        "http://example.com:99999/",
        "http://example.com:abc/",
        "http://example.com:0/",
        "http://[::1/",
        "http://[zz::1]/",
        "http://a b.example/",
        "http://ex%41mple.com/",
        "http://" + "a" * 50_000 + ".com/",
        "http://" + "a" * 64 + ".com/",
    ],
)
def test_invalid_urls_raise_invalid_url_error(raw: str) -> None:
    with pytest.raises(InvalidURLError):
        normalize_url(raw)
    assert not is_http_url(raw)


def test_long_path_is_fine_and_fast() -> None:
    url = "http://example.com/" + "a" * 50_000
    assert normalize_url(url) == url


def test_trailing_slash_twins_share_a_key() -> None:
    assert dedup_key(normalize_url("http://e.com/a/")) == dedup_key(normalize_url("http://e.com/a"))
    assert dedup_key("http://e.com/") == "http://e.com/"
    assert dedup_key("http://e.com/a/?x=1") == "http://e.com/a?x=1"


def test_resolve_link() -> None:
    base = "http://e.com/blog/post"
    assert resolve_link(base, "../about") == "http://e.com/about"
    assert resolve_link(base, "?page=2") == "http://e.com/blog/post?page=2"
    assert resolve_link(base, "//cdn.e.com/x") == "http://cdn.e.com/x"
    for bad in ("#top", "", "  ", "javascript:void(0)", "mailto:x@e.com", "http://[::1"):
        with pytest.raises(InvalidURLError):
            resolve_link(base, bad)


def test_same_site() -> None:
    start = "https://www.example.com/shop/"
    assert same_site("http://www.example.com/x", start)
    assert not same_site("https://blog.example.com/", start)
    assert same_site("https://blog.example.com/", start, include_subdomains=True)
    assert same_site("https://example.com/", start, include_subdomains=True)
    assert not same_site("https://notexample.com/", start, include_subdomains=True)
    assert not same_site("https://www.example.com:8443/", start)
    assert not same_site("javascript:x", start)
    assert same_site("http://127.0.0.1:8000/a", "http://127.0.0.1:8000/")
    assert not same_site("http://127.0.0.1:8001/a", "http://127.0.0.1:8000/")


@pytest.mark.parametrize(
    ("host", "public"),
    [
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("172.16.5.4", False),
        ("169.254.169.254", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:127.0.0.1", False),
        ("[::1]", False),
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("localhost", False),
    ],
)
def test_is_public_host(host: str, public: bool) -> None:
    assert is_public_host(host) is public


def test_unresolvable_host_is_unknown() -> None:
    assert host_is_public("no-such-host.invalid") is None
    assert is_public_host("no-such-host.invalid") is False


def test_site_key_and_patterns() -> None:
    assert site_key("https://www.example.com/a") == "www.example.com"
    assert site_key("http://127.0.0.1:8080/") == "127.0.0.1_8080"
    assert site_key("not a url") == "site"
    assert path_pattern("http://e.com/cal/2024/05?day=3&m=1") == "e.com/cal/#/#?day&m"
    assert trap_prone("e.com/cal/#/#") and trap_prone("e.com/shop?color&size")
    assert not trap_prone("e.com/product/#") and not trap_prone("e.com/?p")
    assert looks_like_trap("http://e.com/a/b/a/b/a/b/a/b")
    assert not looks_like_trap("http://e.com/blog/2024/05/hello")


# -- properties ------------------------------------------------------------------------------
url_chars = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
url_like = st.builds(
    lambda scheme, host, port, path, query, frag: f"{scheme}://{host}{port}{path}{query}{frag}",
    st.sampled_from(["http", "https", "HTTP", "ftp", "javascript", ""]),
    st.one_of(
        st.from_regex(r"[A-Za-z0-9.\-]{0,20}", fullmatch=True),
        url_chars,
        st.just("[::1]"),
        st.just("bücher.de"),
    ),
    st.sampled_from(["", ":80", ":443", ":8080", ":0", ":99999", ":x"]),
    st.one_of(url_chars.map(lambda s: "/" + s), st.just("/a/../b/./c")),
    st.one_of(st.just(""), url_chars.map(lambda s: "?" + s)),
    st.one_of(st.just(""), url_chars.map(lambda s: "#" + s)),
)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=80), url_like))
def test_normalize_never_raises_anything_else_and_is_idempotent(text: str) -> None:
    try:
        once = normalize_url(text)
    except InvalidURLError:
        return
    assert normalize_url(once) == once
    assert "#" not in once
    assert once.startswith(("http://", "https://"))
    assert dedup_key(dedup_key(once)) == dedup_key(once)


@settings(max_examples=200, deadline=None)
@given(url_like, url_chars)
def test_resolve_link_never_raises_anything_else(base: str, href: str) -> None:
    try:
        base = normalize_url(base)
    except InvalidURLError:
        base = "http://example.com/dir/page"
    try:
        resolved = resolve_link(base, href)
    except InvalidURLError:
        return
    assert normalize_url(resolved) == resolved
