"""The plain-language summary of a site package, for the site's data-protection officer to
read and approve before the package is sent: what each file holds, what it never holds, the
disclosure rules applied and how many cells they hid."""

from __future__ import annotations

import html

FILE_DESCRIPTIONS = {
    "attrition.csv": "How many patients were in the data, screened, excluded at each "
    "eligibility step and analysed (one number per step).",
    "outcome_counts.csv": "For each outcome (e.g. clinical response at 3 months) and group "
    "(all, UC, CD): how many patients could be assessed, how many responded and how many "
    "did not.",
    "categorical_counts.csv": "For each baseline characteristic of Tables 1 and 2 (sex, "
    "disease location, prior therapy, ...): how many patients have each value, per group.",
    "continuous_moments.csv": "For each measurement (age at diagnosis, disease duration, time "
    "on DTT, baseline CRP, albumin, partial Mayo, HBI): the number of patients, the sum and the "
    "sum of squares of the values, per group (enough for a mean and a standard deviation, not "
    "for any single value).",
    "continuous_bins.csv": "The same measurements as counts of patients in ranges of values "
    "(e.g. 'age 20 to 22: 7 patients'); neighbouring ranges are joined until every count is 0 "
    "or at least the minimum cell count.",
    "safety_counts.csv": "Patients with an adverse event or a serious adverse event, the "
    "number of adverse events (in total, serious, by category) and the total time on DTT in "
    "patient-years, per group.",
    "persistence_counts.csv": "How many patients were still on DTT at the start of each "
    "period and how many stopped or were censored in it (the table behind a Kaplan-Meier "
    "curve).",
}


def summary_html(package) -> str:
    """The summary page of ``package`` (a :class:`~ibd_dtt.network.package.SitePackage`)."""
    m = package.manifest
    k = int(m["min_cell_count"])
    esc = html.escape
    rows = []
    for name, frame in package.tables.items():
        hidden = int((frame["suppression"] != "").sum()) if "suppression" in frame else 0
        rows.append(
            f"<tr><td><code>{esc(name)}</code></td><td>{esc(FILE_DESCRIPTIONS.get(name, ''))}"
            f"</td><td>{len(frame)}</td><td>{hidden}</td></tr>"
        )
    analyses = "".join(
        f"<li>{esc(a['definition_set'])} definitions (version {esc(a['definition_version'])}), "
        f"{esc(a['strategy'])} analysis</li>"
        for a in m["analyses"]
    )
    km = (
        "<p><b>Kaplan-Meier table at day resolution (requested with <code>--km-steps</code>).</b> "
        "It lists each day of follow-up on which a patient stopped DTT or was censored, with "
        "the number of patients concerned, which can be 1. This is the information of a "
        "published Kaplan-Meier curve; it allows the network's pooled curve to equal a central "
        "one exactly. Approve it only if your rules allow that.</p>"
        if m["km_resolution"] == "steps"
        else f"<p>The Kaplan-Meier table uses whole months, joined until each count is 0 or at "
        f"least {k}.</p>"
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Site package {esc(m["site"])}: what it contains</title>
<style>body{{font-family:Arial,Helvetica,sans-serif;max-width:960px;margin:2em auto;
line-height:1.4}} table{{border-collapse:collapse}} td,th{{border:1px solid #999;
padding:4px 8px;vertical-align:top;text-align:left}}</style></head>
<body>
<h1>Site package “{esc(m["site"])}”: what leaves this site</h1>
<p>This package was made by ibd-dtt {esc(m["ibd_dtt_version"])} for a multicenter study of
dual-targeted therapy in inflammatory bowel disease. It holds <b>counts and sums only</b>,
computed from the site's data for these analyses:</p>
<ul>{analyses}</ul>
<h2>What it never contains</h2>
<ul>
<li>No study ID, patient ID, name, initials or other identifier.</li>
<li>No date of any kind (no birth, diagnosis, treatment or visit date).</li>
<li>No value of a single patient (no list of values, no minimum or maximum).</li>
</ul>
<h2>Disclosure rules applied</h2>
<ul>
<li>Minimum cell count {k}: a count from 1 to {k - 1} is not written (the cell is empty and
marked “primary” in the file's <code>suppression</code> column).</li>
<li>Where a hidden count could be recomputed from others (for example UC = all − CD), a
second count is hidden too (marked “secondary”).</li>
<li>A mean, standard deviation or exposure time of a group is not written when the group has
fewer than {k} patients.</li>
<li>Ranges of values are joined until each holds 0 or at least {k} patients.</li>
</ul>
{km}
<h2>Files</h2>
<table><tr><th>File</th><th>What it holds</th><th>Rows</th><th>Cells hidden</th></tr>
{"".join(rows)}
<tr><td><code>manifest.json</code></td><td>The software version, the analyses, the
disclosure settings and a SHA-256 fingerprint of every file (a changed file is refused when
the packages are pooled).</td><td>–</td><td>–</td></tr>
</table>
<p>Every file is plain text (CSV) and can be opened in a spreadsheet to check it.</p>
</body></html>
"""
