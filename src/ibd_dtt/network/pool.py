"""Pooling site packages: the network's results from aggregates only.

Exactly poolable (equal to the central analysis of the concatenated data when no cell was
suppressed): counts and proportions with their exact CIs, attrition, means and SDs (from
n, sum and sum of squares), adverse-event counts, exposure time and EAIR, and the
Kaplan-Meier curve with its CI and numbers at risk when every site shared its risk table at
day resolution (``--km-steps``), up to the shortest follow-up any site shared.

Approximate (marked ≈ in the report, with their error bound): medians and quartiles from
the binned distributions (the true value lies between the bounds written beside it,
computed from the bin limits), and the Kaplan-Meier curve from month-grid risk tables
(events and censorings spread evenly over each shared interval).

A cell a site suppressed is never treated as zero: the pooled value leaves that site out
and names it (``sites_left_out``), and the report says so under the table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ibd_dtt.errors import IbdDttError
from ibd_dtt.network.package import (
    DAYS_PER_MONTH,
    DAYS_PER_YEAR,
    SitePackage,
    read_site_package,
)
from ibd_dtt.stats import fisher_exact_rxc, incidence_rate, kaplan_meier, proportion_ci
from ibd_dtt.stats.meta import meta_proportions

OUTCOME_KEYS = ["definition_set", "strategy", "outcome", "timepoint", "group"]
KM_TIMES = (0, 3, 6, 9, 12)


class PoolError(IbdDttError):
    """Packages that cannot be pooled (the message says why)."""


@dataclass(frozen=True)
class PooledStudy:
    """The pooled results of a network's site packages (each frame: numbers, no text)."""

    packages: tuple[SitePackage, ...]
    outcomes: pd.DataFrame
    site_outcomes: pd.DataFrame
    meta: pd.DataFrame
    attrition: pd.DataFrame
    categorical: pd.DataFrame
    continuous: pd.DataFrame
    safety: pd.DataFrame
    persistence: pd.DataFrame  # pseudo-patients rebuilt from the summed risk tables
    persistence_until_months: float | None
    persistence_exact: bool
    ci_method: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def sites(self) -> tuple[str, ...]:
        return tuple(p.site for p in self.packages)

    @property
    def primary_analysis(self) -> tuple[str, str]:
        definition_set, strategy = self.packages[0].manifest["primary_analysis"].split("/")
        return definition_set, strategy

    def kaplan_meier(self, group: str = "all"):
        """The pooled Kaplan-Meier persistence curve of ``group`` (months), or None."""
        data = self.persistence
        data = data[data["curve"] == group]
        if data.empty:
            return None
        times = [t for t in KM_TIMES if t <= (self.persistence_until_months or 0)]
        return kaplan_meier(data["months"], data["ended"], times)


def _analysis_key(a: dict) -> tuple:
    return (
        a["definition_set"],
        a["definition_sha256"],
        a["strategy"],
        a["windows_sha256"],
        a["after_episode"],
    )


