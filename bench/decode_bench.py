"""JPEG decode throughput per core: imgfeat's decoder next to Pillow, same files, same run.

Generates 100x100, 640x480 and 4000x3000 JPEGs (Pillow, quality 90, 4:2:0), then measures on one
thread, in thread CPU time, the median of REPEATS runs in ROUNDS interleaved rounds:
  - imgfeat (bench/imgfeat-bench-decode: the libjpeg-API decoder, Sources/Imaging)
  - Pillow `Image.open(...).convert("RGB")` and, for draft, `draft("RGB", (S, S))` first
  - TurboJPEG `tjDecompress2` (flags 0, RGB) through ctypes: the decoder imgfeat used before
  - Sources/CJPEG (imgfeat's C decoder without the Swift around it) through ctypes, the same way
each for decode alone and decode + resize to S x S (Pillow's `.resize`, imgfeat's PillowResize).
Prints a Markdown table (img/s = 1 / median seconds) for docs/IMAGING.md.

    swift build -c release --product imgfeat-bench-decode && .venv/bin/python bench/decode_bench.py
Environment: BENCH_REPEATS (7), BENCH_ROUNDS (3), BENCH_SIZE (224), BENCH_OUT (bench/out/decode),
IMGFEAT_BENCH_DECODE_BIN (.build/release/imgfeat-bench-decode).
"""
import ctypes
import ctypes.util
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts" / "fixtures"))
from images import natural  # noqa: E402

REPEATS = int(os.environ.get("BENCH_REPEATS", 7))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
SIZE = int(os.environ.get("BENCH_SIZE", 224))
OUT = Path(os.environ.get("BENCH_OUT", ROOT / "bench" / "out" / "decode"))
BIN = Path(os.environ.get("IMGFEAT_BENCH_DECODE_BIN", ROOT / ".build" / "release" / "imgfeat-bench-decode"))
SIZES = [(100, 100), (640, 480), (4000, 3000)]


def median_seconds(body, repeats=REPEATS):
    times = []
    for _ in range(repeats):
        start = time.thread_time()
        body()
        times.append(time.thread_time() - start)
    return statistics.median(times)


def pillow_times(data):
    def full():
        Image.open(io.BytesIO(data)).convert("RGB")

    def draft():
        im = Image.open(io.BytesIO(data))
        im.draft("RGB", (SIZE, SIZE))
        im.convert("RGB")

    def full_resize():
        Image.open(io.BytesIO(data)).convert("RGB").resize((SIZE, SIZE))

    def draft_resize():
        im = Image.open(io.BytesIO(data))
        im.draft("RGB", (SIZE, SIZE))
        im.convert("RGB").resize((SIZE, SIZE))

    return {"decode": median_seconds(full), "decode_draft": median_seconds(draft),
            "decode_resize": median_seconds(full_resize), "decode_draft_resize": median_seconds(draft_resize)}


class TurboJPEG:
    def __init__(self):
        name = ctypes.util.find_library("turbojpeg")
        self.lib = ctypes.CDLL(name) if name else None
        if self.lib:
            self.lib.tjInitDecompress.restype = ctypes.c_void_p
            self.handle = ctypes.c_void_p(self.lib.tjInitDecompress())

    def time(self, data):
        if not self.lib:
            return None
        w, h, sub, cs = ctypes.c_int(), ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
        buf = ctypes.create_string_buffer(data, len(data))

        def decode():
            self.lib.tjDecompressHeader3(self.handle, buf, ctypes.c_ulong(len(data)), ctypes.byref(w),
                                         ctypes.byref(h), ctypes.byref(sub), ctypes.byref(cs))
            out = ctypes.create_string_buffer(w.value * h.value * 3)
            self.lib.tjDecompress2(self.handle, buf, ctypes.c_ulong(len(data)), out, w, 0, h, 0, 0)
        return median_seconds(decode)


