"""Turn gaps into a dated content calendar that fills the thinnest stages first.

Slots are spread over `weeks` weeks from `start` (`per_week` a week, on different weekdays). Each
stage's share of slots follows how many pages it lacks against the target mix; thin stages come
first. Every entry names one of the site's own topics, a format from the stage's catalogue, the CTA
that moves a reader to the next stage, the existing pages to link from and to, an owner and a KPI.
`today` is always passed in, never read from the clock here. Formats a site needs once (its
pricing explainer, guarantee, FAQ ...: tactics.py) are planned at most once and dated first.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from funnel_audit import settings
from funnel_audit.analyse.topics import Topic
from funnel_audit.models import CalendarEntry, Gap, PageResult, Stage, StageShare
from funnel_audit.plan.tactics import FOUNDATIONAL, foundations_first, tactic_of

DEFAULT_WEEKS: int = settings.default("weeks")
DEFAULT_PER_WEEK: int = settings.default("per_week")
_WEEKDAY_OFFSETS = (0, 2, 4, 1, 3, 5, 6)


@dataclass(frozen=True, slots=True)
class Format:
    """A content format for a stage: its title templates and who usually writes it."""

    name: str
    titles: tuple[str, ...]
    owner: str


CATALOGUE: dict[Stage, tuple[Format, ...]] = {
    Stage.AWARENESS: (
        Format(
            "guide",
            (
                "{Topic}: a practical guide",
                "The beginner's guide to {topic}",
                "{Topic} step by step: a guide for first-timers",
            ),
            "writer",
        ),
        Format(
            "checklist",
            ("The {topic} checklist: what to check first", "A {topic} checklist you can use today"),
            "writer",
        ),
        Format(
            "explainer",
            ("What is {topic}? A plain-English explainer", "{Topic} explained in five minutes"),
            "writer",
        ),
        Format(
            "mistakes article",
            (
                "7 common {topic} mistakes and how to avoid them",
                "{Topic}: the mistakes we see most often",
            ),
            "writer",
        ),
        Format("glossary", ("{Topic} glossary: the terms that matter",), "writer"),
        Format("trends article", ("{Topic} in {year}: what is changing",), "writer"),
    ),
    Stage.CONSIDERATION: (
        Format(
            "comparison",
            (
                "{Topic}: comparing your options side by side",
                "{Topic} options compared: what fits which situation",
            ),
            "writer",
        ),
        Format(
            "webinar",
            (
                "Webinar: getting {topic} right with {site}",
                "Live Q&A: your {topic} questions answered",
            ),
            "sales",
        ),
        Format(
            "how-it-works page",
            ("How {site} handles {topic}, step by step", "{Topic} with {site}: how it works"),
            "web",
        ),
        Format(
            "buyer's guide",
            (
                "Buyer's guide to {topic}: questions to ask before you choose",
                "Choosing a {topic} provider: a short buyer's guide",
            ),
            "writer",
        ),
        Format("use-case page", ("{Topic}: use cases and examples",), "web"),
        Format("ebook", ("Ebook: the {topic} playbook",), "designer"),
    ),
    Stage.DECISION: (
        Format(
            "case study",
            (
                "Case study: how one client improved {topic} with {site}",
                "Customer story: {topic} results, in numbers",
                "Before and after: a {topic} project with {site}",
            ),
            "sales",
        ),
        Format(
            "pricing explainer",
            (
                "What {topic} costs with {site}: pricing explained",
                "{Topic} pricing: what is included and what is not",
            ),
            "sales",
        ),
        Format(
            "testimonials page",
            ("What clients say about our {topic} work", "{Topic} reviews from real customers"),
            "web",
        ),
        Format(
            "ROI calculator",
            ("{Topic} savings calculator", "Is {topic} worth it? Work out your return"),
            "designer",
        ),
        Format(
            "buying FAQ",
            (
                "{Topic}: answers before you buy",
                "Choosing {site} for {topic}: your questions answered",
            ),
            "writer",
        ),
        Format("guarantee page", ("Our {topic} guarantee, in plain words",), "writer"),
        Format("why-us page", ("Why choose {site} for {topic}",), "writer"),
    ),
    Stage.CONVERSION: (
        Format(
            "landing page with form",
            ("Request a {topic} quote", "Get started with {topic}: tell us what you need"),
            "web",
        ),
        Format(
            "demo/booking page", ("Book a {topic} consultation", "Book a call about {topic}"), "web"
        ),
        Format("sign-up page", ("Start your {topic} trial or sign-up in two minutes",), "web"),
        Format("thank-you page", ("Thank-you page with next steps for {topic} enquiries",), "web"),
    ),
}
CTA = {
    Stage.AWARENESS: "Subscribe for more, or read the {topic} overview",
    Stage.CONSIDERATION: "See how it works: book a demo or consultation",
    Stage.DECISION: "Request a quote / start now",
    Stage.CONVERSION: "Submit the form (short, with reassurance on what happens next)",
}
KPI = {
    Stage.AWARENESS: "organic sessions and newsletter sign-ups",
    Stage.CONSIDERATION: "engaged sessions and clicks to pricing/proof pages",
    Stage.DECISION: "demo or quote requests started",
    Stage.CONVERSION: "form completions (conversion rate)",
}


def next_monday(today: date) -> date:
    """The calendar's default start: the Monday after `today` (a week on, when today is Monday)."""
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


