"""Resident memory of `featurize` at the defaults (alpha 1.0, 224×224, batch 64, one thread per core):
sampled through the run, it must stay under the README's bound and show no growth with the number
of images (the decode queue once kept every batch it had handed out, 38 MB each, until 64 had
passed: +0.6 MB per image, 2.5 GB at its worst)."""
import os
import subprocess
import time

import pyarrow.parquet as pq

from conftest import imgfeat_binary, make_bucket

RSS_BOUND_MIB = 600      # README, "Resume, errors, memory"
GROWTH_BOUND_MIB = 64    # between the first and the last third of the run
IMAGES = 3000            # the old growth would have reached about 1.8 GB


def vm_rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        return None
    return None


def test_memory_is_bounded_and_flat_at_the_defaults(tmp_path):
    made = make_bucket(tmp_path / "in", IMAGES, seed=9, bad=False, size=(100, 100))
    out = tmp_path / "out"
    proc = subprocess.Popen([str(imgfeat_binary()), "featurize", str(tmp_path / "in"), "--output", str(out),
                             "--device", "cpu", "--weights", "random:0", "--quiet"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    # Every 20 ms (a read of /proc is microseconds), so even a machine that finishes in a second gives
    # enough samples for a trend.
    samples = []  # RSS MiB
    hung = time.monotonic() + 1200  # only so that a hung run fails the test instead of stalling CI
    while time.monotonic() < hung:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)  # reaps with the child's own rusage
        if pid:
            break
        rss = vm_rss_mib(proc.pid)
        if rss is not None:
            samples.append(rss)
        time.sleep(0.02)
    else:
        proc.kill()
        raise AssertionError("featurize did not finish")
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode()
    assert proc.returncode == 0, stderr[-2000:]
    total = sum(pq.read_metadata(p).num_rows for p in out.glob("part-*.parquet"))
    assert total == len(made["good"])

    peak = usage.ru_maxrss / 1024
    assert peak < RSS_BOUND_MIB, f"peak RSS {peak:.0f} MiB over the {RSS_BOUND_MIB} MiB bound"
    # The trend over the run, start-up (model, engine workspaces, first batches) excluded: the highest
    # RSS of the last third of the samples against the highest of the second third.
    assert len(samples) >= 15, f"only {len(samples)} samples: the run was too short to show a trend"
    third = len(samples) // 3
    middle = max(samples[third:2 * third])
    last = max(samples[2 * third:])
    print(f"\nmemory: {IMAGES} images, {len(samples)} samples, peak {peak:.0f} MiB, "
          f"middle third max {middle:.0f} MiB, last third max {last:.0f} MiB")
    assert last - middle < GROWTH_BOUND_MIB, \
        f"RSS grew {last - middle:.0f} MiB between the middle and the last third of the run: {[round(r) for r in samples[::max(1, len(samples) // 30)]]}"
