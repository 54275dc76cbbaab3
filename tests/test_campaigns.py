"""Events and paid landing pages as findings: which pages are events or landing pages, when an
event programme has stopped, and what is wrong with a site's landing pages; the date reader
behind them; and the findings in audit.json through the CLI."""

from __future__ import annotations

import calendar
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from funnel_audit.analyse import site_kind
from funnel_audit.analyse.campaign_pages import event_evidence, landing_evidence
from funnel_audit.analyse.campaigns import (
    ACTIONS,
    EVENT_STALE_MONTHS,
    LANDING_STALE_MONTHS,
    campaign_gaps,
    find_events,
)
from funnel_audit.analyse.page_dates import (
    NamedDate,
    find_dates,
    latest_precise,
    page_dates,
    spoken,
)
from funnel_audit.classify.site_pass import declared_family
from funnel_audit.cli.main import main
from funnel_audit.models import Gap, PageResult, Stage
from funnel_audit.plan.actions import build_actions
from funnel_audit.plan.team import known_roles
from funnel_audit.read.declared import EVENT_SIGNUP

TODAY = date(2026, 12, 7)
# the reason the site-level pass gives a page whose structured data declares an event with its form
EVENT_SIGNUP_REASON = f"family: {declared_family(EVENT_SIGNUP).reason}"  # type: ignore[union-attr]
HOST = "https://acme.example"


def page(
    path: str,
    stage: Stage | None = Stage.CONSIDERATION,
    title: str = "",
    *,
    lastmod: str | None = None,
    noindex: bool = False,
    links: tuple[str, ...] = (),
    words: int = 400,
    lead_form: bool | None = False,
    status: int = 200,
    reasons: tuple[str, ...] = (),
) -> PageResult:
    return PageResult(
        url=HOST + path,
        status=status,
        error=None if status < 400 else f"HTTP {status}",
        depth=1,
        content_type="text/html",
        title=title or f"{path.strip('/').replace('-', ' ').title() or 'Home'} | Acme",
        word_count=words if status < 400 else 0,
        stage=stage if status < 400 else None,
        confidence=0.9,
        reasons=reasons,
        needs_review=False,
        label_source="model",
        links=links,
        lastmod=lastmod,
        noindex=noindex,
        lead_form=lead_form,
    )


def base_site() -> list[PageResult]:
    """A small site with every stage and a contact form, but no events or landing pages."""
    return [
        page("/", Stage.CONSIDERATION, "Acme | Bookkeeping for builders"),
        page("/services/payroll/", Stage.CONSIDERATION),
        page("/blog/cash-flow-basics/", Stage.AWARENESS),
        page("/blog/vat-explained/", Stage.AWARENESS),
        page("/pricing/", Stage.DECISION),
        page("/contact/", Stage.CONVERSION, "Contact us | Acme", lead_form=True),
        page("/privacy/", Stage.EXCLUDED),
    ]


def kinds(gaps: list[Gap]) -> dict[str, Gap]:
    return {g.kind: g for g in gaps}


# events


def test_a_site_without_events_is_told_so_with_advice() -> None:
    found = kinds(campaign_gaps(base_site(), TODAY))
    gap = found["no-events"]
    assert gap.severity == 1 and gap.stage is Stage.CONSIDERATION
    assert "webinar" in gap.message and "Q&A" in gap.message
    assert "stale-events" not in found


def test_no_events_is_medium_for_kinds_that_live_on_events_and_never_high() -> None:
    for kind, severity in (
        (site_kind.SAAS, 2),
        (site_kind.PROFESSIONAL, 2),
        (site_kind.NONPROFIT, 2),
        (site_kind.LOCAL, 1),
        (site_kind.SHOP, 1),
        (site_kind.OPEN_SOURCE, 1),
        (site_kind.GENERAL, 1),
        ("", 1),
    ):
        gap = kinds(campaign_gaps(base_site(), TODAY, site_kind=kind))["no-events"]
        assert gap.severity == severity, kind


