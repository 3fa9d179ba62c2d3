import Foundation
import VulkanRuntime

/// The network half of the Vulkan engine: folded weights uploaded once, three rotating activation
/// buffers, and the recording of every layer from `input` to `features` for a batch.
final class VulkanNetwork {
    let model: FoldedMobileNetV2
    let precision: VulkanPrecision
    let maxBatch: Int
    /// N × S × S × 3 network input (written by the preprocessing shader or a copy).
    let input: Buffer
    /// N × featureDimension float32 features.
    let features: Buffer
    private let activations: [Buffer]
    private let weights: Buffer
    private let biases: Buffer
    /// Byte offset of each layer's weights and biases, in `model.layers` order.
    private let weightOffsets: [Int]
    private let biasOffsets: [Int]
    private let stem: StemConv.Vulkan
    private let depthwise: DepthwiseConv.Vulkan
    private let pointwise: PointwiseConv.Vulkan
    private let pool: GlobalAveragePool.Vulkan
    private let headPool: HeadPool.Vulkan
    private let blockKernel: InvertedResidualBlock.Vulkan
    /// How each block runs and which tuned choices are recorded: the launch tuning (`VulkanEngine+LaunchTuning`)
    /// sets it from `candidateLaunches`, `occupancyLaunches`, `pointwiseAlternatives` and
    /// `depthwiseAlternatives` where `measuresLaunches`; the self-check masks it (`VulkanBlockPlan.tunedPaths`).
    var plan: VulkanBlockPlan
    /// Per block, the launch it would fuse with under the mode (every block that fits where the mode measures).
    let candidateLaunches: [FusedBlockLaunch?]
    /// Per block, the second fused launch the tuning times (`FusedBlockLaunch.occupancyLaunch`), where the mode
    /// measures and it differs from `candidateLaunches`.
    let occupancyLaunches: [FusedBlockLaunch?]
    /// The GEMM variants the launch tuning times against the default, where the mode measures and the
    /// `kernelVariants` fast path is allowed: with cooperative matrices the GEMM's default variant too (a
    /// tensor-core kernel never run on a device is not assumed faster than the GEMM there).
    private(set) var pointwiseAlternatives: [PointwiseConv.Vulkan.Variant]
    /// The depthwise column counts the launch tuning times against the default, where the mode measures and
    /// the `kernelVariants` fast path is allowed.
    let depthwiseAlternatives: [Int]
    /// Whether the engine's launch tuning has set `plan` (measured, read back, or left as it is where
    /// nothing is measured); until then the tuned paths must not be recorded.
    var launchesTuned = false
    /// The depthwise layers' default column count on this device.
    var defaultDepthwiseColumns: Int { depthwise.columnsPerInvocation }
    /// How a per-layer block's 1×1 convolutions run by default: "cooperative matrices", or the GEMM variant.
    var defaultPointwiseDescription: String { coopmat != nil ? "cooperative matrices" : pointwise.defaultVariant.description }
    /// Whether the per-block launch choice is the engine's to measure on this device (`FusedBlockMode.measures`).
    let measuresLaunches: Bool
    /// Whether the head convolution and the pool run as one kernel (`head_pool.comp`), so the head's
    /// N×P×C output is never stored; else `pointwise_conv` then `global_average_pool`.
    let fusedHead: Bool
    /// Optional kernels this network may record where the device supports them.
    let fastPaths: VulkanFastPaths
    /// Each role's kernel arithmetic: `precision.arithmetic(for:)` where float16 arithmetic is allowed and
    /// the device has it, else float32.
    let arithmetic: [LayerRole: KernelArithmetic]
    /// The cooperative-matrix kernel for the 1×1 convolutions and the head, when `fastPaths` allows it and
    /// the device has it (`CoopMatGEMM.unavailableReason`); nil: the per-layer float32 kernels.
    private var coopmat: CoopMatGEMM.Vulkan?
    /// Why the cooperative-matrix kernel was dropped after all (its pipelines could not be built), if it was.
    private(set) var coopmatFallback: String?
    /// Whether the 1×1 convolutions and the head run on cooperative matrices.
    var usesCooperativeMatrix: Bool { coopmat != nil }
    /// The fast paths this network records on its device: what the self-check tests and, when one fails,
    /// rebuilds the network without (fused blocks where any block fuses, cooperative matrices where in use,
    /// float16 arithmetic where a kernel the network records computes in it, kernel variants where a
    /// per-layer block runs one).
    var activeFastPaths: VulkanFastPaths {
        var paths = plan.recordedPaths
        if usesCooperativeMatrix { paths.insert(.cooperativeMatrix) }
        // With cooperative matrices the 1x1 layers and the head run there; the other roles keep their arithmetic.
        let recorded = arithmetic.filter { !usesCooperativeMatrix || [.stem, .depthwise].contains($0.key) }
        if recorded.values.contains(where: { $0 != .float32 }) { paths.insert(.float16Arithmetic) }
        if poolReduction == .subgroup { paths.insert(.subgroupReductions) }
        return paths
    }
    private let context: VulkanContext

