"""The run contract through the real binary (issue 13, points 2-8): one writer per output, a finished
output is done only for the same job (refit on --k/--center, refusal otherwise, --overwrite), nothing
lost silently (symlinks, unreadable folders, special files, duplicate list lines), --max-errors across
reruns, option ranges, no temporary litter, no secrets in the path column."""
import fcntl
import http.server
import json
import os
import pathlib
import random
import resource
import shutil
import signal
import subprocess
import tempfile
import threading

import numpy as np
import pyarrow.parquet as pq
import pytest

from conftest import imgfeat_binary, jpeg_bytes, make_bucket, run_imgfeat, serve_files

SMALL = ["--device", "cpu", "--weights", "random:0", "--alpha", "0.35", "--size", "32", "--quiet"]


def rows_of(folder):
    table = pq.read_table(folder)
    return table["path"].to_pylist(), table


def errors_of(path):
    table = pq.read_table(path)
    return {p: (s, m) for p, s, m in zip(*(table[c].to_pylist() for c in ("path", "stage", "message")))}


def error_lines(proc):
    return [line for line in proc.stderr.splitlines() if line.strip()]


def start(*args, **kwargs):
    return subprocess.Popen([str(imgfeat_binary()), *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kwargs)


def lock_is_held(out):
    """Whether some process holds the flock of OUT/_imgfeat/lock (the kernel answers; no timing)."""
    path = pathlib.Path(out) / "_imgfeat" / "lock"
    if not path.exists():
        return False
    with open(path, "rb") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(f, fcntl.LOCK_UN)
        return False


class StallingServer:
    """Serves one JPEG per path, but holds every request until `release()`: a run whose list names
    it is held mid-fetch, with its output locked, for exactly as long as the test needs."""

    def __init__(self, body):
        self.gate = threading.Event()
        self.arrived = threading.Event()
        self.requests = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.requests.append(self.path)
                server.arrived.set()
                server.gate.wait(120)
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def release(self):
        self.gate.set()

    def close(self):
        self.gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def small_bucket(tmp_path):
    root = tmp_path / "in"
    made = make_bucket(root, 30, seed=21)
    return root, made


# --- 2. one writer per output -------------------------------------------------------------------------

@pytest.mark.parametrize("remote", [False, True])
def test_a_second_writer_is_refused_at_once_naming_the_holder(tmp_path, small_bucket, remote):
    root, made = small_bucket
    server = StallingServer(jpeg_bytes(random.Random(5), 40, 30))
    try:
        listing = tmp_path / "list.txt"
        listing.write_text("".join(f"{p}\n" for p in made["good"]) + f"{server.url}/web/held.jpg\n")
        env = dict(os.environ, TMPDIR=str(tmp_path / "tmp"), AWS_ACCESS_KEY_ID="k", AWS_SECRET_ACCESS_KEY="s",
                   AWS_EC2_METADATA_DISABLED="true", IMGFEAT_S3_MAX_ATTEMPTS="1")
        (tmp_path / "tmp").mkdir()
        if remote:
            # Nothing listens on the endpoint: the lock on the local staging copy is taken before any request.
            out = "s3://bucket/results"
            extra = ["--endpoint-url", "http://127.0.0.1:9"]
            staging = lambda: next((tmp_path / "tmp" / "imgfeat-staging").glob("*"), tmp_path / "none")  # noqa: E731
        else:
            out = tmp_path / "out"
            extra = []
            staging = lambda: out  # noqa: E731
        first = start("featurize", f"@{listing}", "--output", out, *SMALL, *extra, env=env)
        # Paced by what the first run has done, never by the clock: it holds the lock and is stuck in a fetch.
        assert server.arrived.wait(300), first.communicate(timeout=5)
        assert lock_is_held(staging())
        second = subprocess.run([str(imgfeat_binary()), "featurize", f"@{listing}", "--output", str(out), *SMALL,
                                 *extra], capture_output=True, text=True, env=env, timeout=60)
        assert second.returncode == 1, second.stderr
        lines = error_lines(second)
        assert len(lines) == 1 and lines[0].startswith("imgfeat: error:"), second.stderr
        assert "in use by another imgfeat" in lines[0] and f"pid {first.pid} " in lines[0], lines[0]
        server.release()
        stdout, stderr = first.communicate(timeout=300)
        if not remote:
            assert first.returncode == 0, stderr
            paths, _ = rows_of(out)
            assert sorted(paths) == sorted(made["good"] + [f"{server.url}/web/held.jpg"])  # each row once
            assert (out / "_SUCCESS").exists()
    finally:
        server.close()


def test_the_lock_dies_with_a_killed_writer(tmp_path, small_bucket):
    root, made = small_bucket
    server = StallingServer(jpeg_bytes(random.Random(6), 40, 30))
    try:
        listing = tmp_path / "list.txt"
        listing.write_text("".join(f"{p}\n" for p in made["good"]) + f"{server.url}/held.jpg\n")
        out = tmp_path / "out"
        first = start("featurize", f"@{listing}", "--output", out, *SMALL)
        assert server.arrived.wait(300)
        assert lock_is_held(out)
        first.send_signal(signal.SIGKILL)
        first.wait()
        assert not lock_is_held(out)
        server.release()
        run_imgfeat("featurize", f"@{listing}", "--output", out, *SMALL)
        assert (out / "_SUCCESS").exists()
    finally:
        server.close()


# --- 3. a finished output is done only for the same job ----------------------------------------------

def test_a_finished_run_is_done_refitted_or_refused(tmp_path, small_bucket):
    root, made = small_bucket
    out = tmp_path / "out"
    run_imgfeat("run", root, "--output", out, "--k", "4", *SMALL)
    features_before = {p.name: p.stat().st_mtime_ns for p in (out / "features").iterdir()}

    again = run_imgfeat("run", root, "--output", out, "--k", "4", *SMALL)
    assert "already complete" in again.stdout

    for change, word in ((["--weights", "random:1"], "weights"), (["--size", "48"], "size"),
                         (["--alpha", "0.5"], "alpha")):
        args = [*SMALL]
        i = args.index(change[0])
        args[i + 1] = change[1]
        refused = run_imgfeat("run", root, "--output", out, "--k", "4", *args, check=False)
        lines = error_lines(refused)
        assert refused.returncode == 1 and len(lines) == 1, refused.stderr
        assert "another job" in lines[0] and word in lines[0] and "--overwrite" in lines[0], lines[0]
    refused = run_imgfeat("run", root / "group0", "--output", out, "--k", "4", *SMALL, check=False)
    assert refused.returncode == 1 and "its input is" in refused.stderr
    refused = run_imgfeat("featurize", root, "--output", out, *SMALL, check=False)
    assert refused.returncode == 1 and "written by imgfeat run" in refused.stderr, refused.stderr
    assert {p.name: p.stat().st_mtime_ns for p in (out / "features").iterdir()} == features_before

    # Only --k/--center changed: the PCA is refitted from the stored statistics. The images are gone,
    # so the refit cannot have read them; it must equal a fresh run's PCA with those settings.
    fresh = tmp_path / "fresh"
    run_imgfeat("run", root, "--output", fresh, "--k", "3", "--center", *SMALL)
    shutil.rmtree(root)
    refit = run_imgfeat("run", root, "--output", out, "--k", "3", "--center", *SMALL)
    assert "refitted the PCA" in refit.stdout, refit.stdout
    model, expected = (json.loads((d / "pca-model.json").read_text()) for d in (out, fresh))
    assert model["k"] == 3 and model["center"] is True
    np.testing.assert_allclose(np.array(model["components"]), np.array(expected["components"]), atol=1e-9)
    got = pq.read_table(out / "pca").to_pydict()
    want = pq.read_table(fresh / "pca").to_pydict()
    got_rows = dict(zip(got["path"], got["pca_features"]))
    assert sorted(got_rows) == sorted(made["good"])
    for path, values in zip(want["path"], want["pca_features"]):
        np.testing.assert_allclose(got_rows[path], values, atol=1e-9)
    assert {p.name: p.stat().st_mtime_ns for p in (out / "features").iterdir()} == features_before
    assert json.loads((out / "_imgfeat" / "run.json").read_text())["job"]["k"] == 3
    assert "already complete" in run_imgfeat("run", root, "--output", out, "--k", "3", "--center", *SMALL).stdout
    # More components than the stored statistics support: refused before anything is replaced.
    too_many = run_imgfeat("run", root, "--output", out, "--k", "40", *SMALL, check=False)
    assert too_many.returncode == 1 and "--k 40 needs at least 41 images" in too_many.stderr, too_many.stderr
    assert json.loads((out / "pca-model.json").read_text())["k"] == 3 and (out / "_SUCCESS").exists()


def test_too_few_usable_images_for_k_keeps_the_features_and_says_how_to_fit(tmp_path):
    root = tmp_path / "in"
    made = make_bucket(root, 4, seed=23)  # 4 good JPEGs and 12 unusable files: 16 listed
    out = tmp_path / "out"
    refused = run_imgfeat("run", root, "--output", out, "--k", "4", *SMALL, check=False)
    lines = error_lines(refused)
    assert refused.returncode == 1 and len(lines) == 1, refused.stderr
    assert lines[0] == (f"imgfeat: error: --k 4 needs at least 5 featurized images, and only 4 of the 16 images could be "
                        f"featurized (the unusable ones are listed in {out / 'errors.parquet'}); the features are kept: the "
                        "same command with --k 3 or less fits the PCA from them without reading an image again"), lines
    assert sorted(rows_of(out / "features")[0]) == sorted(made["good"]) and len(errors_of(out / "errors.parquet")) == 12
    assert not (out / "_SUCCESS").exists() and not (out / "pca").exists()
    run_imgfeat("run", root, "--output", out, "--k", "3", *SMALL)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["pcaK"] == 3 and summary["imagesProcessed"] == 0 and summary["partsWritten"] == 0, summary
    assert sorted(pq.read_table(out / "pca").column("path").to_pylist()) == sorted(made["good"])


def test_featurize_output_refuses_run_and_foreign_folders_are_left_alone(tmp_path, small_bucket):
    root, made = small_bucket
    out = tmp_path / "feat"
    run_imgfeat("featurize", root, "--output", out, *SMALL)
    refused = run_imgfeat("run", root, "--output", out, *SMALL, check=False)
    assert refused.returncode == 1 and "written by imgfeat featurize" in refused.stderr
    assert not (out / "features").exists() and not (out / "pca").exists()

    foreign = tmp_path / "photos"
    foreign.mkdir()
    (foreign / "holiday.txt").write_text("mine\n")
    for command in ("run", "featurize"):
        proc = run_imgfeat(command, root, "--output", foreign, *SMALL, check=False)
        assert proc.returncode == 1 and "not empty and holds no imgfeat output" in proc.stderr, proc.stderr
    assert sorted(p.name for p in foreign.iterdir()) == ["holiday.txt"]


def test_overwrite_clears_imgfeat_files_and_nothing_else(tmp_path, small_bucket):
    root, made = small_bucket
    out = tmp_path / "out"
    run_imgfeat("run", root, "--output", out, "--k", "4", *SMALL)
    (out / "notes.md").write_text("the user's own file\n")
    (out / "features" / "README").write_text("also the user's\n")
    args = [*SMALL]
    args[args.index("random:0")] = "random:1"
    run_imgfeat("featurize", root, "--output", out, "--overwrite", *args)
    assert (out / "notes.md").read_text() == "the user's own file\n"
    assert (out / "features" / "README").exists() and not list((out / "features").glob("part-*"))
    for gone in ("pca", "pca-model.json", "summary.json", "errors.parquet", "pca-statistics.bin"):
        assert not (out / gone).exists(), gone
    parts = sorted(out.glob("part-*.parquet"))
    assert parts and all(pq.read_schema(p).metadata[b"imgfeat.weights"] == b"random:1" for p in parts)
    paths = [p for part in parts for p in pq.read_table(part, columns=["path"]).column("path").to_pylist()]
    assert sorted(paths) == sorted(made["good"])


# --- 4. nothing lost silently ----------------------------------------------------------------------------

def test_symlinks_are_followed_and_what_cannot_be_listed_is_an_error_row():
    # Under /tmp with open permissions: as root the run goes through setpriv as nobody, since root may
    # read any folder and the unreadable one must be unreadable to the run.
    base = pathlib.Path(tempfile.mkdtemp(prefix="imgfeat-symlinks-"))
    os.chmod(base, 0o777)
    try:
        real = base / "real"
        make_bucket(real, 6, seed=31, bad=False)
        images = sorted(real.rglob("*.jpg"))
        root = base / "in"
        (root / "links").mkdir(parents=True)
        for image in images[:3]:
            (root / "links" / image.name).symlink_to(image)          # symlinked files
        (root / "folder").symlink_to(images[3].parent)               # a symlinked folder
        (root / "links" / "loop").symlink_to(root)                    # a loop back to the root
        (root / "links" / "gone.jpg").symlink_to(base / "missing.jpg")
        locked = root / "locked" / "Label"
        locked.mkdir(parents=True)
        (locked / "x.jpg").write_bytes(images[0].read_bytes())
        os.mkfifo(root / "links" / "pipe.jpg")
        os.chmod(root / "locked", 0)
        out = base / "out"
        command = [str(imgfeat_binary()), "featurize", str(root), "--output", str(out), *SMALL]
        if os.geteuid() == 0:
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *command]
        proc = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        paths, _ = rows_of(out)
        expected = {str(root / "links" / i.name) for i in images[:3]}
        expected |= {str(root / "folder" / p.name) for p in images[3].parent.glob("*.jpg")}
        assert set(paths) == expected
        errors = errors_of(out / "_errors.parquet")
        assert errors[str(root / "links" / "loop")][0] == "list" and "loop" in errors[str(root / "links" / "loop")][1]
        assert errors[str(root / "links" / "gone.jpg")][0] == "read"
        assert "broken symbolic link" in errors[str(root / "links" / "gone.jpg")][1]
        assert errors[str(root / "locked")][0] == "list" and "Permission denied" in errors[str(root / "locked")][1]
        pipe = errors[str(root / "links" / "pipe.jpg")]
        assert pipe[0] == "read" and "FIFO" in pipe[1]
        assert len(errors) == 4, errors
    finally:
        os.chmod(base / "in" / "locked", 0o755)
        shutil.rmtree(base)


