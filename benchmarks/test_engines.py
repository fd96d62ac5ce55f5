"""The invoice job inside Ray Data, Spark and Dask, beside a local ``-j 2`` run of the same data.

    python -m pytest benchmarks/test_engines.py --benchmark-only -s --runslow

10,000 invoices from Parquet, each engine on this machine's two cores (Ray with two CPUs
and an actor pool of two, Spark ``local[2]``, a Dask LocalCluster of two worker
processes), composed and merged into one PDF. Figures per engine: wall seconds of the
whole run (the engine reading the data, composing in its workers, the merge), pages per
second, the engine's own overhead (the same pipeline with a function that composes
nothing: the engine's start of tasks, its data movement and its collect), and whether
the merged file is byte-identical to the local one and passes ``ccm reconcile`` (both
asserted). The engine's session
(Ray's runtime, Spark's JVM, Dask's cluster) is started before the clock starts, as a
cluster is up before a job comes; each run is timed twice and the second is kept (the
first loads the template and fonts in the workers).

Nothing asserts on a timing.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pyarrow as pa
import pytest

import ccmcore

DOCS = 10_000


def _time(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


@pytest.fixture(scope="module")
def local(invoice_parquet, invoice_document, tmp_path_factory):
    d = tmp_path_factory.mktemp("engines")
    data = invoice_parquet(DOCS)
    ccmcore.compose(invoice_document, data, d / "warm.pdf", workers=2)
    seconds = _time(lambda: ccmcore.compose(invoice_document, data, d / "local.pdf", workers=2))
    report = ccmcore.compose(invoice_document, data, d / "local1.pdf", workers=1)
    return {"dir": d, "data": data, "seconds": seconds, "pages": report.pages, "bytes": (d / "local.pdf").read_bytes()}


def _figures(benchmark, name: str, local: dict, run, noop) -> None:
    d: Path = local["dir"]

    def twice():
        for _ in range(2):
            shutil.rmtree(d / "store", ignore_errors=True)
            seconds = _time(run)
        return seconds

    seconds = benchmark.pedantic(twice, rounds=1, iterations=1)
    noop()
    overhead = _time(noop)
    same = (d / f"{name}.pdf").read_bytes() == local["bytes"]
    from ccmcore.reconciliation import reconcile

    reconciled = reconcile(d / f"{name}.pdf", d / f"{name}.pdf.manifest.parquet").ok
    fig = {
        "engine": name,
        "pages": local["pages"],
        "wall_s": round(seconds, 2),
        "pages_per_s": round(local["pages"] / seconds),
        "local_j2_wall_s": round(local["seconds"], 2),
        "local_j2_pages_per_s": round(local["pages"] / local["seconds"]),
        "engine_overhead_s": round(overhead, 2),
        "byte_identical": same,
        "reconciles": reconciled,
    }
    benchmark.extra_info.update(fig)
    print(f"\n[{name}] " + ", ".join(f"{k}={v}" for k, v in fig.items()))
    assert same, f"{name}: the merged file differs from the local one"
    assert reconciled, f"{name}: ccm reconcile fails on the merged file"


@pytest.mark.slow
def test_dask_distributed(benchmark, local, invoice_document):
    dd = pytest.importorskip("dask.dataframe")
    distributed = pytest.importorskip("distributed")
    from ccmcore.bindings.dask import compose

    d = local["dir"]
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cl,
        distributed.Client(cl),
    ):

        def frame():
            return dd.read_parquet(local["data"], dtype_backend="pyarrow").repartition(npartitions=10)

        def run():
            compose(invoice_document, frame(), d / "dask.pdf", storage=d / "store")

        def noop():
            frame().map_partitions(len).compute()

        _figures(benchmark, "dask", local, run, noop)


@pytest.mark.slow
def test_spark_local(benchmark, local, invoice_document):
    pytest.importorskip("pyspark")
    from pyspark.sql import SparkSession

    from ccmcore.bindings.spark import compose

    d = local["dir"]
    spark = SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        table = pa.Table.from_batches(pa.ipc.open_file(pa.memory_map(str(_arrow(local)))).read_all().to_batches())
        with_seq = table.append_column("seq", pa.array(range(table.num_rows), pa.int64()))
        import pyarrow.parquet as pq

        pq.write_table(with_seq, d / "seq.parquet")

        def frame():
            df = spark.read.parquet(str(d / "seq.parquet"))
            return df.repartitionByRange(10, "seq").sortWithinPartitions("seq")

        def run():
            compose(invoice_document, frame(), d / "spark.pdf", storage=d / "store")

        def noop():
            frame().mapInArrow(lambda it: (b.slice(0, 0) for b in it), frame().schema).count()

        _figures(benchmark, "spark", local, run, noop)
    finally:
        spark.stop()


def _arrow(local: dict) -> Path:
    """The data as an Arrow IPC file (read back without a pandas detour)."""
    import pyarrow.parquet as pq

    path = local["dir"] / "in.arrow"
    if not path.exists():
        table = pq.read_table(local["data"])
        with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as w:
            w.write_table(table)
    return path


@pytest.mark.slow
def test_ray_data(benchmark, local, invoice_document):
    ray = pytest.importorskip("ray")
    from ccmcore.bindings.ray import compose, work_of

    d = local["dir"]
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    ray.data.DataContext.get_current().enable_progress_bars = False
    try:
        ds = ray.data.read_parquet(str(local["data"])).materialize()  # the data in the cluster, as a job finds it

        def run():
            compose(invoice_document, ds, d / "ray.pdf", storage=d / "store")

        class Nothing:  # defined here, so Ray ships it by value to its workers
            """An actor that composes nothing: what an actor pool costs by itself."""

            def __init__(self):
                import ccmcore.parts  # noqa: F401  (the import an actor that composes makes)

            def __call__(self, batch):
                return batch.slice(0, 0)

        def noop():  # the same work and actor pool, its actors composing nothing
            _, work, _ = work_of(ds)
            pieces = [work.slice(i, 1) for i in range(work.num_rows)]
            rows = ray.data.from_arrow(pieces).map_batches(
                Nothing, batch_format="pyarrow", batch_size=1, compute=ray.data.ActorPoolStrategy(size=2), num_cpus=1
            )
            ray.get(rows.to_arrow_refs())

        _figures(benchmark, "ray", local, run, noop)
    finally:
        ray.shutdown()
