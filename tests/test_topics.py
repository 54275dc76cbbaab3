"""Topic finding through `find_topics` alone: synthetic sites whose right answer is obvious."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel_audit.analyse import topic_clusters, topic_names
from funnel_audit.analyse.topics import Topic, clean_name, find_topics, heads, phrases, topic_text

ROOT = Path(__file__).resolve().parent.parent

THEMES = {
    "boilers": (
        "boiler",
        "boilers",
        "combi",
        "radiator",
        "radiators",
        "flue",
        "thermostat",
        "heating",
        "pressure",
        "valve",
        "pump",
        "servicing",
        "engineer",
        "gas",
        "condensing",
        "installation",
        "breakdown",
        "hot",
        "water",
        "cylinder",
    ),
    "invoices": (
        "invoice",
        "invoices",
        "approval",
        "approvals",
        "ledger",
        "payable",
        "supplier",
        "suppliers",
        "purchase",
        "order",
        "matching",
        "reconciliation",
        "accruals",
        "payment",
        "payments",
        "finance",
        "month-end",
        "close",
        "erp",
        "vendor",
    ),
    "dentistry": (
        "dental",
        "dentist",
        "teeth",
        "tooth",
        "implant",
        "implants",
        "hygienist",
        "whitening",
        "braces",
        "gum",
        "gums",
        "enamel",
        "filling",
        "crown",
        "root",
        "canal",
        "orthodontic",
        "smile",
        "cavity",
        "check-up",
    ),
}
# words every page of the site shares, or that should never name anything
FILLER = (
    "our team is here to help you with the best local service and we will answer your "
    "questions about this page click here to contact us or read more"
).split()
STOP_SAMPLE = {
    "the",
    "and",
    "with",
    "your",
    "our",
    "about",
    "here",
    "this",
    "will",
    "click",
    "contact",
    "read",
    "more",
    "page",
    "you",
    "can",
    "for",
    "from",
}


def theme_texts(per_theme: int, seed: int = 1) -> tuple[list[str], list[str]]:
    """Texts (title, headings, body) drawn from one theme each, interleaved; and their themes."""
    rng = random.Random(seed)
    texts: list[str] = []
    names: list[str] = []
    for i in range(per_theme):
        for name, words in THEMES.items():
            title = " ".join(rng.sample(words, 3)).capitalize()
            headings = [" ".join(rng.sample(words, 2)) for _ in range(3)]
            body = " ".join(
                rng.choice(words) if rng.random() < 0.5 else rng.choice(FILLER)
                for _ in range(120 + i)
            )
            texts.append(topic_text(title, headings, body))
            names.append(name)
    return texts, names


def assert_themes_separate(labels: list[int], found: list[Topic], names: list[str]) -> None:
    by_theme: dict[str, set[int]] = {}
    for label, name in zip(labels, names, strict=True):
        by_theme.setdefault(name, set()).add(label)
    assert all(len(ls) == 1 for ls in by_theme.values()), by_theme
    assert len({next(iter(ls)) for ls in by_theme.values()}) == len(THEMES)
    for name, ls in by_theme.items():
        topic = found[next(iter(ls))]
        theme_words = set(THEMES[name])
        assert set(topic.name.split()) & theme_words, (name, topic)
        assert all(set(kw.split()) & theme_words for kw in topic.keywords), (name, topic)


def test_same_input_and_seed_give_the_same_topics() -> None:
    texts, _ = theme_texts(8)
    assert find_topics(texts, seed=3) == find_topics(texts, seed=3)
    assert find_topics(texts) == find_topics(list(texts), seed=0)


def test_separate_themes_land_in_separate_clusters_named_by_their_words() -> None:
    texts, names = theme_texts(10)
    labels, found = find_topics(texts)
    assert len(found) == 3  # k = round(sqrt(30 / 2.5))
    assert_themes_separate(labels, found, names)
    assert len({t.name for t in found}) == len(found)


def test_themes_separate_for_every_seed() -> None:
    texts, names = theme_texts(10)
    for seed in range(5):
        assert_themes_separate(*find_topics(texts, seed=seed), names)


def test_big_sites_fit_on_a_sample_and_still_label_every_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts, names = theme_texts(20)
    monkeypatch.setattr(topic_names, "MAX_FIT_PAGES", 24)  # 60 pages, fitted on 24 of them
    labels, found = find_topics(texts)
    assert len(labels) == len(texts)
    # 60 pages ask for 5 clusters: a theme may be split, but no cluster mixes two themes
    assert len(found) == 5
    theme_of: dict[int, set[str]] = {}
    for label, name in zip(labels, names, strict=True):
        theme_of.setdefault(label, set()).add(name)
    assert all(len(ts) == 1 for ts in theme_of.values()), theme_of


def test_stop_words_never_become_keywords() -> None:
    texts, _ = theme_texts(10)
    labels, found = find_topics(texts)
    words = {w for t in found for term in (t.name, *t.keywords) for w in term.split()}
    assert words and not words & STOP_SAMPLE
    assert not words & topic_clusters._STOP


def test_phrases_span_dropped_stop_words() -> None:
    # as with scikit-learn, "boiler" and "repair" form a TF-IDF phrase once "the" and "of" are
    # dropped; but such a phrase is no name: names are phrases as written
    texts = ["repair of the boiler today", "repair of the boiler, gas boiler", "boiler repair"]
    _, found = find_topics(texts)
    assert "repair boiler" in found[0].keywords
    assert found[0].name in {"boiler repair", "boiler", "repair", "gas boiler"}


def test_tiny_inputs() -> None:
    assert find_topics([]) == ([], [])
    labels, found = find_topics(["Combi boiler repair and servicing"])
    assert labels == [0] and len(found) == 1 and found[0].name != "general"
    texts, _ = theme_texts(1)
    labels, found = find_topics(texts)  # three texts: one topic
    assert labels == [0, 0, 0] and len(found) == 1


def test_texts_without_usable_words_give_one_general_topic() -> None:
    general = [Topic("general", ())]
    assert find_topics([""]) == ([0], general)
    assert find_topics([""] * 5) == ([0] * 5, general)
    assert find_topics(["the and of", "click here", "12 345 6789", "a b c", "!!"]) == (
        [0] * 5,
        general,
    )
    # ten identical pages: every term is on more than half of them, so nothing is left
    assert find_topics(["boiler repair"] * 10) == ([0] * 10, general)


def test_a_few_words_are_enough() -> None:
    labels, found = find_topics(["boiler", "invoice", "teeth", "boiler", "invoice", "teeth"])
    assert len(labels) == 6 and all(0 <= label < len(found) for label in labels)


WORDS = [w for ws in THEMES.values() for w in ws] + FILLER + ["x", "42", "été", "naïve", "-"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=300), st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join)
        ),
        max_size=40,
    ),
    st.integers(min_value=0, max_value=2**32 - 1),
)
def test_never_raises_and_labels_every_text(texts: list[str], seed: int) -> None:
    labels, found = find_topics(texts, seed=seed)
    assert len(labels) == len(texts)
    assert all(isinstance(label, int) and 0 <= label < len(found) for label in labels)
    assert bool(found) == bool(texts)
    assert all(isinstance(t.name, str) and t.name for t in found)


def test_importing_topics_loads_neither_sklearn_nor_scipy() -> None:
    code = (
        "import sys, funnel_audit.analyse.topics; "
        "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"


# --- names --------------------------------------------------------------------------------------

# each theme's pages share a phrase a person would write in their titles and headings; the body
# is the theme's loose words
NAMED = {
    "boilers": "boiler servicing",
    "invoices": "invoice approval",
    "dentistry": "dental implants",
}
CTA_HEADINGS = (
    "Get started today",
    "Book a demo",
    "Start your free trial",
    "Sign up",
    "Request a quote",
    "Contact us",
    "Try it free",
)


def named_texts(
    per_theme: int = 8, seed: int = 2, brand: str = "Acme Cloud", extra: tuple[str, ...] = ()
) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    texts: list[str] = []
    names: list[str] = []
    for i in range(per_theme):
        for theme, words in THEMES.items():
            phrase = NAMED[theme]
            title = f"{phrase.capitalize()}: {' '.join(rng.sample(words, 2))} | {brand}"
            headings = [
                f"Why {phrase} matters",
                " ".join(rng.sample(words, 3)).capitalize(),
                rng.choice(CTA_HEADINGS),
                *extra,
            ]
            body = " ".join(
                rng.choice(words) if rng.random() < 0.5 else rng.choice(FILLER)
                for _ in range(100 + i)
            )
            texts.append(topic_text(title, headings, f"{body} {brand} {i}"))
            names.append(theme)
    return texts, names


def test_names_come_from_titles_and_headings() -> None:
    texts, themes = named_texts()
    labels, found = find_topics(texts, brand="Acme Cloud")
    assert_themes_separate(labels, found, themes)
    for label, theme in zip(labels, themes, strict=True):
        assert found[label].name == NAMED[theme]
        assert found[label].keywords[0] == NAMED[theme]


def test_names_have_no_doubled_brand_host_or_button_words() -> None:
    texts, _ = named_texts(brand="SaaS Savvy", extra=("SaaS SaaS tools", "savvy-cloud.example"))
    _, found = find_topics(texts, brand="SaaS Savvy", avoid=["savvy-cloud", "example", "127"])
    button_words = {w.lower() for h in CTA_HEADINGS for w in h.split()}
    for topic in found:
        words = topic.name.lower().split()
        assert 1 <= len(words) <= 3 and len(set(words)) == len(words), topic
        assert not set(words) & {"saas", "savvy", "cloud", "example", "127"}, topic
        assert not set(words) & button_words, topic
        assert not any(ch.isdigit() for ch in topic.name), topic
        for keyword in topic.keywords:
            assert not set(keyword.split()) & {"saas", "savvy"}, topic


def test_same_site_in_any_order_gives_the_same_names() -> None:
    texts, _ = named_texts(per_theme=10)
    labels, found = find_topics(texts, brand="Acme Cloud")
    by_text = {t: found[label].name for t, label in zip(texts, labels, strict=True)}
    assert find_topics(texts, brand="Acme Cloud") == (labels, found)  # audited twice
    for seed in range(3):
        shuffled = list(texts)
        random.Random(seed).shuffle(shuffled)
        labels2, found2 = find_topics(shuffled, brand="Acme Cloud")
        assert sorted(t.name for t in found2) == sorted(t.name for t in found)
        assert {
            t: found2[label].name for t, label in zip(shuffled, labels2, strict=True)
        } == by_text


def test_same_site_in_any_order_gives_the_same_names_on_a_real_sample() -> None:
    from funnel_audit.crawl.crawler import CrawlSettings, read_folder
    from funnel_audit.read.extract import extract

    texts = []
    for fetched in read_folder(ROOT / "sample_sites" / "ledgerloop", CrawlSettings()):
        if fetched.ok:
            text = extract(fetched)
            texts.append(topic_text(text.title, text.headings, text.main_text))
    names = [t.name for t in find_topics(texts, brand="Ledgerloop")[1]]
    assert names and not any("ledgerloop" in n.lower() for n in names)
    for seed in range(3):
        shuffled = list(texts)
        random.Random(seed).shuffle(shuffled)
        assert sorted(t.name for t in find_topics(shuffled, brand="Ledgerloop")[1]) == sorted(names)


def test_topic_text_keeps_title_and_headings_apart() -> None:
    text = topic_text("Boiler repair | Acme", ["Why boilers\tfail", "Costs"], "body text " * 400)
    assert heads(text) == ["Boiler repair | Acme", "Why boilers fail", "Costs"]
    assert len(text) < 1_700
    assert heads("an old text without tabs\nbody") == ["an old text without tabs"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("SaaS SaaS pricing", "SaaS"),
        ("Try RingCentral today", "RingCentral"),
        ("OUR BOILER SERVICES", "boiler services"),
        ("Get started with invoice approval", "invoice approval"),
        ("Amazon Simple Email Service", "amazon"),
        ("The AP automation buyer's guide", "AP automation"),
        ("Acme Inc overview", "acme"),
        ("Book a demo", ""),
        ("Free trial", ""),
        ("24/7 support", ""),
        ("Accounts payable KPIs worth tracking", "accounts payable KPIs"),
    ],
)
def test_clean_name_examples(text: str, name: str) -> None:
    assert clean_name(text) == name


NAME_WORDS = [
    "boiler",
    "invoice",
    "approval",
    "dental",
    "implants",
    "heat",
    "pump",
    "ledger",
    "SaaS",
    "AP",
    "radiator",
]
NOISE = [
    "the",
    "and",
    "of",
    "get",
    "started",
    "free",
    "trial",
    "book",
    "demo",
    "Acme",
    "127",
    "0.0.1",
    "www.acme.com",
    ":",
    "|",
    "-",
    "!",
    "'s",
    "it's",
    "INC",
    "\t",
    "\n",
    "été",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(NAME_WORDS + NOISE), max_size=14).map(" ".join) | st.text(max_size=120)
)
def test_clean_name_properties(text: str) -> None:
    name = clean_name(text, avoid=["acme"])
    words = name.split()
    assert len(words) <= 3
    assert len({w.lower().rstrip("s") for w in words}) == len(words)  # never a word twice
    assert not {w.lower() for w in words} & {
        "acme",
        "get",
        "started",
        "free",
        "trial",
        "book",
        "demo",
        "the",
        "and",
        "of",
        "inc",
    }
    assert not any(ch.isdigit() for ch in name)
    assert clean_name(name, avoid=["acme"]) == name  # cleaning a name changes nothing
    # a plain content word in the text is always enough for a name, unless "the" follows it (a
    # lone word before "the" reads as a verb: "close the month")
    tokens = text.split()
    if any(
        w in ("boiler", "invoice", "radiator", "ledger") and tokens[i + 1 : i + 2] != ["the"]
        for i, w in enumerate(tokens)
    ):
        assert name
    assert all(p for p, _, _ in phrases(text))


def test_folder_and_http_audits_of_one_site_name_the_same_topics(
    serve_folder, tmp_path: Path, model
) -> None:  # noqa: ANN001
    """Pages come in another order over HTTP (parsers run side by side) than from the folder;
    the topics and their names do not change, nor between two audits of the unchanged site."""
    import json

    from funnel_audit.cli.main import main

    site = ROOT / "sample_sites" / "harbourline-plumbing"
    names = []
    for i, target in enumerate([str(site), serve_folder(site), serve_folder(site)]):
        out = tmp_path / f"out{i}"
        assert main(["audit", target, "--out", str(out), "--no-history", "--quiet"]) == 0
        data = json.loads((out / "audit.json").read_text(encoding="utf-8"))
        pages = {p["url"].split("/", 3)[3]: p["topic"] for p in data["pages"]}
        names.append((sorted(data["topics"]), pages))
    assert names[0][0] and names[0][0] == names[1][0] == names[2][0]
    assert names[1] == names[2]
    # the crawl also reads a page the folder does not (35 pages, not 34), which may move a
    # borderline page; nearly all pages both audits read are in the same topic
    common = names[0][1].keys() & names[1][1].keys()
    same = [k for k in common if names[0][1][k] == names[1][1][k]]
    assert len(common) >= 30 and len(same) >= len(common) - 2
