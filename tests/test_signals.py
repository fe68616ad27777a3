"""SIGINT and SIGTERM end a run cleanly at every phase: exit 130 / 143 within a few
seconds, one line and no traceback, no process left behind, no partial output, and an
earlier output in the same folder untouched.

Each run is held at a named phase (``IBD_DTT_HOLD_AT``, see ``ibd_dtt.parallel.checkpoint``)
and the signal is sent either to the main process only (an IDE stop button, a supervisor)
or to the whole process group (Ctrl-C in a terminal, ``timeout``, batch schedulers).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
EXAMPLE = ROOT / "examples" / "paper_cohort"
CLI = "from ibd_dtt.cli import main; main()"


def _processes_in_group(pgid: int) -> list[int]:
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        state, group = fields[0], int(fields[2])
        if group == pgid and state != "Z":
            alive.append(int(entry.name))
    return alive


def _interrupt(tmp_path: Path, phase: str, signum: int, to_group: bool, jobs: int = 1):
    out = tmp_path / "report"
    env = {**os.environ, "IBD_DTT_HOLD_AT": phase, "IBD_DTT_HOLD_SECONDS": "60"}
    process = subprocess.Popen(
        [sys.executable, "-c", CLI, "report", str(EXAMPLE), "--out", str(out), "--jobs", str(jobs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,  # its own process group, like a job in a shell
        text=True,
    )
    try:
        line = ""
        deadline = time.monotonic() + 60
        while "holding at" not in line and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line and process.poll() is not None:
                break
        assert "holding at" in line, f"never reached {phase}: {process.communicate()}"
        time.sleep(0.3)  # let every worker reach the hold too
        sent = time.monotonic()
        if to_group:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=20)
        elapsed = time.monotonic() - sent
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    deadline = time.monotonic() + 5  # terminated workers may take a moment to be reaped
    while _processes_in_group(process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    return process.returncode, stdout, stderr, elapsed, _processes_in_group(process.pid), out


CASES = [
    ("validate", signal.SIGINT, False, 1),
    ("validate", signal.SIGTERM, False, 1),
    ("outcomes", signal.SIGINT, True, 1),
    ("outcomes", signal.SIGTERM, False, 2),
    ("tables", signal.SIGTERM, True, 1),
    ("figures", signal.SIGINT, False, 1),
    ("figures", signal.SIGTERM, True, 1),
    ("figure-worker", signal.SIGINT, False, 2),
    ("figure-worker", signal.SIGINT, True, 2),
    ("figure-worker", signal.SIGTERM, False, 2),
    ("figure-worker", signal.SIGTERM, True, 2),
]


@pytest.mark.parametrize(("phase", "signum", "to_group", "jobs"), CASES)
def test_a_signal_ends_the_run_cleanly(tmp_path, phase, signum, to_group, jobs):
    code, stdout, stderr, elapsed, survivors, out = _interrupt(
        tmp_path, phase, signum, to_group, jobs
    )
    assert code == 128 + signum, (stdout, stderr)
    assert elapsed < 10
    assert survivors == []
    assert "Traceback" not in stdout + stderr
    assert "interrupted" in stdout
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".report")]


def test_an_interrupted_rerun_leaves_the_earlier_report_untouched(tmp_path):
    out = tmp_path / "report"
    done = subprocess.run(
        [sys.executable, "-c", CLI, "report", str(EXAMPLE), "--out", str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    code, *_ = _interrupt(tmp_path, "write", signal.SIGTERM, False)
    assert code == 143
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]


def test_a_second_run_into_a_folder_being_written_is_refused(tmp_path):
    out = tmp_path / "report"
    env = {**os.environ, "IBD_DTT_HOLD_AT": "figures", "IBD_DTT_HOLD_SECONDS": "60"}
    first = subprocess.Popen(
        [sys.executable, "-c", CLI, "report", str(EXAMPLE), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    try:
        assert "holding at" in first.stderr.readline()
        second = subprocess.run(
            [sys.executable, "-c", CLI, "report", str(EXAMPLE), "--out", str(out)],
            capture_output=True,
            text=True,
        )
        assert second.returncode == 2
        assert "another ibd-dtt run" in " ".join(second.stdout.split())
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=20)
    assert first.returncode == 130
    assert not out.exists()


def test_an_engine_error_raised_for_the_signal_still_ends_as_interrupted(monkeypatch):
    # Ctrl-C during a DuckDB query: DuckDB runs our handler, then raises its own
    # RuntimeError("Query interrupted") in place of Interrupted (seen on `omop extract` of a
    # 300 000-person CDM). The run must still end as interrupted, with 130 and no traceback.
    import ibd_dtt.cli as cli
    import ibd_dtt.parallel as parallel

    def query_interrupted():
        parallel._received = signal.SIGINT
        raise RuntimeError("Query interrupted")

    monkeypatch.setattr(cli, "install_signal_handlers", lambda: None)
    monkeypatch.setattr(parallel, "_received", None)
    monkeypatch.setattr(cli, "app", query_interrupted)
    with pytest.raises(SystemExit) as ended:
        cli.main()
    assert ended.value.code == 130
    # without a signal, the same error is a bug and is not disguised
    monkeypatch.setattr(parallel, "_received", None)

    def broken():
        raise RuntimeError("a bug")

    monkeypatch.setattr(cli, "app", broken)
    with pytest.raises(RuntimeError, match="a bug"):
        cli.main()


@pytest.fixture
def endless_cdm(tmp_path) -> Path:
    """A .duckdb CDM whose drug_exposure is a view scanning 10^11 generated rows: the era
    query runs for minutes in DuckDB's C++ code, where Python runs no signal handler."""
    import duckdb

    path = tmp_path / "endless.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        """CREATE VIEW drug_exposure AS
        SELECT i AS person_id, CAST(1119119 AS BIGINT) AS drug_concept_id,
               CAST(DATE '2020-01-01' + CAST(i % 1000 AS INTEGER) AS DATE)
                   AS drug_exposure_start_date,
               CAST(NULL AS INTEGER) AS days_supply
        FROM range(100000000000) t(i) WHERE i % 1000000007 = 0"""
    )
    con.close()
    return path


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_interrupts_a_running_database_query(tmp_path, endless_cdm, signum):
    # Before, the run went on until the query ended (minutes on a large CDM) and only then
    # said "interrupted"; DuckDB is now interrupted from a thread woken by the signal.
    out = tmp_path / "episodes.parquet"
    process = subprocess.Popen(
        [
            *[sys.executable, "-c", CLI, "omop", "episodes"],
            *["--cdm", str(endless_cdm), "--out", str(out)],
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(3)  # imports, opening the CDM, and into the query
        assert process.poll() is None, process.communicate()
        sent = time.monotonic()
        process.send_signal(signum)
        stdout, stderr = process.communicate(timeout=30)
        elapsed = time.monotonic() - sent
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 128 + signum, (stdout, stderr)
    assert elapsed < 5
    assert "interrupted" in stdout and "Traceback" not in stdout
    assert stderr == ""  # nothing from DuckDB's bindings either
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["endless.duckdb"]


def test_a_database_error_after_a_signal_is_not_called_an_unreadable_cdm(monkeypatch):
    # DuckDB answers an interrupted query with its own InterruptException: the CDM is fine,
    # so the command must not say "the CDM could not be read" (exit 2) but end as
    # interrupted (main() turns it into exit 130).
    import duckdb
    import typer

    import ibd_dtt.cli as cli
    import ibd_dtt.parallel as parallel

    def query():
        raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")

    command = cli._cdm_guarded(query)
    monkeypatch.setattr(parallel, "_received", None)
    with pytest.raises(typer.Exit) as stopped:
        command()
    assert stopped.value.exit_code == 2  # without a signal: an engine error on the CDM
    monkeypatch.setattr(parallel, "_received", signal.SIGINT)
    with pytest.raises(duckdb.InterruptException):
        command()
