"""Site-wide repeated text: lines that appear on most pages of a site say nothing about one page.

Structural boilerplate (nav, header, footer, cookie banners) is dropped by the extractor; this
catches what sits inside the main content on every page anyway (a newsletter pitch, an address
block, a trust strip). It works as pages stream in: a line is dropped once it has been seen on at
least MIN_PAGES pages and on more than SHARE of the pages so far, and early pages keep their
text. Memory is bounded: past MAX_LINES distinct lines, lines seen on one page only are forgotten
(a site-wide line is seen again on the next pages long before that), then the rarest.
"""

from __future__ import annotations

from collections import Counter

MIN_PAGES = 4
SHARE = 0.5
MIN_WORDS = 3
MAX_LINES = 50_000


class RepeatedLines:
    """The site-wide repeated-line filter of one audit (see the module docstring)."""

    def __init__(self) -> None:
        self.pages = 0
        self.counts: Counter[int] = Counter()

    @staticmethod
    def _key(line: str) -> int:
        """The line's 64-bit hash (case and spacing ignored): an int costs less than the text."""
        return hash(" ".join(line.lower().split()))

    def filter(self, text: str) -> str:
        """Count this page's lines, then return its text without the site-wide ones."""
        self.pages += 1
        lines = text.split("\n")
        keys = [self._key(line) if len(line.split()) >= MIN_WORDS else None for line in lines]
        self.counts.update(set(k for k in keys if k is not None))
        if len(self.counts) > MAX_LINES:
            self._prune()
        threshold = max(MIN_PAGES, SHARE * self.pages)
        kept = [
            line
            for line, key in zip(lines, keys, strict=True)
            if key is None or self.counts[key] < threshold
        ]
        return "\n".join(kept)

    def _prune(self) -> None:
        kept = Counter({k: n for k, n in self.counts.items() if n > 1})
        if len(kept) > MAX_LINES // 2:
            kept = Counter(dict(kept.most_common(MAX_LINES // 2)))
        self.counts = kept
