"""Writing outputs safely: whole or not at all, never over the input, never as a formula.

- :func:`output_folder` gives a temporary folder beside the target; when the block ends
  without an exception the target is replaced by it in one rename, so a reader never sees
  old and new files mixed, and an interrupted or failed run leaves the previous output as
  it was and no partial folder. A lock file refuses a second run into the same folder.
- :func:`write_file` does the same for one file (temporary file, then ``os.replace``).
- :func:`neutralise_formulas` defuses cell values that a spreadsheet would run as a
  formula (OWASP "CSV injection": values starting with ``=``, ``+``, ``-``, ``@``, tab or
  carriage return), for every CSV ibd-dtt writes from data.

Every problem with the destination (a file where a folder is expected, no permission, a
folder that is not an ibd-dtt output, the input folder itself) is an :class:`OutputError`
with a one-line message; the CLI prints it and exits 2.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from ibd_dtt.errors import IbdDttError

MARKER = ".ibd-dtt-output"
# Files that mark a folder written by an earlier ibd-dtt version (before the marker).
LEGACY_MARKERS = ("provenance.json",)


class OutputError(IbdDttError):
    """The output cannot be written where it was asked for."""


def _describe(error: OSError) -> str:
    return error.strerror or type(error).__name__


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _lock(target: Path) -> Iterator[None]:
    lock = target.parent / f".{target.name}.lock"
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid = int(lock.read_text().strip() or 0)
            except (OSError, ValueError):
                pid = 0
            if pid and _pid_alive(pid):
                raise OutputError(
                    f"another ibd-dtt run (process {pid}) is writing to {target}; wait for it "
                    f"or choose another folder"
                ) from None
            lock.unlink(missing_ok=True)  # left by a run that was killed
            continue
        except OSError as error:
            raise OutputError(f"cannot write to {target.parent}: {_describe(error)}") from None
        with os.fdopen(fd, "w") as handle:
            handle.write(str(os.getpid()))
        break
    else:
        raise OutputError(f"cannot lock {target}: {lock} keeps reappearing")
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)


def _check_replaceable(target: Path, inputs: tuple[Path, ...]) -> None:
    resolved = target.resolve()
    for source in inputs:
        source = Path(source).resolve()
        if resolved == source or resolved in source.parents:
            raise OutputError(
                f"the output folder {target} contains the input {source}; choose another folder"
            )
    if not target.exists():
        return
    if not target.is_dir():
        raise OutputError(f"{target} exists and is a file, not a folder; choose a folder")
    try:
        entries = [p.name for p in target.iterdir()]
    except OSError as error:
        raise OutputError(f"cannot read {target}: {_describe(error)}") from None
    ours = MARKER in entries or any(name in entries for name in LEGACY_MARKERS)
    if entries and not ours:
        raise OutputError(
            f"{target} is not empty and was not written by ibd-dtt; it would be replaced "
            f"whole, so choose a new or empty folder"
        )


@contextlib.contextmanager
def output_folder(
    target: str | Path, inputs: tuple[str | Path, ...] = (), kind: str = "output"
) -> Iterator[Path]:
    """A temporary folder to write into; on success it replaces ``target`` whole.

    ``target`` may not exist yet (its parents are created), may be empty, or may hold an
    earlier ibd-dtt output (which is replaced entirely: no older file survives). Anything
    else is refused, as is a target that is or contains one of ``inputs``.

    >>> import tempfile, pathlib
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> with output_folder(root / "out") as tmp:
    ...     _ = (tmp / "a.txt").write_text("new")
    >>> sorted(p.name for p in (root / "out").iterdir())
    ['.ibd-dtt-output', 'a.txt']
    """
    target = Path(target).absolute()
    if target.exists() and not target.is_dir():
        raise OutputError(f"{target} exists and is a file, not a folder; choose a folder")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(f"cannot create {target.parent}: {_describe(error)}") from None
    with _lock(target):
        _check_replaceable(target, tuple(Path(p) for p in inputs))
        try:
            temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.partial-", dir=target.parent))
        except OSError as error:
            raise OutputError(f"cannot write to {target.parent}: {_describe(error)}") from None
        try:
            from ibd_dtt import __version__

            (temporary / MARKER).write_text(f"ibd-dtt {__version__} {kind}\n", encoding="utf-8")
            yield temporary
            _swap(temporary, target)
        except OSError as error:
            raise OutputError(f"cannot write the {kind} to {target}: {_describe(error)}") from None
        finally:
            shutil.rmtree(temporary, ignore_errors=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _swap(temporary: Path, target: Path) -> None:
    """Move ``temporary`` into place with SIGINT/SIGTERM held back, so that an interruption
    cannot fall between taking the old folder away and putting the new one in."""
    block = getattr(signal, "pthread_sigmask", None)  # POSIX only
    previous = block(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}) if block else None
    old = target.parent / f".{target.name}.old-{os.getpid()}"
    try:
        if target.exists():
            os.rename(target, old)
            try:
                os.rename(temporary, target)
            except OSError:
                os.rename(old, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(temporary, target)
    finally:
        if block:
            block(signal.SIG_SETMASK, previous)


def write_file(path: str | Path, write: Callable[[Path], object], what: str = "file") -> Path:
    """Write one file whole or not at all: ``write(temporary_path)``, then rename.

    The folder must exist (a typo in a path should not create folders silently)."""
    path = Path(path)
    if path.is_dir():
        raise OutputError(f"{path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise OutputError(f"cannot write the {what} to {path}: folder {path.parent} does not exist")
    try:
        handle, name = tempfile.mkstemp(
            prefix=f".{path.name}.partial-", suffix=path.suffix, dir=path.parent
        )
        os.close(handle)
    except OSError as error:
        raise OutputError(f"cannot write the {what} to {path}: {_describe(error)}") from None
    temporary = Path(name)
    try:
        write(temporary)
        # mkstemp makes the file private (0600); the result gets a new file's usual mode
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as error:
        raise OutputError(f"cannot write the {what} to {path}: {_describe(error)}") from None
    finally:
        temporary.unlink(missing_ok=True)
    return path


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Text that starts with + or - but is only a number or a formatted statistic ("-2.0",
# "-1.5 (-3.0–0.5)", "+12 %") cannot run as a formula; it is left as it is.
_NUMERIC_TEXT = re.compile(r"^[+-][0-9][0-9 .,()%/–\-<>≤≥]*$")


def neutralise_formula(value: object) -> object:
    """A value that a spreadsheet would run as a formula, prefixed with ``'`` (OWASP CSV
    injection guidance); everything else unchanged.

    >>> neutralise_formula("=HYPERLINK(1)"), neutralise_formula("@SUM(A1)")
    ("'=HYPERLINK(1)", "'@SUM(A1)")
    >>> neutralise_formula("-2.0 (-3.0–0.5)"), neutralise_formula("-1+cmd|' /C calc'!A0")
    ('-2.0 (-3.0–0.5)', "'-1+cmd|' /C calc'!A0")
    """
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if value[0] in "+-" and _NUMERIC_TEXT.match(value):
        return value
    return "'" + value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with every text cell passed through :func:`neutralise_formula` (a copy
    only when something changes)."""
    changed = {}
    for column in frame.columns:
        values = frame[column]
        if values.dtype != object and not isinstance(values.dtype, pd.StringDtype):
            continue
        text = values.astype("string")
        risky = text.str.match(r"^[=+\-@\t\r]", na=False)
        if risky.any():
            changed[column] = values.astype(object).where(
                ~risky, values[risky].map(neutralise_formula)
            )
    if not changed:
        return frame
    frame = frame.copy()
    for column, values in changed.items():
        frame[column] = values
    return frame
