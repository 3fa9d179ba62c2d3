"""The peers of imgfeat's Vulkan engine, one measurement per process (bench/vulkan_bench.py runs each under a
timeout, so one engine that hangs or crashes costs only its own row). Each prints one JSON line last:
{"engine", "precision", "batch", "seconds": [seconds per timed batch: wall, GPU time for torch], "version", ...}, or exits
non-zero with its reason on stderr.

  ncnn  --param mobilenet_v2.param [--vulkan] --threads N --runs R
        ncnn's own benchmark network (benchmark/models/mobilenet_v2.param) with empty (zero) weights from
        DataReaderFromEmpty, batch 1, as benchncnn runs it; the pooled 1280-d blob "pool6" is extracted
        (the classifier after it is not imgfeat's work)
  ort   --onnx MODEL.onnx --batch B --threads N --runs R
        ONNX Runtime CPU on imgfeat's random:SEED weights (bench/vulkan_weights.py)
  torch --batch B --precision fp32|fp16 [--compile] [--model auto|timm|torchvision] --runs R
        MobileNetV2 to the pooled 1280-d features on CUDA, channels_last, eager or torch.compile: timm's
        `mobilenetv2_100` (num_classes=0, the issue's anchors), else torchvision's `mobilenet_v2` features +
        global average pool; random init (the speed does not depend on the weights); fp16 is the model in
        float16 (`.half()`), fp32 has TF32 off; each run timed on the GPU with CUDA events
  check --imgfeat BIN --onnx MODEL.onnx --images DIR [--precision P] [--count N]
        agreement: `imgfeat featurize --device vulkan` on N of the JPEGs against ONNX Runtime on the same
        weights, fed `imgfeat preprocess`'s model inputs (Pillow-exact resize on the CPU); needs pyarrow
"""

import argparse
import json
import os
import statistics
import sys
import time


def timed(fn, runs, warmup):
    """Wall seconds of each of `runs` calls after `warmup` calls."""
    for _ in range(warmup):
        fn()
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return seconds


def run_ncnn(args):
    import ncnn

    net = ncnn.Net()
    net.opt.use_vulkan_compute = args.vulkan
    net.opt.num_threads = args.threads
    if args.vulkan and ncnn.get_gpu_count() < 1:
        sys.exit("ncnn found no Vulkan device")
    if net.load_param(args.param) != 0:
        sys.exit(f"ncnn could not load {args.param}")
    net.load_model(ncnn.DataReaderFromEmpty())
    # benchncnn's input: a 224×224×3 Mat filled with a constant.
    data = ncnn.Mat(224, 224, 3)
    data.fill(0.01)
    shape = []

    def once():
        extractor = net.create_extractor()
        extractor.input("data", data)
        status, out = extractor.extract("pool6")
        if status != 0:
            raise RuntimeError(f"ncnn extract returned {status}")
        shape[:] = [out.w, out.h, out.c]

    seconds = timed(once, args.runs, args.warmup)
    device = ncnn.get_gpu_info(0).device_name() if args.vulkan else "CPU"
    fp16 = "fp16" if net.opt.use_fp16_storage and args.vulkan else "fp32"
    return dict(engine="ncnn Vulkan" if args.vulkan else "ncnn CPU", precision=f"{fp16} (ncnn default)", batch=1,
                seconds=seconds, version=ncnn.__version__, device=device, threads=args.threads, output=shape)


def run_ort(args):
    import numpy as np
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(args.onnx, options, providers=["CPUExecutionProvider"])
    x = np.random.default_rng(7).uniform(-1, 1, (args.batch, 224, 224, 3)).astype(np.float32)
    seconds = timed(lambda: session.run(["features"], {"input": x}), args.runs, args.warmup)
    return dict(engine="ONNX Runtime CPU", precision="fp32", batch=args.batch, seconds=seconds, version=ort.__version__,
                device="CPU", threads=args.threads)


