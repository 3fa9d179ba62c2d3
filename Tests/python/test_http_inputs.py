"""Plain http(s) URLs in an @FILE list (issue 18, point 6): a 401/403 answer is an error row of stage
`fetch` for that URL (the run goes on), its text says the status once, and the credentials hint that
belongs to signed S3 requests is not there."""
import random

import pyarrow.parquet as pq
import pytest

from conftest import jpeg_bytes, run_imgfeat, serve_files

SMALL = ["--device", "cpu", "--weights", "random:0", "--alpha", "0.35", "--size", "32", "--quiet"]


@pytest.fixture(scope="module")
def server():
    rng = random.Random(6)
    images = {f"/cats/{i}.jpg": jpeg_bytes(rng, 30, 30) for i in range(4)}

    def refuse(path):
        return (401 if "login" in path else 403) if path.startswith("/private/") else None

    with serve_files(images, refuse=refuse) as url:
        yield url, sorted(images)


def test_refused_urls_are_error_rows_said_once(server, tmp_path):
    base, good = server
    listing = tmp_path / "list.txt"
    refused = [f"{base}/private/dogs/a.jpg", f"{base}/private/login/b.jpg"]
    listing.write_text("\n".join([base + p for p in good] + refused) + "\n")
    out = tmp_path / "out"
    run_imgfeat("featurize", f"@{listing}", "--output", out, *SMALL)
    errors = pq.read_table(out / "_errors.parquet").to_pylist()
    by_path = {e["path"]: e for e in errors}
    assert set(by_path) == set(refused)
    for path, status in zip(refused, ("403", "401")):
        row = by_path[path]
        assert row["stage"] == "fetch"
        assert row["message"].count("HTTP") == 1 and f"HTTP {status}" in row["message"], row["message"]
        assert "credentials' permissions" not in row["message"] and "AWS" not in row["message"], row["message"]
    rows = sum(pq.read_metadata(p).num_rows for p in out.glob("part-*.parquet"))
    assert rows == len(good)