def test_a_current_webinar_page_gets_no_event_finding() -> None:
    pages = [
        *base_site(),
        page("/webinars/close-faster/", title="Webinar: close faster | Acme", lastmod="2026-09-01"),
    ]
    found = kinds(campaign_gaps(pages, TODAY))
    assert "no-events" not in found and "stale-events" not in found


def test_a_site_whose_only_event_is_from_2021_gets_a_stale_events_finding() -> None:
    event = page("/events/spring-meetup-2021/", title="Spring meetup 2021 | Acme")
    found = kinds(campaign_gaps([*base_site(), event], TODAY))
    gap = found["stale-events"]
    assert gap.evidence_urls == (event.url,)
    assert gap.severity == 2 and "no-events" not in found
    assert "only event page" in gap.message and "Spring meetup 2021" in gap.message
    assert "took place in 2021" in gap.message and "4 years" in gap.message


def test_the_named_date_wins_over_a_recent_lastmod_and_the_most_recent_is_named() -> None:
    older = page("/events/2023/05/14/launch-day/", title="Launch day | Acme")
    recap = page(
        "/webinars/march-recap/", title="Webinar: March 14, 2024 | Acme", lastmod="2026-11-30"
    )
    gap = kinds(campaign_gaps([*base_site(), older, recap], TODAY))["stale-events"]
    assert gap.evidence_urls == (recap.url, older.url)  # most recent first
    assert "2 event pages" in gap.message and "14 March 2024" in gap.message


def test_an_upcoming_date_or_a_recent_update_keeps_the_programme_current() -> None:
    old = page("/events/summit-2019/", title="Summit 2019 | Acme")
    ahead = page("/events/summit/", title="Summit: May 19-21, 2027 | Acme", lastmod="2019-01-01")
    assert "stale-events" not in kinds(campaign_gaps([*base_site(), old, ahead], TODAY))
    # the same pages audited after the summit: the programme has stopped
    later = date(2027, 6, 1)
    gap = kinds(campaign_gaps([*base_site(), old, ahead], later))["stale-events"]
    assert "21 May 2027" in gap.message and "under a month" in gap.message


def test_undated_event_pages_without_lastmod_say_nothing_either_way() -> None:
    hub = page("/events/", title="Events | Acme")
    found = kinds(campaign_gaps([*base_site(), hub], TODAY))
    assert "no-events" not in found and "stale-events" not in found


def test_lastmod_older_than_the_threshold_is_stale_and_newer_is_not() -> None:
    cutoff = date(2025, 12, 7)  # EVENT_STALE_MONTHS before TODAY
    assert EVENT_STALE_MONTHS == 12
    for lastmod, stale in (("2025-12-06", True), ("2025-12-07", False), ("2026-01-10", False)):
        pages = [*base_site(), page("/webinars/intro/", title="Intro webinar", lastmod=lastmod)]
        found = kinds(campaign_gaps(pages, TODAY))
        assert ("stale-events" in found) is stale, (lastmod, cutoff)


