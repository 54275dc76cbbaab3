"""What sort of business a site is, so the plan proposes formats that suit it.

A local plumber does not need an ROI calculator or a webinar series; a software company does; a
charity asks for donations, not quotes. The kind is read from the conventions sites of each kind
share in their addresses and page titles (a /donate page, a free trial, service-area pages,
checkout and basket pages, a consultation booking, downloads and documentation), counted over the
whole site so no single page decides it. Sites that show no clear pattern are `general`, which
gets the formats every kind can use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from urllib.parse import urlsplit

from funnel_audit.models import PageResult

LOCAL = "local service"
SAAS = "software (SaaS)"
SHOP = "online shop"
NONPROFIT = "non-profit"
PROFESSIONAL = "professional services"
OPEN_SOURCE = "open-source project"
GENERAL = "general"
KINDS = (LOCAL, SAAS, SHOP, NONPROFIT, PROFESSIONAL, OPEN_SOURCE, GENERAL)

# cues in addresses and titles, as whole words; each page counts once per cue family
CUES: dict[str, tuple[str, ...]] = {
    LOCAL: (
        "areas we cover",
        "areas",
        "service area",
        "near me",
        "near you",
        "call out",
        "callout",
        "call-back",
        "callback",
        "emergency",
        "engineer",
        "technician",
        "installation",
        "repairs",
        "repair",
        "same day",
        "free estimate",
        "estimate",
        "quote",
        "locations",
        "clinic",
        "salon",
        "appointment",
    ),
    SAAS: (
        "free trial",
        "trial",
        "sign up",
        "signup",
        "log in",
        "login",
        "dashboard",
        "integrations",
        "integration",
        "api",
        "platform",
        "plans",
        "book a demo",
        "demo",
        "software",
        "automation",
        "app",
        "changelog",
        "release notes",
    ),
    SHOP: (
        "cart",
        "basket",
        "checkout",
        "shop",
        "add to cart",
        "delivery",
        "shipping",
        "returns",
        "collections",
        "collection",
        "products",
        "gift",
        "sale",
        "size guide",
    ),
    NONPROFIT: (
        "donate",
        "donation",
        "donations",
        "volunteer",
        "volunteering",
        "fundraise",
        "fundraising",
        "charity",
        "our impact",
        "impact report",
        "appeal",
        "gift aid",
        "sponsor a",
        "nonprofit",
        "non-profit",
    ),
    PROFESSIONAL: (
        "consultation",
        "consultancy",
        "consulting",
        "advisers",
        "advisors",
        "advisory",
        "attorney",
        "attorneys",
        "lawyer",
        "lawyers",
        "solicitors",
        "accountants",
        "practice areas",
        "our people",
        "partners",
        "case results",
        "fees",
        "engagement",
    ),
    OPEN_SOURCE: (
        "open source",
        "open-source",
        "github",
        "download",
        "downloads",
        "install",
        "installation guide",
        "documentation",
        "docs",
        "contribute",
        "contributing",
        "release",
        "releases",
        "community",
        "sponsors",
        "license",
    ),
}
MIN_SHARE = 0.06  # the leading kind must be cued on at least this share of pages
MIN_PAGES = 2


def page_words(page: PageResult) -> str:
    """A page's address path and title as lower-case words between spaces, for cue matching."""
    parts = urlsplit(page.url).path.lower()
    path = re.sub(r"[/_.\-]+", " ", parts)
    return f" {path} {page.title.lower()} "


def _hits(text: str, cues: Iterable[str]) -> bool:
    return any(re.search(rf"(?<![a-z]){re.escape(cue)}(?![a-z])", text) for cue in cues)


def cue_counts(pages: Sequence[PageResult]) -> dict[str, int]:
    """How many pages carry each kind's cues (a page counts once per kind)."""
    counts = dict.fromkeys(CUES, 0)
    for page in pages:
        if page.error is not None:
            continue
        text = page_words(page)
        for kind, cues in CUES.items():
            if _hits(text, cues):
                counts[kind] += 1
    return counts


def site_kind(pages: Sequence[PageResult]) -> str:
    """The kind of business whose cues the site carries most, or `general` when none stands out.

    Donations and checkouts are decisive when present on two or more pages: a charity with a shop
    is still a charity, and a shop's help pages mention delivery more than anything else."""
    counts = cue_counts(pages)
    read = sum(1 for p in pages if p.error is None) or 1
    for decisive in (NONPROFIT, SHOP):
        if counts[decisive] >= max(MIN_PAGES, 0.1 * read) and _decisive(pages, decisive):
            return decisive
    kind, hits = max(counts.items(), key=lambda kv: (kv[1], -KINDS.index(kv[0])))
    if hits < MIN_PAGES or hits / read < MIN_SHARE:
        return GENERAL
    return kind


_DECISIVE = {
    NONPROFIT: ("donate", "donation", "donations", "volunteer", "charity", "gift aid"),
    SHOP: ("cart", "basket", "checkout", "add to cart"),
}


def _decisive(pages: Sequence[PageResult], kind: str) -> bool:
    """Whether the site has the one page its kind cannot do without (a donate page, a cart)."""
    return any(_hits(page_words(p), _DECISIVE[kind]) for p in pages if p.error is None)
