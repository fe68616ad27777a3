"""Publication figures (matplotlib, Agg backend): PNG at 300 dpi plus SVG.

Each ``plot_*`` function takes computed tables (never raw files) and returns a Figure;
``render_figures`` draws them all and ``save_figure`` writes both formats with fixed metadata
so that two runs give identical files.
"""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.patches import FancyBboxPatch, PathPatch
from matplotlib.path import Path as MplPath

from ibd_dtt.episodes.episodes import DAYS_PER_MONTH
from ibd_dtt.report.cohort import is_on_dtt
from ibd_dtt.report.figure_inputs import CENTER_FOREST, FigureError, FigureFiles, FigureInputs
from ibd_dtt.stats import kaplan_meier
from ibd_dtt.stats.format import format_pvalue

DPI = 300
COLORS = {"all": "#333333", "UC": "#1f77b4", "CD": "#d62728", "IBDU": "#2ca02c"}
STATUS_COLORS = {
    "maintained": "#2ca02c",
    "de-escalated": "#1f77b4",
    "switched": "#ff7f0e",
    "stopped": "#7f7f7f",
}
SWIMMER_MAX_PATIENTS = 60
# The swimmer axis covers every bar up to this many months; longer bars are cut at
# SWIMMER_CUT_MONTHS, marked with a break and their length (the caption says so).
SWIMMER_AXIS_MAX_MONTHS = 36
SWIMMER_CUT_MONTHS = 24
TRAJECTORY_MAX_PATIENTS = 200
TIMEPOINT_MONTHS = {"month_3": 3, "month_6": 6, "month_9": 9, "month_12": 12}
plt.rcParams.update(
    {
        "svg.hashsalt": "ibd-dtt",  # stable element ids in SVG output
        "font.size": 8,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "savefig.bbox": "tight",
    }
)


def save_figure(fig, name: str, title: str) -> FigureFiles:
    """PNG (300 dpi) and SVG bytes with no timestamps, then close the figure.

    The tight bounding box is computed once for both formats (``savefig`` would lay the
    figure out again for each), and the PNG is compressed with zlib level 1: about 20 %
    larger files, a third less time, the same pixels.
    """
    bbox = fig.get_tightbbox().padded(plt.rcParams["savefig.pad_inches"])
    png, svg = io.BytesIO(), io.BytesIO()
    fig.savefig(
        png,
        format="png",
        dpi=DPI,
        bbox_inches=bbox,
        metadata={"Software": None},
        pil_kwargs={"compress_level": 1},
    )
    fig.savefig(svg, format="svg", bbox_inches=bbox, metadata={"Date": None, "Creator": None})
    plt.close(fig)
    return FigureFiles(name, title, png.getvalue(), svg.getvalue())


def plot_response_rates(rates: pd.DataFrame, outcome_labels: dict[str, str]):
    """Response rate (%) with 95 % CI per timepoint, one panel per outcome, by group."""
    outcomes = [
        o for o in ("clinical_response", "endoscopic_response") if o in set(rates["outcome"])
    ]
    fig, axes = plt.subplots(1, max(len(outcomes), 1), figsize=(7.0, 3.0), squeeze=False)
    for ax, outcome in zip(axes[0], outcomes, strict=False):
        part = rates[(rates["outcome"] == outcome) & (rates["evaluable"] > 0)]
        timepoints = [
            t
            for t in ("month_3", "month_6", "month_9", "month_12", "by_month_9")
            if t in set(part["timepoint"])
        ]
        groups = [g for g in ("all", "UC", "CD", "IBDU") if g in set(part["group"])]
        width = 0.8 / max(len(groups), 1)
        for i, group in enumerate(groups):
            sub = part[part["group"] == group].set_index("timepoint").reindex(timepoints)
            x = np.arange(len(timepoints)) + (i - (len(groups) - 1) / 2) * width
            pct = sub["percent"].to_numpy(dtype=float)
            low = pct - 100 * sub["ci_low"].to_numpy(dtype=float)
            high = 100 * sub["ci_high"].to_numpy(dtype=float) - pct
            ax.bar(
                x,
                pct,
                width,
                color=COLORS.get(group, "#999999"),
                alpha=0.85,
                label="Overall" if group == "all" else group,
            )
            ax.errorbar(
                x, pct, yerr=[low, high], fmt="none", ecolor="black", capsize=2, linewidth=0.7
            )
            # n/N above the upper confidence limit: never crossed by the error bar
            for xi, r in zip(x, sub.itertuples(), strict=True):
                if not pd.isna(r.evaluable):
                    ax.text(
                        xi,
                        100 * float(r.ci_high) + 2,
                        f"{int(r.responders)}/{int(r.evaluable)}",
                        ha="center",
                        va="bottom",
                        fontsize=5.5,
                        rotation=90,
                        color="black",
                    )
        ax.set_xticks(np.arange(len(timepoints)))
        ax.set_xticklabels(
            [t.replace("month_", "").replace("by_", "≤ ") + " mo" for t in timepoints]
        )
        ax.set_ylim(0, 128)  # room for the n/N labels above a CI that reaches 100 %
        ax.set_yticks(range(0, 101, 20))
        ax.set_ylabel("Patients responding, % (95 % CI)")
        ax.set_title(outcome_labels.get(outcome, outcome), fontsize=9)
    if axes[0][0].get_legend_handles_labels()[0]:
        axes[0][0].legend(
            frameon=False, fontsize=7, loc="lower left", bbox_to_anchor=(0, 1.1), ncol=4
        )
    return fig


