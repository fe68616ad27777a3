"""The HTML report renders offline in a real browser (Debian's headless Chromium).

`.ci/run` installs Chromium; where it is missing locally the test is skipped and says so.
"""

import shutil
import subprocess

import pytest
from PIL import Image, ImageStat

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium not installed (apt-get install chromium); .ci/run installs it",
)
def test_report_renders_in_headless_chromium(written_report, tmp_path):
    _, files = written_report
    shot = tmp_path / "report.png"
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
        f"--user-data-dir={tmp_path / 'profile'}",
        "--hide-scrollbars",
        "--window-size=1280,4000",
        f"--screenshot={shot}",
        files["html"].as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    with Image.open(shot) as img:
        assert img.size == (1280, 4000)
        gray = img.convert("L")
        # A blank or error page is (almost) one colour; the report has text, tables, figures.
        assert ImageStat.Stat(gray).stddev[0] > 20
        assert len(gray.resize((320, 1000)).getcolors(maxcolors=256) or []) > 50
