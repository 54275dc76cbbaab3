"""HTML -> PageText: the words, calls to action and forms that tell a page's funnel stage.

lxml is the hot-path parser: on typical marketing pages it parses about ten times faster than
BeautifulSoup, and extraction runs once per crawled page. It is lxml's plain HTML parser, not
lxml.html's: that one calls back into Python to pick a class for every element, which cost a tenth
of extraction; selections are XPath (in C) where they would otherwise walk every element in Python.
Navigation, headers, footers, asides, scripts and cookie banners are dropped before the main text
is read, so site-wide boilerplate does not drown the page's own words.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from funnel_audit.brand import clean_name, is_home
from funnel_audit.declared import declared_kind, with_forms
from funnel_audit.models import FetchedPage, Form, PageText

MAX_TEXT_CHARS = 20_000
MAX_FIELD_CHARS = 300
MAX_HEADINGS = 40
MAX_CTAS = 40
MAX_LINKS = 2_000
MAX_FORMS = 10

_NON_TEXT_TAGS = ("script", "style", "noscript", "template", "svg", "iframe", "object", "canvas")
_PAGE_CHROME_TAGS = frozenset({"nav", "header", "footer", "aside"})
_BOILERPLATE_HINT = re.compile(
    r"(^|[\s_-])(cookie|consent|gdpr|banner-cookie|site-header|site-footer|navbar|nav|menu|"
    r"breadcrumbs?|skip-link|newsletter-popup|modal)([\s_-]|$)",
    re.I,
)
_CTA_CLASS = re.compile(r"(^|[\s_-])(btn|button|cta|action)([\s_-]|$)", re.I)
_CTA_WORDS = re.compile(
    r"^(get|book|start|try|request|schedule|contact|call|buy|order|shop|add to|sign|subscribe|"
    r"register|join|download|donate|apply|enrol|enroll|reserve|claim|talk|speak|see|watch|"
    r"compare|view pricing|learn more|read more|checkout|pay|upgrade|free)\b",
    re.I,
)
_PRICE = re.compile(
    r"(?:[$£€¥₹]\s?\d[\d,.]*|\d[\d,.]*\s?(?:usd|eur|gbp|€|£)\b|/\s?(?:mo|month|yr)\b)", re.I)
_WS = re.compile(r"\s+")
_INLINE_WS = re.compile(r"[^\S\n]+")
_STRING = etree.XPath("string()")
_HINTED = etree.XPath("/descendant::*[@class or @id or @role]")  # libxml2 walks this faster than //
_TEXT_LEN = etree.XPath("string-length(normalize-space())")
_ITEMTYPES = etree.XPath("//@itemtype")
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_SCRIPT_SHELL = re.compile(r'id=["\'](?:root|app|__next|__nuxt)["\']', re.I)


def extract(page: FetchedPage) -> PageText:
    """Read one fetched HTML page; never raises on malformed markup."""
    html = page.html or ""
    try:
        doc = etree.fromstring(html.encode("utf-8", "surrogatepass"), parser=_parser())
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        return _empty(page)
    if doc is None:
        return _empty(page)
    base = page.final_url or page.url
    base_el = doc.find(".//base[@href]")
    if base_el is not None:
        base = _join(base, base_el.get("href", "")[:2000]) or base

    title = _clip(_text(doc.find(".//title")))
    meta_description = _clip(_meta(doc, "description"))
    robots = _meta(doc, "robots").lower()
    canonical = _canonical(doc, base)
    schema_types = _schema_types(doc)
    script_bytes = sum(len(s.text or "") + (200 if s.get("src") else 0)
                       for s in doc.iter("script"))
    links, body_links = _links(doc, base)
    ctas = _ctas(doc)
    forms = _forms(doc, base)
    site_name, logo_alt = _brand_signals(doc, base)
    page_kind = with_forms(declared_kind(doc), (f.field_kinds for f in forms))

    mains = _strip_boilerplate(doc)
    root = _main_root(doc, mains)
    headings = tuple(h for h in (_clip(_text(el)) for el in root.iter("h1", "h2", "h3")) if h)
    main_text = _block_text(root)[:MAX_TEXT_CHARS]
    word_count = len(_WORD.findall(main_text))
    shell = bool(_SCRIPT_SHELL.search(html[:50_000]))
    js_rendered = word_count < 60 and (script_bytes > 20_000 or shell)
    return PageText(
        url=page.url,
        title=title,
        meta_description=meta_description,
        headings=headings[:MAX_HEADINGS],
        main_text=main_text,
        word_count=word_count,
        ctas=ctas,
        forms=forms,
        links=links,
        canonical=canonical,
        noindex="noindex" in robots,
        lastmod=page.lastmod,
        schema_types=schema_types,
        prices=len(_PRICE.findall(main_text)),
        script_bytes=script_bytes,
        js_rendered=js_rendered,
        body_links=body_links,
        og_url=_og_url(doc, base),
        base_href=base if base_el is not None else None,
        site_name=site_name, logo_alt=logo_alt,
        page_kind=page_kind,
    )


def _parser() -> etree.HTMLParser:
    return etree.HTMLParser(encoding="utf-8", remove_comments=True, huge_tree=False,
                            recover=True, no_network=True)


def _empty(page: FetchedPage) -> PageText:
    return PageText(url=page.url, title="", meta_description="", headings=(), main_text="",
                    word_count=0, ctas=(), forms=(), links=(), lastmod=page.lastmod)


def _clip(text: str, limit: int = MAX_FIELD_CHARS) -> str:
    return text[:limit]


def _text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return " ".join(str(_STRING(el)).split())


def _meta(doc: etree._Element, name: str) -> str:
    for el in doc.iter("meta"):
        if (el.get("name") or el.get("property") or "").lower() in (name, f"og:{name}"):
            return _WS.sub(" ", el.get("content") or "").strip()
    return ""


def _canonical(doc: etree._Element, base: str) -> str | None:
    for el in doc.iter("link"):
        rel = (el.get("rel") or "").lower().split()
        if "canonical" in rel and el.get("href"):
            return _join(base, el.get("href", "").strip()[:2000])
    return None


def _join(base: str, href: str) -> str | None:
    """urljoin that treats an address it cannot parse (`http://[oops/`) as absent: one bad
    attribute never makes the page unreadable."""
    try:
        return urljoin(base, href)[:2000]
    except ValueError:
        return None


def _schema_types(doc: etree._Element) -> tuple[str, ...]:
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


def _og_url(doc: etree._Element, base: str) -> str | None:
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
_CHROME_TAGS = ("nav", "aside", "header", "footer")
_CHROME_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "menu",
                           "menubar", "search"})
_CHROME_TOKEN = re.compile(
    r"^(?:(?:site|main|global|primary|secondary|top|page|mega|mobile|desktop|sticky|header|"
    r"footer|nav)[-_]?)?(?:header|footer|nav|navigation|navbar|menu|menubar|sidebar|topbar|"
    r"breadcrumbs?|masthead)(?:[-_]?(?:wrap|wrapper|container|inner|outer|links|menu|nav|bar|"
    r"area|widgets?|top|bottom|main|list|items|primary|secondary))?$"
    r"|(?:^|[-_])(?:cookie|consent|gdpr)",
    re.I,
)
_CHROME_ANY = re.compile(r"header|footer|nav|menu|sidebar|topbar|breadcrumb|masthead|cookie|"
                         r"consent|gdpr|banner|contentinfo|complementary|search", re.I)
_HINT_VALUES = etree.XPath("//@class|//@id|//@role")
_HOLDS_CONTENT = etree.XPath("boolean(.//main|.//article|.//*[@role='main']|.//h1)")


def _wordy(el: etree._Element, n: int = 30) -> bool:
    count = 0
    for chunk in el.itertext():
        count += len(chunk.split())
        if count >= n:
            return True
    return False


def _in_main(el: etree._Element) -> bool:
    return any(a.tag == "main" or a.get("role") == "main" for a in el.iterancestors())


def _chrome_anchors(doc: etree._Element) -> tuple[set[etree._Element], set[etree._Element] | None]:
    """(links inside site chrome, links inside <main> or None when the page has no <main> with
    text). The sets hold the element proxies, so lxml hands back the same objects later."""
    containers: list[etree._Element] = []
    mains: list[etree._Element] = []
    for el in doc.iter(*_CHROME_TAGS, "main"):
        if el.tag == "main":
            mains.append(el)
        elif el.tag == "nav" or (el.tag == "aside" or not _in_main(el)) \
                and not _HOLDS_CONTENT(el):  # a <header> wrapping <main> is no chrome
            containers.append(el)
    # attribute values, not elements: most carry no hint, and strings are cheap to look at
    for value in _HINT_VALUES(doc):
        if not _CHROME_ANY.search(value):
            if value == "main" and value.attrname == "role":
                mains.append(value.getparent())
            continue
        if value.attrname == "role":
            hinted = value.strip().lower() in _CHROME_ROLES
        else:
            hinted = any(_CHROME_TOKEN.search(token) for token in value.split())
        el = value.getparent()
        if hinted and el.tag not in ("html", "body", "main", "article") \
                and el not in containers and not _HOLDS_CONTENT(el):
            containers.append(el)
    chrome: set[etree._Element] = set()
    for el in containers:
        chrome.update(el.iter("a", "area"))
    mains = [el for el in mains if _wordy(el)]
    inside: set[etree._Element] | None = None
    if mains:
        inside = set()
        for el in mains:
            inside.update(el.iter("a", "area"))
    return chrome, inside


def _links(doc: etree._Element, base: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(every link, the links in the page's body: not in nav, header, footer or aside, not in
    containers hinted as such, and inside <main> when the page has one)."""
    out: list[str] = []
    seen: set[str] = set()
    body: set[str] = set()
    chrome, inside = _chrome_anchors(doc)
    parts = urlsplit(base)
    origin = f"{parts.scheme}://{parts.netloc}"
    for el in doc.iter("a", "area"):
        href = (el.get("href") or "").strip()
        if not href or href.startswith("#") or len(href) > 4_000:
            continue
        # what urljoin gives for absolute and plain root-relative links, without its cost
        if href[:8].lower().startswith(("http://", "https://")):
            url = href
        elif href[:1] == "/" and href[1:2] != "/" and "/." not in href and href.isprintable():
            url = origin + href
        else:
            try:
                url = urljoin(base, href)
            except ValueError:
                continue
        if el not in chrome and (inside is None or el in inside):
            body.add(url)
        if url not in seen:
            seen.add(url)
            out.append(url)
            if len(out) >= MAX_LINKS:
                break
    return tuple(out), tuple(u for u in out if u in body)


