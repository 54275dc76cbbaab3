"""Site-wide repeated text: lines that appear on most pages of a site say nothing about one page.

Structural boilerplate (nav, header, footer, cookie banners) is dropped by the extractor; this
catches what sits inside the main content on every page anyway (a newsletter pitch, an address
block, a trust strip). It works as pages stream in: a line is dropped once it has been seen on at
least MIN_PAGES pages and on more than SHARE of the pages so far, so memory stays one counter per
distinct line (bounded) and early pages keep their text.
"""

from __future__ import annotations

import hashlib
from collections import Counter

MIN_PAGES = 4
SHARE = 0.5
MIN_WORDS = 3
MAX_LINES = 200_000


class RepeatedLines:
    def __init__(self) -> None:
        self.pages = 0
        self.counts: Counter[bytes] = Counter()

    @staticmethod
    def _key(line: str) -> bytes:
        return hashlib.blake2b(" ".join(line.lower().split()).encode(), digest_size=8).digest()

    def filter(self, text: str) -> str:
        """Count this page's lines, then return its text without the site-wide ones."""
        self.pages += 1
        lines = text.split("\n")
        keys = [self._key(line) if len(line.split()) >= MIN_WORDS else None for line in lines]
        for key in set(k for k in keys if k is not None):
            if key in self.counts or len(self.counts) < MAX_LINES:
                self.counts[key] += 1
        threshold = max(MIN_PAGES, SHARE * self.pages)
        kept = [line for line, key in zip(lines, keys, strict=True)
                if key is None or self.counts[key] < threshold]
        return "\n".join(kept)