def allocate(mix: Sequence[StageShare], slots: int) -> list[Stage]:
    """Which stage each slot serves: thin stages first, then by how many pages each lacks."""
    total = sum(s.pages for s in mix)
    need: dict[Stage, float] = {}
    for s in mix:
        deficit = max(0.0, s.target * max(total, 10) - s.pages)
        need[s.stage] = deficit + (3.0 if s.thin else 0.0)
    if not any(need.values()):
        need = {s.stage: s.target for s in mix}
    order: list[Stage] = []
    given: dict[Stage, int] = defaultdict(int)
    weight_sum = sum(need.values()) or 1.0
    for _ in range(slots):
        stage = max(
            need, key=lambda st: (need[st] / weight_sum - given[st] / max(slots, 1), -st.order)
        )
        given[stage] += 1
        order.append(stage)
    return order


def _titlecase(phrase: str) -> str:
    return " ".join(w if w.isupper() else w[:1].upper() + w[1:] for w in phrase.split())


def build_calendar(
    pages: Sequence[PageResult],
    mix: Sequence[StageShare],
    gaps: Sequence[Gap],
    topics: Sequence[Topic],
    *,
    site_name: str,
    start: date,
    weeks: int = DEFAULT_WEEKS,
    per_week: int = DEFAULT_PER_WEEK,
) -> tuple[CalendarEntry, ...]:
    """A dated content plan: `weeks` x `per_week` entries, stages allocated from the mix, each
    given an unused title on the topic that lacks the stage most, with links to and from
    existing pages."""
    slots = max(0, weeks) * max(0, per_week)
    if slots == 0 or not topics:
        return ()
    stages = allocate(mix, slots)
    by_topic_stage: dict[tuple[str, Stage], list[PageResult]] = defaultdict(list)
    by_stage: dict[Stage, list[PageResult]] = defaultdict(list)
    for p in pages:
        if p.stage is not None and p.stage is not Stage.EXCLUDED and p.error is None:
            by_topic_stage[(p.topic, p.stage)].append(p)
            by_stage[p.stage].append(p)
    for group in (*by_topic_stage.values(), *by_stage.values()):
        group.sort(key=lambda p: (-p.word_count, p.url))
    topic_gap = {(g.topic, g.stage): g for g in gaps if g.topic}
    stage_gap = {g.stage: g for g in gaps if not g.topic and g.kind == "thin-stage"}
    share_of = {s.stage: s for s in mix}
    topic_names = [t.name for t in topics]
    keywords = {t.name: t.keywords for t in topics}
    used_titles: set[str] = set()
    spent: set[str] = set()  # foundational formats already planned: never twice
    cursor: dict[Stage, int] = defaultdict(int)
    entries: list[CalendarEntry] = []
    fallback = list(dict.fromkeys(stages)) + [s for s in Stage.funnel() if s not in stages]
    for wanted in stages:
        found = None
        for stage in (wanted, *(s for s in fallback if s is not wanted)):
            found = _next_title(
                stage,
                topic_names,
                topic_gap,
                by_topic_stage,
                cursor,
                used_titles,
                spent,
                site_name,
                start.year,
            )
            if found:
                break
        if found is None:
            break
        stage, topic, fmt, title = found
        cursor[stage] += 1
        used_titles.add(title.lower())
        tactic = tactic_of(fmt.name)
        if tactic == FOUNDATIONAL:
            spent.add(fmt.name)
        week, within = divmod(len(entries), max(per_week, 1))
        when = start + timedelta(weeks=week, days=_WEEKDAY_OFFSETS[within % 7])
        gap = topic_gap.get((topic, stage)) or stage_gap.get(stage)
        entries.append(
            CalendarEntry(
                date=when,
                stage=stage,
                format=fmt.name,
                working_title=title,
                target_topic=topic,
                keywords=keywords.get(topic, ())[:5],
                cta=CTA[stage].format(topic=topic),
                link_from=_link_from(stage, topic, by_topic_stage, by_stage),
                link_to=_link_to(stage, topic, by_topic_stage, by_stage),
                owner=fmt.owner,
                kpi=KPI[stage],
                gap=gap.message if gap else "",
                rationale=_rationale(stage, topic, share_of.get(stage), gap),
                tactic=tactic,
            )
        )
    return foundations_first(entries)


