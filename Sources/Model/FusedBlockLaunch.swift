import VulkanRuntime

/// Launch shape of `inverted_residual_block.comp` for one block on one device: the output tile a work
/// group owns, the expanded channels it keeps in shared memory per pass, and its thread layout.
public struct FusedBlockLaunch: Sendable, Hashable, CustomStringConvertible {
    public let tileHeight: Int, tileWidth: Int
    /// Expanded channels per pass (shared memory holds this many for the input tile and the output tile).
    public let chunk: Int
    /// Work-group shape: x across output channels, y across the tile's pixels.
    public let groupX: Int, groupY: Int
    /// Each invocation's projection register tile.
    public let pixelsPerInvocation: Int, channelsPerInvocation: Int
    public let stride: Int, kernelSize: Int

    /// Shared-memory bytes at 4 bytes per element (the kernel's float32 arithmetic; a 16-bit ARITH_T needs half).
    public var sharedBytes: Int { Self.sharedBytes(tileHeight, tileWidth, chunk: chunk, stride: stride, kernelSize: kernelSize) }

    public var description: String {
        "\(tileHeight)x\(tileWidth) tile, \(chunk) channels per pass, \(groupX)x\(groupY) group, "
            + "\(pixelsPerInvocation)x\(channelsPerInvocation) per invocation"
    }

    /// A block's shapes, as the choice needs them.
    public struct Shape: Sendable, Hashable {
        public let height: Int, width: Int
        public let inChannels: Int, expanded: Int, outChannels: Int
        public let stride: Int, kernelSize: Int
        public let hasExpand: Bool

        public init(height: Int, width: Int, inChannels: Int, expanded: Int, outChannels: Int,
                    stride: Int, kernelSize: Int = 3, hasExpand: Bool = true) {
            self.height = height
            self.width = width
            self.inChannels = inChannels
            self.expanded = expanded
            self.outChannels = outChannels
            self.stride = stride
            self.kernelSize = kernelSize
            self.hasExpand = hasExpand
        }

        /// `block` on `height × width` inputs.
        public init(_ block: InvertedResidualBlock, height: Int, width: Int) {
            self.init(height: height, width: width, inChannels: block.expand?.inChannels ?? block.depthwise.inChannels,
                      expanded: block.depthwise.inChannels, outChannels: block.project.outChannels,
                      stride: block.depthwise.stride, kernelSize: block.depthwise.kernelSize, hasExpand: block.expand != nil)
        }

        var outHeight: Int { (height + stride - 1) / stride }
        var outWidth: Int { (width + stride - 1) / stride }
    }

    /// The device limits the choice reads, queried from `DeviceInfo` (or given, to test the choice).
    public struct Limits: Sendable, Hashable {
        public let sharedBytes: Int
        public let subgroupSize: Int
        public let maxInvocations: Int
        public let maxGroupX: Int, maxGroupY: Int
        public let maxGroupCount: Int

        public init(sharedBytes: Int, subgroupSize: Int, maxInvocations: Int, maxGroupX: Int, maxGroupY: Int,
                    maxGroupCount: Int = 65535) {
            self.sharedBytes = sharedBytes
            self.subgroupSize = subgroupSize
            self.maxInvocations = maxInvocations
            self.maxGroupX = maxGroupX
            self.maxGroupY = maxGroupY
            self.maxGroupCount = maxGroupCount
        }

        public init(_ info: DeviceInfo) {
            self.init(sharedBytes: Int(info.maxSharedMemoryBytes), subgroupSize: max(1, Int(info.subgroupSize)),
                      maxInvocations: Int(info.maxWorkgroupInvocations), maxGroupX: Int(info.maxWorkgroupSize[0]),
                      maxGroupY: Int(info.maxWorkgroupSize[1]), maxGroupCount: Int(info.maxWorkgroupCount.min() ?? 65535))
        }
    }

    /// Most accumulators one invocation keeps in registers (its projection tile).
    static let maxRegisterTile = 32
    /// Most multiply-adds a fused block may do, as a multiple of the per-layer kernels' (halo recomputed).
    public static let defaultMaxOverhead = 2.5
    static let tileSides = [16, 8, 4, 2, 1]
    static let chunks = [64, 32, 16, 8, 4]

