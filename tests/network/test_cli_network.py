"""The network commands as a coordinator and three sites run them: synth --split-centers,
share at each site, pool at the coordinator; clear one-line errors; the pooled and the
by-center reports rendered in headless Chromium with their forest plots."""

import shutil
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageStat
from typer.testing import CliRunner

# the print and browser helpers shared with tests/report (tests are not a package)
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "report"))
from print_checks import CHROMIUM, chromium_screenshot

from ibd_dtt.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def network_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-network")
    made = runner.invoke(
        app,
        [
            "synth",
            "--out",
            str(root / "sites"),
            "--patients",
            "150",
            "--centers",
            "3",
            "--split-centers",
        ],
    )
    assert made.exit_code == 0, made.stdout
    sites = sorted(p for p in (root / "sites").iterdir() if p.is_dir())
    assert [s.name for s in sites] == ["center-1", "center-2", "center-3"]
    for i, site in enumerate(sites):
        extra = ["--km-steps"] if i == 0 else []
        shared = runner.invoke(
            app,
            [
                "share",
                str(site),
                "--out",
                str(root / "packages" / f"{site.name}.zip"),
                "--site",
                site.name,
                "--missing",
                "as-observed",
                "--missing",
                "nri",
                *extra,
            ],
        )
        assert shared.exit_code == 0, shared.stdout
        assert "cells suppressed below 5" in shared.stdout
    packages = sorted((root / "packages").glob("*.zip"))
    pooled = runner.invoke(
        app, ["pool", *map(str, packages), "--out", str(root / "pooled"), "--no-pdf"]
    )
    assert pooled.exit_code == 0, pooled.stdout
    return root, packages, pooled.stdout


def test_each_site_writes_a_package_and_a_summary_for_its_data_protection_officer(network_run):
    _, packages, _ = network_run
    assert len(packages) == 3
    for package in packages:
        summary = package.with_name(package.stem + ".summary.html")
        assert summary.exists()
        with zipfile.ZipFile(package) as archive:
            names = set(archive.namelist())
        assert {"manifest.json", "outcome_counts.csv", "persistence_counts.csv"} <= names
        assert not any(n.endswith((".parquet", ".xlsx")) for n in names)


def test_pool_writes_the_pooled_report(network_run):
    root, _, stdout = network_run
    out = root / "pooled"
    for name in ("report.html", "tables.xlsx", "tables.docx", "provenance.json"):
        assert (out / name).exists(), name
    assert (out / "figures" / "fig1_site_forest.png").exists()
    assert (out / "figures" / "fig2_persistence.png").exists()
    page = (out / "report.html").read_text(encoding="utf-8")
    for text in (
        "Primary outcomes: meta-analysis across sites",
        "Primary outcomes by site",
        "Random effects, PM",
        "Persistence on DTT, all sites",
        "center-1, center-2, center-3",
    ):
        assert text in page, text
    assert "Clinical response at 3 months" in stdout
    # two sites shared a month-grid table: the pooled curve is marked approximate
    assert "Kaplan-Meier approximate" in page


def test_pool_and_share_refuse_with_one_line_and_exit_2(network_run, tmp_path):
    root, packages, _ = network_run
    alone = runner.invoke(app, ["pool", str(packages[0]), "--out", str(tmp_path / "a")])
    assert alone.exit_code == 2 and "at least two sites" in alone.stdout
    twice = runner.invoke(
        app, ["pool", str(packages[0]), str(packages[0]), "--out", str(tmp_path / "b")]
    )
    assert twice.exit_code == 2 and "same site" in twice.stdout
    fake = tmp_path / "fake.zip"
    fake.write_bytes(b"PK not really")
    bad = runner.invoke(app, ["pool", str(packages[0]), str(fake), "--out", str(tmp_path / "c")])
    assert bad.exit_code == 2 and "not a readable site package" in bad.stdout
    assert "Traceback" not in bad.stdout
    site = root / "sites" / "center-1"
    wrong = runner.invoke(
        app, ["share", str(site), "--out", str(tmp_path / "p.txt"), "--site", "x"]
    )
    assert wrong.exit_code == 2 and "--out must name a .zip file" in wrong.stdout
    mi = runner.invoke(
        app,
        ["share", str(site), "--out", str(tmp_path / "p.zip"), "--site", "x", "--missing", "mi"],
    )
    assert mi.exit_code == 2 and "--missing mi" in mi.stdout


@pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium not installed (apt-get install chromium); .ci/run installs it",
)
def test_pooled_and_by_center_reports_render_in_chromium(network_run, tmp_path):
    root, _, _ = network_run
    central = tmp_path / "central"
    made = runner.invoke(
        app, ["synth", "--out", str(central), "--patients", "150", "--centers", "3"]
    )
    assert made.exit_code == 0
    by_center = runner.invoke(
        app,
        ["report", str(central), "--out", str(tmp_path / "by"), "--by", "center", "--no-pdf"],
    )
    assert by_center.exit_code == 0, by_center.stdout
    for html, forest, caption in (
        (root / "pooled" / "report.html", "fig1_site_forest", "Primary outcomes by site (3 sites)"),
        (tmp_path / "by" / "report.html", "fig7_center_forest", "by center (3 centers)"),
    ):
        assert (html.parent / "figures" / f"{forest}.png").exists()
        assert caption in html.read_text(encoding="utf-8")  # the forest plot's caption
        shot = chromium_screenshot(
            html, tmp_path / f"{forest}.png", tmp_path / f"profile-{forest}", height=6000
        )
        with Image.open(shot) as img:
            assert img.size == (1280, 6000)
            gray = img.convert("L")
            # a blank or error page is (almost) one colour; a report has text, tables, figures
            assert ImageStat.Stat(gray).stddev[0] > 20
            assert len(gray.resize((320, 1500)).getcolors(maxcolors=256) or []) > 50


EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_cohort"


def test_sites_too_small_to_share_anything_pool_without_a_crash_and_say_so(tmp_path):
    """The paper's three centers (7, 7 and 4 patients) as a network with minimum cell count
    5: nearly everything is hidden; the pooled report says so instead of printing zeros."""
    import pandas as pd

    patients = pd.read_csv(EXAMPLE / "patients.csv", dtype=str, keep_default_na=False)
    packages = []
    for center in sorted(patients["center"].unique()):
        folder = tmp_path / center.replace(" ", "-")
        folder.mkdir()
        keep = set(patients.loc[patients["center"] == center, "patient_id"])
        for csv in EXAMPLE.glob("*.csv"):
            frame = pd.read_csv(csv, dtype=str, keep_default_na=False)
            frame[frame["patient_id"].isin(keep)].to_csv(folder / csv.name, index=False)
        shutil.copy(EXAMPLE / "study.yaml", folder / "study.yaml")
        package = tmp_path / f"{folder.name}.zip"
        shared = runner.invoke(
            app, ["share", str(folder), "--site", folder.name, "--out", str(package)]
        )
        assert shared.exit_code == 0, shared.stdout
        packages.append(str(package))
    pooled = runner.invoke(app, ["pool", *packages, "--out", str(tmp_path / "p"), "--no-pdf"])
    assert pooled.exit_code == 0, pooled.stdout
    assert "no pooled clinical response" in pooled.stdout
    flow = pd.read_csv(tmp_path / "p" / "tables" / "pooled_flow.csv").set_index("Step")
    # 7 + 7 shown, the 4-patient site hidden: at least 14, never "14"
    assert flow.loc["Analysed", "Patients"] == "≥ 14 †"
    table = tmp_path / "p" / "tables" / "pooled_outcomes_paper_as-observed.csv"
    assert "Nothing to show" in table.read_text(encoding="utf-8")
