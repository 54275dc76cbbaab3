"""Turn gaps into a dated content calendar that fills the thinnest stages first.

Slots are spread over `weeks` weeks from `start` (`per_week` a week, on different weekdays). Each
slot goes to the stage furthest below its target once the pieces already planned are counted, so
the plan closes gaps rather than piling into one stage; no stage takes more than MAX_STAGE_SHARE
of the slots, and a stage already over its target takes none. Each entry names one of the site's
own subjects (`subjects.py`), a format that suits the site's kind (`catalogue.py`, `site_kind.py`),
the call to action that moves a reader one stage on along the site's own conversion path
(`cta.py`), the existing pages to link from and to (`links.py`), an owner and a KPI. Formats a
site needs once are planned at most once, never when the site already has that page, and dated
first (`tactics.py`). `today` is always passed in, never read from the clock here.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from funnel_audit import settings
from funnel_audit.analyse.overweight import is_overweight
from funnel_audit.analyse.site_kind import page_words, site_kind
from funnel_audit.analyse.topics import Topic
from funnel_audit.models import CalendarEntry, Gap, PageResult, Stage, StageShare
from funnel_audit.plan.catalogue import CATALOGUE, Format, formats_for
from funnel_audit.plan.cta import ConversionPath, conversion_path, stage_cta
from funnel_audit.plan.links import PagePicker, words
from funnel_audit.plan.subjects import Subject, topic_subjects
from funnel_audit.plan.tactics import FOUNDATIONAL, foundations_first, tactic_of
from funnel_audit.plan.titles import clean_title

__all__ = ["CATALOGUE", "allocate", "build_calendar", "needed_pages", "next_monday"]

DEFAULT_WEEKS: int = settings.default("weeks")
DEFAULT_PER_WEEK: int = settings.default("per_week")
MAX_STAGE_SHARE = 0.6
MAX_FORMAT_SHARE = 0.25  # no series format takes more than this share of the calendar
SLACK = (
    0.05  # how far over its target share a stage may go when no stage below target can take a slot
)
_WEEKDAY_OFFSETS = (0, 2, 4, 1, 3, 5, 6)
KPI = {
    Stage.AWARENESS: "organic sessions to the piece; aim: 1 in 10 readers clicks on",
    Stage.CONSIDERATION: "engaged sessions; aim: 1 in 5 readers goes on to pricing or proof",
    Stage.DECISION: "{noun}s started from the piece; aim: 1 in 20 readers starts one",
    Stage.CONVERSION: "{noun} completion rate; aim: 1 in 3 visitors who start the form finish it",
}


def next_monday(today: date) -> date:
    """The calendar's default start: the Monday after `today` (a week on, when today is Monday)."""
    return today + timedelta(days=(7 - today.weekday()) % 7 or 7)


class Allocation:
    """Which stages may take the next slot, best first. A slot goes to the stage furthest below
    its target share once the slots already given are counted as published pages; a stage
    already at its target takes one only when no stage below target can (and only while it stays
    within SLACK of its target); an overweight stage, a stage with a 0% target, and a stage
    holding MAX_STAGE_SHARE of the slots take none. When no stage may take a slot, the calendar
    stops short rather than unbalance the mix."""

    def __init__(self, mix: Sequence[StageShare], slots: int) -> None:
        self.pages = {s.stage: s.pages for s in mix}
        self.target = {s.stage: s.target for s in mix}
        self.total = sum(self.pages.values())
        self.overweight = {s.stage for s in mix if is_overweight(s)}
        self.limit = max(1, math.ceil(MAX_STAGE_SHARE * slots))
        self.given: Counter[Stage] = Counter()

    def candidates(self) -> list[Stage]:
        """The stages that may take the next slot, the one furthest below its target first."""
        grown = self.total + sum(self.given.values()) + 1
        open_ = [
            s
            for s in self.pages
            if self.target[s] > 0 and s not in self.overweight and self.given[s] < self.limit
        ]

        def deficit(s: Stage) -> float:
            return self.target[s] * grown - self.pages[s] - self.given[s]

        def order(s: Stage) -> tuple[float, float, int]:
            return -deficit(s), -self.target[s], s.order

        under = sorted((s for s in open_ if deficit(s) >= 0), key=order)
        if under:
            return under
        return sorted((s for s in open_ if deficit(s) >= -SLACK * grown), key=order)

    def take(self, stage: Stage) -> None:
        """Count a slot as given to `stage`."""
        self.given[stage] += 1