def _next_title(
    stage: Stage,
    topic_names: list[str],
    topic_gap: dict[tuple[str, Stage | None], Gap],
    by_ts: dict[tuple[str, Stage], list[PageResult]],
    cursor: dict[Stage, int],
    used: set[str],
    spent: set[str],
    site: str,
    year: int,
) -> tuple[Stage, str, Format, str] | None:
    """The next unused title for a stage: topics lacking the stage first, formats in turn
    (a foundational format once only)."""
    ranked = sorted(
        topic_names,
        key=lambda t: (
            (t, stage) not in topic_gap,
            len(by_ts[(t, stage)]),
            -sum(len(by_ts[(t, s)]) for s in Stage.funnel()),
            t,
        ),
    )
    formats = CATALOGUE[stage]
    for attempt in range(len(ranked) * len(formats)):
        i = cursor[stage] + attempt
        topic = ranked[i % len(ranked)]
        fmt = formats[(i // len(ranked) + cursor[stage]) % len(formats)]
        if fmt.name in spent:
            continue
        for template in fmt.titles:
            title = template.format(topic=topic, Topic=_titlecase(topic), site=site, year=year)
            if title.lower() not in used:
                return stage, topic, fmt, title
    return None


def _pick(groups: Sequence[list[PageResult]], n: int = 3) -> tuple[str, ...]:
    out: list[str] = []
    for group in groups:
        for p in group:
            if p.url not in out:
                out.append(p.url)
            if len(out) >= n:
                return tuple(out)
    return tuple(out)


def _neighbour(stage: Stage, step: int) -> Stage | None:
    funnel = Stage.funnel()
    i = funnel.index(stage) + step
    return funnel[i] if 0 <= i < len(funnel) else None


def _link_from(
    stage: Stage,
    topic: str,
    by_ts: dict[tuple[str, Stage], list[PageResult]],
    by_stage: dict[Stage, list[PageResult]],
) -> tuple[str, ...]:
    before = _neighbour(stage, -1) or stage
    return _pick([by_ts[(topic, before)], by_ts[(topic, stage)], by_stage[before]])


def _link_to(
    stage: Stage,
    topic: str,
    by_ts: dict[tuple[str, Stage], list[PageResult]],
    by_stage: dict[Stage, list[PageResult]],
) -> tuple[str, ...]:
    after = _neighbour(stage, 1)
    if after is None:
        return ()
    later = [s for s in Stage.funnel() if s.order > stage.order]
    return _pick([by_ts[(topic, after)], by_stage[after], *(by_stage[s] for s in later)], n=2)


def _rationale(stage: Stage, topic: str, share: StageShare | None, gap: Gap | None) -> str:
    parts = []
    if share is not None:
        parts.append(
            f"{stage.value} is {share.share:.0%} of funnel pages vs a "
            f"{share.target:.0%} target" + (" (thin)" if share.thin else "")
        )
    if gap is not None and gap.topic:
        parts.append(f"topic \u201c{topic}\u201d lacks {stage.value} content")
    else:
        parts.append(f"builds out the \u201c{topic}\u201d topic")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:] + "."


def needed_pages(share: StageShare, total: int) -> int:
    """How many pages a stage lacks to meet its target at the current site size."""
    return max(0, math.ceil(share.target * total - share.pages))
