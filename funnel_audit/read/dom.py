"""What every part of page reading shares: limits, patterns and small DOM helpers."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from urllib.parse import urljoin

from lxml import etree

from funnel_audit.models import FetchedPage, PageText

MAX_TEXT_CHARS = 20_000
MAX_FIELD_CHARS = 300
MAX_HEADINGS = 40
MAX_CTAS = 40
MAX_LINKS = 2_000
MAX_FORMS = 10

NON_TEXT_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "object", "canvas")
PAGE_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside"})
BOILERPLATE_HINT = re.compile(
    r"(^|[\s_-])(cookie|consent|gdpr|banner-cookie|site-header|site-footer|navbar|nav|menu|"
    r"breadcrumbs?|skip-link|newsletter-popup|modal)([\s_-]|$)",
    re.I,
)
CTA_CLASS = re.compile(r"(^|[\s_-])(btn|button|cta|action)([\s_-]|$)", re.I)
CTA_WORDS = re.compile(
    r"^(get|book|start|try|request|schedule|contact|call|buy|order|shop|add to|sign|subscribe|"
    r"register|join|download|donate|apply|enrol|enroll|reserve|claim|talk|speak|see|watch|"
    r"compare|view pricing|learn more|read more|checkout|pay|upgrade|free)\b",
    re.I,
)
PRICE = re.compile(
    r"(?:[$£€¥₹]\s?\d[\d,.]*|\d[\d,.]*\s?(?:usd|eur|gbp|€|£)\b|/\s?(?:mo|month|yr)\b)", re.I
)
_WS = re.compile(r"\s+")
INLINE_WS = re.compile(r"[^\S\n]+")
_STRING = etree.XPath("string()")
HINTED = etree.XPath("/descendant::*[@class or @id or @role]")  # libxml2 walks this faster than //
TEXT_LEN = etree.XPath("string-length(normalize-space())")
_ITEMTYPES = etree.XPath("//@itemtype")
WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
SCRIPT_SHELL = re.compile(r'id=["\'](?:root|app|__next|__nuxt)["\']', re.I)


def html_parser() -> etree.HTMLParser:
    """An lxml HTML parser that recovers from broken markup and never touches the network."""
    return etree.HTMLParser(
        encoding="utf-8", remove_comments=True, huge_tree=False, recover=True, no_network=True
    )


def empty_text(page: FetchedPage) -> PageText:
    """The reading of a page with nothing readable in it, so an unparseable page is still a row."""
    return PageText(
        url=page.url,
        title="",
        meta_description="",
        headings=(),
        main_text="",
        word_count=0,
        ctas=(),
        forms=(),
        links=(),
        lastmod=page.lastmod,
    )


def clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    """Text cut to a field's limit: what a hostile page can put in a record is bounded."""
    return text[:limit]


def text_of(el: etree._Element | None) -> str:
    """An element's text with whitespace collapsed; "" for no element."""
    if el is None:
        return ""
    return " ".join(str(_STRING(el)).split())


def meta_content(doc: etree._Element, name: str) -> str:
    """The content of the first `<meta>` named `name` or `og:name`, whitespace collapsed."""
    for el in doc.iter("meta"):
        if (el.get("name") or el.get("property") or "").lower() in (name, f"og:{name}"):
            return _WS.sub(" ", el.get("content") or "").strip()
    return ""


def canonical_url(doc: etree._Element, base: str) -> str | None:
    """The page's `<link rel=canonical>` resolved against `base`, or None."""
    for el in doc.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        if "canonical" in rel and el.get("href"):
            return join_url(base, el.get("href", "").strip()[:2000])
    return None


def join_url(base: str, href: str) -> str | None:
    """`urljoin` that treats an address it cannot parse (`http://[oops/`) as absent: one bad
    attribute never makes the page unreadable."""
    try:
        return urljoin(base, href)[:2000]
    except ValueError:
        return None


def schema_types_of(doc: etree._Element) -> tuple[str, ...]:
    """The schema.org types a page declares (microdata and JSON-LD), bounded in count and length."""
    found: list[str] = []
    for itemtype in _ITEMTYPES(doc):
        if itemtype:
            found.append(str(itemtype).rstrip("/").rsplit("/", 1)[-1])
    for script in doc.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and script.text:
            found.extend(_ld_types(script.text[:100_000]))
    return tuple(dict.fromkeys(t[:60] for t in found if t))[:20]


def _ld_types(raw: str) -> Iterable[str]:
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    out: list[str] = []
    stack = [data]
    while stack and len(out) < 50:
        item = stack.pop()
        if isinstance(item, dict):
            kind = item.get("@type")
            if isinstance(kind, str):
                out.append(kind)
            elif isinstance(kind, list):
                out.extend(k for k in kind if isinstance(k, str))
            stack.extend(v for v in item.values() if isinstance(v, (dict, list)))
        elif isinstance(item, list):
            stack.extend(item[:100])
    return out


def og_url_of(doc: etree._Element, base: str) -> str | None:
    """The page's og:url resolved against `base`, or None."""
    for el in doc.iter("meta"):
        if (el.get("property") or el.get("name") or "").lower() == "og:url" and el.get("content"):
            try:
                return urljoin(base, (el.get("content") or "").strip())[:2000]
            except ValueError:
                return None
    return None


# Site chrome whose links are navigation, not the page's own onward links: nav/aside anywhere,
# header/footer outside <main>, ARIA landmarks, and containers whose class or id says so - but
# never a container (other than <nav>) that holds the page's <main>, <article> or <h1>.
