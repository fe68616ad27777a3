"""report.pdf: the HTML report printed by headless Chromium with its print stylesheet (A4 or
US Letter, landscape pages for wide tables, header rows repeated on every page).

Chromium runs in its own process group with a throw-away profile and a time limit; on a
timeout, Ctrl-C or SIGTERM the whole group is killed, so no browser process outlives the
command. The PDF is written inside the report's temporary folder, so it appears with the rest
of the report or not at all.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ibd_dtt.errors import IbdDttError

PRINT_TIMEOUT_SECONDS = 180
_CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


class PdfError(IbdDttError):
    """The PDF could not be printed (no browser, or the browser failed)."""


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable: ``IBD_DTT_CHROMIUM`` if set, else the first on
    PATH; None when there is none."""
    chosen = os.environ.get("IBD_DTT_CHROMIUM")
    if chosen:
        return shutil.which(chosen) or (chosen if Path(chosen).is_file() else None)
    return next((path for name in _CHROMIUM_NAMES if (path := shutil.which(name))), None)


def print_to_pdf(html: Path, pdf: Path, chromium: str | None = None) -> Path:
    """Print ``html`` (a file) to ``pdf`` with headless Chromium; raises :class:`PdfError`."""
    chromium = chromium or find_chromium()
    if chromium is None:
        raise PdfError(
            "Chromium not found: install it (Debian: apt-get install chromium) or set "
            "IBD_DTT_CHROMIUM to its path; or pass --no-pdf"
        )
    with tempfile.TemporaryDirectory(prefix="ibd-dtt-chromium-") as profile:
        command = [
            chromium,
            "--headless",
            "--no-sandbox",  # containers and root; the page is our own file, offline
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            f"--user-data-dir={profile}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={pdf}",
            Path(html).absolute().as_uri(),
        ]
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,  # its own process group: killed whole, never orphaned
        )
        try:
            _, stderr = process.communicate(timeout=PRINT_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise PdfError(
                f"Chromium did not finish printing within {PRINT_TIMEOUT_SECONDS} s"
            ) from None
        except BaseException:  # Ctrl-C, SIGTERM (raised as an exception by the CLI)
            _kill_group(process)
            raise
    if process.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        last = (stderr or b"").decode("utf-8", "replace").strip().splitlines()[-1:]
        raise PdfError(
            f"Chromium could not print the report (exit {process.returncode})"
            + (f": {last[0]}" if last else "")
        )
    _fix_dates(pdf)
    return pdf


_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) \(D:\d{14}")


def _fix_dates(pdf: Path) -> None:
    """Chromium stamps the print time into the PDF; a fixed date of the same length (so the
    cross-reference offsets stay valid) makes two prints of one report byte-identical."""
    payload = pdf.read_bytes()
    pdf.write_bytes(_PDF_DATE.sub(lambda m: b"/" + m.group(1) + b" (D:20000101000000", payload))


def _kill_group(process: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
