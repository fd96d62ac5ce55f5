"""Tests for the bank statement example job's data generator."""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from statement_example import gen


@pytest.fixture(scope="module")
def big() -> pa.Table:
    return gen.generate(5000, seed=42)


@pytest.fixture(scope="module")
def flat(big):
    """Flattened accounts and transactions with the row / account of each element."""
    accounts = big.column("accounts").combine_chunks()
    txns = big.column("transactions").combine_chunks()
    acc_off = accounts.offsets.to_numpy()
    tx_off = txns.offsets.to_numpy()
    acc = accounts.flatten()
    tx = txns.flatten()
    acc_row = np.repeat(np.arange(big.num_rows), np.diff(acc_off))
    tx_row = np.repeat(np.arange(big.num_rows), np.diff(tx_off))
    # the account of each transaction: its account_no among the row's accounts
    acc_nos = acc.field("account_no").to_pylist()
    acc_key = {(r, a): i for i, (r, a) in enumerate(zip(acc_row, acc_nos))}
    tx_acc = np.array([acc_key[(r, a)] for r, a in zip(tx_row, tx.field("account_no").to_pylist())], np.int64)
    return {
        "acc": acc, "tx": tx, "acc_off": acc_off, "tx_off": tx_off,
        "acc_row": acc_row, "tx_row": tx_row, "tx_acc": tx_acc,
    }  # fmt: skip


def test_schema_is_exactly_the_documented_one():
    account = pa.struct(
        [
            ("account_no", pa.string()),
            ("account_name", pa.string()),
            ("currency", pa.string()),
            ("opening_balance_cents", pa.int64()),
            ("closing_balance_cents", pa.int64()),
        ]
    )
    transaction = pa.struct(
        [
            ("account_no", pa.string()),
            ("date", pa.date32()),
            ("booking_text", pa.string()),
            ("reference", pa.string()),
            ("amount_cents", pa.int64()),
            ("balance_cents", pa.int64()),
        ]
    )
    expected = pa.schema(
        [
            ("customer_id", pa.string()),
            ("name", pa.string()),
            ("street", pa.string()),
            ("postcode", pa.string()),
            ("city", pa.string()),
            ("country", pa.string()),
            ("language", pa.string()),
            ("statement_no", pa.string()),
            ("period_start", pa.date32()),
            ("period_end", pa.date32()),
            ("segment", pa.string()),
            ("accounts", pa.list_(account)),
            ("transactions", pa.list_(transaction)),
            ("total_credits_cents", pa.int64()),
            ("total_debits_cents", pa.int64()),
        ]
    )
    assert gen.SCHEMA.equals(expected)
    table = gen.generate(50)
    assert table.schema.equals(expected)
    assert table.num_rows == 50
    for col in table.columns:
        assert col.null_count == 0
    for arr in (table.column("accounts").combine_chunks().flatten(),
                table.column("transactions").combine_chunks().flatten()):  # fmt: skip
        for i in range(arr.type.num_fields):
            assert arr.field(i).null_count == 0


def test_same_seed_same_table_different_seed_different():
    a = gen.generate(300, seed=7)
    b = gen.generate(300, seed=7)
    c = gen.generate(300, seed=8)
    assert a.equals(b)
    assert not a.equals(c)
    assert a.column("name").to_pylist() != c.column("name").to_pylist()
    assert not a.column("transactions").equals(c.column("transactions"))
    assert not a.column("accounts").equals(c.column("accounts"))


def test_ids_follow_the_global_row_number():
    t = gen.generate(3, start=42)
    assert t.column("customer_id").to_pylist() == ["S000000042", "S000000043", "S000000044"]
    for no, start in zip(t.column("statement_no").to_pylist(),
                         t.column("period_start").to_pylist()):  # fmt: skip
        assert re.fullmatch(r"ST-2026-\d\d-\d{8}", no)
        assert no == f"ST-2026-{start.month:02d}-{int(no[-8:]):08d}"
    assert t.column("statement_no")[0].as_py().endswith("-00000042")
    assert gen.generate(1).column("customer_id")[0].as_py() == "S000000000"


def test_generate_batches_concatenate_to_generate():
    whole = gen.generate(100, seed=3)
    batches = list(gen.generate_batches(100, 3, 7))
    assert [b.num_rows for b in batches] == [7] * 14 + [2]
    assert all(b.schema.equals(gen.SCHEMA) for b in batches)
    assert pa.Table.from_batches(batches).equals(whole)
    head, tail = gen.generate(40, seed=3), gen.generate(60, seed=3, start=40)
    assert pa.concat_tables([head, tail]).equals(whole)
    # internal chunking of generate() does not show either
    big = gen.generate(gen._CHUNK_ROWS + 10, seed=3)
    k = gen._CHUNK_ROWS - 5
    assert big.slice(k).equals(gen.generate(15, seed=3, start=k))


