"""OMOP episode detection at scale (issue 5): ``make bench-omop``.

For each size a synthetic CDM is written (``ibd-dtt synth-omop``: one drug_exposure row per
administration, random order), then, each in a fresh process on DuckDB:

1. baseline: DuckDB reads drug_exposure and materialises it sorted by person, drug, date
   (the whole table, as the issue states it);
2. strict baseline: the same with only the four columns the era rule reads;
3. episodes: drug-aware eras + DTT combinations (``ibd_dtt.omop``), as ``ibd-dtt omop
   episodes`` computes them (drug concepts mapped to ingredients through
   ``concept_ancestor``: the synthetic CDM records part of ustekinumab as a clinical-drug
   concept), from opening the CDM (DuckDB connection) to the Parquet file written. Like the
   baselines, whose clock starts after ``import duckdb`` at ``duckdb.connect()``, the clock
   starts after the imports; the time including ibd-dtt's imports (ibis, pandas: about
   0.3 s) is reported beside it.

Each measurement runs ``--repeats`` times (default 3) in turn and the median is reported (the
machine is a shared VM: single runs vary by about 10 %). The goal: episodes <= 1.5 x
baseline, peak memory < 4 GB, time linear in persons. Results are printed as Markdown and
written to ``benchmarks/results/omop.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

BASELINE = r"""
import json, sys, time, duckdb
t = time.perf_counter()
con = duckdb.connect()
con.execute(f"SET threads=2")
con.execute(f"CREATE TABLE s AS SELECT * FROM read_parquet('{sys.argv[1]}/drug_exposure.parquet')"
            " ORDER BY person_id, drug_concept_id, drug_exposure_start_date")
rows = con.execute("SELECT count(*) FROM s").fetchone()[0]
print(json.dumps({"seconds": time.perf_counter() - t, "rows": rows,
                  "peak_mb": peak_mb()}))
"""

STRICT_BASELINE = r"""
import json, sys, time, duckdb
t = time.perf_counter()
con = duckdb.connect()
con.execute(f"SET threads=2")
con.execute("CREATE TABLE s AS SELECT person_id, drug_concept_id, drug_exposure_start_date, "
            f"days_supply FROM read_parquet('{sys.argv[1]}/drug_exposure.parquet')"
            " ORDER BY person_id, drug_concept_id, drug_exposure_start_date")
print(json.dumps({"seconds": time.perf_counter() - t,
                  "peak_mb": peak_mb()}))
"""

EPISODES = r"""
import json, sys, time
started = time.perf_counter()
from ibd_dtt.omop import derive_combination_episodes, derive_drug_eras
from ibd_dtt.omop.cdm import open_cdm
t = time.perf_counter()
tables = open_cdm(sys.argv[1], memory_limit=sys.argv[3])
episodes = derive_combination_episodes(
    derive_drug_eras(tables["drug_exposure"], concept_ancestor=tables.get("concept_ancestor"))
)
episodes.to_parquet(sys.argv[2])
import pyarrow.parquet as pq
n = pq.read_metadata(sys.argv[2]).num_rows
print(json.dumps({"seconds": time.perf_counter() - t, "episodes": n,
                  "with_imports": time.perf_counter() - started, "peak_mb": peak_mb()}))
"""


# Peak resident memory of the child itself: VmHWM belongs to the address space, which exec
# replaces (ru_maxrss would also count the parent's memory at fork time).
PEAK = r"""
def peak_mb():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
"""


def child(code: str, *args: str) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PEAK + code, *args], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--persons", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--memory-limit", default="3GB", help="DuckDB memory_limit")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement (median)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for persons in args.persons:
            cdm = Path(tmp) / f"cdm_{persons}"
            # generated in its own process, so this one stays small
            subprocess.run(
                [
                    str(Path(sys.executable).with_name("ibd-dtt")),
                    "synth-omop",
                    "--persons",
                    str(persons),
                    "--seed",
                    "2024",
                    "--out",
                    str(cdm),
                ],
                check=True,
                capture_output=True,
            )
            runs: dict[str, list[dict]] = {"base": [], "strict": [], "episodes": []}
            for _ in range(args.repeats):  # interleaved, so that a slow spell hits all three
                runs["base"].append(child(BASELINE, str(cdm)))
                runs["strict"].append(child(STRICT_BASELINE, str(cdm)))
                runs["episodes"].append(
                    child(
                        EPISODES,
                        str(cdm),
                        str(Path(tmp) / f"episodes_{persons}.parquet"),
                        args.memory_limit,
                    )
                )
            base, strict, eps = (
                statistics.median(r["seconds"] for r in runs[k])
                for k in ("base", "strict", "episodes")
            )
            eps_imports = statistics.median(r["with_imports"] for r in runs["episodes"])
            results.append(
                {
                    "persons": persons,
                    "drug_exposure_rows": runs["base"][0]["rows"],
                    "baseline_s": base,
                    "strict_baseline_s": strict,
                    "episodes_s": eps,
                    "ratio": eps / base,
                    "episodes_with_imports_s": eps_imports,
                    "ratio_with_imports": eps_imports / base,
                    "strict_ratio": eps / strict,
                    "episodes": runs["episodes"][0]["episodes"],
                    "peak_mb": max(r["peak_mb"] for r in runs["episodes"]),
                    "runs_s": {k: [round(r["seconds"], 2) for r in v] for k, v in runs.items()},
                }
            )
            print(f"{persons} persons done", file=sys.stderr, flush=True)
    print(
        "| persons | drug_exposure rows | read+sort s (all columns) | read+sort s (4 columns) "
        "| episodes s | ratio | strict ratio | episodes s with imports | ratio with imports "
        "| episodes | peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['persons']:,} | {r['drug_exposure_rows']:,} | {r['baseline_s']:.2f} | "
            f"{r['strict_baseline_s']:.2f} | {r['episodes_s']:.2f} | {r['ratio']:.2f} | "
            f"{r['strict_ratio']:.2f} | {r['episodes_with_imports_s']:.2f} | "
            f"{r['ratio_with_imports']:.2f} | {r['episodes']:,} | {r['peak_mb']:.0f} |"
        )
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "omop.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
