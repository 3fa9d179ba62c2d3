"""The real binary against Pillow on the decoder corpus (scripts/fixtures/jpeg_corpus.py).

`imgfeat preprocess` writes the Pillow-exact resize of each decoded image, so comparing its PPMs
with Pillow's `Image.open(f).convert("RGB").resize(...)` checks the decoder through the tool; and
`imgfeat featurize` must turn every file Pillow refuses into an error row, the same for 30 copies.
"""
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from PIL import Image

from conftest import run_imgfeat

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / ".fixtures" / "jpeg_corpus"
SMALL = ["--weights", "random:0", "--alpha", "0.35", "--size", "32"]


@pytest.fixture(scope="module")
def manifest():
    path = CORPUS / "manifest.json"
    if not path.exists():
        pytest.fail(f"{path} is missing: run scripts/fixtures/generate.sh")
    return json.loads(path.read_text())


def read_ppm(path):
    data = path.read_bytes()
    parts = data.split(b"\n", 3)
    assert parts[0] == b"P6" and parts[2] == b"255", path
    width, height = map(int, parts[1].split())
    return width, height, parts[3]


def pillow_model_input(data, size, draft=False):
    with Image.open(io.BytesIO(data)) as im:
        if draft:
            im.draft("RGB", (size, size))
        return im.convert("RGB").resize((size, size)).tobytes()