def test_a_folder_of_symlinks_is_not_empty(tmp_path):
    real = tmp_path / "real"
    made = make_bucket(real, 4, seed=32, bad=False)
    root = tmp_path / "in" / "Links"
    root.mkdir(parents=True)
    for path in made["good"]:
        (root / os.path.basename(path)).symlink_to(path)
    run_imgfeat("featurize", tmp_path / "in", "--output", tmp_path / "out", *SMALL)
    paths, _ = rows_of(tmp_path / "out")
    assert sorted(paths) == sorted(str(root / os.path.basename(p)) for p in made["good"])


def test_special_files_and_duplicates_in_a_list(tmp_path):
    made = make_bucket(tmp_path / "in", 5, seed=33, bad=False)
    fifo = tmp_path / "pipe.jpg"
    os.mkfifo(fifo)
    listing = tmp_path / "list.txt"
    lines = made["good"] + made["good"][:2] + [str(fifo), "/dev/zero", str(tmp_path)]
    listing.write_text("".join(f"{line}\n" for line in lines))
    proc = run_imgfeat("featurize", f"@{listing}", "--output", tmp_path / "out",
                       *[a for a in SMALL if a != "--quiet"], timeout=300)
    paths, _ = rows_of(tmp_path / "out")
    assert sorted(paths) == sorted(made["good"])
    errors = errors_of(tmp_path / "out" / "_errors.parquet")
    assert errors[str(fifo)][0] == "read" and "FIFO" in errors[str(fifo)][1]
    assert errors["/dev/zero"][0] == "read" and "character device" in errors["/dev/zero"][1]
    assert errors[str(tmp_path)][0] == "read" and "folder" in errors[str(tmp_path)][1]
    assert "duplicates: 2 lines" in proc.stdout, proc.stdout
    assert json.loads((tmp_path / "out" / "_summary.json").read_text())["duplicates"] == 2


