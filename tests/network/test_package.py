"""The site package (issue 17): nothing patient-level in any file, every small cell hidden,
no hidden cell recoverable from the margins, and a package changed after writing refused."""

import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from ibd_dtt.network import (
    PackageError,
    build_site_package,
    read_site_package,
    write_site_package,
)
from ibd_dtt.network.disclosure import merge_bins, recoverable_cells, suppress_cells
from ibd_dtt.network.package import CONTINUOUS, FILES, package_files

K = 5
ISO_DATE = re.compile(r"\b(19|20)\d\d-[01]\d(-[0-3]\d)?\b")
SERIAL_LIKE = re.compile(r"\b\d{2}/\d{2}/\d{4}\b")


@pytest.fixture(scope="module")
def grid_packages(network_reports):
    """Default packages (month grid for Kaplan-Meier), the central data included as a
    fourth, larger 'site'."""
    return {
        name: build_site_package(report, name, min_cell_count=K)
        for name, report in network_reports.items()
    }


def test_no_file_holds_a_study_id_or_a_date(grid_packages, network_reports):
    ids = set(network_reports["central"].cohort.patients["patient_id"])
    assert len(ids) > 200
    for name, package in grid_packages.items():
        for file, payload in package_files(package).items():
            text = payload.decode("utf-8")
            assert not ISO_DATE.search(text), (name, file, ISO_DATE.search(text))
            assert not SERIAL_LIKE.search(text), (name, file)
            found = [i for i in ids if i in text]
            assert not found, (name, file, found[:3])


def _count_cells(table: str, frame: pd.DataFrame) -> pd.Series:
    """Every count written in a table (exposure time is not a count)."""
    if table == "safety_counts.csv":
        return frame.loc[frame["kind"] == "count", "value"]
    if table == "continuous_moments.csv":
        return frame["n"]
    if table == "persistence_counts.csv":
        return pd.concat([frame["at_risk"], frame["events"], frame["censored"]])
    return frame["value"]


def test_no_shown_count_is_below_the_minimum_cell_count(grid_packages):
    hidden = 0
    for name, package in grid_packages.items():
        for table, frame in package.tables.items():
            counts = pd.to_numeric(_count_cells(table, frame), errors="coerce").dropna()
            small = counts[(counts > 0) & (counts < K)]
            assert small.empty, (name, table, small.head())
            if "suppression" in frame:
                hidden += int((frame["suppression"] != "").sum())
                # a hidden cell has no value
                blank = frame.loc[frame["suppression"] != "", "value" if "value" in frame else "n"]
                assert blank.isna().all(), (name, table)
    assert hidden > 50  # the sites are small: there is something to hide


def test_no_row_level_value_minimum_or_maximum_is_written(grid_packages):
    for package in grid_packages.values():
        for table, frame in package.tables.items():
            assert not any(
                word in column for column in frame.columns for word in ("min", "max", "median")
            ), (table, list(frame.columns))
        bins = package.tables["continuous_bins.csv"]
        for variable, block in bins.groupby("variable"):
            _, _, _, low, high, width = CONTINUOUS[variable]
            edges = np.round(np.arange(low, high + width / 2, width), 10)
            # bin limits are edges of the fixed grid, never a patient's value
            assert np.isin(block["bin_low"], edges).all()
            assert np.isin(block["bin_high"], edges).all()
        moments = package.tables["continuous_moments.csv"]
        n = moments["n"].dropna()
        assert ((n == 0) | (n >= K)).all()


def _outcome_sums(frame: pd.DataFrame) -> list:
    """The sums a reader of outcome_counts.csv knows, written out independently."""
    key = ["definition_set", "strategy", "outcome", "timepoint"]
    at = {
        tuple(r): i
        for i, r in zip(frame.index, frame[[*key, "group", "statistic"]].values, strict=True)
    }
    sums = []
    for cell in {k[:-1] for k in at}:

        def c(s, cell=cell):
            return at.get((*cell, s))

        sums.append((c("patients"), [c("evaluable"), c("not_evaluable")]))
        sums.append((c("evaluable"), [c("responders"), c("non_responders")]))
    for cell in {(*k[:4], k[5]) for k in at}:
        groups = [at[k] for k in at if (*k[:4], k[5]) == cell and k[4] != "all"]
        total = at.get((*cell[:4], "all", cell[4]))
        sums.append((total, groups))
    return [(t, [p for p in parts if p is not None]) for t, parts in sums if t is not None]


def _categorical_sums(frame: pd.DataFrame) -> list:
    sums = []
    for _, block in frame.groupby(["table", "variable", "group"]):
        total = block.index[block["level"] == "total"]
        sums.append((total[0], list(block.index[block["level"] != "total"])))
    for _, block in frame.groupby(["table", "variable", "level"]):
        total = block.index[block["group"] == "all"]
        if len(total):
            sums.append((total[0], list(block.index[block["group"] != "all"])))
    return sums


