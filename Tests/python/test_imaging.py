"""Cross-checks for the imaging fixtures and the resize pass-order rule, against Pillow itself.

The Swift resize (Sources/Imaging/PillowResize.swift) runs the vertical pass first when
`out_h < in_h and in_h - out_h > 2 * (in_w - out_w)`. Pillow's C source for that choice is newer
than any copy we could read, so this test re-derives it from Pillow's output: a separable
re-implementation of the documented fixed-point bicubic resize, run in both pass orders, must
match Pillow in exactly the order the rule predicts.
"""

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / ".fixtures" / "images"
COMMITTED = ROOT / "Tests" / "Fixtures" / "images"


def bicubic(x):
    a = -0.5
    x = np.abs(x)
    return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                    np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))


def coefficients(n_in, n_out):
    scale = n_in / n_out
    filterscale = max(scale, 1.0)
    support = 2.0 * filterscale
    rows = []
    for o in range(n_out):
        center = (o + 0.5) * scale
        lo = max(0, int(center - support + 0.5))
        hi = min(n_in, int(center + support + 0.5))
        w = bicubic((np.arange(lo, hi) - center + 0.5) * (1.0 / filterscale))
        if w.sum() != 0:
            w = w / w.sum()
        fixed = np.where(w < 0, -0.5 + w * (1 << 22), 0.5 + w * (1 << 22)).astype(np.int64)
        rows.append((lo, fixed))
    return rows


def pass_along_axis1(a, n_out):
    out = np.empty((a.shape[0], n_out, a.shape[2]), np.uint8)
    for o, (lo, w) in enumerate(coefficients(a.shape[1], n_out)):
        acc = (1 << 21) + np.tensordot(a[:, lo:lo + len(w), :].astype(np.int64), w, axes=([1], [0]))
        out[:, o, :] = np.clip(acc >> 22, 0, 255)
    return out


def horizontal(a, w):
    return pass_along_axis1(a, w)


def vertical(a, h):
    return pass_along_axis1(a.transpose(1, 0, 2), h).transpose(1, 0, 2)


def vertical_first(in_w, in_h, out_w, out_h):
    return out_h < in_h and in_h - out_h > 2 * (in_w - out_w)


def size_cases():
    rng = np.random.default_rng(2024)
    cases = [(800, 600, 700, 400), (800, 600, 700, 399), (480, 640, 224, 224), (640, 480, 224, 224),
             (40, 40, 30, 19), (40, 40, 30, 20), (37, 61, 100, 30), (500, 20, 224, 224)]
    while len(cases) < 40:
        in_w, in_h = (int(v) for v in rng.integers(2, 120, 2))
        out_w, out_h = (int(v) for v in rng.integers(1, 160, 2))
        if out_w != in_w and out_h != in_h:
            cases.append((in_w, in_h, out_w, out_h))
    return cases


@pytest.mark.parametrize("in_w,in_h,out_w,out_h", size_cases())
def test_pass_order_rule_matches_pillow(in_w, in_h, out_w, out_h):
    rng = np.random.default_rng(in_w * 7919 + in_h * 31 + out_w * 17 + out_h)
    a = rng.integers(0, 256, (in_h, in_w, 3), dtype=np.uint8)
    pillow = np.asarray(Image.fromarray(a, "RGB").resize((out_w, out_h)))
    h_first = vertical(horizontal(a, out_w), out_h)
    v_first = horizontal(vertical(a, out_h), out_w)
    expected = v_first if vertical_first(in_w, in_h, out_w, out_h) else h_first
    mismatch = np.argwhere(expected != pillow)
    assert mismatch.size == 0, (
        f"{in_w}x{in_h}->{out_w}x{out_h}: rule says {'vertical' if vertical_first(in_w, in_h, out_w, out_h) else 'horizontal'}"
        f" first; first mismatch at {tuple(mismatch[0])}: expected {pillow[tuple(mismatch[0])]}, got {expected[tuple(mismatch[0])]}")


def test_committed_fixtures_equal_a_fresh_generation():
    """Tests/Fixtures/images must be what scripts/fixtures/images.py makes with today's Pillow."""
    manifest = GENERATED / "manifest.json"
    assert manifest.exists(), "run scripts/fixtures/generate.sh first (.fixtures/images is missing)"
    committed = json.loads((COMMITTED / "manifest.json").read_text())
    stale = []
    for path in sorted(COMMITTED.iterdir()):
        if path.name == "manifest.json":
            continue
        fresh = GENERATED / path.name
        if not fresh.exists() or fresh.read_bytes() != path.read_bytes():
            stale.append(path.name)
    assert not stale, (f"stale committed fixtures {stale[:5]} (made with Pillow {committed['pillow']}, "
                       f"now {Image.__version__}): rerun scripts/fixtures/generate.sh --committed")
