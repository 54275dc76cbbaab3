"""The crawler's own link extraction: fast, bounded, and tolerant of any markup."""

from __future__ import annotations

import html as html_lib
import re

import lxml.html
from lxml import etree

__all__ = ["extract_hrefs", "find_base_href"]

_BASE_HREF = re.compile(
    r"""<base\b[^>]{0,1024}?\bhref\s*=\s*(?:"([^"]{0,4096})"|'([^']{0,4096})'|([^\s>]{1,4096}))""",
    re.IGNORECASE,
)
_HEAD_END = re.compile(r"</head\s*>|<body\b", re.IGNORECASE)
_HREF_ATTR = re.compile(
    r"""<a\b[^>]{0,2048}?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE
)


def find_base_href(html: str) -> str | None:
    """The href of the first <base> element in the document head, if any."""
    head_end = _HEAD_END.search(html, 0, 256 * 1024)
    head = html[: head_end.start() if head_end else 256 * 1024]
    match = _BASE_HREF.search(head)
    if not match:
        return None
    href = next(group for group in match.groups() if group is not None).strip()
    return href or None


def extract_hrefs(html: str, limit: int = 2000) -> list[str]:
    """Raw hrefs of <a> and <area> elements in document order, at most `limit` of them."""
    if not html.strip():
        return []
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError, TypeError):
        return _regex_hrefs(html, limit)
    hrefs: list[str] = []
    for element in root.iter("a", "area"):
        href = element.get("href")
        if href and href.strip():
            hrefs.append(href)
            if len(hrefs) >= limit:
                break
    return hrefs


def _regex_hrefs(html: str, limit: int) -> list[str]:
    """Fallback for documents lxml refuses (e.g. an XML declaration with an encoding)."""
    hrefs: list[str] = []
    for match in _HREF_ATTR.finditer(html):
        href = html_lib.unescape(next(group for group in match.groups() if group is not None))
        if href.strip():
            hrefs.append(href)
            if len(hrefs) >= limit:
                break
    return hrefs
