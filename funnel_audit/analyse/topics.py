"""The site's own topics: clusters of its pages, each named as a person would name it.

`find_topics` is the entry point; the clustering is in `topic_clusters.py` (NumPy, imported only
when topics are found, after the crawl) and the naming in `topic_names.py` (plain Python).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from funnel_audit.analyse.topic_names import Topic, clean_name, heads, phrases, topic_text

__all__ = ["Topic", "clean_name", "find_topics", "heads", "phrases", "topic_text"]


def find_topics(
    texts: Sequence[str], seed: int = 0, brand: str = "", avoid: Iterable[str] = ()
) -> tuple[list[int], list[Topic]]:
    """Assign each text a topic index; fewer than 4 usable texts give a single topic. Words of
    `brand` (the site's name) and `avoid` (say, its host's) never name a topic."""
    from funnel_audit.analyse.topic_clusters import cluster_topics  # NumPy: only after the crawl

    return cluster_topics(texts, seed, brand, avoid)
