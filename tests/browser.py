"""A tiny headless-Chromium driver over the DevTools protocol on a pipe (--remote-debugging-pipe).

No websocket or browser-automation package needed: Chromium reads NUL-terminated JSON commands on
fd 3 and writes replies and events on fd 4. The driver loads one file and records what a report
must never do: console messages, uncaught exceptions, CSP violations and network requests.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--remote-debugging-pipe",
)


OVERFLOW_JS = """(() => {
  const width = document.documentElement.clientWidth;
  const clipped = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX !== 'visible' || s.clipPath !== 'none') { return true; }
    }
    return false;
  };
  const offenders = [];
  for (const el of document.body.querySelectorAll('*')) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) { continue; }
    if ((r.right > width + 1 || r.left < -1) && !clipped(el)) {
      offenders.push(`${el.tagName.toLowerCase()}.${el.className} right=${Math.round(r.right)}`
        + ` "${(el.textContent || '').trim().slice(0, 40)}"`);
    }
  }
  return {scrollWidth: document.scrollingElement.scrollWidth, width: width,
          offenders: offenders.slice(0, 10)};
})()"""


@dataclass
class PageLog:
    """What happened while the page loaded and ran."""

    requests: list[str] = field(default_factory=list)
    console: list[dict[str, Any]] = field(default_factory=list)
    exceptions: list[dict[str, Any]] = field(default_factory=list)
    log_entries: list[dict[str, Any]] = field(default_factory=list)
    loaded: bool = False

    @property
    def errors(self) -> list[str]:
        """Console errors, exceptions and browser log errors (a CSP block lands here)."""
        out = [
            json.dumps(c.get("args"))[:300]
            for c in self.console
            if c.get("type") in ("error", "assert")
        ]
        out += [json.dumps(e.get("exceptionDetails", e))[:300] for e in self.exceptions]
        out += [
            f"{e.get('source')}: {e.get('text')}"[:300]
            for e in self.log_entries
            if e.get("level") == "error"
        ]
        return out


class Browser:
    """One headless Chromium with one attached page; use as a context manager."""

    def __init__(self, profile: Path, width: int = 1280, height: int = 900) -> None:
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds() -> None:  # runs in the child before exec: the protocol wants fds 3 and 4
            os.dup2(to_child_r, 3)
            os.dup2(from_child_w, 4)

        self.proc = subprocess.Popen(
            [
                str(CHROMIUM),
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=wire_fds,
        )  # only dup2 runs there: fork-safe
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.session = ""
        self.width, self.height = width, height

    def __enter__(self) -> Browser:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(f"{domain}.enable", session=True)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=self.width,
            height=self.height,
            deviceScaleFactor=1,
            mobile=False,
        )
        return self

    def __exit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):  # closing is best effort; the kill below is not
            self.call("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply from chromium")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the debugging pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def call(
        self, method: str, *, session: bool = False, timeout: float = 30, **params: Any
    ) -> dict[str, Any]:
        """Send one command and wait for its reply; events seen meanwhile are kept in order."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)

    def pump(self, seconds: float) -> None:
        """Collect events for a while (late console messages, lazy requests)."""
        deadline = time.monotonic() + seconds
        try:
            while True:
                self.events.append(self._read_message(deadline))
        except TimeoutError:
            pass

    def load(self, path: Path, settle: float = 0.5, timeout: float = 30) -> PageLog:
        """Open a local file and wait for its load event, then a little longer."""
        self.events.clear()
        self.call("Page.navigate", session=True, url=path.resolve().as_uri())
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            self.events.append(self._read_message(deadline))
        self.pump(settle)
        return self.page_log()

    def page_log(self) -> PageLog:
        log = PageLog()
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                log.requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled":
                log.console.append(params)
            elif method == "Runtime.exceptionThrown":
                log.exceptions.append(params)
            elif method == "Log.entryAdded":
                log.log_entries.append(params["entry"])
            elif method == "Page.loadEventFired":
                log.loaded = True
        return log

    def set_viewport(self, width: int, height: int, *, mobile: bool = False) -> None:
        """Lay the page out as a screen this size (a phone with `mobile`: the viewport meta
        tag is honoured, as on a real phone)."""
        self.width, self.height = width, height
        self.call(
            "Emulation.setDeviceMetricsOverride",
            session=True,
            width=width,
            height=height,
            deviceScaleFactor=1,
            mobile=mobile,
        )

    def set_media(self, media: str) -> None:
        """Apply the `print` stylesheet on screen (or "" for the screen one again)."""
        self.call("Emulation.setEmulatedMedia", session=True, media=media)

    def overflow(self) -> dict[str, Any]:
        """How far the page runs past the viewport: the scrolling element's width, and the
        visible elements whose box ends past the right edge (or starts left of 0) outside any
        clipping container: what a reader would have to scroll sideways to see."""
        return dict(self.evaluate(OVERFLOW_JS))

    def evaluate(self, expression: str) -> Any:
        """Run JavaScript in the page (from the test, not the page) and return its value."""
        reply = self.call(
            "Runtime.evaluate", session=True, expression=expression, returnByValue=True
        )
        if "exceptionDetails" in reply:
            raise RuntimeError(f"evaluate failed: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def screenshot(self, path: Path, full_page: bool = True) -> Path:
        """A PNG of the whole page (or the viewport), for a human to look at."""
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            height = int(self.evaluate("document.documentElement.scrollHeight"))
            params.update(
                captureBeyondViewport=True,
                clip={
                    "x": 0,
                    "y": 0,
                    "width": self.width,
                    "height": min(height, 16_000),
                    "scale": 1,
                },
            )
        data = self.call("Page.captureScreenshot", session=True, **params)["data"]
        path.write_bytes(base64.b64decode(data))
        return path
