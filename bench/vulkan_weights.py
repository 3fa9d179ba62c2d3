"""imgfeat's `--weights random:SEED` MobileNetV2, rebuilt in numpy, as an ONNX graph for ONNX Runtime.

imgfeat draws its random weights with SplitMix64, one stream per layer, in a fixed order
(Sources/Model/FoldedMobileNetV2.swift, `FoldedMobileNetV2.random` and `RandomWeights.layer`); the same
arithmetic in numpy gives the same float32 values bit for bit, so ONNX Runtime runs the very network that
imgfeat runs without a weights file travelling with the benchmark. The graph itself comes from
bench/cpu_bench_model.py's `build_onnx` (the CPU benchmark's machinery), fed a stand-in for the Keras model
whose BatchNorm layers are the identity (gamma 1, beta = the folded bias, mean 0, variance 1, epsilon 0).

  python3 bench/vulkan_weights.py OUT.onnx [--seed 0] [--alpha 1.0] [--size 224]
"""

import argparse
import math
import os
import sys

GAMMA = 0x9E3779B97F4A7C15
MASK = (1 << 64) - 1
STAGES = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]


def make_divisible(v, divisor=8):
    new = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new + divisor if new < 0.9 * v else new


def architecture(alpha):
    """(name, kind, kernel, stride, in, out, relu6) in imgfeat's order (MobileNetV2Architecture.convolutions)."""
    stem = make_divisible(32 * alpha)
    layers = [("Conv1", "full", 3, 2, 3, stem, True)]
    channels, block = stem, 0
    for t, c, n, s in STAGES:
        for i in range(n):
            prefix = "expanded_conv_" if block == 0 else f"block_{block}_"
            out = make_divisible(float(int(c * alpha)))
            expanded = t * channels
            if block > 0:
                layers.append((prefix + "expand", "pointwise", 1, 1, channels, expanded, True))
            layers.append((prefix + "depthwise", "depthwise", 3, s if i == 0 else 1, expanded, expanded, True))
            layers.append((prefix + "project", "pointwise", 1, 1, expanded, out, False))
            channels, block = out, block + 1
    head = make_divisible(1280 * alpha) if alpha > 1.0 else 1280
    layers.append(("Conv_1", "pointwise", 1, 1, channels, head, True))
    return layers


def splitmix(seed, count):
    """The first `count` outputs of SplitMix64 seeded with `seed`, as uint64."""
    import numpy as np

    k = np.arange(1, count + 1, dtype=np.uint64)
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + k * np.uint64(GAMMA)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def random_layers(seed, alpha):
    """{name: (kernel in Keras layout, bias, stride)} exactly as `random:SEED` makes them."""
    import numpy as np

    result = {}
    for index, (name, kind, k, stride, cin, cout, relu6) in enumerate(architecture(alpha), start=1):
        fan_in = k * k if kind == "depthwise" else k * k * cin
        amplitude = math.sqrt((2.0 if relu6 else 0.5) / fan_in) * math.sqrt(3.0)
        count = k * k * cin if kind == "depthwise" else k * k * cin * cout
        units = (splitmix((seed ^ (index * GAMMA)) & MASK, count + cout) >> np.uint64(11)).astype(np.float64) * 2.0 ** -53
        weights = (amplitude * (2 * units[:count] - 1)).astype(np.float32)
        bias_units = units[count:]
        bias = (0.05 + 0.1 * bias_units if relu6 else 0.05 * (2 * bias_units - 1)).astype(np.float32)
        shape = (k, k, cin, 1) if kind == "depthwise" else (k, k, cin, cout)
        result[name] = (weights.reshape(shape), bias, stride)
    return result


class _Layer:
    """Just enough of a Keras layer for cpu_bench_model.build_onnx."""

    def __init__(self, name, weights, strides=(1, 1), epsilon=0.0):
        self.name, self._weights, self.strides, self.epsilon = name, weights, strides, epsilon

    def get_weights(self):
        return self._weights


class StandInModel:
    """The Keras-model view build_onnx reads: each convolution, and an identity BatchNorm after it."""

    def __init__(self, layers):
        import numpy as np

        self.layers = []
        bn_names = {"Conv1": "bn_Conv1", "Conv_1": "Conv_1_bn"}
        for name, (kernel, bias, stride) in layers.items():
            c = bias.shape[0]
            self.layers.append(_Layer(name, [kernel], strides=(stride, stride)))
            bn = bn_names.get(name, name + "_BN")
            ones, zeros = np.ones(c, np.float32), np.zeros(c, np.float32)
            self.layers.append(_Layer(bn, [ones, bias, zeros, ones]))


def build(path, seed, alpha, size):
    os.environ["BENCH_ALPHA"], os.environ["BENCH_SIZE"] = str(alpha), str(size)
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import cpu_bench_model

    cpu_bench_model.build_onnx(StandInModel(random_layers(seed, alpha)), path)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--alpha", type=float, default=1.0)
    parser.add_argument("--size", type=int, default=224)
    args = parser.parse_args()
    try:
        build(args.out, args.seed, args.alpha, args.size)
    except ImportError as error:
        sys.exit(f"{error.name or error} not installed")
    print(f"wrote {args.out}: imgfeat random:{args.seed}, alpha {args.alpha}, {args.size}×{args.size}")
