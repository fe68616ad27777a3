"""The cases of r_cases.py run live against R (survival, stats) when Rscript is installed
(.ci/run installs r-base-core and r-cran-survival); skipped with the reason otherwise.
Each value must agree with ibd-dtt to 1e-6."""

import shutil
import subprocess

import pytest
from r_cases import (
    FISHER_TABLES,
    HODGES_LEHMANN_PAIRED,
    HODGES_LEHMANN_SHIFT,
    KAPLAN_MEIER_MEDIANS,
    MANN_WHITNEY,
    RATE_RATIOS,
    WILCOXON_PAIRED,
)

from ibd_dtt.stats import compare_continuous, compare_paired, fisher_exact_rxc, kaplan_meier
from ibd_dtt.stats.comparisons import using_rank_tests
from ibd_dtt.stats.effects import hodges_lehmann_paired, hodges_lehmann_shift, rate_ratio_exact

RSCRIPT = shutil.which("Rscript")
pytestmark = pytest.mark.skipif(RSCRIPT is None, reason="R (Rscript) is not installed")


def _r_vector(values) -> str:
    return "c(" + ", ".join(repr(float(v)) for v in values) + ")"


def _run_r(lines: list[str], packages=("survival",)) -> list[str]:
    script = "".join(f"suppressMessages(library({p}))\n" for p in packages) + "\n".join(lines)
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


def test_rank_tests_live():
    lines = []
    for (before, after), _ in WILCOXON_PAIRED:
        lines.append(
            f"b <- {_r_vector(before)}; a <- {_r_vector(after)}; "
            "r <- suppressWarnings(wilcox.test(b, a, paired = TRUE)$p.value); "
            "e <- pvalue(wilcoxsign_test(b ~ a, data = data.frame(b = b, a = a), "
            "distribution = 'exact', zero.method = 'Wilcoxon')); "
            "cat(sprintf('%.15g', c(r, e)), '\\n')"
        )
    for (x, y), _ in MANN_WHITNEY:
        lines.append(
            f"cat(sprintf('%.15g', suppressWarnings(wilcox.test({_r_vector(x)}, "
            f"{_r_vector(y)})$p.value)), '\\n')"
        )
    values = [float(v) for v in _run_r(lines, packages=("coin",))]
    for i, (pair, _) in enumerate(WILCOXON_PAIRED):
        r_default, coin_exact = values[2 * i], values[2 * i + 1]
        assert _close(compare_paired(*pair).pvalue, coin_exact), pair
        with using_rank_tests("r"):
            assert _close(compare_paired(*pair).pvalue, r_default), pair
    offset = 2 * len(WILCOXON_PAIRED)
    for j, ((x, y), _) in enumerate(MANN_WHITNEY):
        with using_rank_tests("r"):
            got = compare_continuous([*x, *y], ["x"] * len(x) + ["y"] * len(y)).pvalue
        assert _close(got, values[offset + j]), (x, y)


def test_effect_sizes_live():
    lines = []
    for (after, before), _ in HODGES_LEHMANN_PAIRED:
        lines.append(
            f"w <- wilcox.test({_r_vector(after)}, {_r_vector(before)}, paired = TRUE, "
            "conf.int = TRUE); cat(sprintf('%.15g', c(w$estimate, w$conf.int)), '\\n')"
        )
    for (x, y), _ in HODGES_LEHMANN_SHIFT:
        lines.append(
            f"w <- wilcox.test({_r_vector(x)}, {_r_vector(y)}, conf.int = TRUE); "
            "cat(sprintf('%.15g', c(w$estimate, w$conf.int)), '\\n')"
        )
    for (x1, t1, x2, t2), _ in RATE_RATIOS:
        lines.append(
            f"p <- poisson.test(c({x1}, {x2}), c({t1}, {t2})); "
            "cat(sprintf('%.15g', c(p$estimate, p$conf.int, p$p.value)), '\\n')"
        )
    values = [float(v) for v in _run_r(lines)]
    got = []
    for (after, before), _ in HODGES_LEHMANN_PAIRED:
        e = hodges_lehmann_paired(before, after)
        got += [e.estimate, e.ci_low, e.ci_high]
    for (x, y), _ in HODGES_LEHMANN_SHIFT:
        e = hodges_lehmann_shift(x, y)
        got += [e.estimate, e.ci_low, e.ci_high]
    for args, _ in RATE_RATIOS:
        e = rate_ratio_exact(*args)
        got += [e.estimate, e.ci_low, e.ci_high, e.pvalue]
    assert len(got) == len(values)
    assert all(_close(g, v) for g, v in zip(got, values, strict=True)), (got, values)


def test_core_statistics_live():
    from r_cases import CORE_CASES, PLACEBO, SIX_MP
    from test_against_r import _core_values

    setup = (
        f"t <- {_r_vector(SIX_MP[0] + PLACEBO[0])}; e <- {_r_vector(SIX_MP[1] + PLACEBO[1])}; "
        "g <- rep(c('6-MP', 'placebo'), each = 21)"
    )
    lines = [setup] + [
        f"cat(sprintf('%.15g', {expression}), '\\n')" for expression, _ in CORE_CASES
    ]
    values = [float(v) for v in _run_r(lines)]
    got = [v for case in _core_values() for v in case]
    assert len(values) == len(got)
    assert all(_close(g, v) for g, v in zip(got, values, strict=True)), (got, values)