def check_compatible(packages: list[SitePackage]) -> list[str]:
    """Refuse packages that do not describe the same analysis; returns notes on the
    differences that are allowed (minimum cell counts, Kaplan-Meier resolution, versions)."""
    if len(packages) < 2:
        raise PoolError("pooling needs the packages of at least two sites")
    names = [p.site for p in packages]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise PoolError(
            f"two packages name the same site ({', '.join(repeated)}): each site's package "
            "is pooled once; check that no file was given twice"
        )
    first = packages[0]
    reference = [_analysis_key(a) for a in first.manifest["analyses"]]
    for p in packages[1:]:
        mine = [_analysis_key(a) for a in p.manifest["analyses"]]
        if mine == reference:
            continue
        ours = {k[0] + "/" + k[2]: k for k in reference}
        theirs = {k[0] + "/" + k[2]: k for k in mine}
        if set(ours) != set(theirs):
            raise PoolError(
                f"site {p.site} ran the analyses {', '.join(theirs)}, site {first.site} "
                f"ran {', '.join(ours)}: every site must run the same definition sets and "
                "missing-data strategies"
            )
        for name, key in ours.items():
            if theirs[name][1] != key[1]:
                raise PoolError(
                    f"site {p.site} used different {key[0]} outcome definitions from site "
                    f"{first.site} (the rules differ, not only the name): every site must use "
                    "the same definition file"
                )
            if theirs[name][3:] != key[3:]:
                raise PoolError(
                    f"site {p.site} used different visit windows (or --after-episode) from "
                    f"site {first.site}: every site must use the same windows"
                )
        raise PoolError(
            f"site {p.site} lists its analyses in another order than site {first.site}: "
            "every site must name the primary analysis first, in the same order"
        )
    for p in packages[1:]:
        if p.manifest["bins"] != first.manifest["bins"]:
            raise PoolError(
                f"site {p.site} binned its distributions differently from site {first.site} "
                f"(ibd-dtt {p.manifest['ibd_dtt_version']} vs "
                f"{first.manifest['ibd_dtt_version']}): make every package with the same "
                "ibd-dtt version"
            )
    notes = []
    study_names = {p.site: p.manifest.get("study_name") for p in packages}
    if len(set(study_names.values())) > 1:
        named = "; ".join(f"{site}: {name or '(none)'}" for site, name in study_names.items())
        notes.append(
            f"Sites named the study differently ({named}); the report uses {first.site}'s "
            "name. The analyses themselves are the same (checked above)."
        )
    versions = sorted({p.manifest["ibd_dtt_version"] for p in packages})
    if len(versions) > 1:
        notes.append(f"Packages were made with ibd-dtt versions {', '.join(versions)}.")
    counts = sorted({int(p.manifest["min_cell_count"]) for p in packages})
    notes.append(
        "Minimum cell count applied by the sites: " + ", ".join(str(c) for c in counts) + "."
    )
    return notes


def read_packages(paths) -> list[SitePackage]:
    return [read_site_package(Path(p)) for p in paths]


# ---------------------------------------------------------------------------- outcomes


def _wide(frame: pd.DataFrame, keys: list[str], column: str = "statistic") -> pd.DataFrame:
    """Long (keys, statistic, value, suppression) -> one row per keys, a column per
    statistic, NaN where hidden."""
    values = frame.assign(value=pd.to_numeric(frame["value"], errors="coerce"))
    # unstack, not pivot_table: only the key combinations a site wrote (no cartesian
    # product of outcomes and timepoints that do not go together)
    wide = values.set_index([*keys, column])["value"].unstack(column)
    # unstack sorts: back to the order the site wrote (outcomes, then timepoints in time)
    return wide.reindex(pd.MultiIndex.from_frame(values[keys].drop_duplicates()))


def pool_outcomes(packages: list[SitePackage], ci_method: str):
    """(pooled, per site): responders/evaluable per definition set, strategy, outcome,
    timepoint and group, summed over the sites that published both counts."""
    per_site = []
    for p in packages:
        wide = _wide(p.tables["outcome_counts.csv"], OUTCOME_KEYS).reset_index()
        wide.columns.name = None
        per_site.append(wide.assign(site=p.site))
    sites = pd.concat(per_site, ignore_index=True)
    for column in ("patients", "evaluable", "not_evaluable", "responders", "non_responders"):
        if column not in sites:
            sites[column] = np.nan
    sites["shown"] = sites["responders"].notna() & sites["evaluable"].notna()
    rows = []
    for key, block in sites.groupby(OUTCOME_KEYS, sort=False):
        shown = block[block["shown"]]
        left_out = sorted(block.loc[~block["shown"], "site"])
        missing = sorted(set(p.site for p in packages) - set(block["site"]))
        responders, evaluable = int(shown["responders"].sum()), int(shown["evaluable"].sum())
        ci = proportion_ci(responders, evaluable, ci_method)
        rows.append(
            dict(
                zip(OUTCOME_KEYS, key, strict=True),
                responders=responders,
                evaluable=evaluable,
                patients=block["patients"].sum(min_count=1)
                if block["patients"].notna().all()
                else np.nan,
                percent=ci.percent,
                ci_low=ci.ci_low,
                ci_high=ci.ci_high,
                sites=len(shown),
                sites_left_out="; ".join(left_out + missing),
            )
        )
    pooled = pd.DataFrame(rows)
    sites = sites.assign(
        percent=[
            100 * r / e if s and e > 0 else np.nan
            for r, e, s in zip(sites["responders"], sites["evaluable"], sites["shown"], strict=True)
        ]
    )
    return pooled, sites