    /// The launch for `shape` within `limits`, nil where the block does not fit (the per-layer kernels run).
    /// Among output tiles (sides 1–16, clamped to the output) with the widest chunk of expanded channels
    /// that fits shared memory (at least 16 where any tile allows it, since each pass costs two barriers),
    /// it takes the one doing the fewest multiply-adds per image: the expand runs again over every tile's
    /// halo, so bigger tiles waste less, until shared memory or the projection's register tile
    /// (tile pixels × output channels over the work group) runs out; nil past `maxOverhead` times the
    /// per-layer multiply-adds (the expand recomputed over too much halo). The work group spans about
    /// `targetThreads` invocations (a whole number of subgroups where it can), x across output channels
    /// (about 4 per invocation, so neighbours read neighbouring weights) and y across the tile's pixels.
    public static func choose(_ shape: Shape, limits: Limits, targetThreads: Int = 256,
                              maxOverhead: Double = defaultMaxOverhead) -> FusedBlockLaunch? {
        guard shape.height >= 1, shape.width >= 1, shape.expanded >= 1, shape.outChannels >= 1,
              shape.inChannels >= 1, shape.stride >= 1, shape.kernelSize >= 1 else { return nil }
        var best: (launch: FusedBlockLaunch, cost: Double)?
        for minimumChunk in [min(16, shape.expanded), 1] {
            for th in sides(shape.outHeight) {
                for tw in sides(shape.outWidth) {
                    guard let chunk = chunks.map({ min($0, shape.expanded) }).first(where: {
                        $0 >= minimumChunk && sharedBytes(th, tw, chunk: $0, stride: shape.stride, kernelSize: shape.kernelSize) <= limits.sharedBytes
                    }), let launch = threads(shape, th, tw, chunk: chunk, limits: limits, targetThreads: targetThreads)
                    else { continue }
                    let cost = macsPerImage(shape, th, tw)
                    let area = { (l: FusedBlockLaunch) in l.tileHeight * l.tileWidth }
                    if best == nil || cost < best!.cost
                        || (cost == best!.cost && (area(launch), launch.chunk) > (area(best!.launch), best!.launch.chunk)) {
                        best = (launch, cost)
                    }
                }
            }
            if best != nil { break }
        }
        // Past this much recomputed halo the saved memory traffic is not worth the arithmetic.
        guard let best, best.cost <= maxOverhead * macsPerImage(shape, shape.outHeight, shape.outWidth, halo: false) else { return nil }
        return best.launch
    }

    /// Tile sides for an output side, largest first, each once (a fixed order keeps ties deterministic).
    static func sides(_ outSide: Int) -> [Int] {
        tileSides.map { min($0, outSide) }.reduce(into: [Int]()) { if !$0.contains($1) { $0.append($1) } }
    }

    static func sharedBytes(_ th: Int, _ tw: Int, chunk: Int, stride: Int, kernelSize: Int) -> Int {
        (((th - 1) * stride + kernelSize) * ((tw - 1) * stride + kernelSize) + th * tw) * chunk * 4
    }

    /// Multiply-adds per image with `th × tw` tiles: the expand over every tile's halo inside the image (the
    /// kernel skips the padding), the depthwise and projection over whole tiles (`halo: false`: the
    /// per-layer count, the expand over each input pixel once).
    static func macsPerImage(_ shape: Shape, _ th: Int, _ tw: Int, halo: Bool = true) -> Double {
        // Input rows (columns) the tiles along one side read, each tile's halo clipped to the image.
        func span(_ outSide: Int, _ inSide: Int, _ tile: Int, pad: Int) -> Int {
            guard halo else { return inSide }
            return Swift.stride(from: 0, to: outSide, by: tile).reduce(0) { sum, o in
                let first = o * shape.stride - pad, last = first + (tile - 1) * shape.stride + shape.kernelSize
                return sum + max(0, min(last, inSide) - max(first, 0))
            }
        }
        let pad = { (side: Int, out: Int) in max((out - 1) * shape.stride + shape.kernelSize - side, 0) / 2 }
        let inPixels = Double(span(shape.outHeight, shape.height, th, pad: pad(shape.height, shape.outHeight))
            * span(shape.outWidth, shape.width, tw, pad: pad(shape.width, shape.outWidth)))
        let tilePixels = halo ? Double(ceilDiv(shape.outHeight, th) * th * ceilDiv(shape.outWidth, tw) * tw)
            : Double(shape.outHeight * shape.outWidth)
        let e = Double(shape.expanded)
        let expand = shape.hasExpand ? inPixels * Double(shape.inChannels) * e : 0
        return expand + tilePixels * e * Double(shape.kernelSize * shape.kernelSize + shape.outChannels)
    }

