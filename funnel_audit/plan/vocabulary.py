"""The words that tell a page label, a kind of page, or a person from the name of something a
business offers: what `subjects.py` sets aside when it reads a site's titles."""

from __future__ import annotations

LABEL_PHRASES = frozenset(
    " ".join(line.split())
    for line in (
        "project",
        "projects",
        "case study",
        "customer story",
        "success story",
        "webinar",
        "blog",
        "news",
        "guide",
        "faq",
        "faqs",
        "overview",
        "product overview",
        "home",
        "home page",
        "welcome",
        "services",
        "our services",
        "about",
        "about us",
        "contact",
        "contact us",
        "contact sales",
        "thank you",
        "thanks",
        "pricing",
        "prices",
        "fixed prices",
        "pricing and plans",
        "plans",
        "reviews",
        "customer reviews",
        "testimonials",
        "careers",
        "integrations",
        "solutions",
        "resources",
        "ebook",
        "free ebook",
        "features",
        "platform",
        "product",
        "products",
        "shop",
        "store",
        "help",
        "support",
        "docs",
        "documentation",
        "login",
        "log in",
        "sign up",
        "page not found",
        "book a demo",
        "request a quote",
        "start your free trial",
        "book an engineer",
        "practice areas",
        "get help",
        "get involved",
        "how we help",
        "what we do",
        "who we are",
        "our work",
        "our story",
        "meet the team",
        "how it works",
        "areas we cover",
    )
)
# who does the work rather than what it is: "plumber and heating engineer" is a trade, not a topic
PEOPLE = frozenset(
    """engineer engineers plumber plumbers electrician electricians lawyer lawyers attorney
    attorneys solicitor solicitors accountant accountants consultant consultants adviser advisers
    advisor advisors specialist specialists contractor contractors agency agencies company
    companies firm firms team teams expert experts professionals technician technicians dentist
    dentists doctor doctors therapist therapists provider providers""".split()
)
# words that name a kind of page rather than what a business offers
PAGE_WORDS = frozenset(
    """booking bookings pricing prices price plans contact reviews review faq faqs about services
    service support help account login careers jobs news blog home terms privacy policy shop cart
    checkout basket delivery returns overview resources team areas area served locations
    location industries industry partner partners program programme tools videos video calendar
    facts studies gallery portfolio events webinars podcast newsletter quickstart license licence
    community contributing contribute installation install changelog download downloads api
    reference roadmap sponsors governance""".split()
)
# address segments of pages about people, whose titles are names, not offerings
PEOPLE_SECTIONS = frozenset(
    """team our-team people staff about about-us meet-the-team leadership attorneys lawyers
    doctors dentists physicians providers bio bios profile profiles author authors partners
    our-people""".split()
)