def meta_analyse(site_rows: pd.DataFrame, pooled: pd.DataFrame) -> pd.DataFrame:
    """Random-effects meta-analysis (DerSimonian-Laird and Paule-Mandel) of the sites'
    proportions for every outcome x timepoint of group "all", with Fisher's exact test
    across sites; sites whose counts were suppressed are left out and listed."""
    rows = []
    keys = ["definition_set", "strategy", "outcome", "timepoint"]
    data = site_rows[(site_rows["group"] == "all") & site_rows["shown"]]
    for key, block in data.groupby(keys, sort=False):
        used = block[block["evaluable"] > 0]
        events = used["responders"].astype(int).tolist()
        totals = used["evaluable"].astype(int).tolist()
        table = [events, [t - e for t, e in zip(totals, events, strict=True)]]
        exact = fisher_exact_rxc(table) if len(used) >= 2 else None
        dl = meta_proportions(events, totals, used["site"], "dl")
        pm = meta_proportions(events, totals, used["site"], "pm")
        row = dict(zip(keys, key, strict=True))
        row.update(
            sites=dl.k,
            exact_test=exact.test if exact else "none",
            exact_pvalue=exact.pvalue if exact else None,
            dl_proportion=dl.proportion,
            dl_ci_low=dl.ci_low,
            dl_ci_high=dl.ci_high,
            tau2=dl.tau2,
            i2=dl.i2,
            q=dl.q,
            q_pvalue=dl.q_pvalue,
            pm_proportion=pm.proportion,
            pm_ci_low=pm.ci_low,
            pm_ci_high=pm.ci_high,
            pm_tau2=pm.tau2,
            continuity_corrected="; ".join(dl.corrected),
        )
        rows.append(row)
    meta = pd.DataFrame(rows)
    if meta.empty:
        return meta
    left = pooled[pooled["group"] == "all"][[*keys, "sites_left_out"]]
    return meta.merge(left, on=keys, how="left")


