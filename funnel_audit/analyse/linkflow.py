"""Where the site's own links leave visitors stranded between funnel stages.

Works on the internal link graph of the crawled pages: which pages link onward to a later stage,
which awareness pages cannot reach a conversion page within two clicks, which pages nothing links
to, and which decision/conversion pages are missing from the stage before them.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from funnel_audit.analyse.linkmap import LinkMapper
from funnel_audit.crawl.urls import page_key
from funnel_audit.models import Gap, PageResult, Stage

MAX_EVIDENCE = 10
# A link in the body of more than this share of the pages (on sites of at least
# SITEWIDE_MIN_PAGES pages that recorded body links) is part of the template: navigation.
SITEWIDE_SHARE = 0.5
SITEWIDE_MIN_PAGES = 6
# Orphans are not reported when more than this share of the links to this site's pages
# (at least UNMAPPED_MIN of them) lead to no audited page: they would be an artefact.
UNMAPPED_SHARE = 0.5
UNMAPPED_MIN = 3
_OUTSIDE, _UNRESOLVED, _RESOLVED = 0, 1, 2


@dataclass(frozen=True, slots=True)
class LinkFlow:
    """Per-stage onward-link shares plus the findings, for the report's flow diagram."""

    onward_share: dict[str, float]
    stage_links: dict[str, dict[str, int]]
    findings: tuple[Gap, ...]
    notes: tuple[str, ...] = ()
    # how the links were matched: internal_links, resolved_links, body_edges, site_wide_targets
    stats: dict[str, Any] = field(default_factory=dict)
    # every page no other page links to (the finding lists only the first few); empty when the
    # links could not be matched to pages reliably enough to tell
    orphans: tuple[str, ...] = ()


def main_origin(urls: Iterable[str]) -> str:
    """The "scheme://netloc" most of the URLs share ("" for none)."""
    counts: Counter[str] = Counter()
    for url in urls:
        try:
            parts = urlsplit(url)
        except ValueError:
            continue
        if parts.scheme and parts.netloc:
            counts[f"{parts.scheme}://{parts.netloc}"] += 1
    return counts.most_common(1)[0][0] if counts else ""


