"""The standard invoice job inside Ray Data, Spark or Dask, merged into one PDF and checked.

    python -m pip install -e ".[dask]"    # or [ray], [spark]
    python examples/invoice/engines.py dask [--docs 10000] [-o out/engine-invoices.pdf]

Generates the invoices as Parquet, starts the engine on this machine's cores (Ray with
its CPUs, Spark ``local[N]``, a Dask LocalCluster of N worker processes), composes every
partition in the engine's workers (part files in ``OUT.parts/``), merges them into the
PDF with its manifest, and checks the PDF against the manifest as ``ccm reconcile`` does.
The same code runs on a cluster: point the engine at it and ``--storage`` at a folder
every worker and this process see (or an fsspec URL such as ``s3://bucket/run-7``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import generate  # noqa: E402  (the generator beside this file)
from template import document  # noqa: E402

from ccmcore.reconciliation import reconcile  # noqa: E402


def with_dask(data: Path, out: Path, storage: Path, cores: int):
    import dask.dataframe as dd
    from distributed import Client, LocalCluster

    from ccmcore.bindings.dask import compose

    with (
        LocalCluster(n_workers=cores, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster),
    ):
        # Arrow-backed columns keep the data's types (dates, line items) as the template reads them
        ddf = dd.read_parquet(data, dtype_backend="pyarrow").repartition(npartitions=4 * cores)
        return compose(document, ddf, out, storage=storage)


def with_spark(data: Path, out: Path, storage: Path, cores: int):
    from pyspark.sql import SparkSession

    from ccmcore.bindings.spark import compose

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # the workers run this Python
    spark = SparkSession.builder.master(f"local[{cores}]").config("spark.ui.enabled", "false").getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        return compose(document, spark.read.parquet(str(data)), out, storage=storage)
    finally:
        spark.stop()


def with_ray(data: Path, out: Path, storage: Path, cores: int):
    import ray

    from ccmcore.bindings.ray import compose

    ray.init(num_cpus=cores, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        return compose(document, ray.data.read_parquet(str(data)), out, storage=storage, actors=cores)
    finally:
        ray.shutdown()


ENGINES = {"dask": with_dask, "spark": with_spark, "ray": with_ray}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("engine", choices=sorted(ENGINES))
    ap.add_argument("--docs", type=int, default=10_000, help="number of invoices (default 10000)")
    ap.add_argument("--cores", type=int, default=os.cpu_count() or 2, help="workers (default: every core)")
    ap.add_argument("-o", "--output", default="out/engine-invoices.pdf")
    ap.add_argument("--storage", help="where the part files go (default OUT.parts)")
    args = ap.parse_args(argv)
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    data = out.with_suffix(".parquet")
    generate.write_parquet(str(data), args.docs, 42)
    storage = Path(args.storage or f"{out}.parts")
    t0 = time.perf_counter()
    report = ENGINES[args.engine](data, out, storage, args.cores)
    seconds = time.perf_counter() - t0
    check = reconcile(out, Path(report.manifest_path))
    print(f"{args.engine}: {report.documents:,} documents, {report.pages:,} pages in {seconds:.1f} s -> {out}")
    print(f"reconcile: {check.summary()}")
    return 0 if check.ok else 1


if __name__ == "__main__":
    sys.exit(main())
