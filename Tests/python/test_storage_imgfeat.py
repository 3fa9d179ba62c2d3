"""imgfeat itself on S3 (moto, signatures checked; `s3_harness`): `featurize` and `run` from and to
`s3://` give the rows of the same images on disk, an `s3://` OUT is refitted in place without reading an
image, wrong credentials stop at once without `_SUCCESS`, and no secret reaches the output."""
import json
import os
import pathlib
import subprocess
import tempfile
import urllib.parse

from conftest import imgfeat_binary
from s3_harness import BUCKET, PREFIX, assert_no_secret_in_outputs, proxy, record, s3  # proxy, s3: fixtures

STAGING = pathlib.Path(tempfile.mkdtemp(prefix="imgfeat-staging-test-"))


def imgfeat(s3, *args):
    """Runs the imgfeat tool with the test user's credentials; its output is checked for secrets too."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update(AWS_EC2_METADATA_DISABLED="true", AWS_ACCESS_KEY_ID=s3["key"], AWS_SECRET_ACCESS_KEY=s3["secret"],
                TMPDIR=str(STAGING))  # s3:// outputs stage here: fresh for every test session
    proc = subprocess.run([str(imgfeat_binary()), *map(str, args)], capture_output=True, text=True, env=base,
                          timeout=600)
    record(proc.stdout + proc.stderr)
    assert proc.returncode == 0, f"imgfeat {' '.join(map(str, args))}:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    return proc


def imgfeat_may_fail(s3, *args, timeout=600):
    """`imgfeat(...)` without the exit status check."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update(AWS_EC2_METADATA_DISABLED="true", AWS_ACCESS_KEY_ID=s3["key"], AWS_SECRET_ACCESS_KEY=s3["secret"],
                TMPDIR=str(STAGING))
    proc = subprocess.run([str(imgfeat_binary()), *map(str, args)], capture_output=True, text=True, env=base,
                          timeout=timeout)
    record(proc.stdout + proc.stderr)
    return proc


def feature_rows(table, strip):
    rows = {}
    for path, label, features in zip(table["path"].to_pylist(), table["label"].to_pylist(),
                                     table["features"].to_pylist()):
        assert path.startswith(strip), path
        key = path[len(strip):]
        assert key not in rows, f"duplicate row {path}"
        rows[key] = (label, features)
    return rows