def forest_rates(study: PooledStudy, outcomes) -> pd.DataFrame:
    """The primary analysis in the frame :func:`~ibd_dtt.report.figures.plot_center_forest`
    draws: one row per site (``center``) and the pooled counts (``center`` = "all"), with
    the DerSimonian-Laird estimate and heterogeneity on each row."""
    definition_set, strategy = study.primary_analysis

    def primary(frame):
        return frame[
            (frame["definition_set"] == definition_set)
            & (frame["strategy"] == strategy)
            & (frame["group"] == "all")
            & frame["outcome"].isin(outcomes)
        ]

    sites = primary(study.site_outcomes)
    sites = sites[sites["shown"]].assign(center=lambda f: f["site"])
    intervals = [
        proportion_ci(int(r), int(e), study.ci_method)
        for r, e in zip(sites["responders"], sites["evaluable"], strict=True)
    ]
    sites = sites.assign(
        ci_low=[p.ci_low for p in intervals],
        ci_high=[p.ci_high for p in intervals],
        percent=[p.percent for p in intervals],
    )
    pooled = primary(study.outcomes).assign(center="all")
    columns = ["outcome", "timepoint", "center", "responders", "evaluable", "percent"]
    frame = pd.concat(
        [pooled[[*columns, "ci_low", "ci_high"]], sites[[*columns, "ci_low", "ci_high"]]],
        ignore_index=True,
    )
    meta = study.meta
    if not meta.empty:
        meta = meta[(meta["definition_set"] == definition_set) & (meta["strategy"] == strategy)]
        meta = meta.rename(
            columns={
                "dl_proportion": "pooled_random_effects",
                "dl_ci_low": "pooled_ci_low",
                "dl_ci_high": "pooled_ci_high",
            }
        )[
            [
                "outcome",
                "timepoint",
                "pooled_random_effects",
                "pooled_ci_low",
                "pooled_ci_high",
                "tau2",
                "i2",
                "exact_pvalue",
            ]
        ]
        frame = frame.merge(meta, on=["outcome", "timepoint"], how="left")
    order = {c: i for i, c in enumerate(["all", *study.sites])}
    pairs = list(dict.fromkeys(zip(pooled["outcome"], pooled["timepoint"], strict=True)))
    first = {pair: i for i, pair in enumerate(pairs)}
    frame = frame.assign(
        _pair=[first.get(p, 0) for p in zip(frame["outcome"], frame["timepoint"], strict=True)],
        _site=frame["center"].map(order),
    ).sort_values(["_pair", "_site"], kind="stable")
    return frame.drop(columns=["_pair", "_site"]).reset_index(drop=True)


# ------------------------------------------------------------------- other statistics


def pool_attrition(packages: list[SitePackage]) -> pd.DataFrame:
    """Patients at each step of the flow, summed; a step a site hid or did not report is
    not summed as zero (``sites_left_out``)."""
    frames = []
    for p in packages:
        a = p.tables["attrition.csv"]
        frames.append(a.assign(site=p.site, value=pd.to_numeric(a["value"], errors="coerce")))
    data = pd.concat(frames, ignore_index=True)
    rows = []
    for step in dict.fromkeys(data.sort_values("order", kind="stable")["step"]):
        block = data[data["step"] == step]
        shown = block[block["value"].notna()]
        left_out = sorted(set(block.loc[block["value"].isna(), "site"]))
        left_out += sorted({p.site for p in packages} - set(block["site"]))
        rows.append(
            {
                "step": step,
                "patients": int(shown["value"].sum()),
                "sites": len(shown),
                "sites_left_out": "; ".join(left_out),
            }
        )
    return pd.DataFrame(rows)


def pool_categorical(packages: list[SitePackage]) -> pd.DataFrame:
    """Patients per level of every characteristic and group, summed over the sites that
    published the level's count."""
    keys = ["table", "variable", "level", "group"]
    frames = []
    for p in packages:
        c = p.tables["categorical_counts.csv"]
        frames.append(c.assign(site=p.site, value=pd.to_numeric(c["value"], errors="coerce")))
    data = pd.concat(frames, ignore_index=True)
    every = {p.site for p in packages}
    rows = []
    for key, block in data.groupby(keys, sort=False):
        shown = block[block["value"].notna()]
        # a site without the row did not report it (e.g. no patient exposed to a drug, so
        # its table has no line for that drug): left out and named, not counted as zero
        left = sorted(set(block.loc[block["value"].isna(), "site"]) | (every - set(block["site"])))
        rows.append(
            dict(
                zip(keys, key, strict=True),
                n=int(shown["value"].sum()),
                sites=len(shown),
                sites_left_out="; ".join(left),
            )
        )
    return pd.DataFrame(rows, columns=[*keys, "n", "sites", "sites_left_out"])


