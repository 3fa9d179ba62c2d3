"""Generated JPEGs for the benchmarks: COUNT files of WIDTH×HEIGHT in DIR/class_NN/ (10 labels).

With Pillow (numpy makes it faster) each image is drawn fresh: smooth colour fields plus noise, which
compress like photographs. Without Pillow (a bare Python) the files are copies of the seed JPEGs of that
size in --seeds, cycled; imgfeat's decode and resize cost the same per file either way.

  python3 gen_jpegs.py DIR COUNT WIDTH HEIGHT [--seeds FOLDER] [--seed N]
"""

import argparse
import os
import shutil
import sys
from multiprocessing import Pool

LABELS = 10


def name(i):
    return os.path.join(f"class_{i % LABELS:02d}", f"img_{i:06d}.jpg")


def draw(job):
    folder, i, width, height, seed = job
    from PIL import Image

    path = os.path.join(folder, name(i))
    try:
        import numpy as np

        rng = np.random.default_rng(seed * 1_000_003 + i)
        yy, xx = np.mgrid[0:height, 0:width] / max(width, height)
        a, b, c = rng.uniform(0, 6, 3)
        base = np.stack([np.sin(a * xx + b * yy + c), np.cos(b * xx - a * yy), np.sin(c * xx * yy + a)], -1)
        pixels = np.clip(127.5 + 100 * base + rng.normal(0, 12, (height, width, 3)), 0, 255).astype(np.uint8)
        image = Image.fromarray(pixels, "RGB")
    except ImportError:
        shade = tuple((i * k * 37 + seed) % 256 for k in (1, 3, 7))
        image = Image.merge("RGB", [Image.effect_noise((width, height), 40 + 10 * k).point(lambda v, s=s: (v + s) % 256)
                                    for k, s in enumerate(shade)])
    image.save(path, quality=90)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dir")
    parser.add_argument("count", type=int)
    parser.add_argument("width", type=int)
    parser.add_argument("height", type=int)
    parser.add_argument("--seeds", help="folder of JPEGs to copy when Pillow is missing")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    stamp = os.path.join(args.dir, ".complete")
    wanted = f"{args.count} {args.width}x{args.height} seed {args.seed}\n"
    if os.path.exists(stamp) and open(stamp).read() == wanted:
        print(f"{args.dir}: {args.count} JPEGs already there")
        return
    shutil.rmtree(args.dir, ignore_errors=True)
    for label in range(min(LABELS, args.count)):
        os.makedirs(os.path.join(args.dir, f"class_{label:02d}"))
    try:
        import PIL  # noqa: F401

        with Pool(os.cpu_count()) as pool:
            pool.map(draw, [(args.dir, i, args.width, args.height, args.seed) for i in range(args.count)], chunksize=64)
        how = "drawn with Pillow"
    except ImportError:
        suffix = f"_{args.width}x{args.height}.jpg"
        seeds = sorted(f for f in os.listdir(args.seeds) if f.endswith(suffix)) if args.seeds else []
        if not seeds:
            sys.exit(f"gen_jpegs: no Pillow, and no seed JPEGs *{suffix} in {args.seeds or '(no --seeds given)'}")
        for i in range(args.count):
            shutil.copyfile(os.path.join(args.seeds, seeds[i % len(seeds)]), os.path.join(args.dir, name(i)))
        how = f"copied from {len(seeds)} seed files (no Pillow here)"
    with open(stamp, "w") as f:
        f.write(wanted)
    print(f"{args.dir}: {args.count} JPEGs of {args.width}×{args.height}, {how}")


if __name__ == "__main__":
    main()