    /// The thread layout for one tile and chunk, nil when the register tile or the device limits do not allow it.
    static func threads(_ shape: Shape, _ th: Int, _ tw: Int, chunk: Int, limits: Limits, targetThreads: Int) -> FusedBlockLaunch? {
        let pixels = th * tw
        let target = max(1, min(targetThreads, limits.maxInvocations))
        var groupX = 1
        while groupX * 4 < shape.outChannels && groupX * 2 <= min(64, limits.maxGroupX, target) { groupX *= 2 }
        let perChannel = ceilDiv(shape.outChannels, groupX)
        var groupY = min(pixels, max(1, target / groupX), limits.maxGroupY)
        // A whole number of subgroups where the pixels allow it.
        let subgroup = limits.subgroupSize
        if groupX * groupY > subgroup, (groupX * groupY) % subgroup != 0, subgroup % groupX == 0 {
            groupY = max(1, groupY / (subgroup / groupX) * (subgroup / groupX))
        }
        let perPixel = ceilDiv(pixels, groupY)
        guard perPixel * perChannel <= maxRegisterTile, groupX * groupY <= limits.maxInvocations,
              ceilDiv(shape.outWidth, tw) <= limits.maxGroupCount, ceilDiv(shape.outHeight, th) <= limits.maxGroupCount
        else { return nil }
        return FusedBlockLaunch(tileHeight: th, tileWidth: tw, chunk: chunk, groupX: groupX, groupY: groupY,
                                pixelsPerInvocation: perPixel, channelsPerInvocation: perChannel,
                                stride: shape.stride, kernelSize: shape.kernelSize)
    }
}

extension FusedBlockLaunch {
    /// Invocations per work group the device profile aims at: CPU drivers run a work group's invocations
    /// on one core in SIMD batches of the subgroup size, so a few subgroups; GPUs 256.
    public static func targetThreads(_ kind: DeviceKind, _ limits: Limits) -> Int {
        kind == .cpu ? 4 * limits.subgroupSize : 256
    }

    /// How many work groups the occupancy launch leaves room for in one compute unit's shared memory.
    public static let occupancyGroups = 4

    /// The launch tuning's second fused candidate: `choose` within 1/`occupancyGroups` of the shared memory,
    /// so that many work groups fit one compute unit at once and hide each other's barriers and loads (the
    /// first candidate's big tiles waste the least halo but may leave one group per unit); nil where nothing
    /// fits or it is `primary` again.
    public static func occupancyLaunch(_ shape: Shape, limits: Limits, targetThreads: Int,
                                       primary: FusedBlockLaunch?) -> FusedBlockLaunch? {
        let smaller = Limits(sharedBytes: limits.sharedBytes / occupancyGroups, subgroupSize: limits.subgroupSize,
                             maxInvocations: limits.maxInvocations, maxGroupX: limits.maxGroupX, maxGroupY: limits.maxGroupY,
                             maxGroupCount: limits.maxGroupCount)
        guard let launch = choose(shape, limits: smaller, targetThreads: targetThreads), launch != primary else { return nil }
        return launch
    }

    /// Per block of `model`, its fused launch on `device`, or nil where it runs layer by layer (fused blocks
    /// not allowed by `fastPaths`, `mode` off or left per-layer on this device, or the block does not fit the
    /// device's limits), and where `mode` measures (`FusedBlockMode.measures`) its occupancy launch. Where
    /// it measures these are every block that fits: the candidates the engine's launch tuning times against
    /// the per-layer sequence.
    static func plan(_ model: FoldedMobileNetV2, device: DeviceInfo, fastPaths: VulkanFastPaths,
                     mode: FusedBlockMode) -> (launches: [FusedBlockLaunch?], occupancy: [FusedBlockLaunch?]) {
        let enabled = fastPaths.contains(.fusedBlocks) && (mode == .on || mode.measures(on: device.kind))
        let limits = Limits(device), threads = targetThreads(device.kind, limits)
        var size = model.stem.outputSize(inputSize: model.config.inputSize)
        let plans = model.blocks.map { block -> (FusedBlockLaunch?, FusedBlockLaunch?) in
            defer { size = block.depthwise.outputSize(inputSize: size) }
            guard enabled else { return (nil, nil) }
            let shape = Shape(block, height: size, width: size)
            let launch = choose(shape, limits: limits, targetThreads: threads)
            guard launch != nil, mode.measures(on: device.kind) else { return (launch, nil) }
            return (launch, occupancyLaunch(shape, limits: limits, targetThreads: threads, primary: launch))
        }
        return (plans.map(\.0), plans.map(\.1))
    }
}