def test_imgfeat_on_s3_matches_the_same_images_on_disk(s3, tmp_path):
    """`imgfeat featurize s3://...` and `imgfeat run s3://... --output s3://...` give the rows and
    features of the same images read from a local folder."""
    import pyarrow.parquet as pq

    small = ["--device", "cpu", "--weights", "random:0", "--alpha", "0.35", "--size", "32", "--quiet"]
    local_root = pathlib.Path(next(iter(s3["made"]["good"]))).parents[2]
    imgfeat(s3, "run", local_root, "--output", tmp_path / "local", "--k", "4", *small)
    local = feature_rows(pq.read_table(tmp_path / "local" / "features"), str(local_root) + "/")
    local_errors = pq.read_table(tmp_path / "local" / "errors.parquet")["path"].to_pylist()

    uri = f"s3://{BUCKET}/{PREFIX}"
    imgfeat(s3, "featurize", uri, "--output", tmp_path / "from-s3", "--endpoint-url", s3["url"], *small)
    remote = feature_rows(pq.read_table(tmp_path / "from-s3"), uri + "/")
    assert len(local) == len(s3["made"]["good"]) and remote.keys() == local.keys()
    for key, (label, features) in local.items():
        assert remote[key][0] == label
        assert remote[key][1] == features, f"{key}: features differ between S3 and disk"
    errors = pq.read_table(tmp_path / "from-s3" / "_errors.parquet")["path"].to_pylist()
    assert sorted(p[len(uri) + 1:] for p in errors) == sorted(p[len(str(local_root)) + 1:] for p in local_errors)

    imgfeat(s3, "run", f"s3a://{BUCKET}/{PREFIX}", "--output", f"s3://{BUCKET}/results", "--k", "4",
            "--endpoint-url", s3["url"], *small)
    client = s3["client"]
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="results/")
            for o in page.get("Contents", [])]
    assert "results/_SUCCESS" in keys and "results/pca-model.json" in keys and "results/errors.parquet" in keys
    download = tmp_path / "downloaded"
    for key in keys:
        if key.startswith("results/features/part-"):
            target = download / key[len("results/"):]
            target.parent.mkdir(parents=True, exist_ok=True)
            client.download_file(BUCKET, key, str(target))
    # The rows keep the scheme the input was given with, as Spark's S3A tables do.
    uploaded = feature_rows(pq.read_table(download / "features"), f"s3a://{BUCKET}/{PREFIX}/")
    assert uploaded.keys() == local.keys()
    assert all(uploaded[k] == local[k] for k in local)
    assert not (STAGING / "imgfeat-staging").exists(), "the staging copy (and its empty parent) should be gone once uploaded"

    # The same command again finds the finished run on S3 and does nothing; another input is refused.
    before = {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="results/")["Contents"]}
    again = imgfeat(s3, "run", f"s3a://{BUCKET}/{PREFIX}", "--output", f"s3://{BUCKET}/results", "--k", "4",
                    "--endpoint-url", s3["url"], *small)
    assert "already complete" in again.stdout + again.stderr
    after = {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="results/")["Contents"]}
    assert after == before
    refused = subprocess.run([str(imgfeat_binary()), "run", f"s3://{BUCKET}/{PREFIX}/group0", "--output",
                              f"s3://{BUCKET}/results", "--endpoint-url", s3["url"], *small],
                             capture_output=True, text=True, timeout=120,
                             env={**{k: v for k, v in os.environ.items() if not k.startswith("AWS_")},
                                  "AWS_EC2_METADATA_DISABLED": "true", "AWS_ACCESS_KEY_ID": s3["key"],
                                  "AWS_SECRET_ACCESS_KEY": s3["secret"], "TMPDIR": str(STAGING)})
    record(refused.stdout + refused.stderr)
    assert refused.returncode != 0 and "holds the output of another job" in refused.stderr, refused.stderr[-2000:]

    # Other weights are not "done" either: the uploaded job record says so (another --k refits in
    # place: test_s3_output_is_refitted_in_place_without_reading_an_image).
    other_weights = [a if a != "random:0" else "random:1" for a in small]
    proc = imgfeat_may_fail(s3, "run", f"s3a://{BUCKET}/{PREFIX}", "--output", f"s3://{BUCKET}/results",
                            "--endpoint-url", s3["url"], "--k", "4", *other_weights)
    assert proc.returncode == 1 and "its weights are random:0, not random:1" in proc.stderr, proc.stderr[-2000:]
    assert "--overwrite" in proc.stderr, proc.stderr[-2000:]
    assert {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="results/")["Contents"]} == before
    assert not (STAGING / "imgfeat-staging").exists(), "a refused run must leave no staging folder"

    # --overwrite replaces imgfeat's objects (no part of the old run survives) and keeps anything else.
    client.put_object(Bucket=BUCKET, Key="results/notes.txt", Body=b"mine")
    imgfeat(s3, "run", f"s3a://{BUCKET}/{PREFIX}", "--output", f"s3://{BUCKET}/results", "--k", "3", "--overwrite",
            "--endpoint-url", s3["url"], *other_weights)
    keys = [o["Key"] for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix="results/")
            for o in page.get("Contents", [])]
    assert "results/notes.txt" in keys
    old_parts = {k for k in before if k.startswith("results/features/part-") or k.startswith("results/pca/part-")}
    assert old_parts and not old_parts & set(keys), "parts of the overwritten run are still there"
    model = json.loads(client.get_object(Bucket=BUCKET, Key="results/pca-model.json")["Body"].read())
    assert model["k"] == 3


def requests_for_images(log):
    """The proxied requests that list or read the input images (anything under Test/)."""
    hits = []
    for method, path, _ in log:
        url = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(url.query)
        if urllib.parse.unquote(url.path).startswith(f"/{BUCKET}/{PREFIX}/") or \
                any(p.startswith(PREFIX + "/") or p == PREFIX for p in query.get("prefix", [])):
            hits.append((method, path))
    return hits


