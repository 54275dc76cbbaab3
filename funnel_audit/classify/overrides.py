"""A consultant's corrections: manual stages for single pages or for whole page families.

`--labels FILE` takes a CSV (or JSONL) of `url,stage`. A `url` with a `*` is a pattern over the
page's path (`/news/articles/*`, `*/careers/*`) or its whole URL (`https://a.example/shop/*`), so
one row settles a family the model keeps getting wrong. An exact URL beats any pattern, and a
longer pattern beats a shorter one. Rows with an empty stage are skipped: that is how the
pre-filled `labels-todo.csv` an audit writes can be passed back with only some rows filled in.
When that file is the one in the output folder the audit rewrites, the new `labels-todo.csv`
starts with the rows that were filled, so no decision is lost.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from funnel_audit.classify.corpus import normalise_label, read_label_rows
from funnel_audit.crawl.urls import page_key
from funnel_audit.errors import InputError

MAX_PATTERN_CHARS = 500


@dataclass(frozen=True, slots=True)
class Override:
    """A consultant's stage for a page, and whether an exact URL or a pattern set it."""

    stage: str
    pattern: str = ""  # empty for an exact URL

    @property
    def reason(self) -> str:
        """The reason the report shows, so a manual label is never taken for the model's."""
        return f"manual label (pattern {self.pattern})" if self.pattern else "manual label"


@dataclass
class Overrides:
    """Every manual label of a labels file: exact URLs by page key, patterns longest first."""

    exact: dict[str, str] = field(default_factory=dict)
    patterns: list[tuple[str, re.Pattern[str], bool, str]] = field(default_factory=list)
    rows: list[tuple[str, str]] = field(default_factory=list)  # (url or pattern, stage) as given

    def add(self, url: str, stage: str) -> None:
        """Record one `url,stage` row: an exact URL, or a pattern when it holds a `*`."""
        url = url.strip()
        self.rows.append((url, stage))
        if "*" not in url:
            self.exact[page_key(url)] = stage
            return
        if len(url) > MAX_PATTERN_CHARS:
            raise InputError(f"label pattern longer than {MAX_PATTERN_CHARS} characters")
        whole = "://" in url
        self.patterns.append((url, re.compile(fnmatch.translate(url)), whole, stage))
        # the most specific pattern first: longer patterns name narrower families
        self.patterns.sort(key=lambda p: (-len(p[0].replace("*", "")), p[0]))

    def get(self, url: str) -> Override | None:
        """The label for `url`: its exact page key first, else the longest matching pattern."""
        stage = self.exact.get(page_key(url))
        if stage:
            return Override(stage)
        if not self.patterns:
            return None
        try:
            path = urlsplit(url).path or "/"
        except ValueError:
            return None
        for text, rx, whole, stage in self.patterns:
            if rx.match(url if whole else path):
                return Override(stage, text)
        return None

    def __len__(self) -> int:
        return len(self.exact) + len(self.patterns)


def load_overrides(path: Path) -> Overrides:
    """Read `--labels`: one line per error, never a traceback."""
    found = Overrides()
    for number, row in enumerate(read_label_rows(path), start=1):
        url = str(row.get("url") or "").strip()
        raw = str(row.get("stage") or row.get("label") or "").strip()
        if not raw:
            continue  # not reviewed yet
        if not url:
            raise InputError(f"{path}: row {number} has a stage but no url")
        try:
            found.add(url, normalise_label(raw))
        except InputError as exc:
            raise InputError(f"{path}: row {number}: {exc}") from exc
    return found
