"""Internal: the worker processes of a local job (``compose(..., workers=N)``).

Workers are forked once the template is compiled, so each starts with the compiled
template, its fonts and caches already in memory (nothing is pickled or compiled again).
The job's process reads the data, hands each part to a worker with room (its records in
an Arrow IPC file in the work directory, so handing over never waits) and merges the
parts in order as they come back. It composes nothing itself when there are workers: a
process busy composing a part would keep a worker that finishes waiting for its next one.
Each worker holds at most ``depth`` parts (the one it composes and the next), so memory
stays bounded by the part size.

A worker that dies (killed, out of memory) fails the job with a :class:`WorkerError`
naming the part and the signal; the parts finished before stay in the work directory,
so ``--resume`` goes on from them. A worker whose job process dies sees its pipe close
and exits.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import traceback
import warnings
from multiprocessing.connection import wait

from .errors import CcmError

__all__ = ["WorkerPool", "WorkerError", "available_cores", "can_fork", "DEFAULT_PART_SIZE"]

#: records per part: enough to keep a worker busy for about a tenth of a second on invoices,
#: few enough that a resumed job redoes little and memory per worker stays small
DEFAULT_PART_SIZE = 1000


class WorkerError(CcmError, RuntimeError):
    """A worker process died or failed while composing a part."""


def available_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not on Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    return "fork" in mp.get_all_start_methods()


def write_batches(path, batches: list) -> None:
    """A part's records, for the worker that composes it."""
    import pyarrow as pa

    with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, batches[0].schema) as w:
        for b in batches:
            w.write_batch(b)


def read_batches(path) -> list:
    """A part's records (the file is removed: its memory map keeps them readable)."""
    import pyarrow as pa

    source = pa.memory_map(str(path), "r")
    reader = pa.ipc.open_file(source)
    batches = [reader.get_batch(i) for i in range(reader.num_record_batches)]
    os.unlink(path)
    return batches


def _serve(conn, run, theirs) -> None:
    """A worker's loop: a task in, ``run(task)``'s result out, until the pipe closes."""
    for c in theirs:  # the job process's ends, inherited: held here, no pipe would ever close
        c.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the job's process decides what an interrupt stops
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        result: tuple
        try:
            try:
                result = ("ok", run(task))
            except BaseException as exc:  # reported to the job's process, which raises it
                result = ("error", exc, traceback.format_exc())
            try:
                conn.send(result)
            except OSError:
                raise
            except Exception:  # an exception that does not pickle: its text does
                failed = result[1]
                conn.send(("error", WorkerError(f"{type(failed).__name__}: {failed}"), result[-1]))
        except OSError:  # the job's process is gone: nobody to tell
            return


class WorkerPool:
    """N forked processes running ``run(task)``, each with up to ``depth`` tasks queued.

    Args:
        n: processes.
        run: what a worker does with a task (inherited through fork, never pickled); tasks
            should be small (they go through a pipe).
        depth: tasks a worker holds at once.
    """

    def __init__(self, n: int, run, depth: int = 2):
        ctx = mp.get_context("fork")
        self.size = n
        self._depth = depth
        self._procs: list = []
        self._conns: list = []
        self._busy: dict[int, list] = {}  # worker -> labels of its tasks, oldest first
        for _ in range(n):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=_serve, args=(child, run, [parent, *self._conns]), daemon=True)
            with warnings.catch_warnings():
                # Python 3.12+ warns when a process with threads forks (pyarrow keeps a pool);
                # a worker only composes, and pyarrow re-creates its pools in a forked child
                warnings.filterwarnings("ignore", message=r".*multi-threaded.*fork", category=DeprecationWarning)
                p.start()
            child.close()
            self._procs.append(p)
            self._conns.append(parent)

    def room_within(self, depth: int) -> int:
        """Tasks that can be submitted now if a worker may hold at most ``depth``."""
        return sum(max(0, min(depth, self._depth) - len(self._busy.get(w, ()))) for w in range(self.size))

    @property
    def in_flight(self) -> int:
        return sum(len(v) for v in self._busy.values())

    def submit(self, label, task) -> None:
        """Give a task to the least busy worker (the caller checks :meth:`room_within`)."""
        w = min(range(self.size), key=lambda k: len(self._busy.get(k, ())))  # the first of the least busy
        if len(self._busy.get(w, ())) >= self._depth:
            raise RuntimeError("every worker is full")
        self._busy.setdefault(w, []).append(label)
        try:
            self._conns[w].send(task)
        except OSError:  # its pipe is closed: it died, and says how below
            self._procs[w].join(5)
            raise self._died(w) from None

    def next_result(self, block: bool = True):
        """(label, result) of the next task to finish; None when none has and not ``block``.

        Raises:
            WorkerError: a worker died (named with its signal or exit status and the part).
            the task's own exception, when it raised one.
        """
        self._busy = {w: v for w, v in self._busy.items() if v}
        if not self._busy:
            raise RuntimeError("no task in flight")
        conns = {self._conns[w]: w for w in self._busy}
        sentinels = {self._procs[w].sentinel: w for w in self._busy}
        ready = wait(list(conns) + list(sentinels), None if block else 0)
        if not ready:
            return None
        for r in ready:
            if r in conns:
                w = conns[r]
                try:
                    status, *rest = self._conns[w].recv()
                except (EOFError, OSError):
                    break  # it died: its sentinel says how
                label = self._busy[w].pop(0)
                if status == "ok":
                    return label, rest[0]
                failed = rest[0]
                assert isinstance(failed, BaseException)  # what _serve sends with "error"
                raise failed
        dead = [sentinels[r] for r in ready if r in sentinels] or [conns[r] for r in ready if r in conns]
        raise self._died(dead[0])  # a pipe may close before the process is seen to end: _died waits

    def _died(self, w: int) -> WorkerError:
        label = self._busy.pop(w)[0]
        self._procs[w].join(5)  # its pipe may close before the exit status can be read
        code = self._procs[w].exitcode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with status {code}"
        if code == -signal.SIGKILL:
            how += " (out of memory, or killed)"
        return WorkerError(f"a worker process {how} while composing {label}")

    def stop(self) -> None:
        """Tell idle workers to exit (without waiting for them: :meth:`close` does)."""
        for w, c in enumerate(self._conns):
            if not self._busy.get(w):
                try:
                    c.send(None)
                except OSError:
                    pass

    def close(self) -> None:
        """Stop the workers (those still busy are terminated)."""
        for w, (p, c) in enumerate(zip(self._procs, self._conns)):
            if self._busy.get(w) and p.is_alive():
                p.terminate()
            else:
                try:
                    c.send(None)
                except OSError:
                    pass
        for p, c in zip(self._procs, self._conns):
            p.join(10)
            if p.is_alive():
                p.kill()
                p.join()
            c.close()
        self._busy.clear()
