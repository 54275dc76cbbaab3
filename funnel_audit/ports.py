"""The seams between the audit's steps, as Protocols with typed records in and out.

A step depends on these, not on the classes behind them, so another page reader (say, a remote
one), another classifier or another store slots in without touching the steps around it.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from funnel_audit.models import FetchedPage

if TYPE_CHECKING:
    import numpy as np

    from funnel_audit.classify.features import Doc
    from funnel_audit.classify.model import Prediction
    from funnel_audit.read.reading import Reading


class PageReader(Protocol):
    """Reads fetched pages (main text, links, the model's verdict) for the crawl that owns it.

    `submit` may read elsewhere (a parser process) and returns a Future of the outcome: a
    `Reading`, or a short error string for a page that cannot be read. A Future that fails means
    the reader lost the page; the crawl then calls `read`, which reads it here and now."""

    version: str

    def submit(self, page: FetchedPage) -> Future[Reading | str]:
        """Start reading `page`; the Future holds its reading, or why it cannot be read."""
        ...

    def read(self, page: FetchedPage) -> Reading | str:
        """Read `page` in this process, now (also when a submitted page was lost)."""
        ...

    def close(self) -> None:
        """Release what the reader holds (parser processes); it reads no more pages."""
        ...


@dataclass(frozen=True, slots=True)
class ReadPage:
    """What a crawl with a reader yields, once per page: the page as fetched (its HTML
    dropped) and its reading, or why it has none (a fetch error, or a page that could not be
    read: then `reading` is None and `error` says why)."""

    page: FetchedPage
    reading: Reading | None
    error: str | None = None


@runtime_checkable
class Classifier(Protocol):
    """A fitted funnel-stage model as the reader and the site-level pass use it: page tokens
    counted once, weighed, scored; the calibrated scores and reasons per page."""

    @property
    def version(self) -> str:
        """The model's version, stored with each audit so re-audits know what read it."""
        ...

    @property
    def classes(self) -> list[str]:
        """The labels it gives, in the order of its score columns."""
        ...

    @property
    def n_features(self) -> int:
        """The number of feature columns (token counts index them)."""
        ...

    def token_counts(self, doc: Doc) -> tuple[np.ndarray, np.ndarray]:
        """A page's known tokens as (columns, counts), before weighting."""
        ...

    def weigh(self, cols: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(columns, values) of weighed features from token counts."""
        ...

    def logits_of(self, vectors: Sequence[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Uncalibrated class scores of weighed vectors."""
        ...

    def predict(self, docs: Sequence[Doc], n_reasons: int = 4) -> list[Prediction]:
        """A prediction (label, confidence, scores, reasons) per document."""
        ...

    def predict_vectors(
        self,
        vectors: Sequence[tuple[np.ndarray, np.ndarray]],
        n_reasons: int = 4,
        prior: np.ndarray | None = None,
        quiet: np.ndarray | None = None,
    ) -> list[Prediction]:
        """Predictions from weighed vectors, with an optional prior and reason mask."""
        ...