def test_event_conventions_and_what_is_not_an_event() -> None:
    events = [
        page("/webinars/q3/"),
        page("/resources/on-demand/", title="Webinar - Month-end in practice"),
        page("/learn/", title="Free seminars for landlords | Acme"),
        page("/seminar-federal-benefits/", Stage.DECISION),
        page("/spring-open-day/", Stage.CONVERSION, title="Spring open day | Acme"),
        page("/conference/", Stage.CONVERSION, title="Register | Acme"),
        page("/annual/", Stage.CONVERSION, title="Annual conference | Acme"),
        page("/retirement-workshop-april-9-2026/", Stage.CONVERSION),
        page("/workshops/brakes-101/", title="Brakes 101 | Acme"),
        page("/x/", title="Workshop: pricing your services"),
        page("/l/federal/", Stage.CONVERSION, reasons=(EVENT_SIGNUP_REASON,)),
        page("/blog/our-year/", Stage.AWARENESS, title="Webinar: our year in review"),
        page("/events/2019-gala/", Stage.EXCLUDED),
    ]
    for event in events:
        assert event_evidence(event, dated=bool(page_dates(event.url, event.title))), event.url
    not_events = [
        # an article about running webinars is no event
        page("/blog/how-to-run-a-webinar/", Stage.AWARENESS, title="How to run a webinar"),
        # a garage's workshop is a place
        page("/workshop/", title="Our workshop | Joe's Garage"),
        page("/book/", Stage.CONVERSION, title="Book your car into our workshop"),
        page("/about/", title="Workshop | Joe's Garage"),
        # confirmations, families and pages outside the funnel
        page("/webinars/thank-you/", Stage.CONVERSION),
        page("/webinars/q3/ty/", Stage.CONVERSION, title="Webinar confirmed | Acme"),
        page("/careers/events-coordinator/", Stage.EXCLUDED),
        page("/tags/events/", Stage.CONSIDERATION),
        page("/about/", Stage.EXCLUDED, title="Our seminars and events | Acme"),
        page("/events/", None),
        page("/event-planning-services/", title="Corporate event planning | Acme"),
    ]
    for other in not_events:
        assert not event_evidence(other, dated=False), other.url


def test_find_events_reads_the_latest_date_and_lastmod() -> None:
    (found,) = find_events([page("/events/2023/05/14/meetup/", lastmod="2023-04-01T10:00:00Z")])
    assert found.held == date(2023, 5, 14) and found.updated == date(2023, 4, 1)


def test_the_action_plan_asks_for_the_work_each_finding_needs() -> None:
    assert {owner for _, owner in ACTIONS.values()} <= set(known_roles())
    gaps = campaign_gaps(base_site(), TODAY, site_kind=site_kind.SAAS)
    assert {g.kind for g in gaps} == {"no-events", "no-landing-pages"}
    actions = {a.text: a for a in build_actions(base_site(), gaps, (), ())}
    events = actions[ACTIONS["no-events"][0]]
    landing = actions[ACTIONS["no-landing-pages"][0]]
    assert (events.owner, events.tactic) == ("writer", "ongoing")
    assert (landing.owner, landing.tactic) == ("web", "foundational")


# landing pages


def test_noindex_landing_pages_are_found() -> None:
    lp = page("/free-guide/", Stage.CONVERSION, noindex=True, lead_form=True)
    assert landing_evidence(lp, ()) == "kept out of search (noindex)"
    found = kinds(campaign_gaps([*base_site(), lp], TODAY))
    assert not {"no-landing-pages", "landing-pages-no-conversion"} & set(found)


def test_an_orphan_conversion_page_counts_as_a_landing_page() -> None:
    lp = page("/spring-offer/", Stage.CONVERSION, lead_form=True)
    assert landing_evidence(lp, {lp.url}) == "a conversion page no other page links to"
    assert "no-landing-pages" not in kinds(campaign_gaps([*base_site(), lp], TODAY, [lp.url]))
    # linked from the site, it is an ordinary contact page
    assert "no-landing-pages" in kinds(campaign_gaps([*base_site(), lp], TODAY))


def test_orphans_are_not_trusted_when_most_pages_are_orphans() -> None:
    pages = [*base_site(), page("/spring-offer/", Stage.CONVERSION, lead_form=True)]
    everything = [p.url for p in pages]
    assert "no-landing-pages" in kinds(campaign_gaps(pages, TODAY, everything))


def test_a_site_without_landing_pages_is_told_why_they_matter() -> None:
    thanks = page("/thank-you/", Stage.CONVERSION, noindex=True)
    stub = page("/go-to-shop/", Stage.CONVERSION, noindex=True, words=5)
    gap = kinds(campaign_gaps([*base_site(), thanks, stub], TODAY, [thanks.url]))[
        "no-landing-pages"
    ]
    assert gap.stage is Stage.CONVERSION and gap.severity == 1
    assert "home page" in gap.message and "one landing page per offer" in gap.message


