"""Where the site's own links leave visitors stranded between funnel stages.

Works on the internal link graph of the crawled pages: which pages link onward to a later stage,
which awareness pages cannot reach a conversion page within two clicks, which pages nothing links
to, and which decision/conversion pages are missing from the stage before them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from funnel_audit.models import Gap, PageResult, Stage
from funnel_audit.urls import InvalidURLError, dedup_key, normalize_url

MAX_EVIDENCE = 10
_INDEX_NAMES = ("index.html", "index.htm", "index.php")


def page_key(url: str) -> str:
    """One identity for `/blog/`, `/blog` and `/blog/index.html`."""
    try:
        url = normalize_url(url)
    except InvalidURLError:
        return url
    head, sep, query = url.partition("?")
    for name in _INDEX_NAMES:
        if head.endswith("/" + name):
            head = head[: -len(name)]
    return dedup_key(head + sep + query)


@dataclass(frozen=True, slots=True)
class LinkFlow:
    """Per-stage onward-link shares plus the findings, for the report's flow diagram."""

    onward_share: dict[str, float]
    stage_links: dict[str, dict[str, int]]
    findings: tuple[Gap, ...]


def analyse_links(pages: Sequence[PageResult], start_url: str | None = None) -> LinkFlow:
    """Pages and links are matched by page key (`/blog/` == `/blog/index.html`)."""
    cache: dict[str, str] = {}

    def key_cache(url: str) -> str:
        key = cache.get(url)
        if key is None:
            key = cache[url] = page_key(url)
        return key

    ok = [p for p in pages if p.stage is not None and p.error is None]
    key_of = {page_key(p.url): p for p in ok}
    out_edges: dict[str, set[str]] = {}
    inbound: dict[str, set[str]] = defaultdict(set)
    for page in ok:
        src = page_key(page.url)
        targets = {k for k in map(key_cache, page.links) if k in key_of and k != src}
        out_edges[src] = targets
        for t in targets:
            inbound[t].add(src)

    def stage_of(key: str) -> Stage | None:
        return key_of[key].stage

    funnel = Stage.funnel()
    onward: dict[str, float] = {}
    stage_links: dict[str, dict[str, int]] = {s.value: defaultdict(int) for s in funnel}
    for stage in funnel:
        members = [k for k, p in key_of.items() if p.stage is stage]
        later = 0
        for k in members:
            stages = {stage_of(t) for t in out_edges[k]}
            for s in stages:
                if s is not None and s is not Stage.EXCLUDED:
                    stage_links[stage.value][s.value] += 1
            if any(s in funnel and s.order > stage.order for s in stages if s is not None):
                later += 1
        onward[stage.value] = round(later / len(members), 4) if members else 0.0

    findings: list[Gap] = []
    conversions = {k for k, p in key_of.items() if p.stage is Stage.CONVERSION}
    stranded = []
    for k, p in key_of.items():
        if p.stage is not Stage.AWARENESS:
            continue
        one = out_edges[k]
        two = set().union(*(out_edges[t] for t in one)) if one else set()
        if not (one | two) & conversions:
            stranded.append(p.url)
    if stranded and conversions:
        findings.append(Gap(Stage.AWARENESS, "", "stranded-awareness", 2,
                            f"{len(stranded)} awareness page(s) have no path to a conversion page "
                            "within two clicks.", tuple(stranded[:MAX_EVIDENCE])))
    if not conversions and ok:
        findings.append(Gap(Stage.CONVERSION, "", "no-conversion", 3,
                            "No conversion page was found: visitors have nowhere to act.", ()))

    start_key = page_key(start_url) if start_url else None
    orphans = [p.url for k, p in key_of.items()
               if not inbound[k] and k != start_key and p.stage is not Stage.EXCLUDED]
    if orphans:
        findings.append(Gap(None, "", "orphan-pages", 1,
                            f"{len(orphans)} page(s) have no inbound internal links (found only "
                            "through the sitemap or the folder).", tuple(orphans[:MAX_EVIDENCE])))

    for stage, before in ((Stage.DECISION, Stage.CONSIDERATION),
                          (Stage.CONVERSION, Stage.DECISION)):
        has_before = any(p.stage is before for p in key_of.values())
        unlinked = [p.url for k, p in key_of.items() if p.stage is stage
                    and not any(stage_of(s) is before for s in inbound[k])]
        if has_before and unlinked:
            findings.append(Gap(stage, "", f"{stage.value}-not-linked", 2,
                                f"{len(unlinked)} {stage.value} page(s) are not linked from any "
                                f"{before.value} page.", tuple(unlinked[:MAX_EVIDENCE])))
    return LinkFlow(onward, {k: dict(v) for k, v in stage_links.items()}, tuple(findings))
