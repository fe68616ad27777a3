"""Computing something in a forked process while this one does something else.

``ibd-dtt report`` on a small registry spends as long importing the statistics libraries
(SciPy, statsmodels) as reading, validating and analysing the data; neither needs the other,
so the data are analysed in a forked process meanwhile (:class:`Ahead`) and the results sent
back. Worth it only while the results are small enough to send quickly: callers decide.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from typing import Any


class Ahead:
    """``fn(*args)`` computed in a forked process from now; :meth:`result` returns its value
    or raises its exception (both sent back pickled). Without fork, :meth:`result` computes
    it in this process.

    >>> Ahead(sum, [1, 2, 3]).result()
    6
    """

    def __init__(self, fn: Callable[..., Any], *args: Any) -> None:
        self._call = (fn, args)
        self._process = None
        self._answer: tuple[bool, Any] | None = None
        if "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            self._receive, send = context.Pipe(duplex=False)
            # not a daemon: the work may start processes of its own (parallel outcomes)
            self._process = context.Process(target=_compute, args=(send, fn, args))
            self._process.start()
            send.close()

    def result(self) -> Any:
        """The value (waits for it the first time)."""
        if self._answer is None:
            fn, args = self._call
            if self._process is None:
                self._answer = (True, fn(*args))
            else:
                try:
                    self._answer = self._receive.recv()
                except EOFError:  # the process died without an answer: compute it here
                    self._answer = (True, fn(*args))
                finally:
                    self._receive.close()
                    self._process.join()
        ok, value = self._answer
        if ok:
            return value
        raise value


def _compute(send, fn, args) -> None:
    try:
        answer = (True, fn(*args))
    except BaseException as error:
        answer = (False, error)
    try:
        send.send(answer)
    except OSError:  # the caller is gone: nobody to answer
        pass
    except Exception as error:  # the value could not be pickled: say so instead
        send.send((False, RuntimeError(f"result could not be sent back: {error}")))
    send.close()