def test_campaign_addresses_are_landing_pages_and_broken_ones_are_serious() -> None:
    live = page("/lp/spring/", Stage.CONVERSION, lead_form=True)
    gone = page("/campaigns/winter-2024/", status=404)
    also = page("/offers/", Stage.DECISION, links=(HOST + "/contact/",))
    found = kinds(campaign_gaps([*base_site(), live, gone, also], TODAY))
    gap = found["broken-landing-pages"]
    assert gap.severity == 3 and gap.evidence_urls == (gone.url,)
    assert gap.message.startswith("1 campaign landing page answers with an error (HTTP 404)")
    assert "no-landing-pages" not in found and "landing-pages-no-conversion" not in found
    assert landing_evidence(page("/x/", status=404), ()) == ""  # an ordinary broken page is not


def test_landing_pages_that_lead_nowhere() -> None:
    dead = page("/lp/brochure/", Stage.CONSIDERATION, links=(HOST + "/blog/vat-explained/",))
    linked = replace(dead, url=HOST + "/lp/linked/", links=(HOST + "/contact",))
    formed = replace(dead, url=HOST + "/lp/formed/", lead_form=True)
    unknown = replace(dead, url=HOST + "/lp/stored-long-ago/", lead_form=None)
    found = kinds(campaign_gaps([*base_site(), dead, linked, formed, unknown], TODAY))
    gap = found["landing-pages-no-conversion"]
    assert gap.evidence_urls == (dead.url,) and gap.severity == 1


def test_stale_landing_pages_name_the_oldest() -> None:
    fresh = page("/lp/a/", Stage.CONVERSION, lastmod="2026-10-01", lead_form=True)
    old = page("/lp/b/", Stage.CONVERSION, lastmod="2024-03-05", lead_form=True)
    older = page("/lp/c/", Stage.CONVERSION, lastmod="2019-07-01", lead_form=True)
    gap = kinds(campaign_gaps([*base_site(), fresh, old, older], TODAY))["stale-landing-pages"]
    assert gap.evidence_urls == (older.url, old.url)
    assert "July 2019" in gap.message and f"{LANDING_STALE_MONTHS} months" in gap.message


def test_landing_pages_for_dates_that_have_passed_are_stale() -> None:
    sale = page("/lp/spring-sale-2024/", Stage.CONVERSION, lead_form=True, lastmod="2026-11-01")
    event = page("/l/workshop/", Stage.CONVERSION, "Workshop: May 21, 2026", lead_form=True)
    ahead = page("/lp/summit/", Stage.CONVERSION, "Summit: March 2027", lead_form=True)
    gap = kinds(campaign_gaps([*base_site(), sale, event, ahead], TODAY, [event.url]))[
        "stale-landing-pages"
    ]
    assert gap.evidence_urls == (sale.url, event.url)
    assert gap.message.startswith(
        "2 campaign landing pages promote a date that has passed (the oldest from December 2024)"
    )


def test_a_tiny_site_is_not_told_what_it_lacks() -> None:
    assert campaign_gaps(base_site()[:4], TODAY) == []
    assert campaign_gaps([], TODAY) == []


# the date reader


@given(st.text(max_size=300))
def test_find_dates_never_raises_and_dates_are_ordered(text: str) -> None:
    for found in find_dates(text):
        assert found.first <= found.last


@given(st.text(max_size=200), st.text(max_size=200))
def test_page_dates_never_raises(url: str, title: str) -> None:
    page_dates(url, title)
    page_dates("https://x.example/" + url, title)