def _moments(frame: pd.DataFrame) -> tuple[int, float | None, float | None]:
    n = int(frame["n"].sum())
    if n == 0:
        return 0, None, None
    total, squares = float(frame["sum"].sum()), float(frame["sum_squares"].sum())
    mean = total / n
    sd = float(np.sqrt(max(0.0, (squares - n * mean**2) / (n - 1)))) if n > 1 else None
    return n, mean, sd


def quantile_bounds(
    bins: pd.DataFrame, p: float, discrete: bool = False
) -> tuple[float | None, float, float]:
    """(estimate, lower, upper) of the ``p`` quantile of values known only by bins
    (``bin_low``, ``bin_high``, ``value`` = count; several sites' bins may overlap).

    The bounds hold for SPSS's (n + 1) p definition (the report's): the quantile lies between
    the k-th and (k+1)-th smallest values, and the k-th smallest value lies between the k-th
    smallest bin lower limit and the k-th smallest upper limit (each value counted once
    with its bin's limits). The estimate interpolates linearly within bins (grouped-data
    quantile); for whole numbers (``discrete``) it is SPSS's quantile of the bins' values
    spread evenly over their whole numbers, exact when the quantile falls in unmerged bins
    [k, k + 1).

    >>> b = pd.DataFrame({"bin_low": [0, 10], "bin_high": [10, 20], "value": [5, 5]})
    >>> quantile_bounds(b, 0.5)
    (10.0, 0.0, 20.0)
    """
    b = bins[bins["value"] > 0]
    counts = b["value"].to_numpy(int)
    n = int(counts.sum())
    if n == 0:
        return None, np.nan, np.nan
    lows = np.repeat(b["bin_low"].to_numpy(float), counts)
    highs = np.repeat(b["bin_high"].to_numpy(float), counts)
    lows.sort()
    highs.sort()
    h = (n + 1) * p
    k_low = int(min(max(np.floor(h), 1), n))
    k_high = int(min(max(np.ceil(h), 1), n))
    lower, upper = float(lows[k_low - 1]), float(highs[k_high - 1])
    if discrete:
        # the values of a bin spread evenly over its whole numbers (exact for an unmerged
        # bin [k, k + 1), which holds k only), then SPSS's quantile of them
        spread = np.concatenate(
            [
                lo + np.floor((np.arange(c) + 0.5) * (hi - lo) / c)
                for lo, hi, c in zip(b["bin_low"], b["bin_high"], counts, strict=True)
            ]
        )
        estimate = float(np.quantile(np.sort(spread), p, method="weibull"))
        upper = max(upper - 1.0, lower)  # a whole number in [k, k + 1) is at most k
        return float(min(max(estimate, lower), upper)), lower, upper
    # grouped-data estimate: invert the piecewise-linear CDF at p * n
    grid = np.unique(np.concatenate([b["bin_low"].to_numpy(float), b["bin_high"].to_numpy(float)]))
    width = (b["bin_high"] - b["bin_low"]).to_numpy(float)
    cdf = np.array(
        [
            float((counts * np.clip((x - b["bin_low"].to_numpy(float)) / width, 0, 1)).sum())
            for x in grid
        ]
    )
    estimate = float(np.interp(p * n, cdf, grid))
    return float(min(max(estimate, lower), upper)), lower, upper