def _ctas(doc: etree._Element) -> tuple[str, ...]:
    found: list[str] = []
    for el in doc.iter("button", "a", "input"):
        if el.tag == "input":
            if (el.get("type") or "").lower() not in ("submit", "button"):
                continue
            label = " ".join((el.get("value") or "").split())
        else:
            label = _text(el)
        if not label or len(label) > 60:
            continue
        is_button = el.tag != "a" or bool(_CTA_CLASS.search(el.get("class") or "")) \
            or (el.get("role") or "") == "button"
        if is_button or _CTA_WORDS.match(label):
            if el.tag == "button" and _in_cookie_banner(el):
                continue
            found.append(label)
    return tuple(dict.fromkeys(found))[:MAX_CTAS]


def _in_cookie_banner(el: etree._Element) -> bool:
    node = el.getparent()
    for _ in range(6):
        if node is None:
            return False
        hint = f"{node.get('class') or ''} {node.get('id') or ''}"
        if re.search(r"cookie|consent|gdpr", hint, re.I):
            return True
        node = node.getparent()
    return False


_FIELD_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("card", re.compile(r"card|cc-?num|cvc|cvv|expir|iban|payment", re.I)),
    ("password", re.compile(r"password|passwd", re.I)),
    ("email", re.compile(r"e-?mail", re.I)),
    ("phone", re.compile(r"phone|tel|mobile", re.I)),
    ("quantity", re.compile(r"qty|quantity|amount", re.I)),
    ("date", re.compile(r"date|day|when|arrival|check-?in", re.I)),
    ("time", re.compile(r"time|slot", re.I)),
    ("company", re.compile(r"company|organi[sz]ation|business", re.I)),
    ("address", re.compile(r"address|street|postcode|zip|city", re.I)),
    ("name", re.compile(r"name", re.I)),
    ("search", re.compile(r"^q$|search|query", re.I)),
    ("message", re.compile(r"message|comment|details|enquiry|inquiry|description", re.I)),
)
_TYPE_KIND = {"email": "email", "tel": "phone", "password": "password", "date": "date",
              "datetime-local": "date", "time": "time", "number": "quantity", "search": "search",
              "file": "file", "checkbox": "checkbox"}


