"""The array-based link-flow analysis agrees with a plain set-per-page version on any graph."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from funnel_audit.analyse.linkflow import MAX_EVIDENCE, LinkFlow, analyse_links
from funnel_audit.crawl.urls import page_key
from funnel_audit.models import Gap, PageResult, Stage

BASE = "https://site.example"


def page(
    path: str, stage: Stage | None, links: tuple[str, ...], error: str | None = None
) -> PageResult:
    return PageResult(
        url=BASE + path,
        status=200 if error is None else 500,
        error=error,
        depth=1,
        content_type="text/html",
        title=path,
        word_count=300,
        stage=stage,
        confidence=0.9,
        reasons=(),
        needs_review=False,
        label_source="model",
        links=links,
    )


@st.composite
def sites(draw: st.DrawFn) -> list[PageResult]:
    n = draw(st.integers(0, 14))
    paths = [f"/p{i}/" if draw(st.booleans()) else f"/p{i}/index.html" for i in range(n)]
    stages = st.sampled_from([*Stage, None])
    out = []
    for path in paths:
        picks = draw(st.lists(st.integers(0, max(n + 2, 1)), max_size=8))
        # links to crawled pages (in either spelling), to unknown pages and to the page itself
        links = tuple(BASE + (f"/p{i}" if i < n else f"/elsewhere{i}") for i in picks)
        error = "HTTP 500" if draw(st.integers(0, 9)) == 0 else None
        out.append(page(path, draw(stages), links, error))
    return out


@settings(max_examples=300, deadline=None)
@given(sites(), st.booleans())
def test_array_version_matches_the_set_version(pages: list[PageResult], with_start: bool) -> None:
    start = BASE + "/p0/" if with_start else None
    got, want = analyse_links(pages, start), reference_links(pages, start)
    assert got.onward_share == want.onward_share
    assert got.stage_links == want.stage_links
    assert got.findings == want.findings


def test_a_well_linked_funnel_has_no_findings() -> None:
    pages = [
        page("/", Stage.AWARENESS, (BASE + "/compare", BASE + "/pricing")),
        page("/compare", Stage.CONSIDERATION, (BASE + "/pricing",)),
        page("/pricing", Stage.DECISION, (BASE + "/signup",)),
        page("/signup", Stage.CONVERSION, (BASE + "/",)),
    ]
    flow = analyse_links(pages, BASE + "/")
    assert flow.findings == ()
    assert flow.onward_share == {
        "awareness": 1.0,
        "consideration": 1.0,
        "decision": 1.0,
        "conversion": 0.0,
    }


def reference_links(pages: Sequence[PageResult], start_url: str | None = None) -> LinkFlow:
    """The plain set-per-page version the array one must agree with."""
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
    if not conversions and ok:
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

    start_key = page_key(start_url) if start_url else None
    orphans = [
        p.url
        for k, p in key_of.items()
        if not inbound[k] and k != start_key and p.stage is not Stage.EXCLUDED
    ]
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
        has_before = any(p.stage is before for p in key_of.values())
        unlinked = [
            p.url
            for k, p in key_of.items()
            if p.stage is stage and not any(stage_of(s) is before for s in inbound[k])
        ]
        if has_before and unlinked:
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
    return LinkFlow(onward, {k: dict(v) for k, v in stage_links.items()}, tuple(findings))