@pytest.mark.parametrize(
    "table, sums_of",
    [("outcome_counts.csv", _outcome_sums), ("categorical_counts.csv", _categorical_sums)],
)
def test_no_hidden_cell_can_be_recomputed_from_the_margins(grid_packages, table, sums_of):
    secondary = 0
    for name, package in grid_packages.items():
        frame = package.tables[table]
        hidden = frame["suppression"] != ""
        secondary += int((frame["suppression"] == "secondary").sum())
        # the true values: rebuild them from the site's report without suppression
        truth = build_site_package_unsuppressed(package, name)
        values = truth[table]["value"].astype(int)
        assert recoverable_cells(values, hidden, sums_of(frame)) == [], (name, table)
    assert secondary > 0  # the secondary-suppression case happened


_REPORTS = {}


def build_site_package_unsuppressed(package, name):
    # min_cell_count=1 hides nothing: the same rows with every true value
    report = _REPORTS[name]
    return build_site_package(report, name, min_cell_count=1).tables


@pytest.fixture(autouse=True, scope="module")
def _keep_reports(network_reports):
    _REPORTS.update(network_reports)


def test_secondary_suppression_of_a_hand_made_table():
    # 2 x 2 with margins: responders UC 3 (small) -> its partner cells are hidden so that
    # neither the row nor the column sum gives it back
    values = pd.Series(
        {
            "all_r": 20,
            "UC_r": 3,
            "CD_r": 17,
            "all_n": 30,
            "UC_n": 12,
            "CD_n": 18,
            "all_e": 50,
            "UC_e": 15,
            "CD_e": 35,
        }
    )
    sums = [
        ("all_r", ["UC_r", "CD_r"]),
        ("all_n", ["UC_n", "CD_n"]),
        ("all_e", ["UC_e", "CD_e"]),
        ("all_e", ["all_r", "all_n"]),
        ("UC_e", ["UC_r", "UC_n"]),
        ("CD_e", ["CD_r", "CD_n"]),
    ]
    reason = suppress_cells(values, 5, sums)
    assert reason["UC_r"] == "primary"
    assert (reason == "secondary").sum() >= 2
    assert recoverable_cells(values, reason != "", sums) == []
    # zero is not small: nobody is revealed by an empty cell
    assert suppress_cells(pd.Series({"a": 0, "b": 7, "t": 7}), 5, [("t", ["a", "b"])]).eq("").all()


def test_bins_are_merged_until_no_group_has_a_small_count():
    counts = pd.DataFrame({"all": [1, 1, 3, 0, 9, 2, 4], "UC": [1, 0, 3, 0, 4, 1, 1]})
    runs = merge_bins(counts, 5)
    assert runs[0][0] == 0 and runs[-1][1] == len(counts) - 1
    for first, last in runs:
        merged = counts.iloc[first : last + 1].sum()
        assert ((merged == 0) | (merged >= 5)).all(), (first, last, merged)
    # a group with fewer than 5 values in total cannot be shared at all
    assert merge_bins(pd.DataFrame({"all": [1, 2]}), 5) == []


def test_written_package_reads_back_and_a_changed_file_is_refused(site_packages, tmp_path):
    package = site_packages["Center 1"]
    path = write_site_package(package, tmp_path / "center1.zip")
    assert (tmp_path / "center1.summary.html").exists()
    back = read_site_package(path)
    assert back.site == "Center 1"
    assert set(back.tables) == set(FILES)
    pd.testing.assert_frame_equal(
        back.tables["attrition.csv"].reset_index(drop=True),
        package.tables["attrition.csv"].reset_index(drop=True),
        check_dtype=False,
    )
    # byte-identical when written again (reproducible, diffable packages)
    again = write_site_package(package, tmp_path / "again.zip")
    assert again.read_bytes() == path.read_bytes()
    # change one number in one file: refused
    with zipfile.ZipFile(path) as archive:
        members = {n: archive.read(n) for n in archive.namelist()}
    members["outcome_counts.csv"] = re.sub(
        rb",(\d+),\n",
        lambda m: b",%d,\n" % (int(m.group(1)) + 1),
        members["outcome_counts.csv"],
        count=1,
    )
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(tampered, "w") as archive:
        for n, payload in members.items():
            archive.writestr(n, payload)
    with pytest.raises(PackageError, match=r"outcome_counts\.csv does not match the manifest"):
        read_site_package(tampered)
    # not a package at all
    (tmp_path / "other.zip").write_bytes(b"not a zip")
    with pytest.raises(PackageError, match="not a readable site package"):
        read_site_package(tmp_path / "other.zip")
    with pytest.raises(PackageError, match="is not an ibd-dtt site package"):
        write_site_package(package, tmp_path / "other.zip")


def test_the_summary_for_the_data_protection_officer_names_every_file(site_packages):
    from ibd_dtt.network.summary import summary_html

    text = summary_html(site_packages["Center 2"])
    for name in FILES:
        assert name in text
    assert "day resolution" in text  # steps mode is flagged to the reader
