"""Reading a printed PDF back: the words it shows and where they sit on the page
(poppler's pdftotext). Used to check that printed tables lose no column and split no word."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

PDFTOTEXT = shutil.which("pdftotext")
SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def chromium_screenshot(html: Path, shot: Path, profile: Path, height: int = 4000) -> Path:
    """A 1280 px wide screenshot of a page as headless Chromium shows it, offline."""
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--hide-scrollbars",
        f"--window-size=1280,{height}",
        f"--screenshot={shot}",
        html.as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    return shot


def docx_to_pdf(docx: Path, out_dir: Path) -> Path:
    """Render a Word file as LibreOffice prints it."""
    profile = out_dir / "lo-profile"
    subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out_dir),
            str(docx),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return out_dir / (docx.stem + ".pdf")


def pdf_words(pdf: Path) -> list[dict]:
    """Every word of the PDF with its page size and bounding box (points)."""
    out = subprocess.run(
        [PDFTOTEXT, "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout
    words = []
    page = None
    for line in out.splitlines():
        if m := re.search(r'<page width="([\d.]+)" height="([\d.]+)"', line):
            page = (float(m.group(1)), float(m.group(2)))
        elif m := re.search(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*)</word>',
            line,
        ):
            x0, y0, x1, y1 = (float(m.group(i)) for i in range(1, 5))
            words.append({"text": html.unescape(m.group(5)), "page": page, "box": (x0, y0, x1, y1)})
    return words


def missing_words(expected: list[str], printed: list[dict]) -> Counter:
    """Words of the tables that the PDF does not show whole, as many times as expected: a
    word broken across two lines prints as two pieces and is missing here."""
    wanted = Counter(w for text in expected for w in str(text).split())
    shown = Counter(w["text"] for w in printed)
    return Counter({w: n - shown[w] for w, n in wanted.items() if shown[w] < n})


def off_page(printed: list[dict], margin_pt: float = 28.0) -> list[dict]:
    """Words that reach into the outer 1 cm of the page or beyond (cut off in print)."""
    return [
        w
        for w in printed
        if w["box"][0] < margin_pt
        or w["box"][2] > w["page"][0] - margin_pt
        or w["box"][3] > w["page"][1] - margin_pt / 2
    ]


def table_texts(tables) -> list[str]:
    """Every header label, spanner and cell of the report's tables, as printed (negative
    numbers with the minus sign)."""
    from ibd_dtt.report.render import typeset_table
    from ibd_dtt.stats.format import typeset_minus

    texts = []
    for table in map(typeset_table, tables):
        spanners, labels = table.header()
        texts += [label for label, _ in spanners] + labels
        texts += [str(v) for v in table.display.to_numpy(object).ravel() if str(v) != "nan"]
    return [typeset_minus(text) for text in texts]