    /// Profile label (and `flopsPerImage` key) of the fused head and pool.
    var headPoolLabel: String { "\(model.head.name) + pool" }

    /// Bytes of each activation one image stores, in execution order: the network input, then the output of
    /// every layer (the head's only when it is not fused with the pool), each in its storage format.
    static func activationBytes(_ model: FoldedMobileNetV2, precision: VulkanPrecision, fusedHead: Bool) -> [Int] {
        var size = model.config.inputSize
        var bytes = [size * size * 3 * precision.inputFormat.size]
        for layer in model.layers where !(fusedHead && layer.name == model.head.name) {
            size = layer.outputSize(inputSize: size)
            let format = layer.relu6 ? precision.boundedFormat : precision.streamFormat
            bytes.append(size * size * layer.outChannels * format.size)
        }
        return bytes
    }

    /// Largest activation of one image, in bytes (the size of each rotating buffer per image).
    static func largestActivationBytes(_ model: FoldedMobileNetV2, precision: VulkanPrecision, fusedHead: Bool) -> Int {
        activationBytes(model, precision: precision, fusedHead: fusedHead).max() ?? 0
    }

    /// The batch that fits one binding (maxStorageBufferRange) at this precision, at most `requested`.
    static func batchLimit(_ model: FoldedMobileNetV2, precision: VulkanPrecision, context: VulkanContext,
                           requested: Int, fusedHead: Bool) -> Int {
        let perImage = largestActivationBytes(model, precision: precision, fusedHead: fusedHead)
        return max(1, min(requested, Int(context.info.maxStorageBufferRange) / perImage))
    }

    /// How the head's pool adds its sums (`head_pool` or `global_average_pool`), or nil when the head runs on
    /// cooperative matrices.
    var poolReduction: KernelReduction? {
        coopmat != nil && fusedHead ? nil : fusedHead ? headPool.reduction : pool.reduction
    }

