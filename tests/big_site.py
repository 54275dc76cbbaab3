"""A generated static site of a few hundred pages for layout tests: long titles, long unbroken
URLs, deep sections and every funnel stage, so the report's tables, page lists and print layout
meet the sizes a real client site gives them."""

from __future__ import annotations

from pathlib import Path

BRAND = "Northwind Fieldservice Software"
TOPICS = (
    "preventive maintenance scheduling",
    "technician dispatch optimisation",
    "work order management",
    "mobile inspections and checklists",
    "spare parts inventory",
    "customer service portals",
)
SLUG_TAIL = "-and-what-every-operations-director-should-know-before-the-next-budget-review"


def _page(title: str, body: str, links: list[str], form: bool = False) -> str:
    nav = "".join(f'<a href="{href}">{text}</a> ' for href, text in NAV)
    more = "".join(f'<li><a href="{href}">{href}</a></li>' for href in links)
    fields = (
        '<form action="/thanks/"><label>Email <input type="email" name="email"></label>'
        '<label>Phone <input type="tel" name="phone"></label><label>Company '
        '<input name="company"></label><button>Book my demo</button></form>'
        if form
        else ""
    )
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title} | {BRAND}"
        f"</title><meta property='og:site_name' content='{BRAND}'></head><body><header><nav>"
        f"{nav}</nav></header><main><h1>{title}</h1>{body}{fields}<ul>{more}</ul></main>"
        f"<footer><a href='/legal/privacy/'>Privacy</a> <a href='/careers/'>Careers</a>"
        f"</footer></body></html>"
    )


NAV = (
    ("/", "Home"),
    ("/product/", "Product"),
    ("/pricing/", "Pricing"),
    ("/customers/", "Customers"),
    ("/blog/", "Blog"),
    ("/demo/", "Book a demo"),
)


def _article(topic: str, i: int) -> tuple[str, str]:
    title = (
        f"How to get started with {topic}: a practical field guide, part {i}, with templates, "
        "examples and the mistakes that cost service teams the most time"
    )
    body = (
        f"<p>This guide explains {topic} for service managers. What is {topic}, why it matters "
        f"and how teams learn the basics. Tips, a checklist and a glossary of {topic} terms.</p>"
        "<p>In this article we look at common questions, research from the industry and ideas "
        "you can try this week. Read on to learn how other teams approach the problem.</p>"
    ) * 3
    return title, body


def _feature(topic: str, i: int) -> tuple[str, str]:
    title = f"{topic.capitalize()} features: how the platform handles it, module {i}"
    body = (
        f"<p>Our {topic} module lets you plan, assign and track work. See how it works, compare "
        "approaches, integrations with your ERP and the solutions for your industry.</p>"
        "<p>Product overview, features, use cases, and a comparison with spreadsheets.</p>"
    ) * 3
    return title, body


def _decision(topic: str, i: int) -> tuple[str, str]:
    title = f"Case study {i}: how a utility cut {topic} costs by 31% in a year"
    body = (
        f"<p>Customer story and results. Pricing from $49 per technician per month, plans and "
        f"fees, ROI of {topic}, testimonials and reviews, a 30-day money-back guarantee.</p>"
    ) * 3
    return title, body


def write_big_site(root: Path, pages: int = 300) -> Path:
    """Write a static site of about `pages` pages under `root` and return `root`."""
    root.mkdir(parents=True, exist_ok=True)
    files: dict[str, str] = {}
    kinds = (_article, _article, _article, _feature, _feature, _decision)
    count = max(pages - 12, 6)
    paths: list[str] = []
    for i in range(count):
        topic = TOPICS[i % len(TOPICS)]
        kind = kinds[i % len(kinds)]
        section = {"_article": "blog", "_feature": "product", "_decision": "customers"}[
            kind.__name__
        ]
        slug = f"{topic.replace(' ', '-')}-{i}{SLUG_TAIL if i % 3 == 0 else ''}"
        if i % 7 == 0:  # an address with one long unbroken token
            slug += "-" + "x" * 90
        paths.append(f"/{section}/{2020 + i % 5}/{slug}/")
    for i, path in enumerate(paths):
        kind = kinds[i % len(kinds)]
        title, body = kind(TOPICS[i % len(TOPICS)], i)
        links = [paths[(i * 7 + k) % len(paths)] for k in (1, 2, 3)]
        if kind is _decision or i % 5 == 0:
            links.append("/demo/")
        files[path] = _page(title, body, links)
    listing = [p for p in paths]
    files["/"] = _page(
        "Field service management software for maintenance teams",
        "<p>Schedule, dispatch and track field work. See the product, pricing and customers.</p>",
        listing,
    )
    files["/product/"] = _page("Product overview", "<p>Features and modules.</p>", listing[:60])
    files["/blog/"] = _page("Blog", "<p>Guides and articles.</p>", listing[::3])
    files["/customers/"] = _page("Customers", "<p>Case studies.</p>", listing[5::6])
    files["/pricing/"] = _page(
        "Pricing and plans",
        "<p>Starter $49 per technician per month, Growth $79, Enterprise: ask for a quote. "
        "Annual billing saves 15%. Free 14-day trial, money-back guarantee.</p>",
        ["/demo/"],
    )
    files["/demo/"] = _page("Book a demo", "<p>See it live in 30 minutes.</p>", [], form=True)
    files["/contact-sales/"] = _page("Contact sales", "<p>Talk to us.</p>", [], form=True)
    files["/thanks/"] = _page("Thank you", "<p>We will be in touch.</p>", [])
    files["/legal/privacy/"] = _page("Privacy policy", "<p>How we process data.</p>", [])
    files["/legal/terms/"] = _page("Terms of service", "<p>Terms.</p>", [])
    files["/careers/"] = _page("Careers: join the team", "<p>Open roles.</p>", [])
    files["/login/"] = _page("Log in", "<p>Customer login.</p>", [])
    for path, html in files.items():
        target = root / path.strip("/") / "index.html" if path != "/" else root / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(html, encoding="utf-8")
    return root