@given(st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=200))
def test_no_digits_no_dates(text: str) -> None:
    assert find_dates(text) == ()


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from(
        [
            "{d:%B} {d.day}, {d.year}",
            "{d.day} {d:%B} {d.year}",
            "{d:%A}, {d:%b} {d.day}th {d.year}",
            "{d:%Y-%m-%d}",
            "{d:%Y/%m/%d}",
            "Webinar: {d:%B} {d.day} {d.year} | Acme",
            "/events/{d:%Y}/{d:%m}/{d:%d}/meetup/",
            "{d:%b}-{d.day}-{d.year}-retirement-forecast",
        ]
    ),
)
def test_real_dates_are_found_in_common_spellings(day: date, spelling: str) -> None:
    assert NamedDate(day, day) in find_dates(spelling.format(d=day))


@given(
    st.integers(1900, 2099),
    st.integers(1, 12),
    st.integers(29, 39),
)
def test_days_that_do_not_exist_are_not_dates(year: int, month: int, day: int) -> None:
    if day <= calendar.monthrange(year, month)[1]:
        return
    name = calendar.month_name[month]
    assert find_dates(f"Webinar: {name} {day}, {year}") == ()
    assert find_dates(f"{year}-{month:02d}-{day:02d}") == ()


def test_precision_of_months_years_and_ranges() -> None:
    assert find_dates("March 2024 meetup") == (NamedDate(date(2024, 3, 1), date(2024, 3, 31)),)
    assert find_dates("Summit 2023") == (NamedDate(date(2023, 1, 1), date(2023, 12, 31)),)
    assert find_dates("May 19-21, 2026") == (NamedDate(date(2026, 5, 19), date(2026, 5, 21)),)
    assert find_dates("Workshop, April 9") == ()  # no year: it cannot be placed
    assert find_dates("/webinar-12345/ top 10 tips") == ()


# through the CLI


def _write(root: Path, pages: dict[str, str]) -> Path:
    for path, body in pages.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(body, encoding="utf-8")
    return root


NAV = (
    '<nav><a href="/index.html">Home</a> <a href="/services.html">Services</a> '
    '<a href="/pricing.html">Pricing</a> <a href="/blog/budgeting.html">Blog</a> '
    '<a href="/events/spring-meetup-2019.html">Events</a> <a href="/contact.html">Contact</a></nav>'
)
FORM = (
    '<form action="/thank-you.html" method="post"><label>Email <input type="email" '
    'name="email"></label><label>Phone <input type="tel" name="phone"></label>'
    "<button>Send</button></form>"
)


def _html(title: str, body: str, *, nav: bool = True, noindex: bool = False) -> str:
    robots = '<meta name="robots" content="noindex">' if noindex else ""
    return (
        f"<!doctype html><html><head><title>{title}</title>{robots}</head><body>"
        f"{NAV if nav else ''}<main><h1>{title.split(' | ')[0]}</h1>{body}</main></body></html>"
    )


def _words(topic: str, n: int = 12) -> str:
    line = (
        f"<p>Our bookkeeping team explains {topic} for small building firms, with worked "
        "examples, the numbers to watch each month and the questions to ask your accountant.</p>"
    )
    return line * n


def _site(root: Path) -> Path:
    return _write(
        root,
        {
            "index.html": _html("Bookkeeping for builders | Acme", _words("our services")),
            "services.html": _html("Payroll and bookkeeping services | Acme", _words("payroll")),
            "pricing.html": _html("Pricing and plans | Acme", _words("our monthly fees")),
            "blog/budgeting.html": _html("How to budget a build | Acme", _words("budgets")),
            "blog/vat.html": _html("VAT for builders explained | Acme", _words("VAT")),
            "contact.html": _html("Contact us | Acme", _words("getting in touch", 2) + FORM),
            "thank-you.html": _html("Thank you | Acme", "<p>We will call you back soon.</p>"),
            "events/spring-meetup-2019.html": _html(
                "Spring meetup 2019 | Acme", _words("the spring meetup for builders", 4)
            ),
            "lp/free-review.html": _html(
                "Free bookkeeping review | Acme",
                _words("a free review of your books", 3) + FORM,
                nav=False,
                noindex=True,
            ),
            "lp/brochure.html": _html(
                "Our brochure | Acme", _words("our brochure", 3), nav=False, noindex=True
            ),
        },
    )