    init(model: FoldedMobileNetV2, context: VulkanContext, precision: VulkanPrecision, maxBatch: Int,
         fusedHead: Bool, fastPaths: VulkanFastPaths = .all, fusedBlocks: FusedBlockMode = .auto,
         reduction: KernelReduction? = nil) throws {
        try precision.check(context)
        self.model = model
        self.context = context
        self.precision = precision
        self.maxBatch = maxBatch
        stem = StemConv.Vulkan(context: context)
        depthwise = DepthwiseConv.Vulkan(context: context)
        pointwise = PointwiseConv.Vulkan(context: context)
        // A forced reduction wins; else the device's choice where the fast path is allowed.
        let reduction = reduction ?? (fastPaths.contains(.subgroupReductions) ? KernelReduction.choose(context.info) : .sharedMemory)
        pool = try GlobalAveragePool.Vulkan(context: context, reduction: reduction)
        headPool = try HeadPool.Vulkan(context: context, reduction: reduction)
        self.fusedHead = fusedHead
        self.fastPaths = fastPaths
        let float16 = fastPaths.contains(.float16Arithmetic) && context.float16ArithmeticEnabled
        arithmetic = Dictionary(uniqueKeysWithValues: LayerRole.allCases.map {
            ($0, float16 ? precision.arithmetic(for: $0) : .float32)
        })
        blockKernel = InvertedResidualBlock.Vulkan(context: context)
        (candidateLaunches, occupancyLaunches) = FusedBlockLaunch.plan(model, device: context.info, fastPaths: fastPaths,
                                                                       mode: fusedBlocks)
        plan = VulkanBlockPlan(fusedLaunches: candidateLaunches)
        coopmat = fastPaths.contains(.cooperativeMatrix) && CoopMatGEMM.unavailableReason(context) == nil
            ? try CoopMatGEMM.Vulkan(context: context) : nil
        let measures = fusedBlocks.measures(on: context.info.kind)
        pointwiseAlternatives = !measures || !fastPaths.contains(.kernelVariants) ? []
            : (coopmat == nil ? [] : [pointwise.defaultVariant]) + PointwiseConv.Vulkan.Variant.alternatives(on: context.info.kind)
        depthwiseAlternatives = measures && fastPaths.contains(.kernelVariants)
            ? DepthwiseConv.Vulkan.columnAlternatives(on: context.info.kind).filter { [depthwise] in $0 != depthwise.columnsPerInvocation } : []
        measuresLaunches = measures && (candidateLaunches.contains { $0 != nil } || !pointwiseAlternatives.isEmpty
                                        || !depthwiseAlternatives.isEmpty)

        let bufferBytes = Self.largestActivationBytes(model, precision: precision, fusedHead: fusedHead) * maxBatch
        activations = try (0..<3).map { _ in try Buffer(context: context, size: bufferBytes, location: .device) }
        let size = model.config.inputSize
        input = try Buffer(context: context, size: maxBatch * size * size * 3 * precision.inputFormat.size, location: .device)
        features = try Buffer(context: context, size: maxBatch * model.featureDimension * 4, location: .device)

        // Pack every layer at offsets a descriptor may start at.
        let alignment = max(Int(context.info.minStorageBufferOffsetAlignment), 16)
        func aligned(_ n: Int) -> Int { (n + alignment - 1) / alignment * alignment }
        var weightBytes: [UInt8] = [], biasValues: [Float] = []
        var weightOffsets: [Int] = [], biasOffsets: [Int] = []
        for layer in model.layers {
            weightBytes += [UInt8](repeating: 0, count: aligned(weightBytes.count) - weightBytes.count)
            weightOffsets.append(weightBytes.count)
            // Weights stay float32 at every precision: they are read once per tile, and rounding them
            // to float16 doubled the fp16 error against Keras.
            weightBytes += VulkanPrecision.fp32.encode(layer.weights)
            biasValues += [Float](repeating: 0, count: aligned(biasValues.count * 4) / 4 - biasValues.count)
            biasOffsets.append(biasValues.count * 4)
            biasValues += layer.bias
        }
        self.weightOffsets = weightOffsets
        self.biasOffsets = biasOffsets
        weights = try Buffer(context: context, size: weightBytes.count, location: .device)
        biases = try Buffer(context: context, size: biasValues.count * 4, location: .device)
        let staging = try Buffer(context: context, size: aligned(weightBytes.count) + biasValues.count * 4, location: .upload)
        try staging.write(weightBytes)
        try staging.write(biasValues, at: aligned(weightBytes.count) / 4)
        let sequence = try CommandSequence(context: context, maxTimestamps: 0)
        try sequence.begin()
        try sequence.copy(from: staging, to: weights, size: weightBytes.count)
        try sequence.copy(from: staging, offset: aligned(weightBytes.count), to: biases, size: biasValues.count * 4)
        sequence.barrier()
        try sequence.run()
        // The cooperative-matrix kernel reads its weights split into float16 hi/lo once, here.
        try coopmat?.upload(model.layers.filter { $0.kind == .pointwise })
        // Every pipeline the network records is built now (a dry recording, never submitted), so a driver
        // that refuses the cooperative-matrix kernel costs that fast path, not the engine.
        if coopmat != nil {
            do {
                let dry = try CommandSequence(context: context, maxTimestamps: 0)
                try dry.begin()
                try record(dry, batch: 1, timestamps: false)
            } catch {
                coopmatFallback = "\(error)"
                coopmat = nil
                pointwiseAlternatives.removeAll { $0 == pointwise.defaultVariant }
            }
        }
    }