def cuda_event_timed(torch, fn, runs, warmup):
    """Seconds of each of `runs` calls between CUDA events on the current stream, after `warmup` calls."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)) for _ in range(runs)]
    start = time.perf_counter()
    for begin, end in events:
        begin.record()
        fn()
        end.record()
    torch.cuda.synchronize()
    wall = time.perf_counter() - start
    return [begin.elapsed_time(end) / 1e3 for begin, end in events], wall / runs


def torch_model(torch, which):
    """(module from NCHW images to pooled 1280-d features, its description)."""
    if which in ("auto", "timm"):
        try:
            import timm

            return timm.create_model("mobilenetv2_100", pretrained=False, num_classes=0), f"timm {timm.__version__} mobilenetv2_100"
        except ImportError:
            if which == "timm":
                raise
    import torchvision

    features = torchvision.models.mobilenet_v2(weights=None).features

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.features = features

        def forward(self, x):
            return torch.nn.functional.adaptive_avg_pool2d(self.features(x), 1).flatten(1)

    return Pooled(), f"torchvision {torchvision.__version__} mobilenet_v2"


def run_torch(args):
    import torch

    if not torch.cuda.is_available():
        sys.exit(f"torch {torch.__version__} has no CUDA device")
    dtype = torch.float16 if args.precision == "fp16" else torch.float32
    # fp32 means fp32, as imgfeat's: no TF32 tensor-core shortcut (cuDNN allows it by default).
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.benchmark = True
    module, model = torch_model(torch, args.model)
    module = module.eval().to("cuda", dtype=dtype).to(memory_format=torch.channels_last)
    x = torch.randn(args.batch, 3, 224, 224, device="cuda", dtype=dtype).to(memory_format=torch.channels_last)
    if args.compile:
        module = torch.compile(module)
    with torch.inference_mode():
        start = time.perf_counter()
        out = module(x)
        torch.cuda.synchronize()
        first = time.perf_counter() - start
        seconds, wall = cuda_event_timed(torch, lambda: module(x), args.runs, args.warmup)
    mode = "torch.compile" if args.compile else "eager"
    return dict(engine=f"PyTorch CUDA {mode}", precision=f"{args.precision} channels_last", batch=args.batch,
                seconds=seconds, wall_seconds_per_run=wall, timing="CUDA events", version=torch.__version__,
                model=model, device=torch.cuda.get_device_name(0), first_call_seconds=first, output=list(out.shape))


def read_ppm(path):
    import re

    import numpy as np

    data = open(path, "rb").read()
    header = re.match(rb"P6\s+(\d+)\s+(\d+)\s+255\s", data)
    width, height = int(header.group(1)), int(header.group(2))
    return np.frombuffer(data[header.end():header.end() + width * height * 3], np.uint8).reshape(height, width, 3)


def run_check(args):
    import glob
    import subprocess
    import tempfile

    import numpy as np
    import onnxruntime as ort
    import pyarrow.parquet as pq

    paths = sorted(glob.glob(os.path.join(args.images, "**", "*.jpg"), recursive=True))[:args.count]
    work = tempfile.mkdtemp(prefix="imgfeat-check-")
    listing = os.path.join(work, "list.txt")
    open(listing, "w").write("\n".join(paths) + "\n")
    for command in ([args.imgfeat, "featurize", "@" + listing, "--output", os.path.join(work, "f"), "--device", "vulkan",
                     "--weights", "random:0", "--precision", args.precision, "--batch", str(len(paths)), "--quiet"],
                    [args.imgfeat, "preprocess", *paths, "--output", os.path.join(work, "ppm")]):
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, timeout=600)
    table = pq.read_table(glob.glob(os.path.join(work, "f", "part-*.parquet"))[0]).to_pydict()
    got = dict(zip(table["path"], (np.asarray(f, np.float32) for f in table["features"])))
    x = np.stack([read_ppm(os.path.join(work, "ppm", os.path.basename(p)[:-4] + ".ppm")) for p in paths])
    x = x.astype(np.float32) / np.float32(127.5) - np.float32(1)
    want = ort.InferenceSession(args.onnx, providers=["CPUExecutionProvider"]).run(["features"], {"input": x})[0]
    mine = np.stack([got[p] for p in paths])
    error = float(np.abs(mine - want).max() / max(float(np.abs(want).max()), 1e-30))
    subprocess.run(["rm", "-rf", work])
    return dict(engine="check", precision=args.precision, batch=len(paths), seconds=[0.0], agreement=error,
                version=ort.__version__)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("engine", choices=["ncnn", "ort", "torch", "check"])
    parser.add_argument("--imgfeat")
    parser.add_argument("--images")
    parser.add_argument("--count", type=int, default=8)
    parser.add_argument("--param")
    parser.add_argument("--onnx")
    parser.add_argument("--vulkan", action="store_true")
    parser.add_argument("--compile", action="store_true")
    parser.add_argument("--model", default="auto", choices=["auto", "timm", "torchvision"])
    parser.add_argument("--precision", default="fp32")
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    args = parser.parse_args()
    try:
        result = {"ncnn": run_ncnn, "ort": run_ort, "torch": run_torch, "check": run_check}[args.engine](args)
    except ImportError as error:
        sys.exit(f"{error.name or error} not installed")
    result["median_seconds"] = statistics.median(result["seconds"])
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