def _audit(target: str, out: Path) -> dict[str, Gap]:
    # the brochure is pinned to consideration: what is tested is the finding, not the model
    labels = out.parent / "labels.csv"
    labels.write_text("url,stage\n*/lp/brochure.html,consideration\n", encoding="utf-8")
    args = ["audit", target, "--out", str(out), "--db", str(out / "h.sqlite3"), "--quiet"]
    code = main([*args, "--labels", str(labels)])
    assert code == 0
    audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
    return {g["kind"]: Gap(**{**g, "stage": None}) for g in audit["gaps"]}


def test_audit_json_carries_event_and_landing_findings(tmp_path: Path, model) -> None:  # noqa: ANN001
    out = tmp_path / "out"
    gaps = _audit(str(_site(tmp_path / "site")), out)
    stale = gaps["stale-events"]
    assert [u.rsplit("/", 2)[-2:] for u in stale.evidence_urls] == [
        ["events", "spring-meetup-2019.html"]
    ]
    assert "Spring meetup 2019" in stale.message
    assert "no-events" not in gaps and "no-landing-pages" not in gaps
    (dead,) = gaps["landing-pages-no-conversion"].evidence_urls
    assert dead.endswith("/lp/brochure.html")
    method = (out / "report.html").read_text(encoding="utf-8")
    assert "Events and paid campaigns." in method
    assert f"more than {EVENT_STALE_MONTHS} months before the audit" in method
    assert f"updates in the last {LANDING_STALE_MONTHS} months" in method


def test_a_broken_campaign_page_over_http(
    tmp_path: Path,
    serve_folder: Callable[[Path], str],
    model,  # noqa: ANN001
) -> None:
    root = _site(tmp_path / "site")
    index = root / "index.html"
    index.write_text(
        index.read_text(encoding="utf-8").replace(
            "</main>", '<p><a href="/lp/winter-offer.html">Winter offer</a></p></main>'
        ),
        encoding="utf-8",
    )
    gaps = _audit(serve_folder(root), tmp_path / "out")
    broken = gaps["broken-landing-pages"]
    assert [u.rsplit("/", 1)[-1] for u in broken.evidence_urls] == ["winter-offer.html"]
    assert broken.severity == 3 and "HTTP 404" in broken.message


def test_lead_forms_are_kept_by_the_history_for_a_conditional_re_audit(
    tmp_path: Path,
    serve_folder: Callable[[Path], str],
    model,  # noqa: ANN001
) -> None:
    base = serve_folder(_site(tmp_path / "site"))
    db = tmp_path / "h.sqlite3"
    forms = []
    for run in ("first", "second"):
        out = tmp_path / run
        assert main(["audit", base, "--out", str(out), "--db", str(db), "--quiet"]) == 0
        audit = json.loads((out / "audit.json").read_text(encoding="utf-8"))
        forms.append({p["url"].rsplit("/", 1)[-1]: p["lead_form"] for p in audit["pages"]})
    assert any("HTTP 304" in note for note in audit["notes"])  # the second run reused pages
    assert forms[0] == forms[1]
    assert forms[1]["contact.html"] is True and forms[1]["pricing.html"] is False


def test_a_day_in_the_title_beats_a_bare_year_in_the_address() -> None:
    dates = page_dates("https://c.example/events/fun-run-2023/", "Riverside Fun Run, 14 May 2023")
    named = latest_precise(dates)
    assert named is not None and named.last == date(2023, 5, 14)
    assert spoken(named) == "on 14 May 2023"
    year = latest_precise(page_dates("https://c.example/events/update-2022/", "Law update"))
    assert year is not None and spoken(year) == "in 2022"
