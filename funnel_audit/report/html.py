"""Render the client-ready `report.html` from an AuditResult with jinja2.

Autoescape is on and undefined names fail loudly (StrictUndefined), so a template typo breaks the
tests instead of silently blanking a section. Only http(s) links are rendered as links. The HTML
holds summaries and the top rows; the full lists live in the CSV files, which keeps the report small
and fast to open even for a 20,000-page site.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
import os
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from funnel_audit import __version__, settings
from funnel_audit.analyse.gaps import STALE_MONTHS, THIN_CONTENT_WORDS, THIN_EXEMPT, THIN_MARGIN
from funnel_audit.assets import templates_dir
from funnel_audit.errors import InputError
from funnel_audit.models import AuditResult, PageResult, Stage
from funnel_audit.plan.health import health
from funnel_audit.plan.planner import needed_pages
from funnel_audit.plan.presets import preset_name
from funnel_audit.report.refs import PageRefs

# the HTML is read, the CSVs are searched: a report lists the top pages and counts the rest
MAX_ROWS_PER_STAGE = 20
MAX_REVIEW_ROWS = 25
SORT_SCRIPT = "_partials/_sort.js"
STAGE_COLOURS = {
    "awareness": "#2f6db5",
    "consideration": "#7a4bb3",
    "decision": "#a4541f",
    "conversion": "#25733e",
    "excluded": "#6b6b6b",
}


@dataclass(frozen=True, slots=True)
class Branding:
    """How the report presents itself to the client: names, accent colour and logo."""

    client_name: str = ""
    agency_name: str = ""
    accent: str = field(default_factory=lambda: str(settings.default("accent")))
    logo_data_uri: str = ""


def image_content_matches(data: bytes, mime: str) -> bool:
    """Whether `data` starts like an image of type `mime` (its magic number; SVG: XML text
    whose root is <svg>)."""
    if mime == "image/png":
        return data.startswith(b"\x89PNG\r\n\x1a\n")
    if mime == "image/jpeg":
        return data.startswith(b"\xff\xd8\xff")
    if mime == "image/gif":
        return data.startswith((b"GIF87a", b"GIF89a"))
    if mime == "image/webp":
        return data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    if mime == "image/svg+xml":
        text = data[:4096].decode("utf-8", "replace")
        return "\x00" not in text and "<svg" in text.lower()
    return False


def logo_data_uri(path: Path | None) -> str:
    """Embed a logo so the report stays one self-contained file."""
    if path is None:
        return ""
    if not path.is_file():
        raise InputError(f"logo file not found: {path}")
    mime = mimetypes.guess_type(path.name)[0] or ""
    if mime not in ("image/png", "image/jpeg", "image/gif", "image/svg+xml", "image/webp"):
        raise InputError(f"logo must be a PNG, JPEG, GIF, WebP or SVG image: {path}")
    data = path.read_bytes()
    if len(data) > 1_000_000:
        raise InputError(f"logo is larger than 1 MB: {path}")
    if not image_content_matches(data, mime):
        raise InputError(
            f"logo content is not a {mime.split('/')[1].split('+')[0].upper()} image "
            f"(whatever its name says): {path}"
        )
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def safe_href(url: str | None) -> str | None:
    """A URL fit for href: http(s) only, so a site can't smuggle javascript: into the report."""
    if not url:
        return None
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url if scheme in ("http", "https") else None


def health_score(result: AuditResult) -> int:
    """100 for a site on its target mix with no serious gaps (plan/health.py says how)."""
    return health(result.mix, result.gaps).score


class ConfinedLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader that never reads outside its folders: names with `..`, absolute paths,
    backslashes or NUL are refused, and so is a file (or symlink) that resolves elsewhere. It
    remembers which file each template came from, so an error can name the template."""

    def __init__(self, searchpath: list[str]) -> None:
        super().__init__(searchpath)
        self.names: dict[str, str] = {}

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        """The template's text, if `template` names a file inside the template folders."""
        parts = template.split("/")
        if (
            not template
            or "\\" in template
            or "\x00" in template
            or template.startswith("/")
            or any(part in ("", ".", "..") for part in parts)
        ):
            raise InputError(
                f"template name {template[:100]!r} is refused: includes must name a file inside "
                "the --templates folder or the shipped templates (no '..', no absolute paths)"
            )
        try:
            source, filename, uptodate = super().get_source(environment, template)
        except UnicodeDecodeError as exc:
            raise InputError(f"template {template} is not UTF-8 text (byte {exc.start})") from exc
        real = os.path.realpath(filename)
        if not any(
            real.startswith(os.path.join(os.path.realpath(root), "")) for root in self.searchpath
        ):
            raise InputError(f"template {template} leads outside the template folders: refused")
        if "\x00" in source:
            raise InputError(f"template {template} is not text (it holds NUL bytes)")
        self.names[filename] = template
        return source, filename, uptodate


