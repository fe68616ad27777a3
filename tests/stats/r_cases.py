"""Cases checked against R, shared by the pinned tests (expected values printed by R) and
the live tests (which run Rscript on the same cases when R is installed).

Pinned values: R 4.2.2 Patched (2022-11-10 r83330), survival 3.5-3, stats (fisher.test).
"""

# (durations, events) -> survfit(Surv(t, e) ~ 1, conf.type = "log-log"); quantile(fit, 0.5)
# as (median, lower, upper); None = NA
KAPLAN_MEIER_MEDIANS = [
    # events at 1-4: flat at exactly 0.5 from 2 to 3 -> midpoint 2.5
    (([1, 2, 3, 4], [1, 1, 1, 1]), (2.5, 1.0, None)),
    # flat at 0.5 from 2 to the end (last follow-up 4) -> (2 + 4) / 2
    (([1, 2, 3, 4], [1, 1, 0, 0]), (3.0, 1.0, None)),
    # Freireich 6-MP arm (Kleinbaum & Klein, Survival Analysis, table 2.1)
    (
        (
            [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35],
            [1] * 9 + [0] * 12,
        ),
        (23.0, 13.0, None),
    ),
    (([2, 4, 6, 8], [1, 0, 1, 1]), (6.0, 2.0, None)),
    (([1, 3, 5, 7, 9, 11], [1, 1, 1, 1, 1, 1]), (6.0, 1.0, None)),
    (
        ([0.5, 1.5, 1.5, 4, 6.2, 7.1, 8, 12, 14, 20], [0, 1, 1, 0, 1, 1, 0, 1, 0, 0]),
        (12.0, 1.5, None),
    ),
    (
        (
            [
                1.2,
                2.5,
                2.5,
                3.1,
                4.0,
                4.4,
                5.0,
                5.5,
                6.1,
                6.1,
                7.3,
                8.0,
                8.8,
                9.5,
                10.2,
                11.0,
                12.5,
                13.1,
                14.0,
                15.2,
                16.0,
                18.3,
                20.1,
                22.0,
                25.0,
                30.0,
            ],
            [1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 0, 0],
        ),
        (12.5, 6.1, 22.0),
    ),
    # the curve never reaches 0.5, but its lower band does
    (([1, 2, 3, 4, 5, 6], [1, 0, 0, 0, 0, 0]), (None, 1.0, None)),
]

# fisher.test(matrix(..., byrow = TRUE), workspace = 2e8)$p.value
FISHER_TABLES = [
    ([[5, 3, 6, 4], [4, 6, 3, 5], [4, 5, 4, 5]], 0.914289499533491),
    ([[2, 8, 3, 5], [6, 2, 7, 3], [5, 4, 3, 6]], 0.177080313724325),
    ([[10, 2, 1, 0], [1, 9, 2, 3], [2, 2, 10, 12]], 2.00891859990746e-07),
    ([[3, 1], [1, 3]], 0.485714285714286),
    ([[0, 5, 2], [4, 0, 1]], 0.00505050505050503),
]

# (before, after) -> (R wilcox.test(before, after, paired = TRUE)$p.value,
#                      coin: pvalue(wilcoxsign_test(b ~ a, distribution = "exact",
#                                                   zero.method = "Wilcoxon")))   coin 1.4-2
# The first is ibd-dtt's --rank-tests r, the second its default (SciPy: exact permutation
# over every sign pattern when differences tie, up to 13 pairs).
WILCOXON_PAIRED = [
    (
        ([38, 36, 40, 35, 39, 37, 36, 41, 34], [39, 37, 42, 38, 38, 41, 41, 43, 40]),
        (0.0173193825611195, 0.015625),
    ),
    (
        (
            [10, 12, 9, 14, 11, 13, 8, 15, 10, 12, 11, 9],
            [12, 12, 11, 15, 14, 13, 11, 16, 13, 14, 12, 11],
        ),
        (0.00535545771184176, 0.001953125),
    ),
    (
        ([5.1, 4.8, 6.2, 5.5, 7.0, 6.1, 5.9, 4.4], [4.2, 4.9, 5.0, 4.1, 5.2, 6.3, 4.0, 3.9]),
        (0.0390625, 0.0390625),
    ),
]

# (x, y) -> R wilcox.test(x, y)$p.value (exact below 50 per group without ties, else normal
# with continuity correction): ibd-dtt's --rank-tests r
MANN_WHITNEY = [
    (
        (
            [1.2, 3.4, 2.2, 5.1, 4.4, 2.9, 3.3, 6.0, 1.1, 0.7],
            [2.5, 4.1, 6.2, 5.5, 7.0, 3.8, 4.9, 6.6, 5.8, 4.3],
        ),
        0.0185433761285154,
    ),
    (([12, 15, 11, 18, 14, 13, 16], [17, 19, 14, 21, 20, 18, 22, 16]), 0.0148173107783742),
]

# Hodges-Lehmann with exact intervals, R: wilcox.test(..., conf.int = TRUE)
# paired: (after, before) -> (estimate, lower, upper) of wilcox.test(after, before, paired=TRUE)
HODGES_LEHMANN_PAIRED = [
    (
        (
            [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30],
            [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29],
        ),
        (0.46, 0.01, 0.786),
    ),
]
# two samples: (x, y) -> (estimate, lower, upper) of wilcox.test(x, y, conf.int = TRUE)
HODGES_LEHMANN_SHIFT = [
    (
        (
            [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46],
            [1.15, 0.88, 0.90, 0.74, 1.21],
        ),
        (0.305, -0.15, 0.76),
    ),
]
# (x1, t1, x2, t2) -> poisson.test(c(x1, x2), c(t1, t2)): (estimate, lower, upper, p)
RATE_RATIOS = [
    (
        (4, 10.5, 9, 12.2),
        (0.516402116402116, 0.116206368261725, 1.8502530836912, 0.405256305650246),
    ),
]

# Freireich 6-MP (first 21) and placebo (last 21) remission times, Kleinbaum & Klein table 1.1
SIX_MP = (
    [6, 6, 6, 7, 10, 13, 16, 22, 23, 6, 9, 10, 11, 17, 19, 20, 25, 32, 32, 34, 35],
    [1] * 9 + [0] * 12,
)
PLACEBO = ([1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23], [1] * 21)
# one R expression per line; each prints the values the named ibd-dtt call must give
CORE_CASES = [
    ("binom.test(15, 17)$conf.int", (0.63559083789875, 0.985420683159698)),
    ("binom.test(0, 12)$conf.int", (0.0, 0.264648469397051)),
    ("100 * poisson.test(4, 10)$conf.int", (10.8986537362633, 102.415886754037)),
    (
        "chisq.test(matrix(c(30, 20, 15, 35), 2, byrow = TRUE), correct = FALSE)$p.value",
        (0.00256883152702273,),
    ),
    ("binom.test(1, 4)$p.value", (0.625,)),
    ("survdiff(Surv(t, e) ~ g)$chisq", (16.7929409892165,)),
    (
        "with(summary(survfit(Surv(t[1:21], e[1:21]) ~ 1, conf.type = 'log-log'), "
        "times = c(7, 13, 22)), c(surv, lower, upper))",
        (
            0.80672268907563,
            0.690196078431372,
            0.53781512605042,
            0.563146564622233,
            0.431610222486184,
            0.267778936767135,
            0.92280901920288,
            0.849065963349451,
            0.746790717635394,
        ),
    ),
]
