"""What an audit can take from earlier runs of the same target, instead of fetching again.

`--resume` continues the newest unfinished audit: its committed pages are kept and not fetched,
and their stored links keep the crawl going. Otherwise a re-audit sends conditional requests
(ETag / Last-Modified from the last complete audit); a page answered `304 Not Modified` keeps its
earlier label, links, topic text and the model's token counts (so the site-level pass judges it
with the pages read afresh). Both need the model that read the earlier pages: when the classifier
has changed since, every page is read again.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from funnel_audit.crawl.known import KnownPage
from funnel_audit.crawl.urls import dedup_key
from funnel_audit.models import PageResult
from funnel_audit.ports import AuditStore
from funnel_audit.store.records import AuditRecord
from funnel_audit.store.spool import BlobSpool, TextSpool


@dataclass
class Reuse:
    """What this run takes from earlier ones (see `plan_reuse`)."""

    resume_id: int | None = None
    finished: list[tuple[PageResult, str]] = field(default_factory=list)
    prior: dict[str, PageResult] = field(default_factory=dict)
    # the prior pages' topic texts, on disk until a 304 reuses them
    prior_texts: Mapping[str, str] = field(default_factory=dict)
    known: dict[str, KnownPage] = field(default_factory=dict)
    note: str | None = None
    # the reused pages' token counts (resumed and prior pages alike)
    evidence: BlobSpool | None = None

    def close(self) -> None:
        """Release the on-disk spools of reused texts and token counts."""
        for spool in (self.prior_texts, self.evidence):
            if isinstance(spool, BlobSpool):
                spool.close()


def plan_reuse(
    store: AuditStore | None,
    target: str,
    *,
    resume: bool,
    conditional: bool,
    model_version: Callable[[], str] | None = None,
) -> Reuse:
    """What to take from earlier runs; `model_version` gives the current classifier's version
    (called only when there is something to reuse, as it may load the model)."""
    if store is None:
        return Reuse(note="--resume needs the history database" if resume else None)
    if resume:
        unfinished = store.latest_unfinished(target)
        if unfinished is None:
            return Reuse(note="nothing to resume for this target; started a new audit")
        changed = _model_changed(unfinished, model_version)
        if changed:
            return Reuse(note=f"not resumed: {changed}; started a new audit")
        rows = store.page_results(unfinished.id)
        return Reuse(
            resume_id=unfinished.id,
            finished=rows,
            known={dedup_key(p.url): KnownPage(links=p.links, finished=True) for p, _ in rows},
            note=f"resumed audit {unfinished.id}: {len(rows)} page(s) kept without fetching",
            evidence=_evidence(store, unfinished.id, {p.url for p, _ in rows}),
        )
    if not conditional:
        return Reuse()
    last = [a for a in store.audits(target) if a.target == target and a.complete]
    if not last:
        return Reuse()
    changed = _model_changed(last[-1], model_version)
    if changed:
        return Reuse(note=f"every page read again: {changed}")
    prior: dict[str, PageResult] = {}
    texts = TextSpool()
    for page, text in store.iter_page_results(last[-1].id):
        if page.error is None and (page.etag or page.last_modified):
            prior[page.url] = page
            if text:
                texts[page.url] = text
    known = {
        dedup_key(url): KnownPage(links=p.links, etag=p.etag, last_modified=p.last_modified)
        for url, p in prior.items()
    }
    return Reuse(
        prior=prior,
        prior_texts=texts,
        known=known,
        evidence=_evidence(store, last[-1].id, set(prior)),
    )


def _model_changed(audit: AuditRecord, model_version: Callable[[], str] | None) -> str:
    """Why the earlier audit's readings cannot be reused, or "" when they can."""
    if model_version is None:
        return ""
    before, now = audit.model_version, model_version()
    if before in ("", "pending") or now in ("", "pending") or before == now:
        return ""
    return f"the classifier changed since audit {audit.id} ({before} -> {now})"


def _evidence(store: AuditStore, audit_id: int, urls: set[str]) -> BlobSpool:
    spool = BlobSpool()
    for url, data in store.page_evidence(audit_id):
        if url in urls:
            spool.write(url, data)
    return spool
