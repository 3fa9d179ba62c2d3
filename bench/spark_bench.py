"""Wall time of the Spark job (spark-submit --master local[2]) against `imgfeat run` on the same
images and machine, alternating, median of the rounds. The images are the Spark tests' 500 (plus 12
bad files), the network the tests' small one.

    .venv/bin/python bench/spark_bench.py [--rounds 2] [--partitions 2]
"""
import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "Tests" / "python"))
from conftest import imgfeat_binary, make_bucket  # noqa: E402

SMALL = ["--weights", "random:0", "--alpha", "0.35", "--size", "64", "--device", "cpu", "--k", "8"]


def timed(command, env):
    start = time.monotonic()
    proc = subprocess.run(command, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"{command[0]} exited {proc.returncode}: {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    return time.monotonic() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--partitions", type=int, default=2)
    args = parser.parse_args()
    work = pathlib.Path(tempfile.mkdtemp(prefix="spark-bench-"))
    images = work / "images"
    make_bucket(images, 500, seed=8)
    env = dict(os.environ, IMGFEAT_BIN=str(imgfeat_binary()), PYSPARK_PYTHON=sys.executable,
               PYSPARK_DRIVER_PYTHON=sys.executable, SPARK_LOCAL_IP="127.0.0.1")
    submit = [str(pathlib.Path(sys.executable).parent / "spark-submit"), "--master", "local[2]",
              "--conf", "spark.ui.enabled=false", "--conf", "spark.driver.memory=1g",
              str(ROOT / "integrations" / "spark" / "imgfeat_spark.py")]
    times = {"imgfeat run": [], "spark local[2]": []}
    for _ in range(args.rounds):
        out = work / "run"
        times["imgfeat run"].append(timed([str(imgfeat_binary()), "run", str(images), "--output", str(out), "--quiet", *SMALL], env))
        shutil.rmtree(out)
        out = work / "spark"
        times["spark local[2]"].append(timed([*submit, str(images), "--output", str(out), "--partitions",
                                              str(args.partitions), *SMALL], env))
        shutil.rmtree(out)
    load = os.getloadavg()[0]
    for name, values in times.items():
        print(f"{name}: median {statistics.median(values):.1f} s over {len(values)} rounds ({', '.join(f'{v:.1f}' for v in values)})")
    print(f"ratio spark/run: {statistics.median(times['spark local[2]']) / statistics.median(times['imgfeat run']):.2f}; "
          f"load average at the end {load:.1f}; {os.cpu_count()} cores")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