class CDecoder:
    """Sources/CJPEG built as a shared library, timed through ctypes exactly like TurboJPEG."""

    class Info(ctypes.Structure):
        _fields_ = [(n, ctypes.c_int) for n in ("width", "height", "components", "output_width", "output_height",
                                               "output_components", "progressive", "arithmetic")]

    def __init__(self):
        lib = OUT / "libcjpeg_bench.so"
        compiler = os.environ.get("CC") or shutil.which("cc") or shutil.which("clang") or "cc"
        subprocess.run([compiler, "-O2", "-shared", "-fPIC", "-I", str(ROOT / "Sources/CJPEG/include"),
                        str(ROOT / "Sources/CJPEG/cjpeg_decoder.c"), "-ljpeg", "-o", str(lib)], check=True)
        self.lib = ctypes.CDLL(str(lib))

    def time(self, data):
        buf = ctypes.create_string_buffer(data, len(data))

        def decode():
            d, info = ctypes.c_void_p(), self.Info()
            self.lib.cjpeg_open(buf, ctypes.c_size_t(len(data)), 1, ctypes.byref(d), ctypes.byref(info))
            n = info.output_width * info.output_height * info.output_components
            out = ctypes.create_string_buffer(n)
            self.lib.cjpeg_decode(d, out, ctypes.c_size_t(n))
            self.lib.cjpeg_close(d)
        return median_seconds(decode)


def main():
    if not BIN.exists():
        sys.exit(f"{BIN} is missing: swift build -c release --product imgfeat-bench-decode")
    OUT.mkdir(parents=True, exist_ok=True)
    files = []
    for w, h in SIZES:
        path = OUT / f"photo_{w}x{h}.jpg"
        if not path.exists():
            natural(w, h, w + h).save(path, "JPEG", quality=90)
        files.append(path)
    turbo, cdecoder = TurboJPEG(), CDecoder()
    runs = {f: {"imgfeat": [], "pillow": [], "turbojpeg": [], "c": []} for f in files}
    for _ in range(ROUNDS):
        for f in files:
            data = f.read_bytes()
            out = subprocess.run([str(BIN), "--repeats", str(REPEATS), "--size", str(SIZE), str(f)],
                                 capture_output=True, text=True, check=True)
            runs[f]["imgfeat"].append(json.loads(out.stdout.strip().splitlines()[-1]))
            runs[f]["pillow"].append(pillow_times(data))
            runs[f]["turbojpeg"].append(turbo.time(data))
            runs[f]["c"].append(cdecoder.time(data))
    print(f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; Pillow {Image.__version__}; one thread, thread CPU time, median of "
          f"{REPEATS} runs per round, median of {ROUNDS} rounds; resize to {SIZE}x{SIZE}.\n")
    print("| image (file size) | decode | imgfeat img/s | Pillow img/s | ratio | TurboJPEG img/s | CJPEG img/s | "
          "+ resize: imgfeat img/s | + resize: Pillow img/s |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for f in files:
        r = runs[f]

        def rate(engine, key):
            return 1.0 / statistics.median(x[key] for x in r[engine])
        first = r["imgfeat"][0]
        for key, label in (("decode", "full"), ("decode_draft", "--draft")):
            dims = f"{first['draft_width']}x{first['draft_height']}" if key == "decode_draft" else "full"
            tj = "" if key == "decode_draft" or r["turbojpeg"][0] is None else \
                f"{1.0 / statistics.median(r['turbojpeg']):.0f}"
            c = "" if key == "decode_draft" else f"{1.0 / statistics.median(r['c']):.0f}"
            ours, theirs = rate("imgfeat", key), rate("pillow", key)
            print(f"| {first['width']}x{first['height']} ({f.stat().st_size // 1024} KiB) | {label} ({dims}) | "
                  f"{ours:.0f} | {theirs:.0f} | {ours / theirs:.2f} | {tj} | {c} | {rate('imgfeat', key + '_resize'):.0f} | "
                  f"{rate('pillow', key + '_resize'):.0f} |")


if __name__ == "__main__":
    main()