def _field_kind(el: etree._Element) -> str | None:
    tag = el.tag
    kind = (el.get("type") or "text").lower() if tag == "input" else tag
    if kind in ("hidden", "submit", "button", "reset", "image", "radio"):
        return None
    hint = " ".join(el.get(a) or "" for a in ("name", "id", "autocomplete", "placeholder"))
    for name, rule in _FIELD_RULES:
        if rule.search(hint):
            if name in ("quantity",) and kind not in ("number", "text", "select"):
                continue
            return name
    if kind in _TYPE_KIND:
        return _TYPE_KIND[kind]
    if tag == "textarea":
        return "message"
    if tag == "select":
        return "select"
    return "text"


def _forms(doc: etree._Element, base: str) -> tuple[Form, ...]:
    forms: list[Form] = []
    for form in doc.iter("form"):
        kinds = [k for k in (_field_kind(el) for el in form.iter("input", "select", "textarea"))
                 if k]
        if not kinds:
            continue
        action = _join(base, (form.get("action") or "").strip()[:2000]) or ""
        forms.append(Form(action=action, method=(form.get("method") or "get").lower()[:10],
                          field_kinds=tuple(dict.fromkeys(kinds))))
        if len(forms) >= MAX_FORMS:
            break
    return tuple(forms)


