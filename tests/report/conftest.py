from pathlib import Path

import pytest

from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry
from ibd_dtt.report import build_report, render_figures

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_cohort"


@pytest.fixture(scope="session")
def scored():
    return score_registry(load_registry(EXAMPLE))


@pytest.fixture(scope="session")
def paper_report(scored):
    """The paper's analysis (paper definitions, as observed) plus an NRI sensitivity run."""
    return build_report(
        scored,
        [analyse_registry(scored, "paper"), analyse_registry(scored, "paper", "nri")],
        percent_decimals=2,  # the paper printed two decimals
    )


@pytest.fixture(scope="session")
def paper_figures(paper_report):
    return render_figures(paper_report)


@pytest.fixture(scope="session")
def written_report(paper_report, paper_figures, tmp_path_factory):
    from ibd_dtt.report import write_report

    out = tmp_path_factory.mktemp("report")
    files = write_report(
        paper_report, out, source=EXAMPLE, figures=paper_figures, generated_at="RUN-1"
    )
    return out, files
