"""What a page says the site is called: its JSON-LD organisation name and its logo's alt text
(`brand.py` weighs these across pages)."""

from __future__ import annotations

import itertools
import json
import re
from collections import deque
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from funnel_audit.read.brand import clean_name, is_home
from funnel_audit.read.dom import MAX_FIELD_CHARS, meta_content, text_of

_ORG_TYPE = re.compile(r"(?:Organization|Corporation|Business|Store|Agency|Company|[a-z]Service)$")
_ORG_TYPES = frozenset(
    {
        "NGO",
        "Brand",
        "Plumber",
        "Electrician",
        "Locksmith",
        "Dentist",
        "Physician",
        "Attorney",
        "Restaurant",
        "Bakery",
        "Hotel",
        "Library",
        "Museum",
        "School",
        "CollegeOrUniversity",
        "Airline",
        "Florist",
    }
)
_LOGO_HINT = re.compile(r"logo|brand", re.I)
# the logo is among the first images and links of a page (the header's); looking no further
# keeps this cheap on pages with hundreds of links, and off the customer logos further down
_MAX_LOGO_CANDIDATES = 30
_HOME_FILES = frozenset(
    {
        "",
        ".",
        "index.html",
        "index.htm",
        "index.php",
        "home",
        "home.html",
        "default.html",
        "default.aspx",
    }
)


def brand_signals(doc: etree._Element, base: str) -> tuple[str, str]:
    """(og:site_name, else the JSON-LD Organization's or WebSite's name; the logo's alt text or
    aria-label), each cleaned by `brand.clean_name` or "". Read before the header is stripped."""
    site = clean_name(meta_content(doc, "site_name")[:MAX_FIELD_CHARS])
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
                label = text_of(el)
            rank = 2
        else:
            label = el.get("alt") or el.get("aria-label") or el.get("title") or ""
            if not label:
                continue
            hinted = bool(
                _LOGO_HINT.search(
                    f"{el.get('class') or ''} {el.get('id') or ''} {(el.get('src') or '')[:300]}"
                )
            )
            link = next(el.iterancestors("a"), None)
            to_home = link is not None and _links_home(link, base, origin)
            in_header = next(el.iterancestors("header", "nav"), None) is not None
            rank = (
                0
                if hinted and (in_header or to_home)
                else 1
                if to_home
                else 3
                if in_header
                else 4
                if hinted
                else -1
            )
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
    if not bare or (
        bare.rpartition("/")[2].lower() not in _HOME_FILES
        and not ("://" in bare and bare.count("/") == 2)
    ):
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
