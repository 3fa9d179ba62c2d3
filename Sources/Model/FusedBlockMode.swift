import VulkanRuntime

/// Where the Vulkan engine runs inverted-residual blocks fused (with `VulkanFastPaths.fusedBlocks` allowed):
/// `auto` measures each block on GPUs — fused with two launches, per-layer with the default kernels and with
/// other kernel variants — and keeps the fastest (`VulkanLaunchTuning`), and runs every block layer by layer
/// with the default kernels on CPU drivers without measuring (fused measured several times slower there:
/// docs/PERFORMANCE.md); `measure` measures on any device (tests, the lavapipe bench); `on` fuses wherever a
/// block fits, `off` never (both with the default kernels, untimed). The CLI takes `$IMGFEAT_VULKAN_FUSED_BLOCKS` (EnvironmentSettings refuses any other value in one line).
public enum FusedBlockMode: String, Sendable, CaseIterable {
    case auto, on, off, measure

    /// Whether the engine times the blocks' launches on a device of `kind` to choose.
    public func measures(on kind: DeviceKind) -> Bool { self == .measure || (self == .auto && kind != .cpu) }

    /// How the choice was made, for summaries: "forced on", "forced off", "measured", or "per-layer on
    /// CPU drivers" (auto there); `fromCache` marks a measurement read back.
    public func choiceDescription(on kind: DeviceKind, fromCache: Bool) -> String {
        switch self {
        case .on: return "forced on"
        case .off: return "forced off"
        case .auto where kind == .cpu: return "per-layer on CPU drivers"
        case .auto, .measure: return fromCache ? "measured, cached" : "measured"
        }
    }
}
