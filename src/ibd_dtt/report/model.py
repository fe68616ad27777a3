"""What a report is made of: tables that exist as numbers before they become text."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ibd_dtt.stats import (
    ContinuousSummary,
    Proportion,
    TestResult,
    compare_categorical,
    compare_continuous,
    proportion_ci,
    summarise_continuous,
)
from ibd_dtt.stats.effects import hodges_lehmann_shift
from ibd_dtt.stats.format import (
    format_mean_sd,
    format_median_iqr,
    format_n_percent,
    format_pvalue,
    format_range,
    round_half_up,
)


@dataclass(frozen=True)
class ReportTable:
    """One table of the report.

    ``data`` holds the numbers (one row per statistic, unformatted), ``display`` the text a
    journal prints, ``notes`` the footnotes (denominators, tests and why they were chosen).
    ``patient_level`` tables list study IDs and are left out of suppressed exports.
    ``spanners``: an optional header row above the column names, as (label, number of
    columns) pairs covering every column (gtsummary's spanning headers); a column under a
    spanner named ``"Label: column"`` shows only ``column`` beneath it.
    """

    key: str
    title: str
    data: pd.DataFrame
    display: pd.DataFrame
    notes: tuple[str, ...] = ()
    patient_level: bool = False
    spanners: tuple[tuple[str, int], ...] = ()

    def header(self) -> tuple[list[tuple[str, int]], list[str]]:
        """The printed header: spanner cells (empty when there are none) and the column
        labels beneath them."""
        columns = [str(c) for c in self.display.columns]
        if not self.spanners or sum(span for _, span in self.spanners) != len(columns):
            return [], columns
        labels, at = [], 0
        for label, span in self.spanners:
            for column in columns[at : at + span]:
                prefix = f"{label}: "
                labels.append(
                    column[len(prefix) :] if label and column.startswith(prefix) else column
                )
            at += span
        return list(self.spanners), labels


@dataclass
class CharacteristicsBuilder:
    """Builds a Table-1-style table: overall and one column per group, with a p-value.

    Rows are added variable by variable; each call computes the numbers (long, ARD-style
    ``data``) and their formatted cells (wide ``display``) from the same objects.
    """

    frame: pd.DataFrame
    group: str
    groups: tuple[str, ...]
    decimals: int = 1
    compare: bool = True
    data_rows: list[dict] = field(default_factory=list)
    display_rows: list[dict] = field(default_factory=list)
    tests_used: dict[str, str] = field(default_factory=dict)
    shift_label: str | None = None

    def _split(self, frame: pd.DataFrame, values: np.ndarray) -> dict[str, np.ndarray]:
        """``values`` (an array aligned with ``frame``) overall and per group: these
        tables have a few dozen rows of a few dozen patients, where pandas' per-call
        overhead, not the data, would be the cost."""
        groups = frame[self.group].to_numpy(object)
        split = {"Overall": values}
        for g in self.groups:
            split[g] = values[groups == g]
        return split

    @staticmethod
    def _as_levels(values: pd.Series) -> np.ndarray:
        """Object array with None where the value is missing."""
        out = values.to_numpy(object).copy()
        out[pd.isna(out)] = None
        return out

    def header(self) -> dict[str, str]:
        head = {"Characteristic": "Characteristic", "Overall": f"Overall (N={len(self.frame)})"}
        for g in self.groups:
            head[g] = f"{g} (N={int((self.frame[self.group] == g).sum())})"
        return head

    def _test_cells(self, label: str, result: TestResult | None) -> dict[str, str]:
        if result is None or result.pvalue is None or not self.compare:
            return {"p": "", "test": ""}
        self.tests_used[result.test] = result.reason
        self.data_rows.append(
            {
                "variable": label,
                "group": "comparison",
                "test": result.test,
                "pvalue": result.pvalue,
                "statistic": result.statistic,
                "reason": result.reason,
            }
        )
        return {"p": format_pvalue(result.pvalue), "test": result.test}

    def _restrict(self, applies_to: tuple[str, ...] | None) -> pd.DataFrame:
        if applies_to is None:
            return self.frame
        return self.frame[self.frame[self.group].isin(applies_to)]

    @staticmethod
    def _shown(column: str, applies_to: tuple[str, ...] | None) -> bool:
        """Whether a group column gets a value (a UC-only variable is blank under CD)."""
        return applies_to is None or column == "Overall" or column in applies_to

    def _compare_levels(self, frame: pd.DataFrame, values: np.ndarray) -> TestResult | None:
        """Chi-square or Fisher (Cochran's rule) across the groups that have values."""
        if not self.compare:
            return None
        present = ~pd.isna(values)
        groups = frame[self.group].to_numpy(object)[present]
        observed = values[present]
        groups_present = [g for g in self.groups if (groups == g).any()]
        levels = list(dict.fromkeys(observed))
        if len(groups_present) < 2 or len(levels) < 2:
            return None
        table = [
            [int(((groups == g) & (observed == level)).sum()) for level in levels]
            for g in groups_present
        ]
        return compare_categorical(table)

    def section(self, title: str) -> None:
        self.display_rows.append({"Characteristic": title, "_section": True})

    def categorical(
        self,
        label: str,
        column: str | pd.Series,
        levels: dict[str, str] | None = None,
        applies_to: tuple[str, ...] | None = None,
        test: bool = True,
        show_levels: tuple[str, ...] | None = None,
    ) -> None:
        """n (%) per level; percentages over patients with a recorded value."""
        frame = self._restrict(applies_to)
        values = frame[column] if isinstance(column, str) else column.reindex(frame.index)
        values = self._as_levels(values)
        levels = levels or {}
        # the contract's levels in their order (also those nobody has), then any others seen
        seen = dict.fromkeys(v for v in values if v is not None)
        order = list(levels) + sorted(str(v) for v in seen if v not in levels)
        result = self._compare_levels(frame, values) if test else None
        cells = {"Characteristic": f"{label}, n (%)", **self._test_cells(label, result)}
        self.display_rows.append(cells)
        split = self._split(frame, values)
        for level in show_levels or tuple(order):
            row = {"Characteristic": f"    {levels.get(level, level)}"}
            for name, subset in split.items():
                if not self._shown(name, applies_to):
                    row[name] = ""
                    continue
                recorded = int((subset != None).sum())  # noqa: E711 (elementwise)
                p = proportion_ci(int((subset == level).sum()), recorded)
                row[name] = format_n_percent(p, self.decimals)
                self._add_data(label, level, name, proportion=p, missing=len(subset) - recorded)
            self.display_rows.append(row)
        self._missing_row(label, frame, values)

    def flag(
        self,
        label: str,
        mask: pd.Series,
        applies_to: tuple[str, ...] | None = None,
        test: bool = True,
    ) -> None:
        """One yes/no characteristic shown as a single n (%) row."""
        frame = self._restrict(applies_to)
        values = self._as_levels(mask.reindex(frame.index))
        known = values != None  # noqa: E711 (elementwise)
        values[known] = [bool(v) for v in values[known]]
        result = self._compare_levels(frame, values) if test else None
        row = {"Characteristic": f"{label}, n (%)", **self._test_cells(label, result)}
        for name, subset in self._split(frame, values).items():
            if not self._shown(name, applies_to):
                row[name] = ""
                continue
            recorded = int((subset != None).sum())  # noqa: E711 (elementwise)
            p = proportion_ci(int((subset == True).sum()), recorded)  # noqa: E712
            row[name] = format_n_percent(p, self.decimals)
            self._add_data(label, "yes", name, proportion=p, missing=len(subset) - recorded)
        self.display_rows.append(row)
        self._missing_row(label, frame, values)

    def continuous(
        self,
        label: str,
        values: pd.Series,
        applies_to: tuple[str, ...] | None = None,
        mean_sd: bool = True,
        show_range: bool = False,
        decimals: int | None = None,
        counts: bool = False,
    ) -> None:
        """Median (Q1-Q3), optionally mean (SD) and range; missing counted on its own row.
        ``counts``: the values are counts, printed without zero decimals ('1 (1–2)')."""
        decimals = self.decimals if decimals is None else decimals
        frame = self._restrict(applies_to)
        values = values.reindex(frame.index).to_numpy(float, na_value=np.nan)
        result = None
        if self.compare:
            present = ~np.isnan(values)
            groups = frame[self.group].to_numpy(object)[present]
            if len({g for g in groups if not pd.isna(g)}) > 1:
                result = compare_continuous(values[present], groups)
        summaries: dict[str, ContinuousSummary] = {}
        for name, subset in self._split(frame, values).items():
            if not self._shown(name, applies_to):
                continue
            summaries[name] = summarise_continuous(subset)
            self._add_data(label, None, name, summary=summaries[name])
        rows = [("median (Q1–Q3)", lambda s, d: format_median_iqr(s, d, trim=counts))]
        if mean_sd:
            rows.append(("mean (SD)", lambda s, d: format_mean_sd(s, max(d, 2))))
        if show_range:
            rows.append(("range", lambda s, d: format_range(s, d, trim=counts)))
        shift = None
        if result is not None and result.test == "Mann-Whitney U test":
            # the effect size that goes with the rank-sum test: Hodges-Lehmann shift
            present = ~np.isnan(values)
            groups = frame[self.group].to_numpy(object)
            first, second = [g for g in self.groups if (groups[present] == g).any()][:2]
            shift = hodges_lehmann_shift(
                values[present & (groups == first)], values[present & (groups == second)]
            )
            self.shift_label = f"Shift {first} − {second} (95 % CI)"
            self.data_rows.append(
                {
                    "variable": label,
                    "group": f"{first} - {second}",
                    "statistic_name": "Hodges-Lehmann shift",
                    "estimate": shift.estimate,
                    "ci_low": shift.ci_low,
                    "ci_high": shift.ci_high,
                    "method": shift.method,
                }
            )
        for i, (stat, fmt) in enumerate(rows):
            row = {"Characteristic": f"{label}, {stat}" if i == 0 else f"    {stat}"}
            if i == 0:
                row.update(self._test_cells(label, result))
                if shift is not None and shift.estimate is not None:
                    row["shift"] = (
                        f"{round_half_up(shift.estimate, decimals)} "
                        f"({round_half_up(shift.ci_low, decimals)} to "
                        f"{round_half_up(shift.ci_high, decimals)})"
                    )
            for name in ("Overall", *self.groups):
                row[name] = fmt(summaries[name], decimals) if name in summaries else ""
            self.display_rows.append(row)
        self._missing_row(label, frame, values)

    def _missing_row(self, label: str, frame: pd.DataFrame, values: np.ndarray) -> None:
        missing = pd.isna(values)
        if not missing.any():
            return
        row = {"Characteristic": "    missing, n"}
        for name, subset in self._split(frame, missing).items():
            row[name] = str(int(subset.sum()))
        self.display_rows.append(row)

    def _add_data(
        self,
        variable: str,
        level: str | None,
        group: str,
        proportion: Proportion | None = None,
        summary: ContinuousSummary | None = None,
        missing: int | None = None,
    ) -> None:
        row: dict = {"variable": variable, "level": level, "group": group}
        if proportion is not None:
            row.update(
                n=proportion.n, total=proportion.total, percent=proportion.percent, missing=missing
            )
        if summary is not None:
            row.update(
                n=summary.n,
                missing=summary.missing,
                mean=summary.mean,
                sd=summary.sd,
                median=summary.median,
                q1=summary.q1,
                q3=summary.q3,
                minimum=summary.minimum,
                maximum=summary.maximum,
            )
        self.data_rows.append(row)

    def build(self, key: str, title: str, notes: tuple[str, ...] = ()) -> ReportTable:
        head = self.header()
        columns = ["Characteristic", "Overall", *self.groups]
        if self.compare:
            columns += ["p", "test"]
        if self.shift_label:
            columns.insert(columns.index("p"), "shift")
        display = pd.DataFrame(self.display_rows).reindex(columns=columns).fillna("")
        display = display.rename(
            columns=head | {"p": "p-value", "test": "Test", "shift": self.shift_label or ""}
        )
        tests = tuple(sorted(self.tests_used))
        extra = (
            (
                "p-values compare the groups: " + "; ".join(tests) + ". Categorical variables "
                "use chi-square when Cochran's rule holds, otherwise Fisher's exact test; "
                "continuous variables the Mann-Whitney U or Kruskal-Wallis test. Two-sided, "
                "no adjustment for multiple comparisons."
                + (
                    " Shift: Hodges-Lehmann estimate of the difference between the two groups "
                    "(median of all pairwise differences) with its exact 95 % CI."
                    if self.shift_label
                    else ""
                ),
            )
            if tests
            else ()
        )
        return ReportTable(key, title, pd.DataFrame(self.data_rows), display, notes + extra)
