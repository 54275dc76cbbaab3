"""Foundational pieces and ongoing series: what a site needs once, and what it keeps publishing.

A *foundational* piece is a page a site needs once: its pricing explainer, guarantee, why-us page,
buying FAQ, glossary, how-it-works page, buyer's guide (the evergreen one), testimonials page, ROI
calculator, sign-up and thank-you pages. The calendar schedules each of these formats at most once,
and before everything else, so the foundations are in place when the series start linking to them.
Every other format (guides, checklists, explainers, comparisons, webinars, use cases, case studies,
campaign landing pages ...) is *ongoing*: a series published at the calendar's cadence (`per_week`
pieces a week) after the foundations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from funnel_audit.models import CalendarEntry

FOUNDATIONAL = "foundational"
ONGOING = "ongoing"
FOUNDATIONAL_FORMATS = frozenset(
    {
        "glossary",
        "how-it-works page",
        "buyer's guide",
        "pricing explainer",
        "testimonials page",
        "ROI calculator",
        "buying FAQ",
        "guarantee page",
        "why-us page",
        "sign-up page",
        "thank-you page",
        "booking page",
        "donate page",
        "fees page",
        "impact report",
    }
)


def tactic_of(format_name: str) -> str:
    """`foundational` for a format a site needs once, `ongoing` for a series format."""
    return FOUNDATIONAL if format_name in FOUNDATIONAL_FORMATS else ONGOING


def foundations_first(entries: Sequence[CalendarEntry]) -> tuple[CalendarEntry, ...]:
    """The same pieces on the same dates, with the foundational ones moved to the earliest
    dates (in their planned order), and the ongoing series after them at the usual cadence."""
    dates = sorted(e.date for e in entries)
    ordered = sorted(entries, key=lambda e: e.tactic != FOUNDATIONAL)  # stable: plan order kept
    return tuple(replace(e, date=when) for e, when in zip(ordered, dates, strict=True))
