"""Read a fetched page: extract it, drop site-wide repeated text, classify it.

This is most of an audit's CPU time (HTML parsing above all), so on a crawl it runs in parser
processes (`ParserProcess`, one per CPU up to three by default) while the crawler keeps fetching.
Pages are dealt to them in turn, and each keeps its own repeated-text filter: a line found on most
of the site's pages is on most of each parser's share of them too.
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any, Union

from funnel_audit.analyse.topics import topic_text
from funnel_audit.classify.features import doc_from_page
from funnel_audit.models import FetchedPage, PageText
from funnel_audit.read.boilerplate import RepeatedLines
from funnel_audit.read.extract import extract

if TYPE_CHECKING:  # the crawling process never needs NumPy while parsers read its pages
    from funnel_audit.classify.model import Prediction, StageModel

# a StageModel, or a picklable callable returning one (loaded where pages are read)
ModelSource = Union["StageModel", Callable[[], "StageModel"]]


@dataclass(frozen=True, slots=True)
class Reading:
    """What reading a page gives: its text without the main text (up to 20 KB a page, which the
    crawling process would only hash and clip), the main text's hash and topic text, and the
    model's verdict."""

    text: PageText
    prediction: Prediction
    model_version: str
    content_hash: str
    topic: str
    evidence: bytes = b""  # the model's token counts, kept for the site-level pass


def load(model: ModelSource) -> StageModel:
    """The model itself, or what a model source (a callable) loads."""
    return model() if callable(model) else model


def read_page(page: FetchedPage, model: StageModel, repeated: RepeatedLines) -> Reading:
    """Extract a page, drop the site's repeated lines and classify it."""
    text = extract(page)
    main = repeated.filter(text.main_text)
    if main != text.main_text:
        text = replace(text, main_text=main)
    from funnel_audit.classify.site_pass import pack_counts  # NumPy: only where the model is loaded

    cols, counts = model.token_counts(doc_from_page(text))
    prediction = model.predict_vectors([model.weigh(cols, counts)])[0]
    return Reading(
        replace(text, main_text=""),
        prediction,
        model.version,
        hashlib.sha1(main.encode("utf-8", "replace")).hexdigest(),
        topic_text(text.title, text.headings, main),
        pack_counts(cols, counts, text.page_kind),
    )


# -- the parser process --------------------------------------------------------------------------
class ParserGone(RuntimeError):
    """The parser process has stopped (killed, out of memory, or its model failed to load)."""


def _serve(tasks: Connection, results: Connection, parent: int) -> None:
    """The worker: read pages in the order they come, until told to stop or the parent dies.
    The model comes as the first message, not with the process's start-up arguments: CPython
    writes those while holding the pipe's other end, so a child that dies while a large payload
    is written would block the parent for ever."""
    # Ctrl-C is the parent's to handle: it stops the crawl and then shuts this process down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(parent,), daemon=True).start()
    try:
        loaded = load(tasks.recv())
    except (EOFError, OSError):
        return
    except Exception as exc:  # noqa: BLE001 - reported; the parent reads pages itself instead
        results.send((-1, None, f"{type(exc).__name__}: {exc}"))
        return
    _give_back_free_memory()
    repeated = RepeatedLines()
    while True:
        try:
            item = tasks.recv()
        except (EOFError, OSError):
            return
        if item is None:
            return
        ident, page = item
        try:
            results.send((ident, read_page(page, loaded, repeated), None))
        except Exception as exc:  # noqa: BLE001 - one broken page never stops the others
            results.send((ident, None, f"{type(exc).__name__}: {str(exc)[:200]}"))


def _give_back_free_memory() -> None:
    """Loading the model frees ~290k temporary strings; glibc keeps such memory unless asked to
    return it (about 10 MB per parser)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def default_parsers(audits_at_once: int = 1) -> int:
    """Parser processes per audit: one per usable CPU up to three (beyond that the crawling
    process's own work is the limit), none with less than two CPUs to itself. Audits running
    side by side (`run-due --workers`) share the CPUs, so the machine is never oversubscribed."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    share = cpus // max(1, audits_at_once)
    return 0 if share < 2 else min(share, 3)


def serve_fds(tasks: int, results: int, parent: int) -> None:
    """Entry point of a parser process started by `ParserProcess`: its two pipe ends."""
    _serve(Connection(tasks, writable=False), Connection(results, readable=False), parent)


def _exit_with_parent(parent: int) -> None:
    """A parent killed with SIGKILL cannot shut us down; never outlive it."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


class ParserProcess:
    """One worker process that reads pages in the order they are submitted.

    Pages go over a pipe as soon as they are submitted (a sender thread pickles them, so the
    crawl never waits on the pipe) and readings come back on another, where a reader thread
    completes their Futures. A worker that dies fails every page it held with `ParserGone`."""

    def __init__(self, model: ModelSource) -> None:
        # A fresh interpreter (never a fork of a process running threads), started directly
        # rather than through multiprocessing, which would add a resource-tracker process.
        task_read, task_write = os.pipe()
        result_read, result_write = os.pipe()
        code = (
            f"from funnel_audit.read.reading import serve_fds; "
            f"serve_fds({task_read}, {result_write}, {os.getpid()})"
        )
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-c", code],
                pass_fds=(task_read, result_write),
                stdin=subprocess.DEVNULL,
                env=env,
            )
        except OSError as exc:
            for fd in (task_read, task_write, result_read, result_write):
                os.close(fd)
            raise ParserGone(f"cannot start a parser process: {exc}") from exc
        os.close(task_read)
        os.close(result_write)
        self._tasks = Connection(task_write, readable=False)
        self._results = Connection(result_read, writable=False)
        self._futures: dict[int, Future[Reading]] = {}
        self._lock = threading.Lock()
        self._next = 0
        self._gone: str | None = None
        self._outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._outbox.put(model)
        self._sender = threading.Thread(target=self._send, name="funnel-parser-send", daemon=True)
        self._reader = threading.Thread(target=self._read, name="funnel-parser-read", daemon=True)
        self._sender.start()
        self._reader.start()

    def submit(self, page: FetchedPage) -> Future[Reading]:
        """Send `page` to the worker; the Future completes when its reading comes back."""
        future: Future[Reading] = Future()
        with self._lock:
            if self._gone is not None:
                raise ParserGone(self._gone)
            ident = self._next
            self._next += 1
            self._futures[ident] = future
        self._outbox.put((ident, page))
        return future

    def _send(self) -> None:
        while True:
            item = self._outbox.get()
            try:
                self._tasks.send(item)
            except (OSError, ValueError):
                self._fail("the parser process stopped")
                return
            if item is None:
                return

    def _read(self) -> None:
        while True:
            try:
                ident, reading, error = self._results.recv()
            except (EOFError, OSError):
                self._fail("the parser process stopped")
                return
            if ident < 0:
                self._fail(f"the parser process could not start: {error}")
                return
            with self._lock:
                future = self._futures.pop(ident, None)
            if future is None:
                continue
            if error is None:
                future.set_result(reading)
            else:
                future.set_exception(RuntimeError(error))

    def _fail(self, why: str) -> None:
        with self._lock:
            self._gone = self._gone or why
            pending, self._futures = self._futures, {}
        for future in pending.values():
            future.set_exception(ParserGone(why))

    def close(self) -> None:
        """Stop the worker (killed if it does not stop in time) and fail what it held."""
        self._outbox.put(None)
        self._sender.join(timeout=5)
        try:
            self._process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout=5)
        self._tasks.close()
        self._reader.join(timeout=5)
        self._results.close()
        self._fail("the parser process was closed")
