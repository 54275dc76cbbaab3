"""The two page readers the crawl can own: one that reads in this process, one that deals pages
to parser processes so fetching and parsing use both cores.

Both implement `ports.PageReader`: `submit` starts reading a page and returns a Future of its
reading; `read` reads one now, in this process. A Future that fails (its parser died, was killed
or ran out of memory) means "read it here": the crawl calls `read`, so no page is ever lost.
A page that breaks the reader itself gives a short error string instead of a reading.
"""

from __future__ import annotations

import functools
from concurrent.futures import Future
from typing import TYPE_CHECKING

from funnel_audit.models import FetchedPage
from funnel_audit.read.boilerplate import RepeatedLines
from funnel_audit.read.reading import (
    ModelSource,
    ParserGone,
    ParserProcess,
    Reading,
    load,
    read_page,
)

if TYPE_CHECKING:
    from funnel_audit.classify.model import StageModel

Outcome = Reading | str  # a reading, or why the page could not be read


class LocalReader:
    """Reads every page in the crawling process (one core, least memory)."""

    def __init__(self, model: ModelSource) -> None:
        self._source = model
        self._model: StageModel | None = None
        self._repeated = RepeatedLines()
        self.version = ""  # the version of the model that read the pages, once one is read

    @property
    def model(self) -> StageModel:
        """Loaded on first use, so a start page that fails costs no model load."""
        if self._model is None:
            self._model = load(self._source)
        return self._model

    def submit(self, page: FetchedPage) -> Future[Outcome]:
        """Start reading `page` (here: read it now); the Future holds the outcome."""
        done: Future[Outcome] = Future()
        done.set_result(self.read(page))
        return done

    def read(self, page: FetchedPage) -> Outcome:
        """Read `page` in this process; a page that breaks the reader gives an error string."""
        try:
            reading = read_page(page, self.model, self._repeated)
        except Exception as exc:  # noqa: BLE001 - one broken page never stops an audit
            return f"could not read the page: {type(exc).__name__}: {str(exc)[:200]}"
        self.version = reading.model_version
        return reading

    def close(self) -> None:
        """Nothing to release: the model goes with the reader."""


class ParserPool(LocalReader):
    """Deals pages in turn to `size` parser processes; reads in this process when none is left.

    Each parser keeps its own repeated-text filter: a line on most of the site's pages is on most
    of each parser's share of them too."""

    def __init__(self, model: ModelSource, size: int) -> None:
        super().__init__(model)
        self._parsers: list[ParserProcess] = []
        for _ in range(size):
            try:
                self._parsers.append(ParserProcess(model))
            except ParserGone:
                break  # no processes to be had here: read pages in this one
        self._turn = 0

    def submit(self, page: FetchedPage) -> Future[Outcome]:
        """Start reading `page` (here: read it now); the Future holds the outcome."""
        while self._parsers:
            self._turn = (self._turn + 1) % len(self._parsers)
            parser = self._parsers[self._turn]
            try:
                reading = parser.submit(page)
            except ParserGone:
                # it died (killed, out of memory): the others, or this process, read from now on
                parser.close()
                self._parsers.remove(parser)
                continue
            outcome: Future[Outcome] = Future()
            reading.add_done_callback(functools.partial(self._settle, outcome=outcome))
            return outcome
        return super().submit(page)

    def _settle(self, done: Future[Reading], *, outcome: Future[Outcome]) -> None:
        try:
            reading = done.result()
        except BaseException as exc:  # noqa: BLE001 - the crawl reads the page here instead
            outcome.set_exception(exc)
            return
        self.version = reading.model_version
        outcome.set_result(reading)

    def close(self) -> None:
        """Stop the parser processes (their memory is then free for the analysis)."""
        for parser in self._parsers:
            parser.close()
        self._parsers = []


def page_reader(model: ModelSource, parsers: int) -> LocalReader:
    """The reader for `parsers` processes (0: read in this process)."""
    return ParserPool(model, parsers) if parsers > 0 else LocalReader(model)
