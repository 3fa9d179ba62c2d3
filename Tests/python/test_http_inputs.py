"""Plain http(s) URLs in an @FILE list (issue 18, point 6): a 401/403 answer is an error row of stage
`fetch` for that URL (the run goes on), its text says the status once, and the credentials hint that
belongs to signed S3 requests is not there."""
import http.server
import random
import threading

import pyarrow.parquet as pq
import pytest

from conftest import jpeg_bytes, run_imgfeat

SMALL = ["--device", "cpu", "--weights", "random:0", "--alpha", "0.35", "--size", "32", "--quiet"]


@pytest.fixture(scope="module")
def server():
    rng = random.Random(6)
    images = {f"/cats/{i}.jpg": jpeg_bytes(rng, 30, 30) for i in range(4)}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/private/"):
                self.send_response(401 if "login" in self.path else 403)
                self.send_header("Content-Length", "9")
                self.end_headers()
                self.wfile.write(b"forbidden")
                return
            body = images.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", sorted(images)
    httpd.shutdown()


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