def pool_continuous(packages: list[SitePackage]) -> pd.DataFrame:
    """Per variable and group: n, mean and SD from the summed moments (exact), and the
    median and quartiles from the summed bins (approximate, with bounds and the widest bin
    that entered them)."""
    bins = pd.concat(
        [p.tables["continuous_bins.csv"].assign(site=p.site) for p in packages],
        ignore_index=True,
    )
    moments = pd.concat(
        [p.tables["continuous_moments.csv"].assign(site=p.site) for p in packages],
        ignore_index=True,
    )
    meta = packages[0].manifest["bins"]
    rows = []
    for (variable, group), block in moments.groupby(["variable", "group"], sort=False):
        shown = block[block["n"].notna()]
        n, mean, sd = _moments(shown)
        row = {
            "variable": variable,
            "label": meta.get(variable, {}).get("label", variable),
            "unit": meta.get(variable, {}).get("unit", ""),
            "group": group,
            "n": n,
            "mean": mean,
            "sd": sd,
            "sites": len(shown),
            "sites_left_out": "; ".join(sorted(block.loc[block["n"].isna(), "site"])),
        }
        b = bins[(bins["variable"] == variable) & (bins["group"] == group)]
        b = b[b["site"].isin(shown["site"])]
        binned = int(b["value"].sum())
        for name, p in (("q1", 0.25), ("median", 0.5), ("q3", 0.75)):
            discrete = bool(meta.get(variable, {}).get("discrete"))
            est, low, high = quantile_bounds(b, p, discrete) if binned else (None, np.nan, np.nan)
            row[name], row[f"{name}_low"], row[f"{name}_high"] = est, low, high
        row["binned"] = binned
        row["widest_bin"] = float((b["bin_high"] - b["bin_low"]).max()) if len(b) else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


_SAFETY_PATIENTS = ("patients_with_adverse_event", "patients_with_serious_adverse_event")


def pool_safety(packages: list[SitePackage]) -> pd.DataFrame:
    """Per group and item: the summed count (or exposure), the share of patients with an
    event (exact CI) and the exposure-adjusted incidence rate per 100 patient-years
    (exact Poisson CI) from the summed events and exposure."""
    data = pd.concat(
        [
            p.tables["safety_counts.csv"].assign(
                site=p.site, value=lambda f: pd.to_numeric(f["value"], errors="coerce")
            )
            for p in packages
        ],
        ignore_index=True,
    )
    rows = []
    every = {p.site for p in packages}
    for (item, group), block in data.groupby(["item", "group"], sort=False):
        shown = block[block["value"].notna()]
        left = set(block.loc[block["value"].isna(), "site"]) | (every - set(block["site"]))
        rows.append(
            {
                "item": item,
                "group": group,
                "value": float(shown["value"].sum()),
                "sites": len(shown),
                "sites_left_out": "; ".join(sorted(left)),
            }
        )
    value = {(r["item"], r["group"]): r["value"] for r in rows}
    complete = {(r["item"], r["group"]): not r["sites_left_out"] for r in rows}
    for r in rows:
        total = ("patients", r["group"])
        if (
            r["item"] in _SAFETY_PATIENTS
            and complete[(r["item"], r["group"])]
            and complete.get(total)
        ):
            ci = proportion_ci(int(r["value"]), int(value[total]))
            r.update(percent=ci.percent, ci_low=ci.ci_low, ci_high=ci.ci_high)
    for group in dict.fromkeys(r["group"] for r in list(rows)):
        for events, exposure in (
            ("adverse_events", "person_years"),
            ("patients_with_adverse_event", "person_years_to_first_event"),
        ):
            if not (complete.get((events, group)) and complete.get((exposure, group))):
                continue  # a hidden count or exposure: no rate rather than a wrong one
            rate = incidence_rate(int(value[(events, group)]), value[(exposure, group)])
            rows.append(
                {
                    "item": f"eair: {events}",
                    "group": group,
                    "value": float(rate.events),
                    "person_years": rate.person_years,
                    "rate": rate.rate,
                    "ci_low": rate.ci_low,
                    "ci_high": rate.ci_high,
                    "sites": len(packages),
                    "sites_left_out": "",
                }
            )
    columns = ["item", "group", "value", "percent", "person_years", "rate", "ci_low", "ci_high"]
    return pd.DataFrame(rows).reindex(columns=[*columns, "sites", "sites_left_out"])


