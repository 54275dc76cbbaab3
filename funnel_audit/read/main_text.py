"""The page's own text: site chrome dropped, the main content found on real templates.

A `<main>` inside a `<header>`, a small call-to-action `<article>` before the real body, cookie
banners and wrappers that hold most of the page are all handled here; see `strip_boilerplate`
and `main_root`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from lxml import etree

from funnel_audit.read.dom import (
    BOILERPLATE_HINT,
    HINTED,
    INLINE_WS,
    NON_TEXT_TAGS,
    PAGE_CHROME_TAGS,
    TEXT_LEN,
)

HEADED_WRAPPER_SHARE = 0.5
WRAPPER_SHARE = 0.6
MAX_LINK_SHARE = 0.5
MAIN_SHARE = 0.4
MAX_ARTICLES = 200
_COOKIE_HINT = re.compile(r"cookie|consent|gdpr", re.I)
_HEADER_HINT = re.compile(r"header", re.I)


def strip_boilerplate(doc: etree._Element) -> list[etree._Element]:
    """Drop site chrome (nav, header, footer, aside, cookie banners, menus), but not a wrapper that
    holds the page itself: page builders put <main> inside a <header>, and themes put classes such
    as "has-navbar" on the div around everything, which would otherwise drop the whole page.
    Returns the page's <main> and role=main elements (all kept), for main_root."""
    for el in list(doc.iter(*NON_TEXT_TAGS)):
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
    for el in HINTED(doc):
        tag = el.tag
        role = el.get("role") or ""
        if role == "main" and tag != "main":
            mains.append(el)
        if tag in PAGE_CHROME_TAGS or tag in ("html", "body", "main", "article"):
            continue
        hint = f"{el.get('class') or ''} {el.get('id') or ''} {role}"
        if len(hint) > 2 and BOILERPLATE_HINT.search(hint):
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
            measured.append(TEXT_LEN(page))
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
    size = TEXT_LEN(el)
    if size <= 0 or size < share * page_len():
        return False
    return el in headed or sum(TEXT_LEN(a) for a in el.iter("a")) < MAX_LINK_SHARE * size


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


def main_root(doc: etree._Element, mains: list[etree._Element]) -> etree._Element:
    """The element holding the page's own text, read after the chrome is dropped: the largest of
    `mains` (<main>, role=main), else the largest <article>, if it holds at least MAIN_SHARE of
    the body's text; else the body. Largest, not first: a short call-to-action <article> often
    comes before the real body, a listing's first article card is one of many, and some
    templates leave <main> nearly empty."""
    body = doc.find("body")
    page = body if body is not None else doc
    best, most = page, 0.0
    if mains:
        best = mains[0] if len(mains) == 1 else max(mains, key=TEXT_LEN)
        outside = _outside_len(best, page)
        if _has_text(best, outside):  # holds half the page: no <article> outside it holds more
            return best
        most = TEXT_LEN(best)
        total = most + outside
    else:
        total = TEXT_LEN(page)
    if total <= 0:
        return page
    if most < 0.5 * total:
        for i, el in enumerate(doc.iter("article")):
            size = TEXT_LEN(el)
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
                size += TEXT_LEN(child)
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


_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "dd",
    "dt",
    "figcaption",
    "td",
    "th",
    "br",
    "label",
    "form",
}


def block_text(root: etree._Element) -> str:
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
    text = INLINE_WS.sub(" ", etree.tostring(root, method="text", encoding=str, with_tail=False))
    return "\n".join(line for line in (part.strip() for part in text.split("\n")) if line)


# -- what the page says the site is called (brand.py) ---------------------------------------------
