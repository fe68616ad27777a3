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
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

ONE_RUN = r"""
import json, sys, time
t0 = time.perf_counter()
from ibd_dtt.pipeline import analyse_registry, load_registry, score_registry
from ibd_dtt.report import build_report, write_report
data, out, jobs = sys.argv[1], sys.argv[2], int(sys.argv[3])
t_import = time.perf_counter()
validation = load_registry(data)
scored = score_registry(validation)
analyses = [analyse_registry(scored, "paper", "as-observed", jobs=jobs)]
t_analysed = time.perf_counter()
report = build_report(scored, analyses)
t_tables = time.perf_counter()
write_report(report, out, source=data, jobs=jobs)
t_write = time.perf_counter()
print(json.dumps({
    "valid": validation.is_valid, "patients": len(report.cohort.patients), "jobs": jobs,
    "import_s": t_import - t0, "validate_and_outcomes_s": t_analysed - t_import,
    "tables_s": t_tables - t_analysed, "figures_and_write_s": t_write - t_tables,
    "total_s": t_write - t0,
}))
"""
CLI = "from ibd_dtt.cli import main; main()"
CLI_RUNS = 5


def cli_wall_seconds(data: Path, out: Path) -> list[float]:
    """Wall-clock seconds of ``ibd-dtt report DATA --out OUT`` from a cold start (a new
    Python process each time, interpreter start-up included), CLI_RUNS times."""
    times = []
    for _ in range(CLI_RUNS):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-c", CLI, "report", str(data), "--out", str(out)],
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - start)
    return times


def run(size: int, work: Path, jobs: int) -> dict:
    data = work / f"registry_{size}"
    if size == 18:
        data = ROOT / "examples" / "paper_cohort"
    else:
        from ibd_dtt.synth import SynthOptions, generate_registry, write_registry

        options = SynthOptions(patients=size, centers=max(3, size // 500), seed=2024)
        write_registry(generate_registry(options), data, options)
    out = work / f"report_{size}"
    done = subprocess.run(
        [sys.executable, "-c", ONE_RUN, str(data), str(out), str(jobs)],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["size"] = size
    if size == 18 and jobs == 1:
        wall = sorted(cli_wall_seconds(data, work / "report_cli_18"))
        result["cli_wall_s"] = {"median": wall[len(wall) // 2], "min": wall[0], "max": wall[-1]}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[18, 1000, 10000])
    parser.add_argument(
        "--jobs", type=int, nargs="+", default=[1, 2], help="--jobs values to time each size at"
    )
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            for jobs in args.jobs:
                results.append(run(size, Path(tmp), jobs))
                r = results[-1]
                print(
                    f"{size} patients, --jobs {jobs}: {r['total_s']:.1f} s",
                    file=sys.stderr,
                    flush=True,
                )
    columns = [
        "size",
        "jobs",
        "import_s",
        "validate_and_outcomes_s",
        "tables_s",
        "figures_and_write_s",
        "total_s",
    ]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for r in results:
        print(
            "| "
            + " | ".join(str(r[c]) if c in ("size", "jobs") else f"{r[c]:.2f}" for c in columns)
            + " |"
        )
    for r in results:
        if "cli_wall_s" in r:
            w = r["cli_wall_s"]
            print(
                f"\n`ibd-dtt report` on {r['size']} patients, cold start, {CLI_RUNS} runs: "
                f"median {w['median']:.2f} s (min {w['min']:.2f}, max {w['max']:.2f})"
            )
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "registry.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