def cut_between_scans(data):
    """A cut in the middle of the first table (DHT/DQT) that follows the first scan's data."""
    first_scan = data.index(b"\xff\xda")
    for marker in (b"\xff\xc4", b"\xff\xdb"):
        at = data.find(marker, first_scan + 2)
        if at > 0:
            length = int.from_bytes(data[at + 2:at + 4], "big")
            return data[:at + 2 + length // 2]
    raise AssertionError("no table between scans")


def test_preprocess_gives_pillows_pixels_and_reports_every_bad_file(manifest, tmp_path):
    src = tmp_path / "in"
    # (Files Debian's libjpeg decodes otherwise than Pillow's bundled one are JPEGCorpusTests' business.)
    picked = [f for i, f in enumerate(manifest["files"]) if "system_libjpeg_rgb" not in f
              and (f["group"] in {"colour", "coding", "exif", "refused", "chunks", "photoshop"} or i % 23 == 0)]
    expected, bad = {}, set()
    for i, f in enumerate(picked):
        # Two folders holding files of the same name (as fruits-360 does) must not overwrite each other.
        folder = src / ("a" if i % 2 else "b") / f["group"]
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{i // 2:04d}.jpg"
        shutil.copy(CORPUS / f["file"], target)
        rel = target.relative_to(src).with_suffix(".ppm")
        if f["outcome"] == "decode":
            expected[rel] = pillow_model_input(target.read_bytes(), 37)
        else:
            bad.add(str(target))
    assert len(expected) > 100 and len(bad) >= 8
    listed = tmp_path / "list.txt"
    single = next(iter(expected))
    listed.write_text(f"{src / single.with_suffix('.jpg')}\n")

    out = tmp_path / "out"
    proc = run_imgfeat("preprocess", src, f"@{listed}", "--output", out, "--size", 37, check=False)
    assert proc.returncode != 0, "bad inputs must make the exit status non-zero"
    for rel, pixels in expected.items():
        width, height, got = read_ppm(out / rel)
        assert (width, height) == (37, 37) and got == pixels, f"{rel}: not Pillow's pixels"
    errors = [line for line in proc.stderr.splitlines() if line.startswith("imgfeat: error: ")]
    for path in bad:
        assert any(path + ": " in line for line in errors), f"{path} not reported:\n{proc.stderr}"
    assert len(errors) == len(bad), proc.stderr
    # An @FILE line keeps its whole path (here absolute) under OUT.
    listed_out = out / str(src / single).lstrip("/")
    assert read_ppm(listed_out)[2] == expected[single]


def test_preprocess_never_overwrites_an_output(manifest, tmp_path):
    """Two folder arguments with one relative name in common: the second is reported, not written."""
    good = [CORPUS / f["file"] for f in manifest["files"] if f["group"] == "colour"][:4]
    layout = {"a/Apple/0_100.jpg": good[0], "a/Apple/1_100.jpg": good[1],
              "b/Apple/0_100.jpg": good[2], "b/Banana/0_100.jpg": good[3]}
    for rel, source in layout.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, tmp_path / rel)
    out = tmp_path / "out"
    proc = run_imgfeat("preprocess", tmp_path / "a", tmp_path / "b", "--output", out, "--size", 20, check=False)
    assert proc.returncode != 0
    errors = proc.stderr.strip().splitlines()
    assert len(errors) == 1 and str(tmp_path / "b/Apple/0_100.jpg") in errors[0] and "already written" in errors[0]
    for rel, name in [("a/Apple/0_100.jpg", "Apple/0_100.ppm"), ("a/Apple/1_100.jpg", "Apple/1_100.ppm"),
                      ("b/Banana/0_100.jpg", "Banana/0_100.ppm")]:
        assert read_ppm(out / name)[2] == pillow_model_input((tmp_path / rel).read_bytes(), 20), name
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.ppm")) == \
        ["Apple/0_100.ppm", "Apple/1_100.ppm", "Banana/0_100.ppm"]


def test_preprocess_draft_gives_pillows_draft_pixels(manifest, tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    sizes = {}
    for d in manifest["drafts"]:
        name = Path(d["file"]).name
        shutil.copy(CORPUS / d["file"], src / name)
        sizes.setdefault(d["size"], set()).add(name)
    for size, names in sorted(sizes.items()):
        out = tmp_path / f"out{size}"
        run_imgfeat("preprocess", src, "--output", out, "--size", size, "--draft")
        for name in names:
            _, _, got = read_ppm(out / Path(name).with_suffix(".ppm"))
            assert got == pillow_model_input((src / name).read_bytes(), size, draft=True), f"{name} draft {size}"


def test_files_pillow_refuses_are_error_rows_every_time(manifest, tmp_path):
    """30 copies of a progressive file cut in a table between scans, 30 of a cut arithmetic file:
    all error rows (they were once featurized from uninitialised memory); identical good copies
    get identical features."""
    progressive = (CORPUS / "files" / "sweep_progressive.jpg").read_bytes()
    arithmetic = (CORPUS / "files" / "sweep_arith.jpg").read_bytes()
    cuts = {"progressive": cut_between_scans(progressive), "arith": arithmetic[:len(arithmetic) * 2 // 3]}
    for kind, data in cuts.items():
        with pytest.raises(OSError):
            Image.open(io.BytesIO(data)).convert("RGB")
    src = tmp_path / "in"
    for kind, data in cuts.items():
        (src / kind).mkdir(parents=True)
        for i in range(30):
            (src / kind / f"{i:02d}.jpg").write_bytes(data)
    (src / "good").mkdir()
    for i in range(5):
        (src / "good" / f"{i}.jpg").write_bytes(progressive)
    out = tmp_path / "out"
    run_imgfeat("featurize", src, "--output", out, "--device", "cpu", "--quiet", *SMALL)
    errors = pq.read_table(out / "_errors.parquet").to_pydict()
    refused = {p for p, stage in zip(errors["path"], errors["stage"]) if stage == "decode"}
    assert refused == {str(p) for kind in cuts for p in (src / kind).iterdir()}
    table = pq.read_table(out).to_pydict()
    assert sorted(Path(p).parent.name for p in table["path"]) == ["good"] * 5
    vectors = np.asarray(table["features"], dtype=np.float32)
    assert np.all(vectors == vectors[0])


def test_draft_and_full_decodes_never_share_an_output(manifest, tmp_path):
    src = tmp_path / "in" / "photos"
    src.mkdir(parents=True)
    for d in manifest["drafts"][:3]:
        shutil.copy(CORPUS / d["file"], src / Path(d["file"]).name)
    out = tmp_path / "out"
    run_imgfeat("featurize", src.parent, "--output", out, "--device", "cpu", "--quiet", *SMALL)
    proc = run_imgfeat("featurize", src.parent, "--output", out, "--device", "cpu", "--quiet", "--draft", *SMALL,
                       check=False)
    assert proc.returncode != 0 and "--draft" in proc.stderr, proc.stderr
    # And a draft run of images large enough to scale gives other features than the full decode.
    draft_out = tmp_path / "draft"
    run_imgfeat("featurize", src.parent, "--output", draft_out, "--device", "cpu", "--quiet", "--draft", *SMALL)
    def features(folder):
        table = pq.read_table(folder)
        return dict(zip(table["path"].to_pylist(), table["features"].to_pylist()))
    full, draft = features(out), features(draft_out)
    assert full.keys() == draft.keys() and any(full[p] != draft[p] for p in full)