# --- 5. --max-errors across reruns -----------------------------------------------------------------------

def test_max_errors_holds_across_reruns(tmp_path):
    root = tmp_path / "in"
    made = make_bucket(root, 40, seed=34)  # 12 bad files
    args = ["featurize", root, "--output", tmp_path / "out", "--max-errors", "3", "--part-rows", "5", *SMALL]
    for attempt in range(15):
        proc = run_imgfeat(*args, check=False)
        assert proc.returncode == 1, f"attempt {attempt} exited {proc.returncode}: {proc.stderr}"
        assert "more than --max-errors 3" in proc.stderr
        assert not (tmp_path / "out" / "_SUCCESS").exists()
    # A higher limit lets the same output finish, from the committed parts.
    run_imgfeat(*args[:4], "--max-errors", "12", *args[6:])
    assert len(errors_of(tmp_path / "out" / "_errors.parquet")) == len(made["bad"])


# --- 6. options checked before any work ------------------------------------------------------------------

@pytest.mark.parametrize("option,value,message", [
    ("--batch", "0", "--batch must be 1…4096 (got 0)"),
    ("--batch", "-1", "--batch must be 1…4096 (got -1)"),
    ("--threads", "0", "--threads must be 1…256 (got 0)"),
    ("--threads", "-5", "--threads must be 1…256 (got -5)"),
    ("--threads", "100000", "--threads must be 1…256 (got 100000)"),
    ("--part-rows", "0", "--part-rows must be 1…100000 (got 0)"),
    ("--part-rows", "-5", "--part-rows must be 1…100000 (got -5)"),
    ("--part-rows", "9223372036854775807", "--part-rows must be 1…100000 (got 9223372036854775807)"),
    ("--size", "3037000500", "--size must be 32…1024 (got 3037000500)"),
    ("--size", "100000", "--size must be 32…1024 (got 100000)"),
    ("--alpha", "1000", "--alpha must be 0.1…4.0 (got 1000.0)"),
    ("--max-errors", "-1", "--max-errors must be 0 or more (got -1)"),
    ("--fetch-concurrency", "0", "--fetch-concurrency must be 1…1024 (got 0)"),
    ("--output", "", "--output must not be empty"),
    ("--shard", "3/3", "imgfeat: error: --shard 3/3"),
    ("--k", "2000", "--k must be 1…1280, the width of the features (got 2000)"),
    ("--k", "0", "--k must be 1 or more (got 0)"),
    ("--k", "30", "--k 30 needs at least 31 images; the input has 6"),
])
def test_options_out_of_range_are_one_line_before_any_work(tmp_path, option, value, message):
    root = tmp_path / "in"
    make_bucket(root, 6, seed=35, bad=False)
    out = tmp_path / "out"
    args = ["run", root, "--output", out, *SMALL]
    if option == "--output":
        args[3] = value
    else:
        args.append(f"{option}={value}")  # the = form, so that negative numbers are values
    proc = run_imgfeat(*args, check=False, cwd=tmp_path, timeout=120)
    lines = error_lines(proc)
    assert proc.returncode == 1, (proc.returncode, proc.stderr)  # never a trap (a negative code)
    assert len(lines) == 1 and lines[0].startswith("imgfeat: error: ") and message in lines[0], proc.stderr
    # Nothing written, not even the folder with its lock.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