def test_s3_output_is_refitted_in_place_without_reading_an_image(s3, proxy, tmp_path):
    """A finished s3:// run asked again with only --k/--center changed refits its PCA from the stored
    statistics object: new PCA objects, the new k in run.json and pca-model.json, the features, errors
    and statistics objects untouched, and not one request for an image. A refit stopped half-way is
    refitted again by the next run even with the same --k (the job record is marked pending first)."""
    import numpy as np
    import pyarrow.parquet as pq

    client = s3["client"]
    small = ["--device", "cpu", "--weights", "random:0", "--alpha", "0.35", "--size", "32", "--quiet"]
    uri, out = f"s3://{BUCKET}/{PREFIX}/group1", f"s3://{BUCKET}/refit"
    imgfeat(s3, "run", uri, "--output", out, "--k", "4", "--endpoint-url", s3["url"], *small)
    before = {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="refit/")["Contents"]}
    kept = {k: v for k, v in before.items() if k.startswith("refit/features/") or k in
            ("refit/errors.parquet", "refit/pca-statistics.bin")}
    assert any(k.startswith("refit/features/part-") for k in kept) and "refit/pca-statistics.bin" in kept
    old_pca = {k for k in before if k.startswith("refit/pca/part-")}
    assert old_pca

    def run_json():
        return json.loads(client.get_object(Bucket=BUCKET, Key="refit/_imgfeat/run.json")["Body"].read())

    # Stopped half-way: every upload of the new pca-model.json fails, after the projection went up.
    failing = proxy(lambda method, path, attempt: "500" if method == "PUT" and "pca-model.json" in path else None)
    stopped = imgfeat_may_fail(s3, "run", uri, "--output", out, "--k", "3", "--center", "--endpoint-url", failing.url,
                               *small)
    lines = [line for line in stopped.stderr.splitlines() if line.startswith("imgfeat: error:")]
    assert stopped.returncode == 1 and len(lines) == 1 and "rerun to finish it" in lines[0], stopped.stderr[-2000:]
    assert requests_for_images(failing.log) == []
    assert run_json()["job"]["k"] == 3 and run_json()["pcaRefitPending"] is True

    # The same command again: refitted (not "already complete"), still without touching an image.
    p = proxy()
    refit = imgfeat(s3, "run", uri, "--output", out, "--k", "3", "--center", "--endpoint-url", p.url, *small)
    assert "refitted the PCA" in refit.stdout, refit.stdout
    assert requests_for_images(p.log) == [], requests_for_images(p.log)[:5]
    puts = [path for method, path, _ in p.log if method == "PUT"]
    assert puts[0].endswith("/refit/_imgfeat/run.json") and puts[-1].endswith("/refit/_imgfeat/run.json"), puts
    after = {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="refit/")["Contents"]}
    assert {k: after.get(k) for k in kept} == kept, "the refit changed features, errors or statistics"
    new_pca = {k for k in after if k.startswith("refit/pca/part-")}
    assert new_pca and not new_pca & old_pca, "old projection parts survived the refit"
    assert after["refit/pca-model.json"] != before["refit/pca-model.json"]
    job = run_json()
    assert job["job"]["k"] == 3 and job["job"]["center"] is True and "pcaRefitPending" not in job
    summary = json.loads(client.get_object(Bucket=BUCKET, Key="refit/summary.json")["Body"].read())
    assert summary["pcaK"] == 3 and summary["refitted"] is True and summary["imagesProcessed"] == 0
    model = json.loads(client.get_object(Bucket=BUCKET, Key="refit/pca-model.json")["Body"].read())
    assert model["k"] == 3 and model["center"] is True
    assert not (STAGING / "imgfeat-staging").exists(), "the refit left its staging folder"

    # What a fresh run with those settings gives, to the last digit that matters.
    fresh = tmp_path / "fresh"
    imgfeat(s3, "run", uri, "--output", fresh, "--k", "3", "--center", "--endpoint-url", s3["url"], *small)
    expected = json.loads((fresh / "pca-model.json").read_text())
    np.testing.assert_allclose(np.array(model["components"]), np.array(expected["components"]), atol=1e-9)
    np.testing.assert_allclose(model["explained_variance"], expected["explained_variance"], atol=1e-12)
    download = tmp_path / "refit-pca"
    for key in new_pca:
        target = download / key.rsplit("/", 1)[1]
        target.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(BUCKET, key, str(target))
    got = pq.read_table(download).to_pydict()
    want = pq.read_table(fresh / "pca").to_pydict()
    got_rows = dict(zip(got["path"], got["pca_features"]))
    assert sorted(got_rows) == sorted(want["path"]) and len(got_rows) > 100
    for path, values in zip(want["path"], want["pca_features"]):
        np.testing.assert_allclose(got_rows[path], values, atol=1e-9)

    # Done now: the same settings again change nothing.
    again = imgfeat(s3, "run", uri, "--output", out, "--k", "3", "--center", "--endpoint-url", s3["url"], *small)
    assert "already complete" in again.stdout + again.stderr
    assert {o["Key"]: o["ETag"] for o in client.list_objects_v2(Bucket=BUCKET, Prefix="refit/")["Contents"]} == after


def test_imgfeat_with_wrong_credentials_stops_at_once_without_success(s3, proxy, tmp_path):
    base = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    base.update(AWS_EC2_METADATA_DISABLED="true", AWS_ACCESS_KEY_ID=s3["key"], AWS_SECRET_ACCESS_KEY="wrong-secret")
    out = tmp_path / "out"
    p = proxy()
    proc = subprocess.run([str(imgfeat_binary()), "run", f"s3://{BUCKET}/{PREFIX}", "--output", str(out),
                           "--endpoint-url", p.url, "--device", "cpu", "--weights", "random:0", "--quiet"],
                          capture_output=True, text=True, env=base, timeout=120)
    record(proc.stdout + proc.stderr)
    assert proc.returncode != 0
    # Counted in requests, not seconds: the refused listing is asked for once and nothing follows it.
    assert len(p.log) == 1 and "list-type=2" in p.log[0][1], p.log
    lines = [line for line in proc.stderr.splitlines() if line.startswith("imgfeat: error:")]
    assert len(lines) == 1 and "SignatureDoesNotMatch" in lines[0], proc.stderr[-2000:]
    assert "wrong-secret" not in proc.stdout + proc.stderr
    assert not (out / "_SUCCESS").exists()


def test_no_secret_in_any_output(s3):
    assert_no_secret_in_outputs(s3, __file__, minimum=5)
