"""What an audit can take from earlier runs of the same target, instead of fetching again.

`--resume` continues the newest unfinished audit: its committed pages are kept and not fetched,
and their stored links keep the crawl going. Otherwise a re-audit sends conditional requests
(ETag / Last-Modified from the last complete audit); a page answered `304 Not Modified` keeps its
earlier label, links and topic text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from funnel_audit.crawl import KnownPage
from funnel_audit.history import HistoryStore
from funnel_audit.models import PageResult
from funnel_audit.spool import TextSpool
from funnel_audit.urls import dedup_key


@dataclass
class Reuse:
    resume_id: int | None = None
    finished: list[tuple[PageResult, str]] = field(default_factory=list)
    prior: dict[str, PageResult] = field(default_factory=dict)
    # the prior pages' topic texts, on disk until a 304 reuses them
    prior_texts: Mapping[str, str] = field(default_factory=dict)
    known: dict[str, KnownPage] = field(default_factory=dict)
    note: str | None = None


def plan_reuse(store: HistoryStore | None, target: str, *, resume: bool,
               conditional: bool) -> Reuse:
    if store is None:
        return Reuse(note="--resume needs the history database" if resume else None)
    if resume:
        unfinished = store.latest_unfinished(target)
        if unfinished is None:
            return Reuse(note="nothing to resume for this target; started a new audit")
        rows = store.page_results(unfinished["id"])
        return Reuse(
            resume_id=unfinished["id"], finished=rows,
            known={dedup_key(p.url): KnownPage(links=p.links, finished=True) for p, _ in rows},
            note=f"resumed audit {unfinished['id']}: {len(rows)} page(s) kept without fetching")
    if not conditional:
        return Reuse()
    last = [a for a in store.audits(target) if a["target"] == target
            and a["status"] == "complete"]
    if not last:
        return Reuse()
    prior: dict[str, PageResult] = {}
    texts = TextSpool()
    for page, text in store.iter_page_results(last[-1]["id"]):
        if page.error is None and (page.etag or page.last_modified):
            prior[page.url] = page
            if text:
                texts[page.url] = text
    known = {dedup_key(url): KnownPage(links=p.links, etag=p.etag,
                                       last_modified=p.last_modified)
             for url, p in prior.items()}
    return Reuse(prior=prior, prior_texts=texts, known=known)
