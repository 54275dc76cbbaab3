"""From the pages an audit read to its findings: the site-level pass, topics, stage mix, link
flow, content quality, gaps and the calendar, gathered into one `AuditResult`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from funnel_audit.analyse.campaigns import campaign_gaps
from funnel_audit.analyse.gaps import content_quality, find_gaps, funnel_pages, stage_mix
from funnel_audit.analyse.linkflow import LinkFlow, analyse_links, main_origin
from funnel_audit.analyse.linkmap import LOCAL_HOSTS, site_aliases
from funnel_audit.analyse.site_kind import site_kind
from funnel_audit.analyse.topics import find_topics
from funnel_audit.models import AuditResult, Stage
from funnel_audit.plan.build import make_plan
from funnel_audit.plan.planner import next_monday
from funnel_audit.plan.presets import preset_name
from funnel_audit.read.brand import find_brand, host_words
from funnel_audit.read.readers import LocalReader
from funnel_audit.site_pages import SitePages

if TYPE_CHECKING:
    from funnel_audit.options import AuditOptions


def is_folder_target(target: str) -> bool:
    """A target without a scheme is a local folder."""
    return "://" not in target


LITTLE_TEXT_WORDS = 50  # under this, a page's main text is too little to tell its stage by


def build_result(
    opts: AuditOptions,
    crawled: SitePages,
    reader: LocalReader,
    target: str,
    site: str,
    times: tuple[datetime, datetime],
    settings: dict[str, Any],
    model_version: str,
    today: date,
    notes: list[str],
    audit_id: int | None,
) -> AuditResult:
    """Everything the audit found, from the pages it read (`run_audit` calls this last)."""
    # the site's name from its pages, never its host: "" when nothing on them names it
    started, finished = times
    name = opts.branding.client_name or find_brand(crawled.titles, crawled.brand)
    _judge_site(crawled, reader, name, notes)
    funnel_urls = {p.url for p in crawled.results if p.stage in Stage.funnel()}
    urls = [u for u in crawled.topic_texts if u in funnel_urls]
    del funnel_urls
    hosts = {target} if not is_folder_target(target) else set()
    hosts.update(p.url for p in crawled.results[:1])
    labels, topics = find_topics(
        crawled.topic_texts.texts(urls),
        brand=name,
        avoid=[w for h in sorted(hosts) for w in host_words(h)],
    )
    topic_of = {u: topics[i].name for u, i in zip(urls, labels, strict=True)}
    del urls, labels
    # in place, so the pages are never held twice on big sites
    results = crawled.results
    for i, page in enumerate(results):
        results[i] = replace(page, topic=topic_of.get(page.url, ""))
    pages = tuple(results)
    results.clear()
    del topic_of
    mix = stage_mix(pages, opts.target_mix)
    flow = _link_flow(crawled, pages, target, notes)
    quality = content_quality(pages, today)
    # events and paid landing pages (analyse/campaigns.py) are findings beside the link flow's;
    # the site's kind says whether events are a usual way for it to win clients
    kind = site_kind(pages)
    more = [*flow.findings, *campaign_gaps(pages, today, flow.orphans, kind)]
    gaps = find_gaps(pages, mix, more, quality)
    matrix: dict[str, dict[str, int]] = {t.name: {} for t in topics}
    for p in funnel_pages(pages):
        if p.topic:
            row = matrix[p.topic]
            row[p.stage.value] = row.get(p.stage.value, 0) + 1  # type: ignore[union-attr]
    plan = make_plan(
        pages,
        mix,
        gaps,
        topics,
        site_name=name,
        start=opts.start or next_monday(today),
        weeks=opts.weeks,
        per_week=opts.per_week,
        team=opts.team,  # people for role words, within capacity
        notes=notes,
        kind=kind,
    )
    if crawled.unchanged:
        notes.append(
            f"{crawled.unchanged} page(s) unchanged since the last audit (HTTP 304): "
            "their earlier results were reused"
        )
    if crawled.duplicates:
        notes.append(f"{crawled.duplicates} page(s) skipped as duplicates of a canonical URL")
    if crawled.js_pages:
        notes.append(
            f"{crawled.js_pages} page(s) look JavaScript-rendered (little text, heavy "
            "scripts): their labels rest on little evidence"
        )
    # most pages near-empty: more likely a template the reader cannot see into than a thin site
    read = sum(1 for p in pages if p.stage is not None)
    little = sum(1 for p in pages if p.stage is not None and p.word_count < LITTLE_TEXT_WORDS)
    if little * 2 > read:
        notes.append(
            f"{little} of {read} pages yielded under {LITTLE_TEXT_WORDS} words of main text: the "
            "site's template may hide its content from the reader; stages and thin-page findings "
            "rest on little evidence"
        )
    return AuditResult(
        target=target,
        site=site,
        started_at=started,
        finished_at=finished,
        settings={**settings, "target_preset": preset_name(opts.target_mix)},
        model_version=model_version,
        pages=pages,
        mix=mix,
        gaps=gaps,
        calendar=plan.calendar,
        topics=matrix,
        notes=tuple(notes),
        audit_id=audit_id,
        link_flow={
            "onward_share": flow.onward_share,
            "stage_links": flow.stage_links,
            "links": flow.stats,
        },
        quality=quality,
        brand=name,
        objectives=plan.objectives,
        actions=plan.actions,
        summary=plan.summary,
        site_kind=plan.site_kind,
        conversion=plan.conversion,
    )


def _judge_site(crawled: SitePages, reader: LocalReader, brand: str, notes: list[str]) -> None:
    """The site-level pass (`site_pass.py`), in place: each page judged with its site."""
    if not len(crawled.evidence):
        return
    from funnel_audit.classify.site_pass import judge_site

    crawled.results[:], done = judge_site(reader.model, crawled.results, crawled.evidence, brand)
    if done.changed:
        notes.append(
            f"site-level pass: {done.changed} of {done.pages_judged} page(s) changed "
            f"stage once judged with their site ({done.common_terms} site-wide term(s) "
            "set aside, sections and page families taken into account)"
        )
    if done.families:
        found = ", ".join(f"{name} {n}" for name, n in sorted(done.families.items()))
        notes.append(
            f"page families recognised by their addresses, titles and structured data: {found}"
        )
    if done.mixed_sections:
        shown = ", ".join(done.mixed_sections[:5])
        more = f" and {len(done.mixed_sections) - 5} more" if len(done.mixed_sections) > 5 else ""
        notes.append(f"sections whose pages carry mixed stages (worth a check): {shown}{more}")


def _link_flow(
    crawled: SitePages, pages: tuple[Any, ...], target: str, notes: list[str]
) -> LinkFlow:
    """The link analysis with the site's other names: --alias-host hosts, the live host most
    pages name as their own (canonical, og:url, base href) and, for a folder, localhost."""
    folder = is_folder_target(target)
    origin = main_origin(p.url for p in pages)
    aliases, detected = site_aliases(origin, crawled.claims, crawled.aliases, folder=folder)
    flow = analyse_links(
        pages,
        None if folder else target,
        aliases=aliases,
        folder=folder,
        origin=origin,
        candidates={*crawled.claims.hosts, *LOCAL_HOSTS},
        guard_orphans=True,
    )
    found = [str(a) for a in detected if a not in crawled.aliases]
    if found:
        notes.append(
            f"links to {', '.join(found)} (the address most pages give as their own) "
            "were counted as links within this site"
            + ("" if folder else "; to crawl them as well, add --alias-host")
        )
    notes.extend(flow.notes)
    blocked = sum(1 for p in pages if p.error == "blocked by robots.txt")
    if blocked:
        notes.append(
            f"{blocked} page(s) not read: blocked by robots.txt (for a site you own, "
            "use --ignore-robots)"
        )
    flow.stats["alias_hosts"] = sorted({*found, *(str(a) for a in crawled.aliases)})
    return flow