# shares of the page's text (characters, spaces collapsed) that decide what is chrome and what is
# the page: see _strip_boilerplate and _main_root
HEADED_WRAPPER_SHARE = 0.5
WRAPPER_SHARE = 0.6
MAX_LINK_SHARE = 0.5
MAIN_SHARE = 0.4
MAX_ARTICLES = 200
_COOKIE_HINT = re.compile(r"cookie|consent|gdpr", re.I)
_HEADER_HINT = re.compile(r"header", re.I)


def _strip_boilerplate(doc: etree._Element) -> list[etree._Element]:
    """Drop site chrome (nav, header, footer, aside, cookie banners, menus), but not a wrapper that
    holds the page itself: page builders put <main> inside a <header>, and themes put classes such
    as "has-navbar" on the div around everything, which would otherwise drop the whole page.
    Returns the page's <main> and role=main elements (all kept), for _main_root."""
    for el in list(doc.iter(*_NON_TEXT_TAGS)):
        _drop(el)
    candidates: list[tuple[etree._Element, str]] = []
    mains: list[etree._Element] = []
    h1s: list[etree._Element] = []
    for el in doc.iter("nav", "header", "footer", "aside", "main", "h1"):
        tag = el.tag
        if tag == "main":
            mains.append(el)
        elif tag == "h1":
            h1s.append(el)
        else:
            candidates.append(
                (el, f"{el.get('class') or ''} {el.get('id') or ''} {el.get('role') or ''}")
            )
    for el in _HINTED(doc):
        tag = el.tag
        role = el.get("role") or ""
        if role == "main" and tag != "main":
            mains.append(el)
        if tag in _PAGE_CHROME_TAGS or tag in ("html", "body", "main", "article"):
            continue
        hint = f"{el.get('class') or ''} {el.get('id') or ''} {role}"
        if len(hint) > 2 and _BOILERPLATE_HINT.search(hint):
            candidates.append((el, hint))
    if not candidates:
        return mains
    keep: set[etree._Element] = set()  # holds a <main>: a wrapper, whatever its name
    for el in mains:
        keep.add(el)
        keep.update(el.iterancestors())
    headed: set[etree._Element] = set()  # holds the page's title
    for el in h1s:
        headed.update(el.iterancestors())
    body = doc.find("body")
    page = body if body is not None else doc
    measured: list[float] = []

    def page_len() -> float:  # measured only if a decision needs it: most pages need none
        if not measured:
            measured.append(_TEXT_LEN(page))
        return measured[0]

    doomed: set[etree._Element] = set()
    for el, hint in candidates:
        if el not in keep and not _is_wrapper(el, hint, headed, page_len, doomed):
            doomed.add(el)
    for el, _ in candidates:  # in document order, so the text left behind never depends on hashes
        if el in doomed:
            _drop(el)
    return mains


def _is_wrapper(
    el: etree._Element,
    hint: str,
    headed: set[etree._Element],
    page_len: Callable[[], float],
    doomed: set[etree._Element],
) -> bool:
    """Whether chrome-looking `el` holds the page rather than chrome. A header holding the h1 is
    the page's (a theme's entry header, or a builder's wrapper); anything else holding the h1 must
    hold half the text. On a page without an h1, a header or hinted element holding most of the
    text, and not mostly as link labels, is a wrapper. Navs, footers, asides and cookie banners
    never are by share alone: on a thin page they easily hold most of the words."""
    if _COOKIE_HINT.search(hint):
        return False
    if el in headed:
        if el.tag == "header" or _HEADER_HINT.search(hint):
            return True
        share = HEADED_WRAPPER_SHARE
    elif headed or el.tag in ("nav", "footer", "aside"):
        return False
    else:
        share = WRAPPER_SHARE
    if _inside(el, doomed):
        return False
    size = _TEXT_LEN(el)
    if size <= 0 or size < share * page_len():
        return False
    return el in headed or sum(_TEXT_LEN(a) for a in el.iter("a")) < MAX_LINK_SHARE * size


