"""imgfeat without a Vulkan loader: the binary does not link libvulkan, opens it at run time, and without
it says so in one line, falls back to the CPU for `--device auto` and fails `--device vulkan`. A process
cannot unload the loader, so these run the tool with IMGFEAT_VULKAN_LOADER pointing elsewhere."""
import os
import re
import shutil
import subprocess

import pyarrow.parquet as pq
import pytest

from conftest import imgfeat_binary, make_bucket, run_imgfeat

SMALL = ["--weights", "random:0", "--alpha", "0.35", "--size", "32"]
MISSING = "/nonexistent/libvulkan.so.1"


def env_with_loader(path):
    env = dict(os.environ)
    env.pop("IMGFEAT_VULKAN_LOADER", None)
    if path is not None:
        env["IMGFEAT_VULKAN_LOADER"] = str(path)
    return env


def shared_libraries():
    """{soname: resolved path} for the libraries ldd resolves for the binary."""
    out = subprocess.run(["ldd", str(imgfeat_binary())], check=True, capture_output=True, text=True).stdout
    return dict(re.findall(r"^\s*(\S+) => (/\S+)", out, re.M))


def one_line(text):
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got {len(lines)}:\n{text}"
    return lines[0]


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    root = tmp_path_factory.mktemp("loader-images")
    return root, make_bucket(root, 10, seed=5, bad=False)["good"]


def test_binary_does_not_need_libvulkan():
    dynamic = subprocess.run(["readelf", "-d", str(imgfeat_binary())], check=True, capture_output=True,
                             text=True).stdout
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic)
    assert "libc.so.6" in needed, f"unexpected readelf output:\n{dynamic}"
    assert not [n for n in needed if "vulkan" in n], needed
    # Nor through another library: then the loader would still be needed to start.
    assert not [n for n in shared_libraries() if "vulkan" in n]


def test_devices_without_loader_is_one_error_line():
    proc = run_imgfeat("devices", check=False, env=env_with_loader(MISSING))
    assert proc.returncode != 0
    # stdout holds only the fast CPU kernel set (what --device auto falls back to); no device is listed.
    assert len(proc.stdout.splitlines()) == 1 and proc.stdout.startswith("fast CPU kernels: "), proc.stdout
    line = one_line(proc.stderr)
    assert line.startswith("imgfeat: error: Vulkan loader: ")
    assert MISSING in line and "not found" in line and "libvulkan1" in line
    assert "--device auto will use the fast CPU path" in line


def test_devices_with_a_library_that_is_not_a_loader():
    libz = shared_libraries()["libz.so.1"]
    proc = run_imgfeat("devices", check=False, env=env_with_loader(libz))
    assert proc.returncode != 0
    line = one_line(proc.stderr)
    assert libz in line and "has no vkGetInstanceProcAddr" in line


# A stand-in loader: vkGetInstanceProcAddr gives no function at all, or only the global ones (whose
# vkCreateInstance "succeeds") and vkDestroyInstance.
FAKE_LOADER = r"""
#include <string.h>
typedef void (*fn)(void);
static int create(const void *info, const void *allocator, void **instance) { *instance = (void *)16; return 0; }
static int layers(unsigned *count, void *properties) { *count = 0; return 0; }
static void destroy(void *instance, const void *allocator) {}
fn vkGetInstanceProcAddr(void *instance, const char *name) {
#ifdef GLOBAL_FUNCTIONS
    if (!instance && !strcmp(name, "vkCreateInstance")) return (fn)create;
    if (!instance && !strcmp(name, "vkEnumerateInstanceLayerProperties")) return (fn)layers;
    if (instance && !strcmp(name, "vkDestroyInstance")) return (fn)destroy;
#endif
    return 0;
}
"""


@pytest.mark.parametrize("defines, missing", [([], "vkCreateInstance"),
                                              (["-DGLOBAL_FUNCTIONS"], "vkAllocateCommandBuffers")])
def test_a_function_the_loader_lacks_is_named(tmp_path, defines, missing):
    compiler = shutil.which("cc") or shutil.which("clang")
    assert compiler, "no C compiler to build the stand-in loader"
    source = tmp_path / "fake_loader.c"
    source.write_text(FAKE_LOADER)
    library = tmp_path / "libfakevulkan.so"
    subprocess.run([compiler, "-shared", "-fPIC", *defines, "-o", str(library), str(source)], check=True)
    proc = run_imgfeat("devices", check=False, env=env_with_loader(library))
    assert proc.returncode != 0
    line = one_line(proc.stderr)
    assert line.startswith(f"imgfeat: error: vkGetInstanceProcAddr: the Vulkan loader gives no {missing} ")


def test_auto_without_loader_uses_the_fast_cpu_path(images, tmp_path):
    root, good = images
    out = tmp_path / "auto"
    proc = run_imgfeat("featurize", root, "--output", out, "--device", "auto", *SMALL, env=env_with_loader(MISSING))
    note = [line for line in proc.stderr.splitlines() if line.startswith("device: ")]
    assert len(note) == 1, proc.stderr
    assert note[0].startswith("device: auto: no Vulkan device (Vulkan loader: ")
    assert MISSING in note[0] and note[0].endswith("; using the fast CPU path")
    assert (out / "_SUCCESS").exists()
    parts = sorted(out.glob("part-*.parquet"))
    assert parts, f"no part files in {out}"
    table = pq.read_table(parts)
    assert table.num_rows == len(good)
    assert sorted(table["path"].to_pylist()) == sorted(good)


def test_vulkan_without_loader_fails_in_one_line(images, tmp_path):
    root, _ = images
    out = tmp_path / "vulkan"
    proc = run_imgfeat("featurize", root, "--output", out, "--device", "vulkan", *SMALL, check=False,
                       env=env_with_loader(MISSING))
    assert proc.returncode != 0
    line = one_line(proc.stderr)
    assert line.startswith("imgfeat: error: --device vulkan: Vulkan loader: ")
    assert MISSING in line and "not found" in line
    assert not (out / "_SUCCESS").exists()
    assert not list(out.glob("part-*.parquet"))


@pytest.mark.parametrize("loader", ["default", "override"])
def test_devices_with_loader_lists_lavapipe(loader):
    # The loader is found by its soname (ldconfig), or at the path IMGFEAT_VULKAN_LOADER names.
    path = None
    if loader == "override":
        found = subprocess.run([shutil.which("ldconfig") or "/sbin/ldconfig", "-p"], check=True, capture_output=True, text=True).stdout
        paths = re.findall(r"^\s*libvulkan\.so\.1 \(.*?\) => (/\S+)", found, re.M)
        assert paths, "libvulkan.so.1 is not in the ldconfig cache"
        path = paths[0]
    proc = run_imgfeat("devices", env=env_with_loader(path))
    assert re.search(r"^\[0\] llvmpipe", proc.stdout, re.M), proc.stdout
    assert "--device vulkan uses [" in proc.stdout