def swimmer_position(month: np.ndarray, length: np.ndarray, shown: np.ndarray) -> np.ndarray:
    """Where a mark at `month` sits on a bar of true `length` drawn `shown` months long.

    On a bar cut with a break, the months after the break (at `shown` - 1.6) are squeezed
    into the bar's last 0.4 month, so a late adverse event is still drawn, after the "//",
    in order, never off the axis. Uncut bars are unchanged.
    """
    month = np.asarray(month, float)
    length = np.asarray(length, float)
    shown = np.asarray(shown, float)
    start = shown - 1.6
    cut = length > shown
    squeezed = shown - 0.4 + 0.4 * (month - start) / np.maximum(length - start, 1e-9)
    return np.where(cut & (month > start), squeezed, month)


def plot_swimmer(patients: pd.DataFrame, outcomes: pd.DataFrame, adverse_events: pd.DataFrame):
    """One bar per patient: months on DTT, clinical response at each visit, adverse events,
    and how DTT ended (arrow = ongoing at the data cut)."""
    if len(patients) > SWIMMER_MAX_PATIENTS:  # a readable sample, the same on every run
        step = len(patients) / SWIMMER_MAX_PATIENTS
        keep = [int(i * step) for i in range(SWIMMER_MAX_PATIENTS)]
        patients = patients.sort_values("patient_id").iloc[keep]
    p = patients.sort_values(["diagnosis", "duration_months"], ascending=[False, True])
    p = p.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(7.0, 0.25 * len(p) + 1.2))
    response = outcomes[outcomes["outcome"] == "clinical_response"]
    longest = float(p["duration_months"].max()) if len(p) else 0.0
    cut = longest > SWIMMER_AXIS_MAX_MONTHS
    xmax = SWIMMER_CUT_MONTHS + 1.5 if cut else max(12.5, longest + 1)
    # one artist per kind of mark, not one per mark: a figure of 60 patients has hundreds
    # of marks, and each artist costs time in every PNG and SVG rendering
    months = p["duration_months"].astype(float).to_numpy()
    shown = np.minimum(months, xmax - 0.5)
    rows = np.arange(len(p))
    ax.barh(
        rows,
        shown,
        color=[COLORS.get(d, "#999") for d in p["diagnosis"]],
        alpha=0.35,
        height=0.6,
    )
    for y in np.flatnonzero(months > xmax - 0.5):
        # the break inside the bar's end, its true length before it
        ax.text(shown[y] - 0.8, y, "//", ha="center", va="center", fontsize=7, weight="bold")
        ax.text(shown[y] - 1.5, y, f"{months[y]:.0f} mo", ha="right", va="center", fontsize=6)
    ongoing = p["ongoing_at_data_cut"].astype(bool).to_numpy()
    if ongoing.any():
        ax.plot(shown[ongoing] + 0.25, rows[ongoing], ">", color="black", markersize=4)
    status = p["status"].to_numpy(object)
    for name, color in {**STATUS_COLORS, None: "k"}.items():
        ended = ~ongoing & ((status == name) if name else ~np.isin(status, list(STATUS_COLORS)))
        if ended.any():
            ax.plot(shown[ended], rows[ended], "s", color=color, markersize=4)
    row_of = dict(zip(p["patient_id"], rows, strict=True))
    marks = response[
        response["patient_id"].isin(row_of)
        & response["timepoint"].isin(list(TIMEPOINT_MONTHS))
        & response["result"].isin(["yes", "no"])
    ]
    for result, marker, face in (("yes", "o", "black"), ("no", "X", "none")):
        chosen = marks[marks["result"] == result]
        if len(chosen):
            ax.plot(
                chosen["timepoint"].map(TIMEPOINT_MONTHS).to_numpy(float),
                chosen["patient_id"].map(row_of).to_numpy(float),
                marker,
                color="black",
                markersize=3.5,
                markerfacecolor=face,
            )
    events = adverse_events[
        adverse_events["patient_id"].isin(row_of) & adverse_events["during_dtt"].astype(bool)
    ]
    if len(events):
        event_rows = events["patient_id"].map(row_of).to_numpy(int)
        ax.plot(
            swimmer_position(
                events["onset_day"].to_numpy(float) / DAYS_PER_MONTH,
                months[event_rows],
                shown[event_rows],
            ),
            event_rows + 0.3,
            "v",
            color="#9467bd",
            markersize=4,
        )
    ax.set_yticks(range(len(p)))
    ax.set_yticklabels(
        [f"{pid} ({dx})" for pid, dx in zip(p["patient_id"], p["diagnosis"], strict=True)],
        fontsize=6,
    )
    ax.set_xlim(0, xmax)
    ax.set_xlabel("Months since DTT start")
    handles = [
        plt.Line2D([], [], marker="o", color="black", linestyle="", label="clinical response"),
        plt.Line2D(
            [],
            [],
            marker="X",
            color="black",
            markerfacecolor="none",
            linestyle="",
            label="no response",
        ),
        plt.Line2D([], [], marker="v", color="#9467bd", linestyle="", label="adverse event"),
        *[
            plt.Line2D([], [], marker="s", color=c, linestyle="", label=f"ended: {s}")
            for s, c in STATUS_COLORS.items()
            if s in set(p["status"])
        ],
        plt.Line2D([], [], marker=">", color="black", linestyle="", label="on DTT at data cut"),
    ]
    # outside the data: a legend inside would cover some patient's marks
    ax.legend(
        handles=handles, frameon=False, fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1)
    )
    return fig


