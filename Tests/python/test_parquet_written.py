"""Reads the Parquet files imgfeat's writer produced (Tests/ParquetTests/WriterOutputTests.swift writes
them into .fixtures/parquet-out with the values they must hold) with pyarrow, DuckDB and Spark, and
compares rows, types, values (bit for bit), key-value metadata and column statistics."""
import glob
import json
import os
import re
import sys

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, ".fixtures", "parquet-out")


def expectations():
    files = sorted(glob.glob(os.path.join(OUT, "*.json")))
    if not files:
        pytest.fail(f"no expectations in {OUT}: run `swift test --filter WriterOutputTests` first "
                    "(scripts/test.sh runs it before pytest)")
    return [json.load(open(f, encoding="utf-8")) for f in files]


CASES = expectations() if glob.glob(os.path.join(OUT, "*.json")) else [None]


def case_id(c):
    return c["file"] if c else "missing"


def need(case):
    if case is None:
        expectations()
    return case


def expected_values(case):
    if case["table"] == "errors":
        return None
    dtype = np.dtype("<f4") if case["element"] == "float" else np.dtype("<f8")
    values = np.fromfile(os.path.join(OUT, case["values"]), dtype=dtype)
    assert values.size == case["rows"] * case["dimension"]
    return values.reshape(case["rows"], case["dimension"])


def string_columns(case):
    return ["path", "label"] if case["table"] != "errors" else ["path", "label", "stage", "message"]


def bits(a):
    a = np.asarray(a)
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def same_or_both_nan(got, want):
    got, want = np.asarray(got, dtype=want.dtype), np.asarray(want)
    return bool(np.all((got == want) & (np.signbit(got) == np.signbit(want)) | (np.isnan(got) & np.isnan(want))))


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_pyarrow_reads_rows_types_and_values(case):
    case = need(case)
    path = os.path.join(OUT, case["file"])
    table = pq.read_table(path)
    assert table.num_rows == case["rows"]
    for name in string_columns(case):
        assert table.schema.field(name).type == pa.string()
        assert table.column(name).to_pylist() == case[name]
    values = expected_values(case)
    if values is not None:
        column = case["vector_column"]
        elem = pa.float32() if case["element"] == "float" else pa.float64()
        assert table.schema.field(column).type.value_type == elem
        assert table.schema.names == ["path", "label", column]
        lists = table.column(column).combine_chunks()
        assert lists.null_count == 0
        assert np.all(np.diff(lists.offsets.to_numpy()) == case["dimension"])
        flat = lists.flatten().to_numpy(zero_copy_only=False)
        assert np.array_equal(bits(flat), bits(values.ravel())), "values differ bit for bit"


@pytest.mark.parametrize("case", [c for c in CASES if c is None or not c["file"].endswith("parts")], ids=case_id)
def test_footer_metadata_row_groups_and_statistics(case):
    case = need(case)
    meta = pq.ParquetFile(os.path.join(OUT, case["file"])).metadata
    kv = {k.decode(): v.decode() for k, v in (meta.metadata or {}).items()}
    assert kv == case["metadata"]
    rows, per_group = case["rows"], case["row_group_rows"]
    assert meta.num_row_groups == -(-rows // per_group)
    names = string_columns(case) + ([case["vector_column"]] if case["table"] != "errors" else [])
    values = expected_values(case)
    for g in range(meta.num_row_groups):
        group = meta.row_group(g)
        lo, hi = g * per_group, min(rows, (g + 1) * per_group)
        assert group.num_rows == hi - lo
        for j, name in enumerate(names):
            column = group.column(j)
            assert column.compression == case["compression"]
            stats = column.statistics
            assert stats is not None and stats.has_null_count and stats.null_count == 0, name
            if name in string_columns(case):
                data = [s.encode() for s in case[name][lo:hi]]
                assert stats.has_min_max
                assert stats.min_raw == min(data) and stats.max_raw == max(data), name
            else:
                block = values[lo:hi].ravel()
                finite = block[~np.isnan(block)]
                assert stats.has_min_max
                assert stats.min == finite.min() and stats.max == finite.max(), name


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_duckdb_reads_rows_and_values(case):
    case = need(case)
    path = os.path.join(OUT, case["file"])
    source = os.path.join(path, "*.parquet") if os.path.isdir(path) else path
    con = duckdb.connect()
    columns = string_columns(case) + ([case["vector_column"]] if case["table"] != "errors" else [])
    rows = con.execute(f"SELECT {', '.join(columns)} FROM read_parquet(?)", [source]).fetchall()
    assert len(rows) == case["rows"]
    by_path = {r[0]: r for r in rows}
    values = expected_values(case)
    for i, p in enumerate(case["path"]):
        row = by_path[p]
        for k, name in enumerate(string_columns(case)):
            assert row[k] == case[name][i], (name, i)
        if values is not None:
            assert same_or_both_nan(row[-1], values[i]), f"row {i} differs"
    if not os.path.isdir(path):
        kv = dict(con.execute("SELECT decode(key), decode(value) FROM parquet_kv_metadata(?)", [path]).fetchall())
        assert kv == case["metadata"]
        types = dict(con.execute("SELECT name, type FROM parquet_schema(?)", [path]).fetchall())
        assert types["path"] == "BYTE_ARRAY"


def test_partitioned_folder_layout():
    case = next((c for c in CASES if c and c["file"] == "features_parts"), None)
    if case is None:
        pytest.fail(f"{OUT}/features_parts.json missing: run the Swift tests first")
    folder = os.path.join(OUT, "features_parts")
    names = sorted(os.listdir(folder))
    assert "_SUCCESS" in names and os.path.getsize(os.path.join(folder, "_SUCCESS")) == 0
    parts = [n for n in names if n != "_SUCCESS"]
    assert len(parts) == case["parts"]
    for i, name in enumerate(parts):
        assert re.fullmatch(rf"part-{i:05d}-{re.escape(case['run_id'])}\.snappy\.parquet", name), name


@pytest.fixture(scope="module")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession
    session = (SparkSession.builder.master("local[1]").appName("imgfeat-parquet-check")
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .getOrCreate())
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def test_spark_reads_every_file(spark):
    for case in expectations():
        path = os.path.join(OUT, case["file"])
        df = spark.read.parquet(path)
        columns = string_columns(case) + ([case["vector_column"]] if case["table"] != "errors" else [])
        assert df.columns == columns, case["file"]
        rows = df.collect()
        assert len(rows) == case["rows"], case["file"]
        by_path = {r["path"]: r for r in rows}
        values = expected_values(case)
        for i, p in enumerate(case["path"]):
            row = by_path[p]
            for name in string_columns(case):
                assert row[name] == case[name][i], (case["file"], name, i)
            if values is not None:
                assert same_or_both_nan(row[case["vector_column"]], values[i]), (case["file"], i)
