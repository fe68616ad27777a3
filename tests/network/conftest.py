"""A synthetic three-center network: the registry, its three site folders, each site's
report and package, and the central report of the concatenated data."""

from pathlib import Path

import pytest

from ibd_dtt.network import build_site_package
from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry
from ibd_dtt.report import build_report
from ibd_dtt.synth import (
    SynthOptions,
    generate_registry,
    site_folder_name,
    split_by_center,
    write_registry,
)

NETWORK = SynthOptions(patients=240, centers=3, seed=7, center_effect=0.8)


def analysed_report(folder: Path):
    """The report of a registry folder: paper definitions as observed, and NRI."""
    scored = score_registry(load_registry(folder))
    return build_report(
        scored, [analyse_registry(scored, "paper"), analyse_registry(scored, "paper", "nri")]
    )


@pytest.fixture(scope="session")
def network_folders(tmp_path_factory) -> dict[str, Path]:
    """{"central": folder, "Center 1": folder, ...}"""
    root = tmp_path_factory.mktemp("network")
    tables = generate_registry(NETWORK)
    folders = {"central": write_registry(tables, root / "central", NETWORK)}
    for center, part in split_by_center(tables).items():
        folders[center] = write_registry(part, root / site_folder_name(center), NETWORK)
    return folders


@pytest.fixture(scope="session")
def network_reports(network_folders):
    return {name: analysed_report(folder) for name, folder in network_folders.items()}


@pytest.fixture(scope="session")
def site_packages(network_reports):
    """Each site's package, Kaplan-Meier table at day resolution (exact pooling)."""
    return {
        name: build_site_package(report, name, km_resolution="steps")
        for name, report in network_reports.items()
        if name != "central"
    }