    /// Floating-point operations per image of each profiled stage: every layer by name and "pool", or
    /// `headPoolLabel` in place of the head and the pool when they are fused.
    var flopsPerImage: [String: Double] {
        var result: [String: Double] = [:]
        var size = model.config.inputSize
        for layer in model.layers {
            let out = layer.outputSize(inputSize: size)
            let macs: Int
            switch layer.kind {
            case .full: macs = out * out * layer.outChannels * layer.inChannels * layer.kernelSize * layer.kernelSize
            case .depthwise: macs = out * out * layer.inChannels * layer.kernelSize * layer.kernelSize
            case .pointwise: macs = out * out * layer.inChannels * layer.outChannels
            }
            result[layer.name] = 2 * Double(macs)
            size = out
        }
        result["pool"] = Double(size * size * model.featureDimension)
        for (block, launch) in zip(model.blocks, plan.recordedLaunches) where launch != nil {
            result[block.name] = block.inOrder.reduce(0) { $0 + result[$1.name, default: 0] }
            for layer in block.inOrder { result[layer.name] = nil }
        }
        if fusedHead {
            result[headPoolLabel] = result[model.head.name, default: 0] + result["pool", default: 0]
            result[model.head.name] = nil
            result["pool"] = nil
        }
        return result
    }

