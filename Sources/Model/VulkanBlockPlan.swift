/// How each inverted-residual block of a Vulkan network runs: fused with a launch, or layer by layer with
/// the default kernels or other variants (the launch tuning's decision, `VulkanEngine+LaunchTuning`), and
/// which of those choices the network records (`tunedPaths`: the self-check turns either off here for a
/// trial or a fallback, so the measured plan stays as measured and is never timed again for it).
struct VulkanBlockPlan: Equatable {
    /// Per block, the fused kernel's launch, or nil where the block runs layer by layer.
    var fusedLaunches: [FusedBlockLaunch?]
    /// Per block, the GEMM variant of its 1×1 convolutions when it runs layer by layer; nil: the default
    /// (cooperative matrices where in use, else the launcher's default variant).
    var pointwiseVariants: [PointwiseConv.Vulkan.Variant?]
    /// Per block, its depthwise layer's output columns per vec4 invocation when it runs layer by layer;
    /// nil: the launcher's default.
    var depthwiseColumns: [Int?]
    /// Which tuned choices are recorded: fused blocks with `.fusedBlocks`, the variants with `.kernelVariants`.
    var tunedPaths: VulkanFastPaths = .tuned

    /// Every block with `fusedLaunches` (nil: per-layer), the default kernels elsewhere.
    init(fusedLaunches: [FusedBlockLaunch?]) {
        self.fusedLaunches = fusedLaunches
        pointwiseVariants = fusedLaunches.map { _ in nil }
        depthwiseColumns = fusedLaunches.map { _ in nil }
    }

    /// Every block per-layer, each with `variant` and `columns` (nil: the defaults).
    static func layered(blocks: Int, variant: PointwiseConv.Vulkan.Variant? = nil, columns: Int? = nil) -> VulkanBlockPlan {
        var plan = VulkanBlockPlan(fusedLaunches: Array(repeating: nil, count: blocks))
        plan.pointwiseVariants = Array(repeating: variant, count: blocks)
        plan.depthwiseColumns = Array(repeating: columns, count: blocks)
        return plan
    }

    /// Whether any block runs fused in this plan (before the mask).
    var fuses: Bool { fusedLaunches.contains { $0 != nil } }

    /// Per block, the fused launch recorded (nil: per-layer) under `tunedPaths`.
    var recordedLaunches: [FusedBlockLaunch?] {
        tunedPaths.contains(.fusedBlocks) ? fusedLaunches : fusedLaunches.map { _ in nil }
    }

    /// Per block, the GEMM variant recorded where it runs per-layer (nil: the default) under `tunedPaths`.
    var recordedVariants: [PointwiseConv.Vulkan.Variant?] { recorded(pointwiseVariants) }

    /// Per block, the depthwise column count recorded where it runs per-layer (nil: the default) under `tunedPaths`.
    var recordedDepthwiseColumns: [Int?] { recorded(depthwiseColumns) }

    /// The tuned paths the recorded plan uses: `.fusedBlocks` where a block runs fused, `.kernelVariants`
    /// where a per-layer block runs a part in another variant.
    var recordedPaths: VulkanFastPaths {
        var paths: VulkanFastPaths = []
        if recordedLaunches.contains(where: { $0 != nil }) { paths.insert(.fusedBlocks) }
        if recordedVariants.contains(where: { $0 != nil }) || recordedDepthwiseColumns.contains(where: { $0 != nil }) {
            paths.insert(.kernelVariants)
        }
        return paths
    }

    private func recorded<T>(_ choices: [T?]) -> [T?] {
        zip(recordedLaunches, choices).map { launch, choice in
            launch == nil && tunedPaths.contains(.kernelVariants) ? choice : nil
        }
    }
}