def plot_lab_trajectories(visits: pd.DataFrame, patients: pd.DataFrame):
    """CRP and albumin per patient over the visit windows, with group means."""
    windows = {"baseline": 0, **TIMEPOINT_MONTHS}
    dx = patients.set_index("patient_id")["diagnosis"]
    v = visits[
        visits["parameter"].isin(["crp", "albumin"])
        & visits["window"].isin(windows)
        & visits["patient_id"].isin(dx.index)
        & is_on_dtt(visits)
    ].copy()
    v["month"] = v["window"].map(windows)
    v["diagnosis"] = v["patient_id"].map(dx)
    fig, axes = plt.subplots(1, 2, figsize=(7.0, 2.8))
    for ax, (parameter, label) in zip(
        axes, (("crp", "CRP, mg/L"), ("albumin", "Albumin, g/L")), strict=True
    ):
        part = v[v["parameter"] == parameter]
        lines = part if dx.size <= TRAJECTORY_MAX_PATIENTS else part.iloc[0:0]
        for (_pid, group), line in lines.groupby(["patient_id", "diagnosis"]):
            line = line.sort_values("month")
            ax.plot(
                line["month"],
                line["value"].astype(float),
                color=COLORS.get(group, "#999"),
                alpha=0.25,
                linewidth=0.7,
            )
        for group, sub in part.groupby("diagnosis"):
            means = sub.groupby("month")["value"].mean()
            ax.plot(
                means.index,
                means.to_numpy(dtype=float),
                color=COLORS.get(group, "#999"),
                linewidth=2,
                marker="o",
                markersize=3,
                label=f"{group} mean",
            )
        ax.set_xticks(list(windows.values()))
        ax.set_xlabel("Months since DTT start (visit window)")
        ax.set_ylabel(label)
        ax.legend(frameon=False, fontsize=6)
    return fig


