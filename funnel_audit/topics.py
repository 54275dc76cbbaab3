"""The site's own topics, found from its content and named by their top terms.

Pages are clustered on TF-IDF of title, headings and the start of the main text (k-means with a
fixed seed, so the same site always gives the same topics). Terms that appear on most pages (the
brand, the nav) are ignored, and each topic is named by its strongest phrases, preferring two-word
phrases that read like a subject ("invoice approval", "boiler repair").

The numeric work is plain NumPy on sparse rows (`topic_clusters.py`), not scikit-learn or SciPy:
importing scikit-learn alone costs about 120 MB of memory. It is imported only when topics are
found, after the crawl, so the crawling process does not carry NumPy while parsers run beside it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

TOPIC_TEXT_CHARS = 1_500
MAX_TOPICS = 8
MAX_FIT_PAGES = 4_000
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

def find_topics(texts: Sequence[str], seed: int = 0, brand: str = ""
                ) -> tuple[list[int], list[Topic]]:
    """Assign each text a topic index; fewer than 4 usable texts give a single topic. Words of
    `brand` (the site's name) never name a topic."""
    from funnel_audit.topic_clusters import cluster_topics

    return cluster_topics(texts, seed, brand)