def allocate(mix: Sequence[StageShare], slots: int) -> list[Stage]:
    """The stage each slot would serve if every stage had titles to give (see Allocation)."""
    plan = Allocation(mix, slots)
    order: list[Stage] = []
    for _ in range(slots):
        ranked = plan.candidates()
        if not ranked:
            break
        plan.take(ranked[0])
        order.append(ranked[0])
    return order


@dataclass(slots=True)
class _Plan:
    """What the title search needs about the site, gathered once."""

    kind: str
    site: str
    path: ConversionPath
    subjects: dict[Stage, list[Subject]]
    main: Subject | None  # the site's main offering, for pages about the whole site
    lacking: dict[Stage, set[str]]  # per stage, the topics a finding says lack it
    told: Counter[str]  # how many pieces each subject has had so far
    slots: int
    subjects_all: set[str]
    existing: str  # every page's path and title, lower-cased, to spot pages the site has
    used: set[str]
    spent: set[str]
    cursor: Counter[Stage]
    per_format: Counter[str]
    format_cap: int


def _has_page(fmt: Format, existing: str) -> bool:
    return any(f" {cue} " in existing for cue in fmt.has)


def _subjects_by_stage(
    pages: Sequence[PageResult], topics: Sequence[Topic], gaps: Sequence[Gap], avoid: list[str]
) -> dict[Stage, list[Subject]]:
    """Per stage, subjects interleaved across topics: topics lacking the stage first, then the
    others in a fixed order."""
    found = topic_subjects(pages, [t.name for t in topics], avoid)
    seen: set[str] = set()
    for topic in list(found):  # a subject belongs to the first topic that names it
        found[topic] = [s for s in found[topic] if s.text.lower() not in seen]
        seen.update(s.text.lower() for s in found[topic])
    lacking = {(g.topic, g.stage) for g in gaps if g.topic}
    out: dict[Stage, list[Subject]] = {}
    for stage in Stage.funnel():
        ranked = sorted(
            (t for t in found if found[t]),
            key=lambda t: ((t, stage) not in lacking, zlib.crc32(t.encode("utf-8")), t),
        )
        depth = max((len(found[t]) for t in ranked), default=0)
        out[stage] = [found[t][i] for i in range(depth) for t in ranked if i < len(found[t])]
    return out


def _fill(template: str, subject: Subject, plan: _Plan, year: int) -> str:
    return template.format(
        S=subject.capitalised,
        s=subject.text,
        site=plan.site,
        action=plan.path.action.label,
        noun=plan.path.action.noun,
        year=year,
    )


def _next_title(stage: Stage, plan: _Plan, year: int) -> tuple[Format, Subject, str] | None:
    """The next clean, unused title for a stage: formats in turn, each with its own fixed queue
    of subjects, a template skipped when it reads wrong with the subject; foundational formats
    once, and never one the site already has."""
    formats = sorted(
        (
            f
            for f in formats_for(stage, plan.kind)
            if not (
                tactic_of(f.name) == FOUNDATIONAL
                and (f.name in plan.spent or _has_page(f, plan.existing))
            )
            and plan.per_format[f.name] < plan.format_cap
        ),
        key=lambda f: tactic_of(f.name) != FOUNDATIONAL,  # a stage's foundations come first
    )
    subjects = plan.subjects[stage] or plan.subjects[Stage.CONSIDERATION]
    if not subjects:  # nothing on the site to write about: only pages about the whole site
        formats = [f for f in formats if f.site_wide]
        subjects = [Subject("", "")]
    if not formats:
        return None
    start = plan.cursor[stage]
    lacking = plan.lacking[stage]
    for i in range(len(formats)):
        fmt = formats[(start + i) % len(formats)]
        if fmt.site_wide or any("{site}" in t for t in fmt.titles):
            pool = [plan.main or subjects[0]]
        else:  # subjects under their share first, topics lacking the stage first, a fixed order
            share = math.ceil(plan.slots / max(1, len(plan.subjects_all))) + 1
            pool = sorted(
                (s for s in subjects if s.text),
                key=lambda s: (
                    plan.told[s.text] >= share,
                    s.topic not in lacking,
                    _pair_order(fmt, s),
                ),
            )
        for subject in pool:
            for template in fmt.templates(bool(plan.site)):
                title = _fill(template, subject, plan, year)
                if title.lower() not in plan.used and clean_title(title):
                    return fmt, subject, title
    return None


