"""Page families a consultant recognises at a glance, found from the URL and title alone.

Legal pages, careers and job posts, logins and account pages, utility pages (unsubscribe, search,
verification files), tag/category/author archives and pagination, press releases, forms for
existing customers (review requests, referrals, bill payment, renewals, warranty registration):
every site has them, they follow the web's own naming conventions, and a page-by-page model that
reads their body text gets them wrong in blocks (a job post with an "Apply now" form reads as
conversion). Each family comes with a reason a person can check. Cart, checkout and thank-you
pages are the conversion family. Nothing here is keyed to any one site's words: only to
conventions that hold across the web.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from funnel_audit.models import Stage


@dataclass(frozen=True, slots=True)
class Family:
    """A recognised page family: the stage it settles, and a reason the person checking can read."""

    name: str
    stage: Stage
    reason: str


def _segment_rule(words: str) -> re.Pattern[str]:
    """A path segment that is one of `words` (hyphen/underscore variants, optional extension)."""
    return re.compile(rf"^(?:{words})(?:\.html?|\.php|\.aspx?)?$", re.I)


_LEGAL = _segment_rule(
    r"privacy|privacy[-_]?policy|privacy[-_]?notice|privacy[-_]?statement|legal[-_]?privacy|"
    r"terms|terms[-_]?(?:and|&)?[-_]?conditions|terms[-_]?of[-_]?(?:use|service|sale)|tos|"
    r"cookies?|cookie[-_]?policy|cookie[-_]?notice|disclaimer|disclaimers|legal|legal[-_]?notice|"
    r"imprint|impressum|accessibility|accessibility[-_]?statement|gdpr|ccpa|"
    r"modern[-_]?slavery(?:[-_]?statement)?|disclosures?|regulatory[-_]?disclosures?|"
    r"copyright|dmca|acceptable[-_]?use(?:[-_]?policy)?|eula|licen[cs]e[-_]?agreement|"
    r"service[-_]?agreement|complaints[-_]?policy|whistleblow(?:er|ing)[-_]?policy"
)
_CAREERS = _segment_rule(
    r"careers?|jobs?|vacanc(?:y|ies)|job[-_]?openings|open[-_]?positions|join[-_]?(?:our|the)[-_]?"
    r"team|work[-_]?(?:with|for)[-_]?us|recruitment|employment[-_]?opportunities"
)
_ACCOUNT = _segment_rule(
    r"login|log[-_]?in|signin|sign[-_]?in|logout|log[-_]?out|my[-_]?account|account|accounts|"
    r"portal|client[-_]?portal|customer[-_]?portal|patient[-_]?portal|dashboard|admin|"
    r"wp[-_]?admin|wp[-_]?login|reset[-_]?password|forgot[-_]?password|password[-_]?reset|"
    r"[a-z]+[-_]login"
)
_UTILITY = _segment_rule(
    r"unsubscribe|unsubscribed|email[-_]?preferences|preferences|verify|verification|"
    r"confirm[-_]?email|email[-_]?confirmed|404|not[-_]?found|500|error|search|search[-_]?results|"
    r"sitemap|site[-_]?map|maintenance|coming[-_]?soon|offline|unavailable|geo[-_]?blocked|"
    r"google[0-9a-f]{8,}|bing[-_]?site[-_]?auth|yandex_[0-9a-f]+"
)
_ARCHIVE_PARENT = re.compile(r"^(?:tags?|categor(?:y|ies)|authors?|archives?|topics?)$", re.I)
_PAGINATION = re.compile(r"^(?:page|p)$", re.I)
_PRESS = _segment_rule(
    r"press|press[-_]?releases?|media[-_]?releases?|newsroom|news[-_]?releases?|"
    r"press[-_]?room|announcements?|media[-_]?centre|media[-_]?center|in[-_]?the[-_]?news"
)
# forms and pages that serve people who already buy: the labelling convention sets them outside
# the funnel ("/reviews/" is testimonials, so only the asking forms are here)
_CUSTOMERS = _segment_rule(
    r"leave[-_]?a[-_]?review|write[-_]?a[-_]?review|review[-_]?request|request[-_]?a[-_]?review|"
    r"review[-_]?us|rate[-_]?us|feedback|customer[-_]?feedback|feedback[-_]?(?:form|review)|"
    r"refer[-_]?a[-_]?(?:friend|client|patient|colleague)|referral[-_]?(?:form|program|"
    r"programme|club|rewards)|pay[-_]?(?:my[-_]?)?(?:bill|invoice|online)|bill[-_]?pay(?:ment)?|"
    r"make[-_]?a[-_]?payment|renew(?:al)?|renew[-_]?(?:membership|policy|subscription)|"
    r"returns?[-_]?(?:request|form|portal)|warranty[-_]?(?:registration|claim)|"
    r"register[-_]?(?:your[-_]?)?(?:product|warranty)|product[-_]?registration|"
    r"update[-_]?(?:your[-_]?)?details|change[-_]?of[-_]?address|"
    r"(?:members|clients?|customers?)[-_]?(?:area|only|lounge|hub)"
)
_CHECKOUT = _segment_rule(r"cart|basket|checkout|check[-_]?out|bag")
_THANKS = _segment_rule(
    r"thank[-_]?you|thanks|thankyou|order[-_]?(?:received|confirmed|confirmation)|"
    r"booking[-_]?confirmed|confirmation|success"
)

_TITLE_RULES: tuple[tuple[re.Pattern[str], str, Stage, str], ...] = (
    (
        re.compile(
            r"^(?:privacy (?:policy|notice|statement)|terms (?:of (?:use|service|sale)|and "
            r"conditions|& conditions)|cookie (?:policy|notice)|disclaimer|legal notice|"
            r"accessibility statement)\b",
            re.I,
        ),
        "legal",
        Stage.EXCLUDED,
        "legal page (title)",
    ),
    (
        re.compile(
            r"^(?:careers?|jobs|current (?:vacancies|openings)|job openings|"
            r"work with us|join our team)\b",
            re.I,
        ),
        "careers",
        Stage.EXCLUDED,
        "careers page (title)",
    ),
    (
        re.compile(
            r"^(?:log ?in|sign ?in|my account|client portal|customer portal|"
            r"reset (?:your )?password)\b",
            re.I,
        ),
        "account",
        Stage.EXCLUDED,
        "login or account page (title)",
    ),
    (
        re.compile(
            r"^(?:page not found|404\b|unsubscribe|you have been unsubscribed|"
            r"search results|site ?map\b|not available in your (?:country|region))",
            re.I,
        ),
        "utility",
        Stage.EXCLUDED,
        "utility page (title)",
    ),
    (
        re.compile(r"\bpress release\b|^(?:for immediate release|media release)\b", re.I),
        "press",
        Stage.EXCLUDED,
        "press release (title)",
    ),
)
_TITLE_SEPARATOR = re.compile(r"\s[|\u2013\u2014:\u00b7-]\s")


def _segments(url: str) -> list[str]:
    try:
        path = unquote(urlsplit(url).path)
    except ValueError:
        return []
    return [s for s in path.split("/") if s and s.lower() not in ("index.html", "index.htm")]


def _title_parts(title: str, brand: str) -> list[str]:
    """The title's segments, without the one that is the site's name."""
    parts = [p.strip() for p in _TITLE_SEPARATOR.split(title) if p.strip()]
    kept = [p for p in parts if not brand or p.lower() != brand.lower()]
    return kept or parts


def page_family(url: str, title: str = "", brand: str = "") -> Family | None:
    """The family a page belongs to, or None for an ordinary page."""
    segs = _segments(url)
    try:
        query = urlsplit(url).query.lower()
    except ValueError:
        query = ""
    for i, seg in enumerate(segs):
        nxt = segs[i + 1] if i + 1 < len(segs) else ""
        if _PAGINATION.match(seg) and nxt.isdigit():
            return Family("archive", Stage.EXCLUDED, f"pagination page (/{seg}/{nxt}/)")
        if _ARCHIVE_PARENT.match(seg) and nxt:
            return Family("archive", Stage.EXCLUDED, f"{seg.lower()} archive (/{seg}/…)")
    if re.search(r"(?:^|&)(?:page|paged)=\d+", query):
        return Family("archive", Stage.EXCLUDED, "pagination page (?page=)")
    rules = (
        (_LEGAL, "legal", Stage.EXCLUDED, "legal page"),
        (_CAREERS, "careers", Stage.EXCLUDED, "careers or job post"),
        (_ACCOUNT, "account", Stage.EXCLUDED, "login or account page"),
        (_UTILITY, "utility", Stage.EXCLUDED, "utility page"),
        (_PRESS, "press", Stage.EXCLUDED, "press release or announcement"),
        (_CUSTOMERS, "customers", Stage.EXCLUDED, "page for existing customers"),
        (_CHECKOUT, "checkout", Stage.CONVERSION, "cart or checkout"),
        (_THANKS, "thank-you", Stage.CONVERSION, "thank-you page"),
    )
    # the page's own segment decides first; a parent folder names the family of what it holds
    # (every page under /careers/ is a job post), except that checkout/thank-you are leaf names
    for depth, seg in enumerate(reversed(segs)):
        for rule, name, stage, why in rules:
            if depth > 0 and name in ("checkout", "thank-you", "utility", "customers"):
                continue
            # a /press/ page itself often lists coverage ("as seen in"): proof, not a release
            if depth == 0 and name == "press":
                continue
            if rule.match(seg):
                return Family(name, stage, f"{why} (URL /{seg}/)")
    for part in _title_parts(title, brand)[:1]:
        for rx, name, stage, why in _TITLE_RULES:
            if rx.search(part):
                return Family(name, stage, why)
    return None
