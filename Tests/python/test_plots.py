"""The plots and the HTML report of `imgfeat run` at 6 and at 120 labels (issue 18, point 1): the SVGs
are rendered by a real renderer (librsvg's rsvg-convert) and the layout facts are read from the SVG
itself: legend entries on the canvas, round ticks, components numbered from 1, "PC1 (x %)" titles,
distinct styles, no point outside the plot, titles naming the input and the count."""
import math
import random
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image

from conftest import jpeg_bytes, run_imgfeat

SVG = "{http://www.w3.org/2000/svg}"
SMALL = ["--device", "cpu", "--weights", "random:0", "--alpha", "0.35", "--size", "32", "--quiet"]


def rsvg():
    path = shutil.which("rsvg-convert")
    if path is None:
        pytest.fail("rsvg-convert is missing: bash scripts/setup.sh installs librsvg2-bin")
    return path


def make_images(root, labels, per_label, seed):
    rng = random.Random(seed)
    for i in range(labels):
        # Some names far longer than a legend column, and uneven counts so "top by count" matters.
        name = f"label {i:03d}" + (" with a very long descriptive name" if i % 7 == 3 else "")
        folder = root / name
        folder.mkdir(parents=True)
        for j in range(per_label + (i % 3)):
            (folder / f"{j}.jpg").write_bytes(jpeg_bytes(rng, 24 + rng.randrange(16), 24 + rng.randrange(16)))


@pytest.fixture(scope="module", params=[6, 120])
def run(request, tmp_path_factory):
    labels = request.param
    base = tmp_path_factory.mktemp(f"plots{labels}")
    make_images(base / "images", labels, 2, seed=labels)
    out = base / "out"
    run_imgfeat("run", base / "images", "--output", out, "--k", 12, *SMALL)
    return {"labels": labels, "out": out, "input": str(base / "images"), "base": base}


def render(svg_path, base):
    png = base / (svg_path.stem + ".png")
    subprocess.run([rsvg(), "-o", png, svg_path], check=True, capture_output=True)
    return Image.open(png).convert("RGB")


def canvas(root):
    return float(root.get("width")), float(root.get("height"))


def texts(root, cls):
    return [e for e in root.iter(f"{SVG}text") if e.get("class") == cls]


def assert_round(values, what):
    assert len(values) >= 2, f"{what}: {values}"
    steps = np.diff(values)
    step = steps[0]
    assert np.allclose(steps, step, rtol=1e-9), f"{what}: uneven ticks {values}"
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert any(abs(mantissa - m) < 1e-9 for m in (1, 2, 5)), f"{what}: step {step} is not 1, 2 or 5 x 10^n"
    for v in values:
        assert abs(v / step - round(v / step)) < 1e-6, f"{what}: {v} is not a multiple of {step}"


def tick_values(root, cls):
    return [float(e.text.replace("%", "").strip()) for e in texts(root, cls)]


def test_scatter_layout(run):
    svg_path = run["out"] / "pca-scatter.svg"
    root = ET.parse(svg_path).getroot()
    width, height = canvas(root)
    image = render(svg_path, run["base"])
    assert image.size == (round(width), round(height))

    entries = [g for g in root.iter(f"{SVG}g") if g.get("class") == "legend-entry"]
    expected_entries = run["labels"] if run["labels"] <= 40 else 40
    assert len(entries) == expected_entries
    styles = set()
    for g in entries:
        text = g.find(f"{SVG}text")
        x, y, w = float(text.get("x")), float(text.get("y")), float(text.get("data-width"))
        assert 0 <= x and x + w <= width and 12 <= y <= height, f"legend entry {text.text!r} leaves the canvas"
        shape = next(iter(c for c in g if c.tag != f"{SVG}title"))
        styles.add((shape.tag, shape.get("fill")))
        assert len(text.text) <= 24 + 8, text.text  # truncated names, count in brackets
    assert len(styles) == len(entries), "two legend entries share a colour and marker"
    colours = {fill for _, fill in styles}
    assert len(colours) >= min(20, len(entries))
    if run["labels"] > 40:
        assert entries[-1].find(f"{SVG}text").text.startswith(f"other ({run['labels'] - 39} labels)")
    # The last legend entry is really drawn: its text box holds dark pixels in the rendering.
    last = entries[-1].find(f"{SVG}text")
    x, y, w = float(last.get("x")), float(last.get("y")), float(last.get("data-width"))
    box = np.asarray(image.crop((int(x), int(y) - 10, int(x + w), int(y) + 3)))
    assert (box.min(axis=2) < 128).sum() > 10, "the last legend entry renders blank"

    area = next(e for e in root.iter(f"{SVG}rect") if e.get("class") == "plot-area")
    ax, ay = float(area.get("x")), float(area.get("y"))
    aw, ah = float(area.get("width")), float(area.get("height"))
    points = [e for e in root.iter() if e.get("class") == "point"]
    assert len(points) == sum(2 + (i % 3) for i in range(run["labels"]))
    for p in points:
        if p.tag == f"{SVG}circle":
            cx, cy = float(p.get("cx")), float(p.get("cy"))
        elif p.tag == f"{SVG}rect":
            cx, cy = float(p.get("x")) + float(p.get("width")) / 2, float(p.get("y")) + float(p.get("height")) / 2
        else:
            xy = [tuple(map(float, pair.split(","))) for pair in p.get("points").split()]
            cx, cy = sum(a for a, _ in xy) / len(xy), sum(b for _, b in xy) / len(xy)
        assert ax + 3 <= cx <= ax + aw - 3 and ay + 3 <= cy <= ay + ah - 3, "a point is clipped"

    assert_round(tick_values(root, "tick x"), "scatter x")
    assert_round(tick_values(root, "tick y"), "scatter y")
    titles = [e.text for e in texts(root, "axis-title x") + texts(root, "axis-title y")]
    assert all(re.fullmatch(r"PC[12] \(\d+\.\d %\)", t) for t in titles), titles
    title = texts(root, "title")[0].text + " " + texts(root, "subtitle")[0].text
    assert run["input"][-20:] in title and f"{len(points)} images" in title, title


def test_scree_layout(run):
    svg_path = run["out"] / "pca-scree.svg"
    root = ET.parse(svg_path).getroot()
    width, height = canvas(root)
    assert render(svg_path, run["base"]).size == (round(width), round(height))
    xs = tick_values(root, "tick x")
    assert xs[0] == 1 and all(v == int(v) and 1 <= v <= 12 for v in xs), xs
    assert_round(xs[1:] if len(xs) > 2 else xs, "scree x")
    ys = tick_values(root, "tick y")
    assert ys[0] == 0 and all(e.text.endswith(" %") for e in texts(root, "tick y"))
    assert_round(ys, "scree y")
    bars = [e for e in root.iter(f"{SVG}rect") if e.get("class") == "bar"]
    assert len(bars) == 12
    assert bars[0].find(f"{SVG}title").text.startswith("PC1: ")
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "legend-entry":
            rect = g.find(f"{SVG}rect")
            assert 0 <= float(rect.get("x")) <= width and 0 <= float(rect.get("y")) <= height


def test_report_is_standalone(run):
    page = (run["out"] / "pca-report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 2 and "<?xml" not in page
    # Nothing fetched: no script, no stylesheet or image link, no URL but the SVG namespace.
    assert "<script" not in page and "<link" not in page and "<img" not in page
    assert set(re.findall(r"https?://[^\s\"']+", page)) <= {"http://www.w3.org/2000/svg"}
    assert page.count("<tr><td>PC") == 12
    assert "Errors by stage" in page and "command line" in page and "imgfeat run" in page