def analyse_links(
    pages: Sequence[PageResult],
    start_url: str | None = None,
    *,
    aliases: Iterable[Any] = (),
    folder: bool = False,
    origin: str | None = None,
    candidates: Iterable[str] = (),
    guard_orphans: bool = False,
) -> LinkFlow:
    """Pages and links are matched by page key (`/blog/` == `/blog/index.html`); links to an
    alias host (`linkmap.Alias`) count as links to the `origin` (default: the pages' most common
    one), and in a `folder` audit pretty URLs (`/pricing` for `pricing.html`) are resolved
    against the files that exist (`linkmap.LinkMapper`).

    Orphans are counted on every internal link, the funnel flow (onward shares, stranded
    awareness pages, missing links from the stage before) on the links in pages' bodies
    (`PageResult.body_links`; every link for a page that did not record them), less the ones
    in the body of most pages (a template's links are navigation too). With `guard_orphans`,
    orphans are not reported when most internal links - links to the origin and to the
    `candidates` hosts the site may also be known by - could not be matched to audited pages.

    The link graph is held as integer arrays (source, target) rather than a set per page:
    on a 20,000-page site with 50 links a page that is 8 MB instead of about 80."""
    import numpy as np  # here: the crawling process imports this module but needs NumPy only now

    ok = [p for p in pages if p.stage is not None and p.error is None]
    key_of = {page_key(p.url): p for p in ok}
    keys = list(key_of)
    nodes = list(key_of.values())
    index = {k: i for i, k in enumerate(keys)}
    mapper = LinkMapper(
        (p.url for p in pages),
        main_origin(p.url for p in pages) if origin is None else origin,
        aliases,
        folder=folder,
        candidates=candidates,
    )
    cache: dict[str, tuple[int, int]] = {}

    def look(url: str) -> tuple[int, int]:
        """(node of the page `url` links to or -1, _OUTSIDE / _UNRESOLVED / _RESOLVED)."""
        hit = cache.get(url)
        if hit is None:
            key = mapper.key(url)
            if key is not None:
                hit = (index.get(key, -1), _RESOLVED)
            else:
                hit = (-1, _UNRESOLVED if mapper.internal(url) else _OUTSIDE)
            cache[url] = hit
        return hit

    sources, targets = array("i"), array("i")
    body_sources, body_targets, recorded_edge = array("i"), array("i"), array("b")
    internal = resolved = recorded = 0
    for page in ok:
        src = index[page_key(page.url)]
        found = set()
        for url in page.links:
            node, kind = look(url)
            internal += kind != _OUTSIDE
            resolved += kind == _RESOLVED
            found.add(node)
        found -= {-1, src}
        sources.extend([src] * len(found))
        targets.extend(sorted(found))
        if page.body_links is not None:
            recorded += 1
            found = {look(url)[0] for url in page.body_links} - {-1, src}
        body_sources.extend([src] * len(found))
        body_targets.extend(sorted(found))
        recorded_edge.extend([page.body_links is not None] * len(found))
    cache.clear()
    n = len(nodes)

    def ids(values: array[int]) -> np.ndarray:
        return np.frombuffer(values, dtype=np.int32) if values else np.zeros(0, np.int32)

    all_src, all_dst = ids(sources), ids(targets)
    src_ids, dst_ids = ids(body_sources), ids(body_targets)
    site_wide = 0
    if recorded >= SITEWIDE_MIN_PAGES and len(dst_ids):
        mine = np.frombuffer(recorded_edge, dtype=np.int8).astype(bool)
        common = np.bincount(dst_ids[mine], minlength=n) > SITEWIDE_SHARE * recorded
        site_wide = int(common.sum())
        keep = ~(mine & common[dst_ids])
        src_ids, dst_ids = src_ids[keep], dst_ids[keep]
    stage_list = list(Stage)
    # every node has a stage (`ok` keeps only those); the test only tells the type checker so
    stage_no = np.array(
        [stage_list.index(p.stage) for p in nodes if p.stage is not None], dtype=np.int64
    )
    order = np.array([s.order if s in Stage.funnel() else -1 for s in stage_list])
    node_order = order[stage_no] if n else np.zeros(0, np.int64)

    funnel = Stage.funnel()
    onward: dict[str, float] = {}
    stage_links: dict[str, dict[str, int]] = {s.value: {} for s in funnel}
    # which stages each page links to, once per (page, stage)
    pairs = np.unique(src_ids.astype(np.int64) * len(stage_list) + stage_no[dst_ids])
    pair_src, pair_stage = np.divmod(pairs, len(stage_list))
    links_later = np.zeros(n, dtype=bool)
    later = (order[pair_stage] > node_order[pair_src]) & (order[pair_stage] >= 0)
    links_later[pair_src[later]] = True
    for stage in funnel:
        mine = stage_no == stage_list.index(stage)
        members = int(mine.sum())
        from_mine = mine[pair_src]
        for target in funnel:
            count = int(np.count_nonzero(from_mine & (pair_stage == stage_list.index(target))))
            if count:
                stage_links[stage.value][target.value] = count
        onward[stage.value] = round(int(links_later[mine].sum()) / members, 4) if members else 0.0

    findings: list[Gap] = []
    is_conversion = stage_no == stage_list.index(Stage.CONVERSION)
    # an awareness page reaches a conversion page in one click, or in two through a page that does
    one_click = np.zeros(n, dtype=bool)
    one_click[src_ids[is_conversion[dst_ids]]] = True
    two_clicks = np.zeros(n, dtype=bool)
    two_clicks[src_ids[one_click[dst_ids]]] = True
    awareness = stage_no == stage_list.index(Stage.AWARENESS)
    stranded = [nodes[i].url for i in np.flatnonzero(awareness & ~one_click & ~two_clicks)]
    if stranded and is_conversion.any():
        findings.append(
            Gap(
                Stage.AWARENESS,
                "",
                "stranded-awareness",
                2,
                f"{len(stranded)} awareness page(s) have no path to a conversion page "
                "within two clicks.",
                tuple(stranded[:MAX_EVIDENCE]),
            )
        )
    if not is_conversion.any() and ok:
        findings.append(
            Gap(
                Stage.CONVERSION,
                "",
                "no-conversion",
                3,
                "No conversion page was found: visitors have nowhere to act.",
                (),
            )
        )

    start_index = index.get(page_key(start_url)) if start_url else None
    inbound = np.bincount(all_dst, minlength=n) if n else np.zeros(0, np.int64)
    excluded = stage_list.index(Stage.EXCLUDED)
    orphans = [
        nodes[i].url
        for i in np.flatnonzero((inbound == 0) & (stage_no != excluded))
        if i != start_index
    ]
    notes: list[str] = []
    unresolved = internal - resolved
    if guard_orphans and unresolved >= UNMAPPED_MIN and unresolved > UNMAPPED_SHARE * internal:
        if orphans:
            notes.append(
                f"orphan pages not reported: {unresolved} of {internal} links to this site's "
                f"pages ({unresolved / internal:.0%}) lead to no audited page (not crawled, or "
                "written for another address), so inbound links cannot be counted reliably; if "
                "the pages link to the live site under another host name, give it with "
                "--alias-host"
            )
        orphans = []
    if orphans:
        findings.append(
            Gap(
                None,
                "",
                "orphan-pages",
                1,
                f"{len(orphans)} page(s) have no inbound internal links (found only "
                "through the sitemap or the folder).",
                tuple(orphans[:MAX_EVIDENCE]),
            )
        )

    for stage, before in (
        (Stage.DECISION, Stage.CONSIDERATION),
        (Stage.CONVERSION, Stage.DECISION),
    ):
        is_before = stage_no == stage_list.index(before)
        linked = np.zeros(n, dtype=bool)
        linked[dst_ids[is_before[src_ids]]] = True
        unlinked = [
            nodes[i].url for i in np.flatnonzero((stage_no == stage_list.index(stage)) & ~linked)
        ]
        if is_before.any() and unlinked:
            findings.append(
                Gap(
                    stage,
                    "",
                    f"{stage.value}-not-linked",
                    2,
                    f"{len(unlinked)} {stage.value} page(s) are not linked from any "
                    f"{before.value} page.",
                    tuple(unlinked[:MAX_EVIDENCE]),
                )
            )
    stats = {
        "internal_links": internal,
        "resolved_links": resolved,
        "body_edges": int(len(src_ids)),
        "all_edges": int(len(all_src)),
        "site_wide_targets": site_wide,
    }
    return LinkFlow(onward, stage_links, tuple(findings), tuple(notes), stats, tuple(orphans))
