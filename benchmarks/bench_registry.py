"""End-to-end timing of the registry path: synth -> validate -> outcomes -> report.

Run with ``make bench`` (sizes 18, 1000, 10000) or ``python benchmarks/bench_registry.py
--sizes 18 1000``. Each size runs in a fresh Python process so the timings include the cold
start (imports), as a user sees it. Results are printed as a Markdown table and written to
``benchmarks/results/registry.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

ONE_RUN = r"""
import json, sys, time
t0 = time.perf_counter()
from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry
from ibd_dtt.report import build_report, write_report
from ibd_dtt.report.figure_jobs import start_figure_worker
start_figure_worker()  # as `ibd-dtt report` does: matplotlib is imported meanwhile
t_import = time.perf_counter()
data, out = sys.argv[1], sys.argv[2]
result = load_registry(data)
t_validate = time.perf_counter()
scored = score_registry(result)
analysis = analyse_registry(scored, "paper", "as-observed")
t_outcomes = time.perf_counter()
report = build_report(scored, [analysis], start_figures=True)  # as `ibd-dtt report`
t_tables = time.perf_counter()
write_report(report, out, source=data)  # the figures have been drawn meanwhile
t_write = time.perf_counter()
print(json.dumps({
    "valid": result.is_valid, "patients": len(report.cohort.patients),
    "import_s": t_import - t0, "validate_s": t_validate - t_import,
    "outcomes_s": t_outcomes - t_validate, "tables_s": t_tables - t_outcomes,
    "figures_and_write_s": t_write - t_tables,
    "total_s": t_write - t0,
}))
"""


def run(size: int, work: Path) -> dict:
    data = work / f"registry_{size}"
    if size == 18:
        data = ROOT / "examples" / "paper_cohort"
    else:
        from ibd_dtt.synth import SynthOptions, generate_registry, write_registry

        options = SynthOptions(patients=size, centers=max(3, size // 500), seed=2024)
        write_registry(generate_registry(options), data, options)
    out = work / f"report_{size}"
    done = subprocess.run(
        [sys.executable, "-c", ONE_RUN, str(data), str(out)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["size"] = size
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[18, 1000, 10000])
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            results.append(run(size, Path(tmp)))
            r = results[-1]
            print(f"{size} patients: {r['total_s']:.1f} s", file=sys.stderr, flush=True)
    columns = [
        "size",
        "import_s",
        "validate_s",
        "outcomes_s",
        "tables_s",
        "figures_and_write_s",
        "total_s",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for r in results:
        print(
            "| " + " | ".join(str(r[c]) if c == "size" else f"{r[c]:.2f}" for c in columns) + " |"
        )
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "registry.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