def test_transaction_counts_in_range_and_one_in_ten_long(big):
    counts = pc.list_value_length(big.column("transactions")).to_numpy()
    assert counts.min() >= gen.MIN_TRANSACTIONS and counts.max() <= gen.MAX_TRANSACTIONS
    assert counts.min() == 5 and counts.max() > 390
    long = counts > 150
    assert 0.08 < long.mean() < 0.12
    assert (counts > 300).sum() > 50  # the statements that run to many pages
    assert 40 < np.median(counts) < 70
    n_acc = pc.list_value_length(big.column("accounts")).to_numpy()
    assert n_acc.min() == 1 and n_acc.max() == 3
    assert all((n_acc == k).mean() > 0.1 for k in (1, 2, 3))


def test_balances_are_consistent(flat):
    acc, tx, tx_acc = flat["acc"], flat["tx"], flat["tx_acc"]
    opening = acc.field("opening_balance_cents").to_numpy()
    closing = acc.field("closing_balance_cents").to_numpy()
    amount = tx.field("amount_cents").to_numpy()
    balance = tx.field("balance_cents").to_numpy()
    # opening + sum(amounts) == closing, per account
    sums = np.bincount(tx_acc, weights=amount, minlength=len(opening))
    assert np.array_equal(opening + np.rint(sums).astype(np.int64), closing)
    # running balance: exact integer recurrence, one account after another
    first = np.r_[True, tx_acc[1:] != tx_acc[:-1]]
    prev = np.where(first, opening[tx_acc], np.r_[0, balance[:-1]])
    assert np.array_equal(prev + amount, balance)
    last = np.r_[tx_acc[1:] != tx_acc[:-1], True]
    assert np.array_equal(balance[last], closing[tx_acc[last]])
    assert (amount != 0).all()


def test_totals_of_credits_and_debits(big, flat):
    amount = flat["tx"].field("amount_cents").to_numpy()
    rows = flat["tx_row"]
    credits = np.bincount(rows, weights=np.maximum(amount, 0), minlength=big.num_rows)
    debits = np.bincount(rows, weights=np.minimum(amount, 0), minlength=big.num_rows)
    assert np.array_equal(big.column("total_credits_cents").to_numpy(), credits.astype(np.int64))
    assert np.array_equal(big.column("total_debits_cents").to_numpy(), debits.astype(np.int64))
    acc = flat["acc"]
    net = np.bincount(
        flat["acc_row"],
        weights=(
            acc.field("closing_balance_cents").to_numpy() - acc.field("opening_balance_cents").to_numpy()
        ),  # fmt: skip
        minlength=big.num_rows,
    )
    total = (big.column("total_credits_cents").to_numpy()
             + big.column("total_debits_cents").to_numpy())  # fmt: skip
    assert np.array_equal(net.astype(np.int64), total)


def test_sorted_by_account_then_date_within_the_period(big, flat):
    tx_acc, tx_row, acc_off = flat["tx_acc"], flat["tx_row"], flat["acc_off"]
    same_row = tx_row[1:] == tx_row[:-1]
    # grouped by account, accounts in the order they are listed
    assert (np.diff(tx_acc)[same_row] >= 0).all()
    # ... which is also the string order of account_no
    nos = flat["tx"].field("account_no").to_pylist()
    assert all(a <= b for a, b, s in zip(nos, nos[1:], same_row) if s)
    days = flat["tx"].field("date").cast(pa.int32()).to_numpy()
    same_acc = tx_acc[1:] == tx_acc[:-1]
    assert (np.diff(days)[same_acc] >= 0).all()
    start = big.column("period_start").cast(pa.int32()).to_numpy()
    end = big.column("period_end").cast(pa.int32()).to_numpy()
    assert (days >= start[tx_row]).all() and (days <= end[tx_row]).all()
    # every listed account is used at least once (nothing orphaned either way)
    assert np.array_equal(np.unique(tx_acc), np.arange(acc_off[-1]))


def test_periods_are_calendar_months_of_2026(big):
    starts = big.column("period_start").to_pylist()
    ends = big.column("period_end").to_pylist()
    for s, e in zip(starts[:500], ends[:500]):
        assert s.year == e.year == 2026 and s.day == 1 and s.month == e.month
        assert e + dt.timedelta(days=1) == (dt.date(2027, 1, 1) if e.month == 12 else dt.date(2026, e.month + 1, 1))
    assert {s.month for s in starts} == set(range(1, 13))


def _iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "")
    moved = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in moved)
    return int(digits) % 97 == 1