def plot_kaplan_meier(
    persistence: pd.DataFrame, times=(0, 3, 6, 9, 12), overall: pd.DataFrame | None = None
):
    """Kaplan-Meier persistence on DTT by diagnosis with a numbers-at-risk table
    (``overall``: the data of the overall curve when it is not all of ``persistence``, as
    in a pooled network study, where it comes from its own risk tables)."""
    fig, (ax, table_ax) = plt.subplots(
        2, 1, figsize=(5.0, 3.8), gridspec_kw={"height_ratios": [4, 1]}, sharex=True
    )
    groups = ["all"] + [g for g in ("UC", "CD", "IBDU") if g in set(persistence["diagnosis"])]
    at_risk_rows = []
    for group in groups:
        if group == "all":
            sub = persistence if overall is None else overall
        else:
            sub = persistence[persistence["diagnosis"] == group]
        km = kaplan_meier(sub["months"], sub["ended"], times=times)
        c = km.curve
        ax.step(
            c["time"],
            100 * c["survival"],
            where="post",
            color=COLORS.get(group),
            label="Overall" if group == "all" else group,
            linewidth=1.2,
        )
        # 95 % CI as thin dotted steps: filled bands of several curves hide each other
        for bound in ("ci_low", "ci_high"):
            ax.step(
                c["time"],
                100 * c[bound],
                where="post",
                color=COLORS.get(group),
                linewidth=0.6,
                linestyle=":",
            )
        cens = c[c["censored"] > 0]
        ax.plot(cens["time"], 100 * cens["survival"], "|", color=COLORS.get(group), markersize=5)
        at_risk_rows.append(
            ("Overall" if group == "all" else group, [int(n) for n in km.at_times["at_risk"]])
        )
    ax.set_ylim(0, 105)
    ax.set_xlim(0, max(times) + 0.5)
    ax.set_ylabel("On DTT, %")
    ax.legend(frameon=False, fontsize=7, loc="lower left")
    table_ax.set_ylim(-0.5, len(at_risk_rows) - 0.5)
    for i, (label, counts) in enumerate(reversed(at_risk_rows)):
        for t, n in zip(times, counts, strict=True):
            table_ax.text(t, i, str(n), ha="center", va="center", fontsize=7)
        table_ax.text(-0.6, i, label, ha="right", va="center", fontsize=7)
    table_ax.set_yticks([])
    table_ax.spines["left"].set_visible(False)
    table_ax.set_title("Number at risk", fontsize=7, loc="left")
    table_ax.set_xticks(list(times))
    table_ax.set_xlabel("Months since DTT start")
    return fig


def _band(ax, x0, x1, y0a, y0b, y1a, y1b, color):
    """A smooth alluvial band from [y0a, y0b] at x0 to [y1a, y1b] at x1."""
    mid = (x0 + x1) / 2
    verts = [
        (x0, y0a),
        (mid, y0a),
        (mid, y1a),
        (x1, y1a),
        (x1, y1b),
        (mid, y1b),
        (mid, y0b),
        (x0, y0b),
        (x0, y0a),
    ]
    codes = [
        MplPath.MOVETO,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.LINETO,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.CURVE4,
        MplPath.CLOSEPOLY,
    ]
    ax.add_patch(PathPatch(MplPath(verts, codes), facecolor=color, alpha=0.35, lw=0))


def plot_regimen_flow(flows: pd.DataFrame):
    """Alluvial diagram: last failed advanced therapy -> DTT regimen -> status at data cut.

    ``flows`` has one row per patient with columns ``prior``, ``regimen``, ``status``.
    """
    stages = ["prior", "regimen", "status"]
    fig, ax = plt.subplots(figsize=(7.0, 4.0))
    total = len(flows)
    gap = 0.02 * total
    positions: dict[tuple[str, str], list[float]] = {}
    for s, stage in enumerate(stages):
        counts = flows[stage].value_counts().sort_index()
        y = 0.0
        for value, n in counts.items():
            positions[(stage, value)] = [y, y + n, y]  # start, end, cursor for outgoing
            ax.add_patch(
                FancyBboxPatch((s - 0.04, y), 0.08, n, boxstyle="square,pad=0", facecolor="#555555")
            )
            ax.text(
                s + (0.07 if s < 2 else -0.07),
                y + n / 2,
                f"{value} ({n})",
                ha="left" if s < 2 else "right",
                va="center",
                fontsize=7,
            )
            y += n + gap
    incoming = {key: pos[0] for key, pos in positions.items()}
    palette = plt.get_cmap("tab10")
    for s in range(len(stages) - 1):
        left, right = stages[s], stages[s + 1]
        pairs = flows.groupby([left, right]).size().sort_index()
        colors = {v: palette(i % 10) for i, v in enumerate(sorted(flows[stages[1]].unique()))}
        for (a, b), n in pairs.items():
            y0 = positions[(left, a)][2]
            positions[(left, a)][2] += n
            y1 = incoming[(right, b)]
            incoming[(right, b)] += n
            color_key = a if left == "regimen" else b
            _band(
                ax, s + 0.04, s + 1 - 0.04, y0, y0 + n, y1, y1 + n, colors.get(color_key, "#999999")
            )
    ax.set_xlim(-0.3, 2.3)
    ax.set_ylim(-gap, total + gap * 8)
    ax.invert_yaxis()
    ax.set_xticks(range(3))
    ax.set_xticklabels(["Last failed advanced therapy", "DTT regimen", "Status at data cut"])
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    return fig


