"""The content formats the plan draws on, per stage: their title templates, who writes them, how
much work they are, which kinds of site they suit, and how to tell that a site already has one.

Templates put the subject before a colon or after a label ("Webinar: ..."), so they read right
with any noun phrase, singular or plural. `{S}` is the subject capitalised, `{s}` as it is,
`{site}` the site's name, `{action}` its conversion button ("Request a quote"), `{noun}` what a
visitor sends ("quote request"), `{year}` the entry's year. Formats without a subject in their
templates are about the whole site (a guarantee page, a reviews page).
"""

from __future__ import annotations

from dataclasses import dataclass

from funnel_audit.analyse.site_kind import (
    GENERAL,
    LOCAL,
    NONPROFIT,
    OPEN_SOURCE,
    PROFESSIONAL,
    SAAS,
    SHOP,
)
from funnel_audit.models import Stage

ALL = frozenset({LOCAL, SAAS, SHOP, NONPROFIT, PROFESSIONAL, OPEN_SOURCE, GENERAL})
SELLING = ALL - {NONPROFIT}
SERVICES = frozenset({LOCAL, PROFESSIONAL, GENERAL})
SOFTWARE = frozenset({SAAS, OPEN_SOURCE})


@dataclass(frozen=True, slots=True)
class Format:
    """A content format for a stage: its title templates, who usually writes it, how easy it is
    to produce (1 = weeks of work, 10 = an afternoon), the site kinds it suits and, for a page a
    site needs once, the words in an address or title that show the site already has it."""

    name: str
    titles: tuple[str, ...]
    owner: str
    ease: int = 6
    kinds: frozenset[str] = ALL
    has: tuple[str, ...] = ()
    unnamed: tuple[str, ...] = ()  # titles for a site whose pages never give its name

    def templates(self, named: bool) -> tuple[str, ...]:
        """The title templates to try: `unnamed` ones when the site has no name to put in."""
        if named or not any("{site}" in t for t in self.titles):
            return self.titles
        return self.unnamed

    @property
    def site_wide(self) -> bool:
        """A page about the whole site rather than one subject."""
        return not any("{s}" in t or "{S}" in t for t in self.titles)


