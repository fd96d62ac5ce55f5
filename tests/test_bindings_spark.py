"""Spark: the invoice job composed inside mapInArrow on ``local[2]``, merged to the local bytes.

Spark runs for real here (the JVM this machine has); a Python worker killed in the middle
of a partition is retried by Spark (``local[2,4]``: four attempts per task).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import generate  # examples/invoice, put on sys.path by conftest
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ccmcore import compose
from ccmcore.reconciliation import reconcile

pytest.importorskip("pyspark", reason="the test extra installs pyspark")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs a Java runtime", allow_module_level=True)

HERE = Path(__file__).resolve().parent

# the JVM's sockets and py4j's connections are closed by the garbage collector (Spark 3.5)
pytestmark = [
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]


@pytest.fixture(scope="module")
def spark():
    import sys

    from pyspark.sql import SparkSession

    # Spark's Python workers run this interpreter (Spark 3.5 would take the first python3 on PATH)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    session = (
        SparkSession.builder.master("local[2,4]")  # two cores, a failed task tried up to four times
        .appName("ccmcore-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def invoices(tmp_path_factory):
    from template import document

    d = tmp_path_factory.mktemp("spark")
    table = generate.generate(300, seed=9)
    table = table.append_column("seq", pa.array(range(300), pa.int64()))
    pq.write_table(table, d / "in.parquet")
    compose(document, d / "in.parquet", d / "local.pdf")
    compose(document, d / "in.parquet", d / "local.afp")
    return d


def _ordered(spark, d: Path, partitions: int):
    """The data in its file's order over several partitions (a range partitioning by a sequence)."""
    df = spark.read.parquet(str(d / "in.parquet"))
    return df.repartitionByRange(partitions, "seq").sortWithinPartitions("seq")


@pytest.mark.parametrize("fmt", ["pdf", "afp"])
def test_map_in_arrow_gives_the_local_bytes(spark, invoices, tmp_path, fmt):
    from template import document

    from ccmcore.bindings.spark import compose as spark_compose

    out = tmp_path / f"spark.{fmt}"
    report = spark_compose(document, _ordered(spark, invoices, 4), out, storage=tmp_path / "store")
    assert report.documents == 300
    assert out.read_bytes() == (invoices / f"local.{fmt}").read_bytes()
    assert reconcile(out, Path(f"{out}.manifest.parquet")).ok


def test_rows_are_a_dataframe_spark_can_write(spark, invoices, tmp_path):
    from template import document

    from ccmcore.bindings.spark import compose_partitions
    from ccmcore.cli import main as ccm

    rows, records = compose_partitions(document, _ordered(spark, invoices, 3), str(tmp_path / "store"))
    assert records == 300
    rows.write.parquet(str(tmp_path / "rows"))  # the manifest rows, as Spark writes them
    out = tmp_path / "m.pdf"
    assert ccm(["merge", str(tmp_path / "rows"), "-o", str(out), "--records", "300"]) == 0
    assert out.read_bytes() == (invoices / "local.pdf").read_bytes()


def test_a_python_worker_killed_mid_partition_is_retried_once_per_record(spark, invoices, tmp_path):
    import dying_invoice

    from ccmcore.bindings.spark import compose as spark_compose

    out = tmp_path / "retried.pdf"
    with dying_invoice.armed(tmp_path) as marker:
        report = spark_compose(dying_invoice.document, _ordered(spark, invoices, 4), out, storage=tmp_path / "store")
    assert marker.read_text() == "died"  # a worker did die
    assert report.documents == 300
    assert out.read_bytes() == (invoices / "local.pdf").read_bytes()
    assert reconcile(out, Path(f"{out}.manifest.parquet")).ok


def test_grouped_by_household_puts_each_households_documents_together(spark, invoices, tmp_path):
    """applyInArrow (Spark 4): a group's documents are consecutive in the print file."""
    from template import document

    from ccmcore.bindings.spark import compose_grouped

    df = spark.read.parquet(str(invoices / "in.parquet"))
    grouped = df.groupBy("city")
    if not hasattr(grouped, "applyInArrow"):  # Spark 3.5, the oldest supported: refused, with the way round
        with pytest.raises(NotImplementedError, match="sortWithinPartitions"):
            compose_grouped(document, df, "city", tmp_path / "x.pdf", storage=tmp_path / "store")
        return
    out = tmp_path / "households.pdf"
    report = compose_grouped(
        document, df, "city", out, storage=tmp_path / "store", within="seq", buckets=3, key="customer_id"
    )
    assert report.documents == 300
    assert reconcile(out, Path(f"{out}.manifest.parquet")).ok
    manifest = pq.read_table(f"{out}.manifest.parquet").sort_by("offset")
    local = {r["customer_id"]: r["city"] for r in pq.read_table(invoices / "in.parquet").to_pylist()}
    cities = [local[k] for k in manifest.column("key").to_pylist()]
    runs = [c for i, c in enumerate(cities) if i == 0 or c != cities[i - 1]]
    assert len(runs) == len(set(cities))  # every city's documents in one run
    assert sorted(local) == sorted(manifest.column("key").to_pylist())  # each record once