def _inside(el: etree._Element, doomed: set[etree._Element]) -> bool:
    """Whether an ancestor of el is already to be dropped (its text need not be measured)."""
    return bool(doomed) and any(a in doomed for a in el.iterancestors())


def _drop(el: etree._Element) -> None:
    """Remove an element and what it holds, keeping the text that follows it."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail:
        previous = el.getprevious()
        try:
            if previous is None:
                parent.text = (parent.text or "") + el.tail
            else:
                previous.tail = (previous.tail or "") + el.tail
        except ValueError:  # a control character the parser let through: lxml won't write it
            if previous is None:
                parent.text = _xml_safe((parent.text or "") + el.tail)
            else:
                previous.tail = _xml_safe((previous.tail or "") + el.tail)
    parent.remove(el)


_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub(" ", text)


def _main_root(doc: etree._Element, mains: list[etree._Element]) -> etree._Element:
    """The element holding the page's own text, read after the chrome is dropped: the largest of
    `mains` (<main>, role=main), else the largest <article>, if it holds at least MAIN_SHARE of
    the body's text; else the body. Largest, not first: a short call-to-action <article> often
    comes before the real body, a listing's first article card is one of many, and some
    templates leave <main> nearly empty."""
    body = doc.find("body")
    page = body if body is not None else doc
    best, most = page, 0.0
    if mains:
        best = mains[0] if len(mains) == 1 else max(mains, key=_TEXT_LEN)
        outside = _outside_len(best, page)
        if _has_text(best, outside):  # holds half the page: no <article> outside it holds more
            return best
        most = _TEXT_LEN(best)
        total = most + outside
    else:
        total = _TEXT_LEN(page)
    if total <= 0:
        return page
    if most < 0.5 * total:
        for i, el in enumerate(doc.iter("article")):
            size = _TEXT_LEN(el)
            if size > most:
                best, most = el, size
            if size >= 0.5 * total or i >= MAX_ARTICLES:  # the first that big is the outermost
                break
    return best if most >= MAIN_SHARE * total else page


def _outside_len(el: etree._Element, page: etree._Element) -> float:
    """Characters of text in `page` but not in `el`: after the chrome is gone, usually little,
    so measuring it is cheaper than measuring the whole page."""
    size = 0.0
    node = el
    while node is not page:
        parent = node.getparent()
        if parent is None:
            break
        size += len((parent.text or "").strip())
        for child in parent:
            size += len((child.tail or "").strip())
            if child is not node:
                size += _TEXT_LEN(child)
        node = parent
    return size


def _has_text(el: etree._Element, chars: float) -> bool:
    """More than `chars` characters of text under el, reading only as far as needed."""
    count = 0
    for chunk in el.itertext():
        count += len(chunk.strip())
        if count > chars:
            return True
    return False


_BLOCKS = {"p", "div", "section", "article", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
           "blockquote", "pre", "dd", "dt", "figcaption", "td", "th", "br", "label", "form"}


def _block_text(root: etree._Element) -> str:
    """Text with a newline at block boundaries, so paragraphs and headings stay apart. The
    newlines are written into the tree, then lxml serialises its text in one call."""
    for el in root.iter(*_BLOCKS):
        try:
            el.text = "\n" + el.text if el.text else "\n"
            if el is not root:
                el.tail = "\n" + el.tail if el.tail else "\n"
        except ValueError:  # as in _drop; rare, so the common path stays one assignment
            el.text = "\n" + _xml_safe(el.text or "")
            if el is not root:
                el.tail = "\n" + _xml_safe(el.tail or "")
    text = _INLINE_WS.sub(" ", etree.tostring(root, method="text", encoding=str, with_tail=False))
    return "\n".join(line for line in (part.strip() for part in text.split("\n")) if line)


# -- what the page says the site is called (brand.py) ---------------------------------------------
_ORG_TYPE = re.compile(r"(?:Organization|Corporation|Business|Store|Agency|Company|[a-z]Service)$")
_ORG_TYPES = frozenset({"NGO", "Brand", "Plumber", "Electrician", "Locksmith", "Dentist",
                        "Physician", "Attorney", "Restaurant", "Bakery", "Hotel", "Library",
                        "Museum", "School", "CollegeOrUniversity", "Airline", "Florist"})
_LOGO_HINT = re.compile(r"logo|brand", re.I)
# the logo is among the first images and links of a page (the header's); looking no further
# keeps this cheap on pages with hundreds of links, and off the customer logos further down
_MAX_LOGO_CANDIDATES = 30
_HOME_FILES = frozenset({"", ".", "index.html", "index.htm", "index.php", "home", "home.html",
                         "default.html", "default.aspx"})


def _brand_signals(doc: etree._Element, base: str) -> tuple[str, str]:
    """(og:site_name, else the JSON-LD Organization's or WebSite's name; the logo's alt text or
    aria-label), each cleaned by `brand.clean_name` or "". Read before the header is stripped."""
    site = clean_name(_meta(doc, "site_name")[:MAX_FIELD_CHARS])
    if not site:
        named: list[tuple[int, str]] = []
        for script in doc.iter("script"):
            if (script.get("type") or "").lower() == "application/ld+json" and script.text:
                named.extend(_ld_names(script.text[:100_000]))
        site = min(named, key=lambda r: r[0])[1] if named else ""
    # the logo, best first: an image hinted "logo" in the header or a link home; an image in a
    # link home; a link home labelled or hinted "logo"; an image in the header; any "logo" image
    found: list[tuple[int, str]] = []
    origin = urlsplit(base).netloc
    for el in itertools.islice(doc.iter("img", "a"), _MAX_LOGO_CANDIDATES):
        if el.tag == "a":
            if not _links_home(el, base, origin):
                continue
            label = el.get("aria-label") or el.get("title") or ""
            if not label and _LOGO_HINT.search(f"{el.get('class') or ''} {el.get('id') or ''}"):
                label = _text(el)
            rank = 2
        else:
            label = el.get("alt") or el.get("aria-label") or el.get("title") or ""
            if not label:
                continue
            hinted = bool(_LOGO_HINT.search(
                f"{el.get('class') or ''} {el.get('id') or ''} {(el.get('src') or '')[:300]}"))
            link = next(el.iterancestors("a"), None)
            to_home = link is not None and _links_home(link, base, origin)
            in_header = next(el.iterancestors("header", "nav"), None) is not None
            rank = (0 if hinted and (in_header or to_home) else 1 if to_home else
                    3 if in_header else 4 if hinted else -1)
        name = clean_name(label[:MAX_FIELD_CHARS]) if rank >= 0 else ""
        if name:
            found.append((rank, name))
            # nothing later beats an image in a link home, or a link home without an image
            if rank <= 1 or (rank == 2 and el.find(".//img") is None):
                break
    return site, min(found, key=lambda r: r[0])[1] if found else ""


def _links_home(link: etree._Element, base: str, origin: str) -> bool:
    href = (link.get("href") or "").strip()[:2000]
    bare = href.partition("#")[0].partition("?")[0]  # checked before the costly urljoin
    if not bare or (bare.rpartition("/")[2].lower() not in _HOME_FILES
                    and not ("://" in bare and bare.count("/") == 2)):
        return False
    try:
        target = urljoin(base, href)
        return is_home(target) and urlsplit(target).netloc == origin
    except ValueError:
        return False


def _ld_names(raw: str) -> list[tuple[int, str]]:
    """(0 for an organisation, 1 for a WebSite; its name) of the first 200 JSON-LD objects,
    breadth first, for the ones with a usable name."""
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    out: list[tuple[int, str]] = []
    queue: deque[Any] = deque([data])
    seen = 0
    while queue and seen < 200:
        item = queue.popleft()
        if isinstance(item, list):
            queue.extend(item[:100])
            continue
        if not isinstance(item, dict):
            continue
        seen += 1
        queue.extend(v for v in item.values() if isinstance(v, (dict, list)))
        kinds = item.get("@type")
        kinds = [kinds] if isinstance(kinds, str) else kinds if isinstance(kinds, list) else []
        name = item.get("name")
        name = clean_name(name[:MAX_FIELD_CHARS]) if isinstance(name, str) else ""
        if not name:
            continue
        if any(isinstance(k, str) and (k in _ORG_TYPES or _ORG_TYPE.search(k)) for k in kinds):
            out.append((0, name))
        elif "WebSite" in kinds:
            out.append((1, name))
    return out
