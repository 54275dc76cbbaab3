"""Topic finding through `find_topics` alone: synthetic sites whose right answer is obvious."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from funnel_audit import topic_clusters, topics
from funnel_audit.topics import Topic, find_topics, topic_text

ROOT = Path(__file__).resolve().parent.parent

THEMES = {
    "boilers": ("boiler", "boilers", "combi", "radiator", "radiators", "flue", "thermostat",
                "heating", "pressure", "valve", "pump", "servicing", "engineer", "gas",
                "condensing", "installation", "breakdown", "hot", "water", "cylinder"),
    "invoices": ("invoice", "invoices", "approval", "approvals", "ledger", "payable", "supplier",
                 "suppliers", "purchase", "order", "matching", "reconciliation", "accruals",
                 "payment", "payments", "finance", "month-end", "close", "erp", "vendor"),
    "dentistry": ("dental", "dentist", "teeth", "tooth", "implant", "implants", "hygienist",
                  "whitening", "braces", "gum", "gums", "enamel", "filling", "crown", "root",
                  "canal", "orthodontic", "smile", "cavity", "check-up"),
}
# words every page of the site shares, or that should never name anything
FILLER = ("our team is here to help you with the best local service and we will answer your "
          "questions about this page click here to contact us or read more").split()
STOP_SAMPLE = {"the", "and", "with", "your", "our", "about", "here", "this", "will", "click",
               "contact", "read", "more", "page", "you", "can", "for", "from"}


def theme_texts(per_theme: int, seed: int = 1) -> tuple[list[str], list[str]]:
    """Texts (title, headings, body) drawn from one theme each, interleaved; and their themes."""
    rng = random.Random(seed)
    texts: list[str] = []
    names: list[str] = []
    for i in range(per_theme):
        for name, words in THEMES.items():
            title = " ".join(rng.sample(words, 3)).capitalize()
            headings = [" ".join(rng.sample(words, 2)) for _ in range(3)]
            body = " ".join(rng.choice(words) if rng.random() < 0.5 else rng.choice(FILLER)
                            for _ in range(120 + i))
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
        monkeypatch: pytest.MonkeyPatch) -> None:
    texts, names = theme_texts(20)
    monkeypatch.setattr(topics, "MAX_FIT_PAGES", 24)  # 60 pages, fitted on 24 of them
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
    # as with scikit-learn, "boiler" and "repair" form a phrase once "the" and "of" are dropped
    texts = ["repair of the boiler today", "repair of the boiler, gas boiler", "boiler repair"]
    _, found = find_topics(texts)
    assert found[0].name == "repair boiler"


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
        [0] * 5, general)
    # ten identical pages: every term is on more than half of them, so nothing is left
    assert find_topics(["boiler repair"] * 10) == ([0] * 10, general)


def test_a_few_words_are_enough() -> None:
    labels, found = find_topics(["boiler", "invoice", "teeth", "boiler", "invoice", "teeth"])
    assert len(labels) == 6 and all(0 <= label < len(found) for label in labels)


WORDS = [w for ws in THEMES.values() for w in ws] + FILLER + ["x", "42", "été", "naïve", "-"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(st.text(max_size=300),
                          st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join)),
                max_size=40),
       st.integers(min_value=0, max_value=2**32 - 1))
def test_never_raises_and_labels_every_text(texts: list[str], seed: int) -> None:
    labels, found = find_topics(texts, seed=seed)
    assert len(labels) == len(texts)
    assert all(isinstance(label, int) and 0 <= label < len(found) for label in labels)
    assert bool(found) == bool(texts)
    assert all(isinstance(t.name, str) and t.name for t in found)


def test_importing_topics_loads_neither_sklearn_nor_scipy() -> None:
    code = ("import sys, funnel_audit.topics; "
            "print(sorted(m for m in ('sklearn', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
