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