@pytest.mark.parametrize("command,variable,value,accepted", [
    ("run", "IMGFEAT_VULKAN_HEAD_POOL", "fusd", "one of fused, separate"),
    ("run", "IMGFEAT_S3_CONCURRENCY", "0", "a whole number from 1 to 1024"),
    ("run", "IMGFEAT_OFFLINE", "y", "one of 1, true, yes, 0, false, no"),
    ("pca", "IMGFEAT_S3_STALL_SECONDS", "soon", "a number of seconds above 0"),
    ("devices", "IMGFEAT_VULKAN_VALIDATION", "on", "one of 1, true, yes, 0, false, no"),
])
def test_environment_values_outside_what_they_accept_are_one_line(tmp_path, command, variable, value, accepted):
    root = tmp_path / "in"
    make_bucket(root, 4, seed=36, bad=False)
    args = {"run": ["run", root, "--output", tmp_path / "out", *SMALL],
            "pca": ["pca", "fit", root, "--k", "2", "--model", tmp_path / "model.json"],
            "devices": ["devices"]}[command]
    proc = run_imgfeat(*args, check=False, cwd=tmp_path, timeout=120, env=dict(os.environ, **{variable: value}))
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert error_lines(proc) == [f"imgfeat: error: {variable}={value} is not {accepted}"], proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]


