"""`report.pdf` beside `report.html`, printed by headless Chromium where one is installed (`--pdf`).

The PDF is the report's print layout (A4, `@media print` in `_style.css`), so printing the HTML
from a browser gives the same document. Chromium runs with a throwaway profile, no network (every
host name resolves to nothing; the report is self-contained anyway) and a time limit, and prints
into a temporary file that is renamed over `report.pdf` only once it is a whole PDF. A PDF that
cannot be made (no Chromium, a crash, the time limit) is a one-line warning, not a failed audit:
every other output is already in place, and the HTML prints the same from any browser.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

PDF_NAME = "report.pdf"
CHROMIUM_ENV = "FUNNEL_AUDIT_CHROMIUM"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 60.0
HINT = (
    "install Chromium (e.g. apt-get install chromium) or point FUNNEL_AUDIT_CHROMIUM at it, "
    "or open report.html in a browser and print it to PDF"
)
FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-crash-reporter",
    "--disable-default-apps",
    "--disable-sync",
    "--no-first-run",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--no-pdf-header-footer",
    "--print-to-pdf-no-header",
)


def sandbox_flags() -> tuple[str, ...]:
    """Chromium's sandbox stays on (the report holds text from somebody's website); it cannot
    start as root, so only a root process turns it off."""
    return ("--no-sandbox",) if hasattr(os, "geteuid") and os.geteuid() == 0 else ()


class PdfNotWritten(Exception):
    """Why report.pdf could not be printed, in a few words."""


def find_chromium(environ: Mapping[str, str] = os.environ) -> str:
    """The Chromium to print with: `FUNNEL_AUDIT_CHROMIUM` (a path or a command name) when set,
    else the first of chromium, chromium-browser, google-chrome on PATH."""
    chosen = environ.get(CHROMIUM_ENV, "").strip()
    path = environ.get("PATH", os.defpath)
    if chosen:
        found = shutil.which(chosen, path=path)
        if found is None:
            raise PdfNotWritten(f"{CHROMIUM_ENV}={chosen} is not an executable program")
        return found
    for name in CHROMIUM_NAMES:
        found = shutil.which(name, path=path)
        if found is not None:
            return found
    raise PdfNotWritten(f"no Chromium found on PATH ({', '.join(CHROMIUM_NAMES[:3])})")


def print_pdf(html: Path, pdf: Path, chromium: str, timeout: float = TIMEOUT_SECONDS) -> None:
    """Print `html` to `pdf` with `chromium`: written whole or not at all (PdfNotWritten)."""
    with tempfile.TemporaryDirectory(prefix="funnel-audit-chromium-") as profile:
        part = pdf.with_name(f".{pdf.stem}-{os.getpid()}-{secrets.token_hex(4)}.pdf.part")
        try:
            _run(
                [
                    chromium,
                    *FLAGS,
                    *sandbox_flags(),
                    f"--user-data-dir={profile}",
                    f"--print-to-pdf={part}",
                    html.resolve().as_uri(),
                ],
                timeout,
            )
            if not part.is_file() or part.stat().st_size < 1000 or _head(part) != b"%PDF-":
                raise PdfNotWritten("Chromium did not write a PDF")
            os.replace(part, pdf)
        finally:
            part.unlink(missing_ok=True)


def _head(path: Path) -> bytes:
    with path.open("rb") as file:
        return file.read(5)


def _run(command: list[str], timeout: float) -> None:
    """Run Chromium in its own process group, so a hung print is ended whole at the limit."""
    try:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        raise PdfNotWritten(f"Chromium could not be started ({exc.strerror or exc})") from exc
    try:
        code = proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise PdfNotWritten(f"Chromium took over {timeout:g} seconds") from exc
    if code != 0:
        raise PdfNotWritten(f"Chromium stopped with exit code {code}")


def drop_stale_pdf(out_dir: Path) -> None:
    """Remove a report.pdf printed from an earlier report.html (called whenever the outputs are
    rewritten; `--pdf` prints a new one after), so the folder never holds a PDF that disagrees
    with its report. Only a file (or a link) of that name goes."""
    path = out_dir / PDF_NAME
    if path.is_symlink() or path.is_file():
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def pdf_beside(
    report: Path, environ: Mapping[str, str] = os.environ, timeout: float = TIMEOUT_SECONDS
) -> tuple[Path | None, str]:
    """Print `report` (report.html) to report.pdf in its folder: the PDF's path and "", or
    None and the one-line warning to show (what went wrong and how to get the PDF)."""
    pdf = report.with_name(PDF_NAME)
    try:
        print_pdf(report, pdf, find_chromium(environ), timeout)
    except (PdfNotWritten, OSError) as exc:
        reason = exc if isinstance(exc, PdfNotWritten) else (exc.strerror or exc)
        return None, f"report.pdf was not written: {reason}; {HINT}"
    return pdf, ""
