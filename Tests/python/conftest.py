"""Shared helpers for the Python cross-checks: where the built tool is, generated image folders, a local HTTP server."""
import contextlib
import http.server
import io
import os
import pathlib
import random
import subprocess
import threading

import numpy as np
import pytest
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / ".fixtures"


def imgfeat_binary() -> pathlib.Path:
    if os.environ.get("IMGFEAT_BIN"):
        return pathlib.Path(os.environ["IMGFEAT_BIN"])
    for config in ("release", "debug"):
        path = ROOT / ".build" / config / "imgfeat"
        if path.exists():
            return path
    pytest.fail("imgfeat is not built: run `swift build -c release` (scripts/test.sh does)")


def run_imgfeat(*args, check=True, **kwargs) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(imgfeat_binary()), *map(str, args)], capture_output=True, text=True, **kwargs)
    if check and proc.returncode != 0:
        raise AssertionError(f"imgfeat {' '.join(map(str, args))} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}")
    return proc


def jpeg_bytes(rng: random.Random, width: int, height: int, quality: int = 90) -> bytes:
    """A smooth random image with some noise, encoded as a baseline JPEG."""
    gx = np.linspace(0, 1, width, dtype=np.float32)[None, :, None]
    gy = np.linspace(0, 1, height, dtype=np.float32)[:, None, None]
    base = np.array([rng.random() for _ in range(9)], dtype=np.float32).reshape(3, 3)
    img = base[0] * gx + base[1] * gy + base[2] * gx * gy
    noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, 0.05, (height, width, 3)).astype(np.float32)
    pixels = np.clip((img + noise) * 255, 0, 255).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(out, "JPEG", quality=quality)
    return out.getvalue()


def oversized_jpeg() -> bytes:
    """A valid small JPEG whose frame header claims 40000×40000 pixels (over Pillow's bomb limit)."""
    data = bytearray(jpeg_bytes(random.Random(7), 16, 16))
    i = 2
    while i < len(data):
        marker = data[i + 1]
        length = int.from_bytes(data[i + 2:i + 4], "big")
        if marker in (0xC0, 0xC1, 0xC2):
            data[i + 5:i + 7] = (40000).to_bytes(2, "big")
            data[i + 7:i + 9] = (40000).to_bytes(2, "big")
            return bytes(data)
        i += 2 + length
    raise AssertionError("no SOF marker")


BAD_FILES = {
    "empty.jpg": lambda rng: b"",
    "truncated.jpg": lambda rng: jpeg_bytes(rng, 64, 48)[:300],
    "png_named.jpg": lambda rng: _png(rng),
    "text.jpg": lambda rng: b"this is not an image\n" * 10,
    "random.JPG": lambda rng: bytes(rng.randrange(256) for _ in range(2000)),
    "bomb.jpeg": lambda rng: oversized_jpeg(),
}


def _png(rng) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (rng.randrange(256), 0, 0)).save(out, "PNG")
    return out.getvalue()


def make_bucket(root: pathlib.Path, count: int, seed: int, bad: bool = True, size=(40, 32)) -> dict:
    """`count` JPEGs spread over nested label folders (root/group/label/name.jpg), plus bad files.
    Returns {"good": [paths], "bad": {path: kind}}."""
    rng = random.Random(seed)
    labels = [f"Fruit {i}" for i in range(7)]
    good = []
    for n in range(count):
        label = labels[n % len(labels)]
        folder = root / f"group{n % 3}" / label
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"img_{n:05d}.jpg"
        w = size[0] + rng.randrange(0, 24)
        h = size[1] + rng.randrange(0, 24)
        path.write_bytes(jpeg_bytes(rng, w, h))
        good.append(str(path))
    bad_paths = {}
    if bad:
        folder = root / "group0" / "Broken"
        folder.mkdir(parents=True, exist_ok=True)
        for name, make in BAD_FILES.items():
            for copy in range(2):
                path = folder / f"{copy}_{name}"
                path.write_bytes(make(rng))
                bad_paths[str(path)] = name
    (root / "notes.txt").write_text("not listed: not a jpg name\n")
    return {"good": good, "bad": bad_paths}


@contextlib.contextmanager
def serve_files(files, refuse=None, requests=None):
    """A loopback HTTP server for `files` (path -> bytes; 404 otherwise), yielding its base URL.
    `refuse(path)` may return a status to answer instead; `requests` (a list) collects every path asked."""
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if requests is not None:
                requests.append(self.path)
            status = refuse(self.path) if refuse else None
            body = b"forbidden" if status else files.get(self.path)
            self.send_response(status or (200 if body else 404))
            self.send_header("Content-Length", str(len(body or b"")))
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