CATALOGUE: dict[Stage, tuple[Format, ...]] = {
    Stage.AWARENESS: (
        Format(
            "guide", ("{S}: a beginner's guide", "{S}, explained from the ground up"), "writer", 6
        ),
        Format("checklist", ("{S}: what to check first", "{S}: a checklist to keep"), "writer", 7),
        Format(
            "explainer",
            ("{S} explained in plain English", "{S}: the questions people ask first"),
            "writer",
            7,
        ),
        Format(
            "mistakes article",
            ("{S}: the mistakes we see most often", "{S}: five mistakes to avoid"),
            "writer",
            7,
            SELLING,
        ),
        Format(
            "seasonal tips",
            ("{S}: seasonal tips from the team",),
            "writer",
            7,
            frozenset({LOCAL, SHOP}),
        ),
        Format(
            "glossary",
            ("{S}: a glossary of the terms that matter",),
            "writer",
            6,
            frozenset({SAAS, PROFESSIONAL, OPEN_SOURCE, GENERAL}),
            ("glossary",),
        ),
        Format(
            "trends article",
            ("{S} in {year}: what is changing",),
            "writer",
            5,
            frozenset({SAAS, PROFESSIONAL, NONPROFIT, GENERAL}),
        ),
        Format(
            "tutorial",
            ("{S}: a hands-on tutorial", "{S}: getting started in ten minutes"),
            "writer",
            5,
            SOFTWARE,
        ),
        Format(
            "impact story",
            ("{S}: one story behind the numbers", "{S}: why it matters now"),
            "writer",
            6,
            frozenset({NONPROFIT}),
        ),
    ),
    Stage.CONSIDERATION: (
        Format(
            "comparison",
            ("{S}: your options compared", "{S}: which option fits your situation"),
            "writer",
            5,
            SELLING,
        ),
        Format(
            "buyer's guide",
            ("{S}: questions to ask before you choose",),
            "writer",
            5,
            SELLING,
            ("buyer's guide", "buyers guide", "buying guide"),
        ),
        Format(
            "how-it-works page",
            ("{S} with {site}: how it works, start to finish",),
            "web",
            6,
            ALL - {SHOP},
            ("how it works", "how-it-works", "our process"),
            ("{S}: how it works, start to finish",),
        ),
        Format(
            "what-to-expect page",
            ("{S}: what to expect when you work with us",),
            "writer",
            7,
            SERVICES,
        ),
        Format(
            "webinar",
            ("Webinar: {s}, your questions answered live", "Live Q&A on {s}"),
            "sales",
            4,
            frozenset({SAAS, PROFESSIONAL, GENERAL}),
        ),
        Format("use-case page", ("{S}: use cases and examples",), "web", 6, SOFTWARE | {GENERAL}),
        Format(
            "ebook",
            ("Ebook: {s}, the complete playbook",),
            "designer",
            3,
            frozenset({SAAS, PROFESSIONAL}),
        ),
        Format("gift guide", ("{S}: a gift guide for {year}",), "writer", 6, frozenset({SHOP})),
        Format(
            "programme page",
            ("{S}: how the programme works and who it helps",),
            "writer",
            6,
            frozenset({NONPROFIT}),
        ),
    ),
    Stage.DECISION: (
        Format(
            "case study",
            ("Case study: {s}, from brief to results", "Customer story: {s} results, in numbers"),
            "sales",
            5,
            frozenset({SAAS, PROFESSIONAL, GENERAL, OPEN_SOURCE}),
        ),
        Format(
            "project story",
            ("Project story: {s}, before and after", "Recent work: {s}, start to finish"),
            "sales",
            6,
            frozenset({LOCAL}),
        ),
        Format(
            "pricing explainer",
            ("{S} prices explained: what is included",),
            "sales",
            6,
            SERVICES,
            ("pricing", "prices", "price list", "fees", "costs", "rates"),
        ),
        Format(
            "pricing explainer",
            ("{site} pricing explained: which plan fits",),
            "sales",
            6,
            frozenset({SAAS}),
            ("pricing", "plans"),
            ("Pricing explained: which plan fits",),
        ),
        Format(
            "testimonials page",
            ("{site} reviews: what customers say",),
            "web",
            6,
            SELLING - {OPEN_SOURCE},
            ("reviews", "testimonials", "what our customers say", "what clients say"),
            ("Customer reviews: what people say about us",),
        ),
        Format(
            "ROI calculator",
            ("{S}: work out your return",),
            "designer",
            3,
            frozenset({SAAS}),
            ("calculator", "roi"),
        ),
        Format(
            "buying FAQ",
            ("Before you buy from {site}: common questions answered",),
            "writer",
            7,
            frozenset({SAAS, SHOP, GENERAL}),
            ("faq", "faqs", "questions"),
            ("Before you buy: common questions answered",),
        ),
        Format(
            "buying FAQ",
            ("Before you book {s}: common questions answered",),
            "writer",
            7,
            frozenset({LOCAL, PROFESSIONAL}),
            ("faq", "faqs", "questions"),
        ),
        Format(
            "guarantee page",
            ("The {site} guarantee, in plain words",),
            "writer",
            7,
            frozenset({LOCAL, SHOP, SAAS, GENERAL}),
            ("guarantee", "warranty", "money back", "money-back"),
            ("Our guarantee, in plain words",),
        ),
        Format(
            "why-us page",
            ("{S}: why clients choose {site}",),
            "writer",
            7,
            SELLING - {OPEN_SOURCE},
            ("why choose", "why us", "why-us", "about us"),
            ("{S}: why clients choose us",),
        ),
        Format(
            "alternatives comparison",
            ("{S}: {site} and the alternatives, compared honestly",),
            "writer",
            5,
            frozenset({SAAS, OPEN_SOURCE, PROFESSIONAL, GENERAL}),
            (),
            ("{S}: the alternatives, compared honestly",),
        ),
        Format(
            "value article",
            ("{S}: costs, benefits and what to ask", "{S}: what you pay, and the value you get"),
            "writer",
            6,
            SELLING - {OPEN_SOURCE},
        ),
        Format(
            "showcase",
            ("Built with {site}: {s} in real projects",),
            "writer",
            5,
            frozenset({OPEN_SOURCE}),
            (),
            ("{S} in real projects: a showcase",),
        ),
        Format(
            "migration guide",
            ("{S}: migrating from the alternatives",),
            "writer",
            5,
            SOFTWARE,
        ),
        Format(
            "supporter story",
            ("Supporter story: {s}, in their words",),
            "writer",
            6,
            frozenset({NONPROFIT}),
        ),
        Format(
            "results page",
            ("{S}: what your support achieved",),
            "writer",
            6,
            frozenset({NONPROFIT}),
        ),
        Format(
            "product reviews",
            ("{S}: customer reviews and ratings",),
            "web",
            6,
            frozenset({SHOP}),
        ),
        Format(
            "fees page",
            ("{S}: our fees and what they cover",),
            "sales",
            6,
            frozenset({PROFESSIONAL}),
            ("fees", "pricing", "costs", "rates"),
        ),
        Format(
            "impact report",
            ("Where your donation goes: {site} in {year}",),
            "writer",
            5,
            frozenset({NONPROFIT}),
            ("impact", "annual report", "where your money goes"),
            ("Where your donation goes in {year}",),
        ),
    ),
    Stage.CONVERSION: (
        Format("landing page with form", ("{action}: {s}",), "web", 6),
        Format(
            "campaign landing page",
            ("{S}: a landing page for paid campaigns",),
            "web",
            6,
            SELLING - {OPEN_SOURCE},
        ),
        Format(
            "booking page",
            ("Book online: {s}",),
            "web",
            6,
            SERVICES,
            ("book", "booking", "appointment", "schedule"),
        ),
        Format(
            "sign-up page",
            ("Start with {site}: sign-up in two minutes",),
            "web",
            6,
            frozenset({SAAS}),
            ("sign up", "signup", "register", "trial", "get started"),
            ("Sign up in two minutes: how to start",),
        ),
        Format(
            "donate page",
            ("Donate to {site}: what your gift does",),
            "web",
            6,
            frozenset({NONPROFIT}),
            ("donate", "donation", "give"),
            ("Donate: what your gift does",),
        ),
        Format(
            "thank-you page",
            ("Thank-you page: what happens after your {noun}",),
            "web",
            8,
            ALL,
            ("thank you", "thank-you", "thanks"),
        ),
    ),
}


def formats_for(stage: Stage, kind: str) -> tuple[Format, ...]:
    """The stage's formats that suit a site of `kind`."""
    return tuple(f for f in CATALOGUE[stage] if kind in f.kinds)