def test_accounts_ibans_names_and_currency(big, flat):
    acc = flat["acc"]
    nos = acc.field("account_no").to_pylist()
    assert all(re.fullmatch(r"DE\d\d( \d{4}){4} \d\d", no) for no in nos)
    assert all(_iban_valid(no) for no in nos)
    assert _iban_valid("DE89 3704 0044 0532 0130 00")
    names = acc.field("account_name").to_pylist()
    assert set(names) == set(gen.ACCOUNT_NAMES)
    assert set(acc.field("currency").to_pylist()) == {"EUR"}
    acc_off = flat["acc_off"]
    first = names[:1] + [names[i] for i in acc_off[1:-1]]
    assert set(first) == {"Current account"}  # every statement starts with one
    for i in range(big.num_rows):  # no customer has two of a kind, numbers distinct
        own = names[acc_off[i] : acc_off[i + 1]]
        assert len(set(own)) == len(own)
        assert len(set(nos[acc_off[i] : acc_off[i + 1]])) == len(own)
    # credit cards are owed money (never in credit); savings never overdrawn
    kinds = np.array(names)
    opening = acc.field("opening_balance_cents").to_numpy()
    closing = acc.field("closing_balance_cents").to_numpy()
    card, savings = kinds == "Credit card", kinds == "Savings account"
    assert (opening[card] < 0).all() and (closing[card] <= 0).all()
    balance = flat["tx"].field("balance_cents").to_numpy()
    tx_kind = kinds[flat["tx_acc"]]
    assert (balance[tx_kind == "Savings account"] >= 0).all()
    assert (opening[savings] >= 0).all()


def test_booking_texts_and_references(flat):
    tx = flat["tx"]
    texts = tx.field("booking_text").to_pylist()
    distinct = set(texts)
    assert len(distinct) > 1000
    for needle in ("Card payment — REWE Markt Köln", "Standing order — rent", "ATM withdrawal",
                   "Direct debit — Stadtwerke München", "Salary ACME GmbH", "Interest credit",
                   "Credit card repayment — thank you"):  # fmt: skip
        assert needle in distinct, needle
    assert any(t.startswith("SEPA transfer from ") for t in distinct)
    assert any(t.startswith("SEPA transfer to ") for t in distinct)
    amount = tx.field("amount_cents").to_numpy()
    text = np.array(texts, dtype=object)
    assert (amount[text == "ATM withdrawal"] < 0).all()
    salary = np.array([t.startswith("Salary ") for t in texts])
    assert salary.any() and (amount[salary] > 0).all()
    debit_kinds = ("Card payment", "Direct debit", "Standing order", "ATM", "Payroll")
    debit = np.array([t.startswith(debit_kinds) for t in texts])
    assert (amount[debit] < 0).all()
    refs = tx.field("reference")
    lengths = pc.utf8_length(refs).to_numpy()
    assert lengths.min() == 0 and lengths.max() <= 60
    assert 0.2 < (lengths == 0).mean() < 0.7
    assert (lengths > 40).mean() > 0.03  # sometimes long
    assert len(set(refs.to_pylist())) > 2000


def test_segments_languages_names_and_addresses(big):
    seg = {d["values"]: d["counts"] / big.num_rows
           for d in pc.value_counts(big.column("segment")).to_pylist()}  # fmt: skip
    assert set(seg) == {"retail", "private", "business"}
    assert seg["retail"] > seg["business"] > seg["private"] > 0.05
    lang = {d["values"]: d["counts"] / big.num_rows
            for d in pc.value_counts(big.column("language")).to_pylist()}  # fmt: skip
    assert set(lang) == {"en", "de"}
    assert 0.25 < lang["de"] < 0.35
    for col in ("street", "postcode", "city", "country"):
        assert pc.min(pc.utf8_length(big.column(col))).as_py() > 0
    assert len(set(big.column("country").to_pylist())) >= 10
    names = big.column("name").to_pylist()
    assert all(re.fullmatch(r"\S.* \S.*", n) for n in names)
    assert sum(not n.isascii() for n in names) > len(names) * 0.5
    joined = "\n".join(names)
    for needle in ("Łukasz", "Öztürk", "Chloé", "Dubois", "O'Brien", "Müller"):
        assert needle in joined, needle


def test_empty_and_bad_arguments():
    empty = gen.generate(0)
    assert empty.num_rows == 0 and empty.schema.equals(gen.SCHEMA)
    assert list(gen.generate_batches(0)) == []
    with pytest.raises(ValueError):
        gen.generate(-1)
    with pytest.raises(ValueError):
        gen.generate(5, start=-1)
    with pytest.raises(ValueError):
        list(gen.generate_batches(10, 42, 0))


def test_write_parquet_and_cli(tmp_path):
    out = tmp_path / "statement.parquet"
    rows, txns = gen.write_parquet(str(out), 130, seed=5, batch_size=50)
    table = pq.read_table(out)
    assert rows == 130 and table.schema.equals(gen.SCHEMA)
    assert table.equals(gen.generate(130, seed=5))
    assert txns == pc.sum(pc.list_value_length(table.column("transactions"))).as_py()

    out2 = tmp_path / "cli.parquet"
    assert gen.main(["--docs", "300", "--seed", "5", "--batch-size", "128", "-o", str(out2)]) == 0
    assert pq.read_table(out2).equals(gen.generate(300, seed=5))
    out3 = tmp_path / "cli.arrow"
    assert gen.main(["--docs", "70", "--seed", "5", "--batch-size", "32", "-o", str(out3)]) == 0
    with pa.memory_map(str(out3)) as src:
        assert pa.ipc.open_file(src).read_all().equals(gen.generate(70, seed=5))