    /// Records the network for `batch` images already in `input`, leaving features in `features`;
    /// a timestamp after each layer when `timestamps` is set.
    func record(_ sequence: CommandSequence, batch: Int, timestamps: Bool) throws {
        precondition(batch >= 1 && batch <= maxBatch, "batch \(batch) outside 1...\(maxBatch)")
        let bounded = precision.boundedFormat, stream = precision.streamFormat
        var layerIndex = 0
        var size = model.config.inputSize
        func activation(_ index: Int, elements: Int, _ format: StorageFormat) -> BufferBinding {
            BufferBinding(activations[index], offset: 0, range: batch * elements * format.size)
        }
        func parameters(_ layer: ConvLayer) -> (BufferBinding, BufferBinding) {
            let w = BufferBinding(weights, offset: weightOffsets[layerIndex], range: layer.weightCount * 4)
            let b = BufferBinding(biases, offset: biasOffsets[layerIndex], range: layer.bias.count * 4)
            layerIndex += 1
            return (w, b)
        }
        func finish(_ name: String) {
            sequence.barrier()
            if timestamps { sequence.timestamp(name) }
        }
        func format(_ layer: ConvLayer) -> StorageFormat { layer.relu6 ? bounded : stream }
        // The 1×1 convolutions: on cooperative matrices where the device has them and the block runs no other
        // variant, else the per-layer GEMM.
        func gemm(_ layer: ConvLayer, pixels: Int, input: BufferBinding, inputFormat: StorageFormat, weights: BufferBinding,
                  bias: BufferBinding, residual: BufferBinding?, output: BufferBinding, outputFormat: StorageFormat,
                  arithmetic: KernelArithmetic, variant: PointwiseConv.Vulkan.Variant? = nil) throws {
            if let coopmat, variant == nil {
                try coopmat.record(sequence, layer: layer, pixels: pixels, input: input, inputFormat: inputFormat,
                                   bias: bias, residual: residual, output: output, outputFormat: outputFormat)
            } else {
                try pointwise.record(sequence, layer: layer, pixels: pixels, input: input, inputFormat: inputFormat, weights: weights,
                                     bias: bias, residual: residual, output: output, outputFormat: outputFormat,
                                     arithmetic: arithmetic, variant: variant)
            }
        }
        // Stem: input → activation 0.
        var (w, b) = parameters(model.stem)
        let stemOut = model.stem.outputSize(inputSize: size)
        try stem.record(sequence, layer: model.stem, batch: batch, height: size, width: size,
                        input: BufferBinding(input, offset: 0, range: batch * size * size * 3 * precision.inputFormat.size),
                        inputFormat: precision.inputFormat, weights: w, bias: b,
                        output: activation(0, elements: stemOut * stemOut * model.stem.outChannels, format(model.stem)),
                        outputFormat: format(model.stem), arithmetic: arithmetic[.stem]!)
        finish(model.stem.name)
        size = stemOut
        var current = 0, channels = model.stem.outChannels, currentFormat = format(model.stem)
        let variants = plan.recordedVariants, columns = plan.recordedDepthwiseColumns
        for (index, (block, launch)) in zip(model.blocks, plan.recordedLaunches).enumerated() {
            // `current` holds the block input (kept for the residual); the other two rotate.
            let others = [0, 1, 2].filter { $0 != current }
            if let launch {
                let outSize = block.depthwise.outputSize(inputSize: size)
                let outFormat = format(block.project)
                try blockKernel.record(sequence, block: block, batch: batch, height: size, width: size,
                                       input: activation(current, elements: size * size * channels, currentFormat),
                                       inputFormat: currentFormat, parameters: block.inOrder.map(parameters),
                                       output: activation(others[0], elements: outSize * outSize * block.project.outChannels, outFormat),
                                       outputFormat: outFormat, launch: launch)
                finish(block.name)
                current = others[0]
                currentFormat = outFormat
                channels = block.project.outChannels
                size = outSize
                continue
            }
            var x = current, xFormat = currentFormat
            if let expand = block.expand {
                (w, b) = parameters(expand)
                try gemm(expand, pixels: batch * size * size,
                                     input: activation(x, elements: size * size * channels, xFormat), inputFormat: xFormat,
                                     weights: w, bias: b, residual: nil,
                                     output: activation(others[0], elements: size * size * expand.outChannels, format(expand)),
                                     outputFormat: format(expand), arithmetic: arithmetic[.expand]!,
                                     variant: variants[index])
                finish(expand.name)
                x = others[0]
                xFormat = format(expand)
                channels = expand.outChannels
            }
            let dwTarget = x == current ? others[0] : others[1]
            let dw = block.depthwise
            let outSize = dw.outputSize(inputSize: size)
            (w, b) = parameters(dw)
            try depthwise.record(sequence, layer: dw, batch: batch, height: size, width: size,
                                 input: activation(x, elements: size * size * channels, xFormat), inputFormat: xFormat,
                                 weights: w, bias: b,
                                 output: activation(dwTarget, elements: outSize * outSize * channels, format(dw)),
                                 outputFormat: format(dw), arithmetic: arithmetic[.depthwise]!, columns: columns[index])
            finish(dw.name)
            let projectTarget = others[0] == dwTarget ? others[1] : others[0]
            let project = block.project
            let projectFormat = format(project)
            (w, b) = parameters(project)
            let residual = block.residual ? activation(current, elements: outSize * outSize * project.outChannels, currentFormat) : nil
            precondition(residual == nil || currentFormat == projectFormat, "residual stored as \(currentFormat), output as \(projectFormat)")
            try gemm(project, pixels: batch * outSize * outSize,
                                 input: activation(dwTarget, elements: outSize * outSize * channels, format(dw)),
                                 inputFormat: format(dw), weights: w, bias: b, residual: residual,
                                 output: activation(projectTarget, elements: outSize * outSize * project.outChannels, projectFormat),
                                 outputFormat: projectFormat, arithmetic: arithmetic[.project]!,
                                 variant: variants[index])
            finish(project.name)
            current = projectTarget
            currentFormat = projectFormat
            channels = project.outChannels
            size = outSize
        }
        let head = model.head
        let headInput = activation(current, elements: size * size * channels, currentFormat)
        let featuresBinding = BufferBinding(features, offset: 0, range: batch * head.outChannels * 4)
        (w, b) = parameters(head)
        if fusedHead {
            if let coopmat {
                try coopmat.recordHeadPool(sequence, layer: head, batch: batch, pixels: size * size, input: headInput,
                                           inputFormat: currentFormat, bias: b, output: featuresBinding)
            } else {
                try headPool.record(sequence, layer: head, batch: batch, pixels: size * size, input: headInput,
                                    inputFormat: currentFormat, weights: w, bias: b, output: featuresBinding,
                                    arithmetic: arithmetic[.head]!)
            }
            finish(headPoolLabel)
            return
        }
        let headTarget = (current + 1) % 3
        let headOutput = activation(headTarget, elements: size * size * head.outChannels, format(head))
        try gemm(head, pixels: batch * size * size, input: headInput,
                             inputFormat: currentFormat, weights: w, bias: b, residual: nil,
                             output: headOutput, outputFormat: format(head), arithmetic: arithmetic[.head]!)
        finish(head.name)
        try pool.record(sequence, batch: batch, pixels: size * size, channels: head.outChannels,
                        input: headOutput, inputFormat: format(head), output: featuresBinding)
        finish("pool")
    }
}
