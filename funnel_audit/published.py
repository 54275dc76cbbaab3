"""Which of last audit's calendar entries now exist on the site, so a client sees progress.

A planned entry counts as published when a page that is new since that audit has the entry's
stage and carries one of its topic keywords (or its topic phrase) in the title or topic. Each new
page answers at most one entry, and entries are taken in calendar order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from funnel_audit.models import PageResult


def published_entries(calendar: Iterable[Mapping[str, Any]], old_urls: set[str],
                      pages: Sequence[PageResult]) -> list[dict[str, str]]:
    fresh = [p for p in pages if p.url not in old_urls and p.stage is not None and not p.error]
    taken: set[str] = set()
    found = []
    for entry in calendar:
        phrases = [str(k).lower() for k in (*entry.get("keywords", ()), entry.get("target_topic"))
                   if k and len(str(k)) >= 4]
        for page in fresh:
            if page.url in taken or page.stage.value != entry.get("stage"):  # type: ignore[union-attr]
                continue
            haystack = f"{page.title} {page.topic}".lower()
            if any(phrase in haystack for phrase in phrases):
                taken.add(page.url)
                found.append({"date": str(entry.get("date", "")), "stage": str(entry["stage"]),
                              "title": str(entry.get("working_title", "")), "url": page.url,
                              "page_title": page.title})
                break
    return found
