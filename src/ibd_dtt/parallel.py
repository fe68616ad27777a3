"""Work spread over processes, and always stopped cleanly.

The one place where ibd-dtt starts processes. ``jobs=1`` (the default everywhere) runs in
this process, in order. ``jobs > 1`` uses a :class:`concurrent.futures.ProcessPoolExecutor`
of forked workers that:

- ignore SIGINT (Ctrl-C reaches the whole process group; only the main process decides
  what to do with it) and die quietly on SIGTERM;
- exit by themselves if the main process disappears (a watchdog thread compares the
  parent pid), so that no worker outlives a run, even one killed with SIGKILL;
- are terminated by the main process on any exception there, including an interruption
  (:class:`Interrupted`), instead of being left to finish their current task.

Results come back in the order of ``items`` whatever the number of workers, so the output
of a run never depends on ``jobs``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import socket
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

EXIT_SIGINT, EXIT_SIGTERM = 130, 143


class Interrupted(BaseException):
    """The run was interrupted by SIGINT or SIGTERM (raised by :func:`install_signal_handlers`
    in the main thread). A BaseException, so that ``except Exception`` never swallows it
    while every ``finally`` and context manager on the way out still runs."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        """The shell convention: 128 + the signal number (130 for SIGINT, 143 for SIGTERM)."""
        return 128 + self.signum


_received: int | None = None  # the last SIGINT/SIGTERM seen by the handler


def _raise_interrupted(signum, frame) -> None:
    global _received
    _received = signum
    raise Interrupted(signum)


def received_signal() -> int | None:
    """The signal that interrupted the run, if any. A database engine may catch the
    :class:`Interrupted` raised inside a query and raise its own error instead (DuckDB:
    "Query interrupted"); the CLI asks this to still end such a run as interrupted."""
    return _received


def install_signal_handlers() -> None:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` in the main thread (the CLI does
    this once): clean-up code then runs as for any exception. SIGTERM's default action
    would end the process at once, leaving workers and temporary output behind.

    Python runs a signal handler only when the main thread runs Python code again, and a
    database query runs in C++ for as long as it takes (minutes on a large CDM). So the
    signal is also written to a socket (``signal.set_wakeup_fd``, done by the C-level
    handler at once) and a thread reading it interrupts the work of every registered
    engine (:func:`interrupt_on_signal`: DuckDB connections, Spark contexts, PostgreSQL
    connections); the query then returns with an error and the handler runs."""
    global _wakeup
    signal.signal(signal.SIGINT, _raise_interrupted)
    signal.signal(signal.SIGTERM, _raise_interrupted)
    if _wakeup is None:
        reader, writer = socket.socketpair()
        writer.setblocking(False)
        signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
        _wakeup = (reader, writer)  # kept open for the life of the process
        threading.Thread(
            target=_interrupt_queries_on_signal, args=(reader,), name="ibd-dtt-signals", daemon=True
        ).start()


_wakeup: tuple[socket.socket, socket.socket] | None = None
# engine -> (how to stop its running work, how to close it after an interruption or None)
_interruptible: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def interrupt_on_signal(
    engine: Any,
    interrupt: Callable[[Any], None] | None = None,
    close: Callable[[Any], None] | None = None,
) -> None:
    """Have SIGINT and SIGTERM stop the running work of ``engine`` when the CLI has installed
    its handlers: ``interrupt(engine)`` is called from a thread as soon as the signal
    arrives, ``close(engine)`` before the interrupted run exits. The defaults suit a
    ``duckdb.DuckDBPyConnection`` (``interrupt()``, ``close()``); for Spark,
    ``SparkContext.cancelAllJobs`` and no close. Held weakly: registering keeps nothing
    alive."""
    if interrupt is None:  # a DuckDB connection
        interrupt, close = (lambda e: e.interrupt()), close or (lambda e: e.close())
    _interruptible[engine] = (interrupt, close)


def restore_signal_handlers() -> None:
    """Put back the CLI's SIGINT/SIGTERM handlers if a library replaced them (PySpark
    installs a SIGINT handler of its own that raises KeyboardInterrupt); a no-op when the
    CLI did not install them (Python or Jupyter use)."""
    if _wakeup is not None:
        signal.signal(signal.SIGINT, _raise_interrupted)
        signal.signal(signal.SIGTERM, _raise_interrupted)


def close_interrupted_connections() -> None:
    """Close the registered engines that can be closed (after an interruption, before the
    process exits)."""
    for engine, (_, close) in list(_interruptible.items()):
        if close is not None:
            with contextlib.suppress(Exception):
                close(engine)


def _interrupt_queries_on_signal(reader: socket.socket) -> None:
    global _received
    while data := reader.recv(64):
        for signum in data:
            if signum in (signal.SIGINT, signal.SIGTERM):
                # before the query returns, so that its error is known to be the signal's
                _received = signum
                for engine, (interrupt, _) in list(_interruptible.items()):
                    with contextlib.suppress(Exception):  # closed meanwhile: nothing to do
                        interrupt(engine)


_WATCH_SECONDS = 0.5


def _worker_start(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_WATCH_SECONDS)
        os._exit(1)  # the main process is gone: nobody will read what this one computes

    threading.Thread(target=watch, name="ibd-dtt-parent-watch", daemon=True).start()


def checkpoint(phase: str) -> None:
    """A named point in a run. When the environment variable ``IBD_DTT_HOLD_AT`` names it,
    the run says so on stderr and waits there (``IBD_DTT_HOLD_SECONDS``, default 60): the
    signal tests use it to interrupt a run at a known phase. Otherwise nothing happens."""
    if os.environ.get("IBD_DTT_HOLD_AT") == phase:
        import sys

        print(f"ibd-dtt: holding at {phase}", file=sys.stderr, flush=True)
        time.sleep(float(os.environ.get("IBD_DTT_HOLD_SECONDS", "60")))


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def run_parallel(fn: Callable[[T], R], items: Sequence[T] | Iterable[T], jobs: int = 1) -> list[R]:
    """``[fn(item) for item in items]``, computed in up to ``jobs`` forked processes.

    ``fn`` and anything it reads from module globals are inherited by the workers (fork),
    not pickled; each item and each result is pickled, so keep them small. Falls back to
    this process when ``jobs <= 1``, when there is a single item, or where fork is not
    available. The first exception raised by ``fn`` is raised here, after the remaining
    work is cancelled and the workers are stopped.

    >>> run_parallel(abs, [-1, 2, -3], jobs=1)
    [1, 2, 3]
    """
    items = list(items)
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, not {jobs}")
    workers = min(jobs, len(items))
    if workers <= 1 or not can_fork():
        return [fn(item) for item in items]
    pool = ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_worker_start,
        initargs=(os.getpid(),),
    )
    try:
        futures = [pool.submit(fn, item) for item in items]
        results = [future.result() for future in futures]
    except BaseException:
        _stop(pool)
        raise
    pool.shutdown(wait=True)
    return results


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel queued work and end the workers now (a worker in the middle of a task would
    otherwise run it to the end before the pool lets this process exit)."""
    processes: dict[int, Any] = dict(getattr(pool, "_processes", None) or {})
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes.values():
        if process.is_alive():
            process.terminate()
    for process in processes.values():
        process.join(timeout=5)
        if process.is_alive():
            process.kill()
            process.join(timeout=5)