def environment(extra_dir: Path | None = None, refs: PageRefs | None = None) -> jinja2.Environment:
    """Templates from `extra_dir` (a user's overrides) first, then the shipped ones; the
    `page_ref` filter names a URL by the title and short path `refs` knows for it."""
    dirs = [str(extra_dir)] if extra_dir else []
    env = jinja2.Environment(
        loader=ConfinedLoader([*dirs, str(templates_dir())]),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["href"] = safe_href
    env.filters["pct"] = lambda v: f"{float(v) * 100:.0f}%"
    env.filters["page_ref"] = refs or PageRefs()
    return env


def template_failure(exc: BaseException, env: jinja2.Environment) -> InputError:
    """One line naming the template (and its line, when jinja2 knows it) for any error a
    template caused: syntax, an unknown variable, a missing include, an include of itself,
    text that is not UTF-8, or an exception the template's own code raised."""
    names = env.loader.names if isinstance(env.loader, ConfinedLoader) else {}
    where, line = "", None
    if isinstance(exc, jinja2.TemplateSyntaxError):
        where, line = exc.name or "", exc.lineno
    else:  # jinja2 rewrites a render error's traceback to point at template lines
        tb = exc.__traceback__
        while tb is not None:
            name = names.get(tb.tb_frame.f_code.co_filename)
            if name is not None:
                where, line = name, tb.tb_lineno
            tb = tb.tb_next
    if isinstance(exc, InputError):  # refused by the loader or `inline_script`: say where
        return InputError(f"template {where} line {line}: {exc}") if where and line else exc
    if isinstance(exc, RecursionError):
        why = "includes itself (directly or through another template): recursion too deep"
    elif isinstance(exc, jinja2.TemplateNotFound):
        why = f"includes {exc.name!r}, found neither in --templates nor in the shipped templates"
    elif isinstance(exc, UnicodeDecodeError):
        why = "a template file is not UTF-8 text"
    elif isinstance(exc, jinja2.TemplateSyntaxError):
        why = f"syntax error: {exc.message}"
    else:
        why = f"{type(exc).__name__}: {exc}"
    at = f"template {where}" + (f" line {line}" if line else "") if where else "report template"
    return InputError(f"{at}: {' '.join(why.split())[:300]} (fix or remove it in --templates)")


def _top_actions(result: AuditResult) -> list[str]:
    actions: list[str] = []
    for gap in result.gaps:
        if len(actions) == 3:
            break
        if gap.message not in actions:
            actions.append(gap.message)
    return actions


def context(
    result: AuditResult, branding: Branding, previous: dict[str, Any] | None
) -> dict[str, Any]:
    """Everything report.html renders, worked out here so the template only lays it out."""
    funnel_total = sum(s.pages for s in result.mix)
    by_stage: dict[str, list[PageResult]] = defaultdict(list)
    errors: list[PageResult] = []
    for p in result.pages:
        if p.error or p.stage is None:
            errors.append(p)
        else:
            by_stage[p.stage.value].append(p)
    for rows in by_stage.values():
        rows.sort(key=lambda p: (-p.confidence, p.url))
    review = sorted(
        (p for p in result.pages if p.needs_review and p.stage is not None),
        key=lambda p: (p.confidence, p.url),
    )
    topic_names = list(result.topics)
    max_cell = max((n for row in result.topics.values() for n in row.values()), default=0)
    mix_rows = [
        {
            "stage": s.stage.value,
            "pages": s.pages,
            "share": s.share,
            "target": s.target,
            "weighted": s.weighted_share,
            "thin": s.thin,
            "needed": needed_pages(s, funnel_total),
            "colour": STAGE_COLOURS[s.stage.value],
        }
        for s in result.mix
    ]
    return {
        "r": result,
        "version": __version__,
        "brand": branding,
        "site_title": branding.client_name or result.brand or result.site,
        "shown_target": shown_target(result),
        "generated": result.finished_at.strftime("%Y-%m-%d %H:%M UTC"),
        "health": health_score(result),
        "funnel_total": funnel_total,
        "total_pages": len(result.pages),
        "mix": mix_rows,
        "thin": [m for m in mix_rows if m["thin"]],
        "target_preset": preset_name({s.stage: s.target for s in result.mix}),
        "actions": _top_actions(result),
        "gaps": result.gaps,
        "stages": [s.value for s in Stage.funnel()],
        "by_stage": by_stage,
        "max_rows": MAX_ROWS_PER_STAGE,
        "excluded": by_stage.get("excluded", []),
        "errors": errors[:MAX_REVIEW_ROWS],
        "error_count": len(errors),
        "review": review[:MAX_REVIEW_ROWS],
        "review_count": len(review),
        "topics": topic_names,
        "topic_matrix": result.topics,
        "max_cell": max_cell,
        "calendar": result.calendar,
        "colours": STAGE_COLOURS,
        "thin_margin": THIN_MARGIN,
        "quality": {q.stage.value: q for q in result.quality},
        "thin_words": THIN_CONTENT_WORDS,
        "stale_months": STALE_MONTHS,
        "thin_exempt": [s.value for s in THIN_EXEMPT],
        "previous": previous,
        "link_flow": result.link_flow,
        "notes": result.notes,
        "label_sources": Counter(p.label_source for p in result.pages),
    }


def inline_script(env: jinja2.Environment, name: str = SORT_SCRIPT) -> tuple[Markup, Markup]:
    """The sorter script (a user override wins) and its CSP hash, so the page can allow exactly
    this script instead of 'unsafe-inline'. Line ends are normalised the way the HTML parser
    normalises them, or the browser would hash different bytes."""
    assert env.loader is not None
    source = env.loader.get_source(env, name)[0].replace("\r\n", "\n").replace("\r", "\n")
    if "</script" in source.lower():
        raise InputError(f"template {name} must not contain '</script'")
    digest = base64.b64encode(hashlib.sha256(source.encode("utf-8")).digest()).decode()
    return Markup(source), Markup(f"'sha256-{digest}'")  # base64 only: nothing to escape


def render_report(
    result: AuditResult,
    *,
    branding: Branding | None = None,
    previous: dict[str, Any] | None = None,
    template_dir: Path | None = None,
) -> str:
    """report.html as one self-contained page (with a user's template overrides, if any). Any
    error a template causes is one InputError line naming it (exit 6), never a traceback."""
    if template_dir is not None and not template_dir.is_dir():
        raise InputError(f"--templates folder not found: {template_dir}")
    values = context(result, branding or Branding(), previous)
    hosts = result.link_flow.get("links", {}).get("alias_hosts") or []
    env = environment(template_dir, PageRefs(result.pages, result.brand, hosts))
    try:
        template = env.get_template("report.html")
        script, script_hash = inline_script(env)
        return template.render(**values, sort_script=script, script_hash=script_hash)
    except (jinja2.TemplateError, RecursionError, UnicodeDecodeError, InputError) as exc:
        raise template_failure(exc, env) from exc
    except Exception as exc:  # a user's template code can raise anything; ours must not
        if template_dir is None:
            raise
        raise template_failure(exc, env) from exc


def shown_target(result: AuditResult) -> str:
    """What the client sees as the audited site: the URL, or for a folder audit the live host
    its pages name (else the folder's name), never the consultant's local path."""
    if "://" in result.target:
        return result.target
    hosts = result.link_flow.get("links", {}).get("alias_hosts") or []
    name = Path(result.target.rstrip("/\\")).name or result.site
    return f"{hosts[0]} (from a copy of the site)" if hosts else f"{name} (a copy of the site)"
