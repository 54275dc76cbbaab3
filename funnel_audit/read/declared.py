"""What a page says it is: the main entity of its structured data (schema.org JSON-LD or
microdata) and its Open Graph type.

Site builders and shop platforms declare a product page as a `Product` with an `Offer`, a job post
as a `JobPosting`, a blog post as a `BlogPosting` or `og:type=article`, an event as an `Event`.
These declarations follow published vocabularies rather than any one site's wording, so they say
what a page is for where its text is ambiguous (a product page full of skin science). Only
top-level entities count: the `Offer` inside a site-wide `LocalBusiness` block, or the products
listed on a category page, describe something else.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from lxml import etree

PRODUCT, JOB, ARTICLE, EVENT = "product", "job", "article", "event"
EVENT_SIGNUP = "event-signup"  # an event page that carries its own sign-up form
_CONTACT_FIELDS = frozenset({"email", "phone"})

_KINDS = {
    "product": PRODUCT,
    "productgroup": PRODUCT,
    "jobposting": JOB,
    "article": ARTICLE,
    "blogposting": ARTICLE,
    "newsarticle": ARTICLE,
    "event": EVENT,
    "educationevent": EVENT,
    "businessevent": EVENT,
}
_OG_KINDS = {"product": PRODUCT, "product.item": PRODUCT, "og:product": PRODUCT, "article": ARTICLE}
_PRICED = etree.XPath(".//*[@itemprop='price' or @itemprop='lowPrice']")
_TOP_ITEMSCOPES = etree.XPath("//*[@itemscope and @itemtype and not(ancestor::*[@itemscope])]")
MAX_JSON_CHARS = 100_000


def declared_kind(doc: etree._Element) -> str:
    """One of PRODUCT, JOB, ARTICLE, EVENT, or "" when the page declares none of them (or
    several products, as a listing does)."""
    kinds = [
        kind
        for kind, priced in ((_KINDS.get(t.lower()), priced) for t, priced in _top_entities(doc))
        if kind and (kind != PRODUCT or priced)
    ]
    if kinds.count(PRODUCT) > 1:
        kinds = [k for k in kinds if k != PRODUCT]
    for wanted in (JOB, PRODUCT, EVENT, ARTICLE):
        if wanted in kinds:
            return wanted
    for el in doc.iter("meta"):
        if (el.get("property") or el.get("name") or "").lower() == "og:type":
            return _OG_KINDS.get((el.get("content") or "").strip().lower(), "")
    return ""


def with_forms(kind: str, form_fields: Iterable[Iterable[str]]) -> str:
    """An event page that asks for an email or phone number is the registration itself."""
    if kind == EVENT and any(_CONTACT_FIELDS.intersection(fields) for fields in form_fields):
        return EVENT_SIGNUP
    return kind


def _top_entities(doc: etree._Element) -> list[tuple[str, bool]]:
    """(type, has a price) of each top-level entity: a product page without a price may be a
    service page marked up as a product to show review stars."""
    found: list[tuple[str, bool]] = []
    for el in _TOP_ITEMSCOPES(doc):
        itemtype = (str(el.get("itemtype") or "").split() or [""])[0]
        priced = bool(_PRICED(el))
        found.append((itemtype.rstrip("/").rsplit("/", 1)[-1], priced))
    for script in doc.iter("script"):
        if (script.get("type") or "").lower() == "application/ld+json" and script.text:
            found.extend(_json_ld_top_entities(script.text[:MAX_JSON_CHARS]))
    return found[:50]


def _json_ld_top_entities(raw: str) -> Iterable[tuple[str, bool]]:
    """The @type of each top-level entity (the document itself, each item of a top-level list,
    each member of an @graph) and whether it carries an offer with a price."""
    try:
        data = json.loads(raw)
    except ValueError:
        return []
    items = data if isinstance(data, list) else [data]
    entities: list[object] = []
    for item in items[:50]:
        if isinstance(item, dict):
            graph = item.get("@graph")
            if isinstance(graph, list):
                entities.extend(graph[:50])
            else:
                entities.append(item)
    out: list[tuple[str, bool]] = []
    for entity in entities:
        if not isinstance(entity, dict):
            continue
        kind = entity.get("@type")
        kinds = [kind] if isinstance(kind, str) else kind if isinstance(kind, list) else []
        priced = _has_price(entity.get("offers"))
        out.extend((k, priced) for k in kinds if isinstance(k, str))
    return out


def _has_price(offers: object) -> bool:
    items = offers if isinstance(offers, list) else [offers]
    return any(
        isinstance(o, dict) and any(o.get(k) not in (None, "") for k in ("price", "lowPrice"))
        for o in items[:20]
    )