def _pair_order(fmt: Format, subject: Subject) -> int:
    """Where a subject comes in a format's queue: a hash of the pair, so a subject that appears
    or goes on a re-audit does not move the others (the plan stays the plan)."""
    return zlib.crc32(f"{fmt.name}|{subject.text.lower()}".encode())


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
    kind: str | None = None,
    path: ConversionPath | None = None,
) -> tuple[CalendarEntry, ...]:
    """A dated content plan: up to `weeks` x `per_week` entries, stages allocated from the mix,
    each with a clean, unused title on one of the site's subjects and links to and from the
    existing pages closest to it. `site_name` "" means the pages never name the site."""
    slots = max(0, weeks) * max(0, per_week)
    if slots == 0 or not topics:
        return ()
    kind = kind or site_kind(pages)
    subjects = _subjects_by_stage(pages, topics, gaps, [site_name])
    plan = _Plan(
        kind=kind,
        site=site_name,
        path=path or conversion_path(pages, kind),
        subjects=subjects,
        main=_main_subject(pages, subjects[Stage.CONSIDERATION]),
        lacking={s: {g.topic for g in gaps if g.topic and g.stage is s} for s in Stage.funnel()},
        told=Counter(),
        slots=slots,
        subjects_all={s.text for ss in subjects.values() for s in ss},
        existing=" ".join(f" {page_words(p)} " for p in pages if not p.error),
        used=set(),
        spent=set(),
        cursor=Counter(),
        per_format=Counter(),
        format_cap=max(2, math.ceil(MAX_FORMAT_SHARE * slots)),
    )
    picker = PagePicker(pages)
    topic_gap = {(g.topic, g.stage): g for g in gaps if g.topic}
    stage_gap = {g.stage: g for g in gaps if not g.topic and g.kind == "thin-stage"}
    share_of = {s.stage: s for s in mix}
    keywords = {t.name: t.keywords for t in topics}
    entries: list[CalendarEntry] = []
    allocation = Allocation(mix, slots)
    while len(entries) < slots:
        week, within = divmod(len(entries), max(per_week, 1))
        when = start + timedelta(weeks=week, days=_WEEKDAY_OFFSETS[within % 7])
        found = None
        for stage in allocation.candidates():  # the next stage when one has no fresh title left
            found = _next_title(stage, plan, when.year)
            if found:
                break
        if found is None:
            break  # no stage may take more, or none has a title left: see make_plan's note
        allocation.take(stage)
        fmt, subject, title = found
        plan.cursor[stage] += 1
        plan.used.add(title.lower())
        plan.per_format[fmt.name] += 1
        plan.told[subject.text] += 1
        tactic = tactic_of(fmt.name)
        if tactic == FOUNDATIONAL:
            plan.spent.add(fmt.name)
        about = words(" ".join(keywords.get(subject.topic, ())))
        stress = words(subject.text)
        gap = topic_gap.get((subject.topic, stage)) or stage_gap.get(stage)
        entries.append(
            CalendarEntry(
                date=when,
                stage=stage,
                format=fmt.name,
                working_title=title,
                target_topic=subject.topic,
                keywords=keywords.get(subject.topic, ())[:5],
                cta=stage_cta(
                    stage, plan.path, _onward(picker, plan, stage, subject.topic, about, stress)
                ),
                link_from=picker.link_from(stage, subject.topic, about, stress),
                link_to=picker.link_to(stage, subject.topic, about, plan.path.url, stress),
                owner=fmt.owner,
                kpi=KPI[stage].format(noun=plan.path.action.noun),
                gap=gap.message if gap else "",
                rationale=_rationale(stage, subject.topic, share_of.get(stage), gap),
                tactic=tactic,
            )
        )
    return foundations_first(entries)


def _main_subject(pages: Sequence[PageResult], subjects: Sequence[Subject]) -> Subject | None:
    """The offering the site is most about: the first subject of the topic with the most
    consideration and decision pages."""
    weight = Counter(p.topic for p in pages if p.stage in (Stage.CONSIDERATION, Stage.DECISION))
    if not subjects:
        return None
    top = max(subjects, key=lambda s: weight[s.topic]).topic
    return min((s for s in subjects if s.topic == top), key=lambda s: (len(s.text.split()), s.text))


def _onward(
    picker: PagePicker, plan: _Plan, stage: Stage, topic: str, about: set[str], stress: set[str]
) -> PageResult | None:
    """The page a piece's call to action names: for a decision piece, the site's main
    conversion page; otherwise the closest page one stage on."""
    if stage is Stage.DECISION and plan.path.url in picker.by_url:
        return picker.by_url[plan.path.url]
    return picker.onward(stage, topic, about, stress)


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
