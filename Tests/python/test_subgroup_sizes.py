"""The subgroup reductions (head_pool / global_average_pool with subgroupAdd) at subgroup sizes the Swift
tests' one device does not have: `imgfeat kernel-check` on lavapipe with LP_NATIVE_VECTOR_WIDTH 128, 256
and 512 (llvmpipe's SIMD width, which sets its subgroup size to 4, 8 and 16 lanes), every case within
1e-5 of the reference. Skipped with the reason on a machine whose Vulkan device is not llvmpipe."""
import os
import re

import pytest

from conftest import run_imgfeat


def llvmpipe_present():
    out = run_imgfeat("devices", check=False).stdout
    return "llvmpipe" in out


@pytest.mark.parametrize("width,lanes", [(128, 4), (256, 8), (512, 16)])
def test_kernel_check_at_each_subgroup_size(width, lanes):
    if not llvmpipe_present():
        pytest.skip("no llvmpipe (lavapipe) device: its SIMD width is what sets the subgroup size here")
    # The first device only, so a machine with a GPU besides lavapipe still checks lavapipe here.
    devices = run_imgfeat("devices", check=False).stdout
    index = re.search(r"^\[(\d+)\] llvmpipe", devices, re.M).group(1)
    env = dict(os.environ, LP_NATIVE_VECTOR_WIDTH=str(width))
    proc = run_imgfeat("kernel-check", "--device-index", index, env=env, check=False)
    lines = proc.stdout.splitlines()
    summary = [l for l in lines if l.startswith("subgroup check on ")]
    assert summary, f"no subgroup summary line:\n{proc.stdout}\n{proc.stderr}"
    assert f"subgroup size {lanes}: passed" in summary[0], summary[0]
    failures = [l for l in lines if l.startswith("subgroup check: FAIL")]
    assert not failures, "\n".join(failures[:5])
    cases = [l for l in lines if l.startswith("subgroup check: ok")]
    assert len(cases) >= 60 and f"{len(cases)} of {len(cases)} cases" in summary[0], summary[0]
    assert proc.returncode == 0, f"kernel-check exited {proc.returncode}:\n{proc.stderr}"