def plot_flow_diagram(attrition: pd.DataFrame):
    """Eligibility flow (STROBE): input -> screened -> analysed down the middle; beside each
    arrow, a box with every step that removes patients there and its count (criteria that
    removed nobody included, with n = 0), so the diagram shows the criteria applied even
    when nobody is excluded."""
    counts = dict(zip(attrition["step"], attrition["patients"], strict=False))
    main = [s for s in ("Patients in the input", "Screened", "Analysed") if s in counts]
    steps = list(attrition["step"])
    sides: dict[int, list[str]] = {}
    for i in range(len(main) - 1):
        between = steps[steps.index(main[i]) + 1 : steps.index(main[i + 1])]
        if between:
            total = sum(int(counts[b]) for b in between)
            head = "Rejected by validation" if i == 0 and len(between) == 1 else "Excluded"
            lines = [f"{head}, n = {total}"]
            if len(between) > 1:
                lines += [f"  {b.removeprefix('Excluded: ')}: {int(counts[b])}" for b in between]
            sides[i] = lines
    side_lines = max((len(v) for v in sides.values()), default=1)
    height = 0.55 * len(main) + 0.17 * sum(len(v) for v in sides.values()) + 0.6
    fig, ax = plt.subplots(figsize=(6.4, max(2.4, height)))
    ax.set_axis_off()
    box = {"boxstyle": "round,pad=0.45", "edgecolor": "black", "linewidth": 0.6}
    # vertical positions: main boxes spaced by the side box between them
    y, ys = 0.0, []
    for i, _ in enumerate(main):
        ys.append(y)
        y -= 1.0 + 0.3 * len(sides.get(i, []))
    for name, yy in zip(main, ys, strict=True):
        ax.text(
            0.22,
            yy,
            f"{name}\nn = {int(counts[name])}",
            ha="center",
            va="center",
            fontsize=8,
            bbox={**box, "facecolor": "#f2f2f2"},
        )
    for i, lines in sides.items():
        mid = (ys[i] + ys[i + 1]) / 2
        ax.annotate(
            "",
            xy=(0.22, ys[i + 1] + 0.3),
            xytext=(0.22, ys[i] - 0.3),
            arrowprops={"arrowstyle": "->", "lw": 0.8},
        )
        ax.annotate(
            "", xy=(0.45, mid), xytext=(0.22, mid), arrowprops={"arrowstyle": "->", "lw": 0.8}
        )
        ax.text(
            0.46,
            mid,
            "\n".join(lines),
            ha="left",
            va="center",
            fontsize=7,
            bbox={**box, "facecolor": "white"},
            linespacing=1.35,
        )
    for i in range(len(main) - 1):
        if i not in sides:
            ax.annotate(
                "",
                xy=(0.22, ys[i + 1] + 0.3),
                xytext=(0.22, ys[i] - 0.3),
                arrowprops={"arrowstyle": "->", "lw": 0.8},
            )
    ax.set_xlim(0, 1)
    ax.set_ylim(min(ys) - 0.6 - 0.05 * side_lines, 0.6)
    return fig


def derive_regimen_flows(patients: pd.DataFrame, prior_therapies: pd.DataFrame) -> pd.DataFrame:
    """Per patient: the last advanced therapy that failed before DTT, the regimen, status."""
    failed = prior_therapies[
        prior_therapies["failed"]
        & prior_therapies["agent_type"].isin(["biologic", "small_molecule"])
    ]
    last = failed.sort_values(["patient_id", "stop_date"]).groupby("patient_id")["drug"].last()
    return pd.DataFrame(
        {
            "patient_id": patients["patient_id"],
            "prior": patients["patient_id"].map(last).astype(object).fillna("none").to_numpy(),
            "regimen": patients["regimen"].str.replace("+", " + ").to_numpy(),
            "status": patients["status"].to_numpy(),
        }
    )


