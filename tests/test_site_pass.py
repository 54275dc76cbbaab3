"""The site-level pass: site-wide vocabulary set aside, sections, page families, mixed sections.

The scoring logic is pinned with a small hand-made model (real `StageModel` arrays, a vocabulary
of a few words), so each effect is exact; the families and the whole pass run through the CLI on
self-written folder sites."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from funnel_audit.classify.families import page_family
from funnel_audit.classify.features import FIELDS
from funnel_audit.classify.model import FieldArrays, StageModel
from funnel_audit.classify.site_pass import judge_site, pack_counts, section_key, unpack_counts
from funnel_audit.cli.main import main
from funnel_audit.models import PageResult, Stage
from funnel_audit.store.spool import BlobSpool

CLASSES = ["awareness", "consideration", "decision", "conversion", "excluded"]
# body words and the class each one argues for (log-weights: 0 for its class, -3 elsewhere)
WORDS = {
    "guide": "awareness",
    "explains": "awareness",
    "compare": "consideration",
    "price": "decision",
    "checkout": "conversion",
    "filler": None,
}


def tiny_model() -> StageModel:
    words = sorted(WORDS)
    fields = [FieldArrays(name, b"", np.zeros(0, np.float32)) for name, _, _ in FIELDS[:-1]]
    fields.append(FieldArrays("body", "\n".join(words).encode(), np.ones(len(words), np.float32)))
    coef = np.full((len(CLASSES), len(words)), -3.0, dtype=np.float32)
    for j, word in enumerate(words):
        if WORDS[word] is None:
            coef[:, j] = -2.0
        else:
            coef[CLASSES.index(WORDS[word]), j] = 0.0
    return StageModel(fields, coef, CLASSES, temperature=1.0, metadata={"version": "tiny"})


def _page(url: str, stage: str = "awareness", source: str = "model") -> PageResult:
    return PageResult(
        url=url,
        status=200,
        error=None,
        depth=1,
        content_type="text/html",
        title="",
        word_count=300,
        stage=Stage(stage),
        confidence=0.6,
        reasons=(),
        needs_review=False,
        label_source=source,
    )


def _judge(pages: dict[str, str], manual: frozenset[str] = frozenset()) -> dict[str, PageResult]:
    """Judge pages given as url -> body text with the tiny model."""
    from funnel_audit.classify.features import Doc

    model = tiny_model()
    spool = BlobSpool()
    results = []
    for url, text in pages.items():
        cols, counts = model.token_counts(Doc(url=url, text=text))
        spool.write(url, pack_counts(cols, counts))
        results.append(_page(url, source="manual" if url in manual else "model"))
    judged, _ = judge_site(model, results, spool)
    spool.close()
    return {p.url: p for p in judged}


def test_token_counts_round_trip_through_bytes() -> None:
    cols = np.array([3, 17, 90_000], dtype=np.int32)
    counts = np.array([1, 2, 70_000])
    back_cols, back_counts, kind = unpack_counts(pack_counts(cols, counts, "product"))
    assert back_cols.tolist() == [3, 17, 90_000]
    assert back_counts.tolist() == [1, 2, 65_535]  # counts are capped, never wrapped
    assert kind == "product"
    assert unpack_counts(b"")[2] == ""


def test_a_word_on_most_pages_of_the_site_does_not_decide_stages() -> None:
    # every page carries a cart drawer's "checkout" three times; only its own words should count
    drawer = "checkout checkout checkout"
    pages = {f"http://s.test/post-{n}/": f"{drawer} guide filler" for n in range(6)}
    pages["http://s.test/pricing/"] = "checkout checkout checkout price filler"
    judged = _judge(pages)
    assert judged["http://s.test/post-1/"].stage is Stage.AWARENESS
    assert judged["http://s.test/pricing/"].stage is Stage.DECISION
    assert not any("checkout" in r for p in judged.values() for r in p.reasons)


def test_a_section_lends_an_unclear_page_its_stage_with_a_reason() -> None:
    pages = {f"http://s.test/guides/g{n}/": "guide explains" for n in range(5)}
    pages.update({f"http://s.test/page-{n}/": "filler" for n in range(8)})
    pages["http://s.test/guides/odd/"] = "guide compare compare"  # leans consideration alone
    judged = _judge(pages)
    odd = judged["http://s.test/guides/odd/"]
    assert odd.stage is Stage.AWARENESS
    assert odd.reasons[0] == "section: pages beside it are mostly awareness"


def test_a_page_with_clear_evidence_of_its_own_stands_apart_from_its_section() -> None:
    pages = {f"http://s.test/guides/g{n}/": "guide explains filler" for n in range(5)}
    pages["http://s.test/guides/prices/"] = " ".join(["price"] * 40)
    assert _judge(pages)["http://s.test/guides/prices/"].stage is Stage.DECISION


def test_manual_labels_are_never_moved() -> None:
    pages = {f"http://s.test/guides/g{n}/": "guide explains" for n in range(5)}
    pages["http://s.test/guides/mine/"] = "guide explains"
    judged = _judge(pages, manual=frozenset({"http://s.test/guides/mine/"}))
    assert judged["http://s.test/guides/mine/"].label_source == "manual"
    assert judged["http://s.test/guides/mine/"].reasons == ()


def test_a_section_split_between_stages_is_flagged_for_review() -> None:
    pages = {f"http://s.test/mixed/a{n}/": " ".join(["guide"] * 30) for n in range(3)}
    pages.update({f"http://s.test/mixed/b{n}/": " ".join(["price"] * 30) for n in range(3)})
    judged = _judge(pages)
    flagged = [p for p in judged.values() if p.needs_review]
    assert flagged and all(
        any(r.startswith("review: most of /mixed/") for r in p.reasons) for p in flagged
    )


@pytest.mark.parametrize(
    ("url", "title", "family", "stage"),
    [
        ("https://a.example/privacy-policy/", "", "legal", "excluded"),
        ("https://a.example/legal/terms-of-service", "", "legal", "excluded"),
        ("https://a.example/careers/", "", "careers", "excluded"),
        ("https://a.example/careers/senior-plumber/", "Senior plumber", "careers", "excluded"),
        ("https://a.example/jobs/42-night-nurse", "", "careers", "excluded"),
        ("https://a.example/account/orders/", "", "account", "excluded"),
        ("https://a.example/wholesale-login/", "", "account", "excluded"),
        ("https://a.example/unsubscribe.html", "", "utility", "excluded"),
        ("https://a.example/google1234abcd5678.html", "", "utility", "excluded"),
        ("https://a.example/blog/tag/seo/", "", "archive", "excluded"),
        ("https://a.example/blog/page/3/", "", "archive", "excluded"),
        ("https://a.example/news/?page=2", "", "archive", "excluded"),
        ("https://a.example/press-releases/new-office/", "", "press", "excluded"),
        ("https://a.example/news/a-b/", "Press release: we won an award | A", "press", "excluded"),
        ("https://a.example/cart/", "", "checkout", "conversion"),
        ("https://a.example/contact/thank-you/", "", "thank-you", "conversion"),
        ("https://a.example/x/", "Privacy Policy | Acme", "legal", "excluded"),
        ("https://a.example/leave-a-review/", "", "customers", "excluded"),
        ("https://a.example/clients/refer-a-friend.html", "", "customers", "excluded"),
        ("https://a.example/pay-my-bill/", "", "customers", "excluded"),
        ("https://a.example/members/renew", "", "customers", "excluded"),
        ("https://a.example/warranty-registration/", "", "customers", "excluded"),
    ],
)
def test_page_families_by_web_convention(url: str, title: str, family: str, stage: str) -> None:
    found = page_family(url, title, brand="Acme")
    assert found is not None and (found.name, found.stage.value) == (family, stage)
    assert found.reason


@pytest.mark.parametrize(
    "url",
    [
        "https://a.example/",
        "https://a.example/pricing/",
        "https://a.example/blog/how-to-fix-a-tap/",
        "https://a.example/legal-services/contract-disputes/",
        "https://a.example/terms-explained/",
        "https://a.example/services/search-engine-optimisation/",
        "https://a.example/category-guide/",
        "https://a.example/press/",  # often a page of coverage ("as seen in"), which is proof
        "https://a.example/reviews/",  # testimonials: proof for a buyer
        "https://a.example/feedback/how-we-work/",  # only the asking form itself is the family
    ],
)
def test_ordinary_pages_belong_to_no_family(url: str) -> None:
    assert page_family(url, "How it works | Acme", brand="Acme") is None


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://a.example/", None),
        ("https://a.example/pricing/", None),
        ("https://a.example/services/roofing/", "/services/"),
        ("https://a.example/news/2021-04/award/", "/news/#-#/"),
        ("https://a.example/issue-81/", "/issue-#/"),
        ("https://a.example/newsletter/81.html", "/newsletter/"),
    ],
)
def test_section_keys(url: str, key: str | None) -> None:
    assert section_key(url) == key


@given(st.text(max_size=200), st.text(max_size=80))
def test_families_and_sections_never_raise(url: str, title: str) -> None:
    page_family(url, title)
    page_family("http://a.example/" + url, title)
    section_key(url)
    section_key("http://a.example/" + url)


DRAWER = (
    "<div class='cart-drawer'><p>Your cart</p><p>Subtotal $0.00</p>"
    "<a class='btn' href='/checkout/'>Checkout</a><a class='btn' href='/shop/'>Continue "
    "shopping</a></div>"
)


def _shop(root: Path) -> None:
    """A small shop whose cart drawer sits in the body of every page."""

    def write(rel: str, title: str, body: str) -> None:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            f"<!doctype html><html><head><title>{title} | Tallowby</title></head>"
            f"<body><nav><a href='/'>Home</a><a href='/journal/'>Journal</a></nav>"
            f"<main>{DRAWER}<h1>{title}</h1>{body}</main></body></html>",
            encoding="utf-8",
        )

    posts = [
        "Why winter dries your skin",
        "How to patch test a new balm",
        "What lanolin actually does",
        "Reading an ingredient list",
        "Washing wool gently",
    ]
    for n, title in enumerate(posts):
        write(
            f"journal/post-{n}.html",
            title,
            f"<p>Posted by Mira. {title}. Cold air holds less moisture, so skin loses water "
            "faster in winter months. Here is what the research says and what you can do at "
            "home: drink water, use a humidifier, and keep showers short and warm rather than "
            "hot. Most people notice a difference within a week or two of small changes.</p>",
        )
    write(
        "careers/shop-assistant.html",
        "Shop assistant (part time)",
        "<p>We are hiring a part-time shop assistant for our market stall. You will pack "
        "orders and talk to customers. Send your CV.</p><form><input name='name'>"
        "<input type='email' name='email'><input type='file' name='cv'>"
        "<button>Apply now</button></form>",
    )
    write(
        "privacy.html",
        "Privacy policy",
        "<p>We collect your email address to send order "
        "updates. We never sell your data. You may ask us to delete it at any time.</p>",
    )


def test_audit_sets_aside_the_cart_drawer_and_recognises_families(tmp_path: Path) -> None:
    site = tmp_path / "tallowby"
    _shop(site)
    out = tmp_path / "out"
    assert main(["audit", str(site), "--out", str(out), "--no-history", "--quiet"]) == 0
    with open(out / "pages.csv", encoding="utf-8-sig", newline="") as handle:
        rows = {
            r["url"].rsplit("/", 2)[-2] + "/" + r["url"].rsplit("/", 1)[-1]: r
            for r in csv.DictReader(handle)
        }
    posts = [r for key, r in rows.items() if key.startswith("journal/")]
    assert len(posts) == 5
    assert all(r["stage"] == "awareness" for r in posts), [(r["url"], r["stage"]) for r in posts]
    for row in posts:
        assert "subtotal" not in row["reasons"].lower() and "checkout" not in row["reasons"].lower()
    job = rows["careers/shop-assistant.html"]
    assert job["stage"] == "excluded" and "family: careers" in job["reasons"]
    assert rows["tallowby.local/privacy.html"]["stage"] == "excluded"


def test_the_sites_topic_words_count_but_are_never_given_as_reasons() -> None:
    # "price" is on 5 of 12 pages: under the set-aside share, over the share that explains nothing
    pages = {f"http://s.test/p{n}/": "price" for n in range(5)}
    pages.update({f"http://s.test/q{n}/": "explains" for n in range(3)})
    pages.update({f"http://s.test/r{n}/": "compare" for n in range(4)})
    judged = _judge(pages)
    assert judged["http://s.test/p0/"].stage is Stage.DECISION  # it still counts
    assert not any('"price"' in r for p in judged.values() for r in p.reasons)
    assert judged["http://s.test/q0/"].reasons == ('text:"explains"',)


def test_the_families_found_are_named_in_the_audits_notes(tmp_path: Path) -> None:
    import json

    site = tmp_path / "tallowby"
    _shop(site)
    out = tmp_path / "out"
    assert main(["audit", str(site), "--out", str(out), "--no-history", "--quiet"]) == 0
    notes = json.loads((out / "audit.json").read_text(encoding="utf-8"))["notes"]
    said = "page families recognised by their addresses, titles and structured data"
    assert f"{said}: careers 1, legal 1" in notes
