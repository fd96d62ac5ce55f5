"""Dask: the invoice job composed inside map_partitions on every scheduler, merged to the local bytes.

Dask runs for real here: the threaded and process schedulers, and a distributed
LocalCluster of two worker processes, one of which is killed in the middle of a partition.
"""

from __future__ import annotations

from pathlib import Path

import generate  # examples/invoice, put on sys.path by conftest
import pyarrow.parquet as pq
import pytest

from ccmcore import compose
from ccmcore.errors import BindingError
from ccmcore.reconciliation import reconcile

dd = pytest.importorskip("dask.dataframe", reason="the test extra installs dask")


@pytest.fixture(scope="module")
def invoices(tmp_path_factory):
    from template import document

    d = tmp_path_factory.mktemp("dask")
    pq.write_table(generate.generate(300, seed=8), d / "in.parquet", row_group_size=70)
    compose(document, d / "in.parquet", d / "local.pdf")
    return d


def _frame(d: Path, partitions: int):
    return dd.read_parquet(d / "in.parquet", dtype_backend="pyarrow").repartition(npartitions=partitions)


@pytest.mark.parametrize("scheduler", ["threads", "processes", "sync"])
def test_every_scheduler_gives_the_local_bytes(invoices, tmp_path, scheduler):
    from template import document

    from ccmcore.bindings.dask import compose as dask_compose

    out = tmp_path / "dask.pdf"
    report = dask_compose(document, _frame(invoices, 4), out, storage=tmp_path / "store", scheduler=scheduler)
    assert report.documents == 300
    assert out.read_bytes() == (invoices / "local.pdf").read_bytes()
    assert reconcile(out, Path(f"{out}.manifest.parquet")).ok


def test_rows_only_then_ccm_merge(invoices, tmp_path):
    from template import document

    from ccmcore.bindings.dask import compose as dask_compose
    from ccmcore.cli import main as ccm

    rows = dask_compose(document, _frame(invoices, 3), None, storage=tmp_path / "store", scheduler="threads")
    assert rows.num_rows == 300 and sorted(rows.column("record").to_pylist()) == list(range(300))
    pq.write_table(rows, tmp_path / "rows.parquet")
    assert ccm(["merge", str(tmp_path / "rows.parquet"), "-o", str(tmp_path / "m.pdf"), "--records", "300"]) == 0
    assert (tmp_path / "m.pdf").read_bytes() == (invoices / "local.pdf").read_bytes()


def test_numpy_backed_columns_are_refused_naming_the_fix(invoices, tmp_path):
    from template import document

    from ccmcore.bindings.dask import compose as dask_compose

    ddf = dd.read_parquet(invoices / "in.parquet", dtype_backend="numpy_nullable")
    with pytest.raises(BindingError):
        dask_compose(document, ddf, tmp_path / "x.pdf", storage=tmp_path / "store", scheduler="sync")
    assert not (tmp_path / "x.pdf").exists()


def test_a_worker_killed_mid_partition_is_retried_and_every_record_is_there_once(invoices, tmp_path):
    distributed = pytest.importorskip("distributed")
    import dying_invoice

    from ccmcore.bindings.dask import compose as dask_compose

    out = tmp_path / "dist.pdf"
    with (
        dying_invoice.armed(tmp_path) as marker,
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster),
    ):
        report = dask_compose(dying_invoice.document, _frame(invoices, 5), out, storage=tmp_path / "store")
    assert marker.read_text() == "died"  # a worker did die
    assert report.documents == 300
    assert out.read_bytes() == (invoices / "local.pdf").read_bytes()
    assert reconcile(out, Path(f"{out}.manifest.parquet")).ok