def plot_center_forest(rates: pd.DataFrame, outcome_labels: dict[str, str]):
    """Forest plot of the primary outcomes by center: one panel per outcome x timepoint,
    each center's proportion with its 95 % CI (square sized by the evaluable patients), the
    cohort's proportion from the pooled counts, and the random-effects estimate (diamond),
    with I², tau² and the exact test across centers in the panel title."""
    from ibd_dtt.report.followup import MAIN_OUTCOMES, TIMEPOINT_LABELS

    data = rates[rates["outcome"].isin(MAIN_OUTCOMES)]
    panels = [
        (o, t, block)
        for (o, t), block in data.groupby(["outcome", "timepoint"], sort=False)
        if int(block.loc[block["center"] == "all", "evaluable"].sum()) > 0
    ]
    centers = [c for c in data["center"].drop_duplicates() if c != "all"]
    rows_per_panel = len(centers) + 2
    fig, axes = plt.subplots(
        max(1, len(panels)),
        1,
        figsize=(6.4, max(1.6, (0.2 * rows_per_panel + 0.55) * max(1, len(panels)))),
        squeeze=False,
    )
    largest = max(1, int(data.loc[data["center"] != "all", "evaluable"].max() or 1))
    for ax, (outcome, timepoint, block) in zip(axes[:, 0], panels, strict=False):
        cells = block.set_index("center")
        labels, y = [], 0
        for center in centers:
            y -= 1
            labels.append((y, center))
            if center not in cells.index or int(cells.loc[center, "evaluable"]) == 0:
                ax.text(50, y, "no evaluable patient", ha="center", va="center", fontsize=6)
                continue
            r = cells.loc[center]
            low, high = 100 * r["ci_low"], 100 * r["ci_high"]
            ax.plot([low, high], [y, y], color="black", linewidth=0.8)
            size = 3 + 5 * (int(r["evaluable"]) / largest) ** 0.5
            ax.plot([r["percent"]], [y], "s", color="black", markersize=size)
            ax.text(
                103, y, f"{int(r['responders'])}/{int(r['evaluable'])}", va="center", fontsize=6
            )
        overall = cells.loc["all"]
        y -= 1
        labels.append((y, "Overall (pooled counts)"))
        ax.plot([100 * overall["ci_low"], 100 * overall["ci_high"]], [y, y], color="#555", lw=0.8)
        ax.plot([overall["percent"]], [y], "o", color="#555", markersize=4)
        ax.text(
            103,
            y,
            f"{int(overall['responders'])}/{int(overall['evaluable'])}",
            va="center",
            fontsize=6,
        )
        first = overall
        if pd.notna(first.get("pooled_random_effects")):
            y -= 1
            labels.append((y, "Random effects (DL)"))
            est = 100 * first["pooled_random_effects"]
            low, high = 100 * first["pooled_ci_low"], 100 * first["pooled_ci_high"]
            ax.fill([low, est, high, est], [y, y + 0.3, y, y - 0.3], color="black", linewidth=0)
        ax.set_yticks([t for t, _ in labels])
        ax.set_yticklabels([name for _, name in labels], fontsize=6)
        ax.set_ylim(y - 0.7, -0.3)
        ax.set_xlim(0, 100)
        ax.axvline(overall["percent"], color="#999", linewidth=0.5, linestyle=":")
        i2 = first.get("i2")
        heterogeneity = (
            ""
            if pd.isna(i2)
            else f"; I² {100 * i2:.0f} %, τ² {first['tau2']:.2f}"
            + (
                f", exact p {format_pvalue(first['exact_pvalue'])}"
                if pd.notna(first.get("exact_pvalue"))
                else ""
            )
        )
        ax.set_title(
            f"{outcome_labels.get(outcome, outcome)}, "
            f"{TIMEPOINT_LABELS.get(timepoint, timepoint)}{heterogeneity}",
            fontsize=7,
            loc="left",
        )
        ax.tick_params(axis="x", labelsize=6)
    for ax in axes[len(panels) :, 0]:
        ax.set_axis_off()
    axes[-1, 0].set_xlabel("Responders, % (95 % CI)")
    fig.tight_layout()
    return fig


