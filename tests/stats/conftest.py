from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "paper_cohort"


@pytest.fixture(scope="session")
def scored_paper():
    from ibd_dtt.pipeline import load_registry, score_registry

    return score_registry(load_registry(EXAMPLE))