def pool_persistence(packages: list[SitePackage]):
    """(pseudo-patients, shown until (months), exact): each site's risk table rebuilt as
    pseudo-patients, one set per curve (``curve``: all, UC, CD ...; ``diagnosis`` is the
    group for the group curves), every duration cut at the shortest follow-up any site
    shared for any curve (censored there), so that the pooled Kaplan-Meier curves and
    numbers at risk up to that time are those of the central data (day resolution) or
    approximate (month grid: each interval's events and censorings spread evenly over it;
    numbers at risk exact at the interval limits)."""
    columns = ["curve", "diagnosis", "months", "ended"]
    tables = [p.tables["persistence_counts.csv"] for p in packages]
    if any(t.empty for t in tables):
        return pd.DataFrame(columns=columns), None, False
    curves = set.intersection(*[set(t["group"]) for t in tables])
    if "all" not in curves:
        return pd.DataFrame(columns=columns), None, False
    exact = all(p.manifest["km_resolution"] == "steps" for p in packages)
    # a group curve whose month-grid table has an interval of more than a year within the
    # first year at some site (a small site: its intervals were joined until no count was
    # small) would be a straight line through that year: not shown
    for t in tables:
        grid = t[(t["interval_end_days"] > t["interval_start_days"]) & (t["group"] != "all")]
        coarse = grid[
            (grid["interval_start_days"] < DAYS_PER_YEAR)
            & (grid["interval_end_days"] - grid["interval_start_days"] > DAYS_PER_YEAR)
        ]
        curves -= set(coarse["group"])
    frames, ends = [], []
    for t, package in zip(tables, packages, strict=True):
        by_day = package.manifest["km_resolution"] == "steps"
        for curve, block in t[t["group"].isin(curves)].groupby("group", sort=False):
            days, ended = [], []
            for r in block.itertuples(index=False):
                start = float(r.interval_start_days)
                width = 0.0 if by_day else float(r.interval_end_days) - start
                for count, flag in ((int(r.events), True), (int(r.censored), False)):
                    # a day-level row: on its day; a month-grid row: spread evenly over its
                    # interval (the actuarial assumption), not piled up at one end
                    days += list(start + (np.arange(count) + 0.5) / max(count, 1) * width)
                    ended += [flag] * count
            last = block.iloc[-1]
            end = float(last["interval_start_days"] if by_day else last["interval_end_days"])
            remaining = int(last["at_risk"] - last["events"] - last["censored"])
            days += [end] * remaining
            ended += [False] * remaining
            frames.append(
                pd.DataFrame(
                    {
                        "curve": curve,
                        "diagnosis": "" if curve == "all" else curve,
                        "days": days,
                        "ended": ended,
                    }
                )
            )
            ends.append(end)
    data = pd.concat(frames, ignore_index=True)
    until = min(ends)
    beyond = data["days"] > until
    data.loc[beyond, "days"] = until
    data.loc[beyond, "ended"] = False
    data = data.assign(months=data["days"] / DAYS_PER_MONTH)
    return data[columns], until / DAYS_PER_MONTH, exact


def pool_packages(packages: list[SitePackage], ci_method: str | None = None) -> PooledStudy:
    """Pool site packages (already read) into one :class:`PooledStudy`."""
    notes = check_compatible(packages)
    ci_method = ci_method or packages[0].manifest["ci_method"]
    pooled, site_rows = pool_outcomes(packages, ci_method)
    meta = meta_analyse(site_rows, pooled)
    persistence, until, exact = pool_persistence(packages)
    return PooledStudy(
        packages=tuple(packages),
        outcomes=pooled,
        site_outcomes=site_rows,
        meta=meta,
        attrition=pool_attrition(packages),
        categorical=pool_categorical(packages),
        continuous=pool_continuous(packages),
        safety=pool_safety(packages),
        persistence=persistence,
        persistence_until_months=until,
        persistence_exact=exact,
        ci_method=ci_method,
        notes=tuple(notes),
    )


__all__ = [
    "PoolError",
    "PooledStudy",
    "check_compatible",
    "pool_packages",
    "quantile_bounds",
    "read_packages",
]
