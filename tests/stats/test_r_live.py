"""The cases of r_cases.py run live against R (survival, stats) when Rscript is installed
(.ci/run installs r-base-core and r-cran-survival); skipped with the reason otherwise.
Each value must agree with ibd-dtt to 1e-6."""

import shutil
import subprocess

import pytest
from r_cases import FISHER_TABLES, KAPLAN_MEIER_MEDIANS

from ibd_dtt.stats import fisher_exact_rxc, kaplan_meier

RSCRIPT = shutil.which("Rscript")
pytestmark = pytest.mark.skipif(RSCRIPT is None, reason="R (Rscript) is not installed")


def _r_vector(values) -> str:
    return "c(" + ", ".join(repr(float(v)) for v in values) + ")"


def _run_r(lines: list[str]) -> list[str]:
    script = "suppressMessages(library(survival))\n" + "\n".join(lines)
    done = subprocess.run(
        [RSCRIPT, "--vanilla", "-e", script], capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0 and "there is no package called" in done.stderr:
        pytest.skip(f"an R package is missing: {done.stderr.strip().splitlines()[-1]}")
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def _number(text: str) -> float | None:
    return None if text == "NA" else float(text)


def _close(got, expected, tolerance=1e-6):
    if expected is None:
        return got is None
    return got is not None and abs(got - expected) <= tolerance * max(1.0, abs(expected))


def test_kaplan_meier_medians_live():
    lines = []
    for (durations, events), _ in KAPLAN_MEIER_MEDIANS:
        lines.append(
            f"q <- quantile(survfit(Surv({_r_vector(durations)}, {_r_vector(events)}) ~ 1, "
            f"conf.type = 'log-log'), 0.5); "
            f"cat(sprintf('%.15g', c(q$quantile, q$lower, q$upper)), '\\n')"
        )
    values = _run_r(lines)
    for i, ((durations, events), _) in enumerate(KAPLAN_MEIER_MEDIANS):
        expected = [_number(v) for v in values[3 * i : 3 * i + 3]]
        km = kaplan_meier(durations, events)
        got = [km.median, *km.median_ci]
        assert all(_close(g, e) for g, e in zip(got, expected, strict=True)), (i, got, expected)


def test_fisher_exact_live():
    lines = []
    for table, _ in FISHER_TABLES:
        cells = [c for row in table for c in row]
        lines.append(
            f"cat(sprintf('%.15g', fisher.test(matrix({_r_vector(cells)}, {len(table)}, "
            f"byrow = TRUE), workspace = 2e8)$p.value), '\\n')"
        )
    values = _run_r(lines)
    for (table, _), value in zip(FISHER_TABLES, values, strict=True):
        assert _close(fisher_exact_rxc(table).pvalue, float(value), 1e-9), table
