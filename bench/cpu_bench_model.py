"""The inputs of bench/cpu_bench.py: the generated JPEGs, the Keras model's weights (legacy .h5, the
file every engine loads) and the same network as an ONNX graph. Run as `cpu_bench.py prepare OUT`."""

import os

from cpu_bench import IMAGES, SEED, SIZE, images_folder, keras_model, onnx_path, weights_path


def prepare(out):
    import numpy as np
    from PIL import Image

    folder = images_folder(out)
    os.makedirs(folder, exist_ok=True)
    # Exactly IMAGES files: every engine, imgfeat's folder listing included, reads the same set.
    wanted = {f"fruit_{i:05d}.jpg" for i in range(IMAGES)}
    for name in os.listdir(folder):
        if name not in wanted:
            os.remove(os.path.join(folder, name))
    # Image i is the same whatever IMAGES is and whichever files already exist.
    rng = np.random.default_rng(SEED)
    yy, xx = np.mgrid[0:100, 0:100] / 100.0
    for i in range(IMAGES):
        path = os.path.join(folder, f"fruit_{i:05d}.jpg")
        # Smooth colour blobs plus noise: compresses like a photo, unlike pure noise.
        a, b, c = rng.uniform(0, 6, 3)
        noise = rng.normal(0, 12, (100, 100, 3))
        if os.path.exists(path):
            continue
        base = np.stack([np.sin(a * xx + b * yy + c), np.cos(b * xx - a * yy), np.sin(c * xx * yy + a)], -1)
        pixels = np.clip(127.5 + 100 * base + noise, 0, 255).astype(np.uint8)
        Image.fromarray(pixels, "RGB").save(path, quality=90)

    rng = np.random.default_rng(SEED + 1)
    model = keras_model()
    # Random BatchNorm statistics, so folding them matters and activations stay in a realistic range.
    for layer in model.layers:
        if type(layer).__name__ == "BatchNormalization":
            c = layer.get_weights()[0].shape[0]
            layer.set_weights([rng.uniform(0.5, 1.5, c).astype("float32"), rng.uniform(-0.2, 0.4, c).astype("float32"),
                               rng.uniform(-0.1, 0.1, c).astype("float32"), rng.uniform(0.5, 2.0, c).astype("float32")])
    model.save_weights(weights_path(out).replace(".h5", ".weights.h5"))
    import h5py
    from keras.src.legacy.saving import legacy_h5_format

    with h5py.File(weights_path(out), "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, model)
    build_onnx(model, onnx_path(out))
    print(f"prepared {IMAGES} JPEGs, {weights_path(out)}, {onnx_path(out)}")


def build_onnx(model, path):
    """The same network as an ONNX graph: BatchNorm folded into each convolution (as imgfeat does),
    NHWC input transposed once to NCHW, Clip(0, 6) for ReLU6, output = the pooled 1280-d features."""
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    layers = {l.name: l for l in model.layers}

    def const(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array, dtype=np.float32), name))
        return name

    def folded(conv_name, bn_name, depthwise):
        w = layers[conv_name].get_weights()[0]
        gamma, beta, mean, var = layers[bn_name].get_weights()
        scale = gamma / np.sqrt(var + layers[bn_name].epsilon)
        if depthwise:  # (kh, kw, c, 1) -> (c, 1, kh, kw)
            w = w[:, :, :, 0] * scale
            w = w.transpose(2, 0, 1)[:, None, :, :]
        else:  # (kh, kw, in, out) -> (out, in, kh, kw)
            w = (w * scale).transpose(3, 2, 0, 1)
        return w, beta - mean * scale

    current, side = "input_nchw", SIZE
    const("zero", 0.0)
    const("six", 6.0)
    nodes.append(helper.make_node("Transpose", ["input"], [current], perm=[0, 3, 1, 2]))

    def conv(x, conv_name, bn_name, stride, kernel, relu6, depthwise=False):
        nonlocal side
        w, b = folded(conv_name, bn_name, depthwise)
        if kernel == 1:
            pads = [0, 0, 0, 0]
        elif stride == 1:
            pads = [1, 1, 1, 1]
        else:  # TF "same" / Keras correct_pad: the odd pixel of padding goes after
            before = 1 if side % 2 else 0
            pads = [before, before, 1, 1]
        attrs = dict(strides=[stride, stride], pads=pads, kernel_shape=[kernel, kernel])
        if depthwise:
            attrs["group"] = w.shape[0]
        y = conv_name + "_out"
        nodes.append(helper.make_node("Conv", [x, const(conv_name + "_w", w), const(conv_name + "_b", b)], [y], **attrs))
        side = (side + stride - 1) // stride
        if relu6:
            z = conv_name + "_relu6"
            nodes.append(helper.make_node("Clip", [y, "zero", "six"], [z]))
            return z
        return y

    current = conv(current, "Conv1", "bn_Conv1", 2, 3, True)
    channels = layers["Conv1"].get_weights()[0].shape[-1]
    for block in range(17):
        prefix = "expanded_conv_" if block == 0 else f"block_{block}_"
        x = current
        if block > 0:
            x = conv(x, prefix + "expand", prefix + "expand_BN", 1, 1, True)
        stride = layers[prefix + "depthwise"].strides[0]
        x = conv(x, prefix + "depthwise", prefix + "depthwise_BN", stride, 3, True, depthwise=True)
        x = conv(x, prefix + "project", prefix + "project_BN", 1, 1, False)
        out_channels = layers[prefix + "project"].get_weights()[0].shape[-1]
        if stride == 1 and out_channels == channels:
            y = prefix + "add"
            nodes.append(helper.make_node("Add", [current, x], [y]))
            x = y
        current, channels = x, out_channels
    current = conv(current, "Conv_1", "Conv_1_bn", 1, 1, True)
    nodes.append(helper.make_node("GlobalAveragePool", [current], ["pooled"]))
    nodes.append(helper.make_node("Flatten", ["pooled"], ["features"], axis=1))
    graph = helper.make_graph(
        nodes, "mobilenet_v2_features",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", SIZE, SIZE, 3])],
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", None])], inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(m)
    onnx.save(m, path)
