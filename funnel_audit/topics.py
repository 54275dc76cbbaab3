"""The site's own topics, found from its content and named by their top terms.

Pages are clustered on TF-IDF of title, headings and the start of the main text (k-means with a
fixed seed, so the same site always gives the same topics). Terms that appear on most pages (the
brand, the nav) are ignored, and each topic is named by its strongest phrases, preferring two-word
phrases that read like a subject ("invoice approval", "boiler repair").
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

TOPIC_TEXT_CHARS = 1_500
MAX_TOPICS = 8
MAX_FIT_PAGES = 4_000
_STOP = sorted(ENGLISH_STOP_WORDS | {
    "page", "pages", "click", "read", "learn", "contact", "us", "get", "new", "just", "like",
    "make", "use", "need", "want", "way", "ll", "ve", "don", "re", "com", "www", "http", "https",
    "html", "blog", "home", "menu", "skip", "content", "cookies", "cookie", "accept",
    # form vocabulary: every contact or booking form has it, it is never what a page is about
    "message", "email", "phone", "name", "submit", "required", "form", "send", "optional",
    "address", "postcode", "details", "enquiry", "mobile",
})
_NUMBERISH = re.compile(r"^\d")
_ADDRESSES = re.compile(r"\S+@\S+|https?://\S+|www\.\S+|\b[\w-]+\.(?:com|org|net|io|co|example|local)\b",
                        re.I)


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    keywords: tuple[str, ...]


def topic_text(title: str, headings: Sequence[str], main_text: str) -> str:
    """The part of a page that says what it is about; titles and headings count double."""
    head = " ".join((title, *headings[:10]))
    return _ADDRESSES.sub(" ", f"{head}\n{head}\n{main_text[:TOPIC_TEXT_CHARS]}")


def find_topics(texts: Sequence[str], seed: int = 0) -> tuple[list[int], list[Topic]]:
    """Assign each text a topic index; fewer than 4 usable texts give a single topic."""
    n = len(texts)
    if n == 0:
        return [], []
    vec = TfidfVectorizer(stop_words=_STOP, ngram_range=(1, 2), min_df=2 if n >= 8 else 1,
                          max_df=0.5 if n >= 8 else 1.0, sublinear_tf=True,
                          token_pattern=r"(?u)\b[^\W\d_][\w-]{2,}\b", max_features=20_000,
                          dtype=np.float32)
    try:
        # Fit the vocabulary on a sample on big sites: two-word phrases of 20,000 pages would
        # otherwise be built in full before pruning (hundreds of MB); then read every page.
        sample = texts if n <= MAX_FIT_PAGES else [
            texts[i] for i in np.linspace(0, n - 1, MAX_FIT_PAGES).astype(int)]
        vec.fit(sample)
        X = vec.transform(texts)
    except ValueError:
        return [0] * n, [Topic("general", ())]
    terms = vec.get_feature_names_out()
    k = 1 if n < 4 else max(2, min(MAX_TOPICS, round(math.sqrt(n / 2.5))))
    if k == 1 or X.shape[1] < 4:
        centre = np.asarray(X.mean(axis=0)).ravel()
        return [0] * n, [_name(centre, terms, set())]
    fit_rows = X if n <= MAX_FIT_PAGES else X[np.linspace(0, n - 1, MAX_FIT_PAGES).astype(int)]
    km = KMeans(n_clusters=k, n_init=5, random_state=seed).fit(fit_rows)
    labels = km.predict(X).tolist()
    topics: list[Topic] = []
    used: set[str] = set()
    for c in range(k):
        topic = _name(km.cluster_centers_[c], terms, used)
        used.add(topic.name)
        topics.append(topic)
    return labels, topics


def _name(centre: np.ndarray, terms: np.ndarray, used: set[str]) -> Topic:
    order = np.argsort(-centre)[:40]
    ranked = [str(terms[i]) for i in order if centre[i] > 0 and not _NUMBERISH.match(terms[i])]
    keywords: list[str] = []
    for term in ranked:
        if " " in term:
            # a phrase replaces the single words it contains ("boiler installation" > "boiler")
            keywords = [kw for kw in keywords if kw not in term.split()]
        elif any(term in kw.split() for kw in keywords):
            continue
        if term not in keywords:
            keywords.append(term)
        if len(keywords) == 6:
            break
    phrases = [t for t in ranked[:15] if " " in t]
    name = next((p for p in phrases if p not in used), None) or next(
        (t for t in keywords if t not in used), "general")
    return Topic(name=name, keywords=tuple(keywords))