def test_accepted_environment_values_still_run(tmp_path):
    root = tmp_path / "in"
    make_bucket(root, 4, seed=37, bad=False)
    env = dict(os.environ, IMGFEAT_VULKAN_HEAD_POOL="separate", IMGFEAT_VULKAN_FUSED_BLOCKS="off",
               IMGFEAT_S3_CONCURRENCY="4", IMGFEAT_OFFLINE="0", IMGFEAT_S3_STALL_SECONDS="5")
    run_imgfeat("featurize", root, "--output", tmp_path / "out", *SMALL, env=env, timeout=120)
    assert (tmp_path / "out" / "_SUCCESS").exists()


def test_storage_failures_name_the_option_that_gets_past_them(tmp_path):
    """Storage words its failures without command-line flags; the line the user sees still names them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(HOME=str(tmp_path / "home"), AWS_EC2_METADATA_DISABLED="true", IMGFEAT_S3_MAX_ATTEMPTS="1")
    args = ["featurize", "s3://bucket/images", "--output", tmp_path / "out", *SMALL]
    # No credentials anywhere: looked for before any request, so nothing need listen on the endpoint.
    proc = run_imgfeat(*args, "--endpoint-url", "http://127.0.0.1:9", env=env, check=False, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert error_lines(proc) == [
        "imgfeat: error: AWS credentials: none found (environment, profile default, instance metadata: disabled by "
        "AWS_EC2_METADATA_DISABLED); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or AWS_PROFILE, or use "
        "--no-sign-request for a public bucket"], proc.stderr
    # An unsigned listing refused.
    with serve_files({}, refuse=lambda path: 403) as url:
        proc = run_imgfeat(*args, "--endpoint-url", url, "--no-sign-request", env=env, check=False, timeout=120)
    assert proc.returncode == 1, proc.stderr
    lines = error_lines(proc)
    assert len(lines) == 1 and lines[0].startswith("imgfeat: error: ") and lines[0].endswith(
        ": HTTP 403 (anonymous access is refused); drop --no-sign-request and give credentials"), proc.stderr


def test_an_unusable_output_path_is_named_with_the_cause(tmp_path, small_bucket):
    root, _ = small_bucket
    (tmp_path / "file.txt").write_text("x")
    proc = run_imgfeat("featurize", root, "--output", tmp_path / "file.txt" / "out", *SMALL, check=False)
    lines = error_lines(proc)
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert "NSCocoaErrorDomain" not in lines[0] and str(tmp_path / "file.txt") in lines[0]
    assert "not a folder" in lines[0] or "Not a directory" in lines[0], lines[0]
    out = tmp_path / "out"
    run_imgfeat("run", root, "--output", out, "--k", "2", *SMALL)
    proc = run_imgfeat("pca", "transform", out / "features", "--model", out / "pca-model.json",
                       "--output", tmp_path / "file.txt" / "pca", check=False)
    lines = error_lines(proc)
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert "NSCocoaErrorDomain" not in lines[0] and str(tmp_path / "file.txt") in lines[0], lines[0]
    assert "not a folder" in lines[0], lines[0]


# --- 7. no litter --------------------------------------------------------------------------------------

def test_temporary_files_of_a_killed_run_are_swept(tmp_path, small_bucket):
    root, made = small_bucket
    out = tmp_path / "out"
    server = StallingServer(jpeg_bytes(random.Random(7), 40, 30))
    try:
        listing = tmp_path / "list.txt"
        listing.write_text("".join(f"{p}\n" for p in made["good"]) + f"{server.url}/held.jpg\n")
        first = start("run", f"@{listing}", "--output", out, "--k", "4", *SMALL)
        assert server.arrived.wait(300)
        # What a kill -9 mid-write leaves: a part, a side file, the statistics, the PCA staging folder.
        litter = [out / "features" / ".part-00000-x.snappy.parquet.1234.tmp", out / "_imgfeat" / ".errors-00000.json.5678.tmp",
                  out / ".pca-statistics.bin.tmp-99-abcd", out / ".pca.9abc.tmp" / "part-00000-y.snappy.parquet"]
        for path in litter:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"partial")
        first.send_signal(signal.SIGKILL)
        first.wait()
        server.release()
        run_imgfeat("run", f"@{listing}", "--output", out, "--k", "4", *SMALL)
    finally:
        server.close()
    left = [str(p.relative_to(out)) for p in out.rglob("*") if ".tmp" in p.name]
    assert not left, left


def test_a_full_disk_leaves_no_temporary_file(tmp_path, small_bucket):
    root, _ = small_bucket
    out = tmp_path / "out"

    def small_files():
        # Files over 4 MB cannot be written (EFBIG), as on a full disk: the 13 MB PCA statistics fail.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, 4 << 20))

    proc = subprocess.run([str(imgfeat_binary()), "run", str(root), "--output", str(out), "--k", "4", *SMALL],
                          capture_output=True, text=True, preexec_fn=small_files, timeout=300)
    lines = error_lines(proc)
    assert proc.returncode == 1 and len(lines) == 1, proc.stderr
    assert "pca-statistics.bin" in lines[0] and "File too large" in lines[0], lines[0]
    left = [str(p.relative_to(out)) for p in out.rglob("*") if ".tmp" in p.name]
    assert not left, left
    run_imgfeat("run", root, "--output", out, "--k", "4", *SMALL)  # with room again, the same command finishes
    assert (out / "_SUCCESS").exists()


# --- 8. secrets stay out of outputs ------------------------------------------------------------------------

def test_urls_are_stored_without_credentials_or_signatures(tmp_path):
    body = jpeg_bytes(random.Random(8), 40, 30)
    seen = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.path, self.headers.get("Authorization")))
            if "missing" in self.path:
                self.send_response(404)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    signed = ("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20260101&X-Amz-Date=20260101T000000Z"
              "&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeefsecret")
    urls = [f"http://alice:hunter2pass@127.0.0.1:{port}/Cats/a.jpg",
            f"http://127.0.0.1:{port}/Dogs/b.jpg?version=3&{signed}",
            f"http://127.0.0.1:{port}/Dogs/missing.jpg?{signed}"]
    listing = tmp_path / "urls.txt"
    listing.write_text("".join(f"{u}\n" for u in urls))
    try:
        proc = run_imgfeat("run", f"@{listing}", "--output", tmp_path / "out", "--k", "1", *SMALL)
    finally:
        httpd.shutdown()
        httpd.server_close()
    # The fetch used the full URLs: the server saw the signature and the user info.
    assert any("X-Amz-Signature=deadbeefsecret" in path for path, _ in seen)
    assert any(auth and auth.startswith("Basic ") for _, auth in seen)
    paths, _ = rows_of(tmp_path / "out" / "features")
    assert sorted(paths) == [f"http://127.0.0.1:{port}/Cats/a.jpg", f"http://127.0.0.1:{port}/Dogs/b.jpg?version=3"]
    errors = errors_of(tmp_path / "out" / "errors.parquet")
    assert list(errors) == [f"http://127.0.0.1:{port}/Dogs/missing.jpg"]
    everything = proc.stdout + proc.stderr + "".join(
        p.read_bytes().decode("latin-1") for p in (tmp_path / "out").rglob("*") if p.is_file())
    for secret in ("hunter2pass", "deadbeefsecret", "AKIAEXAMPLE", "alice"):
        assert secret not in everything, secret
