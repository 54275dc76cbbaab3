"""The page's links (and which of them sit in its body), calls to action and forms."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from lxml import etree

from funnel_audit.models import Form
from funnel_audit.read.dom import (
    CTA_CLASS,
    CTA_WORDS,
    MAX_CTAS,
    MAX_FORMS,
    MAX_LINKS,
    join_url,
    text_of,
)

_CHROME_TAGS = ("nav", "aside", "header", "footer")
_CHROME_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "menu", "menubar", "search"}
)
_CHROME_TOKEN = re.compile(
    r"^(?:(?:site|main|global|primary|secondary|top|page|mega|mobile|desktop|sticky|header|"
    r"footer|nav)[-_]?)?(?:header|footer|nav|navigation|navbar|menu|menubar|sidebar|topbar|"
    r"breadcrumbs?|masthead)(?:[-_]?(?:wrap|wrapper|container|inner|outer|links|menu|nav|bar|"
    r"area|widgets?|top|bottom|main|list|items|primary|secondary))?$"
    r"|(?:^|[-_])(?:cookie|consent|gdpr)",
    re.I,
)
_CHROME_ANY = re.compile(
    r"header|footer|nav|menu|sidebar|topbar|breadcrumb|masthead|cookie|"
    r"consent|gdpr|banner|contentinfo|complementary|search",
    re.I,
)
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
        elif (
            el.tag == "nav" or (el.tag == "aside" or not _in_main(el)) and not _HOLDS_CONTENT(el)
        ):  # a <header> wrapping <main> is no chrome
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
        if (
            hinted
            and el.tag not in ("html", "body", "main", "article")
            and el not in containers
            and not _HOLDS_CONTENT(el)
        ):
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


def page_links(doc: etree._Element, base: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
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


def page_ctas(doc: etree._Element) -> tuple[str, ...]:
    """Labels of the page's calls to action: buttons, and links styled or worded as one
    (cookie-banner buttons left out)."""
    found: list[str] = []
    for el in doc.iter("button", "a", "input"):
        if el.tag == "input":
            if (el.get("type") or "").lower() not in ("submit", "button"):
                continue
            label = " ".join((el.get("value") or "").split())
        else:
            label = text_of(el)
        if not label or len(label) > 60:
            continue
        is_button = (
            el.tag != "a"
            or bool(CTA_CLASS.search(el.get("class") or ""))
            or (el.get("role") or "") == "button"
        )
        if is_button or CTA_WORDS.match(label):
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
_TYPE_KIND = {
    "email": "email",
    "tel": "phone",
    "password": "password",
    "date": "date",
    "datetime-local": "date",
    "time": "time",
    "number": "quantity",
    "search": "search",
    "file": "file",
    "checkbox": "checkbox",
}


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


def page_forms(doc: etree._Element, base: str) -> tuple[Form, ...]:
    """The page's forms that ask for something, each reduced to its action and field kinds."""
    forms: list[Form] = []
    for form in doc.iter("form"):
        kinds = [
            k for k in (_field_kind(el) for el in form.iter("input", "select", "textarea")) if k
        ]
        if not kinds:
            continue
        action = join_url(base, (form.get("action") or "").strip()[:2000]) or ""
        forms.append(
            Form(
                action=action,
                method=(form.get("method") or "get").lower()[:10],
                field_kinds=tuple(dict.fromkeys(kinds)),
            )
        )
        if len(forms) >= MAX_FORMS:
            break
    return tuple(forms)


# shares of the page's text (characters, spaces collapsed) that decide what is chrome and what is
# the page: see strip_boilerplate and main_root
