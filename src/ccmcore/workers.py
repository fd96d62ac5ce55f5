"""Internal: the worker processes of a local job (``compose(..., workers=N)``).

Workers are forked once the template is compiled, so each starts with the compiled
template, its fonts and caches already in memory (nothing is pickled or compiled again).
The job's process reads the data, hands each worker one part at a time (its records as
Arrow IPC bytes), and merges the parts in order as they come back; at most one part per
worker is in flight, so memory stays bounded by the part size.

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
from multiprocessing.connection import wait

import pyarrow as pa

from .errors import CcmError

__all__ = ["WorkerPool", "WorkerError", "available_cores", "can_fork"]


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


def batches_to_bytes(batches: list[pa.RecordBatch]) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batches[0].schema) as w:
        for b in batches:
            w.write_batch(b)
    return sink.getvalue().to_pybytes()


def bytes_to_batches(data: bytes) -> list[pa.RecordBatch]:
    return list(pa.ipc.open_stream(pa.py_buffer(data)))


def _serve(conn, run) -> None:
    """A worker's loop: a task in, ``run(task)``'s result out, until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the job's process decides what an interrupt stops
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        try:
            conn.send(("ok", run(task)))
        except BaseException as exc:  # reported to the job's process, which raises it
            try:
                conn.send(("error", exc, traceback.format_exc()))
            except Exception:
                conn.send(("error", WorkerError(f"{type(exc).__name__}: {exc}"), traceback.format_exc()))


class WorkerPool:
    """N forked processes running ``run(task)``, one task each at a time.

    Args:
        n: processes.
        run: what a worker does with a task (inherited through fork, never pickled).
    """

    def __init__(self, n: int, run):
        ctx = mp.get_context("fork")
        self._procs = []
        self._conns = []
        self._busy: dict[int, object] = {}  # worker -> its task's label
        for _ in range(n):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=_serve, args=(child, run), daemon=True)
            p.start()
            child.close()
            self._procs.append(p)
            self._conns.append(parent)

    @property
    def idle(self) -> int:
        return len(self._procs) - len(self._busy)

    def submit(self, label, task) -> None:
        """Give a task to an idle worker (the caller checks :attr:`idle`)."""
        for w in range(len(self._procs)):
            if w not in self._busy:
                self._busy[w] = label
                self._conns[w].send(task)
                return
        raise RuntimeError("no idle worker")

    def next_result(self):
        """(label, result) of the next task to finish.

        Raises:
            WorkerError: a worker died (named with its signal or exit status and the part).
            the task's own exception, when it raised one.
        """
        if not self._busy:
            raise RuntimeError("no task in flight")
        conns = {self._conns[w]: w for w in self._busy}
        sentinels = {self._procs[w].sentinel: w for w in self._busy}
        ready = wait(list(conns) + list(sentinels))
        for r in ready:
            if r in conns:
                w = conns[r]
                try:
                    status, *rest = r.recv()
                except (EOFError, OSError):
                    break  # it died: its sentinel says how
                label = self._busy.pop(w)
                if status == "ok":
                    return label, rest[0]
                raise rest[0]
        w = next(sentinels[r] for r in ready if r in sentinels) if any(r in sentinels for r in ready) else None
        if w is None:  # a pipe closed before the process was seen to end
            w = next(conns[r] for r in ready if r in conns)
            self._procs[w].join(5)
        label = self._busy.pop(w)
        code = self._procs[w].exitcode
        how = f"was killed by signal {-code}" if code is not None and code < 0 else f"exited with status {code}"
        if code == -signal.SIGKILL:
            how += " (out of memory, or killed)"
        raise WorkerError(f"a worker process {how} while composing {label}")

    def close(self) -> None:
        """Stop the workers (those still busy are terminated)."""
        for w, (p, c) in enumerate(zip(self._procs, self._conns)):
            if w in self._busy and p.is_alive():
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