def render_figures(report, only: tuple[int, ...] | None = None) -> list[FigureFiles]:
    """Every figure of a computed report (or those numbered in ``only``, 0-based, in
    order)."""
    return draw_figures(FigureInputs.of_report(report), only)


def draw_figures(inputs: FigureInputs, only: tuple[int, ...] | None = None) -> list[FigureFiles]:
    """The figures drawn from :class:`FigureInputs`. The response rates are computed here,
    as the response table computes them, so that no table has to exist first."""
    from ibd_dtt.report.followup import MAIN_OUTCOMES, summarise_response_rates
    from ibd_dtt.report.safety import persistence_data

    n = len(inputs.patients)
    analysis = f"n = {n}; {inputs.definition_set} definitions, {inputs.strategy}"

    def response_rates() -> FigureFiles:
        rates = summarise_response_rates([inputs.summary], inputs.ci_method, MAIN_OUTCOMES)
        return save_figure(
            plot_response_rates(rates, inputs.outcome_labels),
            "fig1_response_rates",
            "Clinical and endoscopic response by timepoint: bars %, whiskers 95 % CI, "
            f"responders/evaluable above each bar ({analysis})",
        )

    def swimmer() -> FigureFiles:
        sampled = (
            f" ({SWIMMER_MAX_PATIENTS} of {n} patients, evenly spaced by study ID)"
            if n > SWIMMER_MAX_PATIENTS
            else ""
        )
        longest = float(inputs.patients["duration_months"].max()) if n else 0.0
        cut = (
            f"; bars longer than {SWIMMER_AXIS_MAX_MONTHS} months are cut at "
            f"{SWIMMER_CUT_MONTHS} months, marked // with their length; marks after "
            "the break are drawn, in order, after the //"
            if longest > SWIMMER_AXIS_MAX_MONTHS
            else ""
        )
        return save_figure(
            plot_swimmer(inputs.patients, inputs.clinical_response, inputs.adverse_events),
            "fig2_swimmer",
            f"Course of DTT per patient{sampled} ({analysis}{cut})",
        )

    def trajectories() -> FigureFiles:
        means_only = (
            f" (group means; individual lines are drawn up to {TRAJECTORY_MAX_PATIENTS} patients)"
            if n > TRAJECTORY_MAX_PATIENTS
            else ""
        )
        return save_figure(
            plot_lab_trajectories(inputs.lab_visits, inputs.patients),
            "fig3_lab_trajectories",
            f"CRP and albumin during DTT{means_only} ({analysis})",
        )

    def persistence() -> FigureFiles:
        return save_figure(
            plot_kaplan_meier(persistence_data(inputs.patients)),
            "fig4_persistence",
            "Kaplan-Meier persistence on DTT: solid line estimate, dotted lines 95 % CI, "
            f"ticks censored, numbers at risk below (n = {n})",
        )

    def regimen_flow() -> FigureFiles:
        return save_figure(
            plot_regimen_flow(derive_regimen_flows(inputs.patients, inputs.prior_therapies)),
            "fig5_regimen_flow",
            f"Last failed advanced therapy → DTT regimen → status at data cut (n = {n})",
        )

    def patient_flow() -> FigureFiles:
        return save_figure(
            plot_flow_diagram(inputs.attrition),
            "fig6_patient_flow",
            f"Patient flow (STROBE): every criterion applied, with the patients it removed "
            f"(n = {n} analysed)",
        )

    def center_forest() -> FigureFiles:
        rates = inputs.center_rates
        centers = rates.loc[rates["center"] != "all", "center"].nunique()
        return save_figure(
            plot_center_forest(rates, inputs.outcome_labels),
            CENTER_FOREST,
            f"Primary outcomes by center ({centers} centers): responders/evaluable with 95 % "
            "CI per center, the cohort's pooled count, and the DerSimonian-Laird "
            f"random-effects estimate (diamond) with I² and the exact test ({analysis})",
        )

    makers = (response_rates, swimmer, trajectories, persistence, regimen_flow, patient_flow)
    if inputs.center_rates is not None:
        makers += (center_forest,)
    chosen = range(len(makers)) if only is None else only
    drawn = []
    for i in chosen:
        try:
            drawn.append(makers[i]())
        except Exception as error:
            plt.close("all")
            raise FigureError(
                f"figure {inputs.names[i]} could not be drawn: {type(error).__name__}: {error}"
            ) from error
    return drawn
